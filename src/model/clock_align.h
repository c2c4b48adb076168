// SPDX-License-Identifier: Apache-2.0
// Clock alignment across ranks. Each rank's profiler stamps events with its own host clock.
// Files with `baseTimeNanoseconds` are already on the common (epoch) clock once the base is
// added (RankTraceBuilder::Finish does that). For the other ranks we use the fact that the
// NCCL kernels of one collective instance finish together on all members (the last arrival
// releases everyone), so end-time differences of matching collectives measure clock offsets.
//
// Matching: within one process group (or, without group info, one NCCL stream), the k-th
// collective on each rank is the same instance, because PyTorch issues them in the same order.
// Pairs whose types differ are not used. The offset of rank r is the median over matched pairs
// of end(reference) - end(r); the median ignores the odd mismatched pair.
// Thread safety: mutates the job; call before sharing it.
#pragma once

#include "model/trace.h"

namespace trainscope::model {

// Fills job.clocks and shifts the ts of ranks without a base time by their estimated offset.
// The reference is the lowest rank without a base time. Ranks with nothing to match keep
// offset 0 (ClockSource::kNone) and get an info diagnostic.
void AlignClocks(JobTrace& job);

// The offset (ns) that makes `other`'s matching collectives end with `reference`'s, and the
// number of matched pairs in *matched (0 -> offset 0).
int64_t EstimateOffset(const RankTrace& reference, const RankTrace& other, int* matched);

}  // namespace trainscope::model
