// SPDX-License-Identifier: Apache-2.0
// PeerWorld: the TP group as seen by one rank: its rank id, and direct pointers to every
// rank's shared segment (the analogue of CUDA IPC handles). Two implementations: threads in
// one process (ThreadWorldGroup, used by unit tests and for in-process runs) and MPI ranks
// with MPI_Win_allocate_shared (overlap/mpi/mpi_world.h).
//
// Each segment starts with kHeaderBytes of bookkeeping (barrier word, a value slot for
// AllMax) followed by the operator's buffers. Barrier and AllMax use epoch-valued words in
// the headers, so they need no MPI call and have deadlines like every other wait.
// Thread safety: one PeerWorld per rank, used by that rank's calling thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "base/status.h"

namespace trainscope::overlap {

class PeerWorld {
 public:
  static constexpr size_t kHeaderBytes = 256;
  virtual ~PeerWorld() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::byte* segment(int rank) const = 0;  // kHeaderBytes + payload, 64-aligned
  virtual size_t segment_bytes() const = 0;        // payload + header, same for all ranks

  // Epochs: every collective call takes the next one; all ranks call in the same order.
  uint32_t NextEpoch() { return ++epoch_; }

  // All ranks wait until every rank has arrived with `epoch` (deadline timeout_s).
  Status Barrier(uint32_t epoch, double timeout_s);
  // Maximum of `value` over ranks (timing: a step ends when the slowest rank ends).
  Result<double> AllMax(double value, double timeout_s);

 private:
  uint32_t epoch_ = 0;
};

// N ranks as threads of this process, each with a zeroed heap segment.
class ThreadWorldGroup {
 public:
  ThreadWorldGroup(int size, size_t payload_bytes);
  ~ThreadWorldGroup();
  ThreadWorldGroup(const ThreadWorldGroup&) = delete;
  ThreadWorldGroup& operator=(const ThreadWorldGroup&) = delete;

  int size() const { return static_cast<int>(worlds_.size()); }
  PeerWorld& world(int rank) { return *worlds_[rank]; }
  // Runs fn(world) on one thread per rank and returns the first error (by rank).
  Status RunOnAllRanks(const std::function<Status(PeerWorld&)>& fn);

 private:
  std::vector<std::byte*> segments_;
  std::vector<std::unique_ptr<PeerWorld>> worlds_;
};

}  // namespace trainscope::overlap
