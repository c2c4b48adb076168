// SPDX-License-Identifier: Apache-2.0
// All-or-nothing outputs: earlier entries moved aside, restored when the run fails.
#include "cli/app/output_transaction.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <system_error>
#include <utility>

#include "base/utf8.h"

namespace trainscope::cli {

namespace fs = std::filesystem;

namespace {

bool MatchesPattern(const std::string& name, const std::string& pattern) {
  const size_t star = pattern.find('*');
  if (star == std::string::npos) return name == pattern;
  const size_t tail = pattern.size() - star - 1;
  return name.size() >= star + tail && name.compare(0, star, pattern, 0, star) == 0 &&
         name.compare(name.size() - tail, tail, pattern, star + 1, tail) == 0;
}

bool MatchesAny(const std::string& name, const std::vector<std::string>& patterns) {
  for (const std::string& p : patterns) {
    if (MatchesPattern(name, p)) return true;
  }
  return false;
}

// The names in `dir` matching `patterns` (sorted; none when `dir` cannot be read).
std::vector<std::string> MatchingEntries(const fs::path& dir,
                                         const std::vector<std::string>& patterns) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (MatchesAny(name, patterns)) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

Status CheckOutputFolder(const fs::path& dest, const std::vector<std::string>& patterns,
                         bool force) {
  std::error_code ec;
  if (force || !fs::is_directory(dest, ec)) return OkStatus();
  std::vector<std::string> others;
  fs::directory_iterator it(dest, ec);
  if (ec) return IoError("{}: cannot read the output folder: {}", dest.string(), ec.message());
  for (fs::directory_iterator end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!MatchesAny(name, patterns)) others.push_back(std::move(name));
  }
  if (others.empty()) return OkStatus();
  std::sort(others.begin(), others.end());
  std::string named;
  constexpr size_t kNamed = 3;
  for (size_t k = 0; k < others.size() && k < kNamed; ++k) {
    named += fmt::format("{}'{}'", k == 0 ? "" : ", ", PrintableText(others[k]));
  }
  if (others.size() > kNamed) named += fmt::format(" and {} more", others.size() - kNamed);
  return FailedPreconditionError(
      "{}: the output folder already holds files this command does not write ({}); give a new or "
      "empty folder, or --force to write beside them",
      PrintableText(dest.string()), named);
}

void NoteReplaced(const OutputTransaction& transaction, const std::string& dest, bool quiet) {
  if (quiet || transaction.replaced().empty()) return;
  const std::vector<std::string>& replaced = transaction.replaced();
  constexpr size_t kNamed = 4;
  std::string names;
  for (size_t k = 0; k < replaced.size() && k < kNamed; ++k) {
    names += (k == 0 ? "" : ", ") + PrintableText(replaced[k]);
  }
  if (replaced.size() > kNamed) names += fmt::format(" and {} more", replaced.size() - kNamed);
  std::fprintf(stderr, "note: replaced the earlier %s in %s\n", names.c_str(),
               PrintableText(dest).c_str());
}

Result<OutputTransaction> OutputTransaction::Begin(const fs::path& dest,
                                                   std::vector<std::string> entries, bool force) {
  OutputTransaction t;
  t.entries_ = std::move(entries);
  std::error_code ec;
  // Absolute, without "." or "..": `--out .` and `--out out/` have a parent and a name.
  t.dest_ = fs::weakly_canonical(fs::absolute(dest, ec), ec);
  if (ec || t.dest_ == t.dest_.root_path() || !t.dest_.has_filename()) {
    return InvalidArgumentError("{}: not usable as an output folder ({})", dest.string(),
                                ec ? ec.message() : "the root");
  }
  const fs::file_status status = fs::status(t.dest_, ec);
  if (fs::exists(status) && !fs::is_directory(status)) {
    return FailedPreconditionError("{}: exists and is not a folder", dest.string());
  }
  TS_RETURN_IF_ERROR(CheckOutputFolder(dest, t.entries_, force));
  for (fs::path p = t.dest_; !fs::exists(fs::symlink_status(p, ec)) && p != p.parent_path();
       p = p.parent_path()) {
    t.created_.insert(t.created_.begin(), p);
  }
  t.active_ = true;  // from here on the destructor restores the destination
  fs::create_directories(t.dest_, ec);
  if (ec) return IoError("{}: cannot create the folder: {}", dest.string(), ec.message());
  t.aside_ = t.dest_.parent_path() / fmt::format(".{}.previous-{}", t.dest_.filename().string(),
                                                 static_cast<long>(getpid()));
  for (const std::string& name : t.entries_) {
    const fs::path entry = t.dest_ / name;
    if (!fs::exists(fs::symlink_status(entry, ec))) continue;
    if (t.moved_aside_.empty()) {
      fs::remove_all(t.aside_, ec);
      fs::create_directory(t.aside_, ec);
      if (ec) return IoError("{}: cannot create the folder: {}", t.aside_.string(), ec.message());
    }
    fs::rename(entry, t.aside_ / name, ec);
    if (ec) return IoError("{}: cannot move it aside: {}", entry.string(), ec.message());
    t.moved_aside_.push_back(name);
  }
  return t;
}

OutputTransaction::OutputTransaction(OutputTransaction&& other) noexcept
    : dest_(std::move(other.dest_)),
      aside_(std::move(other.aside_)),
      entries_(std::move(other.entries_)),
      moved_aside_(std::move(other.moved_aside_)),
      created_(std::move(other.created_)),
      active_(std::exchange(other.active_, false)) {}

OutputTransaction::~OutputTransaction() { Rollback(); }

void OutputTransaction::Commit() {
  if (!active_) return;
  active_ = false;
  std::error_code ec;
  if (!moved_aside_.empty()) fs::remove_all(aside_, ec);
}

void OutputTransaction::Rollback() {
  if (!active_) return;
  active_ = false;
  std::error_code ec;
  for (const std::string& name : entries_) fs::remove_all(dest_ / name, ec);
  for (const std::string& name : moved_aside_) fs::rename(aside_ / name, dest_ / name, ec);
  if (!moved_aside_.empty()) fs::remove(aside_, ec);  // empty unless a move back failed
  // Innermost first; fs::remove leaves a folder that is not empty.
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) fs::remove(*it, ec);
}

