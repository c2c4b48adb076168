// SPDX-License-Identifier: Apache-2.0
// The Kineto fields the reader understands, in one declarative table (after HTA's
// hta/configs/event_args_formats/event_args_1.0.0.yaml): raw name in the event's `args`, the
// field it fills, its JSON type, the value used when it is absent, and the first Kineto
// schemaVersion that writes it. Any other arg is skipped without being decoded.
// Also: the exact microsecond -> nanosecond conversion of `ts` / `dur` tokens.
// Private to the Kineto reader. Thread safety: constant data and pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "model/trace.h"

namespace trainscope::ingest::kineto {

enum class ArgField : uint8_t {
  kCorrelation,
  kExternalId,
  kStream,
  kDevice,
  kCollectiveName,
  kInNelems,
  kOutNelems,
  kDtype,
  kGroupName,
  kGroupDescription,
  kGroupRanks,
  kGroupSize,
  kSeq,
  kMetadataName,  // args.name of `M` events (thread_name, process_name)
  kWaitOnStream,  // cuda_sync "Stream Wait Event": the stream waited for
  kWaitOnRecord,  // ... and the correlation id of the cudaEventRecord it waits for
};

enum class ArgType : uint8_t { kInt, kString };

struct ArgSpec {
  std::string_view raw_name;
  ArgField field;
  ArgType type;
  int64_t default_value;  // for kInt fields; strings default to ""
  int min_schema_version;
};

// The table itself (kineto_args.cc).
extern const ArgSpec kKnownArgs[];
extern const int kKnownArgCount;

// Open-addressing table of kKnownArgs, hashed on the first two bytes (every known key has at
// least three), so a key can be looked up where it lies in the JSON text before its length is
// known (FindArgAt). Most args keys are ones we skip; they almost always land on an empty slot.
inline constexpr size_t kArgSlots = 64;
inline size_t ArgSlot(const char* key) {
  return (static_cast<unsigned char>(key[0]) * 5u + static_cast<unsigned char>(key[1]) * 3u) &
         (kArgSlots - 1);
}
extern const std::array<const ArgSpec*, kArgSlots> kArgSlotTable;

// a[0, n) == b[0, n), inline: 8 bytes per compare (the last word overlaps), where a libc
// memcmp call costs more than the compare for these short keys. Reads only [0, n) of both.
inline bool BytesEqual(const char* a, const char* b, size_t n) {
  auto load64 = [](const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  };
  auto load32 = [](const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  };
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      if (load64(a + i) != load64(b + i)) return false;
    }
    return load64(a + n - 8) == load64(b + n - 8);
  }
  if (n >= 4) return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// The spec for an args key, or nullptr if the reader ignores it. O(1), inline.
inline const ArgSpec* FindArg(std::string_view raw_name) {
  if (raw_name.size() < 2) return nullptr;
  for (size_t slot = ArgSlot(raw_name.data());; slot = (slot + 1) & (kArgSlots - 1)) {
    const ArgSpec* spec = kArgSlotTable[slot];
    if (spec == nullptr) return nullptr;
    if (spec->raw_name.size() == raw_name.size() &&
        BytesEqual(spec->raw_name.data(), raw_name.data(), raw_name.size())) {
      return spec;
    }
  }
}

// The same for a key still in the JSON text: `key` points just past its opening quote. A known
// key matches when its bytes are followed by the closing quote (an unescaped one: the byte
// before it is the known key's last, never a backslash). Runs for every args key of every
// event, without first finding where the key ends. Reads at most 26 bytes from `key`, which
// the caller guarantees are readable (simdjson's padding).
inline const ArgSpec* FindArgAt(const char* key) {
  for (size_t slot = ArgSlot(key);; slot = (slot + 1) & (kArgSlots - 1)) {
    const ArgSpec* spec = kArgSlotTable[slot];
    if (spec == nullptr) return nullptr;
    size_t n = spec->raw_name.size();
    if (BytesEqual(spec->raw_name.data(), key, n) && key[n] == '"') return spec;
  }
}

// Kineto `cat` -> event kind ("kernel" -> kKernel, ...; unknown -> kOther). Case-insensitive,
// and accepts the old profiler spellings ("Kernel", "Operator", "Runtime", "Memcpy").
model::EventKind KindFromCategory(std::string_view category);

// Converts a JSON number token in microseconds ("12.5", "1694128201421205", "3e2") to
// nanoseconds, rounding to nearest. nullopt if the token is not a finite number (a string,
// NaN, Infinity, an object...) or does not fit in int64.
// The reader's per-event form: false instead of nullopt, the value through `ns` (an optional
// returned through memory costs a store-forwarding stall per call on this hot path).
bool MicrosToNanos(std::string_view token, int64_t* ns);
inline std::optional<int64_t> MicrosToNanos(std::string_view token) {
  int64_t ns = 0;
  if (!MicrosToNanos(token, &ns)) return std::nullopt;
  return ns;
}

}  // namespace trainscope::ingest::kineto
