#include "metrics/classification.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "metrics/score_metrics.h"

namespace cairn::metrics {
namespace {

constexpr std::string_view kNoRows = "no rows";

// Computes one value from the confusion matrix; `cls` is the class index for per-class
// metrics and -1 otherwise.
using ConfusionFormula =
    std::function<MetricValue(const ConfusionMatrix& cm, const MetricSpec& spec, int cls)>;

// A metric computed from the confusion matrix of its slice.
class ConfusionMetric final : public Metric {
 public:
  ConfusionMetric(std::string name, std::string summary, bool per_class,
                  std::vector<ParamSpec> params, ConfusionFormula formula)
      : name_(std::move(name)),
        summary_(std::move(summary)),
        per_class_(per_class),
        params_(std::move(params)),
        formula_(std::move(formula)) {}

  std::string_view name() const override { return name_; }
  std::string_view summary() const override { return summary_; }
  std::vector<InputRole> inputs() const override {
    return {InputRole::kLabel, InputRole::kPrediction};
  }
  std::vector<Intermediate> dependencies() const override {
    return {Intermediate::kConfusionMatrix};
  }
  std::vector<ParamSpec> params() const override { return params_; }
  bool per_class() const override { return per_class_; }

  void Compute(const MetricSpec& spec, const MetricContext& ctx,
               std::vector<std::pair<std::string, MetricValue>>* out) const override {
    int cls = -1;
    if (per_class_) {
      const std::vector<std::string>& classes = *ctx.classes;
      cls = static_cast<int>(std::find(classes.begin(), classes.end(), *spec.class_name) -
                             classes.begin());
    }
    out->emplace_back(spec.Key(), formula_(*ctx.confusion_matrix, spec, cls));
  }

