// Tests of the Parquet writer. Small files are checked byte for byte against layouts worked
// out by hand from the Parquet specification; footers are checked through the footer decoder;
// values through a round trip with the reader. DuckDB reads the same files in the interop
// suite (tests/interop).

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "base/file.h"
#include "table/parquet.h"
#include "table/parquet/compression.h"
#include "table/parquet/metadata.h"

namespace cairn::table {
namespace {

namespace pq = parquet;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string Hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
    out.push_back(' ');
  }
  return out;
}

#define EXPECT_BYTES(actual, expected) EXPECT_EQ(Hex(actual), Hex(expected))

std::string Le64(int64_t v) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &v, 8);
  return s;
}
std::string Le64(double v) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &v, 8);
  return s;
}
uint32_t Le32At(const std::string& s, size_t pos) {
  uint32_t v = 0;
  std::memcpy(&v, s.data() + pos, 4);
  return v;
}

WriteOptions Plain(bool v2 = false) {
  WriteOptions o;
  o.parquet.compression = Compression::kUncompressed;
  o.parquet.dictionary = false;
  o.parquet.statistics = false;
  o.parquet.data_page_v2 = v2;
  o.num_threads = 1;
  return o;
}

Result<std::string> WriteBatches(const std::vector<Table>& batches, const Schema& schema,
                                 const WriteOptions& options) {
  std::string out;
  CAIRN_ASSIGN_OR_RETURN(auto writer,
                         OpenParquetWriter(StringWritableFile(&out, "t.parquet"), schema, options));
  for (const Table& b : batches) CAIRN_RETURN_IF_ERROR(writer->Write(b));
  CAIRN_RETURN_IF_ERROR(writer->Close());
  return out;
}

