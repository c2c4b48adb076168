// SPDX-License-Identifier: Apache-2.0
// The diagnostics catalogue: every diagnostic trainscope records, with its severity and what it
// means, in one table (after Perfetto's src/trace_processor/storage/stats.h). A diagnostic is an
// input oddity that a documented recovery handles (skip a malformed event, drop a NaN sample);
// Diagnostics::Add takes its name and the severity comes from here, so one name has one
// severity everywhere. `trainscope diagnostics --list [--json]` prints the table and
// docs/diagnostics.md is generated from it (`trainscope diagnostics --markdown`; a test checks
// the file is current).
//
// Adding a diagnostic: one F(...) line below, in its module's group. Names are stable
// identifiers (users grep for them and --json carries them): never rename one lightly.
// Severities: info (a recovery that loses nothing), warning (results may be less accurate),
// data_loss (input was dropped), error (worse than data loss). `--strict` fails a command on
// data_loss and error (cli/command.h ApplyStrict).
// Thread safety: immutable data.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace trainscope {

enum class Severity { kInfo, kWarning, kDataLoss, kError };
std::string_view SeverityName(Severity severity);  // "info", "warning", "data_loss", "error"

// F(name, severity, recorded_by, description)
#define TS_DIAGNOSTIC_CATALOG(F)                                                                  \
  /* Kineto (PyTorch profiler) traces: ingest/kineto. */                                          \
  F(malformed_event, kDataLoss, "ingest/kineto",                                                  \
    "A trace event that cannot be read (not an object, a missing or invalid field such as a "     \
    "negative \"dur\"); the event is skipped.")                                                   \
  F(unclosed_span, kDataLoss, "ingest/kineto",                                                    \
    "A \"B\" (begin) event that no \"E\" event ends on its thread; the span is dropped.")         \
  F(rank_from_file_name, kWarning, "ingest/kineto",                                               \
    "A rank file without distributedInfo; its rank is taken from the file name.")                 \
  F(no_distributed_info, kWarning, "ingest/kineto",                                               \
    "A single trace file without distributedInfo; it is read as rank 0 of a 1-rank job.")         \
  F(not_a_trace_file, kWarning, "ingest/kineto",                                                 \
    "A *.json file in a trace folder that is not a Kineto/Chrome trace (no traceEvents, "         \
    "schemaVersion, distributedInfo or trace event in its first 64 KiB): skipped.")               \
  F(missing_ranks, kWarning, "ingest/kineto",                                                     \
    "Ranks of the job's world size have no trace; the job is read with the ranks present.")       \
  F(step_absent, kWarning, "ingest/kineto",                                                       \
    "A rank has no ProfilerStep# of a step that other ranks traced.")                             \
  /* The trace and metric models: model/. */                                                      \
  F(clock_not_aligned, kInfo, "model",                                                            \
    "A rank shares no collective with the reference rank, so its clock offset cannot be "         \
    "estimated; its clock is used as is.")                                                        \
  F(clock_offset_implausible, kWarning, "model",                                                  \
    "A rank's estimated clock offset is implausible (over 31 years); its clock is used as is.")   \
  F(clock_skew_suspected, kWarning, "model",                                                      \
    "Two ranks with baseTimeNanoseconds disagree: their shared collectives end over 100 ms apart "  \
    "(median), so a host clock is off; the timestamps are kept as written.")                      \
  F(gpu_op_before_launch, kWarning, "model",                                                      \
    "A GPU op starts before the CPU launch its correlation id links it to (host and device "      \
    "clocks disagree); the timestamps are kept.")                                                 \
  F(counter_reset, kInfo, "model",                                                                \
    "A counter metric decreased (exporter restart); its rate is taken from the new value.")       \
  F(unmapped_metric, kInfo, "model",                                                              \
    "No Minder name rule matches a metric; it is compared under its own name (the generic "       \
    "model) or not used.")                                                                        \
  /* Metric recordings (CSV, Prometheus JSON and text): ingest/metrics, minder grid. */           \
  F(non_finite_value, kWarning, "ingest/metrics", "A NaN or infinite sample; it is dropped.")     \
  F(dcgm_blank, kInfo, "ingest/metrics",                                                          \
    "A DCGM blank sentinel (about 2^63); it is read as a missing sample.")                        \
  F(unnamed_series, kInfo, "ingest/metrics",                                                      \
    "A Prometheus query-result series without __name__; --metric NAME names it.")                 \
  F(prometheus_warning, kWarning, "ingest/metrics",                                               \
    "A warning the Prometheus server returned with the query result, passed on.")                 \
  F(duplicate_timestamp, kWarning, "ingest/metrics, minder",                                      \
    "Several samples of one series at one time (or in one second of the grid); their mean is "    \
    "used.")                                                                                      \
  F(non_monotonic_time, kWarning, "ingest/metrics, minder",                                       \
    "Samples of one series out of time order; they are sorted.")                                  \
  F(invalid_utf8_name, kWarning, "ingest/metrics",                                                \
    "A machine or metric name that is not valid UTF-8; its invalid bytes are written as \\xnn in " \
    "--json, report.html and messages (text outputs stay valid UTF-8).")                          \
  /* Faulty-machine detection: minder/. */                                                        \
  F(metric_absent, kWarning, "minder",                                                            \
    "A requested metric has no samples in the input; it is skipped.")                             \
  F(machine_absent, kDataLoss, "minder",                                                          \
    "An expected machine (--machines) has no sample in the whole pull; it is reported, not "      \
    "compared.")                                                                                  \
  F(clock_skew, kInfo, "minder",                                                                  \
    "A machine's samples are shifted by whole seconds to align its clock with its peers'.")       \
  F(detector_defaults_absent, kWarning, "minder",                                                 \
    "The models folder has no detector.txt; the built-in threshold and no learned metric order "  \
    "are used.")                                                                                  \
  /* Straggler what-if analysis: whatif/, pipeline/. */                                           \
  F(parquet_copy_unreadable, kWarning, "pipeline",                                                \
    "A folder holds an op table as trace-X.parquet and trace-X.csv[.gz]; the Parquet copy "       \
    "cannot be read (outside the reader's subset, or damaged), so the CSV copy is read.")         \
  F(meta_missing, kWarning, "pipeline",                                                           \
    "No meta YAML beside the op table: the job's sizes come from the rows (see "                  \
    "world_size_from_rows).")                                                                     \
  F(world_size_from_rows, kDataLoss, "whatif",                                                    \
    "The op table's meta gives no world size (or there is no meta): the world size is DP x PP "   \
    "x TP from the rows (TP from the step between global ranks); --strict fails.")                \
  F(meta_contradicts_rows, kDataLoss, "whatif",                                                   \
    "The op table's meta disagrees with its rows (DP or PP size, or fewer GPUs than the ranks "   \
    "the rows name); the rows are used; --strict fails.")                                         \
  F(implausible_duration, kDataLoss, "whatif",                                                    \
    "A GPU op longer than an hour, or ten times its rank's ProfilerStep and more than a second "  \
    "(a corrupt profiler record); the op is left out of the analysis.")                           \
  F(negative_transfer_clipped, kInfo, "whatif",                                                   \
    "Transfer times of -10 ms or less (clock skew) are set to 0.")                                \
  F(small_negative_transfer, kInfo, "whatif",                                                     \
    "Transfer times in (-10 ms, 0) (clock skew) are kept as measured.")                           \
  F(negative_launch_delay_clipped, kInfo, "whatif",                                               \
    "Launch delays of -10 ms or less are set to 0.")                                              \
  F(steps_not_simulated, kWarning, "whatif",                                                      \
    "Steps not traced by every present rank; only the steps all ranks traced are simulated.")     \
  F(simulation_error_high, kWarning, "whatif",                                                    \
    "The faithful replay misses the measured step times by more than 2% (median) or 5% (max); "   \
    "what-if numbers are less reliable.")                                                         \
  F(graph_disconnected, kInfo, "whatif",                                                          \
    "Parts of steps share no recorded dependency with the rest (streams without event waits or "  \
    "collectives); they are replayed independently from the step start.")                         \
  F(p2p_unpaired, kWarning, "whatif",                                                             \
    "Send/recv ops whose peers the trace does not name; they are replayed at their measured "     \
    "durations, not paired.")                                                                     \
  F(p2p_paired_by_time, kInfo, "whatif",                                                          \
    "Send/recv ops in groups of more than two ranks (the trace names no peer) paired with the "   \
    "op of the same size on another rank that ends at the same time.")                          \
  F(collective_mismatch, kDataLoss, "whatif",                                                     \
    "The ranks of a process group disagree on a step's collectives; that channel's ops are "      \
    "replayed at their measured durations, not synchronised.")                                    \
  F(collective_group_incomplete, kWarning, "whatif",                                              \
    "Collectives of groups with absent ranks; they are synchronised over the present ranks only " \
    "and kept at their measured durations.")

struct DiagnosticSpec {
  std::string_view name;
  Severity severity;
  std::string_view recorded_by;  // modules that record it
  std::string_view description;  // what happened and the recovery
};

// Every catalogued diagnostic, in the order of the list above.
std::span<const DiagnosticSpec> DiagnosticCatalog();
// The entry named `name`, or nullptr.
const DiagnosticSpec* FindDiagnostic(std::string_view name);
// docs/diagnostics.md: a short preamble and the table (name, severity, recorded by, meaning).
std::string DiagnosticCatalogMarkdown();

}  // namespace trainscope
