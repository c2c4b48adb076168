// SPDX-License-Identifier: Apache-2.0
// Tests of the flat Parquet reader and the Parquet op table: the hand-made fixtures of
// tests/data/optable (make_parquet_fixtures.py) against the same table as CSV, every error
// fixture's message and place, corrupt and truncated copies made here, folder discovery.
#include "ingest/optable/parquet_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "ingest/optable/internal/parquet_encoding.h"
#include "ingest/optable/op_table_parquet.h"
#include "ingest/optable/op_table_reader.h"
#include "support/status_matchers.h"
#include "support/test_data.h"

namespace trainscope::ingest {
namespace {

namespace fs = std::filesystem;
using ::trainscope::testing::StatusIs;
using ::trainscope::testing::TestDataPath;

// The rows every good fixture holds (make_parquet_fixtures.py ROWS), as the artifact's CSV.
constexpr char kCsv[] =
    "dp_rank,stage,rank,step,optype,start_ts,duration,seq_id,mc,mb_id,gmc\n"
    "0,0,0,1,forward-compute,0.5,0.25,0,0,0,0\n"
    "0,1,1,1,forward-compute,0.75,0.25,0,0,0,0\n"
    "1,0,2,1,backward-compute,1.0,0.125,1,-1,1,-1\n"
    "1,1,3,1,optimizer,1.5,0.0625,0,-1,-1,-1\n"
    "0,0,0,2,forward-compute,0.5,0.25,0,0,0,0\n";

std::string Fixture(const std::string& name) { return TestDataPath("optable/" + name); }

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

OpTable CsvTable() {
  OpTable table;
  auto source = MemoryByteSource("t.csv", kCsv, sizeof(kCsv) - 1);
  EXPECT_OK(ParseOpTableCsv(*source, table));
  return table;
}

void ExpectSameRows(const OpTable& a, const OpTable& b) {
  EXPECT_EQ(a.optype_names, b.optype_names);
  EXPECT_EQ(a.dp_rank, b.dp_rank);
  EXPECT_EQ(a.stage, b.stage);
  EXPECT_EQ(a.rank, b.rank);
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.seq_id, b.seq_id);
  EXPECT_EQ(a.mc, b.mc);
  EXPECT_EQ(a.mb_id, b.mb_id);
  EXPECT_EQ(a.gmc, b.gmc);
  EXPECT_EQ(a.optype, b.optype);
  EXPECT_EQ(a.start_ns, b.start_ns);
  EXPECT_EQ(a.dur_ns, b.dur_ns);
}

// A folder with both copies of one table reads the Parquet file; when that file cannot be read
// (here: garbage, or a codec outside the subset) it reads the CSV and says why.
TEST(ParquetOpTableTest, FolderWithBothCopiesPrefersParquetAndFallsBackToCsv) {
  const fs::path dir = fs::path(::testing::TempDir()) / "optable_both_copies";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "trace-T.csv") << kCsv;
  fs::copy_file(Fixture("ok_dict_snappy_v1.parquet"), dir / "trace-T.parquet");
  ASSERT_OK_AND_ASSIGN(OpTable both, ReadOpTable(dir.string()));
  EXPECT_EQ(both.source, (dir / "trace-T.parquet").string());
  EXPECT_TRUE(both.parquet_fallback.empty());
  ExpectSameRows(both, CsvTable());

  for (const char* bad : {"err_zstd_codec.parquet", "garbage"}) {
    SCOPED_TRACE(bad);
    fs::remove(dir / "trace-T.parquet");
    if (std::string(bad) == "garbage") {
      std::ofstream(dir / "trace-T.parquet") << "not a parquet file at all";
    } else {
      fs::copy_file(Fixture(bad), dir / "trace-T.parquet");
    }
    ASSERT_OK_AND_ASSIGN(OpTable table, ReadOpTable(dir.string()));
    EXPECT_EQ(table.source, (dir / "trace-T.csv").string());
    EXPECT_THAT(table.parquet_fallback, ::testing::HasSubstr("trace-T.parquet"));
    ExpectSameRows(table, CsvTable());
    // Alone, the same Parquet file is an error, never a silent empty table.
    EXPECT_FALSE(ReadOpTable((dir / "trace-T.parquet").string()).ok());
  }
  fs::remove_all(dir);
}

