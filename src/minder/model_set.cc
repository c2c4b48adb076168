// SPDX-License-Identifier: Apache-2.0
// Text model files: a short header (metric, sizes, bounds, provenance) and the 389 parameters.
#include "minder/model_set.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/core.h>

#include "base/byte_source.h"
#include "base/data_dir.h"
#include "base/output_file.h"

namespace trainscope::minder {

const MetricModel* ModelSet::Find(const std::string& metric) const {
  std::string base = metric;
  if (base.ends_with("[min]")) base.resize(base.size() - 5);
  auto it = models_.find(base);
  if (it != models_.end()) return &it->second;
  it = models_.find(kGeneric);
  return it == models_.end() ? nullptr : &it->second;
}

Status SaveModel(const MetricModel& model, const std::string& metric, const std::string& path) {
  std::string text = fmt::format(
      "trainscope-minder-lstm-vae 1\nmetric {}\nwindow {} hidden {} latent {}\nbounds {:.17g} {:.17g}\n"
      "train_mse {:.6g}\nepochs {}\ntrained_on {}\nparams {}\n",
      metric, kWindow, kHidden, kLatent, model.lo, model.hi, model.train_mse, model.epochs,
      model.trained_on, LstmVae::kParams);
  for (int k = 0; k < LstmVae::kParams; ++k) {
    text += fmt::format("{:.9g}{}", model.vae.params()[k], (k % 8 == 7 || k + 1 == LstmVae::kParams) ? "\n" : " ");
  }
  return WriteWholeFile(path, text);  // a model file is whole or absent, never half-written
}

Result<MetricModel> LoadModel(const std::string& path, std::string* metric) {
  TS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  MetricModel model;
  std::string_view rest = text;
  int line_no = 0;
  auto next_line = [&]() -> std::string_view {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    ++line_no;
    return line;
  };
  auto bad = [&](std::string_view what) {
    return InvalidArgumentError("{}:{}: {}", path, line_no, what);
  };
  if (next_line() != "trainscope-minder-lstm-vae 1") return bad("not a trainscope Minder model (version 1)");
  std::string_view line = next_line();
  if (!line.starts_with("metric ")) return bad("expected 'metric <name>'");
  *metric = std::string(line.substr(7));
  if (next_line() != fmt::format("window {} hidden {} latent {}", kWindow, kHidden, kLatent)) {
    return bad("model sizes differ from this build (window 8, hidden 4, latent 8)");
  }
  line = next_line();
  if (std::sscanf(std::string(line).c_str(), "bounds %lf %lf", &model.lo, &model.hi) != 2) return bad("expected 'bounds <lo> <hi>'");
  line = next_line();
  if (std::sscanf(std::string(line).c_str(), "train_mse %lf", &model.train_mse) != 1) return bad("expected 'train_mse <x>'");
  line = next_line();
  if (std::sscanf(std::string(line).c_str(), "epochs %d", &model.epochs) != 1) return bad("expected 'epochs <n>'");
  line = next_line();
  if (!line.starts_with("trained_on ")) return bad("expected 'trained_on <text>'");
  model.trained_on = std::string(line.substr(11));
  if (next_line() != fmt::format("params {}", LstmVae::kParams)) return bad("expected 'params 389'");
  int k = 0;
  while (k < LstmVae::kParams) {
    if (rest.empty()) return bad(fmt::format("truncated: {} of {} parameters", k, LstmVae::kParams));
    line = next_line();
    while (!line.empty()) {
      size_t sp = line.find(' ');
      std::string_view tok = line.substr(0, sp);
      line.remove_prefix(sp == std::string_view::npos ? line.size() : sp + 1);
      if (tok.empty()) continue;
      double v = 0;
      auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
      if (ec != std::errc() || p != tok.data() + tok.size() || !std::isfinite(v)) {
        return bad(fmt::format("bad parameter '{}'", tok));
      }
      if (k >= LstmVae::kParams) return bad("too many parameters");
      model.vae.params()[k++] = v;
    }
  }
  model.vae.SetParams(model.vae.params());
  return model;
}

Result<DetectorDefaults> LoadDetectorDefaults(const std::string& dir) {
  std::string path = dir + "/detector.txt";
  TS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  DetectorDefaults d;
  std::string_view rest = text;
  int line_no = 0;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("threshold ")) {
      // `threshold <z>` (every channel) or `threshold <channel> <z>`.
      std::string_view arg = line.substr(10);
      size_t space = arg.rfind(' ');
      std::string_view num = space == std::string_view::npos ? arg : arg.substr(space + 1);
      double z = 0;
      auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), z);
      if (ec != std::errc() || p != num.data() + num.size() || !(z > 0)) {
        return InvalidArgumentError("{}:{}: bad threshold", path, line_no);
      }
      if (space == std::string_view::npos) d.threshold = z;
      else d.channel_thresholds[std::string(arg.substr(0, space))] = z;
    } else if (line.starts_with("order ")) {
      std::string_view list = line.substr(6);
      while (!list.empty()) {
        size_t c = list.find(',');
        if (c != 0) d.order.emplace_back(list.substr(0, c));
        list.remove_prefix(c == std::string_view::npos ? list.size() : c + 1);
      }
    } else {
      return InvalidArgumentError("{}:{}: expected 'threshold <z>' or 'order <metrics>'", path, line_no);
    }
  }
  return d;
}

