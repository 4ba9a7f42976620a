#include "table/jsonl.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "base/file.h"
#include "table/jsonl_writer.h"

namespace cairn::table {
namespace {

// 2021-03-04T00:00:00Z in seconds: 2021-01-01 is day 18628 (1609459200 / 86400), plus 31
// (January) + 28 (February) + 3 days = day 18690.
constexpr int64_t kMar4Seconds = 18690LL * 86400;
constexpr int64_t kMicros = 1000000;

ReadOptions Options(int threads = 1) {
  ReadOptions options;
  options.num_threads = threads;
  return options;
}

Result<Table> Read(std::string_view text, const ReadOptions& options = Options()) {
  CAIRN_ASSIGN_OR_RETURN(auto reader,
                         OpenJsonlReader(MemorySequentialFile(text, "x.jsonl"), options));
  return reader->ReadAll();
}

// The error message of reading `text`, or "OK" if it reads.
std::string ReadError(std::string_view text, const ReadOptions& options = Options()) {
  Result<Table> t = Read(text, options);
  return t.ok() ? "OK" : t.status().message();
}

Table MustRead(std::string_view text, const ReadOptions& options = Options()) {
  Result<Table> t = Read(text, options);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : Table();
}

std::vector<std::string> Names(const Table& t) {
  std::vector<std::string> out;
  for (const Field& f : t.schema().fields()) out.push_back(f.name);
  return out;
}

const Column& Col(const Table& t, std::string_view name) {
  const Column* c = t.ColumnByName(name);
  EXPECT_NE(c, nullptr) << name;
  static const Column kEmpty;
  return c != nullptr ? *c : kEmpty;
}

std::string Write(const Table& table, const WriteOptions& options = {},
                  int64_t* non_finite = nullptr) {
  std::string out;
  auto writer = MakeJsonlWriter(StringWritableFile(&out, "out.jsonl"), table.schema(), options);
  EXPECT_TRUE(writer.ok()) << writer.status().ToString();
  if (!writer.ok()) return "";
  Status s = (*writer)->Write(table);
  EXPECT_TRUE(s.ok()) << s.ToString();
  s = (*writer)->Close();
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (non_finite != nullptr) *non_finite = (*writer)->non_finite_count();
  return out;
}

Column Ints(const std::vector<std::optional<int64_t>>& v, DataType type = DataType::Int64()) {
  Column c(type);
  for (auto x : v) x ? c.AppendInt(*x) : c.AppendNull();
  return c;
}
Column Doubles(const std::vector<std::optional<double>>& v) {
  Column c(DataType::Float64());
  for (auto x : v) x ? c.AppendDouble(*x) : c.AppendNull();
  return c;
}
Column Bools(const std::vector<std::optional<bool>>& v) {
  Column c(DataType::Bool());
  for (auto x : v) x ? c.AppendBool(*x) : c.AppendNull();
  return c;
}
Column Strings(std::vector<std::optional<std::string>> v) {
  Column c(DataType::String());
  for (auto& x : v) x ? c.AppendString(*x) : c.AppendNull();
  return c;
}

Table MakeTable(std::vector<Field> fields, std::vector<Column> columns) {
  auto t = Table::Make(Schema(std::move(fields)), std::move(columns));
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : Table();
}

// ---------------------------------------------------------------------------------------------
// Reader: layout

TEST(JsonlReaderTest, FlattensNestedObjectsToDottedColumnsAtAnyDepth) {
  Table t = MustRead(R"({"id":1,"tags":{"weather":"rain","camera":{"side":"front","fps":30}}})"
                     "\n"
                     R"({"id":2,"tags":{"weather":"sun","camera":{"side":"rear","fps":60}}})"
                     "\n");
  EXPECT_EQ(Names(t), (std::vector<std::string>{"id", "tags.weather", "tags.camera.side",
                                                "tags.camera.fps"}));
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(Col(t, "tags.weather").String(0), "rain");
  EXPECT_EQ(Col(t, "tags.camera.side").String(1), "rear");
  EXPECT_EQ(Col(t, "tags.camera.fps").Int(1), 60);
}

TEST(JsonlReaderTest, StoresArraysAsMinifiedJsonText) {
  Table t = MustRead(R"({"boxes": [ [1, 2], [3 , 4.5] ], "labels": ["car", "a \"b\""]})"
                     "\n"
                     R"({"boxes": [], "labels": [{"k" : null, "v": true}]})"
                     "\n");
  EXPECT_EQ(t.schema().field(0).type, DataType::String());
  EXPECT_EQ(Col(t, "boxes").String(0), "[[1,2],[3,4.5]]");
  EXPECT_EQ(Col(t, "boxes").String(1), "[]");
  EXPECT_EQ(Col(t, "labels").String(0), R"(["car","a \"b\""])");
  EXPECT_EQ(Col(t, "labels").String(1), R"([{"k":null,"v":true}])");
}

