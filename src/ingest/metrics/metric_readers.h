// SPDX-License-Identifier: Apache-2.0
// Readers for monitoring metrics into a model::MetricTable (Minder brief section 4):
//  - long CSV `timestamp,machine[,DEVICE],<metric columns...>` (gzip allowed), one row per machine
//    (and device) and second, empty cell = missing; the format of ../shared/data/metrics;
//  - Prometheus HTTP API `query_range` JSON (matrix envelope or a bare `data.result` array);
//  - Prometheus text exposition, one scrape or a sequence of scrapes.
// Timestamps become int64 ns.
// Machine: the first present of the labels `Hostname`, `hostname`, `node`, `exported_instance`,
// `instance`, `host`, in this order, else the file name. Under kube-prometheus `instance` is
// the exporter's scrape address and the exporter's own `instance` became `exported_instance`.
// Device (the per-machine dimension Minder takes a min over): CSV column DEVICE = `gpu`, `nic`,
// `device` or `interface` right after `machine`; Prometheus label `gpu`, else `nic`, else
// `interface`, else `device` on node_exporter's `node_network_*` / `node_infiniband_*` series
// (elsewhere `device` stays in the key, e.g. node_disk_*). Names need not be numbers
// (`ens11np0`, `mlx5_0`, `unknown`); the table interns them per machine with their kind. A CSV
// row with an empty device cell is machine-level data; a value of a metric that the same machine
// also has per device (or the reverse) is an error at file:line:column, as is a machine with
// more than 32767 devices.
// With both `gpu` and `device` (dcgm-exporter: `device="nvidia0"`) `gpu` wins and `device` is
// dropped. Identity and info labels never split a metric: the machine labels, the scrape
// target's `job`, `pod`, `namespace`, `container`, `service`, `endpoint` (and every `exported_`
// form), `UUID`, `modelName`, `pci_bus_id`, `DCGM_*`; the rest stay in the metric key
// (`name{mode="idle"}`). A series without `__name__` (a query result such as `rate(x[1m])`) is
// named after its file (stem without .json/.gz) or the name the caller gives for that file.
// Recoveries (documented, recorded as Diagnostics): NaN/Inf values and DCGM blank sentinels near
// 2^63 are read as missing samples (`non_finite_value`, `dcgm_blank`); Prometheus `warnings` are
// kept (`prometheus_warning`); samples of one series that repeat a timestamp or go back in time
// within a file are recorded (`duplicate_timestamp`, `non_monotonic_time`, naming file, machine,
// metric and time) and then sorted into time order with duplicates merged into their mean
// (model::CountersToRates). Malformed input is an error naming file and line:column (CSV, text)
// or byte (JSON); input that ends early (a cut last CSV line, a truncated gzip stream, JSON
// ending inside a string, array or object) is a kDataLoss error saying "truncated".
// Peer group label (`minder --group-label NAME`): when `group_label` is given, the Prometheus
// label NAME (`role="stage1"`) is taken out of the metric key and recorded as its machine's group
// (MetricTable::SetMachineGroup); a machine whose series carry two different values is an error
// naming the file and line:column (text) or byte (JSON). Long CSV carries no labels: LoadMetrics
// refuses a group label for CSV input.
// Thread safety: each call is independent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "model/metric_table.h"

namespace trainscope::ingest {

enum class MetricFormat { kAuto, kCsv, kPromJson, kPromText };

// Appends the CSV `text` (decompressed) to `out`. `origin` names the input in messages.
Status ReadLongCsv(std::string_view text, std::string_view origin, model::MetricTable* out,
                   Diagnostics* diags);

// Appends a query_range response (or a bare result array). A `status:"error"` response becomes
// a kFailedPrecondition error quoting errorType and error. Series without `__name__` are named
// `unnamed_metric`, or after `origin`'s file stem when it is empty (diagnostic `unnamed_series`).
Status ReadPromQueryRange(std::string_view text, std::string_view origin, model::MetricTable* out,
                          Diagnostics* diags, std::string_view unnamed_metric = {},
                          std::string_view group_label = {});

// Appends Prometheus text exposition. Samples without a timestamp get
// `start_ns + scrape_index * interval_ns`; a new scrape starts when a series repeats or at a
// `# SCRAPE` comment line. Series of `# TYPE x counter` (and `*_total`) are marked as counters.
Status ReadPromText(std::string_view text, std::string_view origin, int64_t start_ns,
                    int64_t interval_ns, model::MetricTable* out, Diagnostics* diags,
                    std::string_view group_label = {});

// Guesses the format from the first non-blank byte and the file name.
MetricFormat DetectMetricFormat(std::string_view text, std::string_view path);

struct LoadOptions {
  MetricFormat format = MetricFormat::kAuto;
  int64_t text_interval_ns = model::kNanosPerSecond;  // scrape spacing for untimed exposition
  bool counters_to_rates = true;
  // Names of the series without `__name__`, one per path in order (empty: each file's stem).
  std::vector<std::string> unnamed_metrics;
  // Prometheus label naming each machine's peer group (`role`, `stage`); empty: none, and every
  // label that is not an identity label stays in the metric key.
  std::string group_label;
};

// Reads every file of `paths` (gzip transparent) into one table, then turns counters into rates.
// kInvalidArgument when `unnamed_metrics` is neither empty nor one name per path.
Result<model::MetricTable> LoadMetrics(const std::vector<std::string>& paths,
                                       const LoadOptions& options, Diagnostics* diags);

namespace internal {
// Splits Prometheus labels into (machine, device, metric key); shared by the two Prometheus
// readers.
struct SeriesIdentity {
  std::string machine;
  std::string device;  // empty: machine-level series
  model::DeviceKind device_kind = model::DeviceKind::kGpu;
  std::string metric_key;
  std::string group;  // value of the group label (empty: none or not asked for)
};
SeriesIdentity IdentifySeries(std::string_view name,
                              const std::vector<std::pair<std::string, std::string>>& labels,
                              std::string_view fallback_machine, std::string_view group_label = {});
bool LooksLikeCounter(std::string_view name);
// ReadLongCsv with its row loop chosen: line by line when chunk_bytes is 0 (or the file has a
// device column), else in chunks of about chunk_bytes on up to `threads` threads (<= 0: all).
// ReadLongCsv takes 1 MB chunks from 4 MB of text on. Same results either way (csv_rows.h).
Status ReadLongCsvRows(std::string_view text, std::string_view origin, model::MetricTable* out,
                       Diagnostics* diags, size_t chunk_bytes, int threads);
// Parses a sample value ("1.5", "NaN", "+Inf", "-Inf", "1e+07"); false on malformed text.
bool ParseSampleValue(std::string_view text, double* value);
std::string MachineFromPath(std::string_view path);
// The file name of `path` without `.gz` and then `.json`: the name of its unnamed series.
std::string MetricNameFromPath(std::string_view path);
}  // namespace internal

}  // namespace trainscope::ingest
