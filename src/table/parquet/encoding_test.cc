// Byte-exact tests of the Parquet encodings and of the Thrift compact encoding of footers and
// page headers. Every expected byte is worked out by hand from the Parquet and Thrift
// specifications in the comments next to it.

#include "table/parquet/encoding.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "table/parquet/metadata.h"

namespace cairn::table::parquet {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string Hex(const std::string& s) {
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

TEST(BitWidthTest, IsTheNumberOfBitsOfTheLargestValue) {
  EXPECT_EQ(BitWidth(0), 0);
  EXPECT_EQ(BitWidth(1), 1);
  EXPECT_EQ(BitWidth(2), 2);
  EXPECT_EQ(BitWidth(3), 2);
  EXPECT_EQ(BitWidth(4), 3);
  EXPECT_EQ(BitWidth(255), 8);
  EXPECT_EQ(BitWidth(256), 9);
  EXPECT_EQ(BitWidth(65535), 16);
}

TEST(RleBitPackedTest, TenEqualValuesAreOneRleRun) {
  std::vector<uint32_t> v(10, 5);
  std::string out;
  EncodeRleBitPacked(v.data(), 10, 3, &out);
  // RLE header varint(10 << 1) = 20, then the value in ceil(3 / 8) = 1 byte.
  EXPECT_BYTES(out, Bytes({0x14, 0x05}));
}

TEST(RleBitPackedTest, SpecExampleZeroToSevenBitPacksIntoThreeBytes) {
  std::vector<uint32_t> v = {0, 1, 2, 3, 4, 5, 6, 7};
  std::string out;
  EncodeRleBitPacked(v.data(), 8, 3, &out);
  // Header varint(1 group << 1 | 1) = 3; the spec's example packing is
  // 10001000 11000110 11111010.
  EXPECT_BYTES(out, Bytes({0x03, 0x88, 0xC6, 0xFA}));
}

TEST(RleBitPackedTest, LiteralGroupFollowedByRepeatRun) {
  std::vector<uint32_t> v = {1, 2, 3, 4, 5, 6, 7, 0};
  v.insert(v.end(), 20, 4);
  std::string out;
  EncodeRleBitPacked(v.data(), static_cast<int64_t>(v.size()), 3, &out);
  // Group 1,2,3,4,5,6,7,0 at 3 bits, least significant bit first:
  //   byte0 = 1 | 2<<3 | (3&3)<<6           = 1 + 16 + 192 = 0xD1
  //   byte1 = 3>>2 | 4<<1 | 5<<4 | (6&1)<<7 = 0 + 8 + 80 + 0 = 0x58
  //   byte2 = 6>>1 | 7<<2 | 0<<5            = 3 + 28 = 0x1F
  // then RLE varint(20 << 1) = 40 = 0x28 with value 4.
  EXPECT_BYTES(out, Bytes({0x03, 0xD1, 0x58, 0x1F, 0x28, 0x04}));
}

TEST(RleBitPackedTest, RepeatLendsValuesToCompleteAPendingGroup) {
  std::vector<uint32_t> v = {1, 2, 3};
  v.insert(v.end(), 20, 9);
  std::string out;
  EncodeRleBitPacked(v.data(), static_cast<int64_t>(v.size()), 4, &out);
  // Three literals need five more values for a group of 8: 1,2,3,9,9,9,9,9 at 4 bits
  // (low nibble first) = 0x21 0x93 0x99 0x99; the other 15 nines are an RLE run:
  // varint(15 << 1) = 0x1E, value 0x09.
  EXPECT_BYTES(out, Bytes({0x03, 0x21, 0x93, 0x99, 0x99, 0x1E, 0x09}));
}

TEST(RleBitPackedTest, ShortTrailingGroupIsZeroPadded) {
  std::vector<uint32_t> v = {1, 0, 1};
  std::string out;
  EncodeRleBitPacked(v.data(), 3, 1, &out);
  // One group; bits 1,0,1 then five zero pad bits = 0b00000101.
  EXPECT_BYTES(out, Bytes({0x03, 0x05}));
}

TEST(RleBitPackedTest, SixteenBitValuesRepeatInTwoBytes) {
  std::vector<uint32_t> v(8, 0x1234);
  std::string out;
  EncodeRleBitPacked(v.data(), 8, 13, &out);
  // varint(8 << 1) = 16, value little-endian in ceil(13 / 8) = 2 bytes.
  EXPECT_BYTES(out, Bytes({0x10, 0x34, 0x12}));
}

TEST(RleBitPackedTest, WideValuesPackAcrossWordBoundaries) {
  // 8 values of 20 bits = 20 bytes; value i = 0xABCDE ^ i.
  std::vector<uint32_t> v;
  for (uint32_t i = 0; i < 8; ++i) v.push_back(0xABCDEu ^ (i * 0x11111u));
  std::string out;
  EncodeRleBitPacked(v.data(), 8, 20, &out);
  ASSERT_EQ(out.size(), 21u);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x03);
  // Read the bits back one by one, LSB first, as the spec defines the packing.
  for (size_t i = 0; i < 8; ++i) {
    uint32_t got = 0;
    for (int b = 0; b < 20; ++b) {
      size_t bit = i * 20 + static_cast<size_t>(b);
      uint32_t byte = static_cast<unsigned char>(out[1 + bit / 8]);
      uint32_t set = (byte >> (bit % 8)) & 1u;
      got |= set << b;
    }
    EXPECT_EQ(got, v[i]) << "value " << i;
  }
}

TEST(DefinitionLevelsTest, MixedNullsBitPack) {
  std::vector<uint8_t> validity = {1, 1, 0, 1};
  std::string out;
  EncodeDefinitionLevels(validity.data(), 4, &out);
  // Levels 1,1,0,1 at one bit = 0b1011, padded to a group of 8.
  EXPECT_BYTES(out, Bytes({0x03, 0x0B}));
}

TEST(DefinitionLevelsTest, NoNullsIsOneRleRunOfOnes) {
  std::string out;
  EncodeDefinitionLevels(nullptr, 100, &out);
  // varint(100 << 1) = 200 = 0xC8 0x01, value 1.
  EXPECT_BYTES(out, Bytes({0xC8, 0x01, 0x01}));
}

TEST(DefinitionLevelsTest, AnyNonZeroValidityByteMeansValid) {
  std::vector<uint8_t> validity(9, 7);
  validity[8] = 0;
  std::string out;
  EncodeDefinitionLevels(validity.data(), 9, &out);
  // Eight ones make an RLE run (0x10, 0x01), the final zero a padded literal group.
  EXPECT_BYTES(out, Bytes({0x10, 0x01, 0x03, 0x00}));
}

TEST(PlainTest, BooleansPackLeastSignificantBitFirst) {
  std::vector<uint8_t> v = {1, 0, 1, 1, 0, 0, 0, 0, 1, 1};
  std::string out;
  EncodePlainBooleans(v.data(), 10, &out);
  // 1+4+8 = 0x0D; the last two values set bits 0 and 1.
  EXPECT_BYTES(out, Bytes({0x0D, 0x03}));
}

TEST(PlainTest, ByteArraysHaveFourByteLittleEndianLengths) {
  std::string chars = "abc";
  std::vector<int64_t> offsets = {0, 2, 2, 3};
  std::string out;
  EncodePlainByteArrays(chars.data(), offsets.data(), 3, &out);
  EXPECT_BYTES(out, Bytes({2, 0, 0, 0, 'a', 'b', 0, 0, 0, 0, 1, 0, 0, 0, 'c'}));
}

TEST(PlainTest, Int64IsLittleEndian) {
  std::vector<int64_t> v = {1, -2};
  std::string out;
  EncodePlainFixed64(v.data(), 2, &out);
  EXPECT_BYTES(out,
               Bytes({1, 0, 0, 0, 0, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
}

TEST(DictionaryTest, IndicesFollowFirstAppearance) {
  Fixed64Dictionary d;
  EXPECT_EQ(d.Insert(42), 0);
  EXPECT_EQ(d.Insert(7), 1);
  EXPECT_EQ(d.Insert(42), 0);
  EXPECT_EQ(d.Insert(0), 2);
  EXPECT_EQ(d.values(), (std::vector<uint64_t>{42, 7, 0}));
}

TEST(DictionaryTest, KeepsIndicesAcrossTableGrowth) {
  Fixed64Dictionary d;
  for (uint64_t i = 0; i < 5000; ++i) ASSERT_EQ(d.Insert(i * 1000003), static_cast<int32_t>(i));
  for (uint64_t i = 0; i < 5000; ++i) ASSERT_EQ(d.Insert(i * 1000003), static_cast<int32_t>(i));
  EXPECT_EQ(d.size(), 5000);
}

TEST(DictionaryTest, RefusesEntriesPastTheEntryLimit) {
  Fixed64Dictionary d(DictionaryLimits{3, 1 << 20});
  EXPECT_EQ(d.Insert(1), 0);
  EXPECT_EQ(d.Insert(2), 1);
  EXPECT_EQ(d.Insert(3), 2);
  EXPECT_EQ(d.Insert(4), -1);
  EXPECT_EQ(d.Insert(2), 1);  // known values still resolve
  EXPECT_EQ(d.size(), 3);
}

TEST(DictionaryTest, ByteArrayDictionaryRefusesPastThePlainByteLimit) {
  // Each entry costs 4 length bytes plus its bytes: "ab" 6, "cde" 7 -> 13 of a 14 byte limit.
  ByteArrayDictionary d(DictionaryLimits{100, 14});
  EXPECT_EQ(d.Insert("ab"), 0);
  EXPECT_EQ(d.Insert("cde"), 1);
  EXPECT_EQ(d.Insert("f"), -1);  // would make 18
  EXPECT_EQ(d.Insert("ab"), 0);
  EXPECT_EQ(d.Insert(""), -1);  // would make 17
  std::string out;
  d.EncodePlain(&out);
  EXPECT_BYTES(out, Bytes({2, 0, 0, 0, 'a', 'b', 3, 0, 0, 0, 'c', 'd', 'e'}));
}

TEST(DictionaryTest, ByteArrayDictionaryDistinguishesEmptyAndManyStrings) {
  ByteArrayDictionary d;
  EXPECT_EQ(d.Insert(""), 0);
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(d.Insert("k" + std::to_string(i)), i + 1);
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(d.Insert("k" + std::to_string(i)), i + 1);
  EXPECT_EQ(d.Insert(""), 0);
  EXPECT_EQ(d.Value(2), "k1");
}

// ---- Thrift compact protocol ----

TEST(ThriftCompactTest, DataPageHeader) {
  PageHeader h;
  h.type = PageType::kDataPage;
  h.uncompressed_page_size = 100;
  h.compressed_page_size = 50;
  h.data_page_header.emplace();
  h.data_page_header->num_values = 10;
  h.data_page_header->encoding = Encoding::kPlain;
  std::string out;
  EncodePageHeader(h, &out);
  EXPECT_BYTES(out, Bytes({
                        0x15, 0x00,        // 1: i32 (delta 1, type 5) zigzag(0)
                        0x15, 0xC8, 0x01,  // 2: zigzag(100) = 200 as a varint
                        0x15, 0x64,        // 3: zigzag(50) = 100
                        0x2C,              // 5: struct (delta 2, type 12)
                        0x15, 0x14,        //   1: zigzag(10) = 20
                        0x15, 0x00,        //   2: PLAIN
                        0x15, 0x06,        //   3: RLE = 3 -> 6
                        0x15, 0x06,        //   4: RLE
                        0x00,              //   stop
                        0x00,              // stop
                    }));
}

TEST(ThriftCompactTest, DictionaryPageHeaderSkipsFieldIds) {
  PageHeader h;
  h.type = PageType::kDictionaryPage;
  h.uncompressed_page_size = 16;
  h.compressed_page_size = 16;
  h.dictionary_page_header.emplace();
  h.dictionary_page_header->num_values = 2;
  std::string out;
  EncodePageHeader(h, &out);
  EXPECT_BYTES(out, Bytes({
                        0x15,
                        0x04,  // 1: DICTIONARY_PAGE = 2 -> 4
                        0x15,
                        0x20,  // 2: 16 -> 32
                        0x15,
                        0x20,  // 3
                        0x4C,  // 7: struct, delta 4 from field 3
                        0x15,
                        0x04,  //   1: 2 entries
                        0x15,
                        0x00,  //   2: PLAIN
                        0x00,
                        0x00,
                    }));
}

TEST(ThriftCompactTest, DataPageHeaderV2CarriesBooleanInFieldType) {
  PageHeader h;
  h.type = PageType::kDataPageV2;
  h.uncompressed_page_size = 10;
  h.compressed_page_size = 8;
  h.data_page_header_v2.emplace();
  DataPageHeaderV2& v2 = *h.data_page_header_v2;
  v2.num_values = 3;
  v2.num_nulls = 1;
  v2.num_rows = 3;
  v2.encoding = Encoding::kRleDictionary;
  v2.definition_levels_byte_length = 2;
  v2.repetition_levels_byte_length = 0;
  v2.is_compressed = false;
  std::string out;
  EncodePageHeader(h, &out);
  EXPECT_BYTES(out, Bytes({
                        0x15, 0x06,  // 1: DATA_PAGE_V2 = 3 -> 6
                        0x15, 0x14,  // 2: 10 -> 20
                        0x15, 0x10,  // 3: 8 -> 16
                        0x5C,        // 8: struct, delta 5
                        0x15, 0x06,  //   1: 3 values
                        0x15, 0x02,  //   2: 1 null
                        0x15, 0x06,  //   3: 3 rows
                        0x15, 0x10,  //   4: RLE_DICTIONARY = 8 -> 16
                        0x15, 0x04,  //   5: 2
                        0x15, 0x00,  //   6: 0
                        0x12,        //   7: boolean false is type 2 in the header
                        0x00, 0x00,
                    }));
}

TEST(ThriftCompactTest, SmallFileMetaData) {
  FileMetaData m;
  m.version = 1;
  m.schema.resize(2);
  m.schema[0].name = "s";
  m.schema[0].num_children = 1;
  m.schema[1].type = PhysicalType::kInt64;
  m.schema[1].repetition_type = Repetition::kRequired;
  m.schema[1].name = "x";
  m.num_rows = 3;
  RowGroup rg;
  ColumnChunk cc;
  cc.file_offset = 4;
  ColumnMetaData md;
  md.type = PhysicalType::kInt64;
  md.encodings = {Encoding::kPlain};
  md.path_in_schema = {"x"};
  md.codec = Codec::kUncompressed;
  md.num_values = 3;
  md.total_uncompressed_size = 40;
  md.total_compressed_size = 40;
  md.data_page_offset = 4;
  Statistics st;
  st.null_count = 0;
  st.max_value = std::string(1, '\x05');
  st.min_value = std::string(1, '\x01');
  md.statistics = st;
  cc.meta_data = md;
  rg.columns.push_back(cc);
  rg.total_byte_size = 40;
  rg.num_rows = 3;
  m.row_groups.push_back(rg);
  m.created_by = "c";
  m.num_column_orders = 1;
  std::string out;
  EncodeFileMetaData(m, &out);
  EXPECT_BYTES(out, Bytes({
                        0x15, 0x02,             // 1 version: zigzag(1)
                        0x19, 0x2C,             // 2 schema: list, 2 structs
                        0x48, 0x01, 's',        //   4 name (delta 4, binary)
                        0x15, 0x02,             //   5 num_children: 1
                        0x00,                   //   stop
                        0x15, 0x04,             //   1 type INT64 = 2
                        0x25, 0x00,             //   3 repetition REQUIRED (delta 2)
                        0x18, 0x01, 'x',        //   4 name
                        0x00,                   //   stop
                        0x16, 0x06,             // 3 num_rows: i64 zigzag(3)
                        0x19, 0x1C,             // 4 row_groups: 1 struct
                        0x19, 0x1C,             //   1 columns: 1 struct
                        0x26, 0x08,             //     2 file_offset: 4
                        0x1C,                   //     3 meta_data
                        0x15, 0x04,             //       1 type
                        0x19, 0x15, 0x00,       //       2 encodings: 1 i32, PLAIN
                        0x19, 0x18, 0x01, 'x',  //       3 path: 1 binary "x"
                        0x15, 0x00,             //       4 codec
                        0x16, 0x06,             //       5 num_values 3
                        0x16, 0x50,             //       6 40 -> 80
                        0x16, 0x50,             //       7
                        0x26, 0x08,             //       9 data_page_offset (delta 2)
                        0x3C,                   //       12 statistics (delta 3)
                        0x36, 0x00,             //         3 null_count
                        0x28, 0x01, 0x05,       //         5 max_value
                        0x18, 0x01, 0x01,       //         6 min_value
                        0x00,                   //         stop
                        0x00,                   //       stop
                        0x00,                   //     stop
                        0x16, 0x50,             //   2 total_byte_size
                        0x16, 0x06,             //   3 num_rows
                        0x00,                   //   stop
                        0x28, 0x01, 'c',        // 6 created_by (delta 2)
                        0x19, 0x1C,             // 7 column_orders: 1 struct
                        0x1C, 0x00, 0x00,       //   1 TYPE_ORDER {}, end of union
                        0x00,                   // stop
                    }));
}

TEST(ThriftCompactTest, NegativeAndMultiByteVarints) {
  FileMetaData m;
  m.version = -1;
  m.num_rows = 300;
  std::string out;
  EncodeFileMetaData(m, &out);
  EXPECT_BYTES(out, Bytes({
                        0x15,
                        0x01,  // zigzag(-1) = 1
                        0x19,
                        0x0C,  // empty list of structs
                        0x16,
                        0xD8,
                        0x04,  // zigzag(300) = 600 = 0b100_1011000
                        0x19,
                        0x0C,
                        0x00,
                    }));
}

TEST(ThriftCompactTest, ListsOfFifteenOrMoreUseTheLongHeader) {
  FileMetaData m;
  m.schema.resize(16);
  for (auto& e : m.schema) e.name = "a";
  std::string out;
  EncodeFileMetaData(m, &out);
  // After the version (0x15 0x02): list header 0x19, then 0xF0 | struct and varint(16).
  ASSERT_GE(out.size(), 5u);
  EXPECT_BYTES(out.substr(0, 5), Bytes({0x15, 0x02, 0x19, 0xFC, 0x10}));
}

TEST(ThriftCompactTest, TimestampLogicalTypeNestsUnions) {
  FileMetaData m;
  m.schema.resize(1);
  SchemaElement& e = m.schema[0];
  e.type = PhysicalType::kInt64;
  e.repetition_type = Repetition::kOptional;
  e.name = "t";
  e.converted_type = ConvertedType::kTimestampMicros;
  e.logical_type.kind = LogicalType::Kind::kTimestamp;
  e.logical_type.is_adjusted_to_utc = true;
  e.logical_type.time_unit = 2;
  std::string out;
  EncodeFileMetaData(m, &out);
  EXPECT_BYTES(out, Bytes({
                        0x15, 0x02,       // version
                        0x19, 0x1C,       // schema: 1 struct
                        0x15, 0x04,       //   1 INT64
                        0x25, 0x02,       //   3 OPTIONAL
                        0x18, 0x01, 't',  //   4 name
                        0x25, 0x14,       //   6 TIMESTAMP_MICROS = 10 (delta 2)
                        0x4C,             //   10 logicalType (delta 4)
                        0x8C,             //     8 TIMESTAMP (delta 8)
                        0x11,             //       1 isAdjustedToUTC: true is type 1
                        0x1C,             //       2 unit
                        0x2C, 0x00,       //         2 MICROS {}
                        0x00,             //       end unit
                        0x00,             //     end TimestampType
                        0x00,             //   end LogicalType
                        0x00,             // end SchemaElement
                        0x16, 0x00,       // num_rows
                        0x19, 0x0C,       // no row groups
                        0x00,
                    }));
}

}  // namespace
}  // namespace cairn::table::parquet