TEST(JsonlReaderTest, SchemaIsUnionOfKeysInFirstSeenOrderAndMissingKeysAreNull) {
  Table t = MustRead(
      "{\"a\":1}\n"
      "{\"b\":\"x\",\"a\":null}\n"
      "{\"c\":{\"d\":true},\"b\":\"y\"}\n");
  EXPECT_EQ(Names(t), (std::vector<std::string>{"a", "b", "c.d"}));
  ASSERT_EQ(t.num_rows(), 3);
  const Column& a = Col(t, "a");
  EXPECT_EQ(a.Int(0), 1);
  EXPECT_TRUE(a.IsNull(1));
  EXPECT_TRUE(a.IsNull(2));
  const Column& b = Col(t, "b");
  EXPECT_TRUE(b.IsNull(0));
  EXPECT_EQ(b.String(2), "y");
  const Column& d = Col(t, "c.d");
  EXPECT_TRUE(d.IsNull(0));
  EXPECT_TRUE(d.IsNull(1));
  EXPECT_TRUE(d.Bool(2));
}

TEST(JsonlReaderTest, NullOrEmptyObjectLeavesItsColumnsNull) {
  Table t = MustRead(
      "{\"t\":{\"a\":1}}\n"
      "{\"t\":null}\n"
      "{\"t\":{}}\n");
  EXPECT_EQ(Names(t), (std::vector<std::string>{"t.a"}));
  EXPECT_EQ(Col(t, "t.a").null_count(), 2);
}

// ---------------------------------------------------------------------------------------------
// Reader: types

TEST(JsonlReaderTest, InfersInt64Float64BoolAndString) {
  Table t = MustRead(R"({"i":-7,"f":0.25,"e":1e3,"b":false,"s":"hi"})"
                     "\n");
  EXPECT_EQ(t.schema().field(0).type, DataType::Int64());
  EXPECT_EQ(t.schema().field(1).type, DataType::Float64());
  EXPECT_EQ(t.schema().field(2).type, DataType::Float64());
  EXPECT_EQ(t.schema().field(3).type, DataType::Bool());
  EXPECT_EQ(t.schema().field(4).type, DataType::String());
  EXPECT_EQ(Col(t, "i").Int(0), -7);
  EXPECT_EQ(Col(t, "f").Double(0), 0.25);
  EXPECT_EQ(Col(t, "e").Double(0), 1000.0);
  EXPECT_FALSE(Col(t, "b").Bool(0));
  EXPECT_EQ(Col(t, "s").String(0), "hi");
}

TEST(JsonlReaderTest, MixedIntAndFloatWidenToFloat64) {
  Table t = MustRead("{\"v\":1}\n{\"v\":2.5}\n{\"v\":-3}\n{\"v\":9007199254740992}\n");
  ASSERT_EQ(t.schema().field(0).type, DataType::Float64());
  EXPECT_EQ(Col(t, "v").Double(0), 1.0);
  EXPECT_EQ(Col(t, "v").Double(1), 2.5);
  EXPECT_EQ(Col(t, "v").Double(2), -3.0);
  EXPECT_EQ(Col(t, "v").Double(3), 9007199254740992.0);  // 2^53, exact
}

TEST(JsonlReaderTest, IntThatFloat64CannotHoldExactlyIsAnError) {
  // 2^53 + 1 has no exact double.
  EXPECT_EQ(ReadError("{\"v\":0.5}\n{\"v\":9007199254740993}\n"),
            "x.jsonl:2: column 'v': integer 9007199254740993 cannot be stored exactly as "
            "float64");
}

TEST(JsonlReaderTest, IntegerBeyondInt64IsFloatInFloatColumnElseError) {
  Table t =
      MustRead("{\"v\":0.5}\n{\"v\":123456789012345678901234}\n{\"v\":18446744073709551615}\n");
  ASSERT_EQ(t.schema().field(0).type, DataType::Float64());
  EXPECT_EQ(Col(t, "v").Double(1), 123456789012345678901234.0);
  EXPECT_EQ(Col(t, "v").Double(2), 18446744073709551615.0);

  EXPECT_EQ(ReadError("{\"v\":1}\n{\"v\":18446744073709551615}\n"),
            "x.jsonl:2: column 'v': expected int64, found integer 18446744073709551615 "
            "(beyond the int64 range)");
  EXPECT_EQ(ReadError("{\"v\":1}\n{\"v\":-123456789012345678901234}\n"),
            // Python: repr(float(-123456789012345678901234)).
            "x.jsonl:2: column 'v': expected int64, found integer -1.2345678901234569e+23 "
            "(beyond the int64 range)");
}

