// SPDX-License-Identifier: Apache-2.0
// ReadKinetoJob: files -> ranks (in parallel) -> checks across files -> one aligned JobTrace.
#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <set>

#include "base/byte_source.h"
#include "base/parallel.h"
#include "base/progress.h"
#include "ingest/kineto/kineto_reader.h"
#include "model/clock_align.h"

namespace trainscope::ingest::kineto {
namespace {

namespace fs = std::filesystem;
using model::JobTrace;

struct RankFile {
  RankFileInfo info;
  std::optional<model::RankTrace> trace;
  Diagnostics diagnostics;
  Status status;
};

// "rank-3", "rank_3", "rank3", "worker3" in the file name -> 3.
std::optional<int> RankFromFileName(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  for (std::string_view word : {"rank", "worker"}) {
    for (size_t at = name.find(word); at != std::string::npos; at = name.find(word, at + 1)) {
      size_t i = at + word.size();
      if (i < name.size() && (name[i] == '-' || name[i] == '_')) ++i;
      size_t digits = i;
      while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits]))) {
        ++digits;
      }
      if (digits > i && digits - i < 7) return std::stoi(name.substr(i, digits - i));
    }
  }
  return std::nullopt;
}

std::string FormatRanges(const std::vector<int64_t>& values) {
  std::string out;
  for (size_t i = 0; i < values.size();) {
    size_t j = i;
    while (j + 1 < values.size() && values[j + 1] == values[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += j == i ? fmt::format("{}", values[i]) : fmt::format("{}-{}", values[i], values[j]);
    i = j + 1;
  }
  return out;
}

// Decides each file's rank and the job's world size; rejects files of different jobs.
Status PlaceRanks(std::vector<RankFile>& files, JobTrace* job) {
  const RankFile* first_info = nullptr;
  for (RankFile& file : files) {
    model::RankTrace& trace = *file.trace;
    if (file.info.has_distributed_info) {
      if (first_info == nullptr) {
        first_info = &file;
        job->world_size = file.info.world_size;
        continue;
      }
      const RankFileInfo& ref = first_info->info;
      if (file.info.world_size != ref.world_size) {
        return InvalidArgumentError(
            "{}: world_size {} differs from world_size {} in {}: a rank file from another job?",
            trace.source, file.info.world_size, ref.world_size, first_info->trace->source);
      }
      // Each rank lists the process groups it belongs to, so the lists may differ between
      // ranks (TP/DP/PP groups); the same group name with other members cannot.
      for (const model::ProcessGroup& mine : file.info.pg_config) {
        for (const model::ProcessGroup& theirs : ref.pg_config) {
          if (mine.name == theirs.name && mine.ranks != theirs.ranks) {
            return InvalidArgumentError(
                "{}: distributedInfo.pg_config differs from the one in {}: process group '{}' "
                "has {} member(s) here and {} there: a rank file from another job?",
                trace.source, first_info->trace->source, mine.name, mine.ranks.size(),
                theirs.ranks.size());
          }
        }
      }
      continue;
    }
    if (std::optional<int> rank = RankFromFileName(trace.source)) {
      trace.rank = *rank;
      job->diagnostics.Add("rank_from_file_name", trace.source, "",
                           fmt::format("{}: no distributedInfo; rank {} taken from the file name",
                                       trace.source, *rank));
    } else if (files.size() == 1) {
      trace.rank = 0;
      job->diagnostics.Add(
          "no_distributed_info", trace.source, "",
          fmt::format("{}: no distributedInfo; read as rank 0 of a 1-rank job", trace.source));
    } else {
      return InvalidArgumentError(
          "{}: no distributedInfo and no rank in the file name (rank-N, workerN): cannot tell "
          "which rank it is",
          trace.source);
    }
  }
  int max_rank = 0;
  for (const RankFile& file : files) max_rank = std::max(max_rank, file.trace->rank);
  if (job->world_size == 0) job->world_size = max_rank + 1;
  for (const RankFile& file : files) {
    if (file.trace->rank >= job->world_size) {
      return InvalidArgumentError("{}: rank {} (from its file name) is outside world_size {}",
                                  file.trace->source, file.trace->rank, job->world_size);
    }
  }
  return OkStatus();
}

// Job-level warnings: missing ranks, steps some ranks lack; and the union of process groups.
void Summarise(JobTrace* job) {
  std::vector<int64_t> missing;
  for (int r = 0, i = 0; r < job->world_size; ++r) {
    if (i < static_cast<int>(job->ranks.size()) && job->ranks[static_cast<size_t>(i)].rank == r) {
      ++i;
    } else {
      missing.push_back(r);
    }
  }
  if (!missing.empty()) {
    job->diagnostics.Add("missing_ranks", "job", "",
                         fmt::format("{} of {} ranks present; missing ranks: {}", job->ranks.size(),
                                     job->world_size, FormatRanges(missing)));
  }
  std::set<int64_t> all_steps;
  for (const model::RankTrace& rank : job->ranks) {
    for (const model::Step& step : rank.steps) all_steps.insert(step.number);
  }
  for (const model::RankTrace& rank : job->ranks) {
    std::vector<int64_t> absent;
    for (int64_t step : all_steps) {
      bool has = std::any_of(rank.steps.begin(), rank.steps.end(),
                             [step](const model::Step& s) { return s.number == step; });
      if (!has) absent.push_back(step);
    }
    if (!absent.empty()) {
      job->diagnostics.Add("step_absent", rank.source, "",
                           fmt::format("rank {} has no ProfilerStep# {} that other ranks have",
                                       rank.rank, FormatRanges(absent)));
    }
    for (const model::ProcessGroup& pg : rank.process_groups) {
      auto same_name = [&pg](const model::ProcessGroup& g) { return g.name == pg.name; };
      auto it = std::find_if(job->process_groups.begin(), job->process_groups.end(), same_name);
      if (it == job->process_groups.end()) job->process_groups.push_back(pg);
    }
  }
}

}  // namespace

Result<JobTrace> ReadKinetoJobFromSources(std::vector<std::unique_ptr<ByteSource>> sources,
                                          const ReadOptions& options) {
  if (sources.empty()) return NotFoundError("no trace files given");
  std::vector<RankFile> files(sources.size());
  Progress progress("reading trace files", static_cast<int64_t>(sources.size()), "files");
  ParallelFor(sources.size(), options.threads, [&](size_t i) {
    Result<model::RankTrace> trace =
        ReadKinetoRank(*sources[i], &files[i].info, &files[i].diagnostics);
    if (trace.has_value()) {
      files[i].trace = std::move(trace).value();
    } else {
      files[i].status = trace.error();
    }
    progress.Advance();
  });
  progress.Finish();
  JobTrace job;
  for (RankFile& file : files) {
    TS_RETURN_IF_ERROR(file.status);
    job.diagnostics.Merge(file.diagnostics);
  }
  TS_RETURN_IF_ERROR(PlaceRanks(files, &job));
  std::vector<model::RankTrace> ranks;
  for (RankFile& file : files) ranks.push_back(std::move(*file.trace));
  std::stable_sort(
      ranks.begin(), ranks.end(),
      [](const model::RankTrace& a, const model::RankTrace& b) { return a.rank < b.rank; });
  for (size_t i = 1; i < ranks.size(); ++i) {
    if (ranks[i].rank == ranks[i - 1].rank) {
      return InvalidArgumentError("{}: duplicate rank {} (also in {})", ranks[i].source,
                                  ranks[i].rank, ranks[i - 1].source);
    }
  }
  job.ranks = std::move(ranks);
  Summarise(&job);
  model::AlignClocks(job);
  return job;
}

// Whether a file of a trace folder looks like a Kineto / Chrome trace: its first 64 KiB name a
// key only such traces have at the top (Kineto writes schemaVersion and distributedInfo first)
// or hold a trace event. A config or results file beside the traces does not.
Result<bool> LooksLikeTrace(const std::string& path) {
  TS_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, OpenByteSource(path));
  std::string head(64 * 1024, '\0');
  size_t size = 0;
  while (size < head.size()) {
    TS_ASSIGN_OR_RETURN(size_t n, source->Read(head.data() + size, head.size() - size));
    if (n == 0) break;
    size += n;
  }
  head.resize(size);
  for (std::string_view key : {"\"traceEvents\"", "\"schemaVersion\"", "\"distributedInfo\"",
                               "\"ph\""}) {
    if (head.find(key) != std::string::npos) return true;
  }
  return false;
}

