// SPDX-License-Identifier: Apache-2.0
// Tests for the streaming JSON writer (checked against hand-written expected text).
#include "base/json_writer.h"

#include <cmath>

#include <gtest/gtest.h>

namespace trainscope {
namespace {

TEST(JsonWriterTest, NestedContainersAndCommas) {
  JsonWriter w;
  w.BeginObject().Field("a", 1).Key("b").BeginArray().Int(1).Double(2.5).Null().EndArray();
  w.Field("c", "x\"y\n").Field("d", true).Key("e").BeginObject().EndObject().EndObject();
  EXPECT_EQ(w.str(), R"({"a":1,"b":[1,2.5,null],"c":"x\"y\n","d":true,"e":{}})");
}

TEST(JsonWriterTest, NonFiniteIsNullAndControlCharsEscaped) {
  JsonWriter w;
  w.BeginArray().Double(std::nan("")).Double(INFINITY).String(std::string("\x01", 1)).EndArray();
  EXPECT_EQ(w.str(), R"([null,null,"\u0001"])");
}

TEST(JsonWriterTest, DoublesRoundTrip) {
  JsonWriter w;
  w.Double(0.1);
  EXPECT_EQ(w.str(), "0.1");
}

}  // namespace
}  // namespace trainscope
