// End-to-end tests of `cairn eval`: values checked by hand on a small file, shards merged
// through saved states equal one pass, and bad input gives clear errors.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "e2e_util.h"

namespace {

using cairn::test::CliTest;
using cairn::test::Contains;
using cairn::test::ParseJson;
using cairn::test::ReadFile;
using cairn::test::RunResult;

const std::string kEval = std::string(CAIRN_TEST_DATA_DIR) + "/eval/";

double Number(simdjson::dom::element e) { return double(e); }

// small.csv: labels a a b b a, predictions a b b a a, p_b .1 .6 .8 .3 .4, w x x y y y.
TEST_F(CliTest, EvalRunComputesHandCheckedValues) {
  RunResult r =
      Run({"eval", "run", "--input", kEval + "small.csv", "--label", "label", "--pred", "pred",
           "--scores", "p_{class}", "--metrics", "accuracy,roc_auc[b],log_loss,confusion_matrix",
           "--by", "w", "--by", "w,t", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = ParseJson(parser, r.out);
  EXPECT_EQ(std::string_view(doc["task"]), "multiclass");
  EXPECT_EQ(int64_t(doc["rows"]), 5);
  EXPECT_DOUBLE_EQ(Number(doc["overall"]["accuracy"]), 0.6);
  // Positives b score .8 and .3; negatives .1 .6 .4: 4 of 6 pairs ranked right.
  EXPECT_DOUBLE_EQ(Number(doc["overall"]["roc_auc[b]"]), 4.0 / 6.0);
  // -(ln .9 + ln .4 + ln .8 + ln .3 + ln .6) / 5
  EXPECT_NEAR(Number(doc["overall"]["log_loss"]), 0.5919186453876236, 1e-15);
  EXPECT_EQ(simdjson::to_string(doc["overall"]["confusion_matrix"]), "[[2,1],[1,1]]");
  EXPECT_DOUBLE_EQ(Number(doc["slices"]["w"]["x"]["accuracy"]), 0.5);
  EXPECT_NEAR(Number(doc["slices"]["w"]["y"]["accuracy"]), 2.0 / 3.0, 1e-15);
  EXPECT_EQ(int64_t(doc["slices"]["w"]["y"]["rows"]), 3);
  // Slice x has no row labelled b: ROC AUC of b is null with a reason.
  EXPECT_TRUE(doc["slices"]["w"]["x"]["roc_auc[b]"].is_null());
  EXPECT_TRUE(
      Contains(std::string(std::string_view(doc["slices"]["w"]["x"]["null_reasons"]["roc_auc[b]"])),
               "no rows labelled 'b'"));
  EXPECT_DOUBLE_EQ(Number(doc["slices"]["w,t"]["y|day"]["accuracy"]), 0.5);
  EXPECT_EQ(int64_t(doc["slices"]["w,t"]["x|night"]["rows"]), 1);
  // The input is described by size and hash.
  EXPECT_EQ(int64_t(doc["inputs"].at(0)["bytes"]), int64_t(ReadFile(kEval + "small.csv").size()));
  EXPECT_EQ(std::string_view(doc["inputs"].at(0)["xxh3"]).size(), 32u);
}

TEST_F(CliTest, EvalRunBinaryUsesThePositiveClassScore) {
  RunResult r = Run({"eval", "run", "--input", kEval + "small.csv", "--task", "binary",
                     "--positive", "b", "--classes", "a,b", "--label", "label", "--scores", "p_b",
                     "--metrics", "roc_auc,accuracy,brier", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = ParseJson(parser, r.out);
  EXPECT_DOUBLE_EQ(Number(doc["overall"]["roc_auc"]), 4.0 / 6.0);
  // Without --pred the prediction is b where p_b > 0.5: a b b a a, three of five right.
  EXPECT_DOUBLE_EQ(Number(doc["overall"]["accuracy"]), 0.6);
  // mean of (y - p_b)^2: .01 .36 .04 .49 .16
  EXPECT_NEAR(Number(doc["overall"]["brier"]), (0.01 + 0.36 + 0.04 + 0.49 + 0.16) / 5, 1e-15);
}

TEST_F(CliTest, EvalShardsMergedThroughStatesEqualOnePass) {
  // 150,000 rows: three blocks of 65,536 rows, so every shard of three gets rows.
  std::string input = Tmp("big.csv");
  {
    std::ofstream out(input);
    out << "label,pred,score,g\n";
    uint64_t x = 12345;
    for (int i = 0; i < 150000; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      int label = static_cast<int>((x >> 33) % 3);
      int pred = static_cast<int>((x >> 40) % 4 == 0 ? (label + 1) % 3 : label);
      out << label << ',' << pred << ',' << static_cast<double>((x >> 20) % 1000) / 1000.0 << ','
          << "g" << (x >> 50) % 5 << '\n';
    }
  }
  std::vector<std::string> common = {
      "eval",  "run",    "--input", input,       "--label",
      "label", "--pred", "pred",    "--metrics", "accuracy,f1_macro,mcc,cohen_kappa",
      "--by",  "g"};
  for (int i = 1; i <= 3; ++i) {
    std::vector<std::string> args = common;
    args.insert(args.end(), {"--shard", std::to_string(i) + "/3", "--state-out",
                             Tmp("part" + std::to_string(i) + ".state")});
    RunResult r = Run(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  RunResult merged = Run({"eval", "merge", Tmp("part3.state"), Tmp("part1.state"),
                          Tmp("part2.state"), "--out", Tmp("merged.json")});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  std::vector<std::string> args = common;
  args.insert(args.end(), {"--out", Tmp("one.json"), "--threads", "3"});
  RunResult one = Run(args);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  simdjson::dom::parser p1;
  simdjson::dom::parser p2;
  simdjson::dom::element a = ParseJson(p1, ReadFile(Tmp("merged.json")));
  simdjson::dom::element b = ParseJson(p2, ReadFile(Tmp("one.json")));
  EXPECT_EQ(int64_t(a["rows"]), 150000);
  EXPECT_EQ(simdjson::to_string(a["overall"]), simdjson::to_string(b["overall"]));
  EXPECT_EQ(simdjson::to_string(a["slices"]), simdjson::to_string(b["slices"]));
}

TEST_F(CliTest, EvalBadInputGivesClearErrors) {
  RunResult unknown = Run({"eval", "run", "--input", kEval + "small.csv", "--label", "label",
                           "--pred", "pred", "--metrics", "accuracy,f2_score"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(Contains(unknown.err, "unknown metric 'f2_score'")) << unknown.err;

  RunResult missing = Run({"eval", "run", "--input", kEval + "small.csv", "--label", "truth",
                           "--pred", "pred", "--metrics", "accuracy"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(Contains(missing.err, "small.csv: no label column 'truth'")) << missing.err;

  RunResult nan = Run({"eval", "run", "--input", kEval + "nan_score.csv", "--label", "label",
                       "--pred", "pred", "--scores", "p_{class}", "--metrics", "log_loss"});
  EXPECT_EQ(nan.exit_code, 1);
  EXPECT_TRUE(Contains(nan.err, "nan_score.csv: row 2: score column 'p_a'")) << nan.err;

  RunResult no_classes = Run({"eval", "run", "--input", kEval + "small.csv", "--label", "label",
                              "--pred", "pred", "--scores", "p_a,p_b", "--metrics", "roc_auc"});
  EXPECT_EQ(no_classes.exit_code, 2);
  EXPECT_TRUE(Contains(no_classes.err, "class list")) << no_classes.err;

  RunResult regression = Run({"eval", "run", "--input", kEval + "small.csv", "--label", "label",
                              "--pred", "pred", "--metrics", "mae"});
  EXPECT_EQ(regression.exit_code, 2);
  EXPECT_TRUE(Contains(regression.err, "mae are regression metrics")) << regression.err;

  std::ofstream(Tmp("junk.state")) << "junk";
  RunResult junk = Run({"eval", "merge", Tmp("junk.state")});
  EXPECT_EQ(junk.exit_code, 1);
  EXPECT_TRUE(Contains(junk.err, "junk.state: not a cairn evaluation state")) << junk.err;
}

TEST_F(CliTest, EvalRunReadsASpecFile) {
  RunResult r = Run({"eval", "run", "--spec", kEval + "spec.yaml", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = ParseJson(parser, r.out);
  simdjson::dom::element o = doc["overall"];
  EXPECT_DOUBLE_EQ(Number(o["accuracy"]), 0.6);
  EXPECT_DOUBLE_EQ(Number(o["roc_auc[b]"]), 4.0 / 6.0);
  // Predicted a: rows 1, 4, 5 (2 right); predicted b: rows 2, 3 (1 right).
  EXPECT_NEAR(Number(o["gap"]), 2.0 / 3.0 - 0.5, 1e-15);
  EXPECT_NEAR(Number(o["twice"]), 2 * (2.0 / 3.0 - 0.5), 1e-15);
  EXPECT_EQ(o.get_object().size(), 4u);  // what the formulas read is not output
  EXPECT_EQ(int64_t(doc["slices"]["w,t"]["y|day"]["rows"]), 2);
  // Flags override the spec.
  RunResult only =
      Run({"eval", "run", "--spec", kEval + "spec.yaml", "--metrics", "accuracy", "--json"});
  ASSERT_EQ(only.exit_code, 0) << only.err;
  simdjson::dom::parser p2;
  EXPECT_TRUE(ParseJson(p2, only.out)["overall"]["roc_auc[b]"].error() != simdjson::SUCCESS);

  RunResult bad =
      Run({"eval", "run", "--spec", kEval + "bad_metric.yaml", "--input", kEval + "small.csv"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(Contains(bad.err, "bad_metric.yaml:6: 'metrics[1]': unknown metric 'f2_score'"))
      << bad.err;
  RunResult cycle =
      Run({"eval", "run", "--spec", kEval + "cycle.yaml", "--input", kEval + "small.csv"});
  EXPECT_EQ(cycle.exit_code, 1);
  EXPECT_TRUE(Contains(cycle.err, "cycle.yaml:4: 'formulas.a': formula 'a' -> 'b' -> 'a'"))
      << cycle.err;
}

// The example plugin, compiled here against the one public header only, adds metrics that
// read the shared confusion matrix and rankings.
TEST_F(CliTest, EvalLoadsMetricPlugins) {
  std::string lib = Tmp("libspecificity.so");
  std::string compile = "g++ -std=c++17 -O1 -shared -fPIC -I" CAIRN_SOURCE_DIR "/include " +
                        std::string(CAIRN_SOURCE_DIR) +
                        "/examples/metric_plugin/specificity.cc -o " + lib;
  ASSERT_EQ(std::system(compile.c_str()), 0) << compile;
  RunResult r = Run({"eval", "run", "--input", kEval + "small.csv", "--label", "label", "--pred",
                     "pred", "--scores", "p_{class}", "--plugin", lib, "--metrics",
                     "specificity,specificity_macro,fpr_at_recall(recall=0.5)[b],"
                     "fpr_at_recall(recall=1)[b],accuracy",
                     "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element o = ParseJson(parser, r.out)["overall"];
  // Confusion [[2,1],[1,1]]: for b, 3 rows labelled a of which 1 predicted b; for a, 2 and 1.
  EXPECT_DOUBLE_EQ(Number(o["specificity[a]"]), 0.5);
  EXPECT_DOUBLE_EQ(Number(o["specificity[b]"]), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(Number(o["specificity_macro"]), (0.5 + 2.0 / 3.0) / 2);
  // Ranked by p_b: .8 (b) .6 .4 (a) .3 (b): recall .5 needs no false positive, recall 1 needs
  // 2 of 3 (the level 0.67 is the first at or above 2/3).
  EXPECT_DOUBLE_EQ(Number(o["fpr_at_recall(recall=0.5)[b]"]), 0.0);
  EXPECT_DOUBLE_EQ(Number(o["fpr_at_recall(recall=1)[b]"]), 0.67);
  EXPECT_DOUBLE_EQ(Number(o["accuracy"]), 0.6);

  RunResult listed = Run({"eval", "metrics", "--plugin", lib});
  EXPECT_EQ(listed.exit_code, 0);
  EXPECT_TRUE(Contains(listed.out, "specificity_macro")) << listed.out;

  RunResult missing = Run({"eval", "metrics", "--plugin", Tmp("nope.so")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(Contains(missing.err, "nope.so: cannot load")) << missing.err;
  RunResult twice = Run({"eval", "metrics", "--plugin", lib, "--plugin", lib});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_TRUE(Contains(twice.err, "already registered")) << twice.err;
}

}  // namespace
