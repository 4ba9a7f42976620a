#include "table/csv.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/file.h"
#include "table/csv_internal.h"

namespace cairn::table {
namespace {

// 2021-01-01T00:00:00Z: 18628 days after the epoch, 18628 * 86400 s.
constexpr int64_t kJan2021Micros = int64_t{1609459200} * 1000000;

ReadOptions Options(int threads = 1) {
  ReadOptions o;
  o.num_threads = threads;
  return o;
}

Result<Table> Read(const std::string& text, const ReadOptions& options = Options(),
                   int64_t block_bytes = kCsvBlockBytes, int64_t min_range_bytes = 32 << 10) {
  CsvTuning tuning;
  tuning.block_bytes = block_bytes;
  tuning.min_range_bytes = min_range_bytes;
  CAIRN_ASSIGN_OR_RETURN(
      auto reader, OpenCsvReaderTuned(MemorySequentialFile(text, "data.csv"), options, tuning));
  return reader->ReadAll();
}

std::string ErrorOf(const std::string& text, const ReadOptions& options = Options()) {
  auto t = Read(text, options);
  if (t.ok()) return "no error";
  return t.status().message();
}

std::vector<std::string> Strings(const Column& c) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < c.size(); ++i) out.push_back(c.IsNull(i) ? "<null>" : c.Format(i));
  return out;
}

using Strs = std::vector<std::string>;

