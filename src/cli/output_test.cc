#include "cli/output.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace cairn::cli {
namespace {

TEST(JsonWriterTest, NestsObjectsAndArraysWithCommas) {
  JsonWriter j;
  j.BeginObject();
  j.Key("a");
  j.Int(-3);
  j.Key("b");
  j.BeginArray();
  j.Bool(true);
  j.Null();
  j.Double(0.5);
  j.BeginObject();
  j.EndObject();
  j.EndArray();
  j.Key("c");
  j.String("x");
  j.EndObject();
  EXPECT_EQ(j.str(), R"({"a":-3,"b":[true,null,0.5,{}],"c":"x"})");
}

TEST(JsonWriterTest, NonFiniteNumbersBecomeStrings) {
  JsonWriter j;
  j.BeginArray();
  j.Double(std::numeric_limits<double>::quiet_NaN());
  j.Double(-std::numeric_limits<double>::infinity());
  j.Double(1e20);
  j.EndArray();
  EXPECT_EQ(j.str(), R"(["nan","-inf",1e+20])");
}

TEST(JsonStringTest, EscapesQuotesBackslashesAndControls) {
  std::string out;
  AppendJsonString("a\"b\\c\nd\te\x01", &out);
  EXPECT_EQ(out, R"("a\"b\\c\nd\te\u0001")");
}

TEST(JsonStringTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  std::string out;
  AppendJsonString("caf\xc3\xa9 \xff \xc3", &out);
  EXPECT_EQ(out, "\"caf\xc3\xa9 \xEF\xBF\xBD \xEF\xBF\xBD\"");
  out.clear();
  AppendJsonString("\xed\xa0\x80", &out);  // an encoded surrogate is not valid UTF-8
  EXPECT_EQ(out, "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(JsonWriterTest, ColumnValuesByType) {
  table::Column ts(table::DataType::Timestamp(table::TimeUnit::kMilli));
  ts.AppendInt(1500);
  ts.AppendNull();
  JsonWriter j;
  j.BeginArray();
  j.ColumnValue(ts, 0);
  j.ColumnValue(ts, 1);
  j.EndArray();
  EXPECT_EQ(j.str(), R"(["1970-01-01T00:00:01.500Z",null])");
}

TEST(FormatTextTableTest, AlignsColumnsByCodePoints) {
  std::string t = FormatTextTable({"id", "name"}, {{"1", "caf\xc3\xa9"}, {"22", "x"}});
  EXPECT_EQ(t,
            "id  name\n"
            "--  ----\n"
            "1   caf\xc3\xa9\n"
            "22  x\n");
}

TEST(DisplayCellTest, EscapesControlsAndCutsLongText) {
  EXPECT_EQ(DisplayCell("a\nb\tc"), "a\\nb\\tc");
  EXPECT_EQ(DisplayCell("abcdefghij", 8), "abcde...");
  EXPECT_EQ(DisplayCell("abcdefgh", 8), "abcdefgh");
  EXPECT_EQ(DisplayCell("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4), "\xc3\xa9...");
}

}  // namespace
}  // namespace cairn::cli