std::string MustWrite(const Table& t, const WriteOptions& options) {
  Result<std::string> r = WriteBatches({t}, t.schema(), options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::string();
}

pq::FileMetaData Footer(const std::string& file) {
  EXPECT_GE(file.size(), 12u);
  EXPECT_EQ(file.substr(0, 4), "PAR1");
  EXPECT_EQ(file.substr(file.size() - 4), "PAR1");
  uint32_t len = Le32At(file, file.size() - 8);
  Result<pq::FileMetaData> m =
      pq::DecodeFileMetaData(std::string_view(file).substr(file.size() - 8 - len, len));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : pq::FileMetaData();
}

Table MakeTable(Schema schema) {
  Table t(std::move(schema));
  return t;
}

// A table with every type, nulls, NaN, signed zeros, empty and non-ASCII strings, and
// low- and high-cardinality columns. Row i's values are simple functions of i.
Table MixedTable(int64_t rows) {
  Schema schema({{"id", DataType::Int64(), false},
                 {"x", DataType::Float64(), true},
                 {"flag", DataType::Bool(), true},
                 {"cat", DataType::String(), false},
                 {"note", DataType::String(), true},
                 {"ts", DataType::Timestamp(TimeUnit::kMicro), true},
                 {"ms", DataType::Timestamp(TimeUnit::kMilli), false},
                 {"ns", DataType::Timestamp(TimeUnit::kNano), true}});
  Table t(schema);
  for (int64_t i = 0; i < rows; ++i) {
    t.mutable_column(0).AppendInt(i * 7 - 1000);
    if (i % 9 == 4) {
      t.mutable_column(1).AppendNull();
    } else if (i % 50 == 7) {
      t.mutable_column(1).AppendDouble(std::numeric_limits<double>::quiet_NaN());
    } else if (i % 50 == 8) {
      t.mutable_column(1).AppendDouble(-0.0);
    } else {
      t.mutable_column(1).AppendDouble(static_cast<double>(i) / 8.0 - 3.0);
    }
    if (i % 13 == 6) {
      t.mutable_column(2).AppendNull();
    } else {
      t.mutable_column(2).AppendBool(i % 3 == 0);
    }
    t.mutable_column(3).AppendString("cat_" + std::to_string(i % 20));
    if (i % 17 == 8) {
      t.mutable_column(4).AppendNull();
    } else if (i % 17 == 9) {
      t.mutable_column(4).AppendString("");
    } else if (i % 17 == 10) {
      t.mutable_column(4).AppendString("h\xC3\xA9llo \xE2\x9C\x93 " + std::to_string(i));
    } else {
      t.mutable_column(4).AppendString("note " + std::to_string(i * 2654435761 % 1000003));
    }
    if (i % 5 == 1) {
      t.mutable_column(5).AppendNull();
    } else {
      t.mutable_column(5).AppendInt(1654084800000000 + i * 4321987);
    }
    t.mutable_column(6).AppendInt(i * 1000 - 5000);
    if (i % 4 == 2) {
      t.mutable_column(7).AppendNull();
    } else {
      t.mutable_column(7).AppendInt(i * 1000000007 - 3);
    }
  }
  EXPECT_TRUE(t.SyncRowCount().ok());
  return t;
}

// ---- Exact layouts ----

TEST(ParquetWriterTest, TinyRequiredInt64FileIsByteExact) {
  Table t = MakeTable(Schema({{"x", DataType::Int64(), false}}));
  for (int64_t v : {1, 2, 3}) t.mutable_column(0).AppendInt(v);
  ASSERT_TRUE(t.SyncRowCount().ok());
  std::string file = MustWrite(t, Plain());

  std::string page_header = Bytes({
      0x15,
      0x00,  // type DATA_PAGE
      0x15,
      0x30,  // uncompressed_page_size 24 (zigzag 48)
      0x15,
      0x30,  // compressed_page_size 24
      0x2C,  // data_page_header (field 5)
      0x15,
      0x06,  //   num_values 3
      0x15,
      0x00,  //   encoding PLAIN
      0x15,
      0x06,  //   definition_level_encoding RLE
      0x15,
      0x06,  //   repetition_level_encoding RLE
      0x00,
      0x00,
  });
  std::string values = Le64(int64_t{1}) + Le64(int64_t{2}) + Le64(int64_t{3});
  // The chunk is 17 + 24 = 41 bytes: zigzag(41) = 82 = 0x52.
  std::string created_by = "cairn version 0.1.0 (build cairn)";
  std::string footer = Bytes({
      0x15, 0x02,  // version 1
      0x19, 0x2C,  // schema: 2 elements
      0x48, 0x06,
      's',  'c',
      'h',  'e',
      'm',  'a',  //   name "schema"
      0x15, 0x02,
      0x00,        //   num_children 1
      0x15, 0x04,  //   type INT64
      0x25, 0x00,  //   repetition REQUIRED
      0x18, 0x01,
      'x',  0x00,  //   name "x"
      0x16, 0x06,  // num_rows 3
      0x19, 0x1C,  // row_groups: 1
      0x19, 0x1C,  //   columns: 1
      0x26, 0x08,  //     file_offset 4
      0x1C,        //     meta_data
      0x15, 0x04,  //       type INT64
      0x19, 0x15,
      0x00,  //       encodings [PLAIN]
      0x19, 0x18,
      0x01, 'x',   //       path_in_schema ["x"]
      0x15, 0x00,  //       codec UNCOMPRESSED
      0x16, 0x06,  //       num_values 3
      0x16, 0x52,
      0x16, 0x52,                                 //       total sizes 41, 41
      0x26, 0x08,                                 //       data_page_offset 4
      0x00, 0x00,                                 //     end meta_data, end chunk
      0x16, 0x52,                                 //   total_byte_size 41
      0x16, 0x06,                                 //   num_rows 3
      0x26, 0x08,                                 //   file_offset 4 (field 5)
      0x16, 0x52,                                 //   total_compressed_size 41
      0x14, 0x00,                                 //   ordinal 0 (i16, type 4)
      0x00,                                       // end row group
      0x28, static_cast<int>(created_by.size()),  // created_by (field 6)
  });
  footer += created_by;
  footer += Bytes({0x19, 0x1C, 0x1C, 0x00, 0x00, 0x00});  // [TYPE_ORDER], end
  std::string footer_len(4, '\0');
  uint32_t len = static_cast<uint32_t>(footer.size());
  std::memcpy(footer_len.data(), &len, 4);
  EXPECT_BYTES(file, "PAR1" + page_header + values + footer + footer_len + "PAR1");
}

TEST(ParquetWriterTest, DictionaryChunkIsAPlainDictionaryPageThenIndices) {
  Table t = MakeTable(Schema({{"s", DataType::String(), false}}));
  for (const char* s : {"b", "a", "b", "b"}) t.mutable_column(0).AppendString(s);
  ASSERT_TRUE(t.SyncRowCount().ok());
  WriteOptions o = Plain();
  o.parquet.dictionary = true;
  std::string file = MustWrite(t, o);
  std::string expected = Bytes({
      0x15, 0x04,  // DICTIONARY_PAGE
      0x15, 0x14,  // 10 bytes
      0x15, 0x14,
      0x4C,                                                      // dictionary_page_header (field 7)
      0x15, 0x04,                                                //   2 entries
      0x15, 0x00,                                                //   PLAIN
      0x00, 0x00, 1,    0,    0,    0,    'b', 1, 0, 0, 0, 'a',  // entries in first-seen order
      0x15, 0x00,                                                // DATA_PAGE
      0x15, 0x06,                                                // 3 bytes
      0x15, 0x06, 0x2C, 0x15, 0x08,                              //   4 values
      0x15, 0x10,                                                //   RLE_DICTIONARY
      0x15, 0x06, 0x15, 0x06, 0x00, 0x00,
      0x01,        // bit width 1
      0x03, 0x02,  // one bit-packed group: indices 0,1,0,0 = 0b0010
  });
  EXPECT_BYTES(file.substr(4, expected.size()), expected);
  pq::FileMetaData m = Footer(file);
  ASSERT_EQ(m.row_groups.size(), 1u);
  const pq::ColumnMetaData& c = *m.row_groups[0].columns[0].meta_data;
  ASSERT_TRUE(c.dictionary_page_offset.has_value());
  EXPECT_EQ(*c.dictionary_page_offset, 4);
  EXPECT_EQ(c.data_page_offset, 4 + 13 + 10);  // magic, page header, entries
  EXPECT_EQ(c.encodings,
            (std::vector<pq::Encoding>{pq::Encoding::kPlain, pq::Encoding::kRleDictionary}));
  EXPECT_EQ(c.total_compressed_size, static_cast<int64_t>(expected.size()));
}

TEST(ParquetWriterTest, OptionalColumnV1PagePrefixesLevelsWithTheirLength) {
  Table t = MakeTable(Schema({{"x", DataType::Int64(), true}}));
  t.mutable_column(0).AppendInt(1);
  t.mutable_column(0).AppendNull();
  t.mutable_column(0).AppendInt(3);
  ASSERT_TRUE(t.SyncRowCount().ok());
  std::string file = MustWrite(t, Plain());
  std::string expected = Bytes({
      0x15, 0x00, 0x15, 0x2C,        // 22 bytes: 4 + 2 level bytes + 16 value bytes
      0x15, 0x2C, 0x2C, 0x15, 0x06,  //   3 values, nulls included
      0x15, 0x00, 0x15, 0x06, 0x15, 0x06, 0x00, 0x00, 2, 0, 0, 0,  // level length
      0x03, 0x05,                                                  // levels 1,0,1 bit-packed
  });
  expected += Le64(int64_t{1}) + Le64(int64_t{3});  // nulls take no value slot
  EXPECT_BYTES(file.substr(4, expected.size()), expected);
  pq::FileMetaData m = Footer(file);
  EXPECT_EQ(m.row_groups[0].columns[0].meta_data->encodings,
            (std::vector<pq::Encoding>{pq::Encoding::kPlain, pq::Encoding::kRle}));
}

TEST(ParquetWriterTest, OptionalColumnV2PageKeepsLevelsOutsideTheValues) {
  Table t = MakeTable(Schema({{"x", DataType::Int64(), true}}));
  t.mutable_column(0).AppendInt(1);
  t.mutable_column(0).AppendNull();
  t.mutable_column(0).AppendInt(3);
  ASSERT_TRUE(t.SyncRowCount().ok());
  std::string file = MustWrite(t, Plain(/*v2=*/true));
  std::string expected = Bytes({
      0x15, 0x06,  // DATA_PAGE_V2
      0x15, 0x24,  // 18 bytes: 2 level bytes + 16 value bytes
      0x15, 0x24,
      0x5C,                    // data_page_header_v2 (field 8)
      0x15, 0x06,              //   num_values 3
      0x15, 0x02,              //   num_nulls 1
      0x15, 0x06,              //   num_rows 3
      0x15, 0x00,              //   PLAIN
      0x15, 0x04,              //   definition_levels_byte_length 2
      0x15, 0x00,              //   repetition_levels_byte_length 0
      0x12,                    //   is_compressed false
      0x00, 0x00, 0x03, 0x05,  // levels, no length prefix
  });
  expected += Le64(int64_t{1}) + Le64(int64_t{3});
  EXPECT_BYTES(file.substr(4, expected.size()), expected);
  EXPECT_EQ(Footer(file).version, 2);
}

TEST(ParquetWriterTest, SnappyV2PageCompressesOnlyTheValues) {
  Table t = MakeTable(Schema({{"x", DataType::Int64(), true}}));
  t.mutable_column(0).AppendInt(1);
  t.mutable_column(0).AppendNull();
  t.mutable_column(0).AppendInt(3);
  ASSERT_TRUE(t.SyncRowCount().ok());
  WriteOptions o = Plain(/*v2=*/true);
  o.parquet.compression = Compression::kSnappy;
  std::string file = MustWrite(t, o);
  int64_t header_len = 0;
  Result<pq::PageHeader> h = pq::DecodePageHeader(std::string_view(file).substr(4), &header_len);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_TRUE(h->data_page_header_v2.has_value());
  EXPECT_TRUE(h->data_page_header_v2->is_compressed);
  EXPECT_EQ(h->uncompressed_page_size, 18);
  size_t body = 4 + static_cast<size_t>(header_len);
  EXPECT_BYTES(file.substr(body, 2), Bytes({0x03, 0x05}));
  std::string values(16, '\0');
  std::string_view compressed =
      std::string_view(file).substr(body + 2, static_cast<size_t>(h->compressed_page_size) - 2);
  ASSERT_TRUE(pq::Decompress(pq::Codec::kSnappy, compressed, 16, values.data()).ok());
  EXPECT_BYTES(values, Le64(int64_t{1}) + Le64(int64_t{3}));
}

// ---- Footer contents ----

TEST(ParquetWriterTest, SchemaCarriesPhysicalTypesAndAnnotations) {
  std::string file = MustWrite(MixedTable(10), WriteOptions());
  pq::FileMetaData m = Footer(file);
  ASSERT_EQ(m.schema.size(), 9u);
  EXPECT_EQ(m.schema[0].num_children, 8);
  EXPECT_EQ(m.num_rows, 10);
  EXPECT_EQ(m.num_column_orders, 8);
  EXPECT_EQ(m.created_by, "cairn version 0.1.0 (build cairn)");
  using PT = pq::PhysicalType;
  std::vector<PT> types = {PT::kInt64,     PT::kDouble, PT::kBoolean, PT::kByteArray,
                           PT::kByteArray, PT::kInt64,  PT::kInt64,   PT::kInt64};
  std::vector<bool> required = {true, false, false, true, false, false, true, false};
  for (size_t i = 0; i < 8; ++i) {
    const pq::SchemaElement& e = m.schema[i + 1];
    EXPECT_EQ(e.type, types[i]) << e.name;
    EXPECT_EQ(e.repetition_type,
              required[i] ? pq::Repetition::kRequired : pq::Repetition::kOptional)
        << e.name;
  }
  EXPECT_EQ(m.schema[4].converted_type, pq::ConvertedType::kUtf8);
  EXPECT_EQ(m.schema[4].logical_type.kind, pq::LogicalType::Kind::kString);
  EXPECT_EQ(m.schema[6].converted_type, pq::ConvertedType::kTimestampMicros);
  EXPECT_EQ(m.schema[6].logical_type.kind, pq::LogicalType::Kind::kTimestamp);
  EXPECT_TRUE(m.schema[6].logical_type.is_adjusted_to_utc);
  EXPECT_EQ(m.schema[6].logical_type.time_unit, 2);
  EXPECT_EQ(m.schema[7].converted_type, pq::ConvertedType::kTimestampMillis);
  EXPECT_EQ(m.schema[7].logical_type.time_unit, 1);
  EXPECT_FALSE(m.schema[8].converted_type.has_value());
  EXPECT_EQ(m.schema[8].logical_type.time_unit, 3);
  EXPECT_FALSE(m.schema[1].converted_type.has_value());
  EXPECT_EQ(m.schema[1].logical_type.kind, pq::LogicalType::Kind::kNone);
}

TEST(ParquetWriterTest, StatisticsFollowEachPhysicalTypesSortOrder) {
  Schema schema({{"i", DataType::Int64(), true},
                 {"d", DataType::Float64(), true},
                 {"s", DataType::String(), true},
                 {"b", DataType::Bool(), true},
                 {"z", DataType::Float64(), true},
                 {"n", DataType::Float64(), true},
                 {"e", DataType::String(), true}});
  Table t(schema);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Row by row: i, d, s, b, z (zeros only), n (NaN or null), e (always null).
  t.mutable_column(0).AppendInt(5);
  t.mutable_column(0).AppendInt(-3);
  t.mutable_column(0).AppendNull();
  t.mutable_column(0).AppendInt(7);
  for (double v : {nan, 2.5, -1.25, nan}) t.mutable_column(1).AppendDouble(v);
  // Bytewise unsigned: "Z" (0x5A) < "a" (0x61) < "\xC3\xA4" (0xC3 ...).
  t.mutable_column(2).AppendString("a");
  t.mutable_column(2).AppendString("\xC3\xA4");
  t.mutable_column(2).AppendString("Z");
  t.mutable_column(2).AppendNull();
  t.mutable_column(3).AppendBool(true);
  t.mutable_column(3).AppendNull();
  t.mutable_column(3).AppendBool(true);
  t.mutable_column(3).AppendBool(true);
  for (double v : {0.0, -0.0, 0.0, 0.0}) t.mutable_column(4).AppendDouble(v);
  t.mutable_column(5).AppendDouble(nan);
  t.mutable_column(5).AppendNull();
  t.mutable_column(5).AppendDouble(nan);
  t.mutable_column(5).AppendNull();
  for (int k = 0; k < 4; ++k) t.mutable_column(6).AppendNull();
  ASSERT_TRUE(t.SyncRowCount().ok());

  for (bool dictionary : {false, true}) {
    WriteOptions o;
    o.parquet.dictionary = dictionary;
    pq::FileMetaData m = Footer(MustWrite(t, o));
    ASSERT_EQ(m.row_groups.size(), 1u);
    auto stats = [&](size_t c) { return *m.row_groups[0].columns[c].meta_data->statistics; };

    pq::Statistics i = stats(0);
    EXPECT_EQ(i.null_count, 1);
    EXPECT_EQ(i.min_value, Le64(int64_t{-3}));
    EXPECT_EQ(i.max_value, Le64(int64_t{7}));
    EXPECT_EQ(i.min, Le64(int64_t{-3}));  // deprecated fields, numeric types only
    EXPECT_EQ(i.max, Le64(int64_t{7}));

    pq::Statistics d = stats(1);
    EXPECT_EQ(d.null_count, 0);
    EXPECT_EQ(d.min_value, Le64(-1.25));  // NaN ignored
    EXPECT_EQ(d.max_value, Le64(2.5));

    pq::Statistics s = stats(2);
    EXPECT_EQ(s.null_count, 1);
    EXPECT_EQ(s.min_value, "Z");
    EXPECT_EQ(s.max_value, "\xC3\xA4");
    EXPECT_FALSE(s.min.has_value());
    EXPECT_FALSE(s.max.has_value());

    pq::Statistics b = stats(3);
    EXPECT_EQ(b.null_count, 1);
    EXPECT_EQ(b.min_value, std::string(1, '\1'));  // all true: min is true
    EXPECT_EQ(b.max_value, std::string(1, '\1'));
    EXPECT_FALSE(b.min.has_value());

    pq::Statistics z = stats(4);
    EXPECT_EQ(z.min_value, Le64(-0.0));  // a zero min is written as -0.0
    EXPECT_EQ(z.max_value, Le64(0.0));   // and a zero max as +0.0

    pq::Statistics n = stats(5);
    EXPECT_EQ(n.null_count, 2);
    EXPECT_FALSE(n.min_value.has_value());  // only NaN and null: no bounds
    EXPECT_FALSE(n.max_value.has_value());

    pq::Statistics e = stats(6);
    EXPECT_EQ(e.null_count, 4);
    EXPECT_FALSE(e.min_value.has_value());
    EXPECT_FALSE(e.max_value.has_value());
  }
}

TEST(ParquetWriterTest, StatisticsOffWritesNone) {
  WriteOptions o;
  o.parquet.statistics = false;
  pq::FileMetaData m = Footer(MustWrite(MixedTable(100), o));
  for (const pq::ColumnChunk& c : m.row_groups[0].columns) {
    EXPECT_FALSE(c.meta_data->statistics.has_value());
  }
}

TEST(ParquetWriterTest, RowGroupsSplitAtRowGroupRowsWithConsistentOffsets) {
  WriteOptions o;
  o.parquet.row_group_rows = 4;
  std::string file = MustWrite(MixedTable(10), o);
  pq::FileMetaData m = Footer(file);
  EXPECT_EQ(m.num_rows, 10);
  ASSERT_EQ(m.row_groups.size(), 3u);
  std::vector<int64_t> rows = {4, 4, 2};
  int64_t pos = 4;  // chunks follow the magic back to back
  for (size_t g = 0; g < 3; ++g) {
    const pq::RowGroup& rg = m.row_groups[g];
    EXPECT_EQ(rg.num_rows, rows[g]);
    EXPECT_EQ(rg.ordinal, static_cast<int16_t>(g));
    EXPECT_EQ(rg.file_offset, pos);
    int64_t compressed = 0;
    for (const pq::ColumnChunk& c : rg.columns) {
      const pq::ColumnMetaData& md = *c.meta_data;
      EXPECT_EQ(c.file_offset, pos);
      EXPECT_EQ(md.dictionary_page_offset.value_or(md.data_page_offset), pos);
      EXPECT_EQ(md.num_values, rows[g]);
      EXPECT_EQ(md.codec, pq::Codec::kSnappy);
      pos += md.total_compressed_size;
      compressed += md.total_compressed_size;
    }
    EXPECT_EQ(rg.total_compressed_size, compressed);
  }
  uint32_t footer_len = Le32At(file, file.size() - 8);
  EXPECT_EQ(pos + footer_len + 8, static_cast<int64_t>(file.size()));
}

// Walks the pages of column chunk `c`, returning (page type, num_values) pairs.
std::vector<std::pair<pq::PageType, int32_t>> Pages(const std::string& file,
                                                    const pq::ColumnMetaData& c) {
  std::vector<std::pair<pq::PageType, int32_t>> pages;
  int64_t pos = c.dictionary_page_offset.value_or(c.data_page_offset);
  int64_t end = pos + c.total_compressed_size;
  while (pos < end) {
    int64_t len = 0;
    Result<pq::PageHeader> h =
        pq::DecodePageHeader(std::string_view(file).substr(static_cast<size_t>(pos)), &len);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    if (!h.ok()) break;
    int32_t n = h->data_page_header      ? h->data_page_header->num_values
                : h->data_page_header_v2 ? h->data_page_header_v2->num_values
                                         : h->dictionary_page_header->num_values;
    pages.emplace_back(h->type, n);
    pos += len + h->compressed_page_size;
  }
  EXPECT_EQ(pos, end);
  return pages;
}

TEST(ParquetWriterTest, PagesSplitAtAboutPageBytesOfValues) {
  Table t = MakeTable(Schema({{"x", DataType::Int64(), false}}));
  for (int64_t i = 0; i < 1000; ++i) t.mutable_column(0).AppendInt(i);
  ASSERT_TRUE(t.SyncRowCount().ok());
  WriteOptions o = Plain();
  o.parquet.page_bytes = 800;  // 100 INT64 values
  std::string file = MustWrite(t, o);
  pq::FileMetaData m = Footer(file);
  auto pages = Pages(file, *m.row_groups[0].columns[0].meta_data);
  ASSERT_EQ(pages.size(), 10u);
  for (const auto& [type, n] : pages) {
    EXPECT_EQ(type, pq::PageType::kDataPage);
    EXPECT_EQ(n, 100);
  }
}

TEST(ParquetWriterTest, DictionaryThatOutgrowsItsLimitFallsBackToPlain) {
  // The first 60,000 rows repeat 2,000 values, so that the dictionary pays for its part; the
  // unique values after them reach the 65,536-entry limit near row 130,600 (one row in ten is
  // null), and the remaining rows are PLAIN.
  Table t = MakeTable(Schema({{"x", DataType::Int64(), true}}));
  for (int64_t i = 0; i < 150000; ++i) {
    if (i % 10 == 3) {
      t.mutable_column(0).AppendNull();
    } else {
      t.mutable_column(0).AppendInt(i < 60000 ? i % 2000 : i);
    }
  }
  ASSERT_TRUE(t.SyncRowCount().ok());
  WriteOptions o;
  std::string file = MustWrite(t, o);
  pq::FileMetaData m = Footer(file);
  const pq::ColumnMetaData& c = *m.row_groups[0].columns[0].meta_data;
  EXPECT_EQ(c.encodings, (std::vector<pq::Encoding>{pq::Encoding::kPlain, pq::Encoding::kRle,
                                                    pq::Encoding::kRleDictionary}));
  auto pages = Pages(file, c);
  ASSERT_GE(pages.size(), 3u);
  EXPECT_EQ(pages[0].first, pq::PageType::kDictionaryPage);
  EXPECT_EQ(pages[0].second, 65536);
  int64_t rows = 0;
  for (size_t p = 1; p < pages.size(); ++p) rows += pages[p].second;
  EXPECT_EQ(rows, 150000);
}

TEST(ParquetWriterTest, NearlyUniqueColumnsSkipTheDictionary) {
  Table t = MakeTable(Schema({{"u", DataType::Int64(), false}, {"c", DataType::Int64(), false}}));
  for (int64_t i = 0; i < 5000; ++i) {
    t.mutable_column(0).AppendInt(i * 31);
    t.mutable_column(1).AppendInt(i % 3);
  }
  ASSERT_TRUE(t.SyncRowCount().ok());
  pq::FileMetaData m = Footer(MustWrite(t, WriteOptions()));
  EXPECT_FALSE(m.row_groups[0].columns[0].meta_data->dictionary_page_offset.has_value());
  EXPECT_TRUE(m.row_groups[0].columns[1].meta_data->dictionary_page_offset.has_value());
}

TEST(ParquetWriterTest, DictionaryOffWritesNoDictionaryPages) {
  WriteOptions o;
  o.parquet.dictionary = false;
  pq::FileMetaData m = Footer(MustWrite(MixedTable(500), o));
  for (const pq::ColumnChunk& c : m.row_groups[0].columns) {
    EXPECT_FALSE(c.meta_data->dictionary_page_offset.has_value());
    for (pq::Encoding e : c.meta_data->encodings) EXPECT_NE(e, pq::Encoding::kRleDictionary);
  }
}

TEST(ParquetWriterTest, EmptyFileHasTheSchemaAndNoRowGroups) {
  Table t = MixedTable(0);
  std::string file = MustWrite(t, WriteOptions());
  pq::FileMetaData m = Footer(file);
  EXPECT_EQ(m.num_rows, 0);
  EXPECT_TRUE(m.row_groups.empty());
  EXPECT_EQ(m.schema.size(), 9u);
}

// ---- Streaming and determinism ----

TEST(ParquetWriterTest, ManySmallWritesGiveTheSameBytesAsOneWrite) {
  Table t = MixedTable(5000);
  WriteOptions o;
  o.parquet.row_group_rows = 1500;
  std::string whole = MustWrite(t, o);
  std::vector<Table> batches;
  int64_t pos = 0, step = 1;
  while (pos < t.num_rows()) {
    int64_t len = std::min(step, t.num_rows() - pos);
    batches.push_back(t.Slice(pos, len));
    pos += len;
    step = step * 7 % 1601 + 1;
  }
  batches.push_back(t.Slice(0, 0));
  Result<std::string> streamed = WriteBatches(batches, t.schema(), o);
  ASSERT_TRUE(streamed.ok()) << streamed.status().ToString();
  EXPECT_TRUE(*streamed == whole);
  EXPECT_EQ(Footer(whole).row_groups.size(), 4u);
}

Result<Table> ReadBack(const std::string& file);

TEST(ParquetWriterTest, RowGroupsCanFollowTheBatches) {
  // row_group_rows 1000: batches of 400 and 1200 rows are encoded as they come (400; 1000 +
  // 200), a batch of 50 (< 1000 / 16) is buffered and joins the next rows.
  Table t = MixedTable(2050);
  WriteOptions o;
  o.parquet.row_group_rows = 1000;
  o.parquet.row_groups_follow_batches = true;
  std::vector<Table> batches = {t.Slice(0, 400), t.Slice(400, 1200), t.Slice(1600, 50),
                                t.Slice(1650, 400)};
  Result<std::string> streamed = WriteBatches(batches, t.schema(), o);
  ASSERT_TRUE(streamed.ok()) << streamed.status().ToString();
  auto m = Footer(*streamed);
  std::vector<int64_t> rows;
  for (const auto& g : m.row_groups) rows.push_back(g.num_rows);
  EXPECT_EQ(rows, (std::vector<int64_t>{400, 1000, 200, 450}));
  auto back = ReadBack(*streamed);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->Equals(t));
}

