#include "metrics/compare.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace cairn::metrics {
namespace {

// A metric that only declares a direction, for registries in tests.
class DirectionOnly final : public Metric {
 public:
  DirectionOnly(std::string name, bool higher) : name_(std::move(name)), higher_(higher) {}
  std::string_view name() const override { return name_; }
  std::string_view summary() const override { return "test"; }
  std::vector<InputRole> inputs() const override { return {}; }
  std::vector<Intermediate> dependencies() const override { return {}; }
  bool higher_is_better() const override { return higher_; }
  void Compute(const MetricSpec& /*spec*/, const MetricContext& /*ctx*/,
               std::vector<std::pair<std::string, MetricValue>>* /*out*/) const override {}

 private:
  std::string name_;
  bool higher_;
};

const MetricRegistry& TestRegistry() {
  static const MetricRegistry* registry = [] {
    auto* r = new MetricRegistry;
    (void)r->Register(std::make_unique<DirectionOnly>("log_loss", false));
    (void)r->Register(std::make_unique<DirectionOnly>("accuracy", true));
    return r;
  }();
  return *registry;
}

EvaluationResult::Slice Slice(std::string value, int64_t rows, MetricOutputs outputs) {
  return {{std::move(value)}, rows, std::move(outputs)};
}

EvaluationResult Baseline() {
  EvaluationResult r;
  r.task = "multiclass";
  r.classes = {"a", "b"};
  r.rows = 10;
  r.overall = {{"accuracy", MetricValue::Number(0.80)},
               {"f1_macro", MetricValue::Number(0.70)},
               {"log_loss", MetricValue::Number(0.30)},
               {"support[a]", MetricValue::Count(5)},
               {"mcc", MetricValue::Null("constant")},
               {"cohen_kappa", MetricValue::Number(0.5)},
               {"old_only", MetricValue::Number(1.0)},
               {"confusion_matrix", MetricValue::Matrix({{1, 2}, {3, 4}})},
               {"recall[b]", MetricValue::Number(0.25)}};
  EvaluationResult::Slicing weather;
  weather.columns = {"weather"};
  weather.slices = {Slice("rain", 5, {{"accuracy", MetricValue::Number(0.6)}}),
                    Slice("sun", 5, {{"accuracy", MetricValue::Number(1.0)}})};
  EvaluationResult::Slicing camera;
  camera.columns = {"camera"};
  camera.slices = {Slice("front", 10, {{"accuracy", MetricValue::Number(0.8)}})};
  r.slicings = {weather, camera};
  return r;
}

EvaluationResult Candidate() {
  EvaluationResult r;
  r.task = "multiclass";
  r.classes = {"a", "b"};
  r.rows = 10;
  r.overall = {{"accuracy", MetricValue::Number(0.85)},
               {"f1_macro", MetricValue::Number(0.69)},
               {"log_loss", MetricValue::Number(0.35)},
               {"support[a]", MetricValue::Count(6)},
               {"mcc", MetricValue::Number(0.1)},
               {"cohen_kappa", MetricValue::Null("one class")},
               {"confusion_matrix", MetricValue::Matrix({{2, 1}, {3, 4}})},
               {"recall[b]", MetricValue::Number(0.25)},
               {"new_only", MetricValue::Number(2.0)}};
  EvaluationResult::Slicing weather;
  weather.columns = {"weather"};
  weather.slices = {Slice("rain", 6, {{"accuracy", MetricValue::Number(0.5)}}),
                    Slice("snow", 4, {{"accuracy", MetricValue::Number(0.75)}})};
  r.slicings = {weather};
  return r;
}

const MetricComparison* FindMetric(const Comparison& c, std::string_view slice,
                                   std::string_view metric) {
  for (const MetricComparison& m : c.metrics) {
    if (m.slice == slice && m.metric == metric) return &m;
  }
  return nullptr;
}

TEST(CompareTest, BaseNamesAndDirections) {
  EXPECT_EQ(MetricBaseName("fbeta(beta=2)[car]"), "fbeta");
  EXPECT_EQ(MetricBaseName("recall[a(b)]"), "recall");
  EXPECT_EQ(MetricBaseName("accuracy"), "accuracy");
  EXPECT_TRUE(HigherIsBetter("f1_macro"));
  EXPECT_TRUE(HigherIsBetter("precision[car]"));
  EXPECT_TRUE(HigherIsBetter("no_such_metric"));
  EXPECT_FALSE(HigherIsBetter("log_loss", &TestRegistry()));
  EXPECT_FALSE(HigherIsBetter("log_loss[car]", &TestRegistry()));
}

TEST(CompareTest, VerdictsFollowEachMetricsDirection) {
  CompareOptions options;
  options.registry = &TestRegistry();
  auto c = CompareEvaluations(Baseline(), Candidate(), options);
  ASSERT_TRUE(c.ok()) << c.status().ToString();

  const MetricComparison* acc = FindMetric(*c, "", "accuracy");
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(*acc->baseline, 0.80);
  EXPECT_EQ(*acc->candidate, 0.85);
  EXPECT_NEAR(acc->delta, 0.05, 1e-15);
  EXPECT_EQ(acc->verdict, Verdict::kImproved);

  const MetricComparison* f1 = FindMetric(*c, "", "f1_macro");
  EXPECT_NEAR(f1->delta, -0.01, 1e-15);
  EXPECT_EQ(f1->verdict, Verdict::kRegressed);

  // Lower is better: 0.30 -> 0.35 is worse.
  const MetricComparison* loss = FindMetric(*c, "", "log_loss");
  EXPECT_FALSE(loss->higher_is_better);
  EXPECT_NEAR(loss->delta, 0.05, 1e-15);
  EXPECT_EQ(loss->verdict, Verdict::kRegressed);

  EXPECT_EQ(FindMetric(*c, "", "support[a]")->verdict, Verdict::kChanged);
  EXPECT_TRUE(FindMetric(*c, "", "support[a]")->is_count);
  const MetricComparison* mcc = FindMetric(*c, "", "mcc");
  EXPECT_EQ(mcc->verdict, Verdict::kBecameNumber);
  EXPECT_EQ(mcc->baseline_reason, "constant");
  EXPECT_FALSE(mcc->baseline.has_value());
  const MetricComparison* kappa = FindMetric(*c, "", "cohen_kappa");
  EXPECT_EQ(kappa->verdict, Verdict::kBecameNull);
  EXPECT_EQ(kappa->candidate_reason, "one class");
  EXPECT_TRUE(kappa->IsRegression());
  EXPECT_EQ(FindMetric(*c, "", "old_only")->verdict, Verdict::kOnlyInBaseline);
  EXPECT_EQ(FindMetric(*c, "", "new_only")->verdict, Verdict::kOnlyInCandidate);
  EXPECT_EQ(FindMetric(*c, "", "recall[b]")->verdict, Verdict::kUnchanged);
  EXPECT_EQ(FindMetric(*c, "", "confusion_matrix"), nullptr);  // matrices are not compared

  const MetricComparison* rain = FindMetric(*c, "rain", "accuracy");
  ASSERT_NE(rain, nullptr);
  EXPECT_EQ(rain->slicing, "weather");
  EXPECT_NEAR(rain->delta, -0.1, 1e-15);
  EXPECT_EQ(rain->verdict, Verdict::kRegressed);
  EXPECT_EQ(FindMetric(*c, "sun", "accuracy"), nullptr);
  EXPECT_EQ(FindMetric(*c, "snow", "accuracy"), nullptr);

  // f1_macro, log_loss, cohen_kappa (became null), weather=rain accuracy.
  EXPECT_EQ(c->CountRegressions(), 4);
  EXPECT_EQ(c->Count(Verdict::kImproved), 1);
  EXPECT_EQ(c->metrics.size(), 10u);

  EXPECT_EQ(c->slicings_only_in_baseline, std::vector<std::string>{"camera"});
  EXPECT_TRUE(c->slicings_only_in_candidate.empty());
  ASSERT_EQ(c->slices.size(), 5u);  // overall, rain, sun, snow, camera=front
  EXPECT_EQ(c->slices[0].baseline_rows, 10);
  EXPECT_EQ(c->slices[1].slice, "rain");
  EXPECT_EQ(c->slices[1].candidate_rows, 6);
  EXPECT_EQ(c->slices[2].slice, "sun");
  EXPECT_EQ(c->slices[2].candidate_rows, -1);
  EXPECT_EQ(c->slices[3].slice, "snow");
  EXPECT_EQ(c->slices[3].baseline_rows, -1);
  EXPECT_EQ(c->slices[4].slicing, "camera");
  auto different = c->SlicesWithDifferentRows();
  ASSERT_EQ(different.size(), 4u);
  EXPECT_EQ(different[0]->slice, "rain");
}

TEST(CompareTest, ToleranceForgivesSmallWorsenings) {
  CompareOptions options;
  options.registry = &TestRegistry();
  options.tolerance = 0.01;
  auto c = CompareEvaluations(Baseline(), Candidate(), options);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  // 0.70 -> 0.69 is a drop of exactly the tolerance.
  EXPECT_EQ(FindMetric(*c, "", "f1_macro")->verdict, Verdict::kWithinTolerance);
  EXPECT_EQ(FindMetric(*c, "", "log_loss")->verdict, Verdict::kRegressed);
  EXPECT_EQ(FindMetric(*c, "rain", "accuracy")->verdict, Verdict::kRegressed);
  options.tolerance = 0.1;
  c = CompareEvaluations(Baseline(), Candidate(), options);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(FindMetric(*c, "", "log_loss")->verdict, Verdict::kWithinTolerance);
  EXPECT_EQ(FindMetric(*c, "rain", "accuracy")->verdict, Verdict::kWithinTolerance);
  EXPECT_EQ(c->CountRegressions(), 1);  // became null is always one
  options.tolerance = -1;
  EXPECT_FALSE(CompareEvaluations(Baseline(), Candidate(), options).ok());
}

TEST(CompareTest, DifferentClassListsAreRefused) {
  EvaluationResult other = Candidate();
  other.classes = {"b", "a"};
  auto c = CompareEvaluations(Baseline(), other);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "cannot compare evaluations of different class lists: the baseline has [a, b], the "
            "candidate [b, a]");
  other = Candidate();
  other.task = "binary";
  EXPECT_FALSE(CompareEvaluations(Baseline(), other).ok());
}

