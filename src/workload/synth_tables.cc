// SPDX-License-Identifier: Apache-2.0
// Writers of the what-if op table and of the per-machine metrics + labels (synth.h).
#include <algorithm>
#include <cmath>
#include <random>

#include "base/gzip_writer.h"
#include "workload/internal/synth_timeline.h"

namespace trainscope::workload::internal {
namespace {

// Buffered text output, gzip-compressed when the name ends in .gz (ISA-L level 1: zlib's level 6
// was two thirds of `workload synth`'s time on large jobs).
class TextOut {
 public:
  Status Open(const std::string& path) {
    path_ = path;
    gz_ = path.ends_with(".gz");
    if (gz_) return gz_file_.Open(path);
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) return IoError("{}: cannot open for writing", path);
    return OkStatus();
  }
  std::string& buffer() { return buf_; }
  Status MaybeFlush() { return buf_.size() > (1 << 20) ? Flush() : OkStatus(); }
  Status Flush() {
    if (buf_.empty()) return OkStatus();
    Status status = gz_ ? gz_file_.Write(buf_)
                        : (std::fwrite(buf_.data(), 1, buf_.size(), file_) == buf_.size()
                               ? OkStatus()
                               : IoError("{}: write failed", path_));
    buf_.clear();
    return status;
  }
  Status Close() {
    TS_RETURN_IF_ERROR(Flush());
    if (gz_) return gz_file_.Close();
    const bool ok = std::fclose(file_) == 0;
    file_ = nullptr;
    return ok ? OkStatus() : IoError("{}: close failed", path_);
  }
  ~TextOut() {
    if (file_ != nullptr) std::fclose(file_);
  }

 private:
  std::string path_, buf_;
  bool gz_ = false;
  GzipWriter gz_file_;
  std::FILE* file_ = nullptr;
};

std::string TrialName(const std::string& name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return out.empty() ? "synth" : out;
}

}  // namespace

Status WriteOpTable(const Timeline& t, const std::string& dir, SynthSummary* summary) {
  const std::string trial = TrialName(t.job->name);
  const std::string csv = dir + "/trace-" + trial + ".csv.gz";
  TextOut out;
  TS_RETURN_IF_ERROR(out.Open(csv));
  out.buffer() = "dp_rank,stage,rank,step,optype,start_ts,duration,seq_id,mc,mb_id,gmc\n";
  const std::vector<StepOp>& ops = t.graph.ops;
  // The what-if model links DP ops only when dp x cp > 1; without DP they cost nothing here.
  const bool dp_ops = t.dp * t.cp > 1;
  for (int step = 0; step < t.steps; ++step) {
    // A stalled step never completes: it has no rows (the job restarts from a checkpoint).
    if (t.stall != nullptr && step + 1 == t.steps) break;
    const auto& start = t.start_ns[static_cast<size_t>(step)];
    const auto& end = t.end_ns[static_cast<size_t>(step)];
    for (size_t i = 0; i < ops.size(); ++i) {
      const StepOp& op = ops[i];
      if (!dp_ops && (op.type == StepOpType::kParamGather || op.type == StepOpType::kGradSync ||
                      op.type == StepOpType::kSeparateGradSync)) {
        continue;
      }
      const bool compute = op.type == StepOpType::kForward || op.type == StepOpType::kBackward;
      const bool chunked =
          compute || op.type == StepOpType::kParamGather || op.type == StepOpType::kGradSync;
      fmt::format_to(std::back_inserter(out.buffer()), "{},{},{},{},{},{:.9g},{:.9g},{},{},{},{}\n",
                     op.replica, op.stage, t.Rank(op.replica, op.stage, 0, 0), step + 1,
                     StepOpName(op.type), static_cast<double>(start[i]) * 1e-9,
                     static_cast<double>(end[i] - start[i]) * 1e-9, op.seq, chunked ? op.chunk : -1,
                     compute ? op.microbatch : -1, compute ? op.GlobalChunk(t.pp) : -1);
      ++summary->op_rows;
      TS_RETURN_IF_ERROR(out.MaybeFlush());
    }
  }
  TS_RETURN_IF_ERROR(out.Close());
  summary->files.push_back(csv);
  const std::string meta = dir + "/meta-" + trial + ".yaml";
  TextOut m;
  TS_RETURN_IF_ERROR(m.Open(meta));
  m.buffer() = fmt::format(
      "trial_name: {}\nrun_id: 0\ndp_size: {}\ndsp_size: {}\npp_size: {}\ntp_size: {}\n"
      "vpp_size: {}\nworld_size: {}\n",
      trial, t.dp, t.cp, t.pp, t.tp, t.detail.shape.vpp, t.world);
  TS_RETURN_IF_ERROR(m.Close());
  summary->files.push_back(meta);
  return OkStatus();
}

