// SPDX-License-Identifier: Apache-2.0
// A synthetic lock-step training job: Minder's seven metrics per machine and second (optionally
// per GPU), machines in step with small jitter and noise. Used to train the shipped models (no
// licence constraint), for tests, the benchmark and large-N evaluation. Deterministic per seed.
#pragma once

#include <cstdint>

#include "model/metric_table.h"

namespace trainscope::minder {

struct SynthJobOptions {
  int machines = 8;
  int seconds = 900;
  int gpus = 0;              // 0: machine-level GPU metrics; 8: one series per GPU
  double step_seconds = 7.3; // training iteration period
  double noise = 0.02;       // relative noise
  int64_t start_s = 1'700'000'000;
  uint64_t seed = 1;
};

// Appends the job's samples to `out` (machines "m0000".."m<N-1>").
void SynthesizeJob(const SynthJobOptions& options, model::MetricTable* out);

}  // namespace trainscope::minder
