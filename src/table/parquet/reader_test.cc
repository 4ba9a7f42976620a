// Reader tests against files written by DuckDB (tests/data/parquet/generate.js) and the
// values DuckDB itself exported for them (mixed.csv), plus hand-built and damaged files.

#include <gtest/gtest.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "base/file.h"
#include "table/parquet.h"
#include "table/parquet/metadata.h"

namespace cairn::table {
namespace {

std::string DataPath(const std::string& name) {
  return std::string(CAIRN_TEST_DATA_DIR) + "/parquet/" + name;
}

std::string Slurp(const std::string& name) {
  Result<std::string> bytes = ReadFileToString(DataPath(name));
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::string();
}

Result<std::unique_ptr<ParquetReader>> Open(const std::string& name, const ReadOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file,
                         OpenRandomAccessFile(DataPath(name)));
  return OpenParquetFileReader(std::move(file), options);
}

// Reads all of `bytes` (an in-memory file) through Next with small batches.
Result<Table> ReadBytes(const std::string& bytes, const std::string& name,
                        ReadOptions options = {}) {
  options.batch_rows = 50;
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<TableReader> reader,
                         OpenParquetReader(MemoryRandomAccessFile(bytes, name), options));
  return reader->ReadAll();
}

ReadOptions Threads(int n) {
  ReadOptions o;
  o.num_threads = n;
  return o;
}

// ---- DuckDB's CSV export of the mixed table ----

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

Csv LoadExpected() {
  Csv csv;
  std::string text = Slurp("mixed.csv");
  size_t pos = 0;
  bool first = true;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::vector<std::string> cells;
    size_t start = pos;
    for (size_t i = pos; i <= nl; ++i) {
      if (i == nl || text[i] == ',') {
        cells.push_back(text.substr(start, i - start));
        start = i + 1;
      }
    }
    if (first) {
      csv.header = cells;
      first = false;
    } else {
      csv.rows.push_back(cells);
    }
    pos = nl + 1;
  }
  return csv;
}

// Compares every cell of `t` with DuckDB's export (NULL is \N there).
void ExpectMatchesDuckDb(const Table& t, const Csv& csv) {
  ASSERT_EQ(t.num_rows(), static_cast<int64_t>(csv.rows.size()));
  for (size_t c = 0; c < csv.header.size(); ++c) {
    const Column* col = t.ColumnByName(csv.header[c]);
    ASSERT_NE(col, nullptr) << csv.header[c];
    for (size_t r = 0; r < csv.rows.size(); ++r) {
      const std::string& cell = csv.rows[r][c];
      const int64_t i = static_cast<int64_t>(r);
      SCOPED_TRACE(csv.header[c] + " row " + std::to_string(r) + " expected '" + cell + "'");
      if (cell == "\\N") {
        ASSERT_TRUE(col->IsNull(i));
        continue;
      }
      ASSERT_FALSE(col->IsNull(i));
      switch (col->type().kind) {
        case TypeKind::kInt64:
        case TypeKind::kTimestamp: {
          int64_t v = 0;
          std::from_chars(cell.data(), cell.data() + cell.size(), v);
          ASSERT_EQ(col->Int(i), v);
          break;
        }
        case TypeKind::kFloat64:
          ASSERT_EQ(col->Double(i), std::strtod(cell.c_str(), nullptr));
          break;
        case TypeKind::kBool:
          ASSERT_EQ(col->Bool(i), cell == "true");
          break;
        case TypeKind::kString:
          ASSERT_EQ(col->String(i), cell);
          break;
      }
    }
  }
}