TEST(GateTest, ParsesRuleLines) {
  auto floor = ParseGateRule("f1_macro >= 0.8");
  ASSERT_TRUE(floor.ok()) << floor.status().ToString();
  EXPECT_EQ(floor->kind, GateRule::Kind::kAtLeast);
  EXPECT_EQ(floor->metric, "f1_macro");
  EXPECT_EQ(floor->threshold, 0.8);
  EXPECT_EQ(floor->by, "");

  auto ceiling = ParseGateRule("  log_loss   <=  0.3 ");
  ASSERT_TRUE(ceiling.ok());
  EXPECT_EQ(ceiling->kind, GateRule::Kind::kAtMost);
  EXPECT_EQ(ceiling->threshold, 0.3);

  auto drop = ParseGateRule("max_drop recall[pedestrian] 0.01 by weather");
  ASSERT_TRUE(drop.ok());
  EXPECT_EQ(drop->kind, GateRule::Kind::kMaxDrop);
  EXPECT_EQ(drop->metric, "recall[pedestrian]");
  EXPECT_EQ(drop->threshold, 0.01);
  EXPECT_EQ(drop->by, "weather");
  EXPECT_EQ(drop->ToString(), "max_drop recall[pedestrian] 0.01 by weather");

  auto spaced = ParseGateRule("recall[traffic light] >= 1e-1 by weather,time_of_day");
  ASSERT_TRUE(spaced.ok()) << spaced.status().ToString();
  EXPECT_EQ(spaced->metric, "recall[traffic light]");
  EXPECT_EQ(spaced->threshold, 0.1);
  EXPECT_EQ(spaced->by, "weather,time_of_day");

  for (std::string_view bad :
       {"f1_macro > 0.8", "max_drop recall 0.01 0.02", "f1 >= high", "max_drop recall -0.01",
        "f1 >= 0.8 by", "f1 >= inf", "", "recall[a >= 0.5", ">= 0.5"}) {
    auto r = ParseGateRule(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().message().rfind("gate rule '" + std::string(bad) + "': ", 0), 0u)
          << r.status().message();
    }
  }
}

