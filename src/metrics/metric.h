#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "metrics/confusion_matrix.h"
#include "metrics/intermediates.h"

namespace cairn::metrics {

/// One named series of a curve (`recall`, `precision`, `count` ...). NaN marks a point without
/// a value (an empty calibration bin); it is written as null.
struct CurveSeries {
  std::string name;
  std::vector<double> values;
  bool operator==(const CurveSeries& o) const;
};

/// The value of one named metric output for one slice: a number, an integer count, a matrix
/// of counts, a curve (parallel named series, e.g. recall and precision), or null with a
/// reason (a metric undefined on this slice; never NaN).
struct MetricValue {
  enum class Kind : uint8_t { kNumber, kCount, kMatrix, kCurve, kNull };
  Kind kind = Kind::kNull;
  double number = 0;
  int64_t count = 0;
  std::vector<std::vector<int64_t>> matrix;  // rows = true class, columns = predicted class
  std::vector<CurveSeries> curve;            // all series have the same length
  std::string reason;                        // why the value is null

  static MetricValue Number(double v);
  static MetricValue Count(int64_t v);
  static MetricValue Matrix(std::vector<std::vector<int64_t>> m);
  static MetricValue Curve(std::vector<CurveSeries> series);
  static MetricValue Null(std::string reason);
  bool operator==(const MetricValue& o) const;
};

/// One requested metric, parsed from its text form
///   NAME [ "(" PARAM "=" NUMBER { "," PARAM "=" NUMBER } ")" ] [ "[" CLASS "]" ]
/// e.g. `accuracy`, `f1_macro`, `precision[car]`, `fbeta_weighted(beta=2)`,
/// `fbeta(beta=0.5)[car]`.
struct MetricSpec {
  std::string name;
  std::map<std::string, double> params;
  std::optional<std::string> class_name;

