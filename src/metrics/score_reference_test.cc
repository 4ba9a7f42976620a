// Checks the score-based classification metrics and the regression metrics against
// scikit-learn: tests/metrics/score_reference.json holds cases (rows, requested metrics) and
// the expected values for the whole input, each slice of column a and each slice of (a, b),
// written by tests/metrics/make_score_reference.py.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "metrics/evaluation.h"
#include "metrics/metric.h"
#include "metrics/test_util.h"

namespace cairn::metrics {
namespace {

namespace dom = simdjson::dom;

struct ScoreCase {
  std::string name;
  Task task = Task::kMulticlass;
  table::Table rows;
  std::vector<std::string> classes;
  std::vector<std::string> score_columns;
  std::vector<std::string> label_columns;  // multilabel
  std::vector<std::string> prediction_columns;
  std::vector<std::string> metrics;
  dom::element expected;
};

std::string Str(dom::element e) { return std::string(std::string_view(e.get_string())); }

std::vector<ScoreCase> LoadCases(dom::parser* parser) {
  dom::element doc = parser->load(CAIRN_SCORE_REFERENCE).value();
  std::vector<ScoreCase> cases;
  for (dom::element c : dom::array(doc["cases"])) {
    ScoreCase sc;
    sc.name = Str(c["name"]);
    sc.task = ParseTask(Str(c["task"])).value();
    std::vector<table::Field> fields;
    std::vector<table::Column> columns;
    if (sc.task == Task::kMultilabel) {
      // One 0/1 column per class for labels and predictions, one score column per class.
      for (const char* role : {"label", "pred"}) {
        int k = 0;
        for (dom::element list : dom::array(c[role])) {
          table::Column col(table::DataType::Int64());
          for (dom::element v : dom::array(list)) col.AppendInt(v.get_int64());
          std::string name = std::string(role) + "_" + std::to_string(k++);
          (std::string(role) == "label" ? sc.label_columns : sc.prediction_columns).push_back(name);
          fields.push_back({name, table::DataType::Int64(), false});
          columns.push_back(std::move(col));
        }
      }
    } else {
      dom::array labels = c["label"];
      table::DataType label_type = sc.task == Task::kRegression ? table::DataType::Float64()
                                   : sc.task == Task::kBinary   ? table::DataType::Int64()
                                                                : table::DataType::String();
      table::Column label(label_type);
      for (dom::element v : labels) {
        if (sc.task == Task::kRegression) {
          label.AppendDouble(v.get_double());
        } else if (sc.task == Task::kBinary) {
          label.AppendInt(v.get_int64());
        } else {
          label.AppendString(v.get_string());
        }
      }
      fields.push_back({"label", label_type, false});
      columns.push_back(std::move(label));
    }
    if (sc.task == Task::kRegression) {
      table::Column pred(table::DataType::Float64());
      for (dom::element v : dom::array(c["pred"])) pred.AppendDouble(v.get_double());
      fields.push_back({"pred", table::DataType::Float64(), false});
      columns.push_back(std::move(pred));
    } else {
      int k = 0;
      for (dom::element list : dom::array(c["score"])) {
        table::Column score(table::DataType::Float64());
        for (dom::element v : dom::array(list)) score.AppendDouble(v.get_double());
        std::string name = "s" + std::to_string(k++);
        sc.score_columns.push_back(name);
        fields.push_back({name, table::DataType::Float64(), false});
        columns.push_back(std::move(score));
      }
    }
    for (const char* slice : {"a", "b"}) {
      table::Column col(table::DataType::String());
      for (dom::element v : dom::array(c[slice])) col.AppendString(v.get_string());
      fields.push_back({slice, table::DataType::String(), false});
      columns.push_back(std::move(col));
    }
    sc.rows = std::move(table::Table::Make(table::Schema(fields), columns)).value();
    for (dom::element v : dom::array(c["classes"])) sc.classes.push_back(Str(v));
    for (dom::element v : dom::array(c["metrics"])) sc.metrics.push_back(Str(v));
    sc.expected = c["expected"];
    cases.push_back(std::move(sc));
  }
  return cases;
}

Evaluation NewEvaluation(const ScoreCase& sc, int threads = 1) {
  Plan plan = std::move(MakePlan(BuiltinMetrics(), sc.metrics)).value();
  EvaluationOptions options;
  options.task = sc.task;
  options.label_column = "label";
  if (sc.task == Task::kRegression) options.prediction_column = "pred";
  options.score_columns = sc.score_columns;
  options.label_columns = sc.label_columns;
  options.prediction_columns = sc.prediction_columns;
  options.classes = sc.classes;
  options.slicings = {{"a"}, {"a", "b"}};
  options.threads = threads;
  auto eval = Evaluation::Make(options, std::move(plan));
  EXPECT_TRUE(eval.ok()) << eval.status().ToString();
  return std::move(eval).value();
}

void ExpectNear(double got, double want, const std::string& what) {
  double tolerance = 1e-12 * std::max(1.0, std::fabs(want));
  EXPECT_NEAR(got, want, tolerance) << what;
}

void ExpectMatches(const std::string& where, const MetricOutputs& outputs, dom::object expected,
                   int64_t rows) {
  std::map<std::string, const MetricValue*> by_key;
  for (const auto& [key, value] : outputs) by_key[key] = &value;
  size_t expected_count = 0;
  for (dom::key_value_pair kv : expected) {
    std::string key(kv.key);
    if (key == "rows") {
      EXPECT_EQ(rows, int64_t(kv.value.get_int64())) << where;
      continue;
    }
    ++expected_count;
    std::string trace = where;
    trace += " ";
    trace += key;
    SCOPED_TRACE(trace);
    auto it = by_key.find(key);
    ASSERT_NE(it, by_key.end()) << "missing output";
    const MetricValue& got = *it->second;
    dom::element want = kv.value;
    if (want.is_null()) {
      EXPECT_EQ(got.kind, MetricValue::Kind::kNull);
      EXPECT_FALSE(got.reason.empty());
    } else if (want.is_object()) {
      ASSERT_EQ(got.kind, MetricValue::Kind::kCurve);
      for (const CurveSeries& series : got.curve) {
        dom::array values;
        ASSERT_EQ(want[series.name].get(values), simdjson::SUCCESS) << series.name;
        ASSERT_EQ(values.size(), series.values.size()) << series.name;
        size_t i = 0;
        for (dom::element v : values) {
          std::string what = series.name + "[" + std::to_string(i) + "]";
          if (v.is_null()) {
            EXPECT_TRUE(std::isnan(series.values[i])) << what;
          } else {
            ExpectNear(series.values[i], double(v.get_double()), what);
          }
          ++i;
        }
      }
    } else {
      if (want.is_int64()) {
        ASSERT_EQ(got.kind, MetricValue::Kind::kCount);
        EXPECT_EQ(got.count, int64_t(want.get_int64()));
        continue;
      }
      ASSERT_EQ(got.kind, MetricValue::Kind::kNumber) << got.reason;
      ExpectNear(got.number, double(want.get_double()), key);
    }
  }
  EXPECT_EQ(outputs.size(), expected_count) << where << ": outputs the reference lacks";
}

void ExpectMatchesReference(const ScoreCase& sc, const EvaluationResult& r) {
  ExpectMatches(sc.name + " overall", r.overall, sc.expected["overall"], r.rows);
  ASSERT_EQ(r.slicings.size(), 2u);
  for (const EvaluationResult::Slicing& slicing : r.slicings) {
    dom::object want = sc.expected["slices"][slicing.Name()];
    ASSERT_EQ(slicing.slices.size(), want.size()) << slicing.Name();
    for (const EvaluationResult::Slice& s : slicing.slices) {
      dom::element w;
      ASSERT_EQ(want[s.Key()].get(w), simdjson::SUCCESS) << "unexpected slice " << s.Key();
      ExpectMatches(sc.name + " " + slicing.Name() + "=" + s.Key(), s.outputs, w, s.rows);
    }
  }
}

TEST(ScoreReferenceTest, MatchesScikitLearn) {
  dom::parser parser;
  std::vector<ScoreCase> cases = LoadCases(&parser);
  ASSERT_EQ(cases.size(), 4u);
  for (const ScoreCase& sc : cases) {
    Evaluation eval = NewEvaluation(sc);
    ASSERT_TRUE(eval.Add(sc.rows).ok());
    auto r = eval.Finish();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectMatchesReference(sc, *r);
  }
}

// Shards fed in small batches and merged in a tree, and any number of threads, finish to the
// one-pass result bit for bit (the sums are exact, the rankings order-independent).
TEST(ScoreReferenceTest, ShardsAndThreadsGiveBitIdenticalResults) {
  dom::parser parser;
  for (const ScoreCase& sc : LoadCases(&parser)) {
    Evaluation one_pass = NewEvaluation(sc);
    ASSERT_TRUE(one_pass.Add(sc.rows).ok());
    std::string expected = EvaluationResultToJson(one_pass.Finish().value());
    for (int num_shards : {2, 3, 7}) {
      std::vector<Evaluation> shards;
      shards.reserve(static_cast<size_t>(num_shards));
      for (int s = 0; s < num_shards; ++s) shards.push_back(NewEvaluation(sc, 1 + s % 3));
      int64_t n = sc.rows.num_rows();
      int64_t batch = 13;
      for (int64_t start = 0, k = 0; start < n; start += batch, ++k) {
        table::Table part = sc.rows.Slice(start, std::min(batch, n - start));
        ASSERT_TRUE(shards[static_cast<size_t>((k * 5) % num_shards)].Add(part).ok());
      }
      // Shards travel as serialized states, as between processes.
      for (Evaluation& shard : shards) {
        auto restored =
            Evaluation::DeserializeState(shard.SerializeState(), BuiltinMetrics(), "shard");
        ASSERT_TRUE(restored.ok()) << restored.status().ToString();
        shard = std::move(*restored);
      }
      ASSERT_TRUE(MergeTree(&shards).ok());
      EXPECT_EQ(EvaluationResultToJson(shards.front().Finish().value()), expected)
          << sc.name << " shards=" << num_shards;
    }
  }
}

TEST(ScoreReferenceTest, DamagedStatesAreRejected) {
  dom::parser parser;
  std::vector<ScoreCase> cases = LoadCases(&parser);
  Evaluation eval = NewEvaluation(cases[1]);
  ASSERT_TRUE(eval.Add(cases[1].rows).ok());
  std::string state = eval.SerializeState();
  auto bad = Evaluation::DeserializeState("not a state", BuiltinMetrics(), "x.state");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("x.state: not a cairn evaluation state"),
            std::string::npos);
  for (size_t cut : {state.size() / 2, state.size() - 1}) {
    auto truncated =
        Evaluation::DeserializeState(state.substr(0, cut), BuiltinMetrics(), "x.state");
    EXPECT_FALSE(truncated.ok()) << cut;
  }
  std::string flipped = state;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x55);
  EXPECT_FALSE(Evaluation::DeserializeState(flipped, BuiltinMetrics(), "x.state").ok());
  // A state of different options does not merge.
  ScoreCase other = cases[1];
  other.metrics = {"accuracy"};
  Evaluation different = NewEvaluation(other);
  Status s = eval.Merge(different);
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace cairn::metrics
