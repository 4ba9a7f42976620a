#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "metrics/metric.h"

namespace cairn::metrics {

/// The metric outputs of one slice, keyed by output name, in plan order.
using MetricOutputs = std::vector<std::pair<std::string, MetricValue>>;

/// The outcome of an evaluation: the metrics of the whole input and of every slice of every
/// slicing, plus what was evaluated (for reports and comparisons).
struct EvaluationResult {
  /// One group of rows: the rows whose slicing columns hold `values`.
  struct Slice {
    /// One value per slicing column, as text ("null" for a null).
    std::vector<std::string> values;
    int64_t rows = 0;
    MetricOutputs outputs;
    /// The slice's key in the JSON document: the values joined by '|', with '|' and '\' in a
    /// value escaped by a backslash (`rain|night`).
    std::string Key() const;
  };
  /// All slices of one slicing (one or two columns), sorted by value (numerically for int64
  /// columns, null last), column by column.
  struct Slicing {
    std::vector<std::string> columns;
    std::vector<Slice> slices;
    /// The columns joined by ',' (`weather,time_of_day`), the slicing's key in JSON.
    std::string Name() const;
  };
  /// A file that was evaluated: its path, size and XXH3-128 content hash (hex).
  struct Input {
    std::string path;
    int64_t bytes = 0;
    std::string xxh3;
  };

  std::string cairn_version;
  std::string task;  // binary, multiclass, multilabel, regression
  std::vector<Input> inputs;
  std::vector<std::string> classes;  // empty for regression
  int64_t rows = 0;
  MetricOutputs overall;
  std::vector<Slicing> slicings;
};

/// Joins slice values into a slice key, escaping '|' and '\' with '\'.
std::string JoinSliceKey(const std::vector<std::string>& values);
/// Splits a slice key made by JoinSliceKey back into its values.
std::vector<std::string> SplitSliceKey(std::string_view key);

/// The result as one JSON document:
///
///   {"cairn_version": "0.1.0", "task": "multiclass",
///    "inputs": [{"path": "p.parquet", "bytes": 123, "xxh3": "..."}],
///    "classes": ["bike", "car"], "rows": 1000,
///    "overall": {"accuracy": 0.9, "precision[car]": 0.8, "confusion_matrix": [[3, 1], [0, 7]],
///                "pr_curve[car]": {"recall": [...], "precision": [...]},
///                "roc_auc": null, "null_reasons": {"roc_auc": "undefined: ..."}},
///    "slices": {"weather": {"rain": {"rows": 120, "accuracy": 0.8, ...}},
///               "weather,time_of_day": {"rain|night": {"rows": 30, ...}}}}
///
/// A number is in shortest round-trip form (parsing it gives back the exact double); a count
/// is an integer; a matrix is an array of rows; a curve is an object of equally long arrays
/// (null for a point without a value); a null value is null and its reason is listed under
/// "null_reasons" in the same object. Slice objects also hold "rows". Keys keep output order.
std::string EvaluationResultToJson(const EvaluationResult& result);

}  // namespace cairn::metrics