TEST(JsonlReaderTest, MixedTypesAreErrorsNamingLineAndColumn) {
  EXPECT_EQ(ReadError("{\"score\":1}\n{\"score\":0.5}\n{\"score\":\"high\"}\n"),
            "x.jsonl:3: column 'score': expected float64, found string \"high\"");
  EXPECT_EQ(ReadError("{\"n\":1}\n{\"n\":true}\n"),
            "x.jsonl:2: column 'n': expected int64, found bool true");
  EXPECT_EQ(ReadError("{\"n\":false}\n{\"n\":2.5}\n"),
            "x.jsonl:2: column 'n': expected bool, found float64 2.5");
  EXPECT_EQ(ReadError("{\"s\":\"a\"}\n{\"s\":[1]}\n"),
            "x.jsonl:2: column 's': expected string, found array");
  EXPECT_EQ(ReadError("{\"s\":[1]}\n{\"s\":\"a\"}\n"),
            "x.jsonl:2: column 's': expected array, found string \"a\"");
  // Object and scalar under one name, both ways round.
  EXPECT_EQ(ReadError("{\"t\":5}\n{\"t\":{\"a\":1}}\n"),
            "x.jsonl:2: column 't': expected int64, found object");
  EXPECT_EQ(ReadError("{\"t\":{\"a\":1}}\n{\"t\":5}\n"),
            "x.jsonl:2: column 't': expected object, found int64 5");
}

TEST(JsonlReaderTest, MismatchAfterTheSampleIsAnErrorWithItsLine) {
  ReadOptions options = Options();
  options.jsonl.infer_rows = 2;
  EXPECT_EQ(ReadError("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n\n{\"n\":\"four\"}\n", options),
            "x.jsonl:5: column 'n': expected int64, found string \"four\"");
  EXPECT_EQ(ReadError("{\"n\":null}\n{\"n\":null}\n{\"n\":3}\n", options),
            "x.jsonl:3: column 'n': expected string, found int64 3 (the column held only "
            "nulls in the 2 rows the schema was inferred from; raise infer_rows or set its "
            "type in column_types)");
}

TEST(JsonlReaderTest, LongStringInErrorIsCut) {
  std::string line = "{\"n\":1}\n{\"n\":\"" + std::string(100, 'z') + "\"}\n";
  EXPECT_EQ(ReadError(line), "x.jsonl:2: column 'n': expected int64, found string \"" +
                                 std::string(64, 'z') + "\"...");
}

TEST(JsonlReaderTest, KeyFirstSeenAfterTheSampleIsAnError) {
  ReadOptions options = Options();
  options.jsonl.infer_rows = 2;
  EXPECT_EQ(ReadError("{\"a\":1}\n{\"a\":2}\n{\"a\":3,\"tags\":{\"new\":1}}\n", options),
            "x.jsonl:3: key 'tags' first appears after the 2 rows the schema was inferred "
            "from; raise infer_rows (or name the column in column_types)");
  EXPECT_EQ(ReadError("{\"t\":{\"a\":1}}\n{\"t\":{\"a\":2}}\n{\"t\":{\"b\":1}}\n", options),
            "x.jsonl:3: key 't.b' first appears after the 2 rows the schema was inferred "
            "from; raise infer_rows (or name the column in column_types)");
  // Naming the column in column_types makes it part of the schema.
  options.jsonl.column_types["t.b"] = DataType::Int64();
  Table t = MustRead("{\"t\":{\"a\":1}}\n{\"t\":{\"a\":2}}\n{\"t\":{\"b\":7}}\n", options);
  EXPECT_EQ(Names(t), (std::vector<std::string>{"t.a", "t.b"}));
  EXPECT_EQ(Col(t, "t.b").null_count(), 2);
  EXPECT_EQ(Col(t, "t.b").Int(2), 7);
}

