// SPDX-License-Identifier: Apache-2.0
// Help and usage errors for the whole CLI: every command's --help lists the global options, and
// parse errors print in trainscope's form ("trainscope: error: ...", exit 2) with suggestions
// for unknown commands and flags ("unknown command 'whatfi' (did you mean whatif?)").
#pragma once

#include <CLI/CLI.hpp>

namespace trainscope::cli {

// The option group of the global flags (--json, --quiet, --strict, --threads).
inline constexpr const char* kGlobalGroup = "Global options (before or after the command)";

// Installs the help formatter on `root`; call before the subcommands are added (they copy it).
void ConfigureHelp(CLI::App& root);

// Prints `error` (help and --version to stdout, exit 0; anything else as a usage error naming
// the command, with suggestions, exit 2) and returns the exit code.
int ReportParseError(CLI::App& root, const CLI::ParseError& error);

}  // namespace trainscope::cli