TEST(ParquetOpTableTest, GoodFixturesReadAsTheirCsv) {
  const OpTable csv = CsvTable();
  ASSERT_EQ(csv.size(), 5u);
  // PLAIN REQUIRED v1 uncompressed with extra columns; dictionary SNAPPY v1 in two row groups;
  // dictionary/PLAIN mix, GZIP, data pages v2 of two rows, two row groups.
  for (const char* name :
       {"ok_plain_required_v1.parquet", "ok_dict_snappy_v1.parquet", "ok_mixed_gzip_v2.parquet"}) {
    SCOPED_TRACE(name);
    ASSERT_OK_AND_ASSIGN(OpTable table, ReadOpTable(Fixture(name)));
    EXPECT_EQ(table.source, Fixture(name));
    EXPECT_FALSE(table.meta_found);
    EXPECT_EQ(table.meta.dp_size, 2);  // from the rows
    ExpectSameRows(table, csv);
  }
}

TEST(ParquetReaderTest, ColumnsOfEveryKind) {
  ASSERT_OK_AND_ASSIGN(ParquetTable t, ReadParquetFile(Fixture("ok_plain_required_v1.parquet")));
  EXPECT_EQ(t.num_rows, 5);
  EXPECT_EQ(t.num_row_groups, 1);
  EXPECT_EQ(t.created_by, "trainscope make_parquet_fixtures.py");
  ASSERT_EQ(t.columns.size(), 13u);
  const ParquetColumn* index = t.Find("__index_level_0__");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->physical_type, "INT64");
  EXPECT_THAT(index->ints, ::testing::ElementsAre(0, 1, 2, 3, 4));
  const ParquetColumn* flag = t.Find("is_comm");
  ASSERT_NE(flag, nullptr);
  EXPECT_EQ(flag->physical_type, "BOOLEAN");
  EXPECT_THAT(flag->ints, ::testing::ElementsAre(0, 0, 1, 0, 1));
  const ParquetColumn* optype = t.Find("optype");
  ASSERT_NE(optype, nullptr);
  EXPECT_EQ(optype->kind, ParquetValueKind::kString);
  EXPECT_FALSE(optype->optional);
  EXPECT_THAT(optype->strings,
              ::testing::ElementsAre("forward-compute", "backward-compute", "optimizer"));
  EXPECT_THAT(optype->string_ids, ::testing::ElementsAre(0, 0, 1, 2, 0));
  EXPECT_TRUE(optype->present.empty());
  // Column selection: the others are not decoded.
  ParquetReadOptions options;
  options.columns = {"duration", "no_such_column"};
  ASSERT_OK_AND_ASSIGN(ParquetTable one,
                       ReadParquetFile(Fixture("ok_mixed_gzip_v2.parquet"), options));
  ASSERT_EQ(one.columns.size(), 1u);
  EXPECT_THAT(one.columns[0].reals, ::testing::ElementsAre(0.25, 0.25, 0.125, 0.0625, 0.25));
  EXPECT_THAT(one.row_group_starts, ::testing::ElementsAre(0, 2));
}

TEST(ParquetReaderTest, NullsKeepTheirRows) {
  ASSERT_OK_AND_ASSIGN(ParquetTable t, ReadParquetFile(Fixture("null_optype.parquet")));
  const ParquetColumn* optype = t.Find("optype");
  ASSERT_NE(optype, nullptr);
  EXPECT_TRUE(optype->optional);
  EXPECT_THAT(optype->present, ::testing::ElementsAre(1, 1, 1, 0, 1));
  EXPECT_EQ(optype->first_null_row, 3);
  EXPECT_THAT(optype->string_ids, ::testing::ElementsAre(0, 0, 1, -1, 0));
  EXPECT_THAT(ReadOpTable(Fixture("null_optype.parquet")).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       "null_optype.parquet: row 3 (row group 0, row 3 in it): column 'optype': "
                       "null value"));
}

