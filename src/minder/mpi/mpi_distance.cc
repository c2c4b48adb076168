// SPDX-License-Identifier: Apache-2.0
// Row-partitioned pairwise distances over MPI ranks, all-gathered.
#include "minder/mpi/mpi_distance.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "base/mpi/mpi_support.h"
#include "base/parallel.h"
#include "minder/internal/kernels.h"

namespace trainscope::minder::mpi {

std::pair<int, int> RowRange(int n, int rank, int ranks) {
  const int64_t begin = static_cast<int64_t>(n) * rank / ranks;
  const int64_t end = static_cast<int64_t>(n) * (rank + 1) / ranks;
  return {static_cast<int>(begin), static_cast<int>(end)};
}

Status MeanPairwiseDistancesMpi(MPI_Comm comm, int dims, std::span<const float* const> et,
                                std::span<const int> n, std::span<float* const> score,
                                int threads) {
  TS_ASSIGN_OR_RETURN(MpiCommunicator borrowed, MpiCommunicator::Borrow(comm));
  return MeanPairwiseDistancesMpi(borrowed, dims, et, n, score, threads);
}

Status MeanPairwiseDistancesMpi(const MpiCommunicator& comm, int dims,
                                std::span<const float* const> et, std::span<const int> n,
                                std::span<float* const> score, int threads) {
  if (et.size() != n.size() || score.size() != n.size()) {
    return InvalidArgumentError("{} embedding sets, {} sizes, {} outputs: one each per window",
                                et.size(), n.size(), score.size());
  }
  const int rank = comm.rank(), ranks = comm.size();
  // Rank r's rows of every window, back to back: the send buffer, and r's block of the gather.
  std::vector<int64_t> rows_of(static_cast<size_t>(ranks), 0);
  for (int r = 0; r < ranks; ++r) {
    for (int w : n) {
      auto [b, e] = RowRange(w, r, ranks);
      rows_of[static_cast<size_t>(r)] += e - b;
    }
  }
  Result<GatherLayout> layout = GatherLayout::FromCounts(rows_of);
  if (!layout.has_value()) {
    return InvalidArgumentError("{}; call per channel or fewer windows at a time",
                                layout.error().message());
  }
  const std::vector<int>& displs = layout->displs;
  std::vector<float> mine(static_cast<size_t>(layout->counts[static_cast<size_t>(rank)]));
  // This rank's rows as blocks of about kPairs pairs (a row's value does not depend on its block).
  struct Block {
    size_t window, at;
    int begin, end;
  };
  constexpr int64_t kPairs = int64_t{1} << 18;
  std::vector<Block> blocks;
  size_t at = 0;
  for (size_t w = 0; w < n.size(); ++w) {
    auto [b, e] = RowRange(n[w], rank, ranks);
    const int rows = static_cast<int>(std::max<int64_t>(1, kPairs / std::max(1, n[w])));
    for (int first = b; first < e; first += rows) {
      const int last = std::min(e, first + rows);
      blocks.push_back({w, at, first, last});
      at += static_cast<size_t>(last - first);
    }
  }
  ParallelFor(blocks.size(), threads, [&](size_t k) {
    const Block& blk = blocks[k];
    internal::MeanDistancesRows(et[blk.window], dims, n[blk.window], blk.begin, blk.end,
                                mine.data() + blk.at);
  });
  std::vector<float> all(static_cast<size_t>(layout->total));
  TS_RETURN_IF_ERROR(comm.AllGather<float>(mine, *layout, all));
  // Unpack: rank r's block holds its rows of window 0, then of window 1, ...
  for (int r = 0; r < ranks; ++r) {
    size_t from = static_cast<size_t>(displs[static_cast<size_t>(r)]);
    for (size_t w = 0; w < n.size(); ++w) {
      auto [b, e] = RowRange(n[w], r, ranks);
      for (int i = b; i < e; ++i) score[w][i] = all[from++];
    }
  }
  return OkStatus();
}

}  // namespace trainscope::minder::mpi
