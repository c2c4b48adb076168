// SPDX-License-Identifier: Apache-2.0
// Minder detection (NSDI'25 section 4; Minder brief sections 2-3) and its baselines.
//
// Per channel and window (8 s, step 1 s): each machine's window is denoised by the channel's
// LSTM-VAE (decoder output, latent mean); the pairwise Euclidean distances between machines'
// reconstructions give each machine's score = mean distance to the others (sum/(N-1)); the
// candidate is the top machine when its robust outlier statistic
//     z = (s_max - median(s)) / (1.4826 * MAD(s) + mad_floor)
// passes the channel's threshold (calibrated per channel on healthy data: channels differ in how
// noisy their healthy peer distances are). An alert needs the same candidate for
// `continuity_windows` consecutive windows (240 = 4 min), surviving gaps of up to 5 % of that,
// where a window with another machine on top counts as a gap (a short spike elsewhere). A run starts at a window over the threshold and continues
// through windows where the same machine is still the top one with z over `hold_fraction` x the
// threshold (hysteresis: with few machines the per-window z of a persistent outlier fluctuates
// around the threshold, and a single dip must not restart the 4-minute count). Channels are tried in priority order; the first that alerts
// decides. A machine missing in a window while most peers are present is that window's
// candidate (so an unreachable machine is named from missingness alone).
// Baselines: kRawDistance skips the VAE; kMahalanobis compares each machine's vector of window
// means over all channels with the peers' mean and shrinkage covariance (one pseudo-channel).
// Optional Reference: normalisation bounds and per-machine score baselines learned from a
// healthy period of the same job, for persistent role differences (busy nodes); scores then
// measure each machine's departure from its own baseline, compared across peers as above.
// Thread safety: pure functions; uses ParallelFor internally.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "minder/distance_backend.h"
#include "minder/model_set.h"
#include "minder/peer_groups.h"
#include "minder/preprocess.h"

