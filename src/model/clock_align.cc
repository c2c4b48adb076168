// SPDX-License-Identifier: Apache-2.0
// Clock alignment from matching collective end times (see clock_align.h).
#include "model/clock_align.h"

#include <fmt/core.h>

#include <algorithm>
#include <string>
#include <vector>

#include "model/collective_match.h"

namespace trainscope::model {
namespace {

// Offsets beyond this (31 years) are not clocks disagreeing but unrelated files; the bound also
// keeps every shifted ts in int64 (the reader accepts ts in [0, 3e18] ns).
constexpr int64_t kMaxOffsetNs = 1'000'000'000'000'000'000;

void Shift(RankTrace& rank, int64_t offset) {
  for (int64_t& ts : rank.events.ts) ts += offset;
  for (Step& step : rank.steps) step.ts += offset;
}

// Members of one collective end within a ring's last hop (microseconds to milliseconds); host
// clocks synchronised by NTP agree to a few ms. A median end gap past this is a skewed clock.
constexpr int64_t kBaseTimeSkewNs = 100'000'000;  // 100 ms

// Ranks on the epoch clock (baseTimeNanoseconds) are trusted, but a host clock off by seconds
// passes through to the what-if analysis, which then names the gap 'start skew' of the ranks. The
// median end difference of their shared collectives against the first such rank shows it; the
// timestamps are kept (which clock is wrong cannot be told from two ranks).
void WarnSkewedBaseTimes(JobTrace& job) {
  const RankTrace* first = nullptr;
  for (size_t i = 0; i < job.ranks.size(); ++i) {
    if (job.clocks[i].source != ClockSource::kBaseTime) continue;
    if (first == nullptr) {
      first = &job.ranks[i];
      continue;
    }
    int matched = 0;
    const int64_t gap = EstimateOffset(*first, job.ranks[i], &matched);
    if (matched == 0 || (gap < kBaseTimeSkewNs && gap > -kBaseTimeSkewNs)) continue;
    job.diagnostics.Add(
        "clock_skew_suspected", job.ranks[i].source, "",
        fmt::format("rank {}'s collectives end {:.3f} s {} rank {}'s (median of {}) although both "
                    "carry baseTimeNanoseconds: a host clock is off; timestamps kept as written",
                    job.ranks[i].rank, static_cast<double>(gap < 0 ? -gap : gap) * 1e-9,
                    gap < 0 ? "after" : "before", first->rank, matched));
  }
}

}  // namespace

int64_t EstimateOffset(const RankTrace& reference, const RankTrace& other, int* matched) {
  auto ref_channels = CollectiveChannels(reference);
  auto other_channels = CollectiveChannels(other);
  std::vector<int64_t> deltas;
  for (const auto& [key, ref_rows] : ref_channels) {
    auto it = other_channels.find(key);
    if (it == other_channels.end()) continue;
    size_t n = std::min(ref_rows.size(), it->second.size());
    for (size_t k = 0; k < n; ++k) {
      size_t a = ref_rows[k], b = it->second[k];
      if (reference.collectives.type[a] != other.collectives.type[b]) continue;
      deltas.push_back(reference.events.end(reference.collectives.event[a]) -
                       other.events.end(other.collectives.event[b]));
    }
  }
  *matched = static_cast<int>(deltas.size());
  if (deltas.empty()) return 0;
  auto mid = deltas.begin() + static_cast<std::ptrdiff_t>(deltas.size() / 2);
  std::nth_element(deltas.begin(), mid, deltas.end());
  return *mid;
}

void AlignClocks(JobTrace& job) {
  job.clocks.assign(job.ranks.size(), ClockAlignment{});
  const RankTrace* reference = nullptr;
  for (size_t i = 0; i < job.ranks.size(); ++i) {
    RankTrace& rank = job.ranks[i];
    ClockAlignment& clock = job.clocks[i];
    if (rank.base_time_ns != 0) {
      clock.source = ClockSource::kBaseTime;
      continue;
    }
    if (reference == nullptr) {
      reference = &rank;
      clock.source = ClockSource::kReference;
      continue;
    }
    int matched = 0;
    int64_t offset = EstimateOffset(*reference, rank, &matched);
    clock.matched_collectives = matched;
    if (matched == 0) {
      job.diagnostics.Add("clock_not_aligned", rank.source, "",
                          fmt::format("rank {} shares no collective with rank {}; its clock is "
                                      "used as is",
                                      rank.rank, reference->rank));
      continue;
    }
    if (offset > kMaxOffsetNs || offset < -kMaxOffsetNs) {
      job.diagnostics.Add("clock_offset_implausible", rank.source, "",
                          fmt::format("rank {}: estimated clock offset {} ns is implausible "
                                      "(over 31 years); its clock is used as is",
                                      rank.rank, offset));
      continue;
    }
    clock.source = ClockSource::kCollectiveEnds;
    clock.offset_ns = offset;
    Shift(rank, offset);
  }
  WarnSkewedBaseTimes(job);
}

}  // namespace trainscope::model
