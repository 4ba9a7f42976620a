#include "metrics/classification.h"

#include <algorithm>
#include <array>
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

// Per-class counts of one slice: for multiclass from the confusion matrix (tp = diagonal,
// fp = column rest, fn = row rest, exact = trace), for multilabel from the per-class counts
// (exact = rows whose whole label set was predicted).
struct ClassCounts {
  int64_t rows = 0;
  int64_t exact = 0;
  std::vector<int64_t> tp, fp, fn;
  int num_classes() const { return static_cast<int>(tp.size()); }
  int64_t support(int c) const { return tp[static_cast<size_t>(c)] + fn[static_cast<size_t>(c)]; }
};

ClassCounts CountsOf(const ConfusionMatrix& cm) {
  ClassCounts k;
  k.rows = cm.Total();
  k.exact = cm.Trace();
  for (int c = 0; c < cm.num_classes(); ++c) {
    int64_t tp = cm.at(c, c);
    k.tp.push_back(tp);
    k.fp.push_back(cm.ColumnSum(c) - tp);
    k.fn.push_back(cm.RowSum(c) - tp);
  }
  return k;
}

ClassCounts CountsOf(const MultilabelStats& ml) {
  ClassCounts k;
  k.rows = ml.rows;
  k.exact = ml.exact_match;
  k.tp = ml.tp;
  k.fp = ml.fp;
  k.fn = ml.fn;
  return k;
}

// Computes one value; `cm` is the confusion matrix (null for multilabel), `cls` is the class
// index for per-class metrics and -1 otherwise.
using ConfusionFormula = std::function<MetricValue(
    const ClassCounts& counts, const ConfusionMatrix* cm, const MetricSpec& spec, int cls)>;

// A metric computed from the confusion matrix of its slice (or, for multilabel tasks when
// `multilabel` is set, from the per-class counts).
class ConfusionMetric final : public Metric {
 public:
  ConfusionMetric(std::string name, std::string summary, bool per_class,
                  std::vector<ParamSpec> params, ConfusionFormula formula, bool multilabel)
      : name_(std::move(name)),
        summary_(std::move(summary)),
        per_class_(per_class),
        params_(std::move(params)),
        formula_(std::move(formula)),
        multilabel_(multilabel) {}

  std::string_view name() const override { return name_; }
  std::string_view summary() const override { return summary_; }
  std::vector<InputRole> inputs() const override {
    return {InputRole::kLabel, InputRole::kPrediction};
  }
  std::vector<Intermediate> dependencies() const override {
    return {Intermediate::kConfusionMatrix};
  }
  std::vector<Intermediate> multilabel_dependencies() const override {
    if (!multilabel_) return {};
    return {Intermediate::kMultilabel};
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
    ClassCounts counts =
        ctx.multilabel != nullptr ? CountsOf(*ctx.multilabel) : CountsOf(*ctx.confusion_matrix);
    out->emplace_back(spec.Key(), formula_(counts, ctx.confusion_matrix, spec, cls));
  }

