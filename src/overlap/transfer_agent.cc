// SPDX-License-Identifier: Apache-2.0
// The transfer agent thread: waits, copies, paces, signals.
#include "overlap/transfer_agent.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "base/check.h"
#include "overlap/signal.h"

namespace trainscope::overlap {
namespace {
double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
void SleepUntilSeconds(double t) {
  const double now = NowSeconds();
  if (t > now) std::this_thread::sleep_for(std::chrono::duration<double>(t - now));
}
}  // namespace

TransferAgent::TransferAgent(int rank, const OverlapOptions& options)
    : rank_(rank),
      options_(options),
      rng_state_(options.jitter_seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(rank) + 1) {
  thread_ = std::thread([this] { Loop(); });
}

TransferAgent::~TransferAgent() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void TransferAgent::Start(const std::vector<TransferOp>* ops, uint32_t epoch) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ops_ = ops;
    epoch_ = epoch;
    busy_ = true;
    status_ = OkStatus();
    delivered_.clear();
  }
  cv_.notify_all();
}

void TransferAgent::SetLink(const LinkModel& link) {
  std::lock_guard<std::mutex> lock(mutex_);  // the agent reads options_ after Start's handoff
  TS_CHECK(!busy_, "SetLink while a transfer list runs");
  options_.link = link;
}

Status TransferAgent::Finish() {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [this] { return !busy_; });
  return status_;
}

void TransferAgent::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || busy_; });
    if (stop_) return;
    const std::vector<TransferOp>& ops = *ops_;
    const uint32_t epoch = epoch_;
    lock.unlock();
    Status status;
    std::vector<int64_t> delivered;
    for (size_t op_idx = 0; op_idx < ops.size() && status.ok(); ++op_idx) {
      if (rank_ == options_.withhold_rank &&
          static_cast<int64_t>(op_idx) == options_.withhold_transfer) {
        continue;  // test hook: this comm tile is never delivered
      }
      status = Execute(ops[op_idx], epoch);
      if (status.ok()) delivered.push_back(static_cast<int64_t>(op_idx));
    }
    lock.lock();
    status_ = std::move(status);
    delivered_ = std::move(delivered);
    busy_ = false;
    cv_.notify_all();
  }
}

Status TransferAgent::Execute(const TransferOp& op, uint32_t epoch) {
  if (op.wait_flag != nullptr) {
    TS_RETURN_IF_ERROR(WaitForSignal(op.wait_flag, op.wait_value, false, options_.timeout_s,
                                     WaitStyle::kBackoff,
                                     {rank_, -1, op.signal, op.wait_peer, "agent input signal"}));
  }
  if (op.wait_flag2 != nullptr) {
    TS_RETURN_IF_ERROR(WaitForSignal(op.wait_flag2, op.wait_value2, false, options_.timeout_s,
                                     WaitStyle::kBackoff,
                                     {rank_, -1, op.signal, op.wait_peer2, "agent input signal"}));
  }
  if (options_.jitter_max_us > 0) {
    rng_state_ ^= rng_state_ << 13;  // xorshift64
    rng_state_ ^= rng_state_ >> 7;
    rng_state_ ^= rng_state_ << 17;
    std::this_thread::sleep_for(
        std::chrono::microseconds(rng_state_ % (options_.jitter_max_us + 1)));
  }
  const double issue_s = NowSeconds();
  const size_t count = static_cast<size_t>(op.count);
  switch (op.kind) {
    case TransferOp::Kind::kCopy:
      if (count > 0) std::memcpy(op.dst, op.src, count * sizeof(float));
      break;
    case TransferOp::Kind::kSum:
      for (size_t idx = 0; idx < count; ++idx) op.dst[idx] = op.src[idx] + op.src2[idx];
      break;
    case TransferOp::Kind::kAccumulate: {
      std::atomic_ref<uint32_t> lock_word(*op.lock);
      uint32_t expected = 0;
      const double lock_deadline_s = NowSeconds() + options_.timeout_s;
      for (uint64_t spin = 0;
           !lock_word.compare_exchange_weak(expected, 1, std::memory_order_acquire); ++spin) {
        if ((spin & 1023) == 1023 && NowSeconds() > lock_deadline_s) {
          return FailedPreconditionError(
              "rank {}: timed out after {:.3g} s waiting on the accumulate lock of comm tile {} "
              "in rank {}'s memory for epoch {}",
              rank_, options_.timeout_s, op.signal, op.target_rank, epoch);
        }
        expected = 0;
        std::this_thread::yield();
      }
      const uint32_t seen = std::atomic_ref<uint32_t>(*op.counter).load(std::memory_order_relaxed);
      const bool first = (seen >> 8) != epoch;
      if (first) {
        if (count > 0) std::memcpy(op.dst, op.src, count * sizeof(float));
      } else {
        for (size_t idx = 0; idx < count; ++idx) op.dst[idx] += op.src[idx];
      }
      StoreRelease(op.counter, first ? AccumulateCount(epoch, 1) : seen + 1);
      lock_word.store(0, std::memory_order_release);
      break;
    }
  }
  if (options_.link.emulated() && !op.local) {
    const double bytes = static_cast<double>(count * sizeof(float));
    const double done_s = std::max(issue_s, link_free_at_s_) + options_.link.latency_s +
                          bytes / options_.link.bandwidth_bytes_per_s;
    link_free_at_s_ = done_s;
    SleepUntilSeconds(done_s);
  }
  if (op.set_flag != nullptr) StoreRelease(op.set_flag, op.set_value);
  return OkStatus();
}

}  // namespace trainscope::overlap
