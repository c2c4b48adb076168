// SPDX-License-Identifier: Apache-2.0
// ScoreChannel (now ScoreAllWindows) against its whole-channel pass (bit for bit, every channel,
// embedding and reference mode; ScoreWindows for windows scored in any grouping), and
// ChannelAlerts against FindAlerts on the full scores
// (healthy and faulty jobs, missing machines and GPUs, continuity, gap and threshold settings).
#include "minder/window_scores.h"

#include <gtest/gtest.h>

#include <cstring>

#include "minder/internal/kernels.h"
#include "minder/replay.h"
#include "minder/synth.h"
#include "support/status_matchers.h"

namespace trainscope::minder {
namespace {

constexpr int64_t kS = model::kNanosPerSecond;

// A backend on this thread with the threaded path's kernel. ScoreChannel through a backend is
// the whole-channel pass (ChannelWindows, the VAE on 8,192 windows per call, every window's
// embeddings gathered), the reference that ScoreAllWindows must match bit for bit.
class LocalBackend final : public DistanceBackend {
 public:
  Status MeanDistances(int dims, std::span<const float* const> et, std::span<const int> n,
                       std::span<float* const> score) override {
    for (size_t w = 0; w < et.size(); ++w) {
      internal::MeanDistancesRowMajor(et[w], dims, n[w], score[w]);
    }
    return OkStatus();
  }
};

// ScoreChannel's whole-channel pass.
ChannelScores WholeChannelPass(const Grid& grid, size_t channel, const LstmVae* vae,
                               DetectOptions options, bool keep_machine_scores) {
  LocalBackend backend;
  options.distance_backend = &backend;
  return ScoreChannel(grid, channel, vae, options, keep_machine_scores);
}

const ModelSet& Models() {
  static const ModelSet* set = [] {
    auto loaded = ModelSet::Load(DefaultModelsDir());
    return loaded.ok() ? new ModelSet(std::move(loaded).value()) : nullptr;
  }();
  return *set;
}

// A per-GPU job of `machines` machines: m0005 stalls its GPUs (x0.1) in [200, 500) s, m0007 is
// unreachable in [100, 400) s, m0009 loses GPU 1 in [300, 350) s, and every machine drops a
// second here and there (gaps the grid fills or leaves missing).
model::MetricTable Job(int machines, bool faults) {
  model::MetricTable t;
  SynthesizeJob(
      SynthJobOptions{.machines = machines, .seconds = 600, .gpus = 2, .start_s = 0, .seed = 4},
      &t);
  model::MetricTable out;
  for (const auto& m : t.machines().names()) out.InternMachine(m);
  for (const auto& m : t.metrics().names()) out.InternMetric(m);
  for (size_t i = 0; i < t.size(); ++i) {
    const int64_t s = t.ts()[i] / kS;
    const int32_t m = t.machine()[i];
    double v = t.value()[i];
    if ((s * 7919 + m * 104729) % 97 == 0) continue;  // a dropped second
    if (faults) {
      if (m == 7 && s >= 100 && s < 400) continue;
      if (m == 9 && t.gpu()[i] == 1 && s >= 300 && s < 350) continue;
      const std::string& name = t.metrics().Name(t.metric()[i]);
      if (m == 5 && s >= 200 && s < 500 && name != "cpu" && name != "pfc_tx") v *= 0.1;
    }
    out.Append(t.ts()[i], m, t.metric()[i], t.gpu()[i], v);
  }
  return out;
}

Grid NormalisedGrid(int machines, bool faults, const Reference* ref = nullptr) {
  auto grid = BuildGrid(Job(machines, faults), GridOptions{}, nullptr);
  EXPECT_TRUE(grid.ok());
  NormaliseGrid(&*grid, ref);
  return std::move(*grid);
}

template <typename T>
void ExpectSameBits(const std::vector<T>& a, const std::vector<T>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(std::memcmp(&a[i], &b[i], sizeof(T)), 0)
        << what << " at " << i << ": " << a[i] << " vs " << b[i];
  }
}

void ExpectSameScores(const ChannelScores& full, const ChannelScores& part) {
  ExpectSameBits(full.candidate, part.candidate, "candidate");
  ExpectSameBits(full.z, part.z, "z");
  ExpectSameBits(full.margin, part.margin, "margin");
  ExpectSameBits(full.runner_up, part.runner_up, "runner_up");
  ExpectSameBits(full.runner_up_z, part.runner_up_z, "runner_up_z");
  ExpectSameBits(full.missing, part.missing, "missing");
  ExpectSameBits(full.gpu, part.gpu, "gpu");
  ASSERT_EQ(full.machine_score.size(), part.machine_score.size());
  for (size_t w = 0; w < full.machine_score.size(); ++w)
    ExpectSameBits(full.machine_score[w], part.machine_score[w], "machine_score");
}

// ScoreChannel (through ScoreAllWindows) gives the whole-channel pass's scores, and ScoreWindows
// gives every window the same rows whichever windows it scores with it.
void CheckChannels(const Grid& grid, const DetectOptions& options, bool use_vae) {
  const int windows = grid.steps - kWindow + 1;
  for (size_t c = 0; c < grid.channels.size(); ++c) {
    SCOPED_TRACE(grid.channels[c].name);
    const LstmVae* vae = use_vae ? &Models().Find(grid.channels[c].metric)->vae : nullptr;
    ExpectSameScores(WholeChannelPass(grid, c, vae, options, true),
                     ScoreChannel(grid, c, vae, options, true));
    std::vector<int> all, odd, even;
    for (int w = 0; w < windows; ++w) {
      all.push_back(w);
      (w % 3 == 1 ? odd : even).push_back(w);
    }
    ChannelScores one, two;
    one.Reset(static_cast<size_t>(windows));
    two.Reset(static_cast<size_t>(windows));
    std::vector<std::vector<float>> rows_one(static_cast<size_t>(windows)), rows_two = rows_one;
    ScoreWindows(grid, c, vae, options, all, &rows_one, &one);
    ScoreWindows(grid, c, vae, options, odd, &rows_two, &two);
    ScoreWindows(grid, c, vae, options, even, &rows_two, &two);
    ExpectSameScores(one, two);
    for (int w = 0; w < windows; ++w) {
      ExpectSameBits(rows_one[static_cast<size_t>(w)], rows_two[static_cast<size_t>(w)], "rows");
    }
  }
}

TEST(WindowScoresTest, SameScoresAsScoreChannel) {
  ASSERT_NE(&Models(), nullptr);
  const Grid grid = NormalisedGrid(24, true);
  DetectOptions options;
  for (int threads : {1, 2}) {
    options.threads = threads;
    CheckChannels(grid, options, /*use_vae=*/true);
  }
  CheckChannels(grid, options, /*use_vae=*/false);
  options.embedding = Embedding::kLatentMean;
  CheckChannels(grid, options, /*use_vae=*/true);
}

TEST(WindowScoresTest, SameScoresWithAReference) {
  // Scores become departures from each machine's healthy baseline (|s - s_ref|).
  DetectOptions options;
  Grid healthy = *BuildGrid(Job(12, false), GridOptions{}, nullptr);
  const Reference ref = LearnReference(SliceGrid(healthy, 0, 300), &Models(), options, true);
  options.reference = &ref;
  CheckChannels(NormalisedGrid(12, true, &ref), options, /*use_vae=*/true);
}

void ExpectSameAlerts(const std::vector<Alert>& a, const std::vector<Alert>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].machine, b[i].machine);
    EXPECT_EQ(a[i].metric, b[i].metric);
    EXPECT_EQ(a[i].gpu, b[i].gpu);
    EXPECT_EQ(a[i].start_ns, b[i].start_ns);
    EXPECT_EQ(a[i].end_ns, b[i].end_ns);
    EXPECT_EQ(a[i].score, b[i].score);
    EXPECT_EQ(a[i].margin, b[i].margin);
    EXPECT_EQ(a[i].windows, b[i].windows);
    EXPECT_EQ(a[i].missing, b[i].missing);
  }
}

