#include "metrics/score_metrics.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cairn::metrics {
namespace {

using Outputs = std::vector<std::pair<std::string, MetricValue>>;
using ComputeFn =
    std::function<void(const MetricSpec& spec, const MetricContext& ctx, int cls, Outputs* out)>;

// A metric defined by a function of the slice's intermediates.
class FunctionMetric final : public Metric {
 public:
  struct Def {
    std::string name;
    std::string summary;
    std::vector<InputRole> inputs;
    std::vector<Intermediate> dependencies;
    std::vector<ParamSpec> params;
    bool per_class = false;
    bool aggregate = false;
    bool higher_is_better = true;
    ComputeFn fn;
  };
  explicit FunctionMetric(Def def) : def_(std::move(def)) {}

  std::string_view name() const override { return def_.name; }
  std::string_view summary() const override { return def_.summary; }
  std::vector<InputRole> inputs() const override { return def_.inputs; }
  std::vector<Intermediate> dependencies() const override { return def_.dependencies; }
  std::vector<ParamSpec> params() const override { return def_.params; }
  bool per_class() const override { return def_.per_class; }
  bool aggregate_without_class() const override { return def_.aggregate; }
  bool higher_is_better() const override { return def_.higher_is_better; }
  void Compute(const MetricSpec& spec, const MetricContext& ctx, Outputs* out) const override {
    int cls = -1;
    if (spec.class_name) {
      const std::vector<std::string>& classes = *ctx.classes;
      cls = static_cast<int>(std::find(classes.begin(), classes.end(), *spec.class_name) -
                             classes.begin());
    }
    def_.fn(spec, ctx, cls, out);
  }

