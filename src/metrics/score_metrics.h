#pragma once

#include "base/status.h"
#include "metrics/metric.h"

namespace cairn::metrics {

/// Registers the metrics computed from class scores, with scikit-learn's definitions:
///   roc_auc, average_precision (binary: the positive class; multiclass: the macro average
///   one-vs-rest over the classes that occur as labels; `[CLASS]` for one class),
///   pr_curve, roc_curve (101-point curves), log_loss, brier, top_k_accuracy(k=K),
///   ece(bins=B), calibration(bins=B).
/// See docs/metrics.md for the exact definitions and null rules.
Status RegisterScoreMetrics(MetricRegistry* registry);

/// Registers the regression metrics: mae, mse, rmse, r2, mape, median_ae,
/// explained_variance, max_error (scikit-learn's definitions).
Status RegisterRegressionMetrics(MetricRegistry* registry);

}  // namespace cairn::metrics
