// SPDX-License-Identifier: Apache-2.0
// trainscope: the command-line entry point. Parses global flags and hands off to the registered
// subcommands (see cli/command.h).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>

#include <CLI/CLI.hpp>

#include "base/huge_buffer.h"
#include "base/parallel.h"
#include "base/progress.h"
#include "cli/command.h"
#include "cli/usage.h"
#include "cli/version.h"

namespace trainscope::cli {
GlobalOptions& MutableGlobals();
}  // namespace trainscope::cli

namespace {
constexpr int64_t kMaxThreads = 1024;
}  // namespace

int main(int argc, char** argv) {
  using namespace trainscope::cli;
  // Process-wide settings live here, never inside a library call (issue 16 item 2).
  // Keep freed memory in the heap (glibc mallopt: no trimming below 512 MB, blocks up to 256 MB
  // from the heap rather than their own mappings): on the VMs we run on the first touch of a
  // fresh 4 KiB page costs 10-20 us, more than the work done in it. Every command frees large
  // arrays between stages that the next stage allocates again: the what-if analysis its op-sized
  // arrays per replay, minder the decompressed metrics text before the grid and normalisation,
  // LSTM-VAE training the BPTT temporaries (6x the arithmetic when handed back and faulted in).
  trainscope::KeepFreedMemory();
  CLI::App app{
      "trainscope: find and remove what slows down and breaks large-model training.\n\n"
      "The loop: plan -> synth -> whatif -> minder -> overlap -> report\n"
      "  plan      predict step time, MFU, memory and GPU-hours of a training job\n"
      "  workload  synthesise per-rank traces and metrics of a job, with faults\n"
      "  whatif    straggler what-if analysis of a multi-rank trace\n"
      "  minder    find the faulty machine from per-second metrics\n"
      "  overlap   Flux-style fused GEMM + TP collective: benchmark and predict\n"
      "  report    one HTML report from your traces, metrics and plan\n"
      "  trace     inspect and export PyTorch-profiler (Kineto) traces\n",
      "trainscope"};
  app.set_version_flag("--version", std::string("trainscope ") + kTrainscopeVersion);
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions& globals = MutableGlobals();
  app.add_flag("--json", globals.json, "Machine-readable JSON on stdout")->group(kGlobalGroup);
  app.add_flag("-q,--quiet", globals.quiet, "No progress or summary chatter on stderr")
      ->group(kGlobalGroup);
  app.add_flag("--strict", globals.strict, "Treat data-loss diagnostics as errors (exit 3)")
      ->group(kGlobalGroup);
  app.add_option("--threads", globals.threads, "Worker threads (0 = all cores, the default)")
      ->check(IntInRange(0, kMaxThreads))
      ->group(kGlobalGroup);
  app.parse_complete_callback([&globals] {
    if (globals.quiet || globals.json) trainscope::SetProgressEnabled(false);
  });

  ConfigureHelp(app);  // before the subcommands, which copy the formatter
  RegisterAll(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForVersion&) {
    if (app.get_option("--json")->count() > 0) {  // --json --version
      std::printf("{\"name\":\"trainscope\",\"version\":\"%s\"}\n", kTrainscopeVersion);
    } else {
      std::printf("trainscope %s\n", kTrainscopeVersion);
    }
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // --help/--version exit 0; every other parse problem is a usage error (exit 2).
    return ReportParseError(app, e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trainscope: internal error: %s\n", e.what());
    return kExitInternal;
  }
  // A result that did not reach stdout (a full disk, a closed pipe) is a failure, not exit 0.
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "trainscope: error: writing to standard output failed: %s\n",
                 std::strerror(errno));
    return ExitCodeValue() == kExitOk ? kExitBadInput : ExitCodeValue();
  }
  return ExitCodeValue();
}
