// SPDX-License-Identifier: Apache-2.0
// The artifact's trace-ST.parquet and trace-AR.parquet (../shared/data) read to exactly the
// OpTable of their CSV copies: every column, every row, the optype names and their order, meta.
#include <gtest/gtest.h>

#include <filesystem>

#include "ingest/optable/op_table_parquet.h"
#include "ingest/optable/op_table_reader.h"
#include "support/status_matchers.h"
#include "support/test_data.h"

namespace trainscope::ingest {
namespace {

namespace fs = std::filesystem;
using ::trainscope::testing::SharedDataPath;

void ExpectSameTable(const OpTable& csv, const OpTable& parquet) {
  ASSERT_EQ(csv.size(), parquet.size());
  EXPECT_EQ(csv.optype_names, parquet.optype_names);
  EXPECT_EQ(csv.meta_found, parquet.meta_found);
  EXPECT_EQ(csv.meta.trial_name, parquet.meta.trial_name);
  EXPECT_EQ(csv.meta.world_size, parquet.meta.world_size);
  EXPECT_EQ(csv.meta.dp_size, parquet.meta.dp_size);
  EXPECT_EQ(csv.meta.pp_size, parquet.meta.pp_size);
  EXPECT_EQ(csv.meta.tp_size, parquet.meta.tp_size);
  // Column by column, with the first differing row named.
  auto same = [&](const auto& a, const auto& b, const char* column) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) {
        ADD_FAILURE() << "column " << column << " row " << i << ": csv " << a[i] << ", parquet "
                      << b[i];
        return;
      }
    }
  };
  same(csv.dp_rank, parquet.dp_rank, "dp_rank");
  same(csv.stage, parquet.stage, "stage");
  same(csv.rank, parquet.rank, "rank");
  same(csv.step, parquet.step, "step");
  same(csv.seq_id, parquet.seq_id, "seq_id");
  same(csv.mc, parquet.mc, "mc");
  same(csv.mb_id, parquet.mb_id, "mb_id");
  same(csv.gmc, parquet.gmc, "gmc");
  same(csv.optype, parquet.optype, "optype");
  same(csv.start_ns, parquet.start_ns, "start_ns");
  same(csv.dur_ns, parquet.dur_ns, "dur_ns");
}

class ArtifactParquetTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ArtifactParquetTest, SameTableAsTheCsv) {
  const std::string set = GetParam();
  const std::string folder = "traces/bytedance-wia-" + set;
  TS_SKIP_IF_NO_SHARED_DATA(folder + "/trace-" + set + ".parquet");
  const std::string dir = SharedDataPath(folder);
  ASSERT_OK_AND_ASSIGN(OpTable csv, ReadOpTable(dir + "/trace-" + set + ".csv.gz"));
  ASSERT_OK_AND_ASSIGN(OpTable parquet, ReadOpTable(dir + "/trace-" + set + ".parquet"));
  EXPECT_TRUE(parquet.meta_found);
  ExpectSameTable(csv, parquet);
  // The folder holds both copies: the Parquet file is read.
  ASSERT_OK_AND_ASSIGN(OpTable from_folder, ReadOpTable(dir));
  EXPECT_EQ(from_folder.source, dir + "/trace-" + set + ".parquet");
  EXPECT_TRUE(from_folder.parquet_fallback.empty());

  // A folder holding only the Parquet file and its meta (links in the build tree).
  const fs::path only = fs::path(::testing::TempDir()) / ("parquet_only_" + set);
  fs::remove_all(only);
  fs::create_directories(only);
  fs::create_symlink(dir + "/trace-" + set + ".parquet", only / ("trace-" + set + ".parquet"));
  fs::create_symlink(dir + "/meta-" + set + ".yaml", only / ("meta-" + set + ".yaml"));
  EXPECT_TRUE(LooksLikeOpTable(only.string()));
  ASSERT_OK_AND_ASSIGN(OpTable linked, ReadOpTable(only.string()));
  ExpectSameTable(csv, linked);
  fs::remove_all(only);
}

INSTANTIATE_TEST_SUITE_P(StAndAr, ArtifactParquetTest, ::testing::Values("ST", "AR"));

}  // namespace
}  // namespace trainscope::ingest
