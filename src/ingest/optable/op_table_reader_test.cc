// SPDX-License-Identifier: Apache-2.0
// Tests of the op-table reader: parsing, error places, meta validation, the shared data sets.
#include "ingest/optable/op_table_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace trainscope::ingest {
namespace {

using ::trainscope::testing::StatusIs;

constexpr char kHeader[] = "dp_rank,stage,rank,step,optype,start_ts,duration,seq_id,mc,mb_id,gmc\n";

Status Parse(const std::string& text, OpTable& table) {
  auto source = MemoryByteSource("t.csv", text.data(), text.size());
  return ParseOpTableCsv(*source, table);
}

TEST(OpTableReaderTest, ParsesRowsAndInternsOptypes) {
  std::string text = std::string(kHeader) +
                     "0,1,2,23,forward-compute,0.5,0.25,3,0,3,1\r\n"
                     "1,0,1,23,gc,1.0,0.0,0,-1,0,-1\n"
                     "0,1,2,24,forward-compute,0.000000001,1e-3,0,0,0,1";  // no final newline
  OpTable table;
  ASSERT_OK(Parse(text, table));
  ASSERT_EQ(table.size(), 3u);
  EXPECT_THAT(table.optype_names, ::testing::ElementsAre("forward-compute", "gc"));
  EXPECT_EQ(table.optype[2], 0);
  EXPECT_EQ(table.start_ns[0], 500000000);
  EXPECT_EQ(table.dur_ns[0], 250000000);
  EXPECT_EQ(table.start_ns[2], 1);
  EXPECT_EQ(table.dur_ns[2], 1000000);
  EXPECT_EQ(table.mc[1], -1);
  EXPECT_EQ(table.seq_id[0], 3);
}

// A UTF-8 byte order mark (as Windows editors write) is skipped in the CSV and the meta; it used
// to give "header lacks column 'dp_rank'".
TEST(OpTableReaderTest, ByteOrderMarkIsSkipped) {
  OpTable table;
  ASSERT_OK(Parse(std::string("\xEF\xBB\xBF") + kHeader + "0,1,2,23,gc,1.0,0.5,0,-1,0,-1\n",
                  table));
  ASSERT_EQ(table.size(), 1u);
  EXPECT_EQ(table.dp_rank[0], 0);
  EXPECT_EQ(table.dur_ns[0], 500000000);
  ASSERT_OK_AND_ASSIGN(OpTableMeta meta,
                       ParseOpTableMeta("\xEF\xBB\xBFtrial_name: X\ndp_size: 4\n", "m.yaml"));
  EXPECT_EQ(meta.dp_size, 4);
}

TEST(OpTableReaderTest, ColumnsInAnyOrder) {
  std::string text =
      "optype,extra,gmc,mb_id,mc,seq_id,duration,start_ts,step,rank,stage,dp_rank\n"
      "optimizer,x,-1,-1,-1,0,0.5,1.5,7,3,1,1\n";
  OpTable table;
  ASSERT_OK(Parse(text, table));
  EXPECT_EQ(table.step[0], 7);
  EXPECT_EQ(table.dp_rank[0], 1);
  EXPECT_EQ(table.start_ns[0], 1500000000);
}

TEST(OpTableReaderTest, ErrorsNamePlace) {
  OpTable table;
  EXPECT_THAT(Parse("dp_rank,stage\n0,1\n", table),
              StatusIs(StatusCode::kInvalidArgument, "t.csv:1:1: header lacks column 'rank'"));
  table = {};
  EXPECT_THAT(Parse(std::string(kHeader) + "0,1,2,x3,gc,0.1,0.2,0,0,0,0\n", table),
              StatusIs(StatusCode::kInvalidArgument,
                       "t.csv:2:7: column 'step': expected an integer, got 'x3'"));
  table = {};
  EXPECT_THAT(Parse(std::string(kHeader) + "0,1,2,3,gc,0.1,0.2,0,0,0\n", table),
              StatusIs(StatusCode::kInvalidArgument, "t.csv:2:1: expected 11 fields"));
  table = {};
  EXPECT_THAT(Parse(std::string(kHeader) + "0,1,2,3,gc,0.1,-0.2,0,0,0,0\n", table),
              StatusIs(StatusCode::kInvalidArgument, "negative duration"));
  table = {};
  EXPECT_THAT(Parse("", table), StatusIs(StatusCode::kInvalidArgument, "empty file"));
}

TEST(OpTableReaderTest, MetaValidation) {
  ASSERT_OK_AND_ASSIGN(
      OpTableMeta meta,
      ParseOpTableMeta("trial_name: X\ndp_size: 2\npp_size: 4\nworld_size: 8\n", "m.yaml"));
  EXPECT_EQ(meta.dp_size, 2);
  EXPECT_EQ(meta.pp_size, 4);
  EXPECT_THAT(ParseOpTableMeta("dp_size: 2\nworld_size: 3\n", "m.yaml").status(),
              StatusIs(StatusCode::kInvalidArgument, "world_size 3"));
  EXPECT_THAT(ParseOpTableMeta("dp_size: [1\n", "m.yaml").status(),
              StatusIs(StatusCode::kInvalidArgument, "m.yaml:"));
  EXPECT_THAT(ParseOpTableMeta("dp_size: -2\n", "m.yaml").status(),
              StatusIs(StatusCode::kInvalidArgument, "positive"));
  // A key given twice was resolved silently (yaml-cpp keeps the first).
  EXPECT_THAT(ParseOpTableMeta("dp_size: 2\npp_size: 1\ntp_size: 1\npp_size: 4\n", "m.yaml").status(),
              StatusIs(StatusCode::kInvalidArgument, "m.yaml:4: key 'pp_size' given twice (first at line 2)"));
  // Sizes whose product passes int32 are compared in 64 bits, not wrapped.
  EXPECT_THAT(ParseOpTableMeta("dp_size: 65536\npp_size: 65536\nworld_size: 1\n", "m.yaml").status(),
              StatusIs(StatusCode::kInvalidArgument, "world_size 1 != dp_size*pp_size*tp_size*dsp_size = 4294967296"));
  EXPECT_THAT(ParseOpTableMeta("dp_size: 65536\npp_size: 65536\n", "m.yaml").status(),
              StatusIs(StatusCode::kInvalidArgument, "4294967296 ranks"));
}

TEST(OpTableReaderTest, MissingFolderOrMeta) {
  EXPECT_THAT(ReadOpTable("/nonexistent/x").status(),
              StatusIs(StatusCode::kNotFound, "/nonexistent/x"));
}

}  // namespace
}  // namespace trainscope::ingest