 private:
  Def def_;
};

constexpr std::string_view kNoRows = "no rows";

// ROC AUC of one class against the rest, or null with the reason.
MetricValue ClassAuc(const RankingStats& r, int cls, const std::string& class_name) {
  const auto& c = r.classes[static_cast<size_t>(cls)];
  if (!c) return MetricValue::Null("undefined: class '" + class_name + "' is not ranked");
  if (c->positives == 0 || c->negatives == 0) {
    return MetricValue::Null(std::string("undefined: ") +
                             (c->positives == 0 ? "no rows labelled '" : "only rows labelled '") +
                             class_name + "'");
  }
  double area = static_cast<double>(c->auc_twice) /
                (2.0 * static_cast<double>(c->positives) * static_cast<double>(c->negatives));
  return MetricValue::Number(area);
}

MetricValue ClassAp(const RankingStats& r, int cls, const std::string& class_name) {
  const auto& c = r.classes[static_cast<size_t>(cls)];
  if (!c) return MetricValue::Null("undefined: class '" + class_name + "' is not ranked");
  if (c->positives == 0) {
    return MetricValue::Null("undefined: no rows labelled '" + class_name + "'");
  }
  return MetricValue::Number(c->average_precision);
}

// roc_auc / average_precision: one class, the positive class (binary) or the macro average
// over the classes that occur as labels (multiclass).
void RankingScore(bool auc, const MetricContext& ctx, int cls, const std::string& key,
                  Outputs* out) {
  const RankingStats& r = *ctx.ranking;
  const std::vector<std::string>& classes = *ctx.classes;
  auto one = [&](int c) {
    return auc ? ClassAuc(r, c, classes[static_cast<size_t>(c)])
               : ClassAp(r, c, classes[static_cast<size_t>(c)]);
  };
  if (cls >= 0) {
    out->emplace_back(key, one(cls));
    return;
  }
  if (r.positive_class >= 0) {
    out->emplace_back(key, one(r.positive_class));
    return;
  }
  double sum = 0;
  int count = 0;
  for (size_t c = 0; c < r.classes.size(); ++c) {
    if (!r.classes[c] || r.classes[c]->positives == 0) continue;  // absent from the labels
    MetricValue v = one(static_cast<int>(c));
    if (v.kind == MetricValue::Kind::kNull) {
      out->emplace_back(key, std::move(v));
      return;
    }
    sum += v.number;
    ++count;
  }
  if (count == 0) {
    out->emplace_back(key, MetricValue::Null(std::string("undefined: ") + std::string(kNoRows)));
    return;
  }
  out->emplace_back(key, MetricValue::Number(sum / count));
}

std::vector<double> Levels() {
  std::vector<double> levels(101);
  for (int i = 0; i <= 100; ++i) levels[static_cast<size_t>(i)] = i / 100.0;
  return levels;
}

// pr_curve / roc_curve of one class, or of each (the positive class for binary).
void Curve(bool pr, const MetricSpec& spec, const MetricContext& ctx, int cls, Outputs* out) {
  const RankingStats& r = *ctx.ranking;
  const std::vector<std::string>& classes = *ctx.classes;
  auto one = [&](int c) -> MetricValue {
    const auto& cr = r.classes[static_cast<size_t>(c)];
    if (!cr || cr->positives == 0) {
      return MetricValue::Null("undefined: no rows labelled '" + classes[static_cast<size_t>(c)] +
                               "'");
    }
    if (pr) {
      return MetricValue::Curve({{"recall", Levels()}, {"precision", cr->pr_precision}});
    }
    if (cr->negatives == 0) {
      return MetricValue::Null("undefined: only rows labelled '" + classes[static_cast<size_t>(c)] +
                               "'");
    }
    return MetricValue::Curve({{"fpr", Levels()}, {"tpr", cr->roc_tpr}});
  };
  if (cls >= 0) {
    out->emplace_back(spec.Key(), one(cls));
    return;
  }
  if (r.positive_class >= 0) {
    out->emplace_back(spec.Key(), one(r.positive_class));
    return;
  }
  for (size_t c = 0; c < classes.size(); ++c) {
    MetricSpec each = spec;
    each.class_name = classes[c];
    out->emplace_back(each.Key(), one(static_cast<int>(c)));
  }
}

MetricValue Mean(double sum, int64_t rows) {
  if (rows == 0) return MetricValue::Null(std::string("undefined: ") + std::string(kNoRows));
  return MetricValue::Number(sum / static_cast<double>(rows));
}

int IntParam(const MetricSpec& spec, const char* name) {
  return static_cast<int>(spec.params.at(name));
}

Status CheckPositiveInt(const MetricSpec& spec, const char* name) {
  double v = spec.params.at(name);
  if (v < 1 || v != std::floor(v) || v > 100000) {
    return Status::InvalidArgument("metric '" + spec.Key() + "': " + name +
                                   " must be a whole number from 1 to 100000");
  }
  return Status::Ok();
}

}  // namespace

