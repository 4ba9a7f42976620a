// End-to-end tests of the cairn binary: exit codes, help, --json validity and the outputs of
// the table commands on small files in tests/data/cli, against hand-written expectations.

#include <gtest/gtest.h>
#include <simdjson.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "e2e_util.h"

namespace {

using cairn::test::CliTest;
using cairn::test::Contains;
using cairn::test::kData;
using cairn::test::ParseJson;
using cairn::test::ReadFile;
using cairn::test::RunResult;
namespace fs = std::filesystem;

// ---- exit codes, help, usage ----

TEST_F(CliTest, NoArgumentsIsAUsageError) {
  RunResult r = Run({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "usage: cairn <noun> <verb>"));
}

TEST_F(CliTest, TopLevelHelpListsEveryCommand) {
  RunResult r = Run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* name :
       {"table schema", "table head", "table stats", "table convert", "version"}) {
    EXPECT_TRUE(Contains(r.out, name)) << name;
  }
  EXPECT_EQ(r.err, "");
}

TEST_F(CliTest, EveryCommandHasHelp) {
  for (std::vector<std::string> cmd : std::vector<std::vector<std::string>>{{"table", "schema"},
                                                                            {"table", "head"},
                                                                            {"table", "stats"},
                                                                            {"table", "convert"},
                                                                            {"version"}}) {
    std::string usage = "usage: cairn " + cmd[0] + (cmd.size() > 1 ? " " + cmd[1] : "");
    cmd.push_back("--help");
    RunResult r = Run(cmd);
    EXPECT_EQ(r.exit_code, 0) << usage;
    EXPECT_TRUE(Contains(r.out, usage)) << r.out;
  }
  RunResult noun = Run({"table", "--help"});
  EXPECT_EQ(noun.exit_code, 0);
  EXPECT_TRUE(Contains(noun.out, "convert"));
}

TEST_F(CliTest, UnknownCommandIsAUsageError) {
  RunResult r = Run({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "cairn: error: unknown command 'frobnicate'\n")) << r.err;
  RunResult verb = Run({"table", "frobnicate"});
  EXPECT_EQ(verb.exit_code, 2);
  EXPECT_TRUE(Contains(verb.err, "cairn: error: unknown command 'table frobnicate'")) << verb.err;
  RunResult missing_verb = Run({"table"});
  EXPECT_EQ(missing_verb.exit_code, 2);
}