TEST(JsonlReaderTest, DuplicateKeyIsAnError) {
  EXPECT_EQ(ReadError("{\"a\":1}\n{\"a\":1,\"b\":2,\"a\":3}\n"), "x.jsonl:2: duplicate key 'a'");
  EXPECT_EQ(ReadError("{\"t\":{\"a\":1},\"t\":{\"b\":2}}\n"), "x.jsonl:1: duplicate key 't'");
  // The same dotted name spelled as a literal key and as nested objects.
  EXPECT_EQ(ReadError("{\"t.a\":1,\"t\":{\"a\":2}}\n"), "x.jsonl:1: duplicate key 't.a'");
}

// ---------------------------------------------------------------------------------------------
// Reader: malformed input

TEST(JsonlReaderTest, BrokenLinesAreErrorsNamingTheLine) {
  const std::string prefix = "x.jsonl:2: not a JSON object: ";
  for (const char* bad : {
           "{\"a\":1",            // truncated object
           "{\"a\":\"\\q\"}",     // bad escape
           "{\"a\":1} x",         // trailing garbage
           "{\"a\":1}}",          // trailing brace
           "{\"a\":1}{\"a\":2}",  // two objects on one line
           "{\"a\":01}",          // leading zero
           "{\"a\":tru}",         // bad literal
           "{\"a\":1,}",          // trailing comma
           "{a:1}",               // unquoted key
           "{\"a\":\"\xff\"}",    // invalid UTF-8
       }) {
    std::string text = "{\"a\":0}\n" + std::string(bad) + "\n{\"a\":3}\n";
    std::string err = ReadError(text);
    EXPECT_EQ(err.substr(0, prefix.size()), prefix) << bad << " -> " << err;
    EXPECT_GT(err.size(), prefix.size()) << bad;
  }
}

TEST(JsonlReaderTest, LineThatIsNotAnObjectSaysWhatItHolds) {
  EXPECT_EQ(ReadError("{\"a\":0}\n[1,2]\n"), "x.jsonl:2: not a JSON object: found array");
  EXPECT_EQ(ReadError("5\n"), "x.jsonl:1: not a JSON object: found int64 5");
  EXPECT_EQ(ReadError("\"s\"\n"), "x.jsonl:1: not a JSON object: found string \"s\"");
  EXPECT_EQ(ReadError("null\n"), "x.jsonl:1: not a JSON object: found null");
}

TEST(JsonlReaderTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "{\"a\":";
  deep += "1";
  for (int i = 0; i < 300; ++i) deep += "}";
  EXPECT_EQ(ReadError(deep + "\n"), "x.jsonl:1: objects nested deeper than 256 levels");
  std::string deeper(5000, '[');
  EXPECT_NE(ReadError("{\"a\":" + deeper + "}\n"), "OK");
}

TEST(JsonlReaderTest, BlankLinesAreSkippedButCounted) {
  Table t = MustRead("\n{\"a\":1}\n\n   \t\n{\"a\":2}\n\n");
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(Col(t, "a").Int(1), 2);
  EXPECT_EQ(ReadError("\n{\"a\":1}\n\n   \n{\"a\":\"x\"}\n"),
            "x.jsonl:5: column 'a': expected int64, found string \"x\"");
}

TEST(JsonlReaderTest, ByteOrderMarkAndCrlfAreAccepted) {
  Table t = MustRead("\xEF\xBB\xBF{\"a\":1}\r\n\r\n{\"a\":2}\r\n{\"a\":3}");
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_EQ(Col(t, "a").Int(0), 1);
  EXPECT_EQ(Col(t, "a").Int(2), 3);
  EXPECT_EQ(ReadError("\xEF\xBB\xBF{\"a\":1}\r\n\r\n{\"a\":true}\r\n"),
            "x.jsonl:3: column 'a': expected int64, found bool true");
}

TEST(JsonlReaderTest, EmptyInputHasNoColumnsAndNoRows) {
  for (std::string_view text : {"", "\n\n  \n", "\xEF\xBB\xBF", "{}\n{}\n"}) {
    auto reader = OpenJsonlReader(MemorySequentialFile(text, "x.jsonl"), Options());
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->schema().num_fields(), 0);
    Table batch;
    auto more = (*reader)->Next(&batch);
    ASSERT_TRUE(more.ok());
    EXPECT_FALSE(*more);
  }
}

// ---------------------------------------------------------------------------------------------
// Reader: timestamps and overrides

