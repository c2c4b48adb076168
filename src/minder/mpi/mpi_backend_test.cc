// SPDX-License-Identifier: Apache-2.0
// ScoreChannel with the MPI distance backend (run under mpirun with 1, 2 or 3 ranks) on a
// 72-machine job with a faulty machine: the channel scores are bitwise those of one process
// computing every row itself (a local reference backend), the same on every rank and on a
// one-process communicator; against the threaded path (no backend) the candidates agree and the
// scores differ by at most a few float ulps (another summation order).
#include "minder/mpi/mpi_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "minder/detector.h"
#include "minder/internal/kernels.h"
#include "minder/synth.h"

namespace trainscope::minder::mpi {
namespace {

constexpr int kMachines = 72;

// Every row of every window in this process: the one-process result the split must equal.
class AllRowsBackend final : public DistanceBackend {
 public:
  Status MeanDistances(int dims, std::span<const float* const> et, std::span<const int> n,
                       std::span<float* const> score) override {
    for (size_t w = 0; w < n.size(); ++w) internal::MeanDistancesRows(et[w], dims, n[w], 0, n[w], score[w]);
    return OkStatus();
  }
};

// A 72-machine, 300 s job (same seed on every rank); machine 5 runs at 40 % from second 100 and
// machine 9 misses seconds 200-219 (windows decided by missingness, fewer machines in others).
Grid FaultyGrid() {
  model::MetricTable t;
  SynthJobOptions opt;
  opt.machines = kMachines;
  opt.seconds = 300;
  opt.seed = 11;
  SynthesizeJob(opt, &t);
  model::MetricTable out;
  for (const auto& m : t.machines().names()) out.InternMachine(m);
  for (const auto& m : t.metrics().names()) out.InternMetric(m);
  for (size_t i = 0; i < t.size(); ++i) {
    const int64_t s = (t.ts()[i] - t.ts()[0]) / model::kNanosPerSecond;
    if (t.machine()[i] == 9 && s >= 200 && s < 220) continue;
    const double v = t.machine()[i] == 5 && s >= 100 ? t.value()[i] * 0.4 : t.value()[i];
    out.Append(t.ts()[i], t.machine()[i], t.metric()[i], t.gpu()[i], v);
  }
  Diagnostics diags;
  Result<Grid> grid = BuildGrid(out, GridOptions{}, &diags);
  EXPECT_TRUE(grid.ok());
  Grid g = std::move(*grid);
  NormaliseGrid(&g, nullptr);
  return g;
}

std::vector<ChannelScores> ScoreAll(const Grid& grid, DistanceBackend* backend) {
  DetectOptions o;
  o.threads = 2;
  o.distance_backend = backend;
  std::vector<ChannelScores> all;
  for (size_t c = 0; c < grid.channels.size(); ++c) all.push_back(ScoreChannel(grid, c, nullptr, o, true));
  return all;
}

bool Bitwise(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void ExpectBitwise(const std::vector<ChannelScores>& a, const std::vector<ChannelScores>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t c = 0; c < a.size(); ++c) {
    EXPECT_EQ(a[c].candidate, b[c].candidate) << a[c].name;
    EXPECT_TRUE(Bitwise(a[c].z, b[c].z)) << a[c].name;
    EXPECT_TRUE(Bitwise(a[c].margin, b[c].margin)) << a[c].name;
    EXPECT_EQ(a[c].missing, b[c].missing) << a[c].name;
    EXPECT_EQ(a[c].gpu, b[c].gpu) << a[c].name;
    ASSERT_EQ(a[c].machine_score.size(), b[c].machine_score.size());
    for (size_t w = 0; w < a[c].machine_score.size(); ++w) {
      EXPECT_TRUE(Bitwise(a[c].machine_score[w], b[c].machine_score[w])) << a[c].name << " window " << w;
    }
  }
}

// Flat bits of every score of every channel (for comparing ranks).
std::vector<float> Flatten(const std::vector<ChannelScores>& all) {
  std::vector<float> flat;
  for (const ChannelScores& c : all) {
    flat.insert(flat.end(), c.z.begin(), c.z.end());
    for (const auto& row : c.machine_score) flat.insert(flat.end(), row.begin(), row.end());
  }
  return flat;
}

TEST(MinderMpiBackendTest, ScoreChannelIsBitwiseTheOneProcessResult) {
  const Grid grid = FaultyGrid();
  ASSERT_EQ(grid.machines.size(), static_cast<size_t>(kMachines));
  auto backend = MpiDistanceBackend::Create(MPI_COMM_WORLD, 2);
  ASSERT_TRUE(backend.ok());
  const std::vector<ChannelScores> split = ScoreAll(grid, backend->get());
  AllRowsBackend local;
  ExpectBitwise(split, ScoreAll(grid, &local));
  // The same split on a one-process communicator (what `mpirun -np 1` computes).
  MPI_Comm self;
  ASSERT_EQ(MPI_Comm_split(MPI_COMM_WORLD, (*backend)->process_index(), 0, &self), MPI_SUCCESS);
  {
    auto one = MpiDistanceBackend::Create(self, 1);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ((*one)->process_count(), 1);
    ExpectBitwise(split, ScoreAll(grid, one->get()));
  }
  MPI_Comm_free(&self);
  // Every rank holds rank 0's scores bit for bit.
  std::vector<float> flat = Flatten(split), root = flat;
  MPI_Bcast(root.data(), static_cast<int>(root.size()), MPI_FLOAT, 0, MPI_COMM_WORLD);
  EXPECT_TRUE(Bitwise(flat, root)) << "rank " << (*backend)->process_index();
  // The faulty machine is the candidate in windows after its slowdown; missingness decides some.
  int hits = 0, missing = 0;
  for (const ChannelScores& c : split) {
    for (size_t w = 120; w < c.candidate.size(); ++w) hits += c.candidate[w] == 5 && c.z[w] > 6;
    for (uint8_t m : c.missing) missing += m;
  }
  EXPECT_GT(hits, 100);
  EXPECT_GT(missing, 0);
}

TEST(MinderMpiBackendTest, ThreadedPathDiffersOnlyInLastBits) {
  const Grid grid = FaultyGrid();
  auto backend = MpiDistanceBackend::Create(MPI_COMM_WORLD, 2);
  ASSERT_TRUE(backend.ok());
  const std::vector<ChannelScores> split = ScoreAll(grid, backend->get());
  const std::vector<ChannelScores> threaded = ScoreAll(grid, nullptr);
  double worst = 0;  // relative difference of machine scores
  size_t differing = 0, compared = 0;
  for (size_t c = 0; c < split.size(); ++c) {
    EXPECT_EQ(split[c].missing, threaded[c].missing);
    for (size_t w = 0; w < split[c].machine_score.size(); ++w) {
      for (size_t m = 0; m < static_cast<size_t>(kMachines); ++m) {
        const float a = split[c].machine_score[w][m], b = threaded[c].machine_score[w][m];
        ASSERT_EQ(std::isnan(a), std::isnan(b));
        if (std::isnan(a)) continue;
        ++compared;
        differing += a != b;
        worst = std::max(worst, std::fabs(static_cast<double>(a) - b) / std::max(1e-6, std::fabs(static_cast<double>(b))));
      }
      // Same candidate wherever the outlier is clear (a near tie may flip on a last bit).
      if (split[c].margin[w] > 0.01f) {
        EXPECT_EQ(split[c].candidate[w], threaded[c].candidate[w]);
      }
    }
  }
  EXPECT_LT(worst, 1e-5);
  if ((*backend)->process_index() == 0) {
    std::printf("threaded vs MPI rows: %zu of %zu machine scores differ, max relative difference %.3g\n",
                differing, compared, worst);
  }
}

}  // namespace
}  // namespace trainscope::minder::mpi
