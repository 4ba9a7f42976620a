// End-to-end tests of `cairn eval report` and `cairn eval compare`: results written by hand,
// the binary run on them, its files checked (HTML by Python's html.parser when python3 is
// installed), exit codes and error messages on bad input.

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

namespace fs = std::filesystem;
using cairn::test::CliTest;
using cairn::test::Contains;
using cairn::test::Quote;
using cairn::test::ReadFile;
using cairn::test::RunResult;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// A baseline and a candidate, written by hand. Candidate against baseline: accuracy 0.8 ->
// 0.85 (improved), f1_macro 0.7 -> 0.65 (regressed by 0.05), weather=rain accuracy 0.6 ->
// 0.59 (regressed by 0.01), weather=sun unchanged, a class name that is markup.
constexpr char kBaseline[] =
    R"({"cairn_version":"0.1.0","task":"multiclass",)"
    R"("inputs":[{"path":"val.parquet","bytes":4096,"xxh3":"0123456789abcdef0123456789abcdef"}],)"
    R"("classes":["car","<script>alert(1)</script>"],"rows":10,)"
    R"("overall":{"accuracy":0.8,"f1_macro":0.7,"support[car]":6,)"
    R"("confusion_matrix":[[5,1],[1,3]],"cohen_kappa":null,)"
    R"("null_reasons":{"cohen_kappa":"undefined: one class"}},)"
    R"("slices":{"weather":{"rain":{"rows":5,"accuracy":0.6},"sun":{"rows":5,"accuracy":1}}}})";

constexpr char kCandidate[] =
    R"({"cairn_version":"0.1.0","task":"multiclass","inputs":[],)"
    R"("classes":["car","<script>alert(1)</script>"],"rows":10,)"
    R"("overall":{"accuracy":0.85,"f1_macro":0.65,"support[car]":6,)"
    R"("confusion_matrix":[[6,0],[1,3]],"cohen_kappa":null,)"
    R"("null_reasons":{"cohen_kappa":"undefined: one class"}},)"
    R"("slices":{"weather":{"rain":{"rows":5,"accuracy":0.59},"sun":{"rows":5,"accuracy":1}}}})";

// Python: parse the file with html.parser and check that every element is closed in order.
constexpr char kHtmlCheck[] = R"(
import sys
from html.parser import HTMLParser
VOID = {'meta', 'br', 'hr', 'img', 'input', 'link', 'col', 'wbr', 'area', 'base', 'source'}
class Check(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        pass
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            raise SystemExit('</%s> closes %s at %s' % (tag, self.stack[-1:] or 'nothing', self.getpos()))
        self.stack.pop()
c = Check()
c.feed(open(sys.argv[1], encoding='utf-8').read())
c.close()
if c.stack:
    raise SystemExit('unclosed: %s' % c.stack)
print('ok')
)";

class EvalOutputTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    WriteFile(Tmp("base.json"), kBaseline);
    WriteFile(Tmp("cand.json"), kCandidate);
  }

  // "ok", or what Python's html.parser found wrong; skips the test without python3.
  std::string CheckHtml(const std::string& path) {
    std::string python = CAIRN_PYTHON3;
    if (python.empty()) return "ok";
    WriteFile(Tmp("check_html.py"), kHtmlCheck);
    RunResult r = Shell(Quote(python) + " " + Quote(Tmp("check_html.py")) + " " + Quote(path));
    return r.exit_code == 0 ? "ok" : r.err + r.out;
  }
};