Schema MixedSchema() {
  return Schema({{"id", DataType::Int64()},
                 {"i32", DataType::Int64()},
                 {"i16", DataType::Int64()},
                 {"u8", DataType::Int64()},
                 {"u32", DataType::Int64()},
                 {"u64", DataType::Int64()},
                 {"f32", DataType::Float64()},
                 {"f64", DataType::Float64()},
                 {"b", DataType::Bool()},
                 {"color", DataType::String()},
                 {"key", DataType::String()},
                 {"ts", DataType::Timestamp(TimeUnit::kMicro)},
                 {"ts_ms", DataType::Timestamp(TimeUnit::kMilli)},
                 {"ts_ns", DataType::Timestamp(TimeUnit::kNano)},
                 {"d", DataType::Timestamp(TimeUnit::kMicro)}});
}

class MixedFileTest : public ::testing::TestWithParam<const char*> {};

TEST_P(MixedFileTest, ReadAllMatchesDuckDbWithOneAndTwoThreads) {
  const Csv csv = LoadExpected();
  for (int threads : {1, 2}) {
    auto reader = Open(GetParam(), Threads(threads));
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->schema(), MixedSchema());
    EXPECT_EQ((*reader)->stats().row_groups, 3);
    auto table = (*reader)->ReadAll();
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    ExpectMatchesDuckDb(*table, csv);
  }
}

TEST_P(MixedFileTest, SmallBatchesCrossPagesAndRowGroups) {
  const Csv csv = LoadExpected();
  ReadOptions options = Threads(2);
  options.batch_rows = 7;  // 400-row groups: batches straddle no group but split pages
  auto reader = Open(GetParam(), options);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Table all(MixedSchema());
  Table batch;
  int batches = 0;
  for (;;) {
    auto more = (*reader)->Next(&batch);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    ASSERT_GT(batch.num_rows(), 0);
    ASSERT_LE(batch.num_rows(), 7);
    ASSERT_TRUE(all.Append(batch).ok());
    ++batches;
  }
  // Each 400-row group gives 57 batches of 7 and one of 1.
  EXPECT_EQ(batches, 3 * 58);
  ExpectMatchesDuckDb(all, csv);
}

INSTANTIATE_TEST_SUITE_P(DuckDbFiles, MixedFileTest,
                         ::testing::Values("mixed_v1_snappy.parquet", "mixed_v1_zstd.parquet",
                                           "mixed_v1_uncompressed.parquet",
                                           "mixed_v2_snappy.parquet", "mixed_v2_zstd.parquet"));

TEST(ParquetReaderTest, ProjectionReturnsColumnsInTheOrderAsked) {
  ReadOptions options;
  options.parquet.columns = {"key", "id"};
  auto reader = Open("mixed_v2_zstd.parquet", options);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->schema(), Schema({{"key", DataType::String()}, {"id", DataType::Int64()}}));
  auto t = (*reader)->ReadAll();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->num_rows(), 1200);
  // Row 1 of mixed.csv: id 1, key-7919; row 400 is the second group's first row, id 2048.
  EXPECT_EQ(t->column(0).String(1), "key-7919");
  EXPECT_EQ(t->column(1).Int(400), 2048);
}

