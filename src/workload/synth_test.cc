// SPDX-License-Identifier: Apache-2.0
// Trace synthesis: determinism, formats, fault signatures; the 4,096-GPU Seed1.5-VL step with
// bounded memory (label slow, see synth_scale_test).
#include "workload/synth.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/byte_source.h"
#include "support/status_matchers.h"
#include "support/test_data.h"
#include "workload/config_io.h"
#include "workload/predictor.h"

namespace trainscope::workload {
namespace {

std::string Slurp(const std::string& path) {
  Result<std::string> text = ReadFileToString(path);
  EXPECT_OK(text);
  return text.ok() ? *text : std::string();
}

JobConfig SmallJob() {
  Result<JobConfig> job = LoadJobConfig(testing::TestDataPath("workload/small_pipeline.yaml"));
  EXPECT_OK(job);
  return *job;
}

std::string TempDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("ts_synth_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

TEST(Synth, DeterministicForASeed) {
  SynthOptions a;
  a.steps = 2;
  a.seed = 3;
  a.out_dir = TempDir("a");
  SynthOptions b = a;
  b.out_dir = TempDir("b");
  SynthOptions c = a;
  c.seed = 4;
  c.out_dir = TempDir("c");
  const JobConfig job = SmallJob();
  ASSERT_OK_AND_ASSIGN(SynthSummary sa, Synthesize(job, a));
  ASSERT_OK_AND_ASSIGN(SynthSummary sb, Synthesize(job, b));
  ASSERT_OK_AND_ASSIGN(SynthSummary sc, Synthesize(job, c));
  for (const char* file : {"/trace-small-pipeline.csv.gz", "/metrics.csv.gz", "/rank-5.json"}) {
    EXPECT_EQ(Slurp(a.out_dir + file), Slurp(b.out_dir + file)) << file;
    EXPECT_NE(Slurp(a.out_dir + file), Slurp(c.out_dir + file)) << file;
  }
  EXPECT_EQ(sa.step_s, sb.step_s);
  EXPECT_NE(sa.step_s, sc.step_s);
  for (const auto& dir : {a.out_dir, b.out_dir, c.out_dir}) std::filesystem::remove_all(dir);
}

TEST(Synth, MetricsOnlyJobSkipsTheOpTable) {
  // Long metric-only jobs (Minder's evaluation) skip the op table; the metrics do not change.
  SynthOptions full;
  full.steps = 2;
  full.kernels = KernelDetail::kNone;
  full.out_dir = TempDir("full");
  SynthOptions lean = full;
  lean.write_op_table = false;
  lean.out_dir = TempDir("lean");
  ASSERT_OK_AND_ASSIGN(SynthSummary sf, Synthesize(SmallJob(), full));
  ASSERT_OK_AND_ASSIGN(SynthSummary sl, Synthesize(SmallJob(), lean));
  EXPECT_GT(sf.op_rows, 0);
  EXPECT_EQ(sl.op_rows, 0);
  EXPECT_TRUE(std::filesystem::exists(full.out_dir + "/trace-small-pipeline.csv.gz"));
  EXPECT_FALSE(std::filesystem::exists(lean.out_dir + "/trace-small-pipeline.csv.gz"));
  EXPECT_EQ(Slurp(full.out_dir + "/metrics.csv.gz"), Slurp(lean.out_dir + "/metrics.csv.gz"));
  EXPECT_EQ(sf.step_s, sl.step_s);
  for (const auto& dir : {full.out_dir, lean.out_dir}) std::filesystem::remove_all(dir);
}

TEST(Synth, KinetoTraceHasProfilerSchema) {
  SynthOptions o;
  o.steps = 2;
  o.out_dir = TempDir("kineto");
  ASSERT_OK_AND_ASSIGN(SynthSummary s, Synthesize(SmallJob(), o));
  EXPECT_EQ(s.ranks, 16);
  const auto trace = nlohmann::json::parse(Slurp(o.out_dir + "/rank-5.json"));
  EXPECT_EQ(trace["distributedInfo"]["rank"], 5);
  EXPECT_EQ(trace["distributedInfo"]["world_size"], 16);
  int steps = 0, nccl = 0, gemm = 0;
  std::set<std::string> groups;
  for (const auto& e : trace["traceEvents"]) {
    const std::string name = e["name"];
    if (name.rfind("ProfilerStep#", 0) == 0) ++steps;
    if (e["cat"] == "kernel") {
      EXPECT_TRUE(e["args"].contains("correlation"));
      EXPECT_TRUE(e["args"].contains("stream"));
      if (name.rfind("ncclDevKernel", 0) == 0) {
        ++nccl;
        for (const char* key : {"Collective name", "Process Group Name", "Process Group Ranks",
                                "In msg nelems", "Out msg nelems", "dtype", "Seq"}) {
          EXPECT_TRUE(e["args"].contains(key)) << key;
        }
        groups.insert(e["args"]["Process Group Description"].get<std::string>());
      }
      if (name.find("gemm") != std::string::npos) ++gemm;
    }
  }
  EXPECT_EQ(steps, 2);
  EXPECT_GT(gemm, 100);
  EXPECT_GT(nccl, 50);
  EXPECT_TRUE(groups.count("tp") && groups.count("pp") && groups.count("dp"));
  std::filesystem::remove_all(o.out_dir);
}

// NCCL kernels of one rank's trace on `stream`, in time order: (ts, end) in us.
std::vector<std::pair<double, double>> StreamOps(const std::string& path, int stream) {
  const auto trace = nlohmann::json::parse(Slurp(path));
  std::vector<std::pair<double, double>> ops;
  for (const auto& e : trace["traceEvents"]) {
    if (e["cat"] == "kernel" && e["tid"] == stream) {
      ops.push_back({e["ts"].get<double>(), e["ts"].get<double>() + e["dur"].get<double>()});
    }
  }
  std::sort(ops.begin(), ops.end());
  return ops;
}

// Pipeline p2p ops run in groups of pp ranks, which `trace check` cannot pair (the trace does
// not name the peer), so check here that the k-th forward send of each stage ends with the k-th
// forward recv of the next (and backward: of the previous, on stream 41 / 43), as the step
// graph pairs them. Small job: TP 2, PP 4 x 2 virtual stages, DP 2: rank of (replica 0, stage
// s, tp 0) = 4 s.
TEST(Synth, PipelineSendsEndWithTheirRecvs) {
  SynthOptions o;
  o.steps = 2;
  o.out_dir = TempDir("p2p");
  o.write_metrics = false;
  ASSERT_OK_AND_ASSIGN(Fault straggler, ParseFault("straggler:rank=4,factor=1.5"));
  o.faults.push_back(straggler);
  ASSERT_OK_AND_ASSIGN(SynthSummary s, Synthesize(SmallJob(), o));
  int pairs = 0;
  for (int stage = 0; stage < 4; ++stage) {
    const std::string here = o.out_dir + "/rank-" + std::to_string(4 * stage) + ".json";
    const std::string next = o.out_dir + "/rank-" + std::to_string(4 * ((stage + 1) % 4)) + ".json";
    const auto sends = StreamOps(here, 37), recvs = StreamOps(next, 39);
    const auto bwd_recvs = StreamOps(here, 43), bwd_sends = StreamOps(next, 41);
    ASSERT_EQ(sends.size(), recvs.size()) << stage;
    ASSERT_EQ(bwd_sends.size(), bwd_recvs.size()) << stage;
    for (size_t k = 0; k < sends.size(); ++k, ++pairs) {
      EXPECT_NEAR(sends[k].second, recvs[k].second, 1e-3) << "stage " << stage << " send " << k;
      EXPECT_LT(std::max(sends[k].first, recvs[k].first), sends[k].second);
    }
    for (size_t k = 0; k < bwd_sends.size(); ++k, ++pairs) {
      EXPECT_NEAR(bwd_sends[k].second, bwd_recvs[k].second, 1e-3) << "stage " << stage;
    }
  }
  // Per step and direction: 8 microbatches x 2 chunks on each of 4 stages, less the 8 whose peer
  // virtual stage does not exist (the last chunk's forward sends, the first's backward sends).
  EXPECT_EQ(pairs, 2 * 2 * (4 * 16 - 8));
  std::filesystem::remove_all(o.out_dir);
}

// FSDP collectives run in the shard group (4 of the 16 replicas), not the whole DP group, and
// take the cost model's time for their bytes over that group: the member that arrives last
// waits for nobody, so the shortest member of each all-gather is the transfer itself.
TEST(Synth, FsdpCollectivesUseTheShardGroupAndTheCostModel) {
  ASSERT_OK_AND_ASSIGN(JobConfig job,
                       LoadJobConfig(testing::TestDataPath("workload/small_fsdp.yaml")));
  PlanDetail detail;
  Planner planner;
  ASSERT_OK(planner.Predict(job, &detail));
  const Kernel* gather = nullptr;
  for (const Kernel& k : detail.main_timing.layer_fwd) {
    if (k.name == "fsdp_all_gather") gather = &k;
  }
  ASSERT_NE(gather, nullptr);
  ASSERT_EQ(gather->group_size, 4);
  SynthOptions o;
  o.steps = 1;
  o.out_dir = TempDir("fsdp");
  o.write_metrics = false;
  ASSERT_OK_AND_ASSIGN(Fault straggler, ParseFault("straggler:rank=2,factor=1.5"));
  o.faults.push_back(straggler);
  ASSERT_OK_AND_ASSIGN(SynthSummary s, Synthesize(job, o));
  // Ranks: ((stage * 16 + replica) * 2 + cp) => shard group of rank 0: replicas 0-3, cp 0.
  std::vector<std::vector<double>> durations;  // per member rank, per all-gather
  for (int rank : {0, 2, 4, 6}) {
    const auto trace =
        nlohmann::json::parse(Slurp(o.out_dir + "/rank-" + std::to_string(rank) + ".json"));
    durations.emplace_back();
    for (const auto& e : trace["traceEvents"]) {
      if (e["cat"] != "kernel" || !e["args"].contains("Collective name") ||
          e["args"]["Collective name"] != "_allgather_base") {
        continue;
      }
      EXPECT_EQ(e["args"]["Process Group Ranks"], "[0, 2, 4, 6]");
      EXPECT_EQ(e["args"]["Group size"], 4);
      EXPECT_EQ(e["args"]["Process Group Description"], "fsdp_shard");
      EXPECT_NEAR(e["args"]["Out msg nelems"].get<double>() * 2, gather->bytes, 8.0);
      durations.back().push_back(e["dur"].get<double>());
    }
  }
  ASSERT_GT(durations[0].size(), 0u);
  bool someone_waited = false;
  for (size_t k = 0; k < durations[0].size(); ++k) {
    double shortest = 1e300, longest = 0;
    for (const auto& member : durations) {
      ASSERT_EQ(member.size(), durations[0].size());
      shortest = std::min(shortest, member[k]);
      longest = std::max(longest, member[k]);
    }
    EXPECT_NEAR(shortest, gather->seconds * 1e6, 0.01) << k;
    someone_waited = someone_waited || longest > 1.5 * shortest;
  }
  EXPECT_TRUE(someone_waited);  // the straggler's peers wait for it
  std::filesystem::remove_all(o.out_dir);
}

TEST(Synth, OpTableMetricsAndLabels) {
  SynthOptions o;
  o.steps = 3;
  o.out_dir = TempDir("tables");
  o.kernels = KernelDetail::kNone;
  ASSERT_OK_AND_ASSIGN(Fault slow, ParseFault("slow_link:rank=9,factor=20,step=1"));
  o.faults.push_back(slow);
  ASSERT_OK_AND_ASSIGN(Fault dead, ParseFault("dead:rank=3,step=2"));
  o.faults.push_back(dead);
  ASSERT_OK_AND_ASSIGN(SynthSummary s, Synthesize(SmallJob(), o));
  EXPECT_EQ(s.steps, 3);  // the third step stalls on the dead rank
  std::istringstream csv(Slurp(o.out_dir + "/trace-small-pipeline.csv.gz"));
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "dp_rank,stage,rank,step,optype,start_ts,duration,seq_id,mc,mb_id,gmc");
  const std::string meta = Slurp(o.out_dir + "/meta-small-pipeline.yaml");
  EXPECT_NE(meta.find("dp_size: 2"), std::string::npos);
  EXPECT_NE(meta.find("pp_size: 4"), std::string::npos);
  EXPECT_NE(meta.find("vpp_size: 2"), std::string::npos);
  const std::string labels = Slurp(o.out_dir + "/labels.csv");
  EXPECT_NE(labels.find("node0001,slow_link,"), std::string::npos) << labels;
  EXPECT_NE(labels.find("node0000,dead,"), std::string::npos) << labels;
  // Metrics: node0000's cells go empty once it is dead; node0001 shows the PFC storm.
  std::istringstream metrics(Slurp(o.out_dir + "/metrics.csv.gz"));
  std::string line;
  std::getline(metrics, line);
  EXPECT_EQ(line.rfind("timestamp,machine,DCGM_FI_DEV_GPU_UTIL", 0), 0u);
  int empty_rows = 0;
  double pfc_max[2] = {0, 0};
  while (std::getline(metrics, line)) {
    const bool node0 = line.find(",node0000,") != std::string::npos;
    if (line.ends_with(",,,,,,,,,,")) {
      EXPECT_TRUE(node0) << line;
      ++empty_rows;
      continue;
    }
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 12u) << line;
    pfc_max[node0 ? 0 : 1] = std::max(pfc_max[node0 ? 0 : 1], std::stod(cells[9]));
  }
  EXPECT_GT(empty_rows, 60);  // the 10-minute watchdog window
  EXPECT_GT(pfc_max[1], 10 * pfc_max[0]);
  std::filesystem::remove_all(o.out_dir);
}

TEST(Synth, FaultParsing) {
  ASSERT_OK_AND_ASSIGN(Fault f, ParseFault("straggler:rank=5,factor=1.5,step=2"));
  EXPECT_EQ(f.rank, 5);
  EXPECT_EQ(f.factor, 1.5);
  EXPECT_EQ(f.step, 2);
  EXPECT_THAT(ParseFault("meteor:rank=1"),
              testing::StatusIs(StatusCode::kInvalidArgument, "unknown fault 'meteor'"));
  EXPECT_THAT(ParseFault("gc:rank=x"),
              testing::StatusIs(StatusCode::kInvalidArgument, "not a non-negative number"));
  EXPECT_THAT(ParseFault("gc:colour=1"),
              testing::StatusIs(StatusCode::kInvalidArgument, "unknown key 'colour'"));
  SynthOptions o;
  o.out_dir = TempDir("bad");
  o.faults.push_back({FaultType::kStraggler, 999});
  EXPECT_THAT(Synthesize(SmallJob(), o),
              testing::StatusIs(StatusCode::kInvalidArgument, "outside the job's 16 ranks"));
}

// Issue 21: a step count whose timeline or per-second metrics no machine holds is refused
// before any step runs (it used to grow by ~300 MB/s until the process died).
TEST(Synth, StepCountBoundedBeforeAnythingRuns) {
  SynthOptions o;
  o.out_dir = TempDir("huge");
  o.steps = 1000000000;
  EXPECT_THAT(Synthesize(SmallJob(), o),
              testing::StatusIs(StatusCode::kInvalidArgument, "cover at most 30 days"));
  o.write_metrics = false;
  EXPECT_THAT(Synthesize(SmallJob(), o), testing::StatusIs(StatusCode::kInvalidArgument, "GiB"));
  EXPECT_FALSE(std::filesystem::exists(o.out_dir));
}

// --jitter 1e9 (s per op) wrapped the ns clock and aborted on an internal check; negative or NaN
// delays were taken as given. Both are refused before anything is written.
TEST(Synth, LaunchJitterOutsideItsRangeIsRefused) {
  SynthOptions o;
  o.out_dir = TempDir("jitter");
  o.steps = 1;
  for (double jitter : {1e9, -1.0, std::nan("")}) {
    o.launch_jitter_s = jitter;
    EXPECT_THAT(Synthesize(SmallJob(), o),
                testing::StatusIs(StatusCode::kInvalidArgument, "mean launch delay per op"));
  }
  EXPECT_FALSE(std::filesystem::exists(o.out_dir));
}

// Issue 6 item 5: a 4,096-GPU Seed1.5-VL step synthesises with ranks streamed to disk.
TEST(SynthScale, Seed15vl4096GpuStepInBoundedMemory) {
  ASSERT_OK_AND_ASSIGN(JobConfig job, LoadPreset("seed15vl"));
  ASSERT_EQ(job.cluster.gpus, 4096);
  SynthOptions o;
  o.steps = 1;
  o.kernels = KernelDetail::kPerOp;
  o.out_dir = TempDir("seed4096");
  ASSERT_OK_AND_ASSIGN(SynthSummary s, Synthesize(job, o));
  EXPECT_EQ(s.ranks, 4096);
  EXPECT_EQ(s.machines, 512);
  // Slower than the single-replica prediction: every DP collective waits for the slowest of 256
  // replicas' microbatch draws (3% spread each).
  EXPECT_GT(s.mean_step_s / s.predicted_step_s, 1.0);
  EXPECT_LT(s.mean_step_s / s.predicted_step_s, 1.10);
  EXPECT_TRUE(std::filesystem::exists(o.out_dir + "/rank-4095.json"));
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double peak_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
  std::printf("seed15vl 4096 GPUs, 1 step: %lld Kineto events, %lld op rows, peak RSS %.0f MB\n",
              static_cast<long long>(s.kineto_events), static_cast<long long>(s.op_rows), peak_mb);
  EXPECT_LT(peak_mb, 2048);
  std::filesystem::remove_all(o.out_dir);
}

}  // namespace
}  // namespace trainscope::workload
