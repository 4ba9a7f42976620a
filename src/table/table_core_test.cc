#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "table/column.h"
#include "table/scalar.h"
#include "table/table.h"
#include "table/types.h"

namespace cairn::table {
namespace {

// ---- types ----

TEST(DataTypeTest, NamesRoundTripThroughParse) {
  for (DataType t : {DataType::Int64(), DataType::Float64(), DataType::Bool(), DataType::String(),
                     DataType::Timestamp(TimeUnit::kMilli), DataType::Timestamp(TimeUnit::kMicro),
                     DataType::Timestamp(TimeUnit::kNano)}) {
    auto parsed = ParseDataType(t.ToString());
    ASSERT_TRUE(parsed.ok()) << t.ToString();
    EXPECT_EQ(*parsed, t);
  }
  EXPECT_EQ(DataType::Timestamp(TimeUnit::kNano).ToString(), "timestamp[ns]");
}

TEST(DataTypeTest, AliasesAndUnknownNames) {
  EXPECT_EQ(*ParseDataType("int"), DataType::Int64());
  EXPECT_EQ(*ParseDataType("double"), DataType::Float64());
  EXPECT_EQ(*ParseDataType("boolean"), DataType::Bool());
  EXPECT_EQ(*ParseDataType("str"), DataType::String());
  EXPECT_EQ(*ParseDataType("timestamp"), DataType::Timestamp(TimeUnit::kMicro));
  auto bad = ParseDataType("decimal");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'decimal'"), std::string::npos);
}

TEST(DataTypeTest, TimestampUnitsMatter) {
  EXPECT_NE(DataType::Timestamp(TimeUnit::kMilli), DataType::Timestamp(TimeUnit::kMicro));
  EXPECT_EQ(TimeUnitDigits(TimeUnit::kMilli), 3);
  EXPECT_EQ(TimeUnitPerSecond(TimeUnit::kNano), 1000000000);
}

TEST(SchemaTest, FieldIndexAndToString) {
  Schema s({{"key", DataType::String(), false}, {"n", DataType::Int64()}});
  EXPECT_EQ(s.FieldIndex("n"), 1);
  EXPECT_EQ(s.FieldIndex("missing"), -1);
  EXPECT_EQ(s.ToString(), "key: string not null\nn: int64\n");
}

// ---- column ----

TEST(ColumnTest, AppendNullKeepsEarlierValuesValid) {
  Column c(DataType::Int64());
  c.AppendInt(7);
  c.AppendNull();
  c.AppendInt(-3);
  ASSERT_EQ(c.size(), 3);
  EXPECT_EQ(c.null_count(), 1);
  EXPECT_FALSE(c.IsNull(0));
  EXPECT_TRUE(c.IsNull(1));
  EXPECT_EQ(c.Int(2), -3);
}

TEST(ColumnTest, StringsAreStoredContiguously) {
  Column c(DataType::String());
  c.AppendString("ab");
  c.AppendNull();
  c.AppendString("");
  c.AppendString("xyz");
  EXPECT_EQ(c.chars(), "abxyz");
  EXPECT_EQ(c.offsets(), (std::vector<int64_t>{0, 2, 2, 2, 5}));
  EXPECT_EQ(c.String(3), "xyz");
  EXPECT_EQ(c.String(1), "");
  EXPECT_TRUE(c.IsNull(1));
  EXPECT_FALSE(c.IsNull(2));  // the empty string is a value, not a null
}

TEST(ColumnTest, FormatByType) {
  Column d(DataType::Float64());
  d.AppendDouble(0.1);
  d.AppendDouble(1e20);
  d.AppendDouble(-std::numeric_limits<double>::infinity());
  d.AppendNull();
  EXPECT_EQ(d.Format(0), "0.1");
  EXPECT_EQ(d.Format(1), "1e+20");
  EXPECT_EQ(d.Format(2), "-inf");
  EXPECT_EQ(d.Format(3, "NULL"), "NULL");
  Column b(DataType::Bool());
  b.AppendBool(true);
  EXPECT_EQ(b.Format(0), "true");
  Column t(DataType::Timestamp(TimeUnit::kMilli));
  t.AppendInt(86400 * 1000 + 5);  // one day and 5 ms
  EXPECT_EQ(t.Format(0), "1970-01-02T00:00:00.005Z");
}

TEST(ColumnTest, FormatDoubleIsShortestRoundTrip) {
  EXPECT_EQ(FormatDouble(0.30000000000000004), "0.30000000000000004");
  EXPECT_EQ(FormatDouble(2.0), "2");
  EXPECT_EQ(FormatDouble(2.0, /*keep_point=*/true), "2.0");
  EXPECT_EQ(FormatDouble(std::nan("")), "nan");
}

TEST(ColumnTest, AppendFromCopiesValuesAndNulls) {
  Column src(DataType::String());
  src.AppendString("a");
  src.AppendNull();
  src.AppendString("ccc");
  src.AppendString("dd");
  Column dst(DataType::String());
  dst.AppendString("first");
  dst.AppendFrom(src, 1, 2);
  ASSERT_EQ(dst.size(), 3);
  EXPECT_EQ(dst.null_count(), 1);
  EXPECT_EQ(dst.String(0), "first");
  EXPECT_TRUE(dst.IsNull(1));
  EXPECT_EQ(dst.String(2), "ccc");
  // A range without nulls keeps the destination free of a validity vector.
  Column clean(DataType::String());
  clean.AppendFrom(src, 2, 2);
  EXPECT_TRUE(clean.validity().empty());
  EXPECT_EQ(clean.String(1), "dd");
}

TEST(ColumnTest, EqualsTreatsNaNsAsEqualButSignedZerosAsDifferent) {
  Column a(DataType::Float64()), b(DataType::Float64());
  a.AppendDouble(std::nan(""));
  b.AppendDouble(std::nan(""));
  EXPECT_TRUE(a.Equals(b));
  a.AppendDouble(0.0);
  b.AppendDouble(-0.0);
  EXPECT_FALSE(a.Equals(b));
}

TEST(ColumnTest, BulkFillThenSetSize) {
  Column c(DataType::Int64());
  c.ints() = {1, 2, 3};
  c.validity() = {1, 0, 1};
  c.SetSizeAfterBulkFill();
  EXPECT_EQ(c.size(), 3);
  EXPECT_EQ(c.null_count(), 1);
  c.Clear();
  EXPECT_EQ(c.size(), 0);
  EXPECT_EQ(c.null_count(), 0);
}

// ---- table ----

Table TwoColumns() {
  Column ids(DataType::Int64());
  Column names(DataType::String());
  for (int i = 0; i < 5; ++i) {
    ids.AppendInt(i * 10);
    names.AppendString(std::string(1, static_cast<char>('a' + i)));
  }
  auto t =
      Table::Make(Schema({{"id", DataType::Int64()}, {"name", DataType::String()}}), {ids, names});
  EXPECT_TRUE(t.ok());
  return *t;
}

TEST(TableTest, MakeChecksTypesAndLengths) {
  Column ints(DataType::Int64());
  ints.AppendInt(1);
  Column strs(DataType::String());
  auto wrong_type = Table::Make(Schema({{"a", DataType::String()}}), {ints});
  EXPECT_EQ(wrong_type.status().code(), StatusCode::kInvalidArgument);
  auto wrong_len =
      Table::Make(Schema({{"a", DataType::Int64()}, {"b", DataType::String()}}), {ints, strs});
  EXPECT_EQ(wrong_len.status().code(), StatusCode::kInvalidArgument);
  auto wrong_count = Table::Make(Schema({{"a", DataType::Int64()}}), {});
  EXPECT_EQ(wrong_count.status().code(), StatusCode::kInvalidArgument);
}

TEST(TableTest, SliceClampsToTheTable) {
  Table t = TwoColumns();
  Table s = t.Slice(3, 10);
  ASSERT_EQ(s.num_rows(), 2);
  EXPECT_EQ(s.column(0).Int(0), 30);
  EXPECT_EQ(s.column(1).String(1), "e");
  EXPECT_EQ(t.Slice(7, 2).num_rows(), 0);
}

TEST(TableTest, AppendRequiresSameNamesAndTypes) {
  Table t = TwoColumns();
  ASSERT_TRUE(t.Append(TwoColumns()).ok());
  EXPECT_EQ(t.num_rows(), 10);
  EXPECT_EQ(t.column(0).Int(9), 40);
  Table other(Schema({{"id", DataType::Int64()}, {"label", DataType::String()}}));
  EXPECT_EQ(t.Append(other).code(), StatusCode::kInvalidArgument);
}

TEST(TableTest, ColumnByNameAndEquals) {
  Table t = TwoColumns();
  ASSERT_NE(t.ColumnByName("name"), nullptr);
  EXPECT_EQ(t.ColumnByName("nope"), nullptr);
  EXPECT_TRUE(t.Equals(TwoColumns()));
  EXPECT_FALSE(t.Equals(t.Slice(0, 4)));
}

// ---- scalar and predicates ----

TEST(PredicateTest, ParsesOperatorsAndLiterals) {
  auto p = ParsePredicate("  speed_kmh >= 12.5 ");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->column, "speed_kmh");
  EXPECT_EQ(p->op, CompareOp::kGe);
  EXPECT_EQ(p->value.string_value, "12.5");
  auto q = ParsePredicate("weather != 'light rain'");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->op, CompareOp::kNe);
  EXPECT_EQ(q->value.string_value, "light rain");
  EXPECT_EQ(ParsePredicate("a<>b")->op, CompareOp::kNe);
  EXPECT_EQ(ParsePredicate("a==b")->op, CompareOp::kEq);
  EXPECT_EQ(ParsePredicate("a<b")->op, CompareOp::kLt);
}