GateRule Rule(std::string_view text) { return std::move(ParseGateRule(text)).value(); }

TEST(GateTest, FloorsCeilingsAndDrops) {
  EvaluationResult b = Baseline();
  EvaluationResult c = Candidate();
  auto gate =
      EvaluateGate({Rule("accuracy >= 0.85"), Rule("f1_macro >= 0.7"), Rule("log_loss <= 0.35"),
                    Rule("max_drop f1_macro 0.01"), Rule("max_drop log_loss 0.04")},
                   &b, c, &TestRegistry());
  ASSERT_TRUE(gate.ok()) << gate.status().ToString();
  ASSERT_EQ(gate->rules.size(), 5u);
  EXPECT_TRUE(gate->rules[0].passed);   // 0.85 >= 0.85
  EXPECT_FALSE(gate->rules[1].passed);  // 0.69 < 0.7
  EXPECT_EQ(*gate->rules[1].checks[0].candidate, 0.69);
  EXPECT_TRUE(gate->rules[2].passed);  // 0.35 <= 0.35
  EXPECT_TRUE(gate->rules[3].passed);  // 0.70 -> 0.69: a drop of 0.01
  EXPECT_EQ(*gate->rules[3].checks[0].baseline, 0.70);
  EXPECT_FALSE(gate->rules[4].passed);  // lower is better: 0.30 -> 0.35 worsens by 0.05
  EXPECT_FALSE(gate->passed);

  auto pass = EvaluateGate({Rule("accuracy >= 0.85"), Rule("max_drop log_loss 0.05")}, &b, c,
                           &TestRegistry());
  ASSERT_TRUE(pass.ok());
  EXPECT_TRUE(pass->passed);
}