TEST(JsonlReaderTest, StringsThatAreAllTimestampsBecomeTimestampColumn) {
  Table t = MustRead(
      "{\"at\":\"2021-03-04T05:06:07Z\",\"s\":\"2021-03-04\"}\n"
      "{\"at\":\"2021-03-04 05:06:07.5+01:00\",\"s\":\"later\"}\n"
      "{\"at\":null,\"s\":null}\n");
  ASSERT_EQ(t.schema().field(0).type, DataType::Timestamp(TimeUnit::kMicro));
  EXPECT_EQ(t.schema().field(1).type, DataType::String());
  const Column& at = Col(t, "at");
  EXPECT_EQ(at.Int(0), (kMar4Seconds + 5 * 3600 + 6 * 60 + 7) * kMicros);
  // 05:06:07.5 at +01:00 is 04:06:07.5 UTC.
  EXPECT_EQ(at.Int(1), (kMar4Seconds + 4 * 3600 + 6 * 60 + 7) * kMicros + 500000);
  EXPECT_TRUE(at.IsNull(2));
  EXPECT_EQ(Col(t, "s").String(0), "2021-03-04");

  ReadOptions options = Options();
  options.jsonl.infer_rows = 1;
  EXPECT_EQ(ReadError("{\"at\":\"2021-03-04\"}\n{\"at\":\"2021-13-01\"}\n", options),
            "x.jsonl:2: column 'at': expected timestamp[us], found string \"2021-13-01\"");
}

TEST(JsonlReaderTest, ColumnTypesOverrideInference) {
  ReadOptions options = Options();
  options.jsonl.column_types["zip"] = DataType::String();
  options.jsonl.column_types["tags"] = DataType::String();
  options.jsonl.column_types["v"] = DataType::Float64();
  options.jsonl.column_types["at"] = DataType::Timestamp(TimeUnit::kMilli);
  options.jsonl.column_types["never"] = DataType::Bool();
  Table t = MustRead(
      R"({"zip":2134,"tags":{"w":"rain","n":[1, 2]},"v":1,"at":"1970-01-01T00:00:01.0079Z"})"
      "\n"
      R"({"zip":"02134","tags":"plain","v":2,"at":"1969-12-31T23:59:59.9991Z"})"
      "\n"
      R"({"zip":true,"tags":null,"v":0.5})"
      "\n",
      options);
  EXPECT_EQ(Names(t), (std::vector<std::string>{"zip", "tags", "v", "at", "never"}));
  EXPECT_EQ(Col(t, "zip").String(0), "2134");
  EXPECT_EQ(Col(t, "zip").String(1), "02134");
  EXPECT_EQ(Col(t, "zip").String(2), "true");
  EXPECT_EQ(Col(t, "tags").String(0), R"({"w":"rain","n":[1,2]})");
  EXPECT_EQ(Col(t, "tags").String(1), "plain");
  EXPECT_TRUE(Col(t, "tags").IsNull(2));
  EXPECT_EQ(t.schema().field(2).type, DataType::Float64());
  EXPECT_EQ(Col(t, "v").Double(0), 1.0);
  EXPECT_EQ(Col(t, "v").Double(2), 0.5);
  // Milliseconds, truncated toward negative infinity: 1007.9 ms -> 1007, -0.9 ms -> -1.
  EXPECT_EQ(t.schema().field(3).type, DataType::Timestamp(TimeUnit::kMilli));
  EXPECT_EQ(Col(t, "at").Int(0), 1007);
  EXPECT_EQ(Col(t, "at").Int(1), -1);
  EXPECT_EQ(Col(t, "never").null_count(), 3);

  options.jsonl.column_types.clear();
  options.jsonl.column_types["n"] = DataType::Int64();
  EXPECT_EQ(ReadError("{\"n\":1.5}\n", options),
            "x.jsonl:1: column 'n': expected int64, found float64 1.5");
}

// ---------------------------------------------------------------------------------------------
// Reader: streaming and parallelism

// `rows` lines with a mix of types, nulls, nesting and arrays; deterministic.
std::string MakeLines(int rows) {
  std::string out;
  for (int i = 0; i < rows; ++i) {
    out += "{\"id\":" + std::to_string(i);
    if (i % 7 != 3) out += ",\"score\":" + std::to_string(i % 100) + "." + std::to_string(i % 9);
    out += ",\"tags\":{\"w\":\"" + std::string(i % 2 ? "rain" : "sun") + "\"";
    if (i % 5 == 0) out += ",\"cam\":null";
    out += "},\"ok\":" + std::string(i % 3 ? "true" : "false");
    if (i % 11 == 0) out += ",\"arr\":[" + std::to_string(i) + ",\"x\"]";
    out += "}\n";
    if (i % 13 == 0) out += "\n";
  }
  return out;
}