TEST(ParquetWriterTest, ThreadCountDoesNotChangeTheBytes) {
  Table t = MixedTable(20000);
  for (bool v2 : {false, true}) {
    WriteOptions o;
    o.parquet.row_group_rows = 3000;
    o.parquet.data_page_v2 = v2;
    o.parquet.page_bytes = 4096;
    o.num_threads = 1;
    std::string one = MustWrite(t, o);
    for (int threads : {2, 4}) {
      o.num_threads = threads;
      EXPECT_TRUE(MustWrite(t, o) == one) << threads << " threads, v2=" << v2;
    }
  }
}

// ---- Errors ----

TEST(ParquetWriterTest, NullInRequiredColumnNamesColumnAndRow) {
  Schema schema({{"id", DataType::Int64(), false}});
  std::string out;
  auto w = OpenParquetWriter(StringWritableFile(&out, "out.parquet"), schema, WriteOptions());
  ASSERT_TRUE(w.ok());
  Table a(schema);
  for (int i = 0; i < 5; ++i) a.mutable_column(0).AppendInt(i);
  ASSERT_TRUE(a.SyncRowCount().ok());
  ASSERT_TRUE((*w)->Write(a).ok());
  Table b(schema);
  b.mutable_column(0).AppendInt(5);
  b.mutable_column(0).AppendNull();
  ASSERT_TRUE(b.SyncRowCount().ok());
  Status s = (*w)->Write(b);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("out.parquet"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'id'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("index 6 "), std::string::npos) << s.message();  // 5 + 1
}

