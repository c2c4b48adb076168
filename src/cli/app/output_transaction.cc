// SPDX-License-Identifier: Apache-2.0
// All-or-nothing outputs: earlier entries moved aside, restored when the run fails.
#include "cli/app/output_transaction.h"

#include <fmt/format.h>
#include <unistd.h>

#include <system_error>
#include <utility>

namespace trainscope::cli {

namespace fs = std::filesystem;

Result<OutputTransaction> OutputTransaction::Begin(const fs::path& dest,
                                                   std::vector<std::string> entries) {
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

}  // namespace trainscope::cli