Result<StagedFolder> StagedFolder::Begin(const fs::path& dest, std::vector<std::string> patterns,
                                         bool force) {
  std::error_code ec;
  const fs::path absolute = fs::weakly_canonical(fs::absolute(dest, ec), ec);
  if (ec || absolute == absolute.root_path() || !absolute.has_filename()) {
    return InvalidArgumentError("{}: not usable as an output folder ({})", dest.string(),
                                ec ? ec.message() : "the root");
  }
  const fs::file_status status = fs::status(absolute, ec);
  if (fs::exists(status) && !fs::is_directory(status)) {
    return FailedPreconditionError("{}: exists and is not a folder", dest.string());
  }
  TS_RETURN_IF_ERROR(CheckOutputFolder(dest, patterns, force));
  StagedFolder s;
  s.dest_ = dest;
  s.patterns_ = std::move(patterns);
  // Beside the destination (same file system: the renames are atomic), created with it.
  fs::create_directories(absolute.parent_path(), ec);
  s.staging_ = (absolute.parent_path() / fmt::format(".{}.partial-{}", absolute.filename().string(),
                                                     static_cast<long>(getpid())))
                   .string();
  fs::remove_all(s.staging_, ec);
  if (!fs::create_directory(s.staging_, ec) || ec) {
    std::string staging = std::exchange(s.staging_, std::string());
    return IoError("{}: cannot create the folder: {}", staging, ec.message());
  }
  return s;
}

StagedFolder::StagedFolder(StagedFolder&& other) noexcept
    : dest_(std::move(other.dest_)),
      staging_(std::exchange(other.staging_, std::string())),
      patterns_(std::move(other.patterns_)) {}

StagedFolder::~StagedFolder() {
  std::error_code ec;
  if (!staging_.empty()) fs::remove_all(staging_, ec);
}

std::string StagedFolder::Published(const std::string& path) const {
  if (path.compare(0, staging_.size(), staging_) != 0) return path;
  return (dest_ / fs::path(path.substr(staging_.size())).relative_path()).string();
}

Status StagedFolder::Publish(bool quiet) {
  std::vector<std::string> staged = MatchingEntries(staging_, {"*"});
  // The earlier run's entries go too (they matched the patterns, or --force accepted them).
  std::vector<std::string> entries = MatchingEntries(dest_, patterns_);
  for (const std::string& name : staged) {
    if (std::find(entries.begin(), entries.end(), name) == entries.end()) entries.push_back(name);
  }
  TS_ASSIGN_OR_RETURN(OutputTransaction transaction,
                      OutputTransaction::Begin(dest_, std::move(entries), /*force=*/true));
  std::error_code ec;
  for (const std::string& name : staged) {
    fs::rename(fs::path(staging_) / name, dest_ / name, ec);
    if (ec) return IoError("{}: cannot move into place: {}", (dest_ / name).string(), ec.message());
  }
  transaction.Commit();
  NoteReplaced(transaction, dest_.string(), quiet);
  return OkStatus();
}

}  // namespace trainscope::cli
