// SPDX-License-Identifier: Apache-2.0
// Help formatter, number validators with explicit bounds, and usage errors with suggestions.
#include "cli/usage.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "base/suggest.h"

namespace trainscope::cli {
namespace {

const CLI::App* Root(const CLI::App* app) {
  while (app->get_parent() != nullptr) app = app->get_parent();
  return app;
}

// The global options under their own heading at the end of every subcommand's --help.
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_footer(const CLI::App* app) const override {
    std::string out;
    if (app->get_parent() != nullptr) {
      std::vector<const CLI::Option*> globals = Root(app)->get_options(
          [](const CLI::Option* opt) { return opt->get_group() == kGlobalGroup; });
      if (!globals.empty()) {
        out = make_group(kGlobalGroup, false, globals);
        out.erase(0, out.find_first_not_of('\n'));  // make_help already put a blank line
        out += "\n";
      }
    }
    return out + CLI::Formatter::make_footer(app);
  }
};

// "trainscope minder detect" for the detect subcommand.
std::string CommandPath(const CLI::App* app) {
  std::string path = app->get_name();
  for (const CLI::App* p = app->get_parent(); p != nullptr; p = p->get_parent()) {
    path = p->get_name() + " " + path;
  }
  return path;
}

// The innermost command the parser entered.
const CLI::App* Deepest(const CLI::App& root) {
  const CLI::App* app = &root;
  while (!app->get_subcommands().empty()) app = app->get_subcommands().front();
  return app;
}

std::vector<std::string> CommandNames(const CLI::App* app) {
  std::vector<std::string> names;
  const std::function<bool(const CLI::App*)> all = [](const CLI::App*) { return true; };
  for (const CLI::App* sub : app->get_subcommands(all)) {
    if (!sub->get_name().empty()) names.push_back(sub->get_name());
  }
  return names;
}

// Long names of the flags `app` accepts, global ones included.
std::vector<std::string> LongFlagNames(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* a = app; a != nullptr; a = a->get_parent()) {
    for (const CLI::Option* opt : a->get_options()) {
      if (a != app && opt->get_group() != kGlobalGroup) continue;
      for (const std::string& n : opt->get_lnames()) names.push_back(n);
    }
  }
  return names;
}

bool LooksLikeNumber(const std::string& text) {
  double value = 0;
  return CLI::detail::lexical_cast(text, value);
}

// trainscope's message for the parse error, or "" to use CLI11's.
std::string Explain(const CLI::App& root, const CLI::ParseError& error) {
  const CLI::App* deepest = Deepest(root);
  const std::string where = deepest == &root ? "" : fmt::format(" for '{}'", CommandPath(deepest));
  const std::vector<std::string> left = root.remaining(true);
  const std::vector<std::string> commands = CommandNames(deepest);
  if (!left.empty()) {
    const std::string& first = left.front();
    if (first.size() > 1 && first[0] == '-' && !LooksLikeNumber(first)) {
      const std::string flag = first.substr(0, first.find('='));
      const bool short_flag = flag.size() == 2 && flag[1] != '-';
      const std::string word = flag.substr(flag.starts_with("--") ? 2 : 1);
      // One-letter flags are all one edit apart: no suggestion for those.
      return fmt::format("unknown flag '{}'{}{}", flag, where,
                         short_flag ? "" : DidYouMean(word, LongFlagNames(deepest), "--"));
    }
    if (!commands.empty()) {
      return fmt::format("unknown command '{}'{}{}", first, where, DidYouMean(first, commands));
    }
    return fmt::format("unexpected argument '{}'{}", first, where);
  }
  if (!commands.empty() && dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
    std::string list;
    for (const std::string& c : commands) list += (list.empty() ? "" : ", ") + c;
    return fmt::format("missing command{}: give one of {}", where, list);
  }
  return "";
}

}  // namespace

void ConfigureHelp(CLI::App& root) { root.formatter(std::make_shared<HelpFormatter>()); }

int ReportParseError(CLI::App& root, const CLI::ParseError& error) {
  if (error.get_exit_code() == 0) return root.exit(error);  // --help, --version
  std::string message = Explain(root, error);
  if (message.empty()) message = error.what();
  const CLI::App* deepest = Deepest(root);
  std::fprintf(stderr, "trainscope: error: %s\nRun '%s --help' for usage.\n", message.c_str(),
               CommandPath(deepest).c_str());
  return kExitUsage;
}

// Number validators (cli/command.h). CLI11's own print their range up to DBL_MAX and let NaN
// through; these name their bounds and want finite numbers.
namespace {

std::string Bound(double v) { return fmt::format("{:g}", v); }

CLI::Validator NumberValidator(std::function<bool(double)> ok, std::string what, bool whole) {
  std::string desc = what;
  return CLI::Validator(
      [ok = std::move(ok), what = std::move(what), whole](std::string& text) -> std::string {
        if (whole) {
          int64_t v = 0;
          if (!CLI::detail::lexical_cast(text, v) || !ok(static_cast<double>(v))) {
            return fmt::format("must be a whole number {}, got {}", what, text);
          }
          return "";
        }
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v) || !std::isfinite(v) || !ok(v)) {
          return fmt::format("must be a number {}, got {}", what, text);
        }
        return "";
      },
      desc);
}

}  // namespace

void AddPerfettoStepsFlag(CLI::App* cmd, int* steps) {
  cmd->add_option("--perfetto-steps", *steps,
                  "Steps in the what-if Perfetto trace: the slowest and its neighbours, so a "
                  "browser loads it comfortably (0 = every step, full detail)")
      ->check(IntInRange(0, 1000000))
      ->capture_default_str();
}

CLI::Validator IntAtLeast(int64_t min) {
  return NumberValidator([min](double v) { return v >= static_cast<double>(min); },
                         fmt::format(">= {}", min), true);
}

CLI::Validator IntInRange(int64_t min, int64_t max) {
  return NumberValidator(
      [min, max](double v) {
        return v >= static_cast<double>(min) && v <= static_cast<double>(max);
      },
      fmt::format("in [{}, {}]", min, max), true);
}

CLI::Validator NumberAtLeast(double min) {
  return NumberValidator([min](double v) { return v >= min; }, ">= " + Bound(min), false);
}

CLI::Validator NumberAbove(double min) {
  return NumberValidator([min](double v) { return v > min; }, "> " + Bound(min), false);
}

CLI::Validator NumberInRange(double min, double max) {
  return NumberValidator([min, max](double v) { return v >= min && v <= max; },
                         fmt::format("in [{}, {}]", Bound(min), Bound(max)), false);
}

}  // namespace trainscope::cli
