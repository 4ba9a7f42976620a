#include "table/filter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace cairn::table {
namespace {

// id | score | name | flag  | captured_at (us)
//  1 |  0.5  | a    | true  | 2021-06-01T00:00:00Z
//  2 |  NaN  | b    | false | 2021-06-02T00:00:00Z
//  3 |  2.0  | null | true  | null
//  4 |  null | b    | null  | 2021-06-03T12:00:00Z
//  5 |  3.5  | c    | false | 2021-05-31T23:59:59Z
//  6 | -1.0  | ab   | true  | 2021-06-01T00:00:00.5Z
Table Sample() {
  Schema schema({{"id", DataType::Int64()},
                 {"score", DataType::Float64()},
                 {"name", DataType::String()},
                 {"flag", DataType::Bool()},
                 {"captured_at", DataType::Timestamp()}});
  Table t(schema);
  const int64_t june1 = 1622505600LL * 1000000;  // 18779 days * 86400 s
  const int64_t day = 86400LL * 1000000;
  for (int64_t id = 1; id <= 6; ++id) t.mutable_column(0).AppendInt(id);
  Column& score = t.mutable_column(1);
  score.AppendDouble(0.5);
  score.AppendDouble(std::numeric_limits<double>::quiet_NaN());
  score.AppendDouble(2.0);
  score.AppendNull();
  score.AppendDouble(3.5);
  score.AppendDouble(-1.0);
  Column& name = t.mutable_column(2);
  for (const char* s : {"a", "b", "", "b", "c", "ab"}) name.AppendString(s);
  Column names_with_null(DataType::String());
  for (int i = 0; i < 6; ++i) {
    if (i == 2) {
      names_with_null.AppendNull();
    } else {
      names_with_null.AppendString(name.String(i));
    }
  }
  name = names_with_null;
  Column& flag = t.mutable_column(3);
  flag.AppendBool(true);
  flag.AppendBool(false);
  flag.AppendBool(true);
  flag.AppendNull();
  flag.AppendBool(false);
  flag.AppendBool(true);
  Column& ts = t.mutable_column(4);
  ts.AppendInt(june1);
  ts.AppendInt(june1 + day);
  ts.AppendNull();
  ts.AppendInt(june1 + 2 * day + day / 2);
  ts.AppendInt(june1 - 1000000);
  ts.AppendInt(june1 + 500000);
  EXPECT_TRUE(t.SyncRowCount().ok());
  return t;
}

std::vector<int64_t> Ids(const Table& t) {
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < t.num_rows(); ++i) ids.push_back(t.column(0).Int(i));
  return ids;
}

Result<Table> Filter(const std::vector<std::string>& texts) {
  std::vector<Predicate> preds;
  for (const auto& text : texts) {
    CAIRN_ASSIGN_OR_RETURN(Predicate p, ParsePredicate(text));
    preds.push_back(std::move(p));
  }
  return FilterTable(Sample(), preds);
}

std::vector<int64_t> FilterIds(const std::vector<std::string>& texts) {
  auto t = Filter(texts);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? Ids(*t) : std::vector<int64_t>{};
}

using V = std::vector<int64_t>;

TEST(FilterTableTest, IntegerComparisons) {
  EXPECT_EQ(FilterIds({"id > 3"}), (V{4, 5, 6}));
  EXPECT_EQ(FilterIds({"id <= 2"}), (V{1, 2}));
  EXPECT_EQ(FilterIds({"id = 4"}), (V{4}));
  EXPECT_EQ(FilterIds({"id != 4"}), (V{1, 2, 3, 5, 6}));
  EXPECT_EQ(FilterIds({"id <> 4"}), (V{1, 2, 3, 5, 6}));
}

TEST(FilterTableTest, FractionalLiteralOnIntegerColumnComparesExactly) {
  EXPECT_EQ(FilterIds({"id > 2.5"}), (V{3, 4, 5, 6}));
  EXPECT_EQ(FilterIds({"id = 2.5"}), V{});
}

TEST(FilterTableTest, NullsNeverMatch) {
  // Row 4 has a null score: it is neither equal nor unequal to anything.
  EXPECT_EQ(FilterIds({"score != 100"}), (V{1, 2, 3, 5, 6}));
  EXPECT_EQ(FilterIds({"name != 'zzz'"}), (V{1, 2, 4, 5, 6}));
}

