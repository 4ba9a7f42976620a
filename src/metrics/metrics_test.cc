#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "metrics/classification.h"
#include "metrics/confusion_matrix.h"
#include "metrics/evaluation.h"
#include "metrics/metric.h"
#include "metrics/test_util.h"

namespace cairn::metrics {
namespace {

using table::Table;

const MetricValue* Find(const MetricOutputs& outputs, const std::string& key) {
  for (const auto& [k, v] : outputs) {
    if (k == key) return &v;
  }
  return nullptr;
}

Result<EvaluationResult> Evaluate(const Table& table, const std::vector<std::string>& metrics,
                                  const std::string& slice_column = "",
                                  const std::vector<std::string>& classes = {}) {
  CAIRN_ASSIGN_OR_RETURN(Plan plan, MakePlan(BuiltinMetrics(), metrics));
  EvaluationOptions options;
  options.label_column = "label";
  options.prediction_column = "pred";
  if (!slice_column.empty()) options.slicings = {{slice_column}};
  options.classes = classes;
  CAIRN_ASSIGN_OR_RETURN(Evaluation eval, Evaluation::Make(options, std::move(plan)));
  CAIRN_RETURN_IF_ERROR(eval.Add(table));
  return eval.Finish();
}

TEST(MetricSpecTest, ParsesNameParametersAndClass) {
  auto spec = ParseMetricSpec("fbeta(beta=2.0)[car]");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->name, "fbeta");
  EXPECT_EQ(spec->params.at("beta"), 2.0);
  EXPECT_EQ(*spec->class_name, "car");
  EXPECT_EQ(spec->Key(), "fbeta(beta=2)[car]");
  EXPECT_EQ(ParseMetricSpec("f1_macro")->Key(), "f1_macro");
  EXPECT_EQ(ParseMetricSpec("precision[a b]")->Key(), "precision[a b]");
}

TEST(MetricSpecTest, RejectsMalformedText) {
  for (const char* text : {"", "(beta=1)", "fbeta(beta=)", "fbeta(beta=x)", "fbeta(beta=1", "f1[]",
                           "f1[a", "f1 x", "fbeta(beta=1,beta=2)", "fbeta(beta=nan)"}) {
    EXPECT_FALSE(ParseMetricSpec(text).ok()) << text;
  }
}

TEST(MetricSpecTest, SplitsListsOutsideParentheses) {
  auto items = SplitMetricList("accuracy,fbeta_macro(beta=2),precision[a,b]");
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(*items,
            (std::vector<std::string>{"accuracy", "fbeta_macro(beta=2)", "precision[a,b]"}));
  EXPECT_FALSE(SplitMetricList("accuracy,,f1_macro").ok());
}

TEST(PlanTest, UnknownMetricListsKnownNames) {
  auto plan = MakePlan(BuiltinMetrics(), {"accuracy", "f2_score"});
  ASSERT_FALSE(plan.ok());
  const std::string& message = plan.status().message();
  EXPECT_NE(message.find("unknown metric 'f2_score'"), std::string::npos) << message;
  EXPECT_NE(message.find("known metrics: accuracy, average_precision, balanced_accuracy"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("recall_weighted"), std::string::npos) << message;
}

TEST(PlanTest, ConfusionMatrixMetricsShareOneIntermediate) {
  auto plan = MakePlan(BuiltinMetrics(), {"accuracy", "precision", "f1_macro", "cohen_kappa", "mcc",
                                          "fbeta_weighted(beta=2)", "accuracy"});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->intermediates, std::vector<Intermediate>{Intermediate::kConfusionMatrix});
  EXPECT_EQ(plan->metrics.size(), 6u);  // the repeated accuracy is planned once
}

TEST(PlanTest, ChecksParametersAndClassSelectors) {
  auto missing = MakePlan(BuiltinMetrics(), {"fbeta_macro"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("needs parameter 'beta'"), std::string::npos);
  EXPECT_FALSE(MakePlan(BuiltinMetrics(), {"f1_macro(beta=2)"}).ok());
  EXPECT_FALSE(MakePlan(BuiltinMetrics(), {"accuracy[car]"}).ok());
  EXPECT_FALSE(MakePlan(BuiltinMetrics(), {}).ok());
}

TEST(ConfusionMatrixTest, MergeAddsElementwise) {
  ConfusionMatrix a(2);
  ConfusionMatrix b(2);
  a.Add(0, 1);
  b.Add(0, 1);
  b.Add(1, 1);
  ASSERT_TRUE(a.Merge(b).ok());
  EXPECT_EQ(a.ToRows(), (std::vector<std::vector<int64_t>>{{0, 2}, {0, 1}}));
  EXPECT_FALSE(a.Merge(ConfusionMatrix(3)).ok());
}

// Labels a a b b b, predictions a b b b a; by hand: accuracy 3/5, precision[a] 1/2,
// recall[b] 2/3, kappa = 1 - (2/5) / (1 - (2*2 + 3*3)/25) = 1/6.
TEST(EvaluationTest, SmallCaseByHand) {
  Table t = StringTable({"label", "pred"}, {{"a", "a", "b", "b", "b"}, {"a", "b", "b", "b", "a"}});
  auto r = Evaluate(
      t, {"accuracy", "precision[a]", "recall[b]", "support", "confusion_matrix", "cohen_kappa"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->classes, (std::vector<std::string>{"a", "b"}));
  EXPECT_DOUBLE_EQ(Find(r->overall, "accuracy")->number, 0.6);
  EXPECT_DOUBLE_EQ(Find(r->overall, "precision[a]")->number, 0.5);
  EXPECT_DOUBLE_EQ(Find(r->overall, "recall[b]")->number, 2.0 / 3.0);
  EXPECT_EQ(Find(r->overall, "support[b]")->count, 3);
  EXPECT_EQ(Find(r->overall, "confusion_matrix")->matrix,
            (std::vector<std::vector<int64_t>>{{1, 1}, {1, 2}}));
  EXPECT_NEAR(Find(r->overall, "cohen_kappa")->number, 1.0 / 6.0, 1e-15);
}

// The same rows: precision and recall are 1/2 for a and 2/3 for b, so both macro averages
// are 7/12 and F2 from them is 7/12; recall[b] - recall[a] = 1/6.
TEST(EvaluationTest, FormulaMetricsReadOtherOutputs) {
  Table t = StringTable({"label", "pred"}, {{"a", "a", "b", "b", "b"}, {"a", "b", "b", "b", "a"}});
  auto plan = MakePlan(BuiltinMetrics(), {"accuracy"},
                       {{"f2", "5 * precision_macro * recall_macro / (4 * precision_macro + "
                               "recall_macro)"},
                        {"gap", "recall[b] - recall[a]"},
                        {"double_gap", "2 * gap"},
                        {"bad", "1 / (recall[a] - recall[a])"}});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EvaluationOptions options;
  options.label_column = "label";
  options.prediction_column = "pred";
  auto eval = Evaluation::Make(options, std::move(*plan));
  ASSERT_TRUE(eval.ok()) << eval.status().ToString();
  ASSERT_TRUE(eval->Add(t).ok());
  auto r = eval->Finish();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Only the request and the formulas are output; what the formulas read is not.
  std::vector<std::string> keys;
  for (const auto& [key, value] : r->overall) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"accuracy", "f2", "gap", "double_gap", "bad"}));
  EXPECT_NEAR(Find(r->overall, "f2")->number, 7.0 / 12.0, 1e-15);
  EXPECT_NEAR(Find(r->overall, "gap")->number, 1.0 / 6.0, 1e-15);
  EXPECT_NEAR(Find(r->overall, "double_gap")->number, 1.0 / 3.0, 1e-15);
  EXPECT_EQ(Find(r->overall, "bad")->kind, MetricValue::Kind::kNull);
  EXPECT_NE(Find(r->overall, "bad")->reason.find("division by zero"), std::string::npos);
  // A saved state carries the formulas.
  auto restored = Evaluation::DeserializeState(eval->SerializeState(), BuiltinMetrics(), "s");
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(EvaluationResultToJson(restored->Finish().value()), EvaluationResultToJson(*r));
}