TEST(PredicateTest, MalformedFiltersAreRejected) {
  EXPECT_EQ(ParsePredicate("speed").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePredicate("= 3").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePredicate("speed >").status().code(), StatusCode::kInvalidArgument);
}

TEST(PredicateTest, BindConvertsTheLiteralToTheColumnType) {
  Schema s({{"n", DataType::Int64()},
            {"x", DataType::Float64()},
            {"ok", DataType::Bool()},
            {"at", DataType::Timestamp(TimeUnit::kMilli)}});
  Predicate p = *ParsePredicate("n > 3");
  ASSERT_TRUE(BindPredicate(s, &p).ok());
  EXPECT_EQ(p.value.type, DataType::Int64());
  EXPECT_EQ(p.value.int_value, 3);
  Predicate f = *ParsePredicate("n > 2.5");
  ASSERT_TRUE(BindPredicate(s, &f).ok());
  EXPECT_EQ(f.value.type, DataType::Float64());
  Predicate b = *ParsePredicate("ok = true");
  ASSERT_TRUE(BindPredicate(s, &b).ok());
  EXPECT_EQ(b.value.int_value, 1);
  // 1970-01-01T00:00:01.2345Z in milliseconds: 1234.5 floors to 1234.
  Predicate t = *ParsePredicate("at >= 1970-01-01T00:00:01.2345Z");
  ASSERT_TRUE(BindPredicate(s, &t).ok());
  EXPECT_EQ(t.value.int_value, 1234);
  Predicate missing = *ParsePredicate("zz = 1");
  EXPECT_EQ(BindPredicate(s, &missing).code(), StatusCode::kNotFound);
  Predicate bad = *ParsePredicate("x < fast");
  EXPECT_EQ(BindPredicate(s, &bad).code(), StatusCode::kInvalidArgument);
}