TEST(ParquetWriterTest, BatchWithAnotherSchemaIsRejected) {
  Schema schema({{"id", DataType::Int64(), false}, {"s", DataType::String(), true}});
  std::string out;
  auto w = OpenParquetWriter(StringWritableFile(&out), schema, WriteOptions());
  ASSERT_TRUE(w.ok());
  Table wrong_type(Schema({{"id", DataType::Int64(), false}, {"s", DataType::Float64(), true}}));
  Status s = (*w)->Write(wrong_type);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("float64"), std::string::npos) << s.message();
  Table wrong_name(Schema({{"id", DataType::Int64(), false}, {"t", DataType::String(), true}}));
  EXPECT_EQ((*w)->Write(wrong_name).code(), StatusCode::kInvalidArgument);
  Table fewer(Schema({{"id", DataType::Int64(), false}}));
  EXPECT_EQ((*w)->Write(fewer).code(), StatusCode::kInvalidArgument);
  // A rejected batch leaves the writer usable.
  Table right(schema);
  right.mutable_column(0).AppendInt(1);
  right.mutable_column(1).AppendString("x");
  ASSERT_TRUE(right.SyncRowCount().ok());
  EXPECT_TRUE((*w)->Write(right).ok());
  EXPECT_TRUE((*w)->Close().ok());
  EXPECT_EQ(Footer(out).num_rows, 1);
}