// labels.csv: one row per faulty machine (machine, fault type, start, end in Unix seconds).
Status WriteLabels(const Timeline& t, const std::string& dir, int64_t job_end,
                   SynthSummary* summary) {
  const std::string labels = dir + "/labels.csv";
  TextOut l;
  TS_RETURN_IF_ERROR(l.Open(labels));
  l.buffer() = "machine,fault_type,start,end\n";
  for (const Fault& f : t.options.faults) {
    const size_t step = static_cast<size_t>(std::min(f.step, std::max(0, t.steps - 1)));
    const int64_t start = t.options.start_unix_s + t.step_begin_ns[step] / 1'000'000'000;
    std::vector<int> hit;
    if (f.type == FaultType::kSlowStage) {
      for (int d = 0; d < t.dp; ++d) {
        for (int r = 0; r < t.RanksPerWorker(); ++r) {
          hit.push_back(t.Rank(d, f.stage, r / t.tp, r % t.tp) / t.gpus_per_node);
        }
      }
    } else if (f.type == FaultType::kNic) {
      hit.push_back(f.machine);
    } else if (f.type == FaultType::kSeqLen) {
      continue;  // the data, not a machine
    } else {
      hit.push_back(f.rank / t.gpus_per_node);
    }
    std::sort(hit.begin(), hit.end());
    hit.erase(std::unique(hit.begin(), hit.end()), hit.end());
    for (int m : hit) {
      fmt::format_to(std::back_inserter(l.buffer()), "node{:04d},{},{},{}\n", m, FaultName(f.type),
                     start, job_end);
    }
  }
  TS_RETURN_IF_ERROR(l.Close());
  summary->files.push_back(labels);
  return OkStatus();
}

