// SPDX-License-Identifier: Apache-2.0
// All-or-nothing outputs in a folder. A command names the entries it writes (files or
// sub-folders of the destination); Begin() moves same-named entries already there aside (a
// symlink is moved as a link, never followed) and creates the folder if needed; the command
// writes in place, under the final paths; Commit() drops what was moved aside. Destroyed without
// Commit() (a failed run), it removes the entries written, puts the earlier ones back and
// removes the folders it created: the destination is as before the run. Other entries of the
// destination are never touched, but a destination that holds entries the command does not write
// (someone's home folder, another tool's output) is refused unless the user forces it: outputs
// mixed into such a folder could not be told apart or cleaned up. Not thread-safe; one
// transaction per destination.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"

namespace trainscope::cli {

class OutputTransaction {
 public:
  // `entries`: names (no '/') of what the run writes in `dest`. An existing `dest` that is not a
  // folder is an error. Earlier entries go to `<parent>/.<name>.previous-<pid>/`.
  // Unless `force`, a `dest` holding any entry not named in `entries` is refused
  // (kFailedPrecondition naming a few of them and --force).
  static Result<OutputTransaction> Begin(const std::filesystem::path& dest,
                                         std::vector<std::string> entries, bool force);

  // The names moved aside (earlier outputs this run replaces), for a note to the user.
  const std::vector<std::string>& replaced() const { return moved_aside_; }

  OutputTransaction(OutputTransaction&& other) noexcept;
  OutputTransaction& operator=(OutputTransaction&&) = delete;
  OutputTransaction(const OutputTransaction&) = delete;
  ~OutputTransaction();

  // Keeps what the run wrote; removes the earlier entries moved aside.
  void Commit();

 private:
  OutputTransaction() = default;
  void Rollback();

  std::filesystem::path dest_;
  std::filesystem::path aside_;  // earlier entries, while the run lasts
  std::vector<std::string> entries_;
  std::vector<std::string> moved_aside_;        // entries_ that existed before
  std::vector<std::filesystem::path> created_;  // folders created, outermost first
  bool active_ = false;
};

// Refuses (kFailedPrecondition) an existing `dest` folder that holds an entry matching none of
// `patterns` (a name, or a name with one '*' standing for any text: "rank-*.json"), unless
// `force`. A missing or empty folder, or one holding only such entries, is fine.
Status CheckOutputFolder(const std::filesystem::path& dest,
                         const std::vector<std::string>& patterns, bool force);

// For a command whose library names the files it writes in a folder (workload synth, minder
// train): the library writes into a fresh staging folder beside `dest`; Publish() then moves
// every staged entry into `dest` through an OutputTransaction that also replaces the earlier
// entries matching `patterns` (a run with fewer ranks leaves no rank files of the last one). A
// failed run, or a StagedFolder destroyed unpublished, leaves `dest` as it was.
class StagedFolder {
 public:
  // Checks `dest` (CheckOutputFolder with `patterns`) before any work is done.
  static Result<StagedFolder> Begin(const std::filesystem::path& dest,
                                    std::vector<std::string> patterns, bool force);
  StagedFolder(StagedFolder&& other) noexcept;
  StagedFolder& operator=(StagedFolder&&) = delete;
  StagedFolder(const StagedFolder&) = delete;
  ~StagedFolder();

  // Where the library writes (created by Begin).
  const std::string& staging() const { return staging_; }
  // `path` under staging() as it will be under the destination (for the files a summary lists).
  std::string Published(const std::string& path) const;
  // Moves the staged entries into the destination, all or nothing; notes what it replaced
  // unless `quiet`.
  Status Publish(bool quiet);

 private:
  StagedFolder() = default;
  std::filesystem::path dest_;
  std::string staging_;
  std::vector<std::string> patterns_;
};

// "note: replaced the earlier report.html, demo.json in DIR" on stderr (nothing when none was
// replaced, or when `quiet`: --quiet / --json).
void NoteReplaced(const OutputTransaction& transaction, const std::string& dest, bool quiet);

}  // namespace trainscope::cli
