// SPDX-License-Identifier: Apache-2.0
// MpiCommunicator on 1, 2 and 3 processes (label mpi): every result is checked against what
// each process can compute on its own from the rank numbers.
#include "base/mpi/communicator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support/status_matchers.h"

namespace trainscope {
namespace {

using ::trainscope::testing::StatusIs;

TEST(MpiCommunicatorTest, DuplicateKnowsRankAndSizeAndMoves) {
  ASSERT_OK_AND_ASSIGN(MpiCommunicator world, MpiCommunicator::Borrow(MPI_COMM_WORLD));
  ASSERT_OK_AND_ASSIGN(MpiCommunicator dup, MpiCommunicator::Duplicate(MPI_COMM_WORLD));
  EXPECT_EQ(dup.rank(), world.rank());
  EXPECT_EQ(dup.size(), world.size());
  EXPECT_NE(dup.get(), MPI_COMM_WORLD);
  MpiCommunicator moved = std::move(dup);
  EXPECT_EQ(dup.get(), MPI_COMM_NULL);  // NOLINT(bugprone-use-after-move): the moved-from state
  EXPECT_EQ(moved.is_root(), world.rank() == 0);
  EXPECT_OK(moved.Barrier());
  ASSERT_OK_AND_ASSIGN(MpiCommunicator node, MpiCommunicator::SplitShared(MPI_COMM_WORLD));
  EXPECT_EQ(node.size(), world.size());  // ctest runs every process on this machine
}

TEST(MpiCommunicatorTest, AllMinMaxSeesEveryProcess) {
  ASSERT_OK_AND_ASSIGN(MpiCommunicator comm, MpiCommunicator::Duplicate(MPI_COMM_WORLD));
  const std::vector<int64_t> same = {7, -3};
  ASSERT_OK_AND_ASSIGN(MinMax agree, comm.AllMinMax(same));
  EXPECT_TRUE(agree.same());
  const std::vector<int64_t> mine = {comm.rank(), 10 - comm.rank()};
  ASSERT_OK_AND_ASSIGN(MinMax spread, comm.AllMinMax(mine));
  EXPECT_EQ(spread.min, (std::vector<int64_t>{0, 10 - (comm.size() - 1)}));
  EXPECT_EQ(spread.max, (std::vector<int64_t>{comm.size() - 1, 10}));
  EXPECT_EQ(spread.same(), comm.size() == 1);
}

TEST(MpiCommunicatorTest, AllGatherPutsEachBlockInProcessOrder) {
  ASSERT_OK_AND_ASSIGN(MpiCommunicator comm, MpiCommunicator::Duplicate(MPI_COMM_WORLD));
  // Process p sends p + 1 values p * 100 + i.
  std::vector<int64_t> counts;
  for (int p = 0; p < comm.size(); ++p) counts.push_back(p + 1);
  ASSERT_OK_AND_ASSIGN(GatherLayout layout, GatherLayout::FromCounts(counts));
  std::vector<int64_t> mine;
  for (int i = 0; i <= comm.rank(); ++i) mine.push_back(comm.rank() * 100 + i);
  std::vector<int64_t> all(static_cast<size_t>(layout.total));
  ASSERT_OK(comm.AllGather<int64_t>(mine, layout, all));
  std::vector<int64_t> expected;
  for (int p = 0; p < comm.size(); ++p) {
    for (int i = 0; i <= p; ++i) expected.push_back(p * 100 + i);
  }
  EXPECT_EQ(all, expected);
  std::vector<float> floats(static_cast<size_t>(layout.total));
  const std::vector<float> mine_f(mine.begin(), mine.end());
  ASSERT_OK(comm.AllGather<float>(mine_f, layout, floats));
  EXPECT_EQ(floats, std::vector<float>(expected.begin(), expected.end()));
  // A block that does not match the layout is refused on the spot (no MPI call, no hang).
  EXPECT_THAT(comm.AllGather<int64_t>(std::span<const int64_t>(), layout, all),
              StatusIs(StatusCode::kInvalidArgument, "does not fit its layout"));
}

TEST(MpiCommunicatorTest, GatherLayoutRefusesCountsPastInt) {
  const std::vector<int64_t> counts = {int64_t{1} << 30, int64_t{1} << 30};
  EXPECT_THAT(GatherLayout::FromCounts(counts), StatusIs(StatusCode::kOutOfRange, "int counts"));
  ASSERT_OK_AND_ASSIGN(GatherLayout layout, GatherLayout::FromCounts(std::vector<int64_t>{2, 0, 3}));
  EXPECT_EQ(layout.displs, (std::vector<int>{0, 2, 2}));
  EXPECT_EQ(layout.total, 5);
}

TEST(MpiCommunicatorTest, BroadcastAndGatherByteBuffers) {
  ASSERT_OK_AND_ASSIGN(MpiCommunicator comm, MpiCommunicator::Duplicate(MPI_COMM_WORLD));
  std::string text = comm.is_root() ? std::string("from root\0with a zero", 21) : "stale";
  ASSERT_OK(comm.Broadcast(&text));
  EXPECT_EQ(text, std::string("from root\0with a zero", 21));
  const std::string mine(static_cast<size_t>(comm.rank()) * 3, static_cast<char>('a' + comm.rank()));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> all, comm.Gather(mine));
  if (comm.is_root()) {
    ASSERT_EQ(all.size(), static_cast<size_t>(comm.size()));
    for (int p = 0; p < comm.size(); ++p) {
      EXPECT_EQ(all[static_cast<size_t>(p)],
                std::string(static_cast<size_t>(p) * 3, static_cast<char>('a' + p)));
    }
  } else {
    EXPECT_TRUE(all.empty());
  }
}

TEST(MpiCommunicatorTest, ReductionsOfOneDouble) {
  ASSERT_OK_AND_ASSIGN(MpiCommunicator comm, MpiCommunicator::Duplicate(MPI_COMM_WORLD));
  ASSERT_OK_AND_ASSIGN(double max, comm.ReduceMax(comm.rank() + 0.5));
  ASSERT_OK_AND_ASSIGN(double sum, comm.ReduceSum(1.0));
  if (comm.is_root()) {
    EXPECT_EQ(max, comm.size() - 0.5);
    EXPECT_EQ(sum, comm.size());
  }
}

TEST(MpiCommunicatorTest, AnMpiErrorBecomesAStatusNamingTheCall) {
  ASSERT_OK_AND_ASSIGN(MpiCommunicator comm, MpiCommunicator::Duplicate(MPI_COMM_WORLD));
  // A root outside the communicator: MPI_ERRORS_RETURN on the duplicate turns it into a code.
  std::string text = "x";
  EXPECT_THAT(comm.Broadcast(&text, comm.size() + 5),
              StatusIs(StatusCode::kInternal, "MPI_Bcast failed"));
}

}  // namespace
}  // namespace trainscope
