// SPDX-License-Identifier: Apache-2.0
// Tests for the job report renderer: sections appear exactly for the parts given.
#include "report/job_report.h"

#include <gtest/gtest.h>

namespace trainscope::report {
namespace {

bool Has(const std::string& html, const std::string& needle) {
  return html.find(needle) != std::string::npos;
}

TEST(JobReportTest, OnlyGivenPartsAppearButDiagnosticsAlways) {
  JobReport r;
  PlanPart plan;
  plan.name = "tiny";
  plan.step_time_s = 2;
  plan.compute_s = 1.5;
  plan.bubble_s = 0.5;
  r.plan = plan;
  std::string html = RenderJobReport(r);
  EXPECT_TRUE(Has(html, "<section id=\"plan\">"));
  EXPECT_TRUE(Has(html, "<section id=\"diagnostics\">"));
  EXPECT_FALSE(Has(html, "<section id=\"stragglers\">"));
  EXPECT_FALSE(Has(html, "<section id=\"faults\">"));
  EXPECT_TRUE(Has(html, "compute 1.5 s (75.0%)"));
}

TEST(JobReportTest, VerdictNamesStragglingAndFaultyMachine) {
  JobReport r;
  StragglerPart s;
  s.slowdown = 1.5;
  s.straggling = true;
  s.waste_fraction = 1 - 1 / 1.5;
  s.cause_pattern = "one persistent slow worker";
  s.worker_scores = {{1.0, 1.0}, {1.0, 1.48}};
  s.per_step = {{"1", 1.5, ""}, {"2", 1.49, ""}};
  r.stragglers = s;
  FaultPart f;
  f.machines = 8;
  f.deciding_metric = "gpu_power";
  f.threshold = 3;
  f.series = {{"m0", {0, 1}, {0.1, 0.2}}, {"m5", {0, 1}, {4, 5}}};
  f.alerts = {{"m5", "gpu_power", 0, 1, 5, 4.8}};
  r.faults = f;
  std::string html = RenderJobReport(r);
  EXPECT_TRUE(Has(html, "runs 1.50x slower"));
  EXPECT_TRUE(Has(html, "Faulty machine: m5"));
  EXPECT_TRUE(Has(html, "Likely cause: one persistent slow worker"));
  EXPECT_TRUE(Has(html, "id=\"worker-heatmap\""));
  EXPECT_TRUE(Has(html, "data-marked=\"1\""));
  EXPECT_TRUE(Has(html, "<table id=\"alerts\" data-rows=\"1\">"));
}

// An inconclusive what-if (the replay misses the job) shows its reason, never "Straggling" or a
// likely cause, whatever S is.
TEST(JobReportTest, InconclusiveStragglerAnalysisGivesNoVerdict) {
  JobReport r;
  StragglerPart s;
  s.slowdown = 1.5;
  s.straggling = false;
  s.inconclusive = "the faithful replay misses the measured step times by a median 67.0%";
  s.cause_pattern = "inconclusive";
  s.cause_evidence = {s.inconclusive};
  r.stragglers = s;
  std::string html = RenderJobReport(r);
  EXPECT_TRUE(Has(html, "Straggler analysis inconclusive (S = 1.500 is not trusted)"));
  EXPECT_TRUE(Has(html, "Why: the faithful replay misses"));
  EXPECT_FALSE(Has(html, "Straggling:"));
  EXPECT_FALSE(Has(html, "Likely cause"));
}

}  // namespace
}  // namespace trainscope::report