Result<JobTrace> ReadKinetoJob(const std::string& path, const ReadOptions& options) {
  std::error_code ec;
  std::vector<std::string> paths;
  Diagnostics skipped;
  if (fs::is_directory(path, ec)) {
    if (std::string problem = FolderProblem(path); !problem.empty())
      return InvalidArgumentError("{}", problem);
    std::vector<std::string> candidates;
    for (const fs::directory_entry& entry : fs::directory_iterator(path, ec)) {
      std::string name = entry.path().filename().string();
      bool json = name.ends_with(".json") || name.ends_with(".json.gz");
      if (entry.is_regular_file(ec) && json) candidates.push_back(entry.path().string());
    }
    std::sort(candidates.begin(), candidates.end());
    for (const std::string& candidate : candidates) {
      TS_ASSIGN_OR_RETURN(bool trace, LooksLikeTrace(candidate));
      if (trace) {
        paths.push_back(candidate);
      } else {
        skipped.Add("not_a_trace_file", candidate, "",
                    "not a Kineto trace (no traceEvents, schemaVersion, distributedInfo or trace "
                    "event in its first 64 KiB): skipped");
      }
    }
    if (paths.empty()) {
      return NotFoundError("{}: no Kineto trace files in it ({} *.json / *.json.gz file(s), none "
                           "a trace)",
                           path, candidates.size());
    }
  } else {
    paths.push_back(path);  // opening it says what is wrong: missing, a symlink loop, a FIFO, ...
  }
  std::vector<std::unique_ptr<ByteSource>> sources;
  for (const std::string& p : paths) {
    TS_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, OpenByteSource(p));
    sources.push_back(std::move(source));
  }
  TS_ASSIGN_OR_RETURN(JobTrace job, ReadKinetoJobFromSources(std::move(sources), options));
  job.diagnostics.Merge(skipped);
  return job;
}

}  // namespace trainscope::ingest::kineto