namespace trainscope::minder {

enum class Method { kMinder, kRawDistance, kMahalanobis };
// What Minder compares per window (brief section 3): the decoder's reconstruction (8 values,
// the paper's choice) or the encoder's latent mean (8 values, the cheaper variant).
enum class Embedding { kReconstruction, kLatentMean };

struct Reference {
  std::map<std::string, std::pair<double, double>> bounds;            // channel -> (lo, hi)
  // Per-machine bounds (role-aware mode): channel -> machine -> (lo, hi); used when present.
  std::map<std::string, std::map<std::string, std::pair<double, double>>> machine_bounds;
  // channel -> machine -> median healthy score. With it a machine's score is |s - median|: how
  // far its distance to the peers has moved from its own normal, in either direction (a busy node
  // that stalls becomes *closer* to its idle peers; that is its fault signature).
  std::map<std::string, std::map<std::string, double>> score_offset;
  // Peer groups learned on the reference (machine -> group label; judged groups only): a machine
  // is compared with the peers it had while healthy, whatever its fault does to it now.
  std::map<std::string, std::string> group_of;
  int seconds = 0;           // length of the reference
  int excluded_seconds = 0;  // seconds left out: fewer than min_present_fraction of machines had data
};

struct DetectOptions {
  Method method = Method::kMinder;
  Embedding embedding = Embedding::kReconstruction;  // kMinder only
  std::vector<std::string> metric_order;  // channel priority (metric names); others follow
  double threshold = 6.0;                 // robust z an outlier must pass
  std::map<std::string, double> channel_thresholds;  // per channel name; `threshold` otherwise
  double hold_fraction = 0.5;             // a started run continues while z >= this x threshold
  double mad_floor = 0.05;                // added to 1.4826*MAD (normalised distance units)
  // ... or this fraction of the channel's median peer score over the pull, when larger (peers that
  // sit apart all along cannot make a small drift a large z).
  double relative_spread_floor = 0.5;
  int continuity_windows = 240;           // 1 = continuity off
  double gap_tolerance = 0.05;
  double min_present_fraction = 0.75;     // a missing machine is the outlier while at most 1 - this
                                          // of the machines (and at least one) are absent
  bool first_channel_decides = true;      // false: alerts of every channel (evaluation per metric)
  int threads = 0;
  const Reference* reference = nullptr;
  // Peers by role: machines are compared within groups that behave alike (found from the data,
  // or `group_of` when the user knows them: machine -> group). false: one group of every machine.
  bool find_groups = true;
  const std::map<std::string, std::string>* group_of = nullptr;
  GroupingOptions grouping;
  // Where the pairwise distances are computed: null = this process's threads; else one call per
  // channel with every window (e.g. minder/mpi: split over MPI processes). Not owned.
  DistanceBackend* distance_backend = nullptr;
  double ThresholdFor(const std::string& channel) const {
    auto it = channel_thresholds.find(channel);
    return it == channel_thresholds.end() ? threshold : it->second;
  }
};

struct Alert {
  std::string machine;
  std::string metric;  // channel name ("cpu", "gpu_util[min]", "mahalanobis")
  int gpu = -1;        // min channels: the GPU at fault
  std::string device;       // min channels: the device at fault ("3", "ens11np0")
  std::string device_kind;  // its kind: "gpu", "nic", "device", "interface"
  int64_t start_ns = 0, end_ns = 0;
  double score = 0;    // mean robust z over the run's windows
  double margin = 0;   // mean (s_top - s_second) in the same robust units
  int windows = 0;     // windows with this candidate
  bool missing = false;  // decided by missingness
};

// ChannelScores::candidate of a window that fewer than half of the machines (or none) cover: a
// gap in the data, not in one machine. It neither continues nor breaks a continuity run (the
// Zhejiang hour misses whole seconds, more in its first minutes; counted as gaps they broke every
// run there).
inline constexpr int kUnobserved = -2;

// What a window is, from how many of `machines` have all its values: compared by distances, decided
// by one machine's missingness (at most a quarter of the job, and at least one machine, absent
// while others report), unobserved, or too few machines (< 3) to tell which one differs.
enum class WindowPresence { kCompare, kMissingMachine, kMostAbsent, kTooFew };
WindowPresence ClassifyWindow(int machines, int present, const DetectOptions& options);

// Per-window outcome of one channel.
struct ChannelScores {
  std::string name;
  std::vector<int> candidate;  // machine index or -1
  std::vector<float> z, margin;
  // The machine with the second-largest score and its robust z: a running candidate that a
  // transient outlier elsewhere pushes to second place is still an outlier in that window.
  std::vector<int> runner_up;
  std::vector<float> runner_up_z;
  std::vector<uint8_t> missing;
  std::vector<int16_t> gpu;
  std::vector<std::vector<float>> machine_score;  // [window][machine] (for baselines and features)
  void Reset(size_t windows);  // every window: no candidate
};

struct SkippedChannel {
  std::string channel;
  std::string group;  // group label
  std::string reason;
  std::vector<std::string> machines;  // skipped for these machines only; empty: for the group
};

struct Detection {
  std::vector<Alert> alerts;
  std::vector<std::string> channels_tried;
  int windows = 0;
  std::vector<PeerGroup> groups;  // every machine is in exactly one (judged or not)
  std::vector<SkippedChannel> skipped_channels;
  // Without a reference: runs that cover the whole pull (no onset seen). A machine that differs
  // from its peers all along is a role or a fault older than the pull; the gap alone does not
  // say which, so these are not alerts (they make the verdict inconclusive unless something
  // else alerts). Missingness runs are always alerts.
  std::vector<Alert> persistent;
  // Why the data cannot support a verdict; empty when it can. With alerts the verdict is
  // "faulty" regardless; without alerts and with reasons it is "inconclusive", never "healthy".
  std::vector<std::string> inconclusive;
};

enum class Verdict { kFaulty, kHealthy, kInconclusive };
Verdict VerdictOf(const Detection& detection);
std::string_view VerdictName(Verdict verdict);  // "faulty", "healthy", "inconclusive"

// Embeds windows in place (kWindow x cols, normalised values): the VAE reconstruction with each
// window's level carried around it, or the latent mean; unchanged without a VAE.
void EmbedWindows(const LstmVae* vae, Embedding embedding, Eigen::MatrixXf* x);

// Windows of a normalised channel for every machine: columns machine*W + w (8 x M*W), NaN kept.
Eigen::MatrixXf ChannelWindows(const Grid& grid, size_t channel);

// Scores one channel (Minder or raw distance). `keep_machine_scores` fills machine_score. With
// options.distance_backend the distances of all windows go to the backend in one call from this
// thread; a backend failure (an MPI error: the processes cannot go on with a collective sequence
// after one failed) is fatal (TS_CHECK).
ChannelScores ScoreChannel(const Grid& grid, size_t channel, const LstmVae* vae,
                           const DetectOptions& options, bool keep_machine_scores);
ChannelScores ScoreMahalanobis(const Grid& grid, const DetectOptions& options);
// Per-window candidates from machine scores `score` ([window][machine], NaN = absent): |x|
// when the scores are signed departures from a reference, then the robust outlier test.
// Updates `score` to the values tested.
// The denominator floor is SpreadFloor(*score, ...): see DetectOptions::relative_spread_floor.
void RankWindows(std::vector<std::vector<float>>* score, bool departures, const DetectOptions& options,
                 ChannelScores* out);
// The same with the floor given (added to 1.4826 * MAD).
void RankWindowsWithFloor(std::vector<std::vector<float>>* score, bool departures, double floor,
                          const DetectOptions& options, ChannelScores* out);
// max(mad_floor, relative_spread_floor x the median of the per-window median scores), over the
// windows w with w % kSpreadFloorStride == 0 (so a caller that scores only some windows can get
// the same floor by scoring those first). Windows with fewer than 3 machines do not count.
inline constexpr size_t kSpreadFloorStride = 14;
double SpreadFloor(const std::vector<std::vector<float>>& score, bool departures, const DetectOptions& options);
// Every machine's robust z in one window, the statistic the detector thresholds (base/stats.h
// RobustZ): `row` is the window's row of ChannelScores::machine_score (the values RankWindows
// tested, NaN = absent) and `floor` the channel's SpreadFloor(machine_score, false, options). The
// top machine's value is the window's ChannelScores::z. NaN for absent machines, and for every
// machine when fewer than 3 are present (the detector judges no such window).
std::vector<float> MachineRobustZ(const std::vector<float>& row, double floor);
// Continuity runs of one channel's candidates -> alerts.
std::vector<Alert> FindAlerts(const Grid& grid, const ChannelScores& scores,
                              const DetectOptions& options);

// Splits the machines into peer groups (the reference's, the user's, or found from the data),
// normalises each group (reference bounds when given, else the group's own, per machine where
// levels differ) and runs the method over the channels each group can judge. Data that cannot
// support a verdict (fewer than 3 machines, a pull shorter than a window plus the continuity
// rule, no group or channel that can be judged) gives `inconclusive` reasons, not an error.
Result<Detection> Detect(Grid grid, const ModelSet* models, const DetectOptions& options);

// Learns peer groups, bounds and per-machine median scores from a healthy grid. Seconds where
// fewer than options.min_present_fraction of the machines have data are left out (and counted
// in Reference::excluded_seconds), never learned from. `per_machine_bounds`: each
// machine is normalised with its own robust bounds (role-aware: a busy node is compared by how
// it moves relative to its own normal range, not by its level).
Reference LearnReference(Grid grid, const ModelSet* models, const DetectOptions& options,
                         bool per_machine_bounds = false);
// Normalises every channel: per-machine reference bounds, else channel reference bounds, else
// robust bounds of the grid itself.
void NormaliseGrid(Grid* grid, const Reference* ref);

// Per-machine median healthy scores of `channel` from `ref` (empty when it has none).
std::vector<float> ScoreBaselines(const Grid& grid, const std::string& channel, const Reference* ref);

// Mean distance of each machine to all others for `e` (D x n), into `score` (n); exact O(n^2 D).
void MeanPairwiseDistances(const float* e, int dims, int n, float* score);

}  // namespace trainscope::minder