TEST(ParquetReaderTest, UnknownOrRepeatedProjectedColumnIsAnError) {
  ReadOptions options;
  options.parquet.columns = {"id", "nope"};
  auto r = Open("mixed_v1_snappy.parquet", options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("'nope'"), std::string::npos);
  EXPECT_NE(r.status().message().find("mixed_v1_snappy.parquet"), std::string::npos);
  options.parquet.columns = {"id", "id"};
  r = Open("mixed_v1_snappy.parquet", options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

// ---- predicate pushdown on sorted.parquet: five groups of 400 rows with ids
// [0,400) [2048,2448) [4096,4496) [6144,6544) [8192,8592); score = id / 2 below id 4096
// and NULL from there on (groups 2, 3 and 4 are all NULL).

struct FilterResult {
  ParquetReaderStats stats;
  Table table;
};

FilterResult ReadSorted(std::vector<Predicate> filters, std::vector<std::string> columns = {},
                        int threads = 1) {
  ReadOptions options = Threads(threads);
  options.batch_rows = 128;
  options.parquet.filters = std::move(filters);
  options.parquet.columns = std::move(columns);
  auto reader = Open("sorted.parquet", options);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return {};
  FilterResult out;
  out.stats = (*reader)->stats();
  auto t = (*reader)->ReadAll();
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (t.ok()) out.table = std::move(*t);
  return out;
}

Predicate Pred(std::string column, CompareOp op, Scalar value) {
  return Predicate{std::move(column), op, std::move(value)};
}

TEST(ParquetPushdownTest, SkipsGroupsOutsideAnIntegerRange) {
  FilterResult r = ReadSorted({Pred("id", CompareOp::kGe, Scalar::Int(8500))});
  EXPECT_EQ(r.stats.row_groups, 5);
  EXPECT_EQ(r.stats.row_groups_skipped, 4);
  EXPECT_EQ(r.stats.rows_skipped, 1600);
  // ids 8500..8591.
  ASSERT_EQ(r.table.num_rows(), 92);
  EXPECT_EQ(r.table.column(0).Int(0), 8500);
  EXPECT_EQ(r.table.column(1).String(91), "name08591");
}

TEST(ParquetPushdownTest, SkipsEveryGroupWhenTheValueFallsBetweenThem) {
  FilterResult r = ReadSorted({Pred("id", CompareOp::kEq, Scalar::Int(5000))});
  EXPECT_EQ(r.stats.row_groups_skipped, 5);
  EXPECT_EQ(r.table.num_rows(), 0);
  EXPECT_EQ(r.table.num_columns(), 3);
}

TEST(ParquetPushdownTest, SkipsGroupsByStringStatistics) {
  FilterResult r = ReadSorted({Pred("name", CompareOp::kLt, Scalar::String("name00010"))});
  EXPECT_EQ(r.stats.row_groups_skipped, 4);
  ASSERT_EQ(r.table.num_rows(), 10);
  EXPECT_EQ(r.table.column(1).String(9), "name00009");
}

TEST(ParquetPushdownTest, SkipsAllNullGroupsAndFiltersTheRestExactly) {
  // score > 100 means id > 200: ids 201..399 (199 rows) and 2048..2447 (400 rows). Groups 2-4
  // are all NULL, which no comparison matches.
  FilterResult r = ReadSorted({Pred("score", CompareOp::kGt, Scalar::Double(100))}, {}, 2);
  EXPECT_EQ(r.stats.row_groups_skipped, 3);
  ASSERT_EQ(r.table.num_rows(), 599);
  EXPECT_EQ(r.table.column(0).Int(0), 201);
  EXPECT_EQ(r.table.column(0).Int(598), 2447);
}

TEST(ParquetPushdownTest, ConjunctionAndAFilterColumnThatIsNotSelected) {
  FilterResult r = ReadSorted({Pred("id", CompareOp::kGe, Scalar::Int(2440)),
                               Pred("id", CompareOp::kLt, Scalar::Int(4098))},
                              {"name"});
  // Groups 0 (max 399 < 2440), 3 and 4 (min >= 4098) are ruled out.
  EXPECT_EQ(r.stats.row_groups_skipped, 3);
  EXPECT_EQ(r.table.schema(), Schema({{"name", DataType::String()}}));
  // ids 2440..2447 and 4096, 4097.
  ASSERT_EQ(r.table.num_rows(), 10);
  EXPECT_EQ(r.table.column(0).String(0), "name02440");
  EXPECT_EQ(r.table.column(0).String(9), "name04097");
}

TEST(ParquetPushdownTest, UnknownFilterColumnIsNotFound) {
  ReadOptions options;
  options.parquet.filters = {Pred("nope", CompareOp::kEq, Scalar::Int(1))};
  auto r = Open("sorted.parquet", options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

// ---- unsupported columns ----

void ExpectUnsupported(const std::string& file, const std::string& column,
                       const std::string& what) {
  auto r = Open(file, {});
  ASSERT_FALSE(r.ok()) << file;
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported) << r.status().ToString();
  const std::string& m = r.status().message();
  EXPECT_NE(m.find(file), std::string::npos) << m;
  EXPECT_NE(m.find("'" + column + "'"), std::string::npos) << m;
  EXPECT_NE(m.find(what), std::string::npos) << m;
}

TEST(ParquetUnsupportedTest, NestedAndUnsupportedTypesNameTheColumn) {
  ExpectUnsupported("list.parquet", "tags", "LIST");
  ExpectUnsupported("struct.parquet", "s", "STRUCT");
  ExpectUnsupported("decimal.parquet", "price", "DECIMAL(10,2)");
  ExpectUnsupported("uuid.parquet", "u", "UUID");
  ExpectUnsupported("time.parquet", "t", "TIME");
}

TEST(ParquetUnsupportedTest, ColumnsBesideANestedOneStayReadable) {
  for (const char* file : {"list.parquet", "struct.parquet"}) {
    ReadOptions options;
    options.parquet.columns = {"z", "id"};
    auto r = Open(file, options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto t = (*r)->ReadAll();
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    ASSERT_EQ(t->num_rows(), 3);
    EXPECT_EQ(t->column(0).Int(2), 20);  // z = i * 10
    EXPECT_EQ(t->column(1).Int(2), 2);
  }
}

TEST(ParquetUnsupportedTest, Uint64AboveInt64MaxIsAnErrorNamingTheColumn) {
  auto r = Open("ubigint_max.parquet", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->schema(), Schema({{"big", DataType::Int64()}}));
  auto t = (*r)->ReadAll();
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(t.status().message().find("'big'"), std::string::npos) << t.status().ToString();
  EXPECT_NE(t.status().message().find("18446744073709551615"), std::string::npos)
      << t.status().ToString();
}

// ---- damaged files ----

void ExpectCorrupt(const Result<Table>& r, const std::string& what) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt) << r.status().ToString();
  EXPECT_NE(r.status().message().find("bad.parquet"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().ToString();
}

uint32_t FooterLength(const std::string& bytes) {
  uint32_t len;
  std::memcpy(&len, bytes.data() + bytes.size() - 8, 4);
  return len;
}

TEST(ParquetCorruptTest, TooShortTruncatedAndBadMagic) {
  const std::string good = Slurp("mixed_v1_snappy.parquet");
  ExpectCorrupt(ReadBytes(good.substr(0, 5), "bad.parquet"), "too short");
  ExpectCorrupt(ReadBytes(good.substr(0, good.size() / 2), "bad.parquet"), "PAR1");
  std::string bad = good;
  bad[0] = 'X';
  ExpectCorrupt(ReadBytes(bad, "bad.parquet"), "PAR1");
}

TEST(ParquetCorruptTest, FooterLengthPastTheFile) {
  std::string bad = Slurp("mixed_v1_snappy.parquet");
  const uint32_t huge = 0x7FFFFFF0;
  std::memcpy(bad.data() + bad.size() - 8, &huge, 4);
  ExpectCorrupt(ReadBytes(bad, "bad.parquet"), "footer length");
}

TEST(ParquetCorruptTest, GarbageFooter) {
  std::string bad = Slurp("mixed_v1_snappy.parquet");
  const uint32_t len = FooterLength(bad);
  std::memset(bad.data() + bad.size() - 8 - len, 0xFF, len);
  ExpectCorrupt(ReadBytes(bad, "bad.parquet"), "malformed file metadata");
}

TEST(ParquetCorruptTest, ForgedHugeRowCountIsAnErrorNotAHugeAllocation) {
  // A small file whose footer claims four billion rows: reading it whole must report the
  // mismatch with the pages instead of allocating columns for the claimed count.
  const std::string good = Slurp("dictionary.parquet");
  const uint32_t len = FooterLength(good);
  const size_t footer_start = good.size() - 8 - len;
  auto meta = parquet::DecodeFileMetaData(std::string_view(good).substr(footer_start, len));
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  constexpr int64_t kClaimed = 4'000'000'000;
  meta->num_rows = kClaimed;
  for (auto& rg : meta->row_groups) {
    rg.num_rows = kClaimed;
    for (auto& chunk : rg.columns) chunk.meta_data->num_values = kClaimed;
  }
  std::string footer;
  parquet::EncodeFileMetaData(*meta, &footer);
  std::string bad = good.substr(0, footer_start) + footer;
  const uint32_t new_len = static_cast<uint32_t>(footer.size());
  bad.append(reinterpret_cast<const char*>(&new_len), 4);
  bad += "PAR1";
  auto reader = OpenParquetReader(MemoryRandomAccessFile(bad, "forged.parquet"), ReadOptions{});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto table = (*reader)->ReadAll();
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kCorrupt) << table.status().ToString();
  EXPECT_NE(table.status().message().find("forged.parquet"), std::string::npos)
      << table.status().ToString();
}

TEST(ParquetCorruptTest, EncryptedFooterIsUnsupported) {
  std::string bad = Slurp("dictionary.parquet");
  std::memcpy(bad.data() + bad.size() - 4, "PARE", 4);
  auto r = ReadBytes(bad, "bad.parquet");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
}

// Locates the first data page of dictionary.parquet's only column chunk.
struct PageLocation {
  int64_t header = 0;  // file offset of the page header
  int64_t body = 0;    // file offset of the page body
};

PageLocation FirstDataPage(const std::string& bytes) {
  const uint32_t len = FooterLength(bytes);
  auto meta =
      parquet::DecodeFileMetaData(std::string_view(bytes).substr(bytes.size() - 8 - len, len));
  EXPECT_TRUE(meta.ok());
  PageLocation loc;
  loc.header = meta->row_groups[0].columns[0].meta_data->data_page_offset;
  int64_t consumed = 0;
  auto header = parquet::DecodePageHeader(
      std::string_view(bytes).substr(static_cast<size_t>(loc.header)), &consumed);
  EXPECT_TRUE(header.ok());
  loc.body = loc.header + consumed;
  return loc;
}

TEST(ParquetCorruptTest, CorruptPageHeaderNamesTheColumn) {
  std::string bad = Slurp("dictionary.parquet");
  PageLocation loc = FirstDataPage(bad);
  std::memset(bad.data() + loc.header, 0xFF, 12);
  ExpectCorrupt(ReadBytes(bad, "bad.parquet"), "column 's'");
}

TEST(ParquetCorruptTest, PageSizeRunningPastTheChunk) {
  std::string bad = Slurp("dictionary.parquet");
  PageLocation loc = FirstDataPage(bad);
  // The page header starts with field 1 (type, 0x15 then a zigzag varint) and field 2
  // (uncompressed size) and field 3 (compressed size): rewrite field 3 as 1000 (zigzag
  // 2000 = 0xD0 0x0F) in place of its two-byte varint.
  const uint8_t* h = reinterpret_cast<const uint8_t*>(bad.data() + loc.header);
  ASSERT_EQ(h[0], 0x15);  // field 1, i32
  ASSERT_EQ(h[2], 0x15);  // field 2, i32
  ASSERT_EQ(h[5], 0x15);  // field 3, i32 (field 2's value took two bytes)
  bad[static_cast<size_t>(loc.header) + 6] = static_cast<char>(0xD0);
  bad[static_cast<size_t>(loc.header) + 7] = static_cast<char>(0x0F);
  ExpectCorrupt(ReadBytes(bad, "bad.parquet"), "past the end of the column chunk");
}

TEST(ParquetCorruptTest, DictionaryIndexOutOfRange) {
  std::string bad = Slurp("dictionary.parquet");
  PageLocation loc = FirstDataPage(bad);
  // Body: 4-byte definition level length L, L level bytes, the index bit width, one run
  // header byte, then packed indices. 0xFF makes four indices 3 in a dictionary of 3.
  uint32_t levels;
  std::memcpy(&levels, bad.data() + loc.body, 4);
  const size_t width_at = static_cast<size_t>(loc.body) + 4 + levels;
  ASSERT_EQ(bad[width_at], 2);  // three entries need 2 bits
  bad[width_at + 2] = static_cast<char>(0xFF);
  ExpectCorrupt(ReadBytes(bad, "bad.parquet"), "dictionary index 3 out of range");
}

TEST(ParquetCorruptTest, DictionaryFileReadsBackBeforeDamage) {
  // The undamaged file used above: 'a', 'b', 'c' repeating over 100 rows.
  auto t = ReadBytes(Slurp("dictionary.parquet"), "good.parquet");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->num_rows(), 100);
  EXPECT_EQ(t->column(0).String(0), "a");
  EXPECT_EQ(t->column(0).String(98), "c");
}

TEST(ParquetCorruptTest, FuzzerFindingsReadWithoutCrashing) {
  // Every input the fuzzer once crashed on stays here as tests/data/parquet/fuzz-*.parquet and
  // is read the way fuzz/parquet_fuzz.cc reads it; the sanitizer builds check the rest.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(DataPath(""))) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("fuzz-", 0) != 0) continue;
    ++files;
    ReadOptions options = Threads(1);
    options.batch_rows = 64;
    auto reader = Open(name, options);
    if (!reader.ok()) continue;
    Table batch;
    for (;;) {
      auto more = (*reader)->Next(&batch);
      if (!more.ok() || !*more) break;
    }
  }
  EXPECT_GE(files, 1);
}

// ---- a hand-built file: REQUIRED columns, INT96, BIT_PACKED levels ----

void AppendPage(parquet::PageHeader h, const std::string& body, std::string* file) {
  h.uncompressed_page_size = static_cast<int32_t>(body.size());
  h.compressed_page_size = static_cast<int32_t>(body.size());
  parquet::EncodePageHeader(h, file);
  file->append(body);
}

std::string HandBuiltFile() {
  using namespace parquet;  // NOLINT(google-build-using-namespace)
  std::string file = "PAR1";
  FileMetaData meta;
  meta.num_rows = 3;
  SchemaElement root;
  root.name = "schema";
  root.num_children = 3;
  SchemaElement flag;
  flag.name = "flag";
  flag.type = PhysicalType::kBoolean;
  flag.repetition_type = Repetition::kRequired;
  SchemaElement t96;
  t96.name = "t96";
  t96.type = PhysicalType::kInt96;
  t96.repetition_type = Repetition::kOptional;
  SchemaElement n;
  n.name = "n";
  n.type = PhysicalType::kInt32;
  n.repetition_type = Repetition::kRequired;
  meta.schema = {root, flag, t96, n};
  RowGroup rg;
  rg.num_rows = 3;
  auto chunk = [&](PhysicalType type, const std::string& name, const std::string& body,
                   Encoding def_encoding) {
    ColumnChunk c;
    c.meta_data.emplace();
    ColumnMetaData& m = *c.meta_data;
    m.type = type;
    m.encodings = {Encoding::kPlain};
    m.path_in_schema = {name};
    m.codec = Codec::kUncompressed;
    m.num_values = 3;
    m.data_page_offset = static_cast<int64_t>(file.size());
    PageHeader h;
    h.type = PageType::kDataPage;
    h.data_page_header.emplace();
    h.data_page_header->num_values = 3;
    h.data_page_header->encoding = Encoding::kPlain;
    h.data_page_header->definition_level_encoding = def_encoding;
    AppendPage(h, body, &file);
    m.total_compressed_size = static_cast<int64_t>(file.size()) - m.data_page_offset;
    m.total_uncompressed_size = m.total_compressed_size;
    c.file_offset = m.data_page_offset;
    rg.columns.push_back(c);
  };
  // flag: true, false, true -> bits 101 = 0x05.
  chunk(PhysicalType::kBoolean, "flag", std::string("\x05", 1), Encoding::kRle);
  // t96: levels 1 0 1 packed MSB first = 0xA0, then two INT96 values: the one of
  // Int96IsJulianDayAndNanosOfDay (1614834367000000123 ns) and the epoch itself (Julian
  // day 2440588 = 0x253D8C, nanos 0).
  std::string t96_body("\xA0", 1);
  t96_body += std::string("\x7B\xB6\x82\x66\xB4\x10\x00\x00\x8E\x86\x25\x00", 12);
  t96_body += std::string("\x00\x00\x00\x00\x00\x00\x00\x00\x8C\x3D\x25\x00", 12);
  chunk(PhysicalType::kInt96, "t96", t96_body, Encoding::kBitPacked);
  // n: 7, -8, 2147483647.
  chunk(PhysicalType::kInt32, "n",
        std::string("\x07\x00\x00\x00\xF8\xFF\xFF\xFF\xFF\xFF\xFF\x7F", 12), Encoding::kRle);
  meta.row_groups = {rg};
  std::string footer;
  EncodeFileMetaData(meta, &footer);
  file += footer;
  const uint32_t len = static_cast<uint32_t>(footer.size());
  file.append(reinterpret_cast<const char*>(&len), 4);
  file += "PAR1";
  return file;
}

TEST(ParquetHandBuiltTest, RequiredColumnsInt96AndBitPackedLevels) {
  const std::string bytes = HandBuiltFile();
  auto reader = OpenParquetReader(MemoryRandomAccessFile(bytes, "hand.parquet"), {});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->schema(), Schema({{"flag", DataType::Bool(), false},
                                         {"t96", DataType::Timestamp(TimeUnit::kNano), true},
                                         {"n", DataType::Int64(), false}}));
  auto t = (*reader)->ReadAll();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->num_rows(), 3);
  EXPECT_TRUE(t->column(0).Bool(0));
  EXPECT_FALSE(t->column(0).Bool(1));
  EXPECT_TRUE(t->column(0).Bool(2));
  EXPECT_EQ(t->column(1).Int(0), 1614834367000000123LL);
  EXPECT_TRUE(t->column(1).IsNull(1));
  EXPECT_EQ(t->column(1).Int(2), 0);
  EXPECT_EQ(t->column(2).Int(0), 7);
  EXPECT_EQ(t->column(2).Int(1), -8);
  EXPECT_EQ(t->column(2).Int(2), 2147483647);
}

