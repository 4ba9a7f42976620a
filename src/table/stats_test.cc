#include "table/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace cairn::table {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Column Ints(std::initializer_list<std::optional<int64_t>> values) {
  Column c(DataType::Int64());
  for (auto v : values) v ? c.AppendInt(*v) : c.AppendNull();
  return c;
}

Column Doubles(std::initializer_list<std::optional<double>> values) {
  Column c(DataType::Float64());
  for (auto v : values) v ? c.AppendDouble(*v) : c.AppendNull();
  return c;
}

Column Strings(std::initializer_list<std::optional<std::string>> values) {
  Column c(DataType::String());
  for (const auto& v : values) v ? c.AppendString(*v) : c.AppendNull();
  return c;
}

TEST(ColumnStatsTest, IntColumnCountsNullsMinMaxMean) {
  ColumnStats s(DataType::Int64());
  ASSERT_TRUE(s.Add(Ints({5, std::nullopt, -3, 10, 7})).ok());
  EXPECT_EQ(s.count(), 5);
  EXPECT_EQ(s.null_count(), 1);
  EXPECT_EQ(s.valid_count(), 4);
  EXPECT_EQ(s.min().int_value, -3);
  EXPECT_EQ(s.max().int_value, 10);
  EXPECT_EQ(s.min().type, DataType::Int64());
  // (5 - 3 + 10 + 7) / 4
  ASSERT_TRUE(s.mean().has_value());
  EXPECT_DOUBLE_EQ(*s.mean(), 4.75);
  EXPECT_EQ(s.DistinctEstimate(), 4);
}

TEST(ColumnStatsTest, IntegerSumDoesNotOverflow) {
  const int64_t big = std::numeric_limits<int64_t>::max();
  ColumnStats s(DataType::Int64());
  ASSERT_TRUE(s.Add(Ints({big, big, big})).ok());
  // The mean of three INT64_MAX is INT64_MAX = 2^63 - 1, which rounds to 2^63 as a double.
  EXPECT_EQ(*s.mean(), 9223372036854775808.0);
}

TEST(ColumnStatsTest, NaNIsTheMaximumAndPoisonsTheMean) {
  ColumnStats s(DataType::Float64());
  ASSERT_TRUE(s.Add(Doubles({1.5, kNaN, -2.0, std::nullopt})).ok());
  EXPECT_EQ(s.null_count(), 1);
  EXPECT_EQ(s.min().double_value, -2.0);
  EXPECT_TRUE(std::isnan(s.max().double_value));
  EXPECT_TRUE(std::isnan(*s.mean()));
  EXPECT_EQ(s.DistinctEstimate(), 3);
}

TEST(ColumnStatsTest, FloatMeanAndSignedZeroCountsOnce) {
  ColumnStats s(DataType::Float64());
  ASSERT_TRUE(s.Add(Doubles({0.0, -0.0, 2.5, 0.5})).ok());
  EXPECT_DOUBLE_EQ(*s.mean(), 0.75);   // 3.0 / 4
  EXPECT_EQ(s.DistinctEstimate(), 3);  // 0, 2.5, 0.5
  EXPECT_EQ(s.max().double_value, 2.5);
}

TEST(ColumnStatsTest, StringsCompareBytewise) {
  ColumnStats s(DataType::String());
  ASSERT_TRUE(s.Add(Strings({"b", "a", "", std::nullopt, "ab", "\xc3\xa9"})).ok());
  EXPECT_EQ(s.min().string_value, "");
  EXPECT_EQ(s.max().string_value, "\xc3\xa9");  // 0xc3 sorts above ASCII
  EXPECT_EQ(s.DistinctEstimate(), 5);
  EXPECT_FALSE(s.mean().has_value());
}

TEST(ColumnStatsTest, BoolMinMax) {
  Column c(DataType::Bool());
  c.AppendBool(true);
  c.AppendNull();
  c.AppendBool(true);
  ColumnStats s(DataType::Bool());
  ASSERT_TRUE(s.Add(c).ok());
  EXPECT_EQ(s.min().int_value, 1);
  EXPECT_EQ(s.max().int_value, 1);
  EXPECT_EQ(s.DistinctEstimate(), 1);
  c.AppendBool(false);
  ColumnStats t(DataType::Bool());
  ASSERT_TRUE(t.Add(c).ok());
  EXPECT_EQ(t.min().int_value, 0);
  EXPECT_EQ(t.DistinctEstimate(), 2);
}

TEST(ColumnStatsTest, TimestampKeepsItsTypeAndHasNoMean) {
  Column c(DataType::Timestamp(TimeUnit::kMilli));
  c.AppendInt(1000);
  c.AppendInt(-500);
  ColumnStats s(DataType::Timestamp(TimeUnit::kMilli));
  ASSERT_TRUE(s.Add(c).ok());
  EXPECT_EQ(s.min().type, DataType::Timestamp(TimeUnit::kMilli));
  EXPECT_EQ(s.min().ToString(), "1969-12-31T23:59:59.500Z");
  EXPECT_EQ(s.max().ToString(), "1970-01-01T00:00:01Z");
  EXPECT_FALSE(s.mean().has_value());
}