TEST(ParquetWriterTest, WriteAfterCloseFails) {
  Table t = MixedTable(3);
  std::string out;
  auto w = OpenParquetWriter(StringWritableFile(&out), t.schema(), WriteOptions());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_FALSE((*w)->Write(t).ok());
  EXPECT_FALSE((*w)->Close().ok());
}

TEST(ParquetWriterTest, InvalidOptionsAreRejectedAtOpen) {
  Schema schema({{"id", DataType::Int64(), false}});
  std::string out;
  WriteOptions o;
  o.parquet.row_group_rows = 0;
  EXPECT_EQ(OpenParquetWriter(StringWritableFile(&out), schema, o).status().code(),
            StatusCode::kInvalidArgument);
  o = WriteOptions();
  o.parquet.page_bytes = 0;
  EXPECT_EQ(OpenParquetWriter(StringWritableFile(&out), schema, o).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenParquetWriter(StringWritableFile(&out), Schema(), WriteOptions()).status().code(),
            StatusCode::kInvalidArgument);
}

// ---- Round trips through the reader ----

Result<Table> ReadBack(const std::string& file) {
  ReadOptions ro;
  ro.num_threads = 1;
  CAIRN_ASSIGN_OR_RETURN(auto reader, OpenParquetReader(MemoryRandomAccessFile(file), ro));
  Table all(reader->schema());
  Table batch;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool more, reader->Next(&batch));
    if (!more) break;
    CAIRN_RETURN_IF_ERROR(all.Append(batch));
  }
  return all;
}