TEST(CsvReaderTest, QuotedFieldsHoldDelimitersDoubledQuotesAndNewlines) {
  auto t = Read("a,b\n\"x,y\",\"say \"\"hi\"\"\"\n\"line1\nline2\",plain\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->num_rows(), 2);
  EXPECT_EQ(Strings(t->column(0)), (Strs{"x,y", "line1\nline2"}));
  EXPECT_EQ(Strings(t->column(1)), (Strs{"say \"hi\"", "plain"}));
}

TEST(CsvReaderTest, CrlfLineEndsAreStrippedAndFinalNewlineIsOptional) {
  auto t = Read("a,b\r\n1,x\r\n2,\"y\"\r\n3,z");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->schema().field(0).type, DataType::Int64());
  EXPECT_EQ(Strings(t->column(0)), (Strs{"1", "2", "3"}));
  EXPECT_EQ(Strings(t->column(1)), (Strs{"x", "y", "z"}));
  // A CR cut off from its LF at the end of the input ends the record too.
  t = Read("a,b\r\n1,\"x\"\r");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(Strings(t->column(1)), (Strs{"x"}));
  t = Read("a,b\r\n1,x\r");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(Strings(t->column(1)), (Strs{"x"}));
  // Elsewhere a lone CR is data.
  t = Read("a,b\n1\r,x\ry\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(Strings(t->column(0)), (Strs{"1\r"}));
  EXPECT_EQ(Strings(t->column(1)), (Strs{"x\ry"}));
}

TEST(CsvReaderTest, Utf8BomIsSkipped) {
  auto t = Read("\xEF\xBB\xBFid,name\n1,\xC3\xA9t\xC3\xA9\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->schema().field(0).name, "id");
  EXPECT_EQ(Strings(t->column(1)), (Strs{"\xC3\xA9t\xC3\xA9"}));
  // Also when the file arrives one byte at a time.
  t = Read("\xEF\xBB\xBFid\n1\n", Options(), 1);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->schema().field(0).name, "id");
}

TEST(CsvReaderTest, WithoutHeaderColumnsAreNamedC0C1) {
  ReadOptions o = Options();
  o.csv.header = false;
  auto t = Read("1,a\n2,b\n", o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->schema().field(0).name, "c0");
  EXPECT_EQ(t->schema().field(1).name, "c1");
  EXPECT_EQ(Strings(t->column(0)), (Strs{"1", "2"}));
  EXPECT_EQ(Strings(t->column(1)), (Strs{"a", "b"}));
}

TEST(CsvReaderTest, EmptyAndRepeatedHeaderNamesAreMadeUnique) {
  auto t = Read("x,,x\n1,2,3\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->schema().field(0).name, "x");
  EXPECT_EQ(t->schema().field(1).name, "c1");
  EXPECT_EQ(t->schema().field(2).name, "x_1");
}

TEST(CsvReaderTest, TabAndSemicolonDelimitersAndOtherQuoteChar) {
  ReadOptions o = Options();
  o.csv.delimiter = '\t';
  auto t = Read("a\tb\n1,5\tx y\n", o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(Strings(t->column(0)), (Strs{"1,5"}));
  EXPECT_EQ(Strings(t->column(1)), (Strs{"x y"}));

  o.csv.delimiter = ';';
  o.csv.quote = '\'';
  t = Read("a;b\n'p;q';'it''s'\n", o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(Strings(t->column(0)), (Strs{"p;q"}));
  EXPECT_EQ(Strings(t->column(1)), (Strs{"it's"}));
}

TEST(CsvReaderTest, InfersTheNarrowestTypeOfEachColumn) {
  auto t = Read(
      "i,f,b,d,ts,s\n"
      "1,1.5,true,2021-01-01,2021-01-01T00:00:01.5Z,abc\n"
      "-7,2,FALSE,2021-01-02,2021-01-01 01:00:00+01:00,1\n"
      "9223372036854775807,1e3,True,2021-01-03,2021-01-01 00:00:00,true\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const Schema& s = t->schema();
  EXPECT_EQ(s.field(0).type, DataType::Int64());
  EXPECT_EQ(s.field(1).type, DataType::Float64());
  EXPECT_EQ(s.field(2).type, DataType::Bool());
  EXPECT_EQ(s.field(3).type, DataType::Timestamp(TimeUnit::kMicro));
  EXPECT_EQ(s.field(4).type, DataType::Timestamp(TimeUnit::kMicro));
  EXPECT_EQ(s.field(5).type, DataType::String());
  EXPECT_EQ(t->column(0).Int(0), 1);
  EXPECT_EQ(t->column(0).Int(1), -7);
  EXPECT_EQ(t->column(0).Int(2), INT64_MAX);
  EXPECT_EQ(t->column(1).Double(0), 1.5);
  EXPECT_EQ(t->column(1).Double(1), 2.0);
  EXPECT_EQ(t->column(1).Double(2), 1000.0);
  EXPECT_TRUE(t->column(2).Bool(0));
  EXPECT_FALSE(t->column(2).Bool(1));
  EXPECT_TRUE(t->column(2).Bool(2));
  EXPECT_EQ(t->column(3).Int(0), kJan2021Micros);
  EXPECT_EQ(t->column(3).Int(2), kJan2021Micros + 2 * int64_t{86400} * 1000000);
  EXPECT_EQ(t->column(4).Int(0), kJan2021Micros + 1500000);
  EXPECT_EQ(t->column(4).Int(1), kJan2021Micros);  // 01:00 at +01:00 is midnight UTC
  EXPECT_EQ(t->column(4).Int(2), kJan2021Micros);
  EXPECT_EQ(Strings(t->column(5)), (Strs{"abc", "1", "true"}));
}

TEST(CsvReaderTest, IntegerTooLargeForInt64IsFloat) {
  auto t = Read("x\n9223372036854775808\n1\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->schema().field(0).type, DataType::Float64());
  EXPECT_EQ(t->column(0).Double(0), 9223372036854775808.0);
}

TEST(CsvReaderTest, NumbersWithSurroundingSpacesAreStrings) {
  auto t = Read("a,b,c\n 1,2.5 ,true\n2,3, false\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->schema().field(0).type, DataType::String());
  EXPECT_EQ(t->schema().field(1).type, DataType::String());
  EXPECT_EQ(t->schema().field(2).type, DataType::String());
  EXPECT_EQ(Strings(t->column(0)), (Strs{" 1", "2"}));
  EXPECT_EQ(Strings(t->column(1)), (Strs{"2.5 ", "3"}));
}

TEST(CsvReaderTest, NullTokensDoNotVoteAndAnAllNullColumnIsString) {
  auto t = Read("a,b,c\n1,,NA\nnull,2.5,\nN/A,NULL,\n4,1,\"\"\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->schema().field(0).type, DataType::Int64());
  EXPECT_EQ(t->schema().field(1).type, DataType::Float64());
  EXPECT_EQ(t->schema().field(2).type, DataType::String());
  EXPECT_EQ(Strings(t->column(0)), (Strs{"1", "<null>", "<null>", "4"}));
  EXPECT_EQ(Strings(t->column(1)), (Strs{"<null>", "2.5", "<null>", "1"}));
  // In a string column the quoted empty string stays a value.
  EXPECT_EQ(Strings(t->column(2)), (Strs{"<null>", "<null>", "<null>", ""}));
  EXPECT_EQ(t->column(0).null_count(), 2);
}

TEST(CsvReaderTest, QuotedEmptyIsTheEmptyStringAndQuotedTokenIsText) {
  auto t = Read("s,n\n,1\n\"\",2\nNA,3\n\"NA\",4\nx,5\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(Strings(t->column(0)), (Strs{"<null>", "", "<null>", "NA", "x"}));
}

TEST(CsvReaderTest, CustomNullTokensReplaceTheDefaults) {
  ReadOptions o = Options();
  o.csv.null_tokens = {"-1", "?"};
  auto t = Read("n,s\n-1,?\n5,\n?,NA\n", o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->schema().field(0).type, DataType::Int64());
  // "-1" parses as an integer but is a null token, so it is null.
  EXPECT_EQ(Strings(t->column(0)), (Strs{"<null>", "5", "<null>"}));
  EXPECT_EQ(Strings(t->column(1)), (Strs{"<null>", "", "NA"}));
}

TEST(CsvReaderTest, ColumnTypesOverrideInference) {
  ReadOptions o = Options();
  o.csv.column_types["zip"] = DataType::String();
  o.csv.column_types["score"] = DataType::Float64();
  o.csv.column_types["at"] = DataType::Timestamp(TimeUnit::kMilli);
  auto t =
      Read("zip,score,at\n01234,3,2021-01-01T00:00:00.0019Z\n99,4,1969-12-31T23:59:59.9995Z\n", o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->schema().field(0).type, DataType::String());
  EXPECT_EQ(t->schema().field(1).type, DataType::Float64());
  EXPECT_EQ(t->schema().field(2).type, DataType::Timestamp(TimeUnit::kMilli));
  EXPECT_EQ(Strings(t->column(0)), (Strs{"01234", "99"}));
  EXPECT_EQ(t->column(1).Double(0), 3.0);
  EXPECT_EQ(t->column(2).Int(0), kJan2021Micros / 1000 + 1);  // 1.9 ms truncates to 1 ms
  EXPECT_EQ(t->column(2).Int(1), -1);                         // -0.5 ms floors to -1 ms
}

TEST(CsvReaderTest, OverrideOfUnknownColumnIsAnError) {
  ReadOptions o = Options();
  o.csv.column_types["nope"] = DataType::Int64();
  EXPECT_EQ(ErrorOf("a,b\n1,2\n", o),
            "data.csv: column type given for 'nope', which is not a column (columns: a, b)");
}

TEST(CsvReaderTest, ValueNotFittingAnOverrideNamesLineAndColumn) {
  ReadOptions o = Options();
  o.csv.column_types["b"] = DataType::Int64();
  EXPECT_EQ(ErrorOf("a,b\nx,1\ny,2.5\n", o), "data.csv:3: column 'b': cannot parse '2.5' as int64");
}

TEST(CsvReaderTest, RaggedRowsAreErrorsNamingTheLine) {
  EXPECT_EQ(ErrorOf("a,b,c,d\n1,2,3,4\n1,2,3,4,5\n"), "data.csv:3: expected 4 fields, found 5");
  EXPECT_EQ(ErrorOf("a,b,c\n1,2,3\n\n1,2\n"), "data.csv:4: expected 3 fields, found 2");
}

TEST(CsvReaderTest, ErrorLinesCountNewlinesInsideQuotedFields) {
  // Lines: 1 header, 2-4 the first record (two newlines inside quotes), 5 the second,
  // 6 the ragged third.
  EXPECT_EQ(ErrorOf("id,text\n1,\"one\ntwo\nthree\"\n2,ok\n3,x,extra\n"),
            "data.csv:6: expected 2 fields, found 3");
  EXPECT_EQ(ErrorOf("id,text\r\n1,\"a\r\nb\"\r\n2,\"c\"d\r\n"),
            "data.csv:4: unexpected character after a closing quote (quotes inside a quoted field "
            "must be doubled)");
}

TEST(CsvReaderTest, UnterminatedQuoteIsAnErrorAtTheOpeningQuote) {
  EXPECT_EQ(ErrorOf("a,b\n1,x\n2,\"abc\n3,4\n"),
            "data.csv:3: unterminated quoted field: the quote opened here is never closed");
  EXPECT_EQ(ErrorOf("a\n\""),
            "data.csv:2: unterminated quoted field: the quote opened here is never closed");
}

TEST(CsvReaderTest, StrayQuoteInUnquotedFieldIsAnError) {
  EXPECT_EQ(ErrorOf("a,b\n1,2\n3,ab\"c\n"),
            "data.csv:3: stray quote in an unquoted field (quote the whole field and double "
            "quotes inside it)");
}

TEST(CsvReaderTest, MalformedHeaderIsAnError) {
  auto t = Read("a,\"b\n1,2\n");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "data.csv:1: unterminated quoted field: the quote opened here is never closed");
}

TEST(CsvReaderTest, LateValueNotFittingTheInferredTypeIsAnError) {
  ReadOptions o = Options();
  o.csv.infer_rows = 3;
  EXPECT_EQ(ErrorOf("x,y\n1,a\n2,b\n3,c\n4,d\nabc,e\n", o),
            "data.csv:6: column 'x': cannot parse 'abc' as int64 (type inferred from the first 3 "
            "rows; override with a column type)");
  // The same with the default sample of 20000 rows: the bad value is on line 20003.
  std::string text = "x\n";
  for (int i = 0; i < 20001; ++i) text += std::to_string(i) + "\n";
  text += "abc\n";
  EXPECT_EQ(ErrorOf(text),
            "data.csv:20003: column 'x': cannot parse 'abc' as int64 (type inferred from the "
            "first 20000 rows; override with a column type)");
  o.csv.column_types["x"] = DataType::String();
  EXPECT_EQ(ErrorOf("x,y\n1,a\n2,b\n3,c\n4,d\nabc,e\n", o), "no error");
}

TEST(CsvReaderTest, EmptyInputHasNoColumnsAndHeaderOnlyHasNoRows) {
  auto t = Read("");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->num_columns(), 0);
  EXPECT_EQ(t->num_rows(), 0);
  t = Read("a,b\r\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->num_columns(), 2);
  EXPECT_EQ(t->num_rows(), 0);
  EXPECT_EQ(t->schema().field(1).type, DataType::String());
}

TEST(CsvReaderTest, BlankLinesAreSkippedExceptInSingleColumnFiles) {
  auto t = Read("\na,b\n1,2\n\n3,4\n\r\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(Strings(t->column(0)), (Strs{"1", "3"}));
  t = Read("a\n1\n\n3\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(Strings(t->column(0)), (Strs{"1", "<null>", "3"}));
}

// Rows of a generated table whose values follow from the row number alone, so tests can
// check every cell without trusting the reader.
std::string GeneratedCsv(int rows) {
  std::string text = "id,x,flag,name,note\n";
  for (int i = 0; i < rows; ++i) {
    text += std::to_string(i) + ",";
    text += i % 7 == 0 ? "" : std::to_string(i) + ".25";
    text += ",";
    text += i % 2 == 0 ? "true" : "false";
    text += ",cat" + std::to_string(i % 10) + ",";
    if (i % 5 == 0) text += "\"multi\nline, \"\"" + std::to_string(i) + "\"\"\"";
    text += "\n";
  }
  return text;
}

void ExpectGeneratedRow(const Table& t, int64_t row, int i) {
  ASSERT_EQ(t.column(0).Int(row), i);
  if (i % 7 == 0) {
    ASSERT_TRUE(t.column(1).IsNull(row));
  } else {
    ASSERT_EQ(t.column(1).Double(row), i + 0.25);
  }
  ASSERT_EQ(t.column(2).Bool(row), i % 2 == 0);
  ASSERT_EQ(t.column(3).String(row), "cat" + std::to_string(i % 10));
  if (i % 5 == 0) {
    ASSERT_EQ(t.column(4).String(row), "multi\nline, \"" + std::to_string(i) + "\"");
  } else {
    ASSERT_TRUE(t.column(4).IsNull(row));
  }
}

TEST(CsvReaderTest, BatchesAreBoundedAndRecordsSpanBlocks) {
  constexpr int kRows = 3000;
  std::string text = GeneratedCsv(kRows);
  ReadOptions o = Options();
  o.batch_rows = 7;
  o.csv.infer_rows = 50;
  // 61-byte blocks cut nearly every record, including those with quoted newlines.
  CsvTuning tuning;
  tuning.block_bytes = 61;
  auto reader = OpenCsvReaderTuned(MemorySequentialFile(text, "data.csv"), o, tuning);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  const Schema& s = (*reader)->schema();
  EXPECT_EQ(s.field(0).type, DataType::Int64());
  EXPECT_EQ(s.field(1).type, DataType::Float64());
  EXPECT_EQ(s.field(2).type, DataType::Bool());
  EXPECT_EQ(s.field(3).type, DataType::String());
  EXPECT_EQ(s.field(4).type, DataType::String());
  int next = 0;
  Table batch;
  for (;;) {
    auto more = (*reader)->Next(&batch);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    ASSERT_GT(batch.num_rows(), 0);
    ASSERT_LE(batch.num_rows(), 7);
    for (int64_t r = 0; r < batch.num_rows(); ++r) ExpectGeneratedRow(batch, r, next++);
  }
  EXPECT_EQ(next, kRows);
}

TEST(CsvReaderTest, OneAndTwoThreadsGiveIdenticalTables) {
  constexpr int kRows = 40000;  // about 1.2 MB, so blocks are split into ranges
  std::string text = GeneratedCsv(kRows);
  auto one = Read(text, Options(1), 256 << 10);
  auto two = Read(text, Options(2), 256 << 10);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  ASSERT_EQ(one->num_rows(), kRows);
  EXPECT_TRUE(one->Equals(*two));
  for (int i = 0; i < kRows; ++i) ExpectGeneratedRow(*two, i, i);
}

// Renders a read as text: the schema and every cell, or the error.
std::string Outcome(const Result<Table>& t) {
  if (!t.ok()) return "error: " + t.status().message();
  std::string out = t->schema().ToString();
  for (int64_t r = 0; r < t->num_rows(); ++r) {
    for (int c = 0; c < t->num_columns(); ++c) out += t->column(c).Format(r, "<null>") + "|";
    out += "\n";
  }
  return out;
}

TEST(CsvReaderTest, TinyRangesOnSeveralThreadsMatchOneThreadOnMalformedInput) {
  // With 1-byte ranges every record boundary is a split point, including wrong ones that
  // malformed quoting suggests; the outcome must still be the one-thread outcome.
  const std::vector<std::string> inputs = {
      "a,b\n1,2\n3,4\n5,6\n7,8\n",
      "a,b\n1,\"x\ny\"\n3,\"\"\"\"\n5,\"p,q\"\n",
      "a,b\n1,2\n3,x\"y\n5,\"6\n7,8\n9,10\n",
      "a,b\n1,\"2\"x\n\"3\n4\",5\n",
      "a,b\n1,2\n3,\"4\n5,6\n",
      "a,b\n1,2\n3\n4,5\n",
      "a\n1\n\n\"\n\"\n2\n",
      "a,b\r\n1,2\r\n\r\n3,\"4\r\n\"\r\nx,y\r\n",
  };
  ReadOptions o1 = Options(1);
  ReadOptions o3 = Options(3);
  o1.csv.infer_rows = o3.csv.infer_rows = 1;
  for (const auto& text : inputs) {
    std::string want = Outcome(Read(text, o1));
    EXPECT_EQ(Outcome(Read(text, o3, kCsvBlockBytes, 1)), want) << text;
    EXPECT_EQ(Outcome(Read(text, o3, 7, 1)), want) << text;
  }
  EXPECT_EQ(Outcome(Read(inputs[2], o1)),
            "error: data.csv:3: stray quote in an unquoted field (quote the whole field and double "
            "quotes inside it)");
}

TEST(CsvReaderTest, ErrorsAreTheSameWithOneAndTwoThreads) {
  std::string text = GeneratedCsv(40000);
  text += "1,2,true,x\n";                                        // ragged, at the very end
  std::string line = std::to_string(1 + 40000 + 40000 / 5 + 1);  // header, rows, quoted newlines
  std::string want = "data.csv:" + line + ": expected 5 fields, found 4";
  EXPECT_EQ(ErrorOf(text, Options(1)), want);
  EXPECT_EQ(ErrorOf(text, Options(2)), want);
  text.insert(text.find("\n12345,") + 3, "\"");  // a stray quote in the middle
  EXPECT_EQ(ErrorOf(text, Options(1)), ErrorOf(text, Options(2)));
}

TEST(CsvReaderTest, ReadsSampleFileAsDuckDbDoes) {
  // Expected values from DuckDB 1.x: SELECT * FROM read_csv('tests/data/csv/sample.csv').
  auto file = OpenSequentialFile(std::string(CAIRN_TEST_DATA_DIR) + "/csv/sample.csv");
  ASSERT_TRUE(file.ok());
  auto reader = OpenCsvReader(std::move(*file), Options());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto t = (*reader)->ReadAll();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->num_rows(), 4);
  EXPECT_EQ(t->schema().ToString(),
            "key: string\ncaptured_at: timestamp[us]\nscore: float64\nlabeled: bool\n"
            "count: int64\ncomment: string\n");
  EXPECT_EQ(Strings(t->column(0)), (Strs{"drive42/cam0/000123", "drive42/cam0/000124",
                                         "drive7/cam1/000001", "drive7/cam1/000002"}));
  EXPECT_EQ(Strings(t->column(1)), (Strs{"2021-03-04T05:06:07Z", "2021-03-04T05:06:07.250000Z",
                                         "2021-03-05T00:00:00Z", "<null>"}));
  EXPECT_EQ(Strings(t->column(2)), (Strs{"0.5", "-1.25", "<null>", "1e+20"}));
  EXPECT_EQ(Strings(t->column(3)), (Strs{"true", "false", "<null>", "true"}));
  EXPECT_EQ(Strings(t->column(4)), (Strs{"3", "-12", "0", "<null>"}));
  EXPECT_EQ(Strings(t->column(5)), (Strs{"rainy, night", "said \"stop\"", "two\nlines", "<null>"}));
}

// --- writer

Result<std::string> Write(const Table& t, const WriteOptions& options = {}) {
  std::string out;
  CAIRN_ASSIGN_OR_RETURN(auto writer,
                         OpenCsvWriter(StringWritableFile(&out, "out.csv"), t.schema(), options));
  CAIRN_RETURN_IF_ERROR(writer->Write(t));
  CAIRN_RETURN_IF_ERROR(writer->Close());
  return out;
}

Table SmallTable() {
  Schema schema({{"id", DataType::Int64()},
                 {"x", DataType::Float64()},
                 {"ok", DataType::Bool()},
                 {"at", DataType::Timestamp(TimeUnit::kMicro)},
                 {"s", DataType::String()}});
  Table t(schema);
  auto& id = t.mutable_column(0);
  auto& x = t.mutable_column(1);
  auto& ok = t.mutable_column(2);
  auto& at = t.mutable_column(3);
  auto& s = t.mutable_column(4);
  id.AppendInt(1);
  x.AppendDouble(0.1);
  ok.AppendBool(true);
  at.AppendInt(kJan2021Micros + 1500000);
  s.AppendString("plain");
  id.AppendInt(-2);
  x.AppendDouble(3.0);
  ok.AppendBool(false);
  at.AppendInt(kJan2021Micros);
  s.AppendString("a,b \"q\"\nnext");
  id.AppendNull();
  x.AppendNull();
  ok.AppendNull();
  at.AppendNull();
  s.AppendNull();
  id.AppendInt(INT64_MIN);
  x.AppendDouble(1e20);
  ok.AppendBool(true);
  at.AppendInt(-1);
  s.AppendString("");
  id.AppendInt(0);
  x.AppendDouble(-0.5);
  ok.AppendBool(false);
  at.AppendInt(0);
  s.AppendString("NA");
  EXPECT_TRUE(t.SyncRowCount().ok());
  return t;
}

TEST(CsvWriterTest, WritesExactBytesWithQuotingOnlyWhereNeeded) {
  auto out = Write(SmallTable());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out,
            "id,x,ok,at,s\n"
            "1,0.1,true,2021-01-01T00:00:01.500000Z,plain\n"
            "-2,3.0,false,2021-01-01T00:00:00Z,\"a,b \"\"q\"\"\nnext\"\n"
            ",,,,\n"
            "-9223372036854775808,1e+20,true,1969-12-31T23:59:59.999999Z,\"\"\n"
            "0,-0.5,false,1970-01-01T00:00:00Z,\"NA\"\n");
}

TEST(CsvWriterTest, DelimiterNullTokenAndNoHeader) {
  WriteOptions o;
  o.csv.delimiter = '\t';
  o.csv.header = false;
  o.csv.null_token = "\\N";
  Schema schema({{"s", DataType::String()}, {"n", DataType::Int64()}});
  Table t(schema);
  t.mutable_column(0).AppendString("a\tb");
  t.mutable_column(1).AppendNull();
  t.mutable_column(0).AppendString("\\N");
  t.mutable_column(1).AppendInt(5);
  t.mutable_column(0).AppendString("x,y");
  t.mutable_column(1).AppendInt(6);
  ASSERT_TRUE(t.SyncRowCount().ok());
  auto out = Write(t, o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "\"a\tb\"\t\\N\n\"\\N\"\t5\nx,y\t6\n");
}

TEST(CsvWriterTest, WritesTimestampsOfEveryUnit) {
  Schema schema({{"ms", DataType::Timestamp(TimeUnit::kMilli)},
                 {"us", DataType::Timestamp(TimeUnit::kMicro)},
                 {"ns", DataType::Timestamp(TimeUnit::kNano)}});
  Table t(schema);
  // Row 1: the epoch, 2021-01-01, one nanosecond after the epoch.
  t.mutable_column(0).AppendInt(0);
  t.mutable_column(1).AppendInt(kJan2021Micros);
  t.mutable_column(2).AppendInt(1);
  // Row 2: one unit before the epoch; 10000-01-01 (2932897 days); 2021-01-01 minus 1 ns.
  t.mutable_column(0).AppendInt(-1);
  t.mutable_column(1).AppendInt(int64_t{2932897} * 86400 * 1000000);
  t.mutable_column(2).AppendInt(kJan2021Micros * 1000 - 1);
  // Row 3: 2021-01-01T12:34:56.789 in each unit.
  const int64_t ms = kJan2021Micros / 1000 + (12 * 3600 + 34 * 60 + 56) * 1000 + 789;
  t.mutable_column(0).AppendInt(ms);
  t.mutable_column(1).AppendInt(ms * 1000);
  t.mutable_column(2).AppendInt(ms * 1000000);
  ASSERT_TRUE(t.SyncRowCount().ok());
  auto out = Write(t);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out,
            "ms,us,ns\n"
            "1970-01-01T00:00:00Z,2021-01-01T00:00:00Z,1970-01-01T00:00:00.000000001Z\n"
            "1969-12-31T23:59:59.999Z,10000-01-01T00:00:00Z,2020-12-31T23:59:59.999999999Z\n"
            "2021-01-01T12:34:56.789Z,2021-01-01T12:34:56.789000Z,"
            "2021-01-01T12:34:56.789000000Z\n");
}

TEST(CsvWriterTest, BatchWithAnotherSchemaIsAnError) {
  std::string out;
  Schema schema({{"a", DataType::Int64()}});
  auto writer = OpenCsvWriter(StringWritableFile(&out, "out.csv"), schema, {});
  ASSERT_TRUE(writer.ok());
  Table other(Schema({{"a", DataType::String()}}));
  Status s = (*writer)->Write(other);
  EXPECT_EQ(s.message(), "out.csv: batch column 0 is 'a' (string), the writer expects 'a' (int64)");
  EXPECT_TRUE((*writer)->Close().ok());
}

TEST(CsvRoundTripTest, EveryTypeWithNullsReadsBackEqual) {
  Table t = SmallTable();
  auto out = Write(t);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  auto back = Read(*out);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->schema().ToString(), t.schema().ToString());
  EXPECT_TRUE(back->Equals(t));
  EXPECT_EQ(Strings(back->column(4)), (Strs{"plain", "a,b \"q\"\nnext", "<null>", "", "NA"}));
}

}  // namespace
}  // namespace cairn::table