// Per machine and second: busy fractions of its GPUs and link traffic, turned into DCGM /
// node_exporter-style gauges. Fault signatures emerge from the timeline (a straggler's GPUs stay
// busy while its peers wait; a GC pause idles the GPU and spikes the CPU); the slow link adds PFC
// pause frames; a hung machine's GPUs go idle while its peers spin in NCCL; a dead machine's
// series go missing.
Status WriteMetrics(const Timeline& t, const std::string& dir, SynthSummary* summary) {
  const int machines = (t.world + t.gpus_per_node - 1) / t.gpus_per_node;
  const int64_t seconds = std::max<int64_t>(1, (t.job_end_ns + 999'999'999) / 1'000'000'000);
  const size_t cells = static_cast<size_t>(machines) * static_cast<size_t>(seconds);
  std::vector<float> compute(cells, 0), comm(cells, 0), nic(cells, 0), nvlink(cells, 0),
      cpu(cells, 0);
  const double per_gpu = 1.0 / t.gpus_per_node;
  const BlockTiming& timing = t.detail.main_timing;
  double nvlink_per_s = 0;  // TP/CP/EP bytes per second of compute
  double layer_s = timing.layer_fwd_s + timing.layer_bwd_s;
  for (const auto* list : {&timing.layer_fwd, &timing.layer_bwd}) {
    for (const Kernel& k : *list) {
      if (k.kind == KernelKind::kComm && (k.group == "tp" || k.group == "cp" || k.group == "ep")) {
        nvlink_per_s += k.bytes / std::max(1e-12, layer_s);
      }
    }
  }
  const double nic_bw = t.job->cluster.nic_gbps * 1e9 / 8;
  // Spreads [begin, end) ns of one worker's ranks over the seconds grid.
  const auto spread = [&](int worker, int64_t begin, int64_t end, std::vector<float>& grid,
                          double weight) {
    if (end <= begin) return;
    begin = std::max<int64_t>(begin, 0);
    end = std::min<int64_t>(end, std::min(t.cut_ns, seconds * 1'000'000'000));
    const int replica = worker / t.pp, stage = worker % t.pp;
    for (int r = 0; r < t.RanksPerWorker(); ++r) {
      const int rank = t.Rank(replica, stage, r / t.tp, r % t.tp);
      const size_t base = static_cast<size_t>(rank / t.gpus_per_node) * seconds;
      for (int64_t s = begin / 1'000'000'000; s * 1'000'000'000 < end; ++s) {
        const int64_t lo = std::max(begin, s * 1'000'000'000);
        const int64_t hi = std::min(end, (s + 1) * 1'000'000'000);
        grid[base + static_cast<size_t>(s)] +=
            static_cast<float>(weight * per_gpu * static_cast<double>(hi - lo) * 1e-9);
      }
    }
  };
  const std::vector<StepOp>& ops = t.graph.ops;
  for (int step = 0; step < t.steps; ++step) {
    const int64_t base = t.step_begin_ns[static_cast<size_t>(step)];
    const auto& start = t.start_ns[static_cast<size_t>(step)];
    const auto& end = t.end_ns[static_cast<size_t>(step)];
    for (size_t i = 0; i < ops.size(); ++i) {
      const StepOp& op = ops[i];
      const int worker = t.WorkerOf(op);
      const int64_t b = base + start[i], e = base + std::min(end[i], start[i] + 3'600'000'000'000);
      switch (op.type) {
        case StepOpType::kForward:
        case StepOpType::kBackward:
        case StepOpType::kOptimizer:
          spread(worker, b, e, compute, 1.0);
          if (op.type != StepOpType::kOptimizer) spread(worker, b, e, nvlink, nvlink_per_s);
          break;
        case StepOpType::kGc:
          spread(worker, b, e, cpu, 1.0);
          break;
        default:
          if (!op.noop && e > b) {
            spread(worker, b, e, comm, 1.0);
            spread(worker, b, e, nic, 0.6 * nic_bw);
          }
      }
    }
  }
  const std::string csv = dir + "/metrics.csv.gz";
  TextOut out;
  TS_RETURN_IF_ERROR(out.Open(csv));
  out.buffer() =
      "timestamp,machine,DCGM_FI_DEV_GPU_UTIL,DCGM_FI_PROF_GR_ENGINE_ACTIVE,"
      "DCGM_FI_PROF_SM_ACTIVE,DCGM_FI_PROF_PIPE_TENSOR_ACTIVE,DCGM_FI_DEV_POWER_USAGE,"
      "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL,node_infiniband_port_data_transmitted_bytes_per_s,"
      "node_ethtool_transmitted_prio3_pause,CPU_ALL_Idle%,node_memory_MemAvailable_bytes\n";
  const bool a100 = t.job->cluster.gpu.name.rfind("A100", 0) == 0;
  const double idle_w = a100 ? 60 : 90, max_w = a100 ? 400 : 700;
  std::mt19937_64 rng(t.options.seed ^ 0x6d657472696373ULL);
  std::normal_distribution<double> noise(0.0, 1.0);
  const int64_t t0 = t.options.start_unix_s;
  for (int64_t s = 0; s < seconds; ++s) {
    const bool stalled = t.stall != nullptr && s * 1'000'000'000 >= t.stall_begin_ns;
    for (int m = 0; m < machines; ++m) {
      const std::string machine = fmt::format("node{:04d}", m);
      const size_t c = static_cast<size_t>(m) * seconds + static_cast<size_t>(s);
      const bool faulty = t.stall != nullptr && t.stall->rank / t.gpus_per_node == m;
      if (stalled && faulty && t.stall->type == FaultType::kDead) {
        fmt::format_to(std::back_inserter(out.buffer()), "{},{},,,,,,,,,,\n", t0 + s, machine);
        continue;
      }
      double busy = std::min(1.0, static_cast<double>(compute[c]));
      double talk = std::min(1.0 - busy, static_cast<double>(comm[c]));
      double power_share = 0.85 * busy + 0.25 * talk;
      if (stalled) {
        // Peers spin in NCCL waiting for the hung rank; the hung machine itself idles.
        busy = 0;
        talk = faulty ? 0.0 : 1.0;
        power_share = faulty ? 0.0 : 0.12;
      }
      double pfc = 5 + 40 * std::min(1.0, static_cast<double>(nic[c]) / nic_bw);
      double nic_share = 1;  // of the bytes the NIC moves in this second
      for (const Fault& f : t.options.faults) {
        const bool started =
            s >= t.step_begin_ns[std::min<size_t>(f.step, t.steps - 1)] / 1'000'000'000;
        const bool link = f.type == FaultType::kSlowLink && f.rank / t.gpus_per_node == m;
        const bool nic_down = f.type == FaultType::kNic && f.machine == m;
        if (started && (link || nic_down)) pfc *= 60;  // congestion: pause frames pile up
        if (started && nic_down) nic_share /= f.factor;
      }
      const double util = busy + talk;
      const double cpu_idle = std::clamp(86.0 - 80.0 * cpu[c] + 2.0 * noise(rng), 0.0, 100.0);
      fmt::format_to(
          std::back_inserter(out.buffer()),
          "{},{},{:.1f},{:.3f},{:.3f},{:.3f},{:.1f},{:.4g},{:.4g},{:.1f},{:.1f},{:.4g}\n", t0 + s,
          machine, std::clamp(100 * util + noise(rng), 0.0, 100.0),
          std::clamp(util * 0.98 + 0.01 * noise(rng), 0.0, 1.0),
          std::clamp(busy * 0.85 + talk * 0.2 + 0.01 * noise(rng), 0.0, 1.0),
          std::clamp(busy * 0.55 + 0.01 * noise(rng), 0.0, 1.0),
          idle_w + (max_w - idle_w) * power_share + 3 * noise(rng),
          std::max(0.0, nvlink[c] * (1 + 0.02 * noise(rng))),
          std::max(0.0, nic_share * nic[c] * (1 + 0.02 * noise(rng))),
          std::max(0.0, pfc + noise(rng)), cpu_idle, 1.2e12 * (1 + 0.001 * noise(rng)));
      TS_RETURN_IF_ERROR(out.MaybeFlush());
    }
  }
  TS_RETURN_IF_ERROR(out.Close());
  summary->files.push_back(csv);
  return WriteLabels(t, dir, t0 + seconds, summary);
}

}  // namespace trainscope::workload::internal