TEST(JsonlReaderTest, ParallelReadEqualsSerialRead) {
  std::string text = MakeLines(20000);
  ReadOptions serial = Options(1);
  serial.jsonl.infer_rows = 100;
  Table one = MustRead(text, serial);
  ASSERT_EQ(one.num_rows(), 20000);
  EXPECT_EQ(Names(one),
            (std::vector<std::string>{"id", "score", "tags.w", "tags.cam", "ok", "arr"}));
  for (int threads : {2, 3, 4}) {
    ReadOptions parallel = serial;
    parallel.num_threads = threads;
    Table many = MustRead(text, parallel);
    EXPECT_TRUE(many.Equals(one)) << threads << " threads";
  }
  // Row 15000 has a score (15000 % 7 = 6): "0.6", from 15000 % 100 = 0 and 15000 % 9 = 6.
  EXPECT_EQ(Col(one, "score").Double(15000), 0.6);
  EXPECT_EQ(Col(one, "arr").String(15004), "[15004,\"x\"]");  // 15004 = 11 * 1364
}

TEST(JsonlReaderTest, ParallelErrorNamesTheSameLineAsSerial) {
  std::string text = MakeLines(9000);
  // Line numbers: row i sits on line i + 1 + (blank lines after rows 0, 13, ..., < i).
  // Replace row 7000's "ok" value; rows 0..6999 have ceil(7000 / 13) = 539 blank lines.
  std::string needle = "{\"id\":7000,";
  size_t at = text.find(needle);
  ASSERT_NE(at, std::string::npos);
  size_t ok = text.find("\"ok\":true", at);  // 7000 % 3 = 1
  text.replace(ok, 9, "\"ok\":\"no\"");
  std::string expected = "x.jsonl:7540: column 'ok': expected bool, found string \"no\"";
  EXPECT_EQ(ReadError(text, Options(1)), expected);
  EXPECT_EQ(ReadError(text, Options(4)), expected);
}

TEST(JsonlReaderTest, LargeInputSpansBlocksAndBatchesStayWithinBatchRows) {
  // About 9 MB: more than two 4 MiB read blocks, plus one line longer than a block.
  std::string text;
  const int rows = 60000;
  for (int i = 0; i < rows; ++i) {
    text += "{\"i\":" + std::to_string(i) + ",\"pad\":\"" + std::string(80, 'p') + "\"}\n";
    if (i == 30000) text += "{\"i\":-1,\"pad\":\"" + std::string(5 << 20, 'q') + "\"}\n";
  }
  ReadOptions options = Options(2);
  options.batch_rows = 7000;
  auto reader = OpenJsonlReader(MemorySequentialFile(text, "x.jsonl"), options);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Table batch;
  int64_t total = 0;
  int64_t sum = 0;
  int64_t long_rows = 0;
  for (;;) {
    auto more = (*reader)->Next(&batch);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    EXPECT_GT(batch.num_rows(), 0);
    EXPECT_LE(batch.num_rows(), 7000);
    total += batch.num_rows();
    for (int64_t r = 0; r < batch.num_rows(); ++r) {
      sum += batch.column(0).Int(r);
      if (batch.column(1).String(r).size() == (5u << 20)) ++long_rows;
    }
  }
  EXPECT_EQ(total, rows + 1);
  // 0 + 1 + ... + 59999 = 59999 * 60000 / 2, and -1 for the long row.
  EXPECT_EQ(sum, 59999LL * 60000 / 2 - 1);
  EXPECT_EQ(long_rows, 1);

  // An error in the last block still names its absolute line (60001 lines before it).
  std::string bad = text + "{\"i\":\"last\"}\n";
  EXPECT_EQ(ReadError(bad, options),
            "x.jsonl:60002: column 'i': expected int64, found string \"last\"");
}

