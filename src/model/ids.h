// SPDX-License-Identifier: Apache-2.0
// Strong ids for the rows of the trace model: an EventId cannot be passed where a StringId is
// expected, and an invalid id is spelled `EventId::Invalid()` rather than a magic -1.
// Thread safety: values.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>

namespace trainscope::model {

// A typed row index. `Tag` only distinguishes the types; `Rep` is the stored integer.
template <typename Tag, typename Rep = uint32_t>
class StrongId {
 public:
  using rep_type = Rep;
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep value) : value_(value) {}
  static constexpr StrongId Invalid() { return StrongId(); }

  constexpr Rep value() const { return value_; }
  constexpr bool valid() const { return value_ != kInvalid; }
  constexpr auto operator<=>(const StrongId&) const = default;

 private:
  static constexpr Rep kInvalid = std::numeric_limits<Rep>::max();
  Rep value_ = kInvalid;
};

using EventId = StrongId<struct EventTag>;            // row of RankTrace::events
using StringId = StrongId<struct StringTag>;          // entry of a StringPool
using TrackId = StrongId<struct TrackTag>;            // row of RankTrace::tracks
using CollectiveId = StrongId<struct CollectiveTag>;  // row of RankTrace::collectives
using StepIndex = StrongId<struct StepTag>;           // row of RankTrace::steps
using ProcessGroupId = StrongId<struct GroupTag>;     // entry of JobTrace::process_groups

}  // namespace trainscope::model

template <typename Tag, typename Rep>
struct std::hash<trainscope::model::StrongId<Tag, Rep>> {
  size_t operator()(const trainscope::model::StrongId<Tag, Rep>& id) const {
    return std::hash<Rep>()(id.value());
  }
};
