// Decoding tests on hand-built bytes. The examples follow the Parquet encoding
// specification (Encodings.md); every byte is worked out in the comments.

#include "table/parquet/decoding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace cairn::table::parquet {
namespace {

std::vector<uint8_t> Bytes(std::initializer_list<int> v) {
  std::vector<uint8_t> out;
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}

TEST(RleBitPackedDecoderTest, RleRunRepeatsOneValue) {
  // Header 10 << 1 = 20 (low bit 0: RLE run of 10), value 5 in one byte (bit width 3).
  auto data = Bytes({0x14, 0x05});
  RleBitPackedDecoder d;
  ASSERT_TRUE(d.Reset(data.data(), static_cast<int64_t>(data.size()), 3));
  std::vector<uint32_t> out(10);
  ASSERT_TRUE(d.Decode(out.data(), 10));
  EXPECT_EQ(out, std::vector<uint32_t>(10, 5));
  uint32_t extra;
  EXPECT_FALSE(d.Decode(&extra, 1));
}

TEST(RleBitPackedDecoderTest, BitPackedRunFromTheSpecification) {
  // The spec's example: 0..7 with bit width 3 is 10001000 11000110 11111010; header
  // (1 group << 1) | 1 = 3.
  auto data = Bytes({0x03, 0x88, 0xC6, 0xFA});
  RleBitPackedDecoder d;
  ASSERT_TRUE(d.Reset(data.data(), static_cast<int64_t>(data.size()), 3));
  std::vector<uint32_t> out(8);
  ASSERT_TRUE(d.Decode(out.data(), 8));
  EXPECT_EQ(out, (std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(RleBitPackedDecoderTest, MixedRunsDecodeInOddSteps) {
  // RLE: 4 x 1 (header 8, value 1); then bit-packed 0..7 (width 3) as above; then RLE 3 x 6.
  auto data = Bytes({0x08, 0x01, 0x03, 0x88, 0xC6, 0xFA, 0x06, 0x06});
  RleBitPackedDecoder d;
  ASSERT_TRUE(d.Reset(data.data(), static_cast<int64_t>(data.size()), 3));
  std::vector<uint8_t> out(15);
  ASSERT_TRUE(d.Decode(out.data(), 3));
  ASSERT_TRUE(d.Decode(out.data() + 3, 5));
  ASSERT_TRUE(d.Decode(out.data() + 8, 7));
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 1, 1, 1, 0, 1, 2, 3, 4, 5, 6, 7, 6, 6, 6}));
}

TEST(RleBitPackedDecoderTest, TruncatedBitPackedRunYieldsOnlyItsWholeValues) {
  // Header claims 2 groups (header 5) of width 3 but only 3 bytes (one group) follow.
  auto data = Bytes({0x05, 0x88, 0xC6, 0xFA});
  RleBitPackedDecoder d;
  ASSERT_TRUE(d.Reset(data.data(), static_cast<int64_t>(data.size()), 3));
  std::vector<uint32_t> out(9);
  ASSERT_TRUE(d.Decode(out.data(), 8));
  EXPECT_EQ(out[7], 7u);
  EXPECT_FALSE(d.Decode(out.data() + 8, 1));
}

TEST(RleBitPackedDecoderTest, BitWidthZeroNeedsNoValueBytes) {
  auto data = Bytes({0x10});  // RLE run of 8, no value bytes at width 0
  RleBitPackedDecoder d;
  ASSERT_TRUE(d.Reset(data.data(), 1, 0));
  std::vector<uint32_t> out(8, 9);
  ASSERT_TRUE(d.Decode(out.data(), 8));
  EXPECT_EQ(out, std::vector<uint32_t>(8, 0));
}

TEST(RleBitPackedDecoderTest, RejectsBitWidthAbove32AndTruncatedRleValue) {
  RleBitPackedDecoder d;
  uint8_t b = 0;
  EXPECT_FALSE(d.Reset(&b, 1, 33));
  // RLE run at width 16 needs 2 value bytes; only one is there.
  auto data = Bytes({0x02, 0x01});
  ASSERT_TRUE(d.Reset(data.data(), 2, 16));
  uint32_t v;
  EXPECT_FALSE(d.Decode(&v, 1));
}

TEST(RleBitPackedDecoderTest, WideBitPackedValues) {
  // Width 32: each value is its 4 little-endian bytes.
  std::vector<uint8_t> data = {0x03};
  const uint32_t values[8] = {0xFFFFFFFFu, 1, 0x80000000u, 2, 3, 4, 5, 0x12345678u};
  for (uint32_t v : values) {
    for (int k = 0; k < 4; ++k) data.push_back(static_cast<uint8_t>(v >> (8 * k)));
  }
  RleBitPackedDecoder d;
  ASSERT_TRUE(d.Reset(data.data(), static_cast<int64_t>(data.size()), 32));
  std::vector<uint32_t> out(8);
  ASSERT_TRUE(d.Decode(out.data(), 8));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out[static_cast<size_t>(i)], values[i]) << i;
}