 private:
  std::string name_;
  std::string summary_;
  bool per_class_;
  std::vector<ParamSpec> params_;
  ConfusionFormula formula_;
  bool multilabel_;
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

double ClassScore(const ClassCounts& k, int cls, Score score, double beta) {
  size_t c = static_cast<size_t>(cls);
  int64_t tp = k.tp[c];
  double precision = Ratio(tp, tp + k.fp[c]);
  double recall = Ratio(tp, tp + k.fn[c]);
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

// The averaged score over all classes; null over zero rows.
MetricValue AveragedScore(const ClassCounts& k, Score score, Average average, double beta) {
  if (k.rows == 0) return MetricValue::Null(std::string(kNoRows));
  int n = k.num_classes();
  switch (average) {
    case Average::kMicro: {
      int64_t tp = 0;
      int64_t predicted = 0;
      int64_t labelled = 0;
      for (int c = 0; c < n; ++c) {
        tp += k.tp[static_cast<size_t>(c)];
        predicted += k.tp[static_cast<size_t>(c)] + k.fp[static_cast<size_t>(c)];
        labelled += k.support(c);
      }
      double precision = Ratio(tp, predicted);
      double recall = Ratio(tp, labelled);
      if (score == Score::kPrecision) return MetricValue::Number(precision);
      if (score == Score::kRecall) return MetricValue::Number(recall);
      return MetricValue::Number(FBeta(precision, recall, beta));
    }
    case Average::kMacro: {
      double sum = 0;
      for (int c = 0; c < n; ++c) sum += ClassScore(k, c, score, beta);
      return MetricValue::Number(n == 0 ? 0.0 : sum / n);
    }
    case Average::kWeighted: {
      double sum = 0;
      int64_t weight = 0;
      for (int c = 0; c < n; ++c) {
        sum += ClassScore(k, c, score, beta) * static_cast<double>(k.support(c));
        weight += k.support(c);
      }
      return MetricValue::Number(weight == 0 ? 0.0 : sum / static_cast<double>(weight));
    }
  }
  return MetricValue::Null("unknown average");
}

// Jaccard index of one class: tp / (tp + fp + fn), 0 when nothing is labelled or predicted.
double ClassJaccard(const ClassCounts& k, int cls) {
  size_t c = static_cast<size_t>(cls);
  return Ratio(k.tp[c], k.tp[c] + k.fp[c] + k.fn[c]);
}

MetricValue AveragedJaccard(const ClassCounts& k, Average average) {
  if (k.rows == 0) return MetricValue::Null(std::string(kNoRows));
  int n = k.num_classes();
  double sum = 0;
  int64_t tp = 0;
  int64_t all = 0;
  int64_t weight = 0;
  for (int c = 0; c < n; ++c) {
    size_t i = static_cast<size_t>(c);
    double j = ClassJaccard(k, c);
    tp += k.tp[i];
    all += k.tp[i] + k.fp[i] + k.fn[i];
    if (average == Average::kWeighted) {
      sum += j * static_cast<double>(k.support(c));
      weight += k.support(c);
    } else {
      sum += j;
    }
  }
  switch (average) {
    case Average::kMicro:
      return MetricValue::Number(Ratio(tp, all));
    case Average::kMacro:
      return MetricValue::Number(n == 0 ? 0.0 : sum / n);
    case Average::kWeighted:
      return MetricValue::Number(weight == 0 ? 0.0 : sum / static_cast<double>(weight));
  }
  return MetricValue::Null("unknown average");
}

double Beta(const MetricSpec& spec) { return spec.params.at("beta"); }

// Multiclass: the fraction of rows predicted right; multilabel: of rows whose whole label set
// was predicted (subset accuracy).
MetricValue Accuracy(const ClassCounts& k) {
  if (k.rows == 0) return MetricValue::Null(std::string(kNoRows));
  return MetricValue::Number(Ratio(k.exact, k.rows));
}

// The fraction of (row, class) decisions that are wrong; multiclass: 1 - accuracy.
MetricValue HammingLoss(const ClassCounts& k, const ConfusionMatrix* cm) {
  if (k.rows == 0) return MetricValue::Null(std::string(kNoRows));
  if (cm != nullptr) return MetricValue::Number(Ratio(k.rows - k.exact, k.rows));
  int64_t wrong = 0;
  for (int c = 0; c < k.num_classes(); ++c) {
    wrong += k.fp[static_cast<size_t>(c)] + k.fn[static_cast<size_t>(c)];
  }
  return MetricValue::Number(Ratio(wrong, k.rows * k.num_classes()));
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

// Samples average over the rows' (tp, fp, fn) counts (multilabel): the mean per-row score,
// with scikit-learn's zero_division=0.
MetricValue SamplesScore(const MultilabelStats& ml,
                         const std::function<double(const std::array<int64_t, 3>&)>& score) {
  if (ml.rows == 0) return MetricValue::Null(std::string(kNoRows));
  double sum = 0;
  for (const auto& [counts, rows] : ml.row_counts) sum += score(counts) * static_cast<double>(rows);
  return MetricValue::Number(sum / static_cast<double>(ml.rows));
}

namespace {

// A multilabel-only metric averaged over rows ("samples" in scikit-learn).
class SamplesMetric final : public Metric {
 public:
  using Formula = std::function<double(const std::array<int64_t, 3>& tp_fp_fn, double beta)>;
  SamplesMetric(std::string name, std::string summary, bool beta, Formula f)
      : name_(std::move(name)), summary_(std::move(summary)), beta_(beta), f_(std::move(f)) {}
  std::string_view name() const override { return name_; }
  std::string_view summary() const override { return summary_; }
  std::vector<InputRole> inputs() const override {
    return {InputRole::kLabel, InputRole::kPrediction};
  }
  std::vector<Intermediate> dependencies() const override { return {Intermediate::kMultilabel}; }
  std::vector<Intermediate> multilabel_dependencies() const override {
    return {Intermediate::kMultilabel};
  }
  std::vector<ParamSpec> params() const override {
    return beta_ ? BetaParam() : std::vector<ParamSpec>{};
  }
  void Compute(const MetricSpec& spec, const MetricContext& ctx,
               std::vector<std::pair<std::string, MetricValue>>* out) const override {
    double beta = beta_ ? Beta(spec) : 1.0;
    out->emplace_back(spec.Key(),
                      SamplesScore(*ctx.multilabel, [&](const auto& k) { return f_(k, beta); }));
  }

 private:
  std::string name_;
  std::string summary_;
  bool beta_;
  Formula f_;
};

Status RegisterSamplesMetrics(MetricRegistry* registry) {
  auto precision = [](const std::array<int64_t, 3>& k) { return Ratio(k[0], k[0] + k[1]); };
  auto recall = [](const std::array<int64_t, 3>& k) { return Ratio(k[0], k[0] + k[2]); };
  std::vector<std::unique_ptr<Metric>> metrics;
  metrics.push_back(std::make_unique<SamplesMetric>(
      "precision_samples", "precision of each row's predicted labels, averaged over rows", false,
      [=](const auto& k, double) { return precision(k); }));
  metrics.push_back(std::make_unique<SamplesMetric>(
      "recall_samples", "recall of each row's labels, averaged over rows", false,
      [=](const auto& k, double) { return recall(k); }));
  metrics.push_back(std::make_unique<SamplesMetric>(
      "f1_samples", "F1 of each row, averaged over rows", false,
      [=](const auto& k, double) { return FBeta(precision(k), recall(k), 1.0); }));
  metrics.push_back(std::make_unique<SamplesMetric>(
      "fbeta_samples", "F-beta of each row, averaged over rows", true,
      [=](const auto& k, double beta) { return FBeta(precision(k), recall(k), beta); }));
  metrics.push_back(std::make_unique<SamplesMetric>(
      "jaccard_samples", "Jaccard index of each row's label sets, averaged over rows", false,
      [](const auto& k, double) { return Ratio(k[0], k[0] + k[1] + k[2]); }));
  for (auto& metric : metrics) CAIRN_RETURN_IF_ERROR(registry->Register(std::move(metric)));
  return Status::Ok();
}

}  // namespace

Status RegisterClassificationMetrics(MetricRegistry* registry) {
  std::vector<std::unique_ptr<Metric>> metrics;
  // `multilabel`: also defined for multilabel tasks (from per-class counts).
  auto add = [&](std::string name, std::string summary, bool per_class,
                 std::vector<ParamSpec> params, bool multilabel, ConfusionFormula formula) {
    metrics.push_back(std::make_unique<ConfusionMetric>(std::move(name), std::move(summary),
                                                        per_class, std::move(params),
                                                        std::move(formula), multilabel));
  };
  add("accuracy", "fraction of rows predicted correctly (multilabel: the whole label set)", false,
      {}, true, [](const ClassCounts& k, const ConfusionMatrix*, const MetricSpec&, int) {
        return Accuracy(k);
      });
  add("hamming_loss", "fraction of wrong (row, class) decisions (multiclass: 1 - accuracy)", false,
      {}, true, [](const ClassCounts& k, const ConfusionMatrix* cm, const MetricSpec&, int) {
        return HammingLoss(k, cm);
      });
  add("balanced_accuracy", "mean recall over the classes that occur as labels", false, {}, false,
      [](const ClassCounts&, const ConfusionMatrix* cm, const MetricSpec&, int) {
        return BalancedAccuracy(*cm);
      });
  add("cohen_kappa", "Cohen's kappa between labels and predictions", false, {}, false,
      [](const ClassCounts&, const ConfusionMatrix* cm, const MetricSpec&, int) {
        return CohenKappa(*cm);
      });
  add("mcc", "Matthews correlation coefficient", false, {}, false,
      [](const ClassCounts&, const ConfusionMatrix* cm, const MetricSpec&, int) {
        return Mcc(*cm);
      });
  add("confusion_matrix", "counts by label (rows) and prediction (columns)", false, {}, false,
      [](const ClassCounts&, const ConfusionMatrix* cm, const MetricSpec&, int) {
        return MetricValue::Matrix(cm->ToRows());
      });
  add("support", "rows labelled with the class", true, {}, true,
      [](const ClassCounts& k, const ConfusionMatrix*, const MetricSpec&, int cls) {
        return MetricValue::Count(k.support(cls));
      });
  add("jaccard", "Jaccard index of the class: tp / (tp + fp + fn)", true, {}, true,
      [](const ClassCounts& k, const ConfusionMatrix*, const MetricSpec&, int cls) {
        return MetricValue::Number(ClassJaccard(k, cls));
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
  for (const AverageName& a : averages) {
    Average average = a.average;
    add("jaccard_" + std::string(a.suffix),
        "Jaccard index, " + std::string(a.suffix) + " average over the classes", false, {}, true,
        [average](const ClassCounts& k, const ConfusionMatrix*, const MetricSpec&, int) {
          return AveragedJaccard(k, average);
        });
  }
  for (const ScoreName& s : scores) {
    bool is_fbeta = s.name == "fbeta";
    std::vector<ParamSpec> params = is_fbeta ? BetaParam() : std::vector<ParamSpec>{};
    Score score = s.score;
    add(std::string(s.name), std::string(s.what) + " of the class", true, params, true,
        [score, is_fbeta](const ClassCounts& k, const ConfusionMatrix*, const MetricSpec& spec,
                          int cls) {
          return MetricValue::Number(ClassScore(k, cls, score, is_fbeta ? Beta(spec) : 1.0));
        });
    for (const AverageName& a : averages) {
      Average average = a.average;
      add(std::string(s.name) + "_" + std::string(a.suffix),
          std::string(s.what) + ", " + std::string(a.suffix) + " average over the classes", false,
          params, true,
          [score, average, is_fbeta](const ClassCounts& k, const ConfusionMatrix*,
                                     const MetricSpec& spec, int) {
            return AveragedScore(k, score, average, is_fbeta ? Beta(spec) : 1.0);
          });
    }
  }
  for (auto& metric : metrics) CAIRN_RETURN_IF_ERROR(registry->Register(std::move(metric)));
  return RegisterSamplesMetrics(registry);
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
