// SPDX-License-Identifier: Apache-2.0
// MpiCommunicator: one MPI communicator and the calls the modules' MPI parts share (whatif's
// task distributor, Minder's distance backend, overlap's shared-memory world): rank and size,
// a barrier, "do all processes agree on these numbers" (element-wise min and max), all-gather
// of typed blocks in process order, broadcast and gather of byte buffers, reductions of one
// double. Every call returns a Status: an MPI error code becomes kInternal naming the MPI call
// and MPI's error string (MpiStatus). Owned communicators (Duplicate, SplitShared) return errors
// instead of aborting (MPI_ERRORS_RETURN) and are freed on destruction unless MPI is finalised.
//
// Counts: MPI counts are int, so gathers are described by a GatherLayout built from int64
// counts, which refuses (kOutOfRange) a total past INT_MAX elements rather than wrapping.
// Ownership: movable, not copyable. Thread safety: call from the thread that owns MPI
// (MPI_THREAD_FUNNELED); all calls are collective over the communicator unless noted.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/mpi/mpi_support.h"
#include "base/status.h"

namespace trainscope {

// The MPI datatype of T (float, double, int32_t, int64_t, char, std::byte).
template <typename T>
MPI_Datatype MpiTypeOf();

// Where each process's block lies in a gathered buffer, in process order.
struct GatherLayout {
  std::vector<int> counts;  // elements from process p
  std::vector<int> displs;  // offset of process p's block
  int64_t total = 0;        // elements in all blocks

  // From each process's element count. Errors: kOutOfRange when the total exceeds INT_MAX.
  static Result<GatherLayout> FromCounts(std::span<const int64_t> counts);
};

// Element-wise minimum and maximum of a vector over the processes.
struct MinMax {
  std::vector<int64_t> min, max;
  bool same() const { return min == max; }
};

class MpiCommunicator {
 public:
  // A private duplicate of `comm` (MPI_Comm_dup: its messages never mix with the caller's),
  // returning errors, freed by the destructor.
  static Result<MpiCommunicator> Duplicate(MPI_Comm comm);
  // The processes of `comm` that can share memory with this one (MPI_Comm_split_type
  // SHARED: one node), returning errors, freed by the destructor.
  static Result<MpiCommunicator> SplitShared(MPI_Comm comm);
  // `comm` itself, not owned (its error handler is left as it is). Not collective.
  static Result<MpiCommunicator> Borrow(MPI_Comm comm);

  MpiCommunicator(MpiCommunicator&& other) noexcept;
  MpiCommunicator& operator=(MpiCommunicator&& other) noexcept;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;
  ~MpiCommunicator();

  MPI_Comm get() const { return comm_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }

  Status Barrier() const;

  // Element-wise min and max of `values` over the processes (every process passes as many).
  Result<MinMax> AllMinMax(std::span<const int64_t> values) const;

  // One double reduced onto `root` (max or sum); other processes get their own value back.
  Result<double> ReduceMax(double value, int root = 0) const;
  Result<double> ReduceSum(double value, int root = 0) const;

  // Every process's `mine` (layout.counts[rank()] elements) into `all` (layout.total), each
  // block at layout.displs[p]: MPI_Allgatherv.
  template <typename T>
  Status AllGather(std::span<const T> mine, const GatherLayout& layout, std::span<T> all) const {
    return AllGatherRaw(mine.data(), mine.size(), layout, all.data(), all.size(), MpiTypeOf<T>());
  }

  // `bytes` of `root` to every process (size, then content).
  Status Broadcast(std::string* bytes, int root = 0) const;
  // Every process's `mine` onto `root`, in process order; other processes get an empty vector.
  Result<std::vector<std::string>> Gather(std::string_view mine, int root = 0) const;

 private:
  MpiCommunicator(MPI_Comm comm, bool owned) : comm_(comm), owned_(owned) {}
  static Result<MpiCommunicator> Adopt(MPI_Comm comm, bool owned);
  Status AllGatherRaw(const void* mine, size_t mine_count, const GatherLayout& layout, void* all,
                      size_t all_count, MPI_Datatype type) const;
  void Free();

  MPI_Comm comm_ = MPI_COMM_NULL;
  bool owned_ = false;
  int rank_ = 0, size_ = 1;
};

}  // namespace trainscope
