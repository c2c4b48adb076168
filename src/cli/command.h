// SPDX-License-Identifier: Apache-2.0
// How a subcommand joins the `trainscope` CLI: each `*_command.cc` file in src/cli/ defines a
// function that adds its CLI11 subcommand(s) and registers it with TS_REGISTER_COMMAND. main.cc
// never lists the commands, so capabilities add theirs without touching shared files.
//
// Conventions every command follows (README "Exit codes"): exit 0 ok, 2 usage error, 3 bad
// input (the message names the file and place), 4 internal error. `--json` prints one JSON
// document on stdout and nothing else there; human text goes to stdout, progress and errors to
// stderr. The CLI stays thin: parse flags, call a library, render.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "base/diagnostics.h"
#include "base/status.h"

namespace trainscope::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 2,
  kExitBadInput = 3,
  kExitInternal = 4,
  kExitInconclusive = 5,  // the data cannot support a verdict (minder: too short, too coarse, too few peers)
};

// Options shared by every subcommand (given before or after the subcommand name).
struct GlobalOptions {
  bool json = false;     // machine-readable output on stdout
  bool quiet = false;    // no progress, no summary chatter
  bool strict = false;   // data_loss diagnostics fail the command (exit 3)
  int threads = 0;       // 0 = all cores
};

const GlobalOptions& Globals();

// Maps a Status to an exit code: input problems -> 3, internal -> 4.
int ExitCodeFor(const Status& status);

// Prints "trainscope: error: ..." (red on a TTY) and returns the exit code for `status`.
int ReportError(const Status& status);

// Sets the exit code the process will return (the last call wins; errors are sticky).
void SetExitCode(int code);
int ExitCodeValue();

// The one --strict rule, applied by every command to the diagnostics of its inputs (call it once
// the inputs are read, before writing results). Without --strict: OK. With it: a kDataLoss error
// (exit 3) when any diagnostic has severity data_loss or error (worse than data loss), its
// message naming each of them in the FormatDiagnostic form, never "see diagnostics".
Status ApplyStrict(const Diagnostics& diagnostics);

// Prints the diagnostics to stderr (PrintDiagnostics) unless --quiet or --json (--json carries
// them in its document).
void PrintDiagnosticsUnlessQuiet(const Diagnostics& diagnostics);

// Refuses an output file that is the input itself (`trace export X --perfetto X` replaced the
// profiler trace with its export) and, with `inside_folder`, a .json/.json.gz output inside an
// input folder (the next read of the folder takes it for a rank file and fails). `flag` names the
// option in the message.
Status CheckOutputIsNotInput(std::string_view flag, const std::string& out, const std::string& input,
                             bool inside_folder);

// Runs `body`, turning its Status into the exit code (with the error printed).
void RunAndSetExit(const std::function<Status()>& body);

// Number checks for options, with their bounds in --help and in the error ("--top: must be a
// whole number >= 1, got 0"); the real-valued ones also refuse nan and inf.
CLI::Validator IntAtLeast(int64_t min);
CLI::Validator IntInRange(int64_t min, int64_t max);
CLI::Validator NumberAtLeast(double min);
CLI::Validator NumberAbove(double min);
CLI::Validator NumberInRange(double min, double max);

// Steps a what-if Perfetto trace holds by default: the slowest step and its neighbours (a full
// trace of the demo is ~140 MB, too heavy for the Perfetto UI in a browser).
inline constexpr int kDefaultPerfettoSteps = 3;
// --perfetto-steps N (0 = every step) on `cmd`, into `steps`.
void AddPerfettoStepsFlag(CLI::App* cmd, int* steps);

using Registrar = void (*)(CLI::App& root);
struct Registration {
  Registration(int order, Registrar registrar);
};
void RegisterAll(CLI::App& root);

}  // namespace trainscope::cli

// Registers `fn` (void fn(CLI::App&)); `order` sorts commands in --help (the user's loop order).
#define TS_REGISTER_COMMAND(order, fn) \
  static ::trainscope::cli::Registration TS_INTERNAL_CONCAT(ts_registration_, __LINE__)(order, fn)