Status RegisterScoreMetrics(MetricRegistry* registry) {
  using Def = FunctionMetric::Def;
  const std::vector<InputRole> scores_in = {InputRole::kLabel, InputRole::kScores};
  std::vector<Def> defs;
  for (bool auc : {true, false}) {
    Def d;
    d.name = auc ? "roc_auc" : "average_precision";
    d.summary = auc ? "area under the ROC curve (binary: positive class; multiclass: "
                      "one-vs-rest macro average; [CLASS]: one class)"
                    : "average precision (binary: positive class; multiclass: one-vs-rest macro "
                      "average; [CLASS]: one class)";
    d.inputs = scores_in;
    d.dependencies = {Intermediate::kRanking};
    d.per_class = true;
    d.aggregate = true;
    d.fn = [auc](const MetricSpec& spec, const MetricContext& ctx, int cls, Outputs* out) {
      RankingScore(auc, ctx, cls, spec.Key(), out);
    };
    defs.push_back(std::move(d));
  }
  for (bool pr : {true, false}) {
    Def d;
    d.name = pr ? "pr_curve" : "roc_curve";
    d.summary = pr ? "precision at recall 0, 0.01, ..., 1 (interpolated: best at or beyond)"
                   : "true positive rate at false positive rate 0, 0.01, ..., 1";
    d.inputs = scores_in;
    d.dependencies = {Intermediate::kRanking};
    d.per_class = true;
    d.aggregate = true;
    d.fn = [pr](const MetricSpec& spec, const MetricContext& ctx, int cls, Outputs* out) {
      Curve(pr, spec, ctx, cls, out);
    };
    defs.push_back(std::move(d));
  }
  {
    Def d;
    d.name = "log_loss";
    d.summary = "mean negative log-likelihood of the label (scores clipped to [eps, 1-eps])";
    d.inputs = scores_in;
    d.dependencies = {Intermediate::kProbability};
    d.higher_is_better = false;
    d.fn = [](const MetricSpec& spec, const MetricContext& ctx, int, Outputs* out) {
      const ProbabilityStats& p = *ctx.probability;
      out->emplace_back(spec.Key(), Mean(p.log_loss_sum, p.rows));
    };
    defs.push_back(std::move(d));
  }
  {
    Def d;
    d.name = "brier";
    d.summary = "mean squared error of the scores (binary: of the positive class's score)";
    d.inputs = scores_in;
    d.dependencies = {Intermediate::kProbability};
    d.higher_is_better = false;
    d.fn = [](const MetricSpec& spec, const MetricContext& ctx, int, Outputs* out) {
      const ProbabilityStats& p = *ctx.probability;
      out->emplace_back(spec.Key(), Mean(p.brier_sum, p.rows));
    };
    defs.push_back(std::move(d));
  }
  {
    Def d;
    d.name = "top_k_accuracy";
    d.summary = "fraction of rows whose label is among the k best-scored classes";
    d.inputs = scores_in;
    d.dependencies = {Intermediate::kProbability};
    d.params = {{"k", 2.0, "how many top-scored classes count as a hit"}};
    d.fn = [](const MetricSpec& spec, const MetricContext& ctx, int, Outputs* out) {
      const ProbabilityStats& p = *ctx.probability;
      Status s = CheckPositiveInt(spec, "k");
      if (!s.ok()) {
        out->emplace_back(spec.Key(), MetricValue::Null(std::string(s.message())));
        return;
      }
      int k = IntParam(spec, "k");
      int64_t hits = 0;
      if (ctx.positive_class >= 0) {
        hits = k >= 2 ? p.rows : p.binary_threshold_hits;
      } else {
        for (size_t r = 0; r < p.rank_counts.size() && static_cast<int>(r) < k; ++r) {
          hits += p.rank_counts[r];
        }
      }
      out->emplace_back(spec.Key(), Mean(static_cast<double>(hits), p.rows));
    };
    defs.push_back(std::move(d));
  }
  for (bool ece : {true, false}) {
    Def d;
    d.name = ece ? "ece" : "calibration";
    d.summary = ece ? "expected calibration error of the top-class confidence over equal-width "
                      "bins"
                    : "reliability diagram: per confidence bin, rows, mean confidence, accuracy";
    d.inputs = scores_in;
    d.dependencies = {Intermediate::kProbability};
    d.params = {{"bins", ece ? 15.0 : 10.0, "number of equal-width confidence bins"}};
    d.higher_is_better = !ece;
    d.fn = [ece](const MetricSpec& spec, const MetricContext& ctx, int, Outputs* out) {
      const ProbabilityStats& p = *ctx.probability;
      Status s = CheckPositiveInt(spec, "bins");
      if (!s.ok()) {
        out->emplace_back(spec.Key(), MetricValue::Null(std::string(s.message())));
        return;
      }
      const std::vector<CalibrationBin>& bins = p.calibration.at(IntParam(spec, "bins"));
      if (ece) {
        if (p.rows == 0) {
          out->emplace_back(spec.Key(), Mean(0, 0));
          return;
        }
        double total = 0;
        for (const CalibrationBin& b : bins) {
          if (b.count == 0) continue;
          double n = static_cast<double>(b.count);
          total += n / static_cast<double>(p.rows) *
                   std::fabs(static_cast<double>(b.correct) / n - b.confidence_sum / n);
        }
        out->emplace_back(spec.Key(), MetricValue::Number(total));
        return;
      }
      size_t nb = bins.size();
      std::vector<double> lower(nb), upper(nb), count(nb), confidence(nb), accuracy(nb);
      for (size_t i = 0; i < nb; ++i) {
        lower[i] = static_cast<double>(i) / static_cast<double>(nb);
        upper[i] = static_cast<double>(i + 1) / static_cast<double>(nb);
        double n = static_cast<double>(bins[i].count);
        count[i] = n;
        confidence[i] = bins[i].count == 0 ? std::nan("") : bins[i].confidence_sum / n;
        accuracy[i] = bins[i].count == 0 ? std::nan("") : static_cast<double>(bins[i].correct) / n;
      }
      out->emplace_back(spec.Key(), MetricValue::Curve({{"bin_lower", lower},
                                                        {"bin_upper", upper},
                                                        {"count", count},
                                                        {"confidence", confidence},
                                                        {"accuracy", accuracy}}));
    };
    defs.push_back(std::move(d));
  }
  for (Def& d : defs) {
    CAIRN_RETURN_IF_ERROR(registry->Register(std::make_unique<FunctionMetric>(std::move(d))));
  }
  return Status::Ok();
}