TEST_F(CliTest, UnknownFlagPrintsTheUsageLine) {
  RunResult r = Run({"table", "head", kData + "frames.csv", "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "cairn: error: unknown flag '--bogus'\n"
            "usage: cairn table head FILE [flags]\n"
            "Run 'cairn table head --help' for details.\n");
  EXPECT_EQ(r.out, "");
}

TEST_F(CliTest, MissingArgumentAndBadFlagValuesAreUsageErrors) {
  EXPECT_EQ(Run({"table", "schema"}).exit_code, 2);
  EXPECT_EQ(Run({"table", "convert", kData + "frames.csv"}).exit_code, 2);
  EXPECT_EQ(Run({"table", "head", kData + "frames.csv", "-n", "ten"}).exit_code, 2);
  EXPECT_EQ(Run({"table", "head", kData + "frames.csv", "--where", "lane >"}).exit_code, 2);
  EXPECT_EQ(Run({"table", "head", kData + "frames.csv", "--type", "lane"}).exit_code, 2);
  EXPECT_EQ(Run({"table", "head", kData + "frames.csv", "--format", "xls"}).exit_code, 2);
  EXPECT_EQ(Run({"table", "head", kData + "frames.csv", "--delimiter", ";;"}).exit_code, 2);
  EXPECT_EQ(Run({"table", "convert", kData + "frames.csv", Tmp("out.xyz")}).exit_code, 2);
  EXPECT_EQ(
      Run({"table", "convert", kData + "frames.csv", Tmp("o.parquet"), "--compression", "lz4"})
          .exit_code,
      2);
}

TEST_F(CliTest, MissingFileIsAFailureNamingIt) {
  RunResult r = Run({"table", "schema", Tmp("missing.csv")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "cairn: error: " + Tmp("missing.csv") + ": cannot open")) << r.err;
}

TEST_F(CliTest, VersionPrintsVersionAndLibraries) {
  RunResult r = Run({"version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("cairn 0.1.0\n", 0), 0u) << r.out;
  for (const char* lib : {"zstd", "snappy", "openssl", "simdjson", "xxhash", "compiler"}) {
    EXPECT_TRUE(Contains(r.out, lib)) << lib;
  }
  RunResult j = Run({"version", "--json"});
  EXPECT_EQ(j.exit_code, 0);
  simdjson::dom::parser parser;
  auto doc = ParseJson(parser, j.out);
  std::string_view version;
  EXPECT_EQ(doc["version"].get(version), simdjson::SUCCESS);
  EXPECT_EQ(version, "0.1.0");
  std::string_view simdjson_version;
  EXPECT_EQ(doc["libraries"]["simdjson"].get(simdjson_version), simdjson::SUCCESS);
  EXPECT_EQ(simdjson_version, "3.0.1");
}

// ---- table commands on tests/data/cli/frames.csv ----

TEST_F(CliTest, SchemaOfCsvInfersTypes) {
  RunResult r = Run({"table", "schema", kData + "frames.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "column       type           nullable\n"
            "-----------  -------------  --------\n"
            "key          string         yes\n"
            "frame        string         yes\n"
            "captured_at  timestamp[us]  yes\n"
            "speed_kmh    float64        yes\n"
            "lane         int64          yes\n"
            "night        bool           yes\n"
            "weather      string         yes\n");
}

TEST_F(CliTest, SchemaJsonAndTypeOverride) {
  RunResult r = Run({"table", "schema", kData + "frames.csv", "--json", "--type", "lane=float64",
                     "--type", "captured_at=string"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  auto doc = ParseJson(parser, r.out);
  simdjson::dom::array columns;
  ASSERT_EQ(doc["columns"].get(columns), simdjson::SUCCESS);
  ASSERT_EQ(columns.size(), 7u);
  std::string_view name, type;
  EXPECT_EQ(columns.at(2)["name"].get(name), simdjson::SUCCESS);
  EXPECT_EQ(name, "captured_at");
  EXPECT_EQ(columns.at(2)["type"].get(type), simdjson::SUCCESS);
  EXPECT_EQ(type, "string");
  EXPECT_EQ(columns.at(4)["type"].get(type), simdjson::SUCCESS);
  EXPECT_EQ(type, "float64");
  std::string_view format;
  EXPECT_EQ(doc["format"].get(format), simdjson::SUCCESS);
  EXPECT_EQ(format, "csv");
}

TEST_F(CliTest, HeadPrintsAlignedRows) {
  RunResult r = Run({"table", "head", kData + "frames.csv", "-n", "2", "--columns",
                     "key,speed_kmh,night,weather"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "key                 speed_kmh  night  weather\n"
            "------------------  ---------  -----  -------\n"
            "drive1/cam0/000001  42.5       false  sunny\n"
            "drive1/cam0/000002  43         false  sunny\n");
}

TEST_F(CliTest, HeadShowsNullsQuotedFieldsAndTimestamps) {
  RunResult r = Run({"table", "head", kData + "frames.csv", "--columns",
                     "captured_at,speed_kmh,weather", "--where", "lane >= 2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "captured_at                  speed_kmh  weather\n"
            "---------------------------  ---------  ----------\n"
            "2021-06-02T21:30:00Z         NULL       rain\n"
            "2021-06-02T21:30:05.250000Z  12.25      NULL\n"
            "2021-05-30T23:59:59Z         -1.5       fog, light\n");
}

TEST_F(CliTest, HeadJsonIsAnArrayOfRowObjects) {
  RunResult r = Run({"table", "head", kData + "frames.csv", "--json", "-n", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  auto doc = ParseJson(parser, r.out);
  simdjson::dom::array rows;
  ASSERT_EQ(doc.get(rows), simdjson::SUCCESS);
  ASSERT_EQ(rows.size(), 3u);
  std::string_view key;
  EXPECT_EQ(rows.at(2)["key"].get(key), simdjson::SUCCESS);
  EXPECT_EQ(key, "drive2/cam0/000001");
  EXPECT_TRUE(rows.at(2)["speed_kmh"].is_null());
  int64_t lane = 0;
  EXPECT_EQ(rows.at(2)["lane"].get(lane), simdjson::SUCCESS);
  EXPECT_EQ(lane, 2);
  bool night = false;
  EXPECT_EQ(rows.at(2)["night"].get(night), simdjson::SUCCESS);
  EXPECT_TRUE(night);
}

TEST_F(CliTest, HeadOfCustomDelimiterWithoutHeader) {
  RunResult r = Run({"table", "head", kData + "semicolon.csv", "--delimiter", ";", "--no-header",
                     "--type", "c0=string"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "c0  c1\n"
            "--  ----\n"
            "id  name\n"
            "1   a\n"
            "2   b\n");
}

TEST_F(CliTest, StatsByHand) {
  RunResult r = Run({"table", "stats", kData + "frames.csv", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  auto doc = ParseJson(parser, r.out);
  int64_t rows = 0;
  EXPECT_EQ(doc["rows"].get(rows), simdjson::SUCCESS);
  EXPECT_EQ(rows, 5);
  simdjson::dom::array columns;
  ASSERT_EQ(doc["columns"].get(columns), simdjson::SUCCESS);
  ASSERT_EQ(columns.size(), 7u);
  auto col = [&](size_t i) { return columns.at(i); };
  int64_t v = 0;
  double d = 0;
  std::string_view s;
  // speed_kmh: 42.5, 43.0, null, 12.25, -1.5 -> mean 96.25 / 4.
  EXPECT_EQ(col(3)["nulls"].get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, 1);
  EXPECT_EQ(col(3)["min"].get(d), simdjson::SUCCESS);
  EXPECT_EQ(d, -1.5);
  EXPECT_EQ(col(3)["max"].get(d), simdjson::SUCCESS);
  EXPECT_EQ(d, 43.0);
  EXPECT_EQ(col(3)["mean"].get(d), simdjson::SUCCESS);
  EXPECT_EQ(d, 24.0625);
  // lane: 1, 1, 2, 3, 2 -> 3 distinct, mean 1.8.
  EXPECT_EQ(col(4)["distinct_estimate"].get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, 3);
  EXPECT_EQ(col(4)["mean"].get(d), simdjson::SUCCESS);
  EXPECT_DOUBLE_EQ(d, 1.8);
  EXPECT_EQ(col(4)["min"].get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, 1);
  // weather: sunny, sunny, rain, null, "fog, light".
  EXPECT_EQ(col(6)["nulls"].get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, 1);
  EXPECT_EQ(col(6)["distinct_estimate"].get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, 3);
  EXPECT_EQ(col(6)["min"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "fog, light");
  EXPECT_EQ(col(6)["max"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "sunny");
  EXPECT_TRUE(col(6)["mean"].is_null());
  // captured_at: earliest and latest instants.
  EXPECT_EQ(col(2)["min"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "2021-05-30T23:59:59Z");
  EXPECT_EQ(col(2)["max"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "2021-06-02T21:30:05.250000Z");
}

// Expected values computed by DuckDB over examples/frames.csv (read_csv with a header):
// count, count(col), min, max, avg and count(DISTINCT col). The distinct count is an
// estimate, checked to within 3%.
TEST_F(CliTest, StatsOfTheSampleMatchDuckDB) {
  RunResult r =
      Run({"table", "stats", std::string(CAIRN_SOURCE_DIR) + "/examples/frames.csv", "--json",
           "--columns", "tags.speed_kmh,annotation,labeled_at,frame,tags.pedestrians,group"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  auto doc = ParseJson(parser, r.out);
  int64_t rows = 0;
  ASSERT_EQ(doc["rows"].get(rows), simdjson::SUCCESS);
  EXPECT_EQ(rows, 2000);
  simdjson::dom::array columns;
  ASSERT_EQ(doc["columns"].get(columns), simdjson::SUCCESS);
  ASSERT_EQ(columns.size(), 6u);
  struct Expected {
    int64_t nulls;
    int64_t distinct;
  };
  const Expected expected[] = {{36, 1018}, {586, 1414}, {586, 1350}, {0, 2000}, {0, 6}, {0, 10}};
  for (size_t i = 0; i < 6; ++i) {
    int64_t nulls = -1, distinct = -1;
    EXPECT_EQ(columns.at(i)["nulls"].get(nulls), simdjson::SUCCESS);
    EXPECT_EQ(nulls, expected[i].nulls) << i;
    EXPECT_EQ(columns.at(i)["distinct_estimate"].get(distinct), simdjson::SUCCESS);
    EXPECT_NEAR(static_cast<double>(distinct), static_cast<double>(expected[i].distinct),
                0.03 * static_cast<double>(expected[i].distinct))
        << i;
  }
  double d = 0;
  std::string_view s;
  EXPECT_EQ(columns.at(0)["mean"].get(d), simdjson::SUCCESS);
  EXPECT_EQ(d, 65.60071283095718);
  EXPECT_EQ(columns.at(0)["min"].get(d), simdjson::SUCCESS);
  EXPECT_EQ(d, 0.0);
  EXPECT_EQ(columns.at(0)["max"].get(d), simdjson::SUCCESS);
  EXPECT_EQ(d, 129.8);
  EXPECT_EQ(columns.at(1)["min"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "s3://labels/drive000/front/000000.json");
  EXPECT_EQ(columns.at(1)["max"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "s3://labels/drive009/front/000199.json");
  EXPECT_EQ(columns.at(2)["min"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "2021-06-04T06:00:00Z");
  EXPECT_EQ(columns.at(2)["max"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "2021-06-28T03:00:42Z");
  EXPECT_EQ(columns.at(4)["mean"].get(d), simdjson::SUCCESS);
  EXPECT_EQ(d, 0.8175);
}

TEST_F(CliTest, StatsTextHasOneLinePerColumn) {
  RunResult r = Run({"table", "stats", kData + "frames.csv", "--columns", "lane,night"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "column  type   count  nulls  distinct~  min    max   mean\n"
            "------  -----  -----  -----  ---------  -----  ----  ----\n"
            "lane    int64  5      0      3          1      3     1.8\n"
            "night   bool   5      0      2          false  true\n");
}

TEST_F(CliTest, BadValueForForcedTypeFailsNamingLineAndColumn) {
  RunResult r = Run({"table", "stats", kData + "bad_int.csv", "--type", "amount=int64"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "cairn: error: ")) << r.err;
  EXPECT_TRUE(Contains(r.err, "bad_int.csv")) << r.err;
  EXPECT_TRUE(Contains(r.err, "amount")) << r.err;
}

TEST_F(CliTest, UnknownFilterColumnFails) {
  RunResult r = Run({"table", "head", kData + "frames.csv", "--where", "nope = 1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "nope")) << r.err;
}

// ---- convert ----

TEST_F(CliTest, ConvertCsvToParquetToJsonlKeepsEveryValue) {
  const std::string csv = kData + "frames.csv";
  RunResult a = Run({"table", "convert", csv, Tmp("f.parquet"), "--compression", "zstd"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_TRUE(Contains(
      a.out, "converted 5 rows from " + csv + " (csv) to " + Tmp("f.parquet") + " (parquet)"))
      << a.out;
  RunResult b = Run({"table", "convert", Tmp("f.parquet"), Tmp("f.jsonl")});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  RunResult c = Run({"table", "convert", Tmp("f.jsonl"), Tmp("back.csv")});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  // Each hop keeps the same rows, so head prints the same text throughout.
  RunResult h0 = Run({"table", "head", csv});
  ASSERT_EQ(h0.exit_code, 0) << h0.err;
  for (const char* f : {"f.parquet", "f.jsonl", "back.csv"}) {
    RunResult h = Run({"table", "head", Tmp(f)});
    EXPECT_EQ(h.exit_code, 0) << h.err;
    EXPECT_EQ(h.out, h0.out) << f;
  }
  // No temporary files are left next to the outputs.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) files += e.path().filename() != "stderr.txt";
  EXPECT_EQ(files, 3);
}

TEST_F(CliTest, ConvertWritesCsvWithChosenDelimiterAndNullToken) {
  RunResult r =
      Run({"table", "convert", kData + "frames.csv", Tmp("out.tsv"), "--columns", "lane,speed_kmh",
           "--where", "lane != 1", "--out-delimiter", "\\t", "--out-null", "NA"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(Tmp("out.tsv")),
            "lane\tspeed_kmh\n"
            "2\tNA\n"
            "3\t12.25\n"
            "2\t-1.5\n");
}

TEST_F(CliTest, ConvertToStandardOutputNeedsAFormat) {
  EXPECT_EQ(Run({"table", "convert", kData + "frames.csv", "-"}).exit_code, 2);
  RunResult r = Run({"table", "convert", kData + "frames.csv", "-", "--to", "jsonl", "--columns",
                     "key,lane", "--where", "lane = 3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"key\":\"drive2/cam1/000007\",\"lane\":3}\n");
  EXPECT_TRUE(Contains(r.err, "converted 1 rows")) << r.err;
}

TEST_F(CliTest, ConvertJsonSummary) {
  RunResult r = Run({"table", "convert", kData + "frames.csv", Tmp("x.parquet"), "--json",
                     "--row-group-rows", "2", "--no-dictionary", "--page-v2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  auto doc = ParseJson(parser, r.out);
  int64_t rows = 0;
  EXPECT_EQ(doc["rows"].get(rows), simdjson::SUCCESS);
  EXPECT_EQ(rows, 5);
  std::string_view format;
  EXPECT_EQ(doc["output_format"].get(format), simdjson::SUCCESS);
  EXPECT_EQ(format, "parquet");
  // Parquet with several row groups reads back the same rows, and --where skips exactly.
  RunResult h = Run({"table", "head", Tmp("x.parquet"), "--columns", "key", "--where",
                     "captured_at < 2021-06-01T08:00:01Z"});
  ASSERT_EQ(h.exit_code, 0) << h.err;
  EXPECT_EQ(h.out,
            "key\n"
            "------------------\n"
            "drive1/cam0/000001\n"
            "drive3/cam0/000010\n");
}

TEST_F(CliTest, FailedConvertLeavesNoOutput) {
  RunResult r =
      Run({"table", "convert", kData + "bad_int.csv", Tmp("o.parquet"), "--type", "amount=int64"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_FALSE(fs::exists(Tmp("o.parquet")));
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) files += e.path().filename() != "stderr.txt";
  EXPECT_EQ(files, 0);
}

TEST_F(CliTest, JsonlNestedKeysAreFlattenedAndRenested) {
  RunResult s = Run({"table", "schema", kData + "frames.jsonl"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_TRUE(Contains(s.out, "tags.weather")) << s.out;
  RunResult r = Run({"table", "convert", kData + "frames.jsonl", "-", "--to", "jsonl", "--columns",
                     "key,tags.night", "-n", "1"});
  EXPECT_EQ(r.exit_code, 2);  // -n belongs to head, not convert
  RunResult c = Run({"table", "convert", kData + "frames.jsonl", "-", "--to", "jsonl", "--columns",
                     "key,tags.night", "--where", "lane = 1"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out, "{\"key\":\"drive1/cam0/000001\",\"tags\":{\"night\":false}}\n");
  RunResult flat = Run({"table", "convert", kData + "frames.jsonl", "-", "--to", "jsonl",
                        "--columns", "key,tags.night", "--where", "lane = 1", "--flat-json"});
  ASSERT_EQ(flat.exit_code, 0) << flat.err;
  EXPECT_EQ(flat.out, "{\"key\":\"drive1/cam0/000001\",\"tags.night\":false}\n");
}

// ---- eval coco on tests/metrics/coco (expected numbers and text from pycocotools) ----

TEST_F(CliTest, EvalCocoPrintsPycocotoolsSummaryAndJson) {
  const std::string dir = std::string(CAIRN_SOURCE_DIR) + "/tests/metrics/coco/crowd/";
  simdjson::dom::parser parser;
  auto expected = parser.load(dir + "expected.json").value();
  std::string summary{std::string_view(expected["summary"])};
  std::vector<double> stats;
  for (auto v : simdjson::dom::array(expected["stats"])) stats.push_back(double(v));

  RunResult r = Run({"eval", "coco", "--gt", dir + "gt.json", "--dt", dir + "dt.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, summary.size()), summary);
  EXPECT_TRUE(Contains(r.out, "person")) << r.out;

  RunResult j = Run({"eval", "coco", "--gt", dir + "gt.json", "--dt", dir + "dt.json", "--json",
                     "--threads", "2", "--out", Tmp("coco.json")});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(ReadFile(Tmp("coco.json")), j.out);
  simdjson::dom::parser parser2;
  auto doc = ParseJson(parser2, j.out);
  const char* names[] = {"AP",   "AP50",  "AP75",   "AP_small", "AP_medium", "AP_large",
                         "AR_1", "AR_10", "AR_100", "AR_small", "AR_medium", "AR_large"};
  for (size_t i = 0; i < 12; ++i) {
    double v = 0;
    ASSERT_EQ(doc["stats"][names[i]].get(v), simdjson::SUCCESS) << names[i];
    EXPECT_EQ(v, stats[i]) << names[i];
  }
  EXPECT_EQ(simdjson::dom::array(doc["pr_curves"]["iou=0.50"]["car"]).size(), 101u);

  // --arrays: the full precision and recall arrays, equal to pycocotools' cell for cell.
  RunResult a =
      Run({"eval", "coco", "--gt", dir + "gt.json", "--dt", dir + "dt.json", "--json", "--arrays"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  simdjson::dom::parser parser3;
  auto arrays = ParseJson(parser3, a.out);
  for (const char* name : {"precision", "recall"}) {
    std::vector<double> want;
    std::vector<double> got;
    for (auto v : simdjson::dom::array(expected[name])) want.push_back(double(v));
    for (auto v : simdjson::dom::array(arrays[name])) got.push_back(double(v));
    EXPECT_EQ(got, want) << name;
  }
}

TEST_F(CliTest, EvalCocoErrors) {
  const std::string dir = std::string(CAIRN_SOURCE_DIR) + "/tests/metrics/coco/crowd/";
  EXPECT_EQ(Run({"eval", "coco", "--gt", dir + "gt.json"}).exit_code, 2);
  EXPECT_EQ(
      Run({"eval", "coco", "--gt", dir + "gt.json", "--gt-table", "x.csv", "--dt", dir + "dt.json"})
          .exit_code,
      2);
  std::ofstream(Tmp("dt.json"))
      << R"([{"image_id": 9, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}])";
  RunResult r = Run({"eval", "coco", "--gt", dir + "gt.json", "--dt", Tmp("dt.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(
      Contains(r.err, "cairn: error: " + Tmp("dt.json") +
                          ": detections[0]: image_id 9 is not an image of the ground truth"))
      << r.err;
}

}  // namespace
