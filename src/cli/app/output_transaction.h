// SPDX-License-Identifier: Apache-2.0
// All-or-nothing outputs in a folder. A command names the entries it writes (files or
// sub-folders of the destination); Begin() moves same-named entries already there aside (a
// symlink is moved as a link, never followed) and creates the folder if needed; the command
// writes in place, under the final paths; Commit() drops what was moved aside. Destroyed without
// Commit() (a failed run), it removes the entries written, puts the earlier ones back and
// removes the folders it created: the destination is as before the run. Other entries of the
// destination are never touched. Not thread-safe; one transaction per destination.
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
  static Result<OutputTransaction> Begin(const std::filesystem::path& dest,
                                         std::vector<std::string> entries);

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

}  // namespace trainscope::cli
