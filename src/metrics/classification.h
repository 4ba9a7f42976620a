#pragma once

#include "base/status.h"
#include "metrics/metric.h"

namespace cairn::metrics {

/// Registers the classification metrics computed from one confusion matrix, with
/// scikit-learn's names and definitions (zero_division=0, every average over the evaluation's
/// class list):
///   accuracy, balanced_accuracy, cohen_kappa, mcc, confusion_matrix;
///   per class: support, precision, recall, f1, fbeta(beta=B);
///   averaged: precision_, recall_, f1_, fbeta_ + macro | micro | weighted.
/// Ratios over zero rows are null ("no rows"); cohen_kappa is null when labels and
/// predictions are one single class (scikit-learn returns NaN there); mcc is 0 when a
/// marginal is constant (as in scikit-learn). Errors: kAlreadyExists if a name is taken.
Status RegisterClassificationMetrics(MetricRegistry* registry);

}  // namespace cairn::metrics