TEST(Unpack8Test, EveryWidthMatchesABitByBitPacking) {
  for (int w = 1; w <= 32; ++w) {
    // Pack 8 values least significant bit first, one bit at a time.
    uint32_t values[8];
    for (int i = 0; i < 8; ++i) {
      uint64_t v = (uint64_t{0x9E3779B97F4A7C15} * static_cast<uint64_t>(i + 1)) >> 17;
      values[i] = static_cast<uint32_t>(w == 32 ? v : v & ((uint64_t{1} << w) - 1));
    }
    std::vector<uint8_t> packed(static_cast<size_t>(w), 0);
    for (int i = 0; i < 8; ++i) {
      for (int b = 0; b < w; ++b) {
        const int bit = i * w + b;
        if ((values[i] >> b) & 1) packed[static_cast<size_t>(bit / 8)] |= uint8_t(1u << (bit % 8));
      }
    }
    uint32_t out[8];
    Unpack8(packed.data(), w, out);
    for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], values[i]) << "width " << w << " value " << i;
  }
}

TEST(BitPackedLevelsTest, MostSignificantBitFirstFromTheSpecification) {
  // The spec's example: 0..7 at width 3 is 00000101 00111001 01110111.
  auto data = Bytes({0x05, 0x39, 0x77});
  std::vector<uint8_t> out(5);
  ASSERT_TRUE(DecodeBitPackedLevels(data.data(), 3, 3, 3, 5, out.data()));
  EXPECT_EQ(out, (std::vector<uint8_t>{3, 4, 5, 6, 7}));
  EXPECT_FALSE(DecodeBitPackedLevels(data.data(), 3, 3, 3, 6, out.data()));
}

TEST(DeltaBinaryPackedTest, ConstantDeltasNeedNoBits) {
  // 1, 2, 3, 4, 5: block 128 (0x80 0x01), 4 miniblocks, 5 values, first 1 (zigzag 2);
  // block: min delta 1 (zigzag 2), widths 0 0 0 0, no miniblock bytes.
  auto data = Bytes({0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0});
  DeltaBinaryPackedDecoder d;
  ASSERT_TRUE(d.Init(data.data(), static_cast<int64_t>(data.size())));
  int64_t end = 0;
  ASSERT_TRUE(d.FindEnd(&end));
  EXPECT_EQ(end, 10);
  std::vector<int64_t> out(5);
  ASSERT_TRUE(d.Decode(out.data(), 5));
  EXPECT_EQ(out, (std::vector<int64_t>{1, 2, 3, 4, 5}));
}

// 7, 5, 3, 1, 2, 3, 4, 5: deltas -2 -2 -2 1 1 1 1, min delta -2 (zigzag 3), relative deltas
// 0 0 0 3 3 3 3 at width 2 -> bytes 0b11000000 = 0xC0, 0b00111111 = 0x3F, then six zero
// bytes to fill the 32-value miniblock (32 * 2 / 8 = 8 bytes). First value 7 = zigzag 14.
std::vector<uint8_t> DeltaExample() {
  return Bytes({0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 2, 0, 0, 0, 0xC0, 0x3F, 0, 0, 0, 0, 0, 0});
}

