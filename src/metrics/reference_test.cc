// Checks the classification metrics against scikit-learn: tests/metrics/reference.json holds
// cases (rows, requested metrics) and the values scikit-learn computes for the whole input
// and each slice (written by tests/metrics/make_reference.py).

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

constexpr double kTolerance = 1e-12;

struct ReferenceCase {
  std::string name;
  bool int_classes = false;
  table::Table rows;  // label, pred, slice
  std::vector<std::string> classes;
  std::vector<std::string> given_classes;
  std::vector<std::string> metrics;
  dom::element expected;
};

std::string Str(dom::element e) { return std::string(std::string_view(e.get_string())); }

std::vector<ReferenceCase> LoadCases(dom::parser* parser) {
  dom::element doc = parser->load(CAIRN_METRICS_REFERENCE).value();
  std::vector<ReferenceCase> cases;
  for (dom::element c : dom::array(doc["cases"])) {
    ReferenceCase rc;
    rc.name = Str(c["name"]);
    dom::array labels = c["label"];
    dom::array preds = c["pred"];
    dom::array slices = c["slice"];
    rc.int_classes = labels.at(0).is_int64();
    table::DataType type = rc.int_classes ? table::DataType::Int64() : table::DataType::String();
    table::Column label(type);
    table::Column pred(type);
    table::Column slice(table::DataType::String());
    for (dom::element v : labels) {
      rc.int_classes ? label.AppendInt(v.get_int64()) : label.AppendString(v.get_string());
    }
    for (dom::element v : preds) {
      rc.int_classes ? pred.AppendInt(v.get_int64()) : pred.AppendString(v.get_string());
    }
    for (dom::element v : slices) slice.AppendString(v.get_string());
    table::Schema schema({{"label", type, false},
                          {"pred", type, false},
                          {"slice", table::DataType::String(), false}});
    rc.rows = std::move(table::Table::Make(schema, {label, pred, slice})).value();
    for (dom::element v : dom::array(c["classes"])) rc.classes.push_back(Str(v));
    dom::element given;
    if (c["given_classes"].get(given) == simdjson::SUCCESS) {
      for (dom::element v : dom::array(given)) rc.given_classes.push_back(Str(v));
    }
    for (dom::element v : dom::array(c["metrics"])) rc.metrics.push_back(Str(v));
    rc.expected = c["expected"];
    cases.push_back(std::move(rc));
  }
  return cases;
}

Evaluation NewEvaluation(const ReferenceCase& rc) {
  Plan plan = std::move(MakePlan(BuiltinMetrics(), rc.metrics)).value();
  EvaluationOptions options;
  options.label_column = "label";
  options.prediction_column = "pred";
  options.slicings = {{"slice"}};
  options.classes = rc.given_classes;
  return std::move(Evaluation::Make(options, std::move(plan))).value();
}

// Compares every output of one slice with scikit-learn's values, and the key sets.
void ExpectMatches(const std::string& where, const MetricOutputs& outputs, dom::object expected) {
  std::map<std::string, const MetricValue*> by_key;
  for (const auto& [key, value] : outputs) by_key[key] = &value;
  size_t expected_count = 0;
  for (dom::key_value_pair kv : expected) {
    ++expected_count;
    std::string key(kv.key);
    std::string trace = where;
    trace += ' ';
    trace += key;
    SCOPED_TRACE(trace);
    auto it = by_key.find(key);
    ASSERT_NE(it, by_key.end()) << "missing output";
    const MetricValue& got = *it->second;
    dom::element want = kv.value;
    if (want.is_null()) {
      EXPECT_EQ(got.kind, MetricValue::Kind::kNull);
      EXPECT_FALSE(got.reason.empty());
    } else if (want.is_array()) {
      ASSERT_EQ(got.kind, MetricValue::Kind::kMatrix);
      std::vector<std::vector<int64_t>> rows;
      for (dom::element row : dom::array(want)) {
        rows.emplace_back();
        for (dom::element v : dom::array(row)) rows.back().push_back(v.get_int64());
      }
      EXPECT_EQ(got.matrix, rows);
    } else if (want.is_int64()) {
      ASSERT_EQ(got.kind, MetricValue::Kind::kCount);
      EXPECT_EQ(got.count, int64_t(want.get_int64()));
    } else {
      ASSERT_EQ(got.kind, MetricValue::Kind::kNumber);
      EXPECT_NEAR(got.number, double(want.get_double()), kTolerance);
    }
  }
  EXPECT_EQ(outputs.size(), expected_count) << where << ": outputs scikit-learn lacks";
}

