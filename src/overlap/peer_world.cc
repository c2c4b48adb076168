// SPDX-License-Identifier: Apache-2.0
// Header-word barrier and max-reduction, and the in-process (threads as ranks) world.
#include "overlap/peer_world.h"

#include <cstdlib>
#include <cstring>
#include <thread>

#include "base/check.h"
#include "overlap/signal.h"

namespace trainscope::overlap {
namespace {
constexpr size_t kBarrierOffset = 0;
constexpr size_t kValueOffset = 64;

uint32_t* HeaderWord(std::byte* segment, size_t offset) {
  return reinterpret_cast<uint32_t*>(segment + offset);
}
}  // namespace

Status PeerWorld::Barrier(uint32_t epoch, double timeout_s) {
  StoreRelease(HeaderWord(segment(rank()), kBarrierOffset), epoch);
  for (int peer = 0; peer < size(); ++peer) {
    TS_RETURN_IF_ERROR(WaitForSignal(HeaderWord(segment(peer), kBarrierOffset), epoch,
                                     /*at_least=*/true, timeout_s, WaitStyle::kSpinYield,
                                     {rank(), -1, 0, peer, "barrier word"}));
  }
  return OkStatus();
}

Result<double> PeerWorld::AllMax(double value, double timeout_s) {
  std::memcpy(segment(rank()) + kValueOffset, &value, sizeof(value));
  TS_RETURN_IF_ERROR(Barrier(NextEpoch(), timeout_s));
  double result = value;
  for (int peer = 0; peer < size(); ++peer) {
    double peer_value = 0;
    std::memcpy(&peer_value, segment(peer) + kValueOffset, sizeof(peer_value));
    result = std::max(result, peer_value);
  }
  // Nobody may overwrite its slot before everyone has read it.
  TS_RETURN_IF_ERROR(Barrier(NextEpoch(), timeout_s));
  return result;
}

namespace {
class ThreadRankWorld final : public PeerWorld {
 public:
  ThreadRankWorld(int rank, const std::vector<std::byte*>* segments, size_t bytes)
      : rank_(rank), segments_(segments), bytes_(bytes) {}
  int rank() const override { return rank_; }
  int size() const override { return static_cast<int>(segments_->size()); }
  std::byte* segment(int rank) const override { return (*segments_)[rank]; }
  size_t segment_bytes() const override { return bytes_; }

 private:
  int rank_;
  const std::vector<std::byte*>* segments_;
  size_t bytes_;
};
}  // namespace

ThreadWorldGroup::ThreadWorldGroup(int size, size_t payload_bytes) {
  TS_CHECK(size >= 1, "world size {}", size);
  const size_t bytes = (PeerWorld::kHeaderBytes + payload_bytes + 63) / 64 * 64;
  for (int rank = 0; rank < size; ++rank) {
    auto* segment = static_cast<std::byte*>(std::aligned_alloc(64, bytes));
    TS_CHECK(segment != nullptr, "cannot allocate {} bytes", bytes);
    std::memset(segment, 0, bytes);
    segments_.push_back(segment);
  }
  for (int rank = 0; rank < size; ++rank) {
    worlds_.push_back(std::make_unique<ThreadRankWorld>(rank, &segments_, bytes));
  }
}

ThreadWorldGroup::~ThreadWorldGroup() {
  for (std::byte* segment : segments_) std::free(segment);
}

Status ThreadWorldGroup::RunOnAllRanks(const std::function<Status(PeerWorld&)>& fn) {
  std::vector<Status> results(worlds_.size());
  std::vector<std::thread> threads;
  for (size_t rank = 0; rank < worlds_.size(); ++rank) {
    threads.emplace_back([&, rank] { results[rank] = fn(*worlds_[rank]); });
  }
  for (auto& thread : threads) thread.join();
  for (Status& status : results) {
    if (!status.ok()) return status;
  }
  return OkStatus();
}

}  // namespace trainscope::overlap