TEST(WindowScoresTest, ChannelAlertsAreFindAlertsOfTheFullScores) {
  struct Case {
    int continuity;
    double gap_tolerance, threshold, hold;
  };
  const Case cases[] = {{240, 0.05, 6, 0.5}, {60, 0.05, 6, 0.5},  {240, 0, 6, 0.5},
                        {120, 0.3, 6, 0.5},  {240, 0.05, 2, 0.5}, {240, 0.05, 6, 1.0},
                        {30, 0.1, 1, 0.2},   {1, 0.05, 6, 0.5},   {900, 0.05, 6, 0.5}};
  size_t alerts = 0;
  for (bool faults : {false, true}) {
    const Grid grid = NormalisedGrid(24, faults);
    for (size_t c = 0; c < grid.channels.size(); ++c) {
      const LstmVae* vae = &Models().Find(grid.channels[c].metric)->vae;
      // The scores do not depend on the run settings below: one whole-channel pass per channel.
      const ChannelScores full = WholeChannelPass(grid, c, vae, DetectOptions{}, false);
      for (const Case& k : cases) {
        DetectOptions options;
        options.continuity_windows = k.continuity;
        options.gap_tolerance = k.gap_tolerance;
        options.threshold = k.threshold;
        options.hold_fraction = k.hold;
        SCOPED_TRACE(::testing::Message()
                     << grid.channels[c].name << " faults " << faults << " continuity "
                     << k.continuity << " gaps " << k.gap_tolerance << " threshold " << k.threshold
                     << " hold " << k.hold);
        std::vector<Alert> want = FindAlerts(grid, full, options);
        std::vector<Alert> got = ChannelAlerts(grid, c, vae, options);
        ExpectSameAlerts(want, got);
        alerts += want.size();
      }
    }
  }
  EXPECT_GT(alerts, 50u);  // the comparison covers alerts, not only silence
}

TEST(WindowScoresTest, HealthyChannelsSettleWithFewWindows) {
  const Grid grid = NormalisedGrid(64, false);
  const int windows = grid.steps - kWindow + 1;
  DetectOptions options;
  for (size_t c = 0; c < grid.channels.size(); ++c) {
    SCOPED_TRACE(grid.channels[c].name);
    int scored = 0;
    EXPECT_TRUE(
        ChannelAlerts(grid, c, &Models().Find(grid.channels[c].metric)->vae, options, &scored)
            .empty());
    EXPECT_LT(scored, windows / 4);
  }
  // The faulty machine's channels cannot settle: every window is scored and the alert is found.
  const Grid faulty = NormalisedGrid(64, true);
  for (size_t c = 0; c < faulty.channels.size(); ++c) {
    if (faulty.channels[c].name != "gpu_util") continue;
    int scored = 0;
    std::vector<Alert> alerts =
        ChannelAlerts(faulty, c, &Models().Find("gpu_util")->vae, options, &scored);
    EXPECT_EQ(scored, windows);
    ASSERT_FALSE(alerts.empty());
    EXPECT_EQ(alerts[0].machine,
              "m0007");  // unreachable from 100 s; m0005's stall is shorter after it
  }
}

}  // namespace
}  // namespace trainscope::minder
