// SPDX-License-Identifier: Apache-2.0
// What of the one-GPU-per-rank placement runs without a GPU: the agreement every collective
// step of RunOnePerRank goes through (a fake group stands in for MPI) and ChoosePlacement's
// refusals. The GPU runs are cuda_mpi_test.cc (under mpiexec).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "overlap/cuda/cuda_overlap.h"
#include "overlap/cuda/internal/gpu_run.h"
#include "support/status_matchers.h"

namespace trainscope::overlap::cuda {
namespace {

using testing::StatusIs;

// Rank `rank` of a group whose other ranks report `codes[r]` in every all-gather.
class FakeGroup final : public RankGroup {
 public:
  FakeGroup(int rank, std::vector<StatusCode> codes) : rank_(rank), codes_(std::move(codes)) {}
  int rank() const override { return rank_; }
  int size() const override { return static_cast<int>(codes_.size()); }
  int device() const override { return rank_; }
  Status AllGather(std::span<const std::byte> mine, std::span<std::byte> all) override {
    ++calls_;
    if (fail_) return InternalError("MPI_Allgather failed (fake)");
    EXPECT_EQ(all.size(), mine.size() * codes_.size());
    for (size_t rank = 0; rank < codes_.size(); ++rank) {
      if (static_cast<int>(rank) == rank_) {
        std::memcpy(all.data() + rank * mine.size(), mine.data(), mine.size());
      } else {
        all[rank * mine.size()] = std::byte{static_cast<unsigned char>(codes_[rank])};
      }
    }
    return OkStatus();
  }
  int calls_ = 0;
  bool fail_ = false;

 private:
  int rank_;
  std::vector<StatusCode> codes_;
};

TEST(AgreeAcrossRanks, AllOkIsOk) {
  FakeGroup group(1, {StatusCode::kOk, StatusCode::kOk, StatusCode::kOk});
  EXPECT_OK(AgreeAcrossRanks(group, OkStatus()));
  EXPECT_EQ(group.calls_, 1);
}

TEST(AgreeAcrossRanks, PeerFailureStopsThisRankNamingThePeer) {
  FakeGroup group(0, {StatusCode::kOk, StatusCode::kOk, StatusCode::kFailedPrecondition});
  EXPECT_THAT(AgreeAcrossRanks(group, OkStatus()),
              StatusIs(StatusCode::kFailedPrecondition, "rank 2 failed"));
}

TEST(AgreeAcrossRanks, OwnFailureWinsAndIsStillGathered) {
  FakeGroup group(1, {StatusCode::kInternal, StatusCode::kOk});
  EXPECT_THAT(AgreeAcrossRanks(group, FailedPreconditionError("rank 1: GPU timed out")),
              StatusIs(StatusCode::kFailedPrecondition, "GPU timed out"));
  EXPECT_EQ(group.calls_, 1);  // the peers are waiting in the same all-gather
}

TEST(AgreeAcrossRanks, GatherErrorIsReturned) {
  FakeGroup group(0, {StatusCode::kOk, StatusCode::kOk});
  group.fail_ = true;
  EXPECT_THAT(AgreeAcrossRanks(group, OkStatus()),
              StatusIs(StatusCode::kInternal, "MPI_Allgather failed"));
}

TEST(ChoosePlacement, RefusesWhatCudaIpcCannotServe) {
  EXPECT_EQ(ChoosePlacement(1, 1).placement, GpuPlacement::kRanksOnOneGpu);
  EXPECT_EQ(ChoosePlacement(1, 1).reason, "one rank");
  const PlacementChoice spread = ChoosePlacement(4, 2);
  EXPECT_EQ(spread.placement, GpuPlacement::kRanksOnOneGpu);
  EXPECT_EQ(spread.reason, "only 2 of the 4 ranks are on this node (CUDA IPC is node-local)");
  int visible = 0;
  if (cudaGetDeviceCount(&visible) != cudaSuccess) visible = 0;
  const int ranks = std::max(2, visible + 1);  // more ranks than GPUs, on one node
  const PlacementChoice crowded = ChoosePlacement(ranks, ranks);
  EXPECT_EQ(crowded.placement, GpuPlacement::kRanksOnOneGpu);
  EXPECT_EQ(crowded.reason, fmt::format("{} ranks, {} visible GPU(s)", ranks, visible));
}

}  // namespace
}  // namespace trainscope::overlap::cuda