TEST(FilterTableTest, NaNSortsAboveEveryNumber) {
  EXPECT_EQ(FilterIds({"score >= 2"}), (V{2, 3, 5}));
  EXPECT_EQ(FilterIds({"score < 1"}), (V{1, 6}));
  EXPECT_EQ(FilterIds({"score = nan"}), (V{2}));
}

TEST(FilterTableTest, StringsCompareBytewise) {
  EXPECT_EQ(FilterIds({"name = 'b'"}), (V{2, 4}));
  EXPECT_EQ(FilterIds({"name = b"}), (V{2, 4}));
  EXPECT_EQ(FilterIds({"name > a"}), (V{2, 4, 5, 6}));  // "ab" > "a"
  EXPECT_EQ(FilterIds({"name < 'ab'"}), (V{1}));
}

TEST(FilterTableTest, BoolColumn) {
  EXPECT_EQ(FilterIds({"flag = true"}), (V{1, 3, 6}));
  EXPECT_EQ(FilterIds({"flag == false"}), (V{2, 5}));
}

TEST(FilterTableTest, TimestampLiteralIsParsed) {
  EXPECT_EQ(FilterIds({"captured_at >= 2021-06-01"}), (V{1, 2, 4, 6}));
  EXPECT_EQ(FilterIds({"captured_at < '2021-06-01T00:00:00.1Z'"}), (V{1, 5}));
  // 02:00 at +03:00 is 2021-05-31T23:00:00Z, one hour before row 5.
  EXPECT_EQ(FilterIds({"captured_at > 2021-06-01T02:00:00+03:00"}), (V{1, 2, 4, 5, 6}));
}

TEST(FilterTableTest, PredicatesAreAConjunction) {
  EXPECT_EQ(FilterIds({"id >= 2", "flag = true"}), (V{3, 6}));
  EXPECT_EQ(FilterIds({"id >= 2", "flag = true", "score < 0"}), (V{6}));
}

TEST(FilterTableTest, KeepsEveryColumnOfSelectedRows) {
  auto t = Filter({"id = 6"});
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->num_rows(), 1);
  EXPECT_EQ(t->column(1).Double(0), -1.0);
  EXPECT_EQ(t->column(2).String(0), "ab");
  EXPECT_TRUE(t->column(3).Bool(0));
  Table s = Sample();
  auto all = FilterTable(s, {});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->Equals(s));
  auto none = Filter({"id > 100"});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->num_rows(), 0);
  EXPECT_EQ(none->num_columns(), 5);
}

TEST(FilterTableTest, NullsSurviveInOtherColumns) {
  auto t = Filter({"id >= 3", "id <= 4"});
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->num_rows(), 2);
  EXPECT_TRUE(t->column(2).IsNull(0));
  EXPECT_TRUE(t->column(1).IsNull(1));
  EXPECT_EQ(t->column(1).null_count(), 1);
}

TEST(FilterTableTest, UnknownColumnAndBadLiteralAreErrors) {
  auto unknown = Filter({"nope = 1"});
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("nope"), std::string::npos);
  EXPECT_EQ(Filter({"id > abc"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Filter({"flag = maybe"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Filter({"captured_at > 2021-13-01"}).status().code(), StatusCode::kInvalidArgument);
}

TEST(TakeRowsTest, CopiesMaskedRowsInOrder) {
  Table s = Sample();
  Table t = TakeRows(s, {0, 1, 1, 0, 0, 1});
  EXPECT_EQ(Ids(t), (V{2, 3, 6}));
}

TEST(SelectColumnsTest, ReordersAndRejectsUnknownOrRepeated) {
  Table s = Sample();
  auto t = SelectColumns(s, {"name", "id"});
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->num_columns(), 2);
  EXPECT_EQ(t->schema().field(0).name, "name");
  EXPECT_EQ(t->schema().field(1).name, "id");
  EXPECT_EQ(t->num_rows(), 6);
  EXPECT_EQ(t->column(1).Int(5), 6);
  EXPECT_EQ(SelectColumns(s, {"id", "nope"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(SelectColumns(s, {"id", "id"}).status().code(), StatusCode::kInvalidArgument);
  auto all = SelectColumns(s, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->num_columns(), 5);
}

}  // namespace
}  // namespace cairn::table