TEST(ParquetHandBuiltTest, UnsupportedCodecNamesIt) {
  std::string bytes = HandBuiltFile();
  const uint32_t len = FooterLength(bytes);
  auto meta =
      parquet::DecodeFileMetaData(std::string_view(bytes).substr(bytes.size() - 8 - len, len));
  ASSERT_TRUE(meta.ok());
  meta->row_groups[0].columns[2].meta_data->codec = parquet::Codec::kGzip;
  std::string footer;
  parquet::EncodeFileMetaData(*meta, &footer);
  bytes.resize(bytes.size() - 8 - len);
  bytes += footer;
  const uint32_t new_len = static_cast<uint32_t>(footer.size());
  bytes.append(reinterpret_cast<const char*>(&new_len), 4);
  bytes += "PAR1";
  auto r = OpenParquetReader(MemoryRandomAccessFile(bytes, "hand.parquet"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("GZIP"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("'n'"), std::string::npos) << r.status().ToString();
}

TEST(ParquetHandBuiltTest, EveryTruncationIsAnErrorNotACrash) {
  const std::string bytes = HandBuiltFile();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    // Keep the tail (footer and magic) and damage the data instead: zero one byte.
    std::string bad = bytes;
    bad[cut] = static_cast<char>(bad[cut] ^ 0x5A);
    auto r = ReadBytes(bad, "bad.parquet");
    (void)r;  // any outcome but a crash is fine; ASan/UBSan builds check the rest
    auto truncated = ReadBytes(bytes.substr(0, cut), "bad.parquet");
    EXPECT_FALSE(truncated.ok());
  }
}

}  // namespace
}  // namespace cairn::table