  /// The canonical text: numbers in shortest round-trip form, parameters sorted by name.
  /// This is the key of the output (`fbeta(beta=2)[car]`).
  std::string Key() const;
};

/// Parses the text form above; kInvalidArgument naming the text on a syntax error.
Result<MetricSpec> ParseMetricSpec(std::string_view text);

/// Splits a comma-separated list of metric texts, keeping commas inside parentheses and
/// brackets (`fbeta_macro(beta=2),accuracy`); empty items are an error.
Result<std::vector<std::string>> SplitMetricList(std::string_view text);

/// Intermediates shared by metrics. Each is computed once per slice, whatever the number of
/// metrics that read it.
enum class Intermediate : uint8_t {
  kConfusionMatrix,  // classification: counts of (label, predicted class)
  kRanking,          // classification scores: per-class rankings (ROC AUC, AP, curves)
  kProbability,      // classification scores: log loss, Brier, calibration, top-k ranks
  kRegression,       // regression: error sums, median absolute error, deviations
};

/// "confusion_matrix", "ranking", "probability", "regression".
std::string_view IntermediateName(Intermediate i);

/// The columns a metric reads, by role; the evaluation maps roles to column names.
enum class InputRole : uint8_t {
  kLabel,       // the true class, or the true value for regression
  kPrediction,  // the predicted class, or the predicted value for regression
  kScores,      // per-class scores (probabilities), or the positive class's for binary
};

/// What a metric computes from: the class list and the intermediates it declared, computed
/// for one slice. Pointers are null for intermediates no planned metric declared.
struct MetricContext {
  const std::vector<std::string>* classes = nullptr;
  /// Binary evaluations: the index of the positive class in `classes`; -1 otherwise.
  int positive_class = -1;
  const ConfusionMatrix* confusion_matrix = nullptr;
  const RankingStats* ranking = nullptr;
  const ProbabilityStats* probability = nullptr;
  const RegressionStats* regression = nullptr;
};

/// Parameters a metric accepts.
struct ParamSpec {
  std::string name;
  std::optional<double> default_value;  // nullopt: required
  std::string help;
};

/// A metric plugin. It declares its name, the input columns it reads and the intermediates
/// it depends on, and computes its outputs from those intermediates for one slice. Metrics
/// are stateless and thread-safe; all state lives in the intermediates, which merge.
class Metric {
 public:
  virtual ~Metric() = default;
  /// The name users request (`f1_macro`); unique in a registry.
  virtual std::string_view name() const = 0;
  /// One line for listings.
  virtual std::string_view summary() const = 0;
  virtual std::vector<InputRole> inputs() const = 0;
  virtual std::vector<Intermediate> dependencies() const = 0;
  virtual std::vector<ParamSpec> params() const { return {}; }
  /// Whether a larger value is better (accuracy) or worse (log_loss, mse); comparisons of
  /// two evaluations use it to tell regressions from improvements.
  virtual bool higher_is_better() const { return true; }
  /// True if the metric has one value per class: `precision[car]` asks for one class and
  /// `precision` for all of them (keys `precision[bike]`, `precision[car]`, ...).
  virtual bool per_class() const { return false; }
  /// For a per-class metric: true if a request without a class is one aggregate value
  /// (`roc_auc` is the macro average, `roc_auc[car]` one class) rather than one output per
  /// class; Compute then gets a spec without class_name.
  virtual bool aggregate_without_class() const { return false; }
  /// Appends (key, value) outputs for `spec` (parameters already checked and defaulted; for a
  /// per-class metric, class_name is set and names a class in ctx.classes).
  virtual void Compute(const MetricSpec& spec, const MetricContext& ctx,
                       std::vector<std::pair<std::string, MetricValue>>* out) const = 0;
};

/// Metrics by name. Not thread-safe for Register; concurrent lookups are fine.
class MetricRegistry {
 public:
  /// Adds `metric`; kAlreadyExists if its name is taken.
  Status Register(std::unique_ptr<Metric> metric);
  /// The metric called `name`, or nullptr.
  const Metric* Find(std::string_view name) const;
  /// All names, sorted.
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, std::unique_ptr<Metric>, std::less<>> metrics_;
};

/// The registry holding every built-in metric (built once, thread-safe to use).
const MetricRegistry& BuiltinMetrics();

/// Registers every built-in metric in `registry` (to extend it with plugins).
Status RegisterBuiltinMetrics(MetricRegistry* registry);

/// One requested metric, resolved.
struct PlannedMetric {
  MetricSpec spec;  // parameters defaulted
  const Metric* metric = nullptr;
  /// Computed only because a formula reads it; not part of the output.
  bool hidden = false;
};

class FormulaSet;

/// What an evaluation computes: the metrics in request order (duplicates removed), then the
/// metrics formulas read that were not requested (hidden), each intermediate they depend on,
/// once, and the formulas.
struct Plan {
  std::vector<PlannedMetric> metrics;
  std::vector<Intermediate> intermediates;
  std::vector<InputRole> inputs;
  /// The canonical keys of the requested metrics, in order (what a saved state records).
  std::vector<std::string> requests;
  /// Formula metrics as (name, text), in definition order; computed after the metrics and
  /// output after them.
  std::vector<std::pair<std::string, std::string>> formula_texts;
  std::shared_ptr<const FormulaSet> formulas;
  /// A formula's reference as written -> the canonical key of the output it reads.
  std::map<std::string, std::string> formula_inputs;

  bool Needs(Intermediate i) const;
};

/// Resolves `requests` (metric texts) and `formulas` ((name, text) pairs) against
/// `registry`. Errors (kInvalidArgument): a syntax error, an unknown name (the message lists
/// the known names), an unknown or missing parameter, a class selector on a metric that has
/// no per-class values, no metric at all; for formulas, a formula error (see ParseFormulas),
/// a formula named like a metric, a reference to an unknown metric or to a per-class metric
/// without a class.
Result<Plan> MakePlan(const MetricRegistry& registry, const std::vector<std::string>& requests,
                      const std::vector<std::pair<std::string, std::string>>& formulas = {});

/// Computes the outputs of every planned metric for one slice, in plan order. A per-class
/// metric without a class selector expands to one output per class; a selector naming a
/// class outside `classes` is kInvalidArgument.
Result<std::vector<std::pair<std::string, MetricValue>>> ComputeMetrics(const Plan& plan,
                                                                        const MetricContext& ctx);

}  // namespace cairn::metrics
