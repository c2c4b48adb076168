// SPDX-License-Identifier: Apache-2.0
// The savings model against hand-computed cases (each computation in the comment above it).
#include "report/savings.h"

#include <gtest/gtest.h>

namespace trainscope::report {
namespace {

// S = 1.25: 1 - 1/1.25 = 0.2 of the step; 64 GPUs x 24 h x 0.2 = 307.2 GPU-h per day.
TEST(SavingsTest, RemovingAllStragglingSavesOneMinusOneOverS) {
  EXPECT_DOUBLE_EQ(StragglerRemovalGain(1.25), 0.2);
  const Saving s = StragglerRemovalSaving(64, 1.25);
  EXPECT_DOUBLE_EQ(s.step_time_gain, 0.2);
  EXPECT_DOUBLE_EQ(s.gpu_hours, 307.2);
  EXPECT_EQ(s.basis, "day");
  EXPECT_EQ(s.evidence,
            "S = 1.250: the traced step is 1.250x the step with every op at its ideal duration");
  // No slowdown, nothing to save (never negative).
  EXPECT_EQ(StragglerRemovalGain(1.0), 0.0);
  EXPECT_EQ(StragglerRemovalGain(0.9), 0.0);
}

// S = 1.5, the worker alone slows the job to 1.3: (1.3 - 1) / 1.5 = 0.2; 8 GPUs: 8 x 24 x 0.2
// = 38.4 GPU-h per day. Alone 2.8 under S = 1.5: 1.8 / 1.5 = 1.2, clamped to 1; alone 0.9: 0.
TEST(SavingsTest, OneSlowWorkerSavesAloneMinusOneOverS) {
  EXPECT_DOUBLE_EQ(SlowWorkerGain(1.3, 1.5), 0.2);
  const Saving s = SlowWorkerSaving(8, 1.5, 1.3, "dp 1 / stage 3 (rank 7)");
  EXPECT_EQ(s.action, "fix the slow worker dp 1 / stage 3 (rank 7) (as the last one slow)");
  EXPECT_DOUBLE_EQ(s.gpu_hours, 38.4);
  EXPECT_NE(s.evidence.find("its traced speed makes the step 1.300x the ideal"), std::string::npos)
      << s.evidence;
  EXPECT_EQ(SlowWorkerGain(2.8, 1.5), 1.0);
  EXPECT_EQ(SlowWorkerGain(0.9, 1.5), 0.0);
}

// M_W: T_ori 10 s, T_rem 8 s: (10 - 8) / 10 = 0.2; 16 GPUs x 24 h x 0.2 = 76.8 GPU-h per day;
// the selection removes 75% of the straggling.
TEST(SavingsTest, SelectionSavesTheShareOfTheStepItRemoves) {
  EXPECT_DOUBLE_EQ(SelectionGain(10, 8), 0.2);
  const std::optional<Saving> s = SelectionSaving(16, 10, 8, 0.75, "fix the worst workers: r3");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->action, "fix the worst workers: r3");
  EXPECT_DOUBLE_EQ(s->gpu_hours, 76.8);
  EXPECT_DOUBLE_EQ(s->step_time_gain, 0.2);
  EXPECT_NE(s->evidence.find("everything else stays as traced: removes 75% of the straggling"),
            std::string::npos)
      << s->evidence;
  // Nothing removed, no step time, or under 0.1% of the step (10 s -> 9.995 s: 0.05%): none.
  EXPECT_FALSE(SelectionSaving(16, 10, 10, 0, "x").has_value());
  EXPECT_FALSE(SelectionSaving(16, 0, -1, 0, "x").has_value());
  EXPECT_FALSE(SelectionSaving(16, 10, 9.995, 0.01, "x").has_value());
  EXPECT_EQ(SelectionGain(10, 12), 0.0);
}

// Triage 30 min, Minder delay 4 min + 4 min = 8 min: 64 GPUs x (0.5 - 8/60) h = 64 x 22/60
// = 23.4667 GPU-h per incident.
TEST(SavingsTest, FaultyMachineSavesTriageMinusMinderDelayPerIncident) {
  EXPECT_DOUBLE_EQ(kMinderDelayHours, 8.0 / 60);
  EXPECT_NEAR(FaultGpuHoursPerIncident(64), 64 * 22.0 / 60, 1e-12);
  EXPECT_EQ(FaultGpuHoursPerIncident(64, 0.1, 0.2), 0.0);  // slower than triage: no saving
  const Saving s = FaultSaving(64, "node0005", "pfc_tx", 7.26, 2.5);
  EXPECT_EQ(s.action, "evict machine node0005 (Minder alert) instead of manual triage");
  EXPECT_EQ(s.basis, "incident");
  EXPECT_EQ(s.step_time_gain, 0.0);
  EXPECT_EQ(s.evidence,
            "the whole job waits for the faulty machine: Minder names it 8 min after the fault "
            "starts versus 30 min of manual triage, on all 64 GPUs (metric pfc_tx, score 7.3, "
            "margin 2.5)");
}

// 2 ms hidden per layer and GEMM pair, 8 layers per stage, 4 microbatches: 0.002 x 8 x 4 x 2 x 2
// = 0.256 s of a 2.56 s step = 0.1; 32 GPUs x 24 h x 0.1 = 76.8 GPU-h per day. More hidden than
// the step: clamped to 1.
TEST(SavingsTest, TpOverlapHidesCommunicationOfEveryGemmPair) {
  EXPECT_DOUBLE_EQ(TpOverlapGain(0.002, 8, 4, 2.56), 0.1);
  EXPECT_EQ(TpOverlapGain(1, 8, 4, 2.56), 1.0);
  const Saving s = TpOverlapSaving(32, 4, 0.1, 0.91, 0.876);
  EXPECT_EQ(s.action, "fuse TP communication into the GEMMs (Flux, TP 4)");
  EXPECT_DOUBLE_EQ(s.gpu_hours, 76.8);
  EXPECT_EQ(s.evidence, "fused E = 0.91 (AG) / 0.88 (RS) on the MLP shapes");
}

TEST(SavingsTest, AssumptionStatesTheModel) {
  EXPECT_EQ(SavingsAssumption(),
            "Savings: GPU-hours per day = GPUs x 24 h x step-time fraction saved; a faulty "
            "machine saves GPUs x (manual triage 30 min - Minder delay 8 min) per incident");
}

}  // namespace
}  // namespace trainscope::report