TEST(DeltaBinaryPackedTest, NegativeDeltasAcrossTwoCalls) {
  auto data = DeltaExample();
  DeltaBinaryPackedDecoder d;
  ASSERT_TRUE(d.Init(data.data(), static_cast<int64_t>(data.size())));
  int64_t end = 0;
  ASSERT_TRUE(d.FindEnd(&end));
  EXPECT_EQ(end, 18);
  std::vector<int64_t> out(8);
  ASSERT_TRUE(d.Decode(out.data(), 3));
  EXPECT_EQ(d.remaining(), 5);
  ASSERT_TRUE(d.Decode(out.data() + 3, 5));
  EXPECT_EQ(out, (std::vector<int64_t>{7, 5, 3, 1, 2, 3, 4, 5}));
  int64_t more;
  EXPECT_FALSE(d.Decode(&more, 1));
}

TEST(DeltaBinaryPackedTest, TruncatedMiniblockIsAnError) {
  auto data = DeltaExample();
  DeltaBinaryPackedDecoder d;
  // Cut inside the first miniblock's two meaningful bytes.
  ASSERT_TRUE(d.Init(data.data(), 11));
  int64_t end;
  EXPECT_FALSE(d.FindEnd(&end));
  std::vector<int64_t> out(8);
  EXPECT_FALSE(d.Decode(out.data(), 8));
}

TEST(DeltaLengthByteArrayTest, LengthsThenBytes) {
  // "Hello" "World" "Foobar" "ABCDEF": lengths 5 5 6 6: first 5 (zigzag 10), deltas 0 1 0,
  // min 0, relative 0 1 0 at width 1 -> byte 0b010 = 0x02 plus 3 zero bytes.
  auto data = Bytes({0x80, 0x01, 0x04, 0x04, 0x0A, 0x00, 1, 0, 0, 0, 0x02, 0, 0, 0});
  const std::string text = "HelloWorldFoobarABCDEF";
  data.insert(data.end(), text.begin(), text.end());
  DeltaLengthByteArrayDecoder d;
  ASSERT_TRUE(d.Init(data.data(), static_cast<int64_t>(data.size())));
  std::string chars;
  uint32_t lengths[4];
  ASSERT_TRUE(d.Decode(1, &chars, lengths));
  ASSERT_TRUE(d.Decode(3, &chars, lengths + 1));
  EXPECT_EQ(chars, text);
  EXPECT_EQ(lengths[0], 5u);
  EXPECT_EQ(lengths[2], 6u);
  EXPECT_EQ(lengths[3], 6u);
}

TEST(DeltaByteArrayTest, PrefixesAndSuffixes) {
  // "axis" "axle" "babble" "babyhood": prefix lengths 0 2 0 3, suffixes "axis" "le" "babble"
  // "yhood" (lengths 4 2 6 5).
  // Prefixes: first 0, deltas 2 -2 3, min -2 (zigzag 3), relative 4 0 5 at width 3:
  //   bits 0-2 = 100, 3-5 = 000, 6-8 = 101 -> 0x44, 0x01, then 10 zero bytes (12 in all).
  // Suffix lengths: first 4 (zigzag 8), deltas -2 4 -1, min -2, relative 0 6 1 at width 3:
  //   bits 3-5 = 110, bit 6 = 1 -> 0x70, then 11 zero bytes.
  std::vector<uint8_t> data = Bytes({0x80, 0x01, 0x04, 0x04, 0x00, 0x03, 3, 0, 0, 0, 0x44, 0x01});
  data.resize(data.size() + 10, 0);
  for (int b : {0x80, 0x01, 0x04, 0x04, 0x08, 0x03, 3, 0, 0, 0, 0x70}) {
    data.push_back(static_cast<uint8_t>(b));
  }
  data.resize(data.size() + 11, 0);
  const std::string suffixes = "axislebabbleyhood";
  data.insert(data.end(), suffixes.begin(), suffixes.end());
  DeltaByteArrayDecoder d;
  ASSERT_TRUE(d.Init(data.data(), static_cast<int64_t>(data.size())));
  std::string chars;
  uint32_t lengths[4];
  ASSERT_TRUE(d.Decode(2, &chars, lengths));
  ASSERT_TRUE(d.Decode(2, &chars, lengths + 2));
  EXPECT_EQ(chars, "axisaxlebabblebabyhood");
  EXPECT_EQ(lengths[0], 4u);
  EXPECT_EQ(lengths[1], 4u);
  EXPECT_EQ(lengths[2], 6u);
  EXPECT_EQ(lengths[3], 8u);
}