TEST(PlanTest, FormulaErrors) {
  auto clash = MakePlan(BuiltinMetrics(), {}, {{"accuracy", "1"}});
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.status().message().find("already a metric"), std::string::npos);
  auto per_class = MakePlan(BuiltinMetrics(), {}, {{"x", "recall * 2"}});
  ASSERT_FALSE(per_class.ok());
  EXPECT_NE(per_class.status().message().find("one value per class"), std::string::npos)
      << per_class.status().message();
  auto unknown = MakePlan(BuiltinMetrics(), {}, {{"x", "f3_score + 1"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown metric 'f3_score'"), std::string::npos);
  auto cycle = MakePlan(BuiltinMetrics(), {}, {{"a", "b + 1"}, {"b", "a * 2"}});
  ASSERT_FALSE(cycle.ok());
  EXPECT_NE(cycle.status().message().find("cycle"), std::string::npos);
  // A parameter left to its default in a formula reads the defaulted output.
  auto defaulted = MakePlan(BuiltinMetrics(), {}, {{"x", "ece + 0"}});
  ASSERT_TRUE(defaulted.ok()) << defaulted.status().ToString();
  EXPECT_EQ(defaulted->formula_inputs.at("ece"), "ece(bins=15)");
}

TEST(EvaluationTest, UndefinedValuesAreNullWithAReason) {
  Table t =
      StringTable({"label", "pred", "w"}, {{"a", "a", "b"}, {"a", "a", "a"}, {"x", "x", "y"}});
  auto r = Evaluate(t, {"cohen_kappa", "mcc"}, "w");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->slicings.size(), 1u);
  const auto& slices = r->slicings[0].slices;
  ASSERT_EQ(slices.size(), 2u);
  EXPECT_EQ(slices[0].values, std::vector<std::string>{"x"});
  const MetricValue* kappa = Find(slices[0].outputs, "cohen_kappa");
  EXPECT_EQ(kappa->kind, MetricValue::Kind::kNull);
  EXPECT_NE(kappa->reason.find("all one class"), std::string::npos);
  EXPECT_EQ(Find(slices[0].outputs, "mcc")->number, 0.0);  // scikit-learn's convention
  std::string json = EvaluationResultToJson(*r);
  EXPECT_NE(
      json.find(
          "\"x\":{\"rows\":2,\"cohen_kappa\":null,\"mcc\":0.0,\"null_reasons\":{\"cohen_kappa\":"),
      std::string::npos)
      << json;
  EXPECT_EQ(json.find("nan"), std::string::npos) << json;
}

TEST(EvaluationTest, NoRowsGivesNullRatios) {
  Table t = StringTable({"label", "pred"}, {{}, {}});
  auto r = Evaluate(t, {"accuracy", "f1_macro"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Find(r->overall, "accuracy")->kind, MetricValue::Kind::kNull);
  EXPECT_EQ(Find(r->overall, "f1_macro")->reason, "no rows");
}

TEST(EvaluationTest, BadInputIsAClearError) {
  Table t = StringTable({"label", "pred"}, {{"a", "b"}, {"a", "c"}});
  auto unknown_class = Evaluate(t, {"precision[zebra]"});
  ASSERT_FALSE(unknown_class.ok());
  EXPECT_NE(unknown_class.status().message().find("no class 'zebra' (classes: a, b, c)"),
            std::string::npos)
      << unknown_class.status().message();
  auto outside = Evaluate(t, {"accuracy"}, "", {"a", "b"});
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.status().message(), "row 2: column 'pred': class 'c' is not in the class list");
  Table missing = StringTable({"label", "prediction"}, {{"a"}, {"a"}});
  auto no_column = Evaluate(missing, {"accuracy"});
  ASSERT_FALSE(no_column.ok());
  EXPECT_EQ(no_column.status().message(), "no prediction column 'pred'");
}

TEST(EvaluationTest, NullLabelIsAnError) {
  table::Schema schema(
      {{"label", table::DataType::Int64(), true}, {"pred", table::DataType::Int64(), true}});
  table::Column label(table::DataType::Int64());
  table::Column pred(table::DataType::Int64());
  label.AppendInt(1);
  pred.AppendInt(1);
  label.AppendNull();
  pred.AppendInt(2);
  Table t = std::move(Table::Make(schema, {label, pred})).value();
  auto r = Evaluate(t, {"accuracy"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "row 2: column 'label' is null");
}

TEST(EvaluationTest, IntegerClassesSortNumerically) {
  table::Schema schema(
      {{"label", table::DataType::Int64(), false}, {"pred", table::DataType::Int64(), false}});
  table::Column label(table::DataType::Int64());
  table::Column pred(table::DataType::Int64());
  for (int64_t v : {10, 9, -1}) {
    label.AppendInt(v);
    pred.AppendInt(v);
  }
  Table t = std::move(Table::Make(schema, {label, pred})).value();
  auto r = Evaluate(t, {"support"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->classes, (std::vector<std::string>{"-1", "9", "10"}));
}

}  // namespace
}  // namespace cairn::metrics
