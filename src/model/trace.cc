// SPDX-License-Identifier: Apache-2.0
// Names of the model's enums and the mapping from Kineto collective spellings to types.
#include "model/trace.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace trainscope::model {
namespace {

std::string Normalise(std::string_view name) {
  // "_allgather_base" -> "allgatherbase", "all_to_all" -> "alltoall", "AllReduce" -> "allreduce".
  std::string out;
  for (char c : name) {
    if (c == '_' || c == ' ' || c == '-') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string_view EventKindName(EventKind kind) {
  static constexpr std::array<std::string_view, kEventKindCount> kNames = {
      "kernel",          "memcpy",
      "memset",          "cpu_op",
      "cuda_runtime",    "python_function",
      "user_annotation", "gpu_user_annotation",
      "collective",      "other"};
  return kNames[static_cast<size_t>(kind)];
}

bool IsGpuKind(EventKind kind) {
  return kind == EventKind::kKernel || kind == EventKind::kMemcpy || kind == EventKind::kMemset ||
         kind == EventKind::kCollective || kind == EventKind::kGpuUserAnnotation;
}

std::string_view CollectiveTypeName(CollectiveType type) {
  static constexpr std::array<std::string_view, kCollectiveTypeCount> kNames = {
      "all_reduce", "all_gather", "reduce_scatter", "all_to_all", "broadcast",
      "send",       "recv",       "barrier",        "send_recv",  "other"};
  return kNames[static_cast<size_t>(type)];
}

CollectiveType ParseCollectiveType(std::string_view name) {
  std::string n = Normalise(name);
  // Order matters: "reducescatter" contains "reduce", "allgatherbase" starts with "allgather".
  if (StartsWith(n, "allreduce")) return CollectiveType::kAllReduce;
  if (StartsWith(n, "allgather")) return CollectiveType::kAllGather;
  if (StartsWith(n, "reducescatter")) return CollectiveType::kReduceScatter;
  if (StartsWith(n, "alltoall")) return CollectiveType::kAllToAll;
  if (StartsWith(n, "broadcast")) return CollectiveType::kBroadcast;
  if (StartsWith(n, "sendrecv")) return CollectiveType::kSendRecv;
  if (StartsWith(n, "send")) return CollectiveType::kSend;
  if (StartsWith(n, "recv")) return CollectiveType::kRecv;
  if (StartsWith(n, "barrier")) return CollectiveType::kBarrier;
  return CollectiveType::kOther;
}

bool ParseNcclKernelName(std::string_view kernel_name, CollectiveType* type) {
  std::string_view rest;
  if (StartsWith(kernel_name, "ncclKernel_")) {
    rest = kernel_name.substr(11);
  } else if (StartsWith(kernel_name, "ncclDevKernel_")) {
    rest = kernel_name.substr(14);
  } else {
    return false;
  }
  *type = ParseCollectiveType(rest.substr(0, rest.find('_')));
  return true;
}

std::string_view ClockSourceName(ClockSource source) {
  switch (source) {
    case ClockSource::kBaseTime:
      return "base_time";
    case ClockSource::kReference:
      return "reference";
    case ClockSource::kCollectiveEnds:
      return "collective_ends";
    case ClockSource::kNone:
      return "none";
  }
  return "none";
}

size_t RankTrace::MemoryBytes() const {
  const EventTable& e = events;
  size_t bytes = e.ts.capacity() * 8 + e.dur.capacity() * 8 + e.name.capacity() * 4 +
                 e.kind.capacity() + e.track.capacity() * 4 + e.correlation.capacity() * 8 +
                 e.external_id.capacity() * 8 + e.link.capacity() * 4 + e.step.capacity() * 4;
  const CollectiveTable& c = collectives;
  bytes += c.size() * (4 + 1 + 8 + 8 + 4 + 8 + 4 + 8 + 8 + 4);
  bytes += tracks.capacity() * sizeof(Track) + steps.capacity() * sizeof(Step);
  return bytes + strings.MemoryBytes();
}

const RankTrace* JobTrace::FindRank(int rank) const {
  auto it = std::lower_bound(ranks.begin(), ranks.end(), rank,
                             [](const RankTrace& r, int value) { return r.rank < value; });
  return it != ranks.end() && it->rank == rank ? &*it : nullptr;
}

}  // namespace trainscope::model
