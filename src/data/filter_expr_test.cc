#include "data/filter_expr.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/time.h"
#include "table/column.h"
#include "table/scalar.h"
#include "table/table.h"
#include "table/types.h"

namespace cairn::data {
namespace {

using table::Column;
using table::DataType;
using table::Schema;
using table::Table;
using table::TimeUnit;

constexpr int64_t kSecond = 1000000;
constexpr int64_t kJune1 = 1622505600LL * kSecond;  // 2021-06-01T00:00:00Z, 18779 days
constexpr int64_t kDay = 86400LL * kSecond;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// row | group  | captured_at           | labeled_at | weather | speed | count | night
//  0  | drive1 | 2021-05-31T23:59:59Z   | set        | rain    | 10.0  | 1     | true
//  1  | drive1 | 2021-06-01T00:00:00Z   | null       | snow    | 25.5  | 2     | false
//  2  | drive2 | 2021-06-01T12:00:00Z   | set        | null    | NaN   | null  | null
//  3  | drive2 | 2021-06-02T00:00:00Z   | set        | rain    | null  | 3     | true
//  4  | drive3 | null                   | null       | sun     | 20.5  | -3    | false
//  5  | drive3 | 2021-06-01T00:00:00.5Z | set        | Rain    | -1.5  | 20    | null
// weather, speed, count and night are the columns tags.weather, tags.speed, tags.count and
// tags.night; key is "k<row>".
Schema SampleSchema() {
  return Schema({{"key", DataType::String()},
                 {"group", DataType::String()},
                 {"captured_at", DataType::Timestamp()},
                 {"labeled_at", DataType::Timestamp()},
                 {"tags.weather", DataType::String()},
                 {"tags.speed", DataType::Float64()},
                 {"tags.count", DataType::Int64()},
                 {"tags.night", DataType::Bool()}});
}

Table Sample() {
  Table t(SampleSchema());
  const std::optional<int64_t> captured[] = {kJune1 - kSecond, kJune1,       kJune1 + kDay / 2,
                                             kJune1 + kDay,    std::nullopt, kJune1 + kSecond / 2};
  const bool labeled[] = {true, false, true, true, false, true};
  const std::optional<std::string> weather[] = {"rain", "snow", std::nullopt,
                                                "rain", "sun",  "Rain"};
  const std::optional<double> speed[] = {10.0, 25.5, kNaN, std::nullopt, 20.5, -1.5};
  const std::optional<int64_t> count[] = {1, 2, std::nullopt, 3, -3, 20};
  const std::optional<bool> night[] = {true, false, std::nullopt, true, false, std::nullopt};
  const char* group[] = {"drive1", "drive1", "drive2", "drive2", "drive3", "drive3"};
  for (size_t r = 0; r < 6; ++r) {
    t.mutable_column(0).AppendString("k" + std::to_string(r));
    t.mutable_column(1).AppendString(group[r]);
    if (captured[r]) {
      t.mutable_column(2).AppendInt(*captured[r]);
    } else {
      t.mutable_column(2).AppendNull();
    }
    if (labeled[r]) {
      t.mutable_column(3).AppendInt(kJune1 + 7 * kDay);
    } else {
      t.mutable_column(3).AppendNull();
    }
    if (weather[r]) {
      t.mutable_column(4).AppendString(*weather[r]);
    } else {
      t.mutable_column(4).AppendNull();
    }
    if (speed[r]) {
      t.mutable_column(5).AppendDouble(*speed[r]);
    } else {
      t.mutable_column(5).AppendNull();
    }
    if (count[r]) {
      t.mutable_column(6).AppendInt(*count[r]);
    } else {
      t.mutable_column(6).AppendNull();
    }
    if (night[r]) {
      t.mutable_column(7).AppendBool(*night[r]);
    } else {
      t.mutable_column(7).AppendNull();
    }
  }
  EXPECT_TRUE(t.SyncRowCount().ok());
  return t;
}

using Rows = std::vector<int>;

std::vector<int> MaskRows(const std::vector<uint8_t>& mask) {
  Rows rows;
  for (size_t i = 0; i < mask.size(); ++i) {
    EXPECT_TRUE(mask[i] == 0 || mask[i] == 1);
    if (mask[i] != 0) rows.push_back(static_cast<int>(i));
  }
  return rows;
}

// The rows of `t` that `text` selects; a failure at any step fails the test.
Rows Select(const std::string& text, const Table& t) {
  auto expr = FilterExpr::Parse(text);
  EXPECT_TRUE(expr.ok()) << text << ": " << expr.status().ToString();
  if (!expr.ok()) return {-1};
  Status bound = expr->Bind(t.schema());
  EXPECT_TRUE(bound.ok()) << text << ": " << bound.ToString();
  std::vector<uint8_t> mask;
  Status st = expr->Evaluate(t, &mask);
  EXPECT_TRUE(st.ok()) << text << ": " << st.ToString();
  EXPECT_EQ(mask.size(), static_cast<size_t>(t.num_rows()));
  return MaskRows(mask);
}

Rows Select(const std::string& text) { return Select(text, Sample()); }

Status ParseError(const std::string& text) {
  auto expr = FilterExpr::Parse(text);
  EXPECT_FALSE(expr.ok()) << text << " parsed as " << (expr.ok() ? expr->ToString() : "");
  return expr.ok() ? Status::Ok() : expr.status();
}

Status BindError(const std::string& text) {
  auto expr = FilterExpr::Parse(text);
  EXPECT_TRUE(expr.ok()) << text << ": " << expr.status().ToString();
  if (!expr.ok()) return Status::Ok();
  Status st = expr->Bind(SampleSchema());
  EXPECT_FALSE(st.ok()) << text;
  return st;
}

std::string Canonical(const std::string& text) {
  auto expr = FilterExpr::Parse(text);
  EXPECT_TRUE(expr.ok()) << text << ": " << expr.status().ToString();
  return expr.ok() ? expr->ToString() : "<error>";
}

bool Contains(const Status& st, const std::string& part) {
  return st.message().find(part) != std::string::npos;
}

// ---- comparisons ----

TEST(FilterExprTest, StringComparisonsAreBytewise) {
  EXPECT_EQ(Select("tags.weather = 'rain'"), (Rows{0, 3}));
  EXPECT_EQ(Select("tags.weather == 'rain'"), (Rows{0, 3}));
  EXPECT_EQ(Select("tags.weather != 'rain'"), (Rows{1, 4, 5}));
  EXPECT_EQ(Select("tags.weather <> 'rain'"), (Rows{1, 4, 5}));
  // 'R' (0x52) sorts before 'r' (0x72).
  EXPECT_EQ(Select("tags.weather < 'rain'"), (Rows{5}));
  EXPECT_EQ(Select("tags.weather <= 'rain'"), (Rows{0, 3, 5}));
  EXPECT_EQ(Select("tags.weather > 'rain'"), (Rows{1, 4}));
  EXPECT_EQ(Select("tags.weather >= 'rain'"), (Rows{0, 1, 3, 4}));
  EXPECT_EQ(Select("tags.weather > 'r'"), (Rows{0, 1, 3, 4}));
  EXPECT_EQ(Select("group = 'drive2'"), (Rows{2, 3}));
  EXPECT_EQ(Select("tags.weather = ''"), Rows{});
}

TEST(FilterExprTest, IntegerComparisons) {
  EXPECT_EQ(Select("tags.count = 2"), (Rows{1}));
  EXPECT_EQ(Select("tags.count != 2"), (Rows{0, 3, 4, 5}));
  EXPECT_EQ(Select("tags.count < 2"), (Rows{0, 4}));
  EXPECT_EQ(Select("tags.count <= 2"), (Rows{0, 1, 4}));
  EXPECT_EQ(Select("tags.count > 1"), (Rows{1, 3, 5}));
  EXPECT_EQ(Select("tags.count >= -3"), (Rows{0, 1, 3, 4, 5}));
  EXPECT_EQ(Select("tags.count = -3"), (Rows{4}));
}

TEST(FilterExprTest, IntAndFloatCompareNumerically) {
  EXPECT_EQ(Select("tags.count > 2.5"), (Rows{3, 5}));
  EXPECT_EQ(Select("tags.count >= 2.5"), (Rows{3, 5}));
  EXPECT_EQ(Select("tags.count < 2.5"), (Rows{0, 1, 4}));
  EXPECT_EQ(Select("tags.count <= 2.5"), (Rows{0, 1, 4}));
  EXPECT_EQ(Select("tags.count = 2.5"), Rows{});
  EXPECT_EQ(Select("tags.count != 2.5"), (Rows{0, 1, 3, 4, 5}));
  EXPECT_EQ(Select("tags.count = 3.0"), (Rows{3}));
  EXPECT_EQ(Select("tags.count = 2e1"), (Rows{5}));
  EXPECT_EQ(Select("tags.count > -2.5"), (Rows{0, 1, 3, 5}));
  // Beyond the int64 range every value is below (or above) the literal.
  EXPECT_EQ(Select("tags.count < 1e30"), (Rows{0, 1, 3, 4, 5}));
  EXPECT_EQ(Select("tags.count > -1e30"), (Rows{0, 1, 3, 4, 5}));
  EXPECT_EQ(Select("tags.count = 1e30"), Rows{});
  EXPECT_EQ(Select("tags.count < 99999999999999999999"), (Rows{0, 1, 3, 4, 5}));
  // A float column against integers.
  EXPECT_EQ(Select("tags.speed = 10"), (Rows{0}));
  EXPECT_EQ(Select("tags.speed > 20"), (Rows{1, 2, 4}));
  EXPECT_EQ(Select("tags.speed <= -1"), (Rows{5}));
}

TEST(FilterExprTest, NaNIsAboveEveryNumber) {
  // Row 2 holds NaN, row 3 null.
  EXPECT_EQ(Select("tags.speed > 20.5"), (Rows{1, 2}));
  EXPECT_EQ(Select("tags.speed >= 20.5"), (Rows{1, 2, 4}));
  EXPECT_EQ(Select("tags.speed < 20.5"), (Rows{0, 5}));
  EXPECT_EQ(Select("tags.speed <= 1e300"), (Rows{0, 1, 4, 5}));
  EXPECT_EQ(Select("tags.speed = 20.5"), (Rows{4}));
  EXPECT_EQ(Select("tags.speed != 20.5"), (Rows{0, 1, 2, 5}));
}

TEST(FilterExprTest, TimestampLiteralsInBothForms) {
  EXPECT_EQ(Select("captured_at >= '2021-06-01'"), (Rows{1, 2, 3, 5}));
  EXPECT_EQ(Select("captured_at >= timestamp '2021-06-01'"), (Rows{1, 2, 3, 5}));
  EXPECT_EQ(Select("captured_at < timestamp '2021-06-01T12:00:00Z'"), (Rows{0, 1, 5}));
  EXPECT_EQ(Select("captured_at <= '2021-06-01T12:00:00Z'"), (Rows{0, 1, 2, 5}));
  EXPECT_EQ(Select("captured_at = '2021-06-01T00:00:00.5Z'"), (Rows{5}));
  EXPECT_EQ(Select("captured_at != TIMESTAMP '2021-06-01 00:00:00.500000'"), (Rows{0, 1, 2, 3}));
  // 02:00 at +03:00 is 2021-05-31T23:00:00Z.
  EXPECT_EQ(Select("captured_at > '2021-06-01T02:00:00+03:00'"), (Rows{0, 1, 2, 3, 5}));
  EXPECT_EQ(Select("captured_at > timestamp '2021-06-01T02:00:00+03:00'"), (Rows{0, 1, 2, 3, 5}));
}

TEST(FilterExprTest, TimestampColumnsOfOtherUnits) {
  Schema schema({{"ms", DataType::Timestamp(TimeUnit::kMilli)},
                 {"ns", DataType::Timestamp(TimeUnit::kNano)}});
  Table t(schema);
  const int64_t june1_ms = kJune1 / 1000;
  for (int64_t v : {june1_ms - 1, june1_ms, june1_ms + 1}) t.mutable_column(0).AppendInt(v);
  for (int64_t v : {kJune1 * 1000 - 1, kJune1 * 1000, kJune1 * 1000 + 1}) {
    t.mutable_column(1).AppendInt(v);
  }
  ASSERT_TRUE(t.SyncRowCount().ok());
  // 0.0005 s after midnight lies between rows 1 and 2 of the millisecond column.
  EXPECT_EQ(Select("ms = '2021-06-01T00:00:00.0005Z'", t), Rows{});
  EXPECT_EQ(Select("ms != '2021-06-01T00:00:00.0005Z'", t), (Rows{0, 1, 2}));
  EXPECT_EQ(Select("ms < '2021-06-01T00:00:00.0005Z'", t), (Rows{0, 1}));
  EXPECT_EQ(Select("ms <= '2021-06-01T00:00:00.0005Z'", t), (Rows{0, 1}));
  EXPECT_EQ(Select("ms > '2021-06-01T00:00:00.0005Z'", t), (Rows{2}));
  EXPECT_EQ(Select("ms >= '2021-06-01T00:00:00.0005Z'", t), (Rows{2}));
  EXPECT_EQ(Select("ms in ('2021-06-01T00:00:00.0005Z', '2021-06-01')", t), (Rows{1}));
  EXPECT_EQ(Select("ns >= '2021-06-01'", t), (Rows{1, 2}));
  EXPECT_EQ(Select("ns = timestamp '2021-06-01'", t), (Rows{1}));
  // Years beyond 2262 do not fit in int64 nanoseconds: every value is earlier.
  EXPECT_EQ(Select("ns < '9999-01-01'", t), (Rows{0, 1, 2}));
  EXPECT_EQ(Select("ns > '9999-01-01'", t), Rows{});
  EXPECT_EQ(Select("ns > '1000-01-01'", t), (Rows{0, 1, 2}));
}

TEST(FilterExprTest, BoolFieldsAloneOrCompared) {
  EXPECT_EQ(Select("tags.night = true"), (Rows{0, 3}));
  EXPECT_EQ(Select("tags.night"), (Rows{0, 3}));
  EXPECT_EQ(Select("tags.night = false"), (Rows{1, 4}));
  EXPECT_EQ(Select("tags.night != TRUE"), (Rows{1, 4}));
  EXPECT_EQ(Select("not tags.night"), (Rows{1, 4}));
  // false < true, as in table::CompareToScalar.
  EXPECT_EQ(Select("tags.night < true"), (Rows{1, 4}));
}

TEST(FilterExprTest, LiteralOnTheLeftIsMirrored) {
  EXPECT_EQ(Select("20 <= tags.count"), (Rows{5}));
  EXPECT_EQ(Select("'rain' = tags.weather"), (Rows{0, 3}));
  EXPECT_EQ(Select("timestamp '2021-06-01' > captured_at"), (Rows{0}));
  EXPECT_EQ(Canonical("2 < x"), "x > 2");
  EXPECT_EQ(Canonical("2 >= x"), "x <= 2");
}

// ---- logic ----

TEST(FilterExprTest, AndBindsTighterThanOrAndNotTighterThanAnd) {
  // count = 2 or (count = 3 and night) selects rows 1 and 3; with the other grouping, row 3.
  EXPECT_EQ(Select("tags.count = 2 or tags.count = 3 and tags.night"), (Rows{1, 3}));
  EXPECT_EQ(Select("(tags.count = 2 or tags.count = 3) and tags.night"), (Rows{3}));
  // (not count = 1) and night.
  EXPECT_EQ(Select("not tags.count = 1 and tags.night"), (Rows{3}));
  EXPECT_EQ(Select("not (tags.count = 1 and tags.night)"), (Rows{1, 3, 4, 5}));
  EXPECT_EQ(Select("tags.count = 1 OR tags.count = 2 Or tags.count = 3"), (Rows{0, 1, 3}));
  EXPECT_EQ(Select("not not tags.night"), (Rows{0, 3}));
}

TEST(FilterExprTest, ComparisonWithNullIsUnknownAndNotKeepsItUnknown) {
  // Row 2 has a null count: neither x = 1 nor not (x = 1) selects it.
  EXPECT_EQ(Select("not (tags.count = 1)"), (Rows{1, 3, 4, 5}));
  EXPECT_EQ(Select("not (tags.weather = 'rain')"), (Rows{1, 4, 5}));
  // unknown or true is true; unknown or false is unknown.
  EXPECT_EQ(Select("tags.count = 1 or labeled_at is null"), (Rows{0, 1, 4}));
  EXPECT_EQ(Select("tags.count = 99 or tags.weather = 'rain'"), (Rows{0, 3}));
  EXPECT_EQ(Select("tags.count = 99 or not (tags.weather = 'rain')"), (Rows{1, 4, 5}));
  // unknown and false is false, so its negation is true.
  EXPECT_EQ(Select("not (tags.count > 0 and group = 'drive2')"), (Rows{0, 1, 4, 5}));
}

TEST(FilterExprTest, TruthTablesOfThreeValuedLogic) {
  // Every pair of true, false, null.
  Schema schema({{"a", DataType::Bool()}, {"b", DataType::Bool()}});
  Table t(schema);
  const std::optional<bool> values[] = {true, false, std::nullopt};
  for (const auto& a : values) {
    for (const auto& b : values) {
      a ? t.mutable_column(0).AppendBool(*a) : t.mutable_column(0).AppendNull();
      b ? t.mutable_column(1).AppendBool(*b) : t.mutable_column(1).AppendNull();
    }
  }
  ASSERT_TRUE(t.SyncRowCount().ok());
  // Rows: 0 TT, 1 TF, 2 TU, 3 FT, 4 FF, 5 FU, 6 UT, 7 UF, 8 UU.
  EXPECT_EQ(Select("a and b", t), (Rows{0}));
  EXPECT_EQ(Select("not (a and b)", t), (Rows{1, 3, 4, 5, 7}));
  EXPECT_EQ(Select("a or b", t), (Rows{0, 1, 2, 3, 6}));
  EXPECT_EQ(Select("not (a or b)", t), (Rows{4}));
  EXPECT_EQ(Select("not a", t), (Rows{3, 4, 5}));
  EXPECT_EQ(Select("a is null", t), (Rows{6, 7, 8}));
  EXPECT_EQ(Select("not (a is null)", t), (Rows{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(Select("a is not null and b is null", t), (Rows{2, 5}));
}

TEST(FilterExprTest, InAndNotInWithNulls) {
  EXPECT_EQ(Select("tags.weather in ('rain', 'sun')"), (Rows{0, 3, 4}));
  EXPECT_EQ(Select("tags.weather not in ('rain', 'sun')"), (Rows{1, 5}));
  EXPECT_EQ(Select("not tags.weather in ('rain', 'sun')"), (Rows{1, 5}));
  EXPECT_EQ(Select("group not in ('drive1')"), (Rows{2, 3, 4, 5}));
  EXPECT_EQ(Select("tags.count in (1, 3.0, 2.5)"), (Rows{0, 3}));
  EXPECT_EQ(Select("tags.count not in (1, 2)"), (Rows{3, 4, 5}));
  EXPECT_EQ(Select("tags.count not in (2.5)"), (Rows{0, 1, 3, 4, 5}));
  EXPECT_EQ(Select("tags.speed in (10, 20.5)"), (Rows{0, 4}));
  EXPECT_EQ(Select("tags.speed not in (10)"), (Rows{1, 2, 4, 5}));
  EXPECT_EQ(Select("tags.night in (true)"), (Rows{0, 3}));
  EXPECT_EQ(Select("captured_at in ('2021-06-01', timestamp '2021-06-02')"), (Rows{1, 3}));
  // Lists long enough to be searched rather than scanned.
  EXPECT_EQ(Select("tags.count in (20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 2)"), (Rows{1, 5}));
  EXPECT_EQ(Select("tags.speed not in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 25.5)"), (Rows{2, 4, 5}));
  EXPECT_EQ(Select("tags.weather in ('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'sun', 'snow')"),
            (Rows{1, 4}));
  EXPECT_EQ(Select("tags.weather not in ('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'rain')"),
            (Rows{1, 4, 5}));
}

TEST(FilterExprTest, IsNullIsNeverUnknown) {
  EXPECT_EQ(Select("labeled_at is null"), (Rows{1, 4}));
  EXPECT_EQ(Select("labeled_at IS NOT NULL"), (Rows{0, 2, 3, 5}));
  EXPECT_EQ(Select("tags.weather is not null and captured_at is null"), (Rows{4}));
  EXPECT_EQ(Select("key is null"), Rows{});
  EXPECT_EQ(Select("key is not null"), (Rows{0, 1, 2, 3, 4, 5}));
}

TEST(FilterExprTest, ExamplesFromTheDocumentation) {
  EXPECT_EQ(Select("tags.weather = 'rain' and captured_at >= '2021-06-01'"), (Rows{3}));
  // With tags.weather in the place of tags.camera.
  EXPECT_EQ(Select("(tags.weather in ('snow', 'rain') or not tags.night) and labeled_at is not "
                   "null"),
            (Rows{0, 3}));
  EXPECT_EQ(Select("tags.speed > 20.5 and tags.weather != 'snow' and group not in ('drive1')"),
            Rows{});
  EXPECT_EQ(Select("tags.speed > 20 and tags.weather != 'snow' and group not in ('drive1')"),
            (Rows{4}));
  EXPECT_EQ(Select("captured_at < timestamp '2021-06-01T12:00:00Z'"), (Rows{0, 1, 5}));
}

TEST(FilterExprTest, QuotedFieldNames) {
  Schema schema({{"tags.my tag", DataType::String()}, {"and", DataType::Int64()}});
  Table t(schema);
  t.mutable_column(0).AppendString("x");
  t.mutable_column(0).AppendString("say \"hi\"");
  t.mutable_column(1).AppendInt(1);
  t.mutable_column(1).AppendInt(2);
  ASSERT_TRUE(t.SyncRowCount().ok());
  EXPECT_EQ(Select("\"tags.my tag\" = 'x'", t), (Rows{0}));
  EXPECT_EQ(Select("\"tags.my tag\" = 'say \"hi\"'", t), (Rows{1}));
  EXPECT_EQ(Select("\"and\" = 2 and \"and\" > 1", t), (Rows{1}));
}

TEST(FilterExprTest, EmptyExpressionSelectsEveryRow) {
  for (const char* text : {"", "   ", "\n\t "}) {
    auto expr = FilterExpr::Parse(text);
    ASSERT_TRUE(expr.ok());
    EXPECT_TRUE(expr->empty());
    EXPECT_EQ(expr->ToString(), "");
    EXPECT_TRUE(expr->Fields().empty());
  }
  EXPECT_EQ(Select(""), (Rows{0, 1, 2, 3, 4, 5}));
  EXPECT_TRUE(FilterExpr().empty());
  EXPECT_FALSE(FilterExpr::Parse("x")->empty());
}

TEST(FilterExprTest, FieldsAreDistinctAndSorted) {
  auto expr = FilterExpr::Parse(
      "tags.z = 1 and (group in ('a') or tags.a is null) and \"tags.z\" > 0 and not group = 'b'");
  ASSERT_TRUE(expr.ok());
  EXPECT_EQ(expr->Fields(), (std::vector<std::string>{"group", "tags.a", "tags.z"}));
}

// ---- errors ----

TEST(FilterExprErrorTest, ParseErrorNamesTheCharacterAndPlacesACaret) {
  Status st = ParseError("tags.weather = and x");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "filter: at character 16: expected a literal after '=', found 'and'\n"
            "  tags.weather = and x\n"
            "                 ^");
}

TEST(FilterExprErrorTest, ParseErrorPositions) {
  struct Case {
    const char* text;
    size_t character;
    const char* part;
  };
  const Case cases[] = {
      {"group = 'abc", 9, "unterminated string"},
      {"\"tags.x = 1", 1, "unterminated field name"},
      {"(group = 'a'", 13, "expected ')' to close the '(' at character 1"},
      {"group = 'a')", 12, "unmatched ')'"},
      {"group = 'a' group = 'b'", 13, "expected 'and', 'or' or the end"},
      {"group # 1", 7, "unexpected character '#'"},
      {"group = 'a' && x", 13, "write 'and'"},
      {"group ! 'a'", 7, "write != or not"},
      {"group =", 8, "expected a literal after '='"},
      {"group = drive1", 9, "quote text, as in 'drive1'"},
      {"tags.count > tags.speed", 14, "a field cannot be compared with another field"},
      {"group = null", 9, "write 'group is null' or 'group is not null'"},
      {"group != NULL", 10, "is not null"},
      {"group in ('a', null)", 16, "null cannot be in an 'in' list"},
      {"group in 'a'", 10, "expected '(' after 'in'"},
      {"group in ()", 11, "expected a literal after '('"},
      {"group in ('a' 'b')", 15, "expected ',' or ')'"},
      {"group not null", 11, "expected 'in' after 'not'"},
      {"group is 'a'", 10, "expected 'null' after 'is'"},
      {"group is not 1", 14, "expected 'null' after 'is not'"},
      {"group 'a'", 7, "expected an operator after 'group'"},
      {"group = 'a' and", 16, "expected a condition after 'and'"},
      {"and", 1, "expected a condition"},
      {"()", 2, "expected a condition"},
      {"1 = 2", 5, "expected a field after '='"},
      {"'a' group", 5, "expected a comparison operator after the literal"},
      {"captured_at < timestamp '2021-13-01'", 25, "cannot read '2021-13-01' as a timestamp"},
      {"captured_at < timestamp 5", 25, "expected a quoted timestamp"},
      {"captured_at = 2021-06-01", 15, "malformed number '2021-06-01'"},
      {"tags.speed > 1e999", 14, "out of range"},
      {"tags.speed > 3x", 14, "malformed number"},
      {"tags. = 1", 6, "expected a name after '.'"},
      {"\"\" = 1", 1, "empty field name"},
      {"null", 1, "null is not a value"},
      {"x = timestamp '0000-01-01T00:00:00+01:00'", 15, "outside the years"},
  };
  for (const Case& c : cases) {
    Status st = ParseError(c.text);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_TRUE(Contains(st, "filter: at character " + std::to_string(c.character) + ": "))
        << c.text << "\n"
        << st.message();
    EXPECT_TRUE(Contains(st, c.part)) << c.text << "\n" << st.message();
    // The caret sits under the named character (all these texts are ASCII, one line).
    const std::string caret_line = st.message().substr(st.message().rfind('\n') + 1);
    EXPECT_EQ(caret_line, "  " + std::string(c.character - 1, ' ') + "^") << c.text;
  }
}

TEST(FilterExprErrorTest, CharactersAreCodePointsAndTheCaretLineIsTheErrorsLine) {
  // 'é' is two bytes and one character.
  Status st = ParseError("group = 'é' and = 1");
  EXPECT_EQ(st.message(),
            "filter: at character 17: expected a condition after 'and', found '='\n"
            "  group = 'é' and = 1\n"
            "                  ^");
  st = ParseError("group = 'a'\nand tags.count =");
  EXPECT_EQ(st.message(),
            "filter: at character 29: expected a literal after '=', found the end of the filter\n"
            "  and tags.count =\n"
            "                  ^");
  st = ParseError("\tgroup ~ 1");
  EXPECT_EQ(st.message(),
            "filter: at character 8: unexpected character '~'\n"
            "  \tgroup ~ 1\n"
            "  \t      ^");
}

TEST(FilterExprErrorTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep(5000, '(');
  EXPECT_TRUE(Contains(ParseError(deep + "x"), "nested too deeply"));
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "not ";
  EXPECT_TRUE(Contains(ParseError(nots + "x"), "nested too deeply"));
  // Modest nesting is fine.
  EXPECT_EQ(Select("((((((tags.night))))))"), (Rows{0, 3}));
}

TEST(FilterExprErrorTest, TypeErrorsNameFieldTypeAndLiteral) {
  Status st = BindError("group = 20");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "filter: at character 9: cannot compare field 'group' (string) with 20 (a number)\n"
            "  group = 20\n"
            "          ^");
  st = BindError("tags.night = 'yes'");
  EXPECT_TRUE(Contains(st,
                       "at character 14: cannot compare field 'tags.night' (bool) with 'yes' "
                       "(a string)"))
      << st.message();
  st = BindError("tags.speed > 'fast'");
  EXPECT_TRUE(Contains(st, "'tags.speed' (float64) with 'fast' (a string)")) << st.message();
  st = BindError("tags.count = true");
  EXPECT_TRUE(Contains(st, "'tags.count' (int64) with true (a bool)")) << st.message();
  st = BindError("captured_at > 5");
  EXPECT_TRUE(Contains(st, "'captured_at' (timestamp[us]) with 5 (a number)")) << st.message();
  st = BindError("group = timestamp '2021-06-01'");
  EXPECT_TRUE(Contains(st, "with timestamp '2021-06-01T00:00:00Z' (a timestamp)")) << st.message();
  st = BindError("group in ('a', 1)");
  EXPECT_TRUE(Contains(st, "at character 16: cannot compare field 'group'")) << st.message();
  st = BindError("labeled_at is null and captured_at > 'yesterday'");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(st,
                       "at character 38: cannot read 'yesterday' as a timestamp for field "
                       "'captured_at' (timestamp[us])"))
      << st.message();
  st = BindError("group and tags.night");
  EXPECT_TRUE(Contains(st, "at character 1: field 'group' (string) is not a bool")) << st.message();
}

TEST(FilterExprErrorTest, UnknownFieldListsTheKnownOnes) {
  Status st = BindError("tags.wether = 'rain'");
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_EQ(st.message(),
            "filter: unknown field 'tags.wether' (at character 1); known fields: key, group, "
            "captured_at, labeled_at, tags.weather, tags.speed, tags.count, tags.night");
  st = BindError("group = 'a' or (\"tags.camera\" = 'x')");
  EXPECT_TRUE(Contains(st, "unknown field 'tags.camera' (at character 17)")) << st.message();
}

TEST(FilterExprErrorTest, EvaluateNeedsABindingToTheSameSchema) {
  auto expr = FilterExpr::Parse("tags.count > 1");
  ASSERT_TRUE(expr.ok());
  std::vector<uint8_t> mask;
  EXPECT_EQ(expr->Evaluate(Sample(), &mask).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(expr->Bind(SampleSchema()).ok());
  Schema other({{"tags.count", DataType::Int64()}});
  Table t(other);
  EXPECT_EQ(expr->Evaluate(t, &mask).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(expr->Evaluate(Sample(), &mask).ok());
  // A failed Bind leaves the expression unbound.
  EXPECT_FALSE(expr->Bind(Schema()).ok());
  EXPECT_EQ(expr->Evaluate(Sample(), &mask).code(), StatusCode::kInvalidArgument);
  // Binding to another schema is fine.
  ASSERT_TRUE(expr->Bind(other).ok());
  EXPECT_TRUE(expr->Evaluate(t, &mask).ok());
  EXPECT_TRUE(mask.empty());
}

// ---- canonical text ----

TEST(FilterExprTest, CanonicalText) {
  EXPECT_EQ(Canonical("tags.weather='rain' AND (captured_at>='2021-06-01' OR NOT tags.night)"),
            "tags.weather = 'rain' and (captured_at >= '2021-06-01' or not tags.night)");
  EXPECT_EQ(Canonical("a == 1"), "a = 1");
  EXPECT_EQ(Canonical("a <> -1"), "a != -1");
  EXPECT_EQ(Canonical("\"my field\" = 'it''s'"), "\"my field\" = 'it''s'");
  EXPECT_EQ(Canonical("\"and\" = 1 or \"a\"\"b\" = 2 or \"x.y\" = 3"),
            "\"and\" = 1 or \"a\"\"b\" = 2 or x.y = 3");
  EXPECT_EQ(Canonical("x = 1e3 or x = 2.50 or x = -0.0 or x = 1e-7"),
            "x = 1000.0 or x = 2.5 or x = -0.0 or x = 1e-07");
  EXPECT_EQ(Canonical("x = timestamp '2021-06-01 02:00+03:00'"),
            "x = timestamp '2021-05-31T23:00:00Z'");
  EXPECT_EQ(Canonical("((a)) and (b and (c))"), "a and b and c");
  EXPECT_EQ(Canonical("a or (b and c)"), "a or b and c");
  EXPECT_EQ(Canonical("(a or b) and c"), "(a or b) and c");
  EXPECT_EQ(Canonical("not (a or b)"), "not (a or b)");
  EXPECT_EQ(Canonical("not (a = 1)"), "not a = 1");
  EXPECT_EQ(Canonical("x NOT IN (1,2.0,'a') and y IS NOT NULL and z is null"),
            "x not in (1, 2.0, 'a') and y is not null and z is null");
  EXPECT_EQ(Canonical("x = TRUE or tags.in = False"), "x = true or tags.in = false");
}

TEST(FilterExprTest, CanonicalTextParsesBackToAnEqualExpression) {
  for (const char* text : {
           "tags.weather = 'rain' and captured_at >= '2021-06-01'",
           "(tags.camera in ('front', 'rear') or not tags.night) and labeled_at is not null",
           "tags.speed > 20.5 and tags.weather != 'snow' and group not in ('drive1')",
           "captured_at < timestamp '2021-06-01T12:00:00.123Z'",
           "not not (a or b) and not (c and not d)",
           "\"odd \"\"name\"\"\" = 'x''y' or \"or\" is null",
           "x = 9223372036854775807 or x = -9223372036854775808 or x = 1e300 or x = 0.1",
       }) {
    auto first = FilterExpr::Parse(text);
    ASSERT_TRUE(first.ok()) << text;
    auto second = FilterExpr::Parse(first->ToString());
    ASSERT_TRUE(second.ok()) << first->ToString();
    EXPECT_TRUE(*first == *second) << text;
    EXPECT_EQ(first->ToString(), second->ToString());
  }
  EXPECT_TRUE(*FilterExpr::Parse("a and (b and c)") == *FilterExpr::Parse("(a and b) and c"));
  EXPECT_TRUE(*FilterExpr::Parse("x = '2021-06-01'") != *FilterExpr::Parse("x = 1"));
  EXPECT_TRUE(*FilterExpr::Parse("x = 1") != *FilterExpr::Parse("x = 1.0"));
  EXPECT_TRUE(*FilterExpr::Parse("x in (1, 2)") != *FilterExpr::Parse("x not in (1, 2)"));
  EXPECT_TRUE(*FilterExpr::Parse("x is null") != *FilterExpr::Parse("x is not null"));
  EXPECT_TRUE(*FilterExpr::Parse("timestamp '2021-06-01' = x") ==
              *FilterExpr::Parse("x = timestamp '2021-06-01T00:00:00Z'"));
}

TEST(FilterExprTest, CopiesAndMovesKeepTheBinding) {
  auto parsed = FilterExpr::Parse("tags.count > 1 and tags.night");
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(parsed->Bind(SampleSchema()).ok());
  FilterExpr copy = *parsed;
  FilterExpr moved = std::move(*parsed);
  std::vector<uint8_t> a, b;
  ASSERT_TRUE(copy.Evaluate(Sample(), &a).ok());
  ASSERT_TRUE(moved.Evaluate(Sample(), &b).ok());
  EXPECT_EQ(MaskRows(a), (Rows{3}));
  EXPECT_EQ(a, b);
  EXPECT_TRUE(copy == moved);
  copy = FilterExpr();
  EXPECT_TRUE(copy.empty());
}

// ---- randomized comparison with a row-at-a-time evaluator ----

// A tiny expression tree of the test's own, rendered to text for FilterExpr and evaluated
// here one row at a time with table::CompareToScalar.
struct RefNode {
  enum class Kind { kAnd, kOr, kNot, kCompare, kIn, kIsNull, kBoolField } kind;
  std::vector<RefNode> children;
  int column = 0;
  std::string op;
  bool negated = false;
  std::vector<std::pair<std::string, table::Scalar>> literals;  // text, value
};

// i: int64, f: float64, s: string, b: bool, t: timestamp[us], m: timestamp[ms]; all nullable.
Schema RandomSchema() {
  return Schema({{"i", DataType::Int64()},
                 {"f", DataType::Float64()},
                 {"s", DataType::String()},
                 {"b", DataType::Bool()},
                 {"tags.t", DataType::Timestamp()},
                 {"tags.m", DataType::Timestamp(TimeUnit::kMilli)}});
}

Table RandomTable(std::mt19937_64& rng, int rows) {
  Table t(RandomSchema());
  std::uniform_int_distribution<int> small(-4, 4);
  std::uniform_int_distribution<int> pct(0, 99);
  const char* strings[] = {"", "a", "ab", "b", "B", "rain", "r\xc3\xa9"};
  for (int r = 0; r < rows; ++r) {
    auto null = [&] { return pct(rng) < 15; };
    null() ? t.mutable_column(0).AppendNull() : t.mutable_column(0).AppendInt(small(rng));
    if (null()) {
      t.mutable_column(1).AppendNull();
    } else {
      t.mutable_column(1).AppendDouble(pct(rng) < 5 ? kNaN : small(rng) / 2.0);
    }
    null() ? t.mutable_column(2).AppendNull()
           : t.mutable_column(2).AppendString(strings[static_cast<size_t>(pct(rng)) % 7]);
    null() ? t.mutable_column(3).AppendNull() : t.mutable_column(3).AppendBool(pct(rng) < 50);
    null() ? t.mutable_column(4).AppendNull()
           : t.mutable_column(4).AppendInt(kJune1 + small(rng) * kSecond / 2);
    null() ? t.mutable_column(5).AppendNull()
           : t.mutable_column(5).AppendInt(kJune1 / 1000 + small(rng));
  }
  EXPECT_TRUE(t.SyncRowCount().ok());
  return t;
}

std::pair<std::string, table::Scalar> RandomLiteral(std::mt19937_64& rng, int column) {
  std::uniform_int_distribution<int> small(-5, 5);
  std::uniform_int_distribution<int> coin(0, 1);
  switch (column) {
    case 0:
    case 1: {
      if (coin(rng)) {
        int v = small(rng);
        return {std::to_string(v), table::Scalar::Int(v)};
      }
      double v = small(rng) / 2.0;
      return {table::FormatDouble(v, true), table::Scalar::Double(v)};
    }
    case 2: {
      const char* strings[] = {"", "a", "ab", "b", "rain", "it's", "r\xc3\xa9"};
      std::string s = strings[static_cast<size_t>(small(rng) + 5) % 7];
      std::string quoted = "'";
      for (char c : s) quoted += c == '\'' ? std::string("''") : std::string(1, c);
      return {quoted + "'", table::Scalar::String(s)};
    }
    case 3: {
      bool v = coin(rng) != 0;
      return {v ? "true" : "false", table::Scalar::Bool(v)};
    }
    default: {
      // Half-second steps around 2021-06-01, with 250 us offsets that fall between the
      // millisecond column's values.
      int64_t micros = kJune1 + small(rng) * kSecond / 2 + (coin(rng) ? 250 : 0);
      std::string text = FormatTimestamp(micros, 6);
      return {coin(rng) ? "'" + text + "'" : "timestamp '" + text + "'",
              table::Scalar::Timestamp(micros, TimeUnit::kMicro)};
    }
  }
}

RefNode RandomNode(std::mt19937_64& rng, int depth) {
  std::uniform_int_distribution<int> pick(0, depth >= 3 ? 3 : 6);
  std::uniform_int_distribution<int> column(0, 5);
  RefNode node;
  switch (pick(rng)) {
    case 0:
    case 1: {
      node.kind = RefNode::Kind::kCompare;
      node.column = column(rng);
      const char* ops[] = {"=", "==", "!=", "<>", "<", "<=", ">", ">="};
      node.op = ops[std::uniform_int_distribution<int>(0, 7)(rng)];
      node.literals.push_back(RandomLiteral(rng, node.column));
      break;
    }
    case 2: {
      node.kind = RefNode::Kind::kIn;
      node.column = column(rng);
      node.negated = std::uniform_int_distribution<int>(0, 1)(rng) != 0;
      int n = std::uniform_int_distribution<int>(1, 12)(rng);
      for (int k = 0; k < n; ++k) node.literals.push_back(RandomLiteral(rng, node.column));
      break;
    }
    case 3:
      if (std::uniform_int_distribution<int>(0, 1)(rng) != 0) {
        node.kind = RefNode::Kind::kIsNull;
        node.column = column(rng);
        node.negated = std::uniform_int_distribution<int>(0, 1)(rng) != 0;
      } else {
        node.kind = RefNode::Kind::kBoolField;
        node.column = 3;
      }
      break;
    case 4:
      node.kind = RefNode::Kind::kNot;
      node.children.push_back(RandomNode(rng, depth + 1));
      break;
    default: {
      node.kind = std::uniform_int_distribution<int>(0, 1)(rng) != 0 ? RefNode::Kind::kAnd
                                                                     : RefNode::Kind::kOr;
      int n = std::uniform_int_distribution<int>(2, 3)(rng);
      for (int k = 0; k < n; ++k) node.children.push_back(RandomNode(rng, depth + 1));
      break;
    }
  }
  return node;
}

// Fully parenthesised text.
std::string RefText(const RefNode& node, const Schema& schema) {
  const std::string& field = schema.field(node.column).name;
  switch (node.kind) {
    case RefNode::Kind::kAnd:
    case RefNode::Kind::kOr: {
      std::string out = "(";
      for (size_t k = 0; k < node.children.size(); ++k) {
        if (k > 0) out += node.kind == RefNode::Kind::kAnd ? " AND " : " or ";
        out += RefText(node.children[k], schema);
      }
      return out + ")";
    }
    case RefNode::Kind::kNot:
      return "(NOT " + RefText(node.children[0], schema) + ")";
    case RefNode::Kind::kCompare:
      return "(" + field + node.op + node.literals[0].first + ")";
    case RefNode::Kind::kIn: {
      std::string out = "(" + field + (node.negated ? " not in (" : " in (");
      for (size_t k = 0; k < node.literals.size(); ++k) {
        if (k > 0) out += ",";
        out += node.literals[k].first;
      }
      return out + "))";
    }
    case RefNode::Kind::kIsNull:
      return "(" + field + (node.negated ? " is not null)" : " is null)");
    case RefNode::Kind::kBoolField:
      return field;
  }
  return {};
}

// The column value of row r as a Scalar in comparable form: timestamps in microseconds.
table::Scalar CellValue(const Table& t, int column, int64_t r) {
  const Column& c = t.column(column);
  if (c.IsNull(r)) return table::Scalar::Null();
  switch (column) {
    case 0:
      return table::Scalar::Int(c.Int(r));
    case 1:
      return table::Scalar::Double(c.Double(r));
    case 2:
      return table::Scalar::String(std::string(c.String(r)));
    case 3:
      return table::Scalar::Bool(c.Bool(r));
    case 4:
      return table::Scalar::Timestamp(c.Int(r), TimeUnit::kMicro);
    default:
      return table::Scalar::Timestamp(c.Int(r) * 1000, TimeUnit::kMicro);
  }
}

int RefCompare(const table::Scalar& value, const table::Scalar& lit) {
  // CompareToScalar compares int64 with float64 as doubles, exact for the small values here.
  return table::CompareToScalar(value, lit);
}

bool RefOp(const std::string& op, int cmp) {
  if (op == "=" || op == "==") return cmp == 0;
  if (op == "!=" || op == "<>") return cmp != 0;
  if (op == "<") return cmp < 0;
  if (op == "<=") return cmp <= 0;
  if (op == ">") return cmp > 0;
  return cmp >= 0;
}

// Kleene logic; nullopt is unknown.
std::optional<bool> RefEval(const RefNode& node, const Table& t, int64_t r) {
  switch (node.kind) {
    case RefNode::Kind::kAnd:
    case RefNode::Kind::kOr: {
      const bool is_and = node.kind == RefNode::Kind::kAnd;
      bool unknown = false;
      for (const RefNode& child : node.children) {
        std::optional<bool> v = RefEval(child, t, r);
        if (!v) {
          unknown = true;
        } else if (*v != is_and) {
          return !is_and;
        }
      }
      if (unknown) return std::nullopt;
      return is_and;
    }
    case RefNode::Kind::kNot: {
      std::optional<bool> v = RefEval(node.children[0], t, r);
      if (!v) return std::nullopt;
      return !*v;
    }
    case RefNode::Kind::kIsNull:
      return t.column(node.column).IsNull(r) != node.negated;
    default:
      break;
  }
  table::Scalar value = CellValue(t, node.column, r);
  if (value.is_null) return std::nullopt;
  if (node.kind == RefNode::Kind::kBoolField) return value.int_value != 0;
  if (node.kind == RefNode::Kind::kCompare) {
    return RefOp(node.op, RefCompare(value, node.literals[0].second));
  }
  bool found = false;
  for (const auto& lit : node.literals) found = found || RefCompare(value, lit.second) == 0;
  return found != node.negated;
}

TEST(FilterExprRandomTest, MatchesARowAtATimeEvaluator) {
  std::mt19937_64 rng(20210601);
  // More rows than one evaluation batch, with a partial last batch.
  const Table t = RandomTable(rng, 9001);
  const Schema schema = RandomSchema();
  for (int iter = 0; iter < 400; ++iter) {
    RefNode ref = RandomNode(rng, 0);
    const std::string text = RefText(ref, schema);
    auto expr = FilterExpr::Parse(text);
    ASSERT_TRUE(expr.ok()) << text << "\n" << expr.status().message();
    ASSERT_TRUE(expr->Bind(schema).ok()) << text;
    std::vector<uint8_t> mask;
    ASSERT_TRUE(expr->Evaluate(t, &mask).ok());
    ASSERT_EQ(mask.size(), static_cast<size_t>(t.num_rows()));
    for (int64_t r = 0; r < t.num_rows(); ++r) {
      const std::optional<bool> want = RefEval(ref, t, r);
      ASSERT_EQ(mask[static_cast<size_t>(r)], want.value_or(false) ? 1 : 0)
          << text << "\nrow " << r;
    }
    // The canonical text round-trips and selects the same rows.
    auto again = FilterExpr::Parse(expr->ToString());
    ASSERT_TRUE(again.ok()) << expr->ToString();
    EXPECT_TRUE(*again == *expr) << text << "\n" << expr->ToString();
    EXPECT_EQ(again->ToString(), expr->ToString());
    ASSERT_TRUE(again->Bind(schema).ok());
    std::vector<uint8_t> mask2;
    ASSERT_TRUE(again->Evaluate(t, &mask2).ok());
    EXPECT_EQ(mask, mask2) << expr->ToString();
  }
}

TEST(FilterExprRandomTest, ConcurrentEvaluationsAgree) {
  std::mt19937_64 rng(7);
  const Table t = RandomTable(rng, 20000);
  auto expr = FilterExpr::Parse("(i > 0 or s in ('a', 'b')) and not b and tags.t is not null");
  ASSERT_TRUE(expr.ok());
  ASSERT_TRUE(expr->Bind(t.schema()).ok());
  std::vector<uint8_t> want;
  ASSERT_TRUE(expr->Evaluate(t, &want).ok());
  std::vector<std::vector<uint8_t>> got(4);
  std::vector<std::thread> threads;
  threads.reserve(got.size());
  for (auto& mask : got) {
    threads.emplace_back([&] { EXPECT_TRUE(expr->Evaluate(t, &mask).ok()); });
  }
  for (std::thread& th : threads) th.join();
  for (const auto& mask : got) EXPECT_EQ(mask, want);
}

}  // namespace
}  // namespace cairn::data
