// SPDX-License-Identifier: Apache-2.0
// Chrome-JSON export of a JobTrace for the Perfetto UI (see perfetto_export.h).
#include "model/perfetto_export.h"

#include <fmt/core.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

#include "base/json_writer.h"
#include "model/collective_match.h"

namespace trainscope::model {
namespace {

constexpr size_t kFlushBytes = size_t{1} << 20;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// Microseconds with exactly three decimals, from integer ns (no rounding error).
std::string Micros(int64_t ns) {
  const char* sign = ns < 0 ? "-" : "";
  uint64_t abs = ns < 0 ? static_cast<uint64_t>(-ns) : static_cast<uint64_t>(ns);
  return fmt::format("{}{}.{:03}", sign, abs / 1000, abs % 1000);
}

std::string TrackName(const RankTrace& rank, const Track& track) {
  std::string_view name = rank.strings.Get(track.name);
  std::string base = track.gpu ? fmt::format("GPU {} stream {}", track.pid, track.tid)
                               : fmt::format("thread {}", track.tid);
  return name.empty() ? base : fmt::format("{} ({})", base, name);
}

template <typename T>
void Metadata(JsonWriter& out, std::string_view name, int64_t pid, int64_t tid,
              std::string_view key, const T& value) {
  out.BeginObject().Field("ph", "M").Field("name", name).Field("pid", pid).Field("tid", tid);
  out.Key("args").BeginObject().Field(key, value).EndObject().EndObject();
}

}  // namespace

Result<PerfettoExportStats> WritePerfettoJson(const JobTrace& job, const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wb"));
  if (!file) return IoError("{}: cannot open for writing: {}", path, std::strerror(errno));
  JsonWriter out(file.get());
  PerfettoExportStats stats;
  int64_t origin = std::numeric_limits<int64_t>::max();
  for (const RankTrace& rank : job.ranks) {
    if (rank.events.size() > 0) origin = std::min(origin, rank.events.ts[0]);
  }
  if (origin == std::numeric_limits<int64_t>::max()) origin = 0;

  out.BeginObject().Field("displayTimeUnit", "ns").Key("traceEvents").BeginArray();
  for (const RankTrace& rank : job.ranks) {
    Metadata(out, "process_name", rank.rank, 0, "name", fmt::format("rank {}", rank.rank));
    Metadata(out, "process_sort_index", rank.rank, 0, "sort_index", rank.rank);
    for (size_t t = 0; t < rank.tracks.size(); ++t) {
      Metadata(out, "thread_name", rank.rank, static_cast<int64_t>(t), "name",
               TrackName(rank, rank.tracks[t]));
    }
    const EventTable& e = rank.events;
    for (size_t i = 0; i < e.size(); ++i) {
      out.BeginObject().Field("ph", "X").Field("name", rank.strings.Get(e.name[i]));
      out.Field("cat", EventKindName(e.kind[i])).Field("pid", rank.rank);
      out.Field("tid", e.track[i].value());
      out.Key("ts").Raw(Micros(e.ts[i] - origin)).Key("dur").Raw(Micros(e.dur[i]));
      if (e.step[i].valid()) {
        out.Key("args").BeginObject().Field("step", rank.steps[e.step[i].value()].number);
        out.EndObject();
      }
      out.EndObject();
      ++stats.slices;
      if (out.str().size() > kFlushBytes) {
        stats.bytes += out.str().size();
        out.Flush();
      }
    }
  }
  // Flow arrows: first member -> every other member of each matched collective instance.
  // "s" binds to the slice enclosing its ts on its track; "f" with "bp":"e" likewise.
  uint64_t flow_id = 1;
  for (const CollectiveInstance& instance : MatchCollectives(job)) {
    const auto& from = instance.members.front();
    const RankTrace& src = job.ranks[from.rank_index];
    EventId src_event = src.collectives.event[from.row];
    std::string name(CollectiveTypeName(src.collectives.type[from.row]));
    for (size_t m = 1; m < instance.members.size(); ++m) {
      const RankTrace& dst = job.ranks[instance.members[m].rank_index];
      EventId dst_event = dst.collectives.event[instance.members[m].row];
      out.BeginObject().Field("ph", "s").Field("id", flow_id).Field("name", name);
      out.Field("cat", "collective").Field("pid", src.rank);
      out.Field("tid", src.events.track[src_event.value()].value());
      out.Key("ts").Raw(Micros(src.events.ts[src_event.value()] - origin)).EndObject();
      out.BeginObject().Field("ph", "f").Field("bp", "e").Field("id", flow_id);
      out.Field("name", name).Field("cat", "collective").Field("pid", dst.rank);
      out.Field("tid", dst.events.track[dst_event.value()].value());
      out.Key("ts").Raw(Micros(dst.events.ts[dst_event.value()] - origin)).EndObject();
      ++flow_id;
      ++stats.flows;
    }
  }
  out.EndArray().EndObject();
  stats.bytes += out.str().size();
  out.Flush();
  if (std::fflush(file.get()) != 0 || std::ferror(file.get())) {
    return IoError("{}: write failed: {}", path, std::strerror(errno));
  }
  return stats;
}

}  // namespace trainscope::model
