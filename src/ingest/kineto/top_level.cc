// SPDX-License-Identifier: Apache-2.0
// Top-level values of a Kineto file, decoded with simdjson's DOM API (they are small).
#include "ingest/kineto/top_level.h"

#include <fmt/core.h>
#include <simdjson.h>

namespace trainscope::ingest::kineto {
namespace {

namespace dom = simdjson::dom;

// Bounds that keep every later sum of times in int64 (see kMaxTsNs in raw_event.h).
constexpr int64_t kMaxWorldSize = int64_t{1} << 20;
constexpr int64_t kMaxBaseTimeNs = 3'000'000'000'000'000'000;

std::string_view TypeName(dom::element_type type) {
  switch (type) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      return "a number";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
  }
  return "unknown";
}

class Decoder {
 public:
  explicit Decoder(const std::string& path) : path_(path) {}

  Status WrongType(std::string_view field, dom::element value, std::string_view expected) {
    return InvalidArgumentError("{}: {} is {}, expected {}", path_, field, TypeName(value.type()),
                                expected);
  }

  Result<int64_t> Int(dom::element value, std::string_view field) {
    int64_t out = 0;
    if (!value.get_int64().get(out)) return out;
    double number = 0;
    if (!value.get_double().get(number)) {  // 1e20, 2.5, 2^64: a number, not an int64
      return InvalidArgumentError("{}: {} is {:g}, expected a whole number (64-bit)", path_, field,
                                  number);
    }
    return WrongType(field, value, "an integer");
  }

  Result<std::string> String(dom::element value, std::string_view field) {
    std::string_view out;
    if (value.get_string().get(out)) return WrongType(field, value, "a string");
    return std::string(out);
  }

  Status ProcessGroups(dom::element value, RankFileInfo* info) {
    dom::array groups;
    if (value.get_array().get(groups))
      return WrongType("distributedInfo.pg_config", value, "an array");
    for (dom::element g : groups) {
      dom::object group;
      if (g.get_object().get(group))
        return WrongType("distributedInfo.pg_config[]", g, "an object");
      model::ProcessGroup pg;
      for (auto [key, field] : group) {
        if (key == "pg_name") {
          TS_ASSIGN_OR_RETURN(pg.name, String(field, "pg_config[].pg_name"));
        } else if (key == "pg_desc") {
          TS_ASSIGN_OR_RETURN(pg.description, String(field, "pg_config[].pg_desc"));
        } else if (key == "ranks") {
          dom::array ranks;
          if (field.get_array().get(ranks))
            return WrongType("pg_config[].ranks", field, "an array");
          for (dom::element r : ranks) {
            TS_ASSIGN_OR_RETURN(int64_t rank, Int(r, "pg_config[].ranks[]"));
            pg.ranks.push_back(static_cast<int>(rank));
          }
        }
      }
      info->pg_config.push_back(std::move(pg));
    }
    return OkStatus();
  }

  Status DistributedInfo(dom::element value, RankFileInfo* info) {
    dom::object object;
    if (value.get_object().get(object)) return WrongType("distributedInfo", value, "an object");
    info->has_distributed_info = true;
    bool has_rank = false;
    for (auto [key, field] : object) {
      if (key == "rank") {
        TS_ASSIGN_OR_RETURN(int64_t rank, Int(field, "distributedInfo.rank"));
        if (rank < -1 || rank > kMaxWorldSize) {
          return InvalidArgumentError("{}: distributedInfo.rank {} is out of range", path_, rank);
        }
        info->rank = static_cast<int>(rank);
        has_rank = true;
      } else if (key == "world_size") {
        TS_ASSIGN_OR_RETURN(int64_t size, Int(field, "distributedInfo.world_size"));
        if (size > kMaxWorldSize) {
          return InvalidArgumentError("{}: distributedInfo.world_size {} is larger than {}", path_,
                                      size, kMaxWorldSize);
        }
        info->world_size = static_cast<int>(size);
      } else if (key == "backend") {
        TS_ASSIGN_OR_RETURN(info->backend, String(field, "distributedInfo.backend"));
      } else if (key == "pg_config") {
        TS_RETURN_IF_ERROR(ProcessGroups(field, info));
      }
    }
    if (!has_rank) return InvalidArgumentError("{}: distributedInfo has no \"rank\"", path_);
    if (info->world_size <= 0) {
      return InvalidArgumentError("{}: distributedInfo.world_size is {} (missing or not positive)",
                                  path_, info->world_size);
    }
    if (info->rank < 0 || info->rank >= info->world_size) {
      return InvalidArgumentError(
          "{}: contradictory distributedInfo: rank {} is outside world_size {}", path_, info->rank,
          info->world_size);
    }
    for (const model::ProcessGroup& pg : info->pg_config) {
      for (int member : pg.ranks) {
        if (member < 0 || member >= info->world_size) {
          return InvalidArgumentError(
              "{}: contradictory distributedInfo: process group '{}' lists rank {} outside "
              "world_size {}",
              path_, pg.name, member, info->world_size);
        }
      }
    }
    return OkStatus();
  }

 private:
  const std::string& path_;
};

// Where a top-level value that simdjson refused starts, and the first control byte in it (a NUL
// or a raw newline in a string, which JSON forbids): the message named neither.
std::string InvalidValuePlace(const std::string& text, const std::string& key,
                              const std::map<std::string, uint64_t>* offsets) {
  if (offsets == nullptr) return "";
  const auto it = offsets->find(key);
  if (it == offsets->end()) return "";
  std::string place = fmt::format(" at byte {}", it->second);
  for (size_t k = 0; k < text.size(); ++k) {
    const auto byte = static_cast<unsigned char>(text[k]);
    if (byte < 0x20 && byte != '\n' && byte != '\r' && byte != '\t') {
      return place + fmt::format(" (control byte 0x{:02x} at byte {})", byte, it->second + k);
    }
  }
  return place;
}

}  // namespace

Status DecodeTopLevel(const std::string& path, const std::map<std::string, std::string>& values,
                      RankFileInfo* info, const std::map<std::string, uint64_t>* offsets) {
  dom::parser parser;
  Decoder decoder(path);
  for (const auto& [key, text] : values) {
    dom::element value;
    if (auto error = parser.parse(text).get(value)) {
      return InvalidArgumentError("{}: top-level \"{}\"{} is not valid JSON: {}", path, key,
                                  InvalidValuePlace(text, key, offsets),
                                  simdjson::error_message(error));
    }
    if (key == "distributedInfo") {
      TS_RETURN_IF_ERROR(decoder.DistributedInfo(value, info));
    } else if (key == "baseTimeNanoseconds") {
      TS_ASSIGN_OR_RETURN(info->base_time_ns, decoder.Int(value, "baseTimeNanoseconds"));
      if (info->base_time_ns < 0 || info->base_time_ns > kMaxBaseTimeNs) {
        return InvalidArgumentError("{}: baseTimeNanoseconds {} is out of range [0, 3e18]", path,
                                    info->base_time_ns);
      }
    } else if (key == "schemaVersion") {
      TS_ASSIGN_OR_RETURN(int64_t version, decoder.Int(value, "schemaVersion"));
      info->schema_version = static_cast<int>(version);
    } else if (key == "deviceProperties") {
      dom::array devices;
      if (value.get_array().get(devices)) {
        return decoder.WrongType("deviceProperties", value, "an array");
      }
      info->device_count = static_cast<int>(devices.size());
    }
  }
  return OkStatus();
}

}  // namespace trainscope::ingest::kineto
