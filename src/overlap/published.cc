// SPDX-License-Identifier: Apache-2.0
// Published Flux rows: CSV parsing and the predictor's error on them.
#include "overlap/published.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "base/check.h"
#include "overlap/gpu_presets.h"
#include "overlap/internal/published_data.h"
#include "overlap/simulator.h"

namespace trainscope::overlap {
namespace {

constexpr const char* kHeader =
    "id,role,gpu,op,m,n,k,tp,dtype,torch_gemm_ms,torch_comm_ms,torch_total_ms,flux_gemm_ms,"
    "flux_total_ms,e_min,e_max,source";

// Splits on commas; the last field (source) keeps any further commas.
std::vector<std::string_view> Fields(std::string_view line, size_t count) {
  std::vector<std::string_view> fields;
  while (fields.size() + 1 < count) {
    const size_t comma = line.find(',');
    if (comma == std::string_view::npos) break;
    fields.push_back(line.substr(0, comma));
    line.remove_prefix(comma + 1);
  }
  fields.push_back(line);
  return fields;
}

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

struct LineParser {
  std::string_view origin;
  int line;
  std::vector<std::string_view> fields;

  Status Bad(std::string_view column, std::string_view why) const {
    return InvalidArgumentError("{}:{}: column {}: {}", origin, line, column, why);
  }
  template <typename T>
  Status Number(size_t index, std::string_view column, T* out) const {
    if (!ParseNumber(fields[index], out)) {
      return Bad(column, fmt::format("'{}' is not a number", fields[index]));
    }
    return OkStatus();
  }
  // Optional ms value: empty gives NaN.
  Status Millis(size_t index, std::string_view column, double* out) const {
    if (fields[index].empty()) {
      *out = std::numeric_limits<double>::quiet_NaN();
      return OkStatus();
    }
    TS_RETURN_IF_ERROR(Number(index, column, out));
    *out *= 1e-3;
    return OkStatus();
  }
};

Status FillTimes(const LineParser& p, PublishedRow* row) {
  double torch_gemm, torch_comm, torch_total, flux_gemm, flux_total;
  TS_RETURN_IF_ERROR(p.Millis(9, "torch_gemm_ms", &torch_gemm));
  TS_RETURN_IF_ERROR(p.Millis(10, "torch_comm_ms", &torch_comm));
  TS_RETURN_IF_ERROR(p.Millis(11, "torch_total_ms", &torch_total));
  TS_RETURN_IF_ERROR(p.Millis(12, "flux_gemm_ms", &flux_gemm));
  TS_RETURN_IF_ERROR(p.Millis(13, "flux_total_ms", &flux_total));
  row->has_times = !std::isnan(torch_total);
  if (row->has_times) {
    if (std::isnan(torch_gemm) || std::isnan(flux_gemm) || std::isnan(flux_total)) {
      return p.Bad("flux_total_ms",
                   "a row with torch_total_ms needs both GEMMs and the Flux total");
    }
    row->t_torch_gemm_s = torch_gemm;
    row->t_gemm_s = std::min(torch_gemm, flux_gemm);
    row->t_nonoverlap_s = torch_total;
    row->t_fused_s = flux_total;
    row->e_min = row->e_max = 1.0 - (flux_total - row->t_gemm_s) / (torch_total - row->t_gemm_s);
    return OkStatus();
  }
  TS_RETURN_IF_ERROR(p.Number(14, "e_min", &row->e_min));
  TS_RETURN_IF_ERROR(p.Number(15, "e_max", &row->e_max));
  if (!(row->e_min <= row->e_max)) return p.Bad("e_max", "below e_min");
  return OkStatus();
}

Result<PublishedRow> ParseRow(const LineParser& p) {
  PublishedRow row;
  row.line = p.line;
  row.id = p.fields[0];
  row.role = p.fields[1];
  row.gpu = p.fields[2];
  row.source = p.fields[16];
  if (row.role != "fit" && row.role != "check") return p.Bad("role", "expected fit or check");
  if (p.fields[3] != "ag" && p.fields[3] != "rs") return p.Bad("op", "expected ag or rs");
  row.op = p.fields[3] == "ag" ? OpKind::kAgGemm : OpKind::kGemmRs;
  TS_RETURN_IF_ERROR(p.Number(4, "m", &row.m));
  TS_RETURN_IF_ERROR(p.Number(5, "n", &row.n));
  TS_RETURN_IF_ERROR(p.Number(6, "k", &row.k));
  TS_RETURN_IF_ERROR(p.Number(7, "tp", &row.tp));
  if (row.m <= 0 || row.n <= 0 || row.k <= 0 || row.tp < 1 ||
      (row.op == OpKind::kAgGemm ? row.n : row.k) % row.tp != 0) {
    return p.Bad("tp", "sizes must be positive and tp must divide the sharded dimension");
  }
  TS_RETURN_IF_ERROR(FillTimes(p, &row));
  return row;
}

}  // namespace

Result<std::vector<PublishedRow>> ParsePublished(std::string_view csv, std::string_view origin) {
  std::vector<PublishedRow> rows;
  bool header = false;
  int line_number = 0;
  while (!csv.empty()) {
    const size_t eol = csv.find('\n');
    std::string_view line = csv.substr(0, eol);
    csv.remove_prefix(eol == std::string_view::npos ? csv.size() : eol + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (!header) {
      if (line != kHeader) {
        return InvalidArgumentError("{}:{}: expected the header '{}'", origin, line_number,
                                    kHeader);
      }
      header = true;
      continue;
    }
    LineParser parser{origin, line_number, Fields(line, 17)};
    if (parser.fields.size() != 17) {
      return InvalidArgumentError("{}:{}: {} fields, expected 17", origin, line_number,
                                  parser.fields.size());
    }
    TS_ASSIGN_OR_RETURN(PublishedRow row, ParseRow(parser));
    rows.push_back(std::move(row));
  }
  if (!header) return InvalidArgumentError("{}: no header line", origin);
  return rows;
}

const std::vector<PublishedRow>& PublishedRows() {
  static const std::vector<PublishedRow> rows = [] {
    Result<std::vector<PublishedRow>> parsed =
        ParsePublished(internal::kFluxPublishedCsv, "overlap/data/flux_published.csv");
    TS_CHECK(parsed.ok(), "{}", parsed.status().ToString());
    return *parsed;
  }();
  return rows;
}

Result<std::vector<RowCheck>> CheckPublished(const std::vector<PublishedRow>& rows) {
  std::vector<RowCheck> checks;
  for (const PublishedRow& row : rows) {
    TS_ASSIGN_OR_RETURN(GpuPresetInfo gpu, ResolveGpu(row.gpu));
    OverlapOptions options;
    options.tile_m = 128;
    options.tile_n = 256;
    options.comm_rows = 128;
    const bool ag = row.op == OpKind::kAgGemm;
    const ShardedProblem problem = ShardedProblem::Even(row.m, ag ? row.n / row.tp : row.n,
                                                        ag ? row.k : row.k / row.tp, row.tp);
    TS_ASSIGN_OR_RETURN(SimResult r, Simulate(row.op, problem, options, gpu.hw));
    RowCheck check;
    check.row = &row;
    check.predicted_t_fused_s = r.t_fused_s;
    check.predicted_e = r.efficiency_fused;
    check.t_fused_error = row.has_times ? r.t_fused_s / row.t_fused_s - 1.0
                                        : std::numeric_limits<double>::quiet_NaN();
    check.e_error = r.efficiency_fused < row.e_min   ? r.efficiency_fused - row.e_min
                    : r.efficiency_fused > row.e_max ? r.efficiency_fused - row.e_max
                                                     : 0.0;
    checks.push_back(check);
  }
  return checks;
}

PredictorError CheckRowError(const std::vector<RowCheck>& checks) {
  PredictorError error;
  for (const RowCheck& check : checks) {
    if (check.row->role != "check") continue;
    error.e_max_abs = std::max(error.e_max_abs, std::fabs(check.e_error));
    if (check.row->has_times) {
      ++error.point_rows;
      error.e_point_max_abs = std::max(error.e_point_max_abs, std::fabs(check.e_error));
      error.t_fused_max_abs = std::max(error.t_fused_max_abs, std::fabs(check.t_fused_error));
    } else {
      ++error.range_rows;
    }
  }
  return error;
}

const PredictorError& BuiltinPredictorError() {
  static const PredictorError error = [] {
    Result<std::vector<RowCheck>> checks = CheckPublished(PublishedRows());
    TS_CHECK(checks.ok(), "{}", checks.status().ToString());
    return CheckRowError(*checks);
  }();
  return error;
}

}  // namespace trainscope::overlap
