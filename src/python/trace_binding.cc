// SPDX-License-Identifier: Apache-2.0
// trainscope.read_trace(path): a Kineto trace read as `trainscope trace info` reads it
// (ingest::kineto::ReadKinetoJob), its summary (model::WriteSummaryJson, the CLI's --json), and
// each rank's EventTable and CollectiveTable columns as NumPy arrays over the model's own
// memory (no copy; the arrays keep the trace alive).
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "ingest/kineto/kineto_reader.h"
#include "model/trace.h"
#include "model/trace_summary.h"
#include "python/binding.h"

namespace trainscope::python {
namespace {

struct TraceRun {
  model::JobTrace job;
  std::string summary_json;  // `trainscope trace info --json`, without the trailing newline
};
using TracePtr = std::shared_ptr<TraceRun>;

Result<TracePtr> Load(const std::string& path, int threads, bool strict) {
  ingest::kineto::ReadOptions options;
  options.threads = threads;
  auto out = std::make_shared<TraceRun>();
  TS_ASSIGN_OR_RETURN(out->job, ingest::kineto::ReadKinetoJob(path, options));
  if (strict) TS_RETURN_IF_ERROR(DataLossStatus(out->job.diagnostics));
  JsonWriter w(nullptr, /*pretty=*/true);
  model::WriteSummaryJson(model::Summarise(out->job), out->job.diagnostics, w);
  out->summary_json = w.TakeString();
  return TracePtr(std::move(out));
}

const model::RankTrace& RankOf(const TracePtr& t, int rank) {
  const model::RankTrace* r = t->job.FindRank(rank);
  if (r == nullptr) {
    std::string ranks;
    for (const model::RankTrace& each : t->job.ranks) {
      ranks += (ranks.empty() ? "" : ", ") + std::to_string(each.rank);
    }
    Raise(NotFoundError("rank {} is not in the trace (ranks: {})", rank, ranks));
  }
  return *r;
}

// A strong-id column (uint32 ids, Invalid = 2^32 - 1) as a uint32 view.
template <typename Id>
py::array IdView(const Column<Id>& column, const TracePtr& t) {
  static_assert(sizeof(Id) == sizeof(typename Id::rep_type));
  return ColumnView(reinterpret_cast<const typename Id::rep_type*>(column.data()), column.size(),
                    t);
}

template <typename Enum>
py::array EnumView(const Column<Enum>& column, const TracePtr& t) {
  return ColumnView(reinterpret_cast<const uint8_t*>(column.data()), column.size(), t);
}

py::dict Events(const TracePtr& t, int rank) {
  const model::EventTable& e = RankOf(t, rank).events;
  py::dict d;
  d["ts"] = ColumnView(e.ts.data(), e.size(), t);
  d["dur"] = ColumnView(e.dur.data(), e.size(), t);
  d["name"] = IdView(e.name, t);
  d["kind"] = EnumView(e.kind, t);
  d["track"] = IdView(e.track, t);
  d["correlation"] = ColumnView(e.correlation.data(), e.size(), t);
  d["external_id"] = ColumnView(e.external_id.data(), e.size(), t);
  d["link"] = IdView(e.link, t);
  d["step"] = IdView(e.step, t);
  return d;
}

py::dict Collectives(const TracePtr& t, int rank) {
  const model::CollectiveTable& c = RankOf(t, rank).collectives;
  py::dict d;
  d["event"] = IdView(c.event, t);
  d["type"] = EnumView(c.type, t);
  d["in_nelems"] = ColumnView(c.in_nelems.data(), c.size(), t);
  d["out_nelems"] = ColumnView(c.out_nelems.data(), c.size(), t);
  d["dtype"] = IdView(c.dtype, t);
  d["bytes"] = ColumnView(c.bytes.data(), c.size(), t);
  d["group"] = IdView(c.group, t);
  d["seq"] = ColumnView(c.seq.data(), c.size(), t);
  d["stream"] = ColumnView(c.stream.data(), c.size(), t);
  d["group_size"] = ColumnView(c.group_size.data(), c.size(), t);
  return d;
}

std::vector<std::string> Strings(const TracePtr& t, int rank) {
  const model::RankTrace& r = RankOf(t, rank);
  std::vector<std::string> out;
  out.reserve(r.strings.size());
  for (size_t i = 0; i < r.strings.size(); ++i) {
    out.emplace_back(r.strings.Get(model::StringId(static_cast<uint32_t>(i))));
  }
  return out;
}

std::vector<std::string> KindNames() {
  std::vector<std::string> names;
  for (int k = 0; k < model::kEventKindCount; ++k) {
    names.emplace_back(model::EventKindName(static_cast<model::EventKind>(k)));
  }
  return names;
}

// One rank's events as a DataFrame: name and kind as categoricals over the rank's string pool
// and the kind names (codes are the model's ids), ids left as uint32.
py::object EventsFrame(const TracePtr& t, int rank) {
  py::dict frames = ToPandas(py::dict(py::arg("events") = Events(t, rank)));
  py::object frame = frames["events"];
  py::module_ pandas = py::module_::import("pandas");
  py::object categorical = pandas.attr("Categorical").attr("from_codes");
  frame["name"] = categorical(frame["name"].attr("astype")("int64"), Strings(t, rank));
  frame["kind"] = categorical(frame["kind"], KindNames());
  return frame;
}

std::vector<int> Ranks(const TracePtr& t) {
  std::vector<int> ranks;
  for (const model::RankTrace& r : t->job.ranks) ranks.push_back(r.rank);
  return ranks;
}

}  // namespace

void BindTrace(py::module_& m) {
  py::class_<TraceRun, TracePtr>(m, "Trace",
                                 "A Kineto trace in trainscope's model: summary (the `trace info "
                                 "--json` document) and columnar per-rank tables")
      .def_property_readonly("ranks", Ranks)
      .def_property_readonly("world_size", [](const TracePtr& t) { return t->job.world_size; })
      .def_property_readonly("summary",
                             [](const TracePtr& t) { return ParseJson(t->summary_json); })
      .def_property_readonly("diagnostics",
                             [](const TracePtr& t) { return DiagnosticsList(t->job.diagnostics); })
      .def_property_readonly_static(
          "event_kinds", [](const py::object&) { return KindNames(); },
          "Names of the `kind` codes of events()")
      .def("events", Events, py::arg("rank"),
           "The rank's EventTable: {column: NumPy array} over the model's memory (read-only, no "
           "copy). ts/dur int64 ns on the job clock; name indexes strings(rank); kind indexes "
           "event_kinds; ids are uint32 with 4294967295 = none")
      .def("collectives", Collectives, py::arg("rank"), "The rank's CollectiveTable (no copy)")
      .def("strings", Strings, py::arg("rank"), "The rank's string pool (name ids index it)")
      .def("to_pandas", EventsFrame, py::arg("rank"),
           "The rank's events as a DataFrame (name and kind as categoricals)")
      .def(
          "to_json", [](const TracePtr& t) { return t->summary_json; },
          "The `trainscope trace info --json` document, as the CLI prints it")
      .def("__repr__", [](const TracePtr& t) {
        return "<trainscope.Trace " + std::to_string(t->job.ranks.size()) + " rank(s), world " +
               std::to_string(t->job.world_size) + ">";
      });
  m.def(
      "read_trace",
      [](const std::string& path, int threads, bool strict) {
        return RunAndRaise<TracePtr>(
            [path, threads, strict] { return Load(path, threads, strict); });
      },
      py::arg("path"), py::arg("threads") = 0, py::arg("strict") = false,
      "Reads a Kineto trace (.json/.json.gz file or folder of per-rank files) as `trainscope "
      "trace info PATH` does; strict=True: the CLI's --strict (data loss raises InputError)");
}

}  // namespace trainscope::python
