// SPDX-License-Identifier: Apache-2.0
// MPI communicator wrapper (see communicator.h).
#include "base/mpi/communicator.h"

#include <climits>
#include <cstddef>
#include <utility>

namespace trainscope {

template <>
MPI_Datatype MpiTypeOf<float>() {
  return MPI_FLOAT;
}
template <>
MPI_Datatype MpiTypeOf<double>() {
  return MPI_DOUBLE;
}
template <>
MPI_Datatype MpiTypeOf<int32_t>() {
  return MPI_INT32_T;
}
template <>
MPI_Datatype MpiTypeOf<int64_t>() {
  return MPI_INT64_T;
}
template <>
MPI_Datatype MpiTypeOf<char>() {
  return MPI_CHAR;
}
template <>
MPI_Datatype MpiTypeOf<std::byte>() {
  return MPI_BYTE;
}

Result<GatherLayout> GatherLayout::FromCounts(std::span<const int64_t> counts) {
  GatherLayout layout;
  layout.counts.reserve(counts.size());
  layout.displs.reserve(counts.size());
  for (int64_t count : counts) {
    if (count < 0 || layout.total + count > INT_MAX) {
      return OutOfRangeError("{} elements in one gather exceed MPI's int counts ({} max)",
                             layout.total + count, INT_MAX);
    }
    layout.counts.push_back(static_cast<int>(count));
    layout.displs.push_back(static_cast<int>(layout.total));
    layout.total += count;
  }
  return layout;
}

Result<MpiCommunicator> MpiCommunicator::Adopt(MPI_Comm comm, bool owned) {
  MpiCommunicator c(comm, owned);  // frees an owned `comm` if a call below fails
  if (owned) {
    TS_RETURN_IF_ERROR(
        MpiStatus(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler"));
  }
  TS_RETURN_IF_ERROR(MpiStatus(MPI_Comm_rank(comm, &c.rank_), "MPI_Comm_rank"));
  TS_RETURN_IF_ERROR(MpiStatus(MPI_Comm_size(comm, &c.size_), "MPI_Comm_size"));
  return c;
}

Result<MpiCommunicator> MpiCommunicator::Duplicate(MPI_Comm comm) {
  MPI_Comm dup = MPI_COMM_NULL;
  TS_RETURN_IF_ERROR(MpiStatus(MPI_Comm_dup(comm, &dup), "MPI_Comm_dup"));
  return Adopt(dup, /*owned=*/true);
}

Result<MpiCommunicator> MpiCommunicator::SplitShared(MPI_Comm comm) {
  MPI_Comm node = MPI_COMM_NULL;
  TS_RETURN_IF_ERROR(MpiStatus(
      MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
      "MPI_Comm_split_type"));
  return Adopt(node, /*owned=*/true);
}

Result<MpiCommunicator> MpiCommunicator::Borrow(MPI_Comm comm) {
  return Adopt(comm, /*owned=*/false);
}

MpiCommunicator::MpiCommunicator(MpiCommunicator&& other) noexcept
    : comm_(std::exchange(other.comm_, MPI_COMM_NULL)),
      owned_(std::exchange(other.owned_, false)),
      rank_(other.rank_),
      size_(other.size_) {}

MpiCommunicator& MpiCommunicator::operator=(MpiCommunicator&& other) noexcept {
  if (this != &other) {
    Free();
    comm_ = std::exchange(other.comm_, MPI_COMM_NULL);
    owned_ = std::exchange(other.owned_, false);
    rank_ = other.rank_;
    size_ = other.size_;
  }
  return *this;
}

MpiCommunicator::~MpiCommunicator() { Free(); }

void MpiCommunicator::Free() {
  if (!owned_ || comm_ == MPI_COMM_NULL) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Comm_free(&comm_);
  comm_ = MPI_COMM_NULL;
  owned_ = false;
}

Status MpiCommunicator::Barrier() const {
  return MpiStatus(MPI_Barrier(comm_), "MPI_Barrier");
}

Result<MinMax> MpiCommunicator::AllMinMax(std::span<const int64_t> values) const {
  MinMax out;
  out.min.resize(values.size());
  out.max.resize(values.size());
  const int n = static_cast<int>(values.size());
  TS_RETURN_IF_ERROR(MpiStatus(
      MPI_Allreduce(values.data(), out.min.data(), n, MPI_INT64_T, MPI_MIN, comm_),
      "MPI_Allreduce"));
  TS_RETURN_IF_ERROR(MpiStatus(
      MPI_Allreduce(values.data(), out.max.data(), n, MPI_INT64_T, MPI_MAX, comm_),
      "MPI_Allreduce"));
  return out;
}

Result<double> MpiCommunicator::ReduceMax(double value, int root) const {
  double out = value;
  TS_RETURN_IF_ERROR(
      MpiStatus(MPI_Reduce(&value, &out, 1, MPI_DOUBLE, MPI_MAX, root, comm_), "MPI_Reduce"));
  return rank_ == root ? out : value;
}

Result<double> MpiCommunicator::ReduceSum(double value, int root) const {
  double out = value;
  TS_RETURN_IF_ERROR(
      MpiStatus(MPI_Reduce(&value, &out, 1, MPI_DOUBLE, MPI_SUM, root, comm_), "MPI_Reduce"));
  return rank_ == root ? out : value;
}

Status MpiCommunicator::AllGatherRaw(const void* mine, size_t mine_count,
                                     const GatherLayout& layout, void* all, size_t all_count,
                                     MPI_Datatype type) const {
  if (layout.counts.size() != static_cast<size_t>(size_) ||
      mine_count != static_cast<size_t>(layout.counts[static_cast<size_t>(rank_)]) ||
      all_count != static_cast<size_t>(layout.total)) {
    return InvalidArgumentError(
        "MPI process {}: all-gather of {} elements into {} does not fit its layout ({} "
        "processes, {} elements here, {} in all)",
        rank_, mine_count, all_count, layout.counts.size(),
        layout.counts.size() == static_cast<size_t>(size_)
            ? layout.counts[static_cast<size_t>(rank_)]
            : -1,
        layout.total);
  }
  return MpiStatus(MPI_Allgatherv(mine, static_cast<int>(mine_count), type, all,
                                  layout.counts.data(), layout.displs.data(), type, comm_),
                   "MPI_Allgatherv");
}

Status MpiCommunicator::Broadcast(std::string* bytes, int root) const {
  int64_t size = static_cast<int64_t>(bytes->size());
  TS_RETURN_IF_ERROR(MpiStatus(MPI_Bcast(&size, 1, MPI_INT64_T, root, comm_), "MPI_Bcast"));
  if (size > INT_MAX) {
    return OutOfRangeError("broadcast of {} bytes exceeds MPI's int counts", size);
  }
  bytes->resize(static_cast<size_t>(size));
  return MpiStatus(MPI_Bcast(bytes->data(), static_cast<int>(size), MPI_CHAR, root, comm_),
                   "MPI_Bcast");
}

Result<std::vector<std::string>> MpiCommunicator::Gather(std::string_view mine, int root) const {
  const int64_t my_size = static_cast<int64_t>(mine.size());
  std::vector<int64_t> sizes(rank_ == root ? static_cast<size_t>(size_) : 0);
  TS_RETURN_IF_ERROR(MpiStatus(
      MPI_Gather(&my_size, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T, root, comm_),
      "MPI_Gather"));
  // Every process must agree whether the gather fits in int counts, or some would hang.
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  TS_RETURN_IF_ERROR(MpiStatus(MPI_Bcast(&total, 1, MPI_INT64_T, root, comm_), "MPI_Bcast"));
  if (total > INT_MAX) return OutOfRangeError("gather of {} bytes exceeds MPI's int counts", total);
  GatherLayout layout;
  if (rank_ == root) {
    TS_ASSIGN_OR_RETURN(layout, GatherLayout::FromCounts(sizes));
  }
  std::string all(static_cast<size_t>(layout.total), '\0');
  TS_RETURN_IF_ERROR(MpiStatus(
      MPI_Gatherv(mine.data(), static_cast<int>(mine.size()), MPI_CHAR, all.data(),
                  layout.counts.data(), layout.displs.data(), MPI_CHAR, root, comm_),
      "MPI_Gatherv"));
  std::vector<std::string> out;
  if (rank_ != root) return out;
  out.reserve(static_cast<size_t>(size_));
  for (int p = 0; p < size_; ++p) {
    out.push_back(all.substr(static_cast<size_t>(layout.displs[static_cast<size_t>(p)]),
                             static_cast<size_t>(layout.counts[static_cast<size_t>(p)])));
  }
  return out;
}

}  // namespace trainscope
