#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace cairn::metrics {

/// How the rows of one slice rank under one class's score (that class against the rest):
/// what ROC AUC, average precision and the curves are computed from. Rows with equal scores
/// form one threshold, as in scikit-learn.
struct ClassRanking {
  int64_t positives = 0;  // rows whose label is the class
  int64_t negatives = 0;
  /// Twice the area under the ROC curve in units of (positives x negatives), exact:
  /// sum over thresholds of negatives_at * (2 * positives_above + positives_at).
  __int128 auc_twice = 0;
  /// Average precision: sum over thresholds of (positives_at / positives) * precision, as
  /// scikit-learn's average_precision_score (no interpolation). Valid when positives > 0.
  double average_precision = 0;
  /// Precision at the 101 recall levels 0, 0.01, ..., 1: the largest precision reached at a
  /// recall >= the level (0 where none).
  std::vector<double> pr_precision;
  /// True positive rate at the 101 false positive rates 0, 0.01, ..., 1: the largest reached at
  /// a false positive rate <= the level.
  std::vector<double> roc_tpr;
};

/// Per-class rankings of one slice (index = class in output order; for a binary evaluation
/// only the positive class is ranked, the others are absent).
struct RankingStats {
  std::vector<std::optional<ClassRanking>> classes;
  int positive_class = -1;  // binary evaluations: the positive class; -1 otherwise
};

/// One reliability-diagram bin: rows whose top-class confidence falls in (lower, upper].
struct CalibrationBin {
  int64_t count = 0;
  double confidence_sum = 0;  // sum of the top-class scores (exact, rounded once)
  int64_t correct = 0;        // rows whose top-scored class is the label
};

/// What the probability metrics of one slice are computed from.
struct ProbabilityStats {
  int64_t rows = 0;
  double log_loss_sum = 0;  // sum of -log(p_label) after scikit-learn's clipping
  double brier_sum = 0;     // binary: sum (y - p)^2; multiclass: sum over classes too
  /// rank_counts[r]: rows whose label has rank r among the class scores (0 = top), with
  /// scikit-learn's tie order (among equal scores the later class ranks higher).
  std::vector<int64_t> rank_counts;
  /// Binary evaluations: rows whose (score > 0.5) equals (label is positive).
  int64_t binary_threshold_hits = 0;
  /// Calibration bins by number of bins (the `bins` parameters requested).
  std::map<int, std::vector<CalibrationBin>> calibration;
};

/// What the regression metrics of one slice are computed from (e = label - prediction).
struct RegressionStats {
  int64_t rows = 0;
  double sum_abs_error = 0;
  double sum_squared_error = 0;
  double sum_abs_percentage_error = 0;  // |e| / max(|y|, machine epsilon)
  double max_abs_error = 0;
  double median_abs_error = 0;
  double sum_squared_deviation = 0;        // sum (y - mean y)^2
  double sum_squared_error_deviation = 0;  // sum (e - mean e)^2
};

}  // namespace cairn::metrics