TEST(PlainTest, BooleansAcrossCallsAndBytes) {
  // 0b10110101, 0b00000001: values 1 0 1 0 1 1 0 1 | 1.
  auto data = Bytes({0xB5, 0x01});
  const uint8_t* p = data.data();
  int bit = 0;
  std::vector<uint8_t> out(9);
  ASSERT_TRUE(DecodePlainBool(&p, data.data() + 2, &bit, 3, out.data()));
  ASSERT_TRUE(DecodePlainBool(&p, data.data() + 2, &bit, 6, out.data() + 3));
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 0, 1, 0, 1, 1, 0, 1, 1}));
  EXPECT_FALSE(DecodePlainBool(&p, data.data() + 2, &bit, 8, out.data()));
}

TEST(PlainTest, ByteArraysCheckEveryLength) {
  auto data = Bytes({2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0, 3, 0, 0, 0, 'a', 'b', 'c'});
  const uint8_t* p = data.data();
  std::string chars;
  uint32_t lengths[3];
  ASSERT_TRUE(DecodePlainByteArrays(&p, data.data() + data.size(), 3, &chars, lengths));
  EXPECT_EQ(chars, "hiabc");
  EXPECT_EQ(lengths[1], 0u);
  EXPECT_EQ(p, data.data() + data.size());
  // The last length claims one byte more than there is.
  data[10] = 4;
  p = data.data();
  chars.clear();
  EXPECT_FALSE(DecodePlainByteArrays(&p, data.data() + data.size(), 3, &chars, lengths));
}

TEST(PlainTest, Int32SignExtendsAndFloatWidensExactly) {
  auto data = Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x80});
  const uint8_t* p = data.data();
  int64_t ints[2];
  ASSERT_TRUE(DecodePlainInt32(&p, data.data() + 8, 2, ints));
  EXPECT_EQ(ints[0], -1);
  EXPECT_EQ(ints[1], INT32_MIN);
  // 0x3DCCCCCD is 0.1f = 0.100000001490116119384765625 exactly.
  auto f = Bytes({0xCD, 0xCC, 0xCC, 0x3D});
  p = f.data();
  double d;
  ASSERT_TRUE(DecodePlainFloat(&p, f.data() + 4, 1, &d));
  EXPECT_EQ(d, 0.100000001490116119384765625);
}

TEST(PlainTest, Int96IsJulianDayAndNanosOfDay) {
  // 2021-03-04 05:06:07.000000123 UTC: day 18690 since 1970 = Julian day 2459278
  // (0x0025868E); nanos of day (5*3600 + 6*60 + 7) * 1e9 + 123 = 18367000000123
  // (0x000010B46682B67B). Expected 18690 * 86400e9 + 18367000000123.
  auto data = Bytes({0x7B, 0xB6, 0x82, 0x66, 0xB4, 0x10, 0x00, 0x00, 0x8E, 0x86, 0x25, 0x00});
  EXPECT_EQ(Int96ToNanos(data.data()), 1614834367000000123LL);
}

TEST(ByteStreamSplitTest, ReassemblesLittleEndianValues) {
  // 1.0f = 00 00 80 3F and -2.0f = 00 00 00 C0, split into four 2-byte streams.
  auto data = Bytes({0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x3F, 0xC0});
  uint8_t out[8];
  DecodeByteStreamSplit(data.data(), 2, 4, 0, 2, out);
  float v[2];
  std::memcpy(v, out, 8);
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[1], -2.0f);
  DecodeByteStreamSplit(data.data(), 2, 4, 1, 1, out);
  std::memcpy(v, out, 4);
  EXPECT_EQ(v[0], -2.0f);
}

TEST(GatherDictionaryTest, RejectsAnIndexPastTheEnd) {
  const int64_t dict[3] = {10, 20, 30};
  const uint32_t good[4] = {2, 0, 1, 2};
  int64_t out[4];
  ASSERT_TRUE(GatherDictionary(dict, 3, good, 4, out));
  EXPECT_EQ(out[0], 30);
  EXPECT_EQ(out[2], 20);
  const uint32_t bad[2] = {1, 3};
  EXPECT_FALSE(GatherDictionary(dict, 3, bad, 2, out));
}

}  // namespace
}  // namespace cairn::table::parquet