TEST(ParquetWriterTest, EveryOptionCombinationRoundTripsThroughTheReader) {
  Table t = MixedTable(7000);
  int combos = 0;
  for (Compression codec : {Compression::kUncompressed, Compression::kSnappy, Compression::kZstd}) {
    for (bool v2 : {false, true}) {
      for (bool dictionary : {false, true}) {
        WriteOptions o;
        o.parquet.compression = codec;
        o.parquet.data_page_v2 = v2;
        o.parquet.dictionary = dictionary;
        o.parquet.row_group_rows = 3000;
        o.parquet.page_bytes = 2048;
        std::string file = MustWrite(t, o);
        Result<Table> back = ReadBack(file);
        if (!back.ok() && back.status().code() == StatusCode::kUnsupported) {
          GTEST_SKIP() << "reader not available: " << back.status().ToString();
        }
        ASSERT_TRUE(back.ok()) << back.status().ToString();
        EXPECT_EQ(back->schema(), t.schema());
        EXPECT_TRUE(back->Equals(t))
            << "codec " << static_cast<int>(codec) << " v2 " << v2 << " dictionary " << dictionary;
        ++combos;
      }
    }
  }
  EXPECT_EQ(combos, 12);
}

Result<Table> ReadAllOnThreads(const std::string& file, int threads) {
  ReadOptions ro;
  ro.num_threads = threads;
  CAIRN_ASSIGN_OR_RETURN(auto reader, OpenParquetReader(MemoryRandomAccessFile(file), ro));
  return reader->ReadAll();
}