TEST(ColumnStatsTest, AllNullHasNoMinMaxMeanOrDistinct) {
  ColumnStats s(DataType::Int64());
  ASSERT_TRUE(s.Add(Ints({std::nullopt, std::nullopt})).ok());
  EXPECT_EQ(s.count(), 2);
  EXPECT_TRUE(s.min().is_null);
  EXPECT_TRUE(s.max().is_null);
  EXPECT_FALSE(s.mean().has_value());
  EXPECT_EQ(s.DistinctEstimate(), 0);
}

TEST(ColumnStatsTest, WrongTypeIsRejected) {
  ColumnStats s(DataType::Int64());
  EXPECT_EQ(s.Add(Doubles({1.0})).code(), StatusCode::kInvalidArgument);
  ColumnStats t(DataType::String());
  EXPECT_EQ(s.Merge(t).code(), StatusCode::kInvalidArgument);
}

TEST(TableStatsTest, MergedBatchesEqualOnePass) {
  Schema schema(
      {{"id", DataType::Int64()}, {"name", DataType::String()}, {"score", DataType::Float64()}});
  Table table(schema);
  for (int i = 0; i < 3000; ++i) {
    table.mutable_column(0).AppendInt((i * 7919) % 1000 - 300);
    if (i % 11 == 0) {
      table.mutable_column(1).AppendNull();
    } else {
      table.mutable_column(1).AppendString("frame-" + std::to_string(i % 700));
    }
    table.mutable_column(2).AppendDouble(i * 0.25);
  }
  ASSERT_TRUE(table.SyncRowCount().ok());

  TableStats whole(schema);
  ASSERT_TRUE(whole.Add(table).ok());
  TableStats merged(schema);
  for (int64_t off : {0, 1000, 2000}) {
    TableStats part(schema);
    ASSERT_TRUE(part.Add(table.Slice(off, 1000)).ok());
    ASSERT_TRUE(merged.Merge(part).ok());
  }
  EXPECT_EQ(merged.num_rows(), 3000);
  for (int c = 0; c < 3; ++c) {
    const ColumnStats& a = whole.column(c);
    const ColumnStats& b = merged.column(c);
    EXPECT_EQ(a.count(), b.count());
    EXPECT_EQ(a.null_count(), b.null_count());
    EXPECT_EQ(a.min().ToString(), b.min().ToString());
    EXPECT_EQ(a.max().ToString(), b.max().ToString());
    EXPECT_EQ(a.sketch().registers(), b.sketch().registers());
    EXPECT_EQ(a.DistinctEstimate(), b.DistinctEstimate());
  }
  // Hand-computed: ids are (i * 7919) % 1000 - 300, which cycles through all of 0..999
  // (7919 is coprime to 1000) three times, so the range is [-300, 699] and the mean 199.5.
  EXPECT_EQ(whole.column(0).min().int_value, -300);
  EXPECT_EQ(whole.column(0).max().int_value, 699);
  EXPECT_DOUBLE_EQ(*merged.column(0).mean(), 199.5);
  // 0.25 * (0 + ... + 2999) / 3000 = 0.25 * 1499.5
  EXPECT_DOUBLE_EQ(*merged.column(2).mean(), 374.875);
  EXPECT_EQ(whole.column(1).null_count(), 273);  // ceil(3000 / 11)
}

TEST(TableStatsTest, SchemaMismatchIsRejected) {
  TableStats s(Schema({{"a", DataType::Int64()}}));
  Table other(Schema({{"b", DataType::Int64()}}));
  EXPECT_EQ(s.Add(other).code(), StatusCode::kInvalidArgument);
}

// The distinct estimate must stay within 3% of the true cardinality across the range the
// sketch switches estimators in (linear counting below 2.5 * 4096).
double RelativeError(int64_t distinct, bool as_strings) {
  ColumnStats s(as_strings ? DataType::String() : DataType::Int64());
  Column c(s.type());
  for (int64_t i = 0; i < distinct; ++i) {
    for (int rep = 0; rep < 2; ++rep) {  // every value twice: duplicates must not count
      if (as_strings) {
        c.AppendString("drive42/cam0/" + std::to_string(i));
      } else {
        c.AppendInt(i * 1000003 + 17);
      }
    }
  }
  EXPECT_TRUE(s.Add(c).ok());
  return std::fabs(static_cast<double>(s.DistinctEstimate() - distinct)) /
         static_cast<double>(distinct);
}

TEST(HyperLogLogTest, EstimateWithinThreePercentOfKnownCardinality) {
  for (int64_t n : {10, 1000, 5000, 20000, 100000}) {
    EXPECT_LT(RelativeError(n, true), 0.03) << n << " distinct strings";
    EXPECT_LT(RelativeError(n, false), 0.03) << n << " distinct ints";
  }
}

TEST(HyperLogLogTest, EmptySketchEstimatesZero) {
  HyperLogLog h;
  EXPECT_EQ(h.Estimate(), 0.0);
}

TEST(HyperLogLogTest, MergeIsOrderIndependent) {
  HyperLogLog a, b, ab, ba;
  for (int i = 0; i < 5000; ++i) a.AddBytes("a" + std::to_string(i));
  for (int i = 0; i < 3000; ++i) b.AddBytes("b" + std::to_string(i));
  ab.Merge(a);
  ab.Merge(b);
  ba.Merge(b);
  ba.Merge(a);
  EXPECT_EQ(ab.registers(), ba.registers());
  EXPECT_NEAR(ab.Estimate(), 8000, 8000 * 0.03);
}

}  // namespace
}  // namespace cairn::table