Status RegisterRegressionMetrics(MetricRegistry* registry) {
  using Def = FunctionMetric::Def;
  using Formula = std::function<MetricValue(const RegressionStats& r)>;
  std::vector<Def> defs;
  auto add = [&](std::string name, std::string summary, bool higher_is_better, Formula f) {
    Def d;
    d.name = std::move(name);
    d.summary = std::move(summary);
    d.inputs = {InputRole::kLabel, InputRole::kPrediction};
    d.dependencies = {Intermediate::kRegression};
    d.higher_is_better = higher_is_better;
    d.fn = [f = std::move(f)](const MetricSpec& spec, const MetricContext& ctx, int, Outputs* out) {
      out->emplace_back(spec.Key(), f(*ctx.regression));
    };
    defs.push_back(std::move(d));
  };
  add("mae", "mean absolute error", false,
      [](const RegressionStats& r) { return Mean(r.sum_abs_error, r.rows); });
  add("mse", "mean squared error", false,
      [](const RegressionStats& r) { return Mean(r.sum_squared_error, r.rows); });
  add("rmse", "root mean squared error", false, [](const RegressionStats& r) {
    MetricValue v = Mean(r.sum_squared_error, r.rows);
    if (v.kind == MetricValue::Kind::kNumber) v.number = std::sqrt(v.number);
    return v;
  });
  add("mape",
      "mean absolute percentage error (a fraction; |label| below epsilon counts as epsilon)", false,
      [](const RegressionStats& r) { return Mean(r.sum_abs_percentage_error, r.rows); });
  add("median_ae", "median absolute error", false, [](const RegressionStats& r) {
    if (r.rows == 0) return Mean(0, 0);
    return MetricValue::Number(r.median_abs_error);
  });
  add("max_error", "largest absolute error", false, [](const RegressionStats& r) {
    if (r.rows == 0) return Mean(0, 0);
    return MetricValue::Number(r.max_abs_error);
  });
  // r2 and explained_variance follow scikit-learn's force_finite: a constant label gives 1
  // for a perfect prediction and 0 otherwise.
  add("r2", "coefficient of determination", true, [](const RegressionStats& r) {
    if (r.rows < 2) return MetricValue::Null("undefined: fewer than two rows");
    if (r.sum_squared_deviation == 0) {
      return MetricValue::Number(r.sum_squared_error == 0 ? 1.0 : 0.0);
    }
    return MetricValue::Number(1 - r.sum_squared_error / r.sum_squared_deviation);
  });
  add("explained_variance", "explained variance score", true, [](const RegressionStats& r) {
    if (r.rows == 0) return Mean(0, 0);
    double n = static_cast<double>(r.rows);
    double numerator = r.sum_squared_error_deviation / n;
    double denominator = r.sum_squared_deviation / n;
    if (denominator == 0) return MetricValue::Number(numerator == 0 ? 1.0 : 0.0);
    return MetricValue::Number(1 - numerator / denominator);
  });
  for (Def& d : defs) {
    CAIRN_RETURN_IF_ERROR(registry->Register(std::make_unique<FunctionMetric>(std::move(d))));
  }
  return Status::Ok();
}

}  // namespace cairn::metrics