// Strings that get longer row after row, so that early rows underestimate the later ones,
// and a column that is null for its first half.
Table GrowingStrings(int64_t rows) {
  Table t(Schema({{"grow", DataType::String(), true}, {"late", DataType::String(), true}}));
  for (int64_t i = 0; i < rows; ++i) {
    if (i % 11 == 3) {
      t.mutable_column(0).AppendNull();
    } else {
      t.mutable_column(0).AppendString(std::to_string(i) +
                                       std::string(static_cast<size_t>(i / 25), 'g'));
    }
    if (i < rows / 2) {
      t.mutable_column(1).AppendNull();
    } else {
      t.mutable_column(1).AppendString("late " + std::to_string(i % 7));
    }
  }
  EXPECT_TRUE(t.SyncRowCount().ok());
  return t;
}

TEST(ParquetWriterTest, ReadAllOfManyRowGroupsGivesTheTableBackOnAnyThreadCount) {
  // ReadAll decodes the row groups in parallel but must append each string column's groups
  // in order: with many small groups and several threads they finish out of order.
  for (const Table& t : {MixedTable(5000), GrowingStrings(5000)}) {
    for (Compression codec : {Compression::kSnappy, Compression::kUncompressed}) {
      for (bool dictionary : {false, true}) {
        WriteOptions o;
        o.parquet.compression = codec;
        o.parquet.dictionary = dictionary;
        o.parquet.row_group_rows = 97;
        o.parquet.page_bytes = 1024;
        const std::string file = MustWrite(t, o);
        for (int threads : {1, 2, 3, 8}) {
          SCOPED_TRACE("codec " + std::to_string(static_cast<int>(codec)) + " dictionary " +
                       std::to_string(dictionary) + " threads " + std::to_string(threads));
          Result<Table> back = ReadAllOnThreads(file, threads);
          ASSERT_TRUE(back.ok()) << back.status().ToString();
          EXPECT_TRUE(back->Equals(t));
        }
      }
    }
  }
}