void ExpectMatchesReference(const ReferenceCase& rc, const EvaluationResult& r) {
  EXPECT_EQ(r.classes, rc.classes);
  ExpectMatches(rc.name + " overall", r.overall, rc.expected["overall"]);
  dom::object slices = rc.expected["slices"];
  ASSERT_EQ(r.slicings.size(), 1u);
  ASSERT_EQ(r.slicings[0].slices.size(), slices.size());
  for (const EvaluationResult::Slice& s : r.slicings[0].slices) {
    dom::element want;
    ASSERT_EQ(slices[s.Key()].get(want), simdjson::SUCCESS) << "unexpected slice " << s.Key();
    ExpectMatches(rc.name + " slice " + s.Key(), s.outputs, want);
  }
}

TEST(ReferenceTest, MatchesScikitLearn) {
  dom::parser parser;
  std::vector<ReferenceCase> cases = LoadCases(&parser);
  ASSERT_EQ(cases.size(), 3u);
  for (const ReferenceCase& rc : cases) {
    Evaluation eval = NewEvaluation(rc);
    ASSERT_TRUE(eval.Add(rc.rows).ok());
    auto r = eval.Finish();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectMatchesReference(rc, *r);
  }
}

// Rows dealt to shards in a pattern that gives each shard its own first-seen class and slice
// order, fed in small batches and merged in a tree: the result equals one pass bit for bit.
TEST(ReferenceTest, MergedShardsEqualOnePassBitForBit) {
  dom::parser parser;
  for (const ReferenceCase& rc : LoadCases(&parser)) {
    Evaluation one_pass = NewEvaluation(rc);
    ASSERT_TRUE(one_pass.Add(rc.rows).ok());
    EvaluationResult expected = std::move(one_pass.Finish()).value();

    for (int num_shards : {2, 3, 7}) {
      std::vector<Evaluation> shards;
      shards.reserve(static_cast<size_t>(num_shards));
      for (int s = 0; s < num_shards; ++s) shards.push_back(NewEvaluation(rc));
      int64_t n = rc.rows.num_rows();
      int64_t batch = 17;
      for (int64_t start = 0, k = 0; start < n; start += batch, ++k) {
        table::Table part = rc.rows.Slice(start, std::min(batch, n - start));
        ASSERT_TRUE(shards[static_cast<size_t>((k * 5) % num_shards)].Add(part).ok());
      }
      ASSERT_TRUE(MergeTree(&shards).ok());
      Evaluation& merged = shards.front();
      EvaluationResult got = std::move(merged.Finish()).value();
      SCOPED_TRACE(rc.name + " shards=" + std::to_string(num_shards));
      EXPECT_EQ(got.classes, expected.classes);
      EXPECT_EQ(got.rows, expected.rows);
      EXPECT_EQ(got.overall, expected.overall);
      ASSERT_EQ(got.slicings.size(), expected.slicings.size());
      for (size_t s = 0; s < got.slicings.size(); ++s) {
        const auto& a = got.slicings[s].slices;
        const auto& b = expected.slicings[s].slices;
        ASSERT_EQ(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i) {
          EXPECT_EQ(a[i].values, b[i].values);
          EXPECT_EQ(a[i].outputs, b[i].outputs);
        }
      }
      EXPECT_EQ(EvaluationResultToJson(got), EvaluationResultToJson(expected));
    }
  }
}

}  // namespace
}  // namespace cairn::metrics