TEST(JsonlReaderTest, GoldenFileMatchesDuckDb) {
  // Expected values from DuckDB 1.x: read_json('events.jsonl', format='newline_delimited')
  // with count(*), count(score), sum(score), count(*) FILTER (WHERE ok), count(tags.weather),
  // count(boxes), epoch_us(min/max(captured_at)), sum(epoch_us(captured_at)) and
  // count(*) FILTER (WHERE tags.camera = 'front'); to_json(boxes) for key drive6/cam0/000006.
  for (int threads : {1, 2}) {
    Result<Table> r =
        ReadTable(std::string(CAIRN_TEST_DATA_DIR) + "/jsonl/events.jsonl", Options(threads));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const Table& t = *r;
    EXPECT_EQ(Names(t), (std::vector<std::string>{"key", "captured_at", "ok", "tags.weather",
                                                  "tags.camera", "boxes", "score"}));
    ASSERT_EQ(t.num_rows(), 200);
    EXPECT_EQ(t.schema().field(1).type, DataType::Timestamp(TimeUnit::kMicro));
    EXPECT_EQ(t.schema().field(6).type, DataType::Float64());
    const Column& score = Col(t, "score");
    EXPECT_EQ(score.size() - score.null_count(), 160);
    double sum = 0;
    for (int64_t i = 0; i < t.num_rows(); ++i) sum += score.IsNull(i) ? 0 : score.Double(i);
    EXPECT_NEAR(sum, 1061.0, 1e-9);
    int64_t ok = 0, front = 0, min_ts = INT64_MAX, max_ts = INT64_MIN, sum_ts = 0;
    for (int64_t i = 0; i < t.num_rows(); ++i) {
      ok += Col(t, "ok").Bool(i);
      front += Col(t, "tags.camera").String(i) == "front";
      int64_t ts = Col(t, "captured_at").Int(i);
      min_ts = std::min(min_ts, ts);
      max_ts = std::max(max_ts, ts);
      sum_ts += ts;
    }
    EXPECT_EQ(ok, 67);
    EXPECT_EQ(front, 100);
    EXPECT_EQ(min_ts, 1614556800000000);
    EXPECT_EQ(max_ts, 1616974151000000);
    EXPECT_EQ(sum_ts, 323148899860000000);
    EXPECT_EQ(Col(t, "tags.weather").size() - Col(t, "tags.weather").null_count(), 150);
    EXPECT_EQ(Col(t, "boxes").size() - Col(t, "boxes").null_count(), 34);
    EXPECT_EQ(Col(t, "key").String(6), "drive6/cam0/000006");
    EXPECT_EQ(Col(t, "boxes").String(6), "[[6,7],[8,9]]");
  }
}

// ---------------------------------------------------------------------------------------------
// Writer

TEST(JsonlWriterTest, WritesNestedObjectsEscapedStringsAndNulls) {
  Table t = MakeTable(
      {{"id", DataType::Int64()},
       {"tags.weather", DataType::String()},
       {"tags.camera", DataType::String()},
       {"score", DataType::Float64()},
       {"ok", DataType::Bool()},
       {"at", DataType::Timestamp(TimeUnit::kMicro)}},
      {Ints({1, std::nullopt}), Strings({"rain \"heavy\"", "a\nb\x01\\\xC3\xA9\t"}),
       Strings({std::nullopt, "front"}), Doubles({2.0, std::numeric_limits<double>::quiet_NaN()}),
       Bools({true, std::nullopt}),
       Ints({(kMar4Seconds + 5 * 3600 + 6 * 60 + 7) * kMicros + 250000, std::nullopt},
            DataType::Timestamp(TimeUnit::kMicro))});
  int64_t non_finite = 0;
  std::string out = Write(t, {}, &non_finite);
  EXPECT_EQ(out,
            "{\"id\":1,\"tags\":{\"weather\":\"rain \\\"heavy\\\"\",\"camera\":null},"
            "\"score\":2.0,\"ok\":true,\"at\":\"2021-03-04T05:06:07.250000Z\"}\n"
            "{\"id\":null,\"tags\":{\"weather\":\"a\\nb\\u0001\\\\\xC3\xA9\\t\","
            "\"camera\":\"front\"},\"score\":null,\"ok\":null,\"at\":null}\n");
  EXPECT_EQ(non_finite, 1);
}

TEST(JsonlWriterTest, FloatsUseShortestRoundTripFormWithPointOrExponent) {
  const double inf = std::numeric_limits<double>::infinity();
  Table t = MakeTable({{"f", DataType::Float64()}},
                      {Doubles({0.1, 5.0, -0.0, 1e20, 1.5e-7, 123456.789, inf, -inf})});
  int64_t non_finite = 0;
  EXPECT_EQ(Write(t, {}, &non_finite),
            "{\"f\":0.1}\n{\"f\":5.0}\n{\"f\":-0.0}\n{\"f\":1e+20}\n{\"f\":1.5e-07}\n"
            "{\"f\":123456.789}\n{\"f\":null}\n{\"f\":null}\n");
  EXPECT_EQ(non_finite, 2);
}

