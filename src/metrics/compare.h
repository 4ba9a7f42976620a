#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "metrics/result.h"

namespace cairn::metrics {

/// How one metric of one slice moved from the baseline to the candidate.
enum class Verdict : uint8_t {
  kUnchanged,        // both numbers, equal; or both null
  kImproved,         // moved in the metric's good direction
  kRegressed,        // moved in the bad direction by more than the tolerance
  kWithinTolerance,  // moved in the bad direction by at most the tolerance
  kChanged,          // a count (support) that differs: counts have no direction
  kBecameNull,       // a number in the baseline, null in the candidate (counts as a regression)
  kBecameNumber,     // null in the baseline, a number in the candidate
  kOnlyInBaseline,   // the candidate's slice lacks this metric
  kOnlyInCandidate,  // the baseline's slice lacks this metric
};

/// "unchanged", "improved", "regressed", "within tolerance", "changed", "became null",
/// "became number", "only in baseline", "only in candidate".
std::string_view VerdictName(Verdict v);

/// Whether a larger value of the output `key` is better: the Metric of the key's base name
/// (`fbeta(beta=2)[car]` -> `fbeta`) in `registry` (null: BuiltinMetrics()) decides; names
/// it does not know are higher-is-better.
bool HigherIsBetter(std::string_view key, const MetricRegistry* registry = nullptr);

/// The base metric name of an output key: the text before the first '(' or '['.
std::string_view MetricBaseName(std::string_view key);

/// Options for CompareEvaluations.
struct CompareOptions {
  /// A worsening by at most this much (absolute, in the metric's unit) is kWithinTolerance
  /// instead of kRegressed. 0: any worsening is a regression.
  double tolerance = 0;
  /// Where metric directions are looked up; null: BuiltinMetrics().
  const MetricRegistry* registry = nullptr;
};

/// One metric (a number, a count or a null) of one slice on both sides. Matrices and curves
/// are not compared: their scalar summaries are.
struct MetricComparison {
  std::string slicing;  // "" for the whole input
  std::string slice;    // slice key; "" for the whole input
  std::string metric;   // output key
  /// The values; nullopt where the value is null or the metric is absent on that side.
  std::optional<double> baseline;
  std::optional<double> candidate;
  std::string baseline_reason;   // why the baseline value is null
  std::string candidate_reason;  // why the candidate value is null
  double delta = 0;              // candidate - baseline when both are numbers, else 0
  bool higher_is_better = true;
  bool is_count = false;
  Verdict verdict = Verdict::kUnchanged;

  /// kRegressed or kBecameNull.
  bool IsRegression() const;
};

/// One slice (or the whole input) on both sides; rows < 0 where the side lacks it.
struct SliceComparison {
  std::string slicing;
  std::string slice;
  int64_t baseline_rows = -1;
  int64_t candidate_rows = -1;
};

/// The comparison of two evaluations of the same classes.
struct Comparison {
  double tolerance = 0;
  std::string task;
  std::vector<std::string> classes;
  std::string baseline_version;
  std::string candidate_version;
  std::vector<EvaluationResult::Input> baseline_inputs;
  std::vector<EvaluationResult::Input> candidate_inputs;
  /// The whole input first, then every slice of every slicing of either side, in the
  /// baseline's order followed by what only the candidate has.
  std::vector<SliceComparison> slices;
  /// Every metric of the whole input and of every slice present on both sides, in the same
  /// order, then the metrics of each slice in the baseline's order followed by those only
  /// the candidate has.
  std::vector<MetricComparison> metrics;
  /// Slicings (by name) only one side has; their slices are listed in `slices` with the
  /// other side's rows at -1 and their metrics are not compared.
  std::vector<std::string> slicings_only_in_baseline;
  std::vector<std::string> slicings_only_in_candidate;

  /// Metrics whose IsRegression() is true.
  int64_t CountRegressions() const;
  /// Metrics with the verdict `v`.
  int64_t Count(Verdict v) const;
  /// The metrics whose verdict is not kUnchanged, most serious first: regressed, became
  /// null, only in baseline, within tolerance, changed, only in candidate, became number,
  /// improved; in comparison order within a verdict.
  std::vector<const MetricComparison*> Changes() const;
  /// Slices (the whole input included) whose row counts differ or that only one side has:
  /// a sign that the two evaluations did not see the same data.
  std::vector<const SliceComparison*> SlicesWithDifferentRows() const;
};

/// Compares `candidate` against `baseline`, metric by metric, in the whole input and in every
/// slice. kInvalidArgument if the tasks or the class lists (names and order) differ: their
/// per-class metrics and matrices would not mean the same thing; or if the tolerance is
/// negative or not finite.
Result<Comparison> CompareEvaluations(const EvaluationResult& baseline,
                                      const EvaluationResult& candidate,
                                      const CompareOptions& options = {});

// ---------------------------------------------------------------------------------------------
// Gates.

/// One gate rule. Text forms (tokens separated by spaces; METRIC is an output key such as
/// `f1_macro` or `recall[pedestrian]`, and may contain spaces inside its brackets):
///
///   METRIC >= NUMBER [by SLICING]          a floor:    the value is at least NUMBER
///   METRIC <= NUMBER [by SLICING]          a ceiling:  the value is at most NUMBER
///   max_drop METRIC NUMBER [by SLICING]    the value worsens (in the metric's direction)
///                                          by at most NUMBER against the baseline
///
/// Without `by` a rule checks the whole input; with `by weather` (or `by weather,time`) it
/// checks every slice of that slicing instead.
struct GateRule {
  enum class Kind : uint8_t { kAtLeast, kAtMost, kMaxDrop };
  Kind kind = Kind::kAtLeast;
  std::string metric;
  double threshold = 0;
  std::string by;  // slicing name; "" for the whole input

  /// The rule in its text form (`max_drop recall[pedestrian] 0.01 by weather`).
  std::string ToString() const;
};

/// Parses one rule line (see GateRule). kInvalidArgument naming the line and what is wrong.
Result<GateRule> ParseGateRule(std::string_view line);

/// One rule checked on one slice (or the whole input).
struct GateCheck {
  std::string slicing;  // "" for the whole input
  std::string slice;
  std::optional<double> baseline;   // max_drop only; nullopt if null
  std::optional<double> candidate;  // nullopt if null
  std::string reason;               // why a value is null, or why a slice could not be compared
  bool passed = false;
};

/// The outcome of one rule: passed if every check passed.
struct GateRuleResult {
  GateRule rule;
  bool passed = false;
  std::vector<GateCheck> checks;
};

/// The outcome of a gate: passed if every rule passed.
struct GateResult {
  bool passed = false;
  std::vector<GateRuleResult> rules;
};

/// Checks `rules` on `candidate` (and, for max_drop rules, against `baseline`, which may be
/// null when no rule needs it). Floors and ceilings fail on a null value. max_drop fails
/// when the candidate value is null and the baseline's is not, or when a slice of the
/// baseline is missing from the candidate; it passes when the baseline value is null or the
/// slice is new. Errors (kInvalidArgument): a rule naming a metric or slicing the candidate
/// (or, for max_drop, the baseline) lacks, or a metric that is a matrix or a curve; a
/// max_drop rule without a baseline; class lists that differ. Metric directions come from
/// `registry` (null: BuiltinMetrics()).
Result<GateResult> EvaluateGate(const std::vector<GateRule>& rules,
                                const EvaluationResult* baseline, const EvaluationResult& candidate,
                                const MetricRegistry* registry = nullptr);

}  // namespace cairn::metrics
