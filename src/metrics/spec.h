#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "metrics/evaluation.h"
#include "metrics/metric.h"

namespace cairn::metrics {

/// An evaluation spec: what `cairn eval run --spec FILE` reads (docs/metrics.md, "Spec
/// files"). Command-line flags override or extend it.
struct EvalSpec {
  EvaluationOptions options;
  std::vector<std::string> inputs;
  /// A score-column pattern with `{class}` (expanded against the input's columns), or empty
  /// when options.score_columns lists the columns.
  std::string score_pattern;
  std::vector<std::string> metrics;
  std::vector<std::pair<std::string, std::string>> formulas;
};

/// Reads a spec file. Errors name the file, the line and the field: YAML syntax, unknown keys,
/// wrong types, an unknown task, an unknown metric or a malformed formula (checked against
/// `registry`), a slicing of more than two columns.
Result<EvalSpec> LoadEvalSpec(const std::string& path, const MetricRegistry& registry);

}  // namespace cairn::metrics
