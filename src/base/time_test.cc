#include "base/time.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

// Epoch values below are worked out by hand: days since 1970-01-01 times 86400, e.g.
// 2000-01-01 is 30 years with 7 leap days (72, 76, ..., 96) = 30 * 365 + 7 = 10957 days.
constexpr int64_t kDay = 86400;
constexpr int64_t kMicros = 1000000;

TEST(CivilTest, KnownDates) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 1, 1), 10957);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 10957 + 31 + 29);  // 2000 is a leap year
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(1900, 1, 1), -25567);  // 70 years, 17 leap days (1904..1968)
}

TEST(CivilTest, CivilFromDaysInvertsDaysFromCivil) {
  for (int64_t d = -800000; d <= 800000; d += 997) {
    int64_t y = 0;
    int m = 0, dd = 0;
    CivilFromDays(d, &y, &m, &dd);
    ASSERT_EQ(DaysFromCivil(y, m, dd), d);
  }
  int64_t y = 0;
  int m = 0, d = 0;
  CivilFromDays(-1, &y, &m, &d);
  EXPECT_EQ(y, 1969);
  EXPECT_EQ(m, 12);
  EXPECT_EQ(d, 31);
}

TEST(ParseTimestampTest, DateOnlyIsMidnightUtc) {
  EXPECT_EQ(ParseTimestampMicros("1970-01-01"), 0);
  EXPECT_EQ(ParseTimestampMicros("2000-01-01"), 10957 * kDay * kMicros);
}

TEST(ParseTimestampTest, LeapDaysFollowGregorianRules) {
  // 2000-02-29 = 10957 + 31 + 28 days.
  EXPECT_EQ(ParseTimestampMicros("2000-02-29T00:00:00Z"), (10957 + 59) * kDay * kMicros);
  EXPECT_EQ(ParseTimestampMicros("2024-02-29"), 19782 * kDay * kMicros);
  EXPECT_EQ(ParseTimestampMicros("2021-02-29"), std::nullopt);  // not a leap year
  EXPECT_EQ(ParseTimestampMicros("1900-02-29"), std::nullopt);  // century, not leap
  EXPECT_EQ(ParseTimestampMicros("2021-02-30"), std::nullopt);
}

TEST(ParseTimestampTest, SeparatorsAndZones) {
  // 2021-06-01 = 18628 (2021-01-01) + 151 days.
  const int64_t june1 = 18779 * kDay;
  EXPECT_EQ(ParseTimestampMicros("2021-06-01T12:30:15Z"), (june1 + 45015) * kMicros);
  EXPECT_EQ(ParseTimestampMicros("2021-06-01 12:30:15"), (june1 + 45015) * kMicros);
  EXPECT_EQ(ParseTimestampMicros("2021-06-01 12:30"), (june1 + 45000) * kMicros);
  EXPECT_EQ(ParseTimestampMicros("2021-06-01T12:30:15 UTC"), (june1 + 45015) * kMicros);
}

TEST(ParseTimestampTest, OffsetsAreSubtracted) {
  const int64_t june1 = 18779 * kDay;
  EXPECT_EQ(ParseTimestampMicros("2021-06-01T12:00:00+02:00"), (june1 + 10 * 3600) * kMicros);
  EXPECT_EQ(ParseTimestampMicros("2021-06-01T12:00:00+0200"), (june1 + 10 * 3600) * kMicros);
  EXPECT_EQ(ParseTimestampMicros("2021-06-01T12:00:00+02"), (june1 + 10 * 3600) * kMicros);
  EXPECT_EQ(ParseTimestampMicros("2021-06-01T00:00:00-05:30"), (june1 + 19800) * kMicros);
  // An offset can move the instant to the previous day.
  EXPECT_EQ(ParseTimestampMicros("2021-06-01T01:00:00+03:00"), (june1 - 7200) * kMicros);
}

TEST(ParseTimestampTest, FractionsAreTruncatedTowardNegativeInfinity) {
  EXPECT_EQ(ParseTimestampMicros("1970-01-01T00:00:00.5Z"), 500000);
  EXPECT_EQ(ParseTimestampMicros("1970-01-01T00:00:01.000001"), 1000001);
  EXPECT_EQ(ParseTimestampMicros("1970-01-01T00:00:00.1234567"), 123456);
  EXPECT_EQ(ParseTimestampNanos("1970-01-01T00:00:00.123456789"), 123456789);
  // -1 s + 0.9999999 s = -100 ns, which floors to -1 us.
  EXPECT_EQ(ParseTimestampMicros("1969-12-31T23:59:59.9999999Z"), -1);
  EXPECT_EQ(ParseTimestampNanos("1969-12-31T23:59:59.9999999Z"), -100);
}

TEST(ParseTimestampTest, InvalidInputIsRejected) {
  for (const char* bad :
       {"", "2021", "2021-13-01", "2021-00-10", "2021-01-32", "2021-01-01T24:00:00",
        "2021-01-01T10:60", "2021-01-01T10:00:00.", "2021-01-01T10:00:00.1234567890",
        "2021-01-01T10:00:00+2", "2021-01-01T10:00:00+24:00", "2021-01-01X", "21-01-01",
        "2021/01/01", "2021-01-01T1:00"}) {
    EXPECT_EQ(ParseTimestampMicros(bad), std::nullopt) << bad;
  }
}

TEST(ParseTimestampTest, NanosOutOfRangeIsRejected) {
  // int64 nanoseconds end in 2262.
  EXPECT_EQ(ParseTimestampNanos("2300-01-01"), std::nullopt);
  EXPECT_TRUE(ParseTimestampMicros("2300-01-01").has_value());
}

TEST(FormatTimestampTest, WholeSecondsOmitTheFraction) {
  EXPECT_EQ(FormatTimestamp(0, 6), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp((10957 + 59) * kDay * kMicros, 6), "2000-02-29T00:00:00Z");
}

TEST(FormatTimestampTest, FractionsUseTheUnitsDigits) {
  EXPECT_EQ(FormatTimestamp(1500, 3), "1970-01-01T00:00:01.500Z");
  EXPECT_EQ(FormatTimestamp(123, 6), "1970-01-01T00:00:00.000123Z");
  EXPECT_EQ(FormatTimestamp(1, 9), "1970-01-01T00:00:00.000000001Z");
}

TEST(FormatTimestampTest, NegativeValuesCountBackFromTheEpoch) {
  EXPECT_EQ(FormatTimestamp(-1, 6), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimestamp(-kDay * 1000, 3), "1969-12-31T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(-25567 * kDay, 0), "1900-01-01T00:00:00Z");
}

TEST(FormatTimestampTest, RoundTripsThroughParse) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1622541600123456}, int64_t{-987654321}}) {
    EXPECT_EQ(ParseTimestampMicros(FormatTimestamp(v, 6)), v);
  }
}

}  // namespace
}  // namespace cairn