Result<DetectorDefaults> LoadDetectorDefaultsOrBuiltIn(const std::string& dir, Diagnostics* diagnostics) {
  const std::string path = dir + "/detector.txt";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) {
    if (diagnostics != nullptr) {
      const DetectorDefaults built_in;
      diagnostics->Add("detector_defaults_absent", path, "",
                       fmt::format("no detector.txt beside the models: built-in defaults used "
                                   "(threshold {:g}, no learned metric order)",
                                   built_in.threshold));
    }
    return DetectorDefaults{};
  }
  return LoadDetectorDefaults(dir);
}

Status SaveDetectorDefaults(const DetectorDefaults& defaults, const std::string& comment,
                            const std::string& dir) {
  std::string text = "# " + comment + "\n" + fmt::format("threshold {:.4g}\n", defaults.threshold);
  for (const auto& [channel, z] : defaults.channel_thresholds) text += fmt::format("threshold {} {:.4g}\n", channel, z);
  text += "order ";
  for (size_t k = 0; k < defaults.order.size(); ++k) text += (k ? "," : "") + defaults.order[k];
  text += "\n";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string path = dir + "/detector.txt";
  return WriteWholeFile(path, text);
}

Result<std::string> FindModelsDir() {
  const char* env = std::getenv("TRAINSCOPE_MINDER_MODELS");
  if (env != nullptr && *env != 0) {
    std::error_code ec;
    if (!std::filesystem::is_directory(env, ec)) {
      return NotFoundError("Minder models not found: $TRAINSCOPE_MINDER_MODELS={} is not a folder "
                           "(point it at a folder of *.vae models, or unset it)",
                           env);
    }
    return std::string(env);
  }
  return FindDataPath("models/minder", "Minder models");
}

std::string DefaultModelsDir() {
  Result<std::string> dir = FindModelsDir();
  return dir.ok() ? *dir : std::string();
}

Status ModelSet::Save(const std::string& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("{}: cannot create directory: {}", dir, ec.message());
  for (const auto& [metric, model] : models_) {
    std::string file = metric;
    for (char& c : file) if (c == '/' || c == '{' || c == '}' || c == '"' || c == ' ') c = '_';
    TS_RETURN_IF_ERROR(SaveModel(model, metric, dir + "/" + file + ".vae"));
  }
  return OkStatus();
}

Result<ModelSet> ModelSet::Load(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return NotFoundError("{}: cannot read model directory: {}", dir, ec.message());
  ModelSet set;
  std::vector<std::string> files;
  for (const auto& entry : it) {
    if (entry.path().extension() == ".vae") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) {
    std::string metric;
    TS_ASSIGN_OR_RETURN(MetricModel model, LoadModel(f, &metric));
    set.Put(metric, std::move(model));
  }
  if (set.empty()) return NotFoundError("{}: no *.vae model files", dir);
  return set;
}

}  // namespace trainscope::minder