TEST(CompareToScalarTest, NumbersStringsAndNaN) {
  EXPECT_EQ(CompareToScalar(Scalar::Int(2), Scalar::Int(3)), -1);
  EXPECT_EQ(CompareToScalar(Scalar::Int(3), Scalar::Double(2.5)), 1);
  EXPECT_EQ(CompareToScalar(Scalar::Double(std::nan("")), Scalar::Double(1e300)), 1);
  EXPECT_EQ(CompareToScalar(Scalar::Double(std::nan("")), Scalar::Double(std::nan(""))), 0);
  // Bytewise: 0xc3 (start of a two-byte UTF-8 character) sorts after 'z'.
  EXPECT_EQ(CompareToScalar(Scalar::String("\xc3\xa9"), Scalar::String("z")), 1);
  EXPECT_TRUE(OpMatches(CompareOp::kLe, 0));
  EXPECT_FALSE(OpMatches(CompareOp::kGt, 0));
}

TEST(ScalarTest, ToStringByType) {
  EXPECT_EQ(Scalar::Null().ToString(), "null");
  EXPECT_EQ(Scalar::String("a").ToString(), "'a'");
  EXPECT_EQ(Scalar::Bool(false).ToString(), "false");
  EXPECT_EQ(Scalar::Timestamp(-1, TimeUnit::kMicro).ToString(), "1969-12-31T23:59:59.999999Z");
}

}  // namespace
}  // namespace cairn::table