TEST(JsonlWriterTest, NameThatIsBothLeafAndPrefixFallsBackToFlatKeys) {
  Table t = MakeTable({{"a", DataType::Int64()},
                       {"c.d", DataType::Int64()},
                       {"a.b", DataType::Int64()},
                       {"c.e.f", DataType::Int64()}},
                      {Ints({1}), Ints({2}), Ints({3}), Ints({4})});
  EXPECT_EQ(Write(t), "{\"a\":1,\"a.b\":3,\"c\":{\"d\":2,\"e\":{\"f\":4}}}\n");
  WriteOptions flat;
  flat.jsonl.nest_dotted = false;
  EXPECT_EQ(Write(t, flat), "{\"a\":1,\"c.d\":2,\"a.b\":3,\"c.e.f\":4}\n");
}

TEST(JsonlWriterTest, InvalidUtf8IsReplacedAndCounted) {
  Table t = MakeTable({{"s", DataType::String()}}, {Strings({"ok\xE2\x82", "\xF0\x9F\x98\x80"})});
  std::string out;
  auto writer = MakeJsonlWriter(StringWritableFile(&out), t.schema(), {});
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write(t).ok());
  ASSERT_TRUE((*writer)->Close().ok());
  EXPECT_EQ(out, "{\"s\":\"ok\\ufffd\\ufffd\"}\n{\"s\":\"\xF0\x9F\x98\x80\"}\n");
  EXPECT_EQ((*writer)->invalid_utf8_count(), 1);
}

TEST(JsonlWriterTest, BatchWithAnotherSchemaIsAnError) {
  Schema schema({{"a", DataType::Int64()}});
  std::string out;
  auto writer = OpenJsonlWriter(StringWritableFile(&out, "out.jsonl"), schema, {});
  ASSERT_TRUE(writer.ok());
  Table other = MakeTable({{"a", DataType::String()}}, {Strings({"x"})});
  Status s = (*writer)->Write(other);
  EXPECT_EQ(s.message(),
            "out.jsonl: batch field 0 is 'a: string', the writer's schema has 'a: int64'");
  Schema dup({{"a", DataType::Int64()}, {"a", DataType::Bool()}});
  EXPECT_FALSE(OpenJsonlWriter(StringWritableFile(&out), dup, {}).ok());
}

TEST(JsonlWriterTest, ParallelWriteEqualsSerialWrite) {
  Column ids(DataType::Int64());
  Column names(DataType::String());
  for (int i = 0; i < 50000; ++i) {
    ids.AppendInt(i * 3);
    names.AppendString("n" + std::to_string(i));
  }
  Table t = MakeTable({{"id", DataType::Int64()}, {"x.name", DataType::String()}},
                      {std::move(ids), std::move(names)});
  WriteOptions one;
  one.num_threads = 1;
  WriteOptions four;
  four.num_threads = 4;
  std::string a = Write(t, one);
  EXPECT_EQ(a, Write(t, four));
  const std::string head =
      "{\"id\":0,\"x\":{\"name\":\"n0\"}}\n{\"id\":3,\"x\":{\"name\":\"n1\"}}\n";
  EXPECT_EQ(a.substr(0, head.size()), head);
}

TEST(JsonlRoundTripTest, EveryTypeSurvivesWriteThenRead) {
  Column ns(DataType::Timestamp(TimeUnit::kNano));
  ns.AppendInt(1614834367123456789);
  ns.AppendNull();
  ns.AppendInt(-1);
  Table t = MakeTable(
      {{"i", DataType::Int64()},
       {"f", DataType::Float64()},
       {"b", DataType::Bool()},
       {"s", DataType::String()},
       {"t.us", DataType::Timestamp(TimeUnit::kMicro)},
       {"t.ns", DataType::Timestamp(TimeUnit::kNano)},
       {"deep.x.y", DataType::String()}},
      {Ints({std::numeric_limits<int64_t>::min(), std::nullopt,
             std::numeric_limits<int64_t>::max()}),
       Doubles({0.1, -0.0, 1e300}), Bools({true, false, std::nullopt}),
       Strings({"", "tab\tquote\"back\\slash\x1f", "\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x9A\x97"}),
       Ints({0, -1, (kMar4Seconds + 1) * kMicros + 1}, DataType::Timestamp(TimeUnit::kMicro)),
       std::move(ns), Strings({std::nullopt, "[1,2]", "{\"k\":1}"})});
  std::string text = Write(t);
  ReadOptions options = Options();
  options.jsonl.column_types["t.ns"] = DataType::Timestamp(TimeUnit::kNano);
  Table back = MustRead(text, options);
  EXPECT_EQ(back.schema().ToString(), t.schema().ToString());
  EXPECT_TRUE(back.Equals(t)) << text;
  // -0.0 keeps its sign.
  EXPECT_TRUE(std::signbit(Col(back, "f").Double(1)));
}

}  // namespace
}  // namespace cairn::table