TEST_F(EvalOutputTest, ReportWritesAWellFormedPageAndALongTable) {
  RunResult r = Run({"eval", "report", Tmp("base.json"), "--html", Tmp("report.html"), "--table",
                     Tmp("long.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote " + Tmp("report.html") + "\nwrote " + Tmp("long.csv") + " (10 rows)\n");
  std::string html = ReadFile(Tmp("report.html"));
  EXPECT_EQ(CheckHtml(Tmp("report.html")), "ok");
  std::string lower = html;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_FALSE(Contains(lower, "http"));
  EXPECT_FALSE(Contains(html, "<script>alert"));
  EXPECT_TRUE(Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_TRUE(Contains(html, "val.parquet"));
  EXPECT_TRUE(Contains(html, "0123456789abcdef0123456789abcdef"));
  EXPECT_TRUE(Contains(html, "title=\"undefined: one class\">null<"));

  // 10 rows: accuracy, f1_macro, support, 4 matrix cells, kappa (null); then rain and sun.
  // Empty strings are quoted in CSV, nulls are empty cells, floats keep a point.
  std::string csv = ReadFile(Tmp("long.csv"));
  EXPECT_TRUE(Contains(csv, "slicing,slice,rows,metric,value,reason\n")) << csv;
  EXPECT_TRUE(Contains(csv, "\"\",\"\",10,accuracy,0.8,\n")) << csv;
  EXPECT_TRUE(Contains(csv, "\"\",\"\",10,\"confusion_matrix[car,car]\",5.0,\n")) << csv;
  EXPECT_TRUE(Contains(csv, "\"\",\"\",10,cohen_kappa,,undefined: one class\n")) << csv;
  EXPECT_TRUE(Contains(csv, "weather,rain,5,accuracy,0.6,\n")) << csv;
  EXPECT_TRUE(Contains(csv, "weather,sun,5,accuracy,1.0,\n")) << csv;

  RunResult json =
      Run({"eval", "report", Tmp("base.json"), "--table", Tmp("long.parquet"), "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json.out).get(doc), simdjson::SUCCESS) << json.out;
  EXPECT_EQ(int64_t(doc["table_rows"]), 10);
  EXPECT_TRUE(fs::exists(Tmp("long.parquet")));
}

TEST_F(EvalOutputTest, ReportOfAnEvalRunResult) {
  WriteFile(Tmp("preds.csv"), "label,pred,w\na,a,x\na,b,x\nb,b,y\nb,b,y\n");
  RunResult run =
      Run({"eval", "run", "--input", Tmp("preds.csv"), "--label", "label", "--pred", "pred",
           "--metrics", "accuracy,recall,confusion_matrix", "--by", "w", "--out", Tmp("res.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  RunResult r = Run(
      {"eval", "report", Tmp("res.json"), "--html", Tmp("r.html"), "--table", Tmp("long.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CheckHtml(Tmp("r.html")), "ok");
  // accuracy 3/4 overall, recall[a] 1/2 and recall[b] 1 (hand count).
  std::string jsonl = ReadFile(Tmp("long.jsonl"));
  EXPECT_TRUE(Contains(jsonl, R"("metric":"accuracy","value":0.75)")) << jsonl;
  EXPECT_TRUE(Contains(jsonl, R"("metric":"recall[a]","value":0.5)")) << jsonl;
  EXPECT_TRUE(Contains(jsonl, R"("metric":"confusion_matrix[a,b]","value":1.0)")) << jsonl;
}

TEST_F(EvalOutputTest, MalformedResultsNameTheFileAndThePlace) {
  WriteFile(Tmp("bad.json"),
            "{\"cairn_version\": \"0.1.0\", \"task\": \"binary\",\n"
            "  \"classes\": [\"a\",, \"b\"]}\n");
  RunResult r = Run({"eval", "report", Tmp("bad.json"), "--html", Tmp("x.html")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("cairn: error: " + Tmp("bad.json") + ":2:", 0), 0u) << r.err;
  EXPECT_TRUE(Contains(r.err, "invalid JSON at $.classes[1]")) << r.err;
  EXPECT_FALSE(fs::exists(Tmp("x.html")));

  WriteFile(Tmp("type.json"), R"({"cairn_version":"0.1.0","task":"binary","inputs":[],)"
                              R"("classes":[],"rows":"ten","overall":{},"slices":{}})");
  RunResult type = Run({"eval", "compare", Tmp("base.json"), Tmp("type.json")});
  EXPECT_EQ(type.exit_code, 1);
  EXPECT_EQ(type.err, "cairn: error: " + Tmp("type.json") +
                          ": $.rows: expected a non-negative integer, got a string\n");

  RunResult missing = Run({"eval", "report", Tmp("nope.json"), "--html", Tmp("x.html")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(Contains(missing.err, Tmp("nope.json"))) << missing.err;
}

TEST_F(EvalOutputTest, UsageErrors) {
  EXPECT_EQ(Run({"eval", "report", Tmp("base.json")}).exit_code, 2);
  EXPECT_EQ(Run({"eval", "compare", Tmp("base.json")}).exit_code, 2);
  RunResult tol = Run({"eval", "compare", Tmp("base.json"), Tmp("cand.json"), "--tolerance", "x"});
  EXPECT_EQ(tol.exit_code, 2);
  EXPECT_TRUE(Contains(tol.err, "--tolerance: expected a number >= 0, got 'x'")) << tol.err;
  RunResult gate = Run({"eval", "compare", Tmp("base.json"), Tmp("cand.json"), "--gate", "f1 > 1"});
  EXPECT_EQ(gate.exit_code, 2);
  EXPECT_TRUE(Contains(gate.err, "gate rule 'f1 > 1'")) << gate.err;
  RunResult help = Run({"eval", "compare", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(Contains(help.out, "usage: cairn eval compare BASELINE.json CANDIDATE.json"));
}

TEST_F(EvalOutputTest, CompareListsRegressionsFirst) {
  RunResult r = Run({"eval", "compare", Tmp("base.json"), Tmp("cand.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "2 regressions (2 regressed, 1 improved, 3 unchanged; tolerance 0)"))
      << r.out;
  size_t f1 = r.out.find("overall       f1_macro");
  size_t rain = r.out.find("weather=rain  accuracy");
  size_t acc = r.out.find("overall       accuracy");
  ASSERT_NE(f1, std::string::npos) << r.out;
  ASSERT_NE(rain, std::string::npos) << r.out;
  ASSERT_NE(acc, std::string::npos) << r.out;
  EXPECT_LT(f1, rain);
  EXPECT_LT(rain, acc);
  EXPECT_TRUE(Contains(r.out.substr(f1, r.out.find('\n', f1) - f1), "-0.05  ")) << r.out;
  EXPECT_FALSE(Contains(r.out, "sun")) << r.out;  // unchanged

  EXPECT_EQ(Run({"eval", "compare", Tmp("base.json"), Tmp("cand.json"), "--fail-on-regression"})
                .exit_code,
            1);
  // A tolerance of 0.05 forgives both drops (0.05 and 0.01).
  RunResult tolerant = Run({"eval", "compare", Tmp("base.json"), Tmp("cand.json"), "--tolerance",
                            "0.05", "--fail-on-regression"});
  EXPECT_EQ(tolerant.exit_code, 0) << tolerant.out;
  EXPECT_TRUE(Contains(tolerant.out, "0 regressions (2 within tolerance")) << tolerant.out;
}

TEST_F(EvalOutputTest, CompareJsonHtmlAndGates) {
  RunResult r = Run({"eval", "compare", Tmp("base.json"), Tmp("cand.json"), "--json", "--html",
                     Tmp("cmp.html"), "--gate", "accuracy >= 0.85", "--gate",
                     "max_drop accuracy 0.005 by weather"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the second rule fails on rain (drop 0.01)
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(r.out).get(doc), simdjson::SUCCESS) << r.out;
  EXPECT_EQ(int64_t(doc["regressions"]), 2);
  EXPECT_FALSE(bool(doc["gate"]["passed"]));
  simdjson::dom::array rules = doc["gate"]["rules"];
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_TRUE(bool(rules.at(0)["passed"]));
  EXPECT_FALSE(bool(rules.at(1)["passed"]));
  simdjson::dom::element rain = rules.at(1)["checks"].at(0);
  EXPECT_EQ(std::string_view(rain["slice"]), "rain");
  EXPECT_EQ(double(rain["baseline"]), 0.6);
  EXPECT_EQ(double(rain["candidate"]), 0.59);
  bool found = false;
  for (simdjson::dom::element m : simdjson::dom::array(doc["metrics"])) {
    if (std::string_view(m["metric"]) == "f1_macro") {
      found = true;
      EXPECT_EQ(std::string_view(m["verdict"]), "regressed");
      EXPECT_EQ(double(m["baseline"]), 0.7);
      EXPECT_EQ(double(m["candidate"]), 0.65);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(CheckHtml(Tmp("cmp.html")), "ok");
  std::string html = ReadFile(Tmp("cmp.html"));
  EXPECT_TRUE(Contains(html, "gate failed"));
  EXPECT_FALSE(Contains(html, "<script>alert"));

  RunResult pass = Run({"eval", "compare", Tmp("base.json"), Tmp("cand.json"), "--gate",
                        "max_drop accuracy 0.01 by weather"});
  EXPECT_EQ(pass.exit_code, 0) << pass.out;
  EXPECT_TRUE(Contains(pass.out, "gate passed")) << pass.out;
}

TEST_F(EvalOutputTest, DifferentClassListsAreNotCompared) {
  std::string other = kCandidate;
  other.replace(other.find("\"car\""), 5, "\"bus\"");
  WriteFile(Tmp("other.json"), other);
  RunResult r = Run({"eval", "compare", Tmp("base.json"), Tmp("other.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "cannot compare evaluations of different class lists")) << r.err;
}

}  // namespace