TEST(GateTest, RulesBySlicingCheckEverySlice) {
  EvaluationResult b = Baseline();
  EvaluationResult c = Candidate();
  auto gate = EvaluateGate(
      {Rule("accuracy >= 0.55 by weather"), Rule("max_drop accuracy 0.1 by weather")}, &b, c);
  ASSERT_TRUE(gate.ok()) << gate.status().ToString();
  const GateRuleResult& floor = gate->rules[0];
  ASSERT_EQ(floor.checks.size(), 2u);
  EXPECT_EQ(floor.checks[0].slice, "rain");
  EXPECT_FALSE(floor.checks[0].passed);  // 0.5 < 0.55
  EXPECT_EQ(floor.checks[1].slice, "snow");
  EXPECT_TRUE(floor.checks[1].passed);
  EXPECT_FALSE(floor.passed);

  // rain: 0.6 -> 0.5 drops by 0.1 (allowed); snow is new; sun is missing from the candidate.
  const GateRuleResult& drop = gate->rules[1];
  ASSERT_EQ(drop.checks.size(), 3u);
  EXPECT_TRUE(drop.checks[0].passed);
  EXPECT_TRUE(drop.checks[1].passed);
  EXPECT_EQ(drop.checks[1].reason, "new slice: not in the baseline");
  EXPECT_EQ(drop.checks[2].slice, "sun");
  EXPECT_FALSE(drop.checks[2].passed);
  EXPECT_EQ(drop.checks[2].reason, "slice missing from the candidate");
  EXPECT_FALSE(drop.passed);
}

TEST(GateTest, NullValues) {
  EvaluationResult b = Baseline();
  EvaluationResult c = Candidate();
  auto gate = EvaluateGate(
      {Rule("cohen_kappa >= 0"), Rule("max_drop cohen_kappa 1"), Rule("max_drop mcc 0")}, &b, c);
  ASSERT_TRUE(gate.ok()) << gate.status().ToString();
  EXPECT_FALSE(gate->rules[0].passed);
  EXPECT_EQ(gate->rules[0].checks[0].reason, "null: one class");
  EXPECT_FALSE(gate->rules[1].passed);  // a number became null
  EXPECT_TRUE(gate->rules[2].passed);   // nothing to drop from
}

TEST(GateTest, RulesTheEvaluationCannotAnswerAreErrors) {
  EvaluationResult b = Baseline();
  EvaluationResult c = Candidate();
  auto missing = EvaluateGate({Rule("roc_auc >= 0.9")}, &b, c);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "gate rule 'roc_auc >= 0.9': the candidate has no metric 'roc_auc'");
  auto baseline_lacks = EvaluateGate({Rule("max_drop new_only 0")}, &b, c);
  ASSERT_FALSE(baseline_lacks.ok());
  EXPECT_EQ(baseline_lacks.status().message(),
            "gate rule 'max_drop new_only 0': the baseline has no metric 'new_only'");
  auto no_slicing = EvaluateGate({Rule("accuracy >= 0.5 by camera")}, &b, c);
  ASSERT_FALSE(no_slicing.ok());
  EXPECT_EQ(no_slicing.status().message(),
            "gate rule 'accuracy >= 0.5 by camera': the candidate has no slicing 'camera'");
  auto matrix = EvaluateGate({Rule("confusion_matrix >= 0")}, &b, c);
  ASSERT_FALSE(matrix.ok());
  auto no_baseline = EvaluateGate({Rule("max_drop accuracy 0")}, nullptr, c);
  ASSERT_FALSE(no_baseline.ok());
  EXPECT_EQ(no_baseline.status().message(),
            "gate rule 'max_drop accuracy 0' needs a baseline evaluation");
  auto floors_only = EvaluateGate({Rule("accuracy >= 0.5")}, nullptr, c);
  ASSERT_TRUE(floors_only.ok());
  EXPECT_TRUE(floors_only->passed);
}

}  // namespace
}  // namespace cairn::metrics