 private:
  std::string name_;
  std::string summary_;
  bool per_class_;
  std::vector<ParamSpec> params_;
  ConfusionFormula formula_;
};

// a / b, or 0 when b is 0 (scikit-learn's zero_division=0).
double Ratio(int64_t a, int64_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
}

// F-beta from precision and recall as scikit-learn computes it: a zero denominator gives 0.
double FBeta(double precision, double recall, double beta) {
  double beta2 = beta * beta;
  double denom = beta2 * precision + recall;
  if (denom == 0.0) denom = 1.0;
  return (1 + beta2) * precision * recall / denom;
}

// Precision, recall or F-beta of one class.
enum class Score : uint8_t { kPrecision, kRecall, kF };

double ClassScore(const ConfusionMatrix& cm, int cls, Score score, double beta) {
  int64_t tp = cm.at(cls, cls);
  double precision = Ratio(tp, cm.ColumnSum(cls));
  double recall = Ratio(tp, cm.RowSum(cls));
  switch (score) {
    case Score::kPrecision:
      return precision;
    case Score::kRecall:
      return recall;
    case Score::kF:
      return FBeta(precision, recall, beta);
  }
  return 0;
}

enum class Average : uint8_t { kMacro, kMicro, kWeighted };

// The averaged score over all classes of the matrix; null over zero rows.
MetricValue AveragedScore(const ConfusionMatrix& cm, Score score, Average average, double beta) {
  int64_t total = cm.Total();
  if (total == 0) return MetricValue::Null(std::string(kNoRows));
  int n = cm.num_classes();
  switch (average) {
    case Average::kMicro: {
      // Every row counts once as a prediction and once as a label, so the summed true
      // positives over the summed predictions (and labels) are the trace over the total.
      double precision = Ratio(cm.Trace(), total);
      double recall = precision;
      if (score == Score::kPrecision) return MetricValue::Number(precision);
      if (score == Score::kRecall) return MetricValue::Number(recall);
      return MetricValue::Number(FBeta(precision, recall, beta));
    }
    case Average::kMacro: {
      double sum = 0;
      for (int c = 0; c < n; ++c) sum += ClassScore(cm, c, score, beta);
      return MetricValue::Number(n == 0 ? 0.0 : sum / n);
    }
    case Average::kWeighted: {
      double sum = 0;
      for (int c = 0; c < n; ++c) {
        sum += ClassScore(cm, c, score, beta) * static_cast<double>(cm.RowSum(c));
      }
      return MetricValue::Number(sum / static_cast<double>(total));
    }
  }
  return MetricValue::Null("unknown average");
}

double Beta(const MetricSpec& spec) { return spec.params.at("beta"); }

MetricValue Accuracy(const ConfusionMatrix& cm) {
  int64_t total = cm.Total();
  if (total == 0) return MetricValue::Null(std::string(kNoRows));
  return MetricValue::Number(Ratio(cm.Trace(), total));
}

// The mean recall over the classes that occur as labels (scikit-learn drops the others).
MetricValue BalancedAccuracy(const ConfusionMatrix& cm) {
  if (cm.Total() == 0) return MetricValue::Null(std::string(kNoRows));
  double sum = 0;
  int present = 0;
  for (int c = 0; c < cm.num_classes(); ++c) {
    int64_t support = cm.RowSum(c);
    if (support == 0) continue;
    sum += Ratio(cm.at(c, c), support);
    ++present;
  }
  return MetricValue::Number(sum / present);
}

// Sum over classes of (rows labelled c) * (rows predicted c), exactly.
__int128 MarginalDot(const ConfusionMatrix& cm, bool rows_a, bool rows_b) {
  __int128 sum = 0;
  for (int c = 0; c < cm.num_classes(); ++c) {
    __int128 a = rows_a ? cm.RowSum(c) : cm.ColumnSum(c);
    __int128 b = rows_b ? cm.RowSum(c) : cm.ColumnSum(c);
    sum += a * b;
  }
  return sum;
}

// Cohen's kappa, 1 - observed / expected disagreement; the sums are exact integers, so the
// value depends only on the counts.
MetricValue CohenKappa(const ConfusionMatrix& cm) {
  __int128 n = cm.Total();
  if (n == 0) return MetricValue::Null(std::string(kNoRows));
  __int128 expected = n * n - MarginalDot(cm, true, false);  // times n
  if (expected == 0) {
    return MetricValue::Null(
        "undefined: labels and predictions are all one class (no expected disagreement)");
  }
  __int128 observed = (n - cm.Trace()) * n;  // times n
  return MetricValue::Number(1.0 - static_cast<double>(observed) / static_cast<double>(expected));
}

// Matthews correlation coefficient (multiclass form); 0 when a marginal is constant.
MetricValue Mcc(const ConfusionMatrix& cm) {
  __int128 n = cm.Total();
  if (n == 0) return MetricValue::Null(std::string(kNoRows));
  __int128 cov_true_pred = static_cast<__int128>(cm.Trace()) * n - MarginalDot(cm, true, false);
  __int128 cov_pred_pred = n * n - MarginalDot(cm, false, false);
  __int128 cov_true_true = n * n - MarginalDot(cm, true, true);
  if (cov_pred_pred == 0 || cov_true_true == 0) return MetricValue::Number(0.0);
  return MetricValue::Number(
      static_cast<double>(cov_true_pred) /
      std::sqrt(static_cast<double>(cov_true_true) * static_cast<double>(cov_pred_pred)));
}

std::vector<ParamSpec> BetaParam() {
  return {{"beta", std::nullopt, "weight of recall: F-beta = (1 + b^2) P R / (b^2 P + R)"}};
}

}  // namespace

Status RegisterClassificationMetrics(MetricRegistry* registry) {
  std::vector<std::unique_ptr<Metric>> metrics;
  auto add = [&](std::string name, std::string summary, bool per_class,
                 std::vector<ParamSpec> params, ConfusionFormula formula) {
    metrics.push_back(std::make_unique<ConfusionMetric>(
        std::move(name), std::move(summary), per_class, std::move(params), std::move(formula)));
  };
  add("accuracy", "fraction of rows predicted correctly", false, {},
      [](const ConfusionMatrix& cm, const MetricSpec&, int) { return Accuracy(cm); });
  add("balanced_accuracy", "mean recall over the classes that occur as labels", false, {},
      [](const ConfusionMatrix& cm, const MetricSpec&, int) { return BalancedAccuracy(cm); });
  add("cohen_kappa", "Cohen's kappa between labels and predictions", false, {},
      [](const ConfusionMatrix& cm, const MetricSpec&, int) { return CohenKappa(cm); });
  add("mcc", "Matthews correlation coefficient", false, {},
      [](const ConfusionMatrix& cm, const MetricSpec&, int) { return Mcc(cm); });
  add("confusion_matrix", "counts by label (rows) and prediction (columns)", false, {},
      [](const ConfusionMatrix& cm, const MetricSpec&, int) {
        return MetricValue::Matrix(cm.ToRows());
      });
  add("support", "rows labelled with the class", true, {},
      [](const ConfusionMatrix& cm, const MetricSpec&, int cls) {
        return MetricValue::Count(cm.RowSum(cls));
      });

  struct ScoreName {
    std::string_view name;
    Score score;
    std::string_view what;
  };
  const ScoreName scores[] = {{"precision", Score::kPrecision, "precision"},
                              {"recall", Score::kRecall, "recall"},
                              {"f1", Score::kF, "F1"},
                              {"fbeta", Score::kF, "F-beta"}};
  struct AverageName {
    std::string_view suffix;
    Average average;
  };
  const AverageName averages[] = {
      {"macro", Average::kMacro}, {"micro", Average::kMicro}, {"weighted", Average::kWeighted}};
  for (const ScoreName& s : scores) {
    bool is_fbeta = s.name == "fbeta";
    std::vector<ParamSpec> params = is_fbeta ? BetaParam() : std::vector<ParamSpec>{};
    Score score = s.score;
    add(std::string(s.name), std::string(s.what) + " of the class", true, params,
        [score, is_fbeta](const ConfusionMatrix& cm, const MetricSpec& spec, int cls) {
          return MetricValue::Number(ClassScore(cm, cls, score, is_fbeta ? Beta(spec) : 1.0));
        });
    for (const AverageName& a : averages) {
      Average average = a.average;
      add(std::string(s.name) + "_" + std::string(a.suffix),
          std::string(s.what) + ", " + std::string(a.suffix) + " average over the classes", false,
          params,
          [score, average, is_fbeta](const ConfusionMatrix& cm, const MetricSpec& spec, int) {
            return AveragedScore(cm, score, average, is_fbeta ? Beta(spec) : 1.0);
          });
    }
  }
  for (auto& metric : metrics) CAIRN_RETURN_IF_ERROR(registry->Register(std::move(metric)));
  return Status::Ok();
}

Status RegisterBuiltinMetrics(MetricRegistry* registry) {
  CAIRN_RETURN_IF_ERROR(RegisterClassificationMetrics(registry));
  CAIRN_RETURN_IF_ERROR(RegisterScoreMetrics(registry));
  return RegisterRegressionMetrics(registry);
}

const MetricRegistry& BuiltinMetrics() {
  static const MetricRegistry* const kRegistry = [] {
    auto* registry = new MetricRegistry();
    Status s = RegisterBuiltinMetrics(registry);
    if (!s.ok()) std::abort();  // two built-in metrics with one name: a bug
    return registry;
  }();
  return *kRegistry;
}

}  // namespace cairn::metrics