TEST(ParquetReaderTest, ErrorFixturesNameThePlace) {
  struct Case {
    const char* file;
    StatusCode code;
    std::vector<std::string> substrings;
  };
  const Case cases[] = {
      {"err_zstd_codec.parquet",
       StatusCode::kInvalidArgument,
       {"column 'dp_rank', row group 0", "compression codec ZSTD (6) is not supported",
        "pandas.read_parquet('", "err_zstd_codec.csv.gz', index=False)"}},
      {"err_delta_encoding.parquet",
       StatusCode::kInvalidArgument,
       {"column 'step', row group 0, page at byte ",
        "encoding DELTA_BINARY_PACKED (5) of INT64 values is not supported", "pandas"}},
      {"err_dict_index.parquet",
       StatusCode::kDataLoss,
       {"column 'optype', row group 0, page at byte 292: dictionary index 8 of value 4 is out of "
        "range (dictionary of 3 values)"}},
      {"err_more_values.parquet",
       StatusCode::kDataLoss,
       {"column 'rank', row group 0, page at byte ", "holds 7 values", "(more values than rows)"}},
      {"err_page_beyond_chunk.parquet",
       StatusCode::kDataLoss,
       {"column 'duration', row group 0, page at byte ",
        "go beyond the column chunk's end at byte"}},
      {"err_nested.parquet",
       StatusCode::kInvalidArgument,
       {"column 'group' is a group (nested data)", "pandas"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    const Status status = ReadOpTable(Fixture(c.file)).status();
    EXPECT_THAT(status, StatusIs(c.code, Fixture(c.file) + ": "));
    for (const std::string& s : c.substrings) EXPECT_THAT(status, StatusIs(c.code, s));
  }
}

TEST(ParquetReaderTest, TruncatedAndCorruptFiles) {
  const std::string good = ReadBytes(Fixture("ok_dict_snappy_v1.parquet"));
  ASSERT_GT(good.size(), 100u);
  EXPECT_THAT(ParseParquet(good.substr(0, 4), "t.parquet").status(),
              StatusIs(StatusCode::kDataLoss, "t.parquet: 4 bytes is too short"));
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_THAT(ParseParquet(bad_magic, "t.parquet").status(),
              StatusIs(StatusCode::kInvalidArgument,
                       "t.parquet: byte 0: bad magic 'XAR1', expected 'PAR1'"));
  EXPECT_THAT(ParseParquet(good.substr(0, good.size() - 10), "t.parquet").status(),
              StatusIs(StatusCode::kDataLoss, "bad trailing magic"));
  std::string long_footer = good;
  const size_t at = good.size() - 8;
  long_footer[at] = '\xff';
  long_footer[at + 1] = '\xff';
  long_footer[at + 2] = '\xff';
  long_footer[at + 3] = '\x7f';
  EXPECT_THAT(ParseParquet(long_footer, "t.parquet").status(),
              StatusIs(StatusCode::kDataLoss, fmt::format("t.parquet: byte {}: footer length "
                                                          "2147483647 goes beyond the file",
                                                          at)));
  // A footer cut short (the length still points inside the file) names a byte in the footer.
  std::string short_footer = good.substr(0, good.size() - 8 - 20);
  const uint32_t footer_length =
      static_cast<uint32_t>(good[at] & 0xff) | static_cast<uint32_t>(good[at + 1] & 0xff) << 8;
  const uint32_t cut = footer_length - 20;
  short_footer.append(reinterpret_cast<const char*>(&cut), 4);
  short_footer += "PAR1";
  EXPECT_THAT(ParseParquet(short_footer, "t.parquet").status(),
              StatusIs(StatusCode::kDataLoss, "t.parquet: byte "));
  // Every prefix is an error, never a crash.
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(ParseParquet(good.substr(0, n), "t.parquet").ok()) << n;
  }
}

TEST(ParquetReaderTest, FlippedBytesNeverCrash) {
  // Every single-byte flip, then random multi-byte damage (fixed seed): a Status or a table,
  // never a crash (the ASan+UBSan build checks memory safety of every path taken).
  for (const char* name : {"ok_dict_snappy_v1.parquet", "ok_mixed_gzip_v2.parquet"}) {
    const std::string good = ReadBytes(Fixture(name));
    for (size_t i = 0; i < good.size(); ++i) {
      std::string bytes = good;
      bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
      OpTable table;
      (void)ParseOpTableParquet(bytes, "t.parquet", table, 1 << 16);
    }
    std::mt19937 rng(17);
    for (int iteration = 0; iteration < 2000; ++iteration) {
      std::string bytes = good;
      for (int k = 0; k < 4; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
      OpTable table;
      (void)ParseOpTableParquet(bytes, "t.parquet", table, 1 << 16);
    }
  }
}

TEST(ParquetReaderTest, RleBitPackedHybridAsInTheSpec) {
  // Encodings.md: 0..7 bit-packed with width 3 are the bytes 10001000 11000110 11111010, after
  // the header (1 group << 1 | 1); then an RLE run of 5 x 6.
  const std::string data = std::string("\x03\x88\xc6\xfa", 4) + std::string("\x0a\x06", 2);
  parquet_internal::RleBitPackedDecoder decoder(data, 3);
  std::vector<uint32_t> out(13);
  ASSERT_OK(decoder.Decode(out.data(), out.size()));
  EXPECT_THAT(out, ::testing::ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 6, 6, 6, 6, 6));
  parquet_internal::RleBitPackedDecoder short_data(data, 3);
  std::vector<uint32_t> too_many(14);
  EXPECT_THAT(short_data.Decode(too_many.data(), too_many.size()),
              StatusIs(StatusCode::kDataLoss, "beyond the end of the data"));
}

class ParquetFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("parquet_folder_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  fs::path dir_;
};

TEST_F(ParquetFolderTest, ParquetAloneWithItsMeta) {
  Write("trace-T.parquet", ReadBytes(Fixture("ok_dict_snappy_v1.parquet")));
  Write("meta-T.yaml", "trial_name: T\ndp_size: 2\npp_size: 2\nworld_size: 4\n");
  EXPECT_TRUE(LooksLikeOpTable(dir_.string()));
  EXPECT_TRUE(LooksLikeOpTable((dir_ / "trace-T.parquet").string()));
  for (const fs::path& path : {dir_, dir_ / "trace-T.parquet"}) {
    ASSERT_OK_AND_ASSIGN(OpTable table, ReadOpTable(path.string()));
    EXPECT_EQ(table.source, (dir_ / "trace-T.parquet").string());
    EXPECT_TRUE(table.meta_found);
    EXPECT_EQ(table.meta.trial_name, "T");
    EXPECT_EQ(table.meta.world_size, 4);
    ExpectSameRows(table, CsvTable());
  }
}

TEST_F(ParquetFolderTest, CsvAndParquetOfOneTableReadTheCsv) {
  Write("trace-T.parquet", "not parquet at all");  // never opened
  Write("trace-T.csv", kCsv);
  ASSERT_OK_AND_ASSIGN(OpTable table, ReadOpTable(dir_.string()));
  EXPECT_EQ(table.source, (dir_ / "trace-T.csv").string());
  ExpectSameRows(table, CsvTable());
}

TEST_F(ParquetFolderTest, TwoTablesOrNoneAreErrors) {
  EXPECT_THAT(ReadOpTable(dir_.string()).status(),
              StatusIs(StatusCode::kNotFound,
                       "no op table (trace-*.csv, trace-*.csv.gz or trace-*.parquet)"));
  EXPECT_FALSE(LooksLikeOpTable(dir_.string()));
  Write("trace-A.csv", kCsv);
  Write("trace-B.parquet", ReadBytes(Fixture("ok_dict_snappy_v1.parquet")));
  EXPECT_THAT(ReadOpTable(dir_.string()).status(),
              StatusIs(StatusCode::kInvalidArgument, "more than one op table"));
}

}  // namespace
}  // namespace trainscope::ingest
