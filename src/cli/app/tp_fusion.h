// SPDX-License-Identifier: Apache-2.0
// "Will fusion pay on my job" for `report` and `plan`: the TP GEMMs of the plan's main block
// (attention QKV and output projection, MLP up and down) handed to overlap::AdviseTpFusion.
#pragma once

#include <string>
#include <vector>

#include "overlap/fusion_advice.h"
#include "workload/config.h"
#include "workload/predictor.h"

namespace trainscope::cli {

// The four TP GEMMs of `block` per microbatch (global shapes, paper convention), each run
// layers / pp x microbatches x 2 (forward and backward) times per step.
std::vector<overlap::TpGemm> TpGemmsOf(const workload::BlockConfig& block, int64_t microbatches);

// Text lines: the advice, or one line saying why there is none (TP 1, unknown GPU, shapes).
std::vector<std::string> TpFusionLines(const workload::JobConfig& config,
                                       const workload::Prediction& prediction);

}  // namespace trainscope::cli