TEST(ParquetWriterTest, ReadAllReportsADamagedStringChunkInALaterGroupOnAnyThreadCount) {
  WriteOptions o;
  o.parquet.row_group_rows = 100;
  std::string file = MustWrite(MixedTable(3000), o);
  pq::FileMetaData m = Footer(file);
  ASSERT_EQ(m.row_groups.size(), 30u);
  // Column 4 ("note") of group 17: garbage where its first page header starts.
  const pq::ColumnMetaData& note = *m.row_groups[17].columns[4].meta_data;
  const int64_t start = note.dictionary_page_offset.value_or(note.data_page_offset);
  std::memset(file.data() + start, 0xFF, 12);
  for (int threads : {1, 2, 8}) {
    Result<Table> back = ReadAllOnThreads(file, threads);
    ASSERT_FALSE(back.ok()) << "threads " << threads;
    EXPECT_EQ(back.status().code(), StatusCode::kCorrupt);
    EXPECT_NE(back.status().message().find("row group 17: column 'note'"), std::string::npos)
        << back.status().ToString();
  }
}

TEST(ParquetWriterTest, DictionaryFallbackRoundTripsThroughTheReader) {
  Table t = MakeTable(Schema({{"s", DataType::String(), true}}));
  for (int64_t i = 0; i < 30000; ++i) {
    std::string v = i < 10000 ? "r" + std::to_string(i % 500) : "u" + std::to_string(i);
    v.resize(64, '.');  // 68 PLAIN bytes each: the 1 MiB limit stops the dictionary
    if (i % 7 == 2) {
      t.mutable_column(0).AppendNull();
    } else {
      t.mutable_column(0).AppendString(v);
    }
  }
  ASSERT_TRUE(t.SyncRowCount().ok());
  std::string file = MustWrite(t, WriteOptions());
  pq::FileMetaData m = Footer(file);
  const pq::ColumnMetaData& c = *m.row_groups[0].columns[0].meta_data;
  EXPECT_TRUE(c.dictionary_page_offset.has_value());
  EXPECT_EQ(c.encodings.front(), pq::Encoding::kPlain);
  Result<Table> back = ReadBack(file);
  if (!back.ok() && back.status().code() == StatusCode::kUnsupported) {
    GTEST_SKIP() << "reader not available: " << back.status().ToString();
  }
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->Equals(t));
}

}  // namespace
}  // namespace cairn::table
