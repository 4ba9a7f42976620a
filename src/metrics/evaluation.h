#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/result.h"
#include "metrics/confusion_matrix.h"
#include "metrics/metric.h"
#include "metrics/result.h"
#include "table/table.h"

namespace cairn::metrics {

/// What is being evaluated.
enum class Task : uint8_t {
  kBinary,      // two classes, one of them positive; one score column (the positive's)
  kMulticlass,  // any number of classes; one score column per class
  kRegression,  // numeric labels and predictions
  kMultilabel,  // any number of classes per row: one 0/1 label and prediction column per class
};

/// "binary", "multiclass", "regression", "multilabel".
std::string_view TaskName(Task task);
/// The inverse of TaskName; kInvalidArgument listing the tasks otherwise.
Result<Task> ParseTask(std::string_view name);

/// Which columns an evaluation reads and how its rows are grouped.
struct EvaluationOptions {
  Task task = Task::kMulticlass;
  /// Classification: the true class of each row (int64, bool or string; no nulls).
  /// Regression: the true value (int64 or float64; no nulls).
  std::string label_column;
  /// Classification: the predicted class (the label column's type). Regression: the
  /// predicted value. May be empty when no planned metric reads it; with score columns and a
  /// class list, classification metrics then use the top-scored class (binary: the positive
  /// class when its score is above `threshold`).
  std::string prediction_column;
  /// Multilabel: one label column and one prediction column per class (int64 0/1 or bool, no
  /// nulls), in the order of `classes`, which must be given; label_column and
  /// prediction_column are unused.
  std::vector<std::string> label_columns;
  std::vector<std::string> prediction_columns;
  /// Score columns (numbers, no nulls or NaN). Multiclass and multilabel: one per class, in
  /// the order of `classes` (which must then be given). Binary: one, the positive class's score.
  std::vector<std::string> score_columns;
  /// Binary: the positive class (default "1").
  std::string positive_class;
  /// The class list, in output order. Empty: the sorted union of labels and predictions over
  /// the whole input (numerically for int64 columns), so every slice uses the same classes.
  /// When given, a label or prediction outside the list is an error.
  std::vector<std::string> classes;
  /// Each slicing groups the rows by the values of one or two columns (any type; null is the
  /// value "null") and evaluates every group as well as the whole input, in the same pass.
  std::vector<std::vector<std::string>> slicings;
  /// Without a prediction column, a binary prediction is the positive class when its score is
  /// above this threshold.
  double threshold = 0.5;
  /// Threads for Finish (0 = all hardware threads).
  int threads = 1;
};

/// An evaluation in progress: the mergeable state of every slice, fed batch by batch, and
/// computed into an EvaluationResult by Finish.
///
/// The state holds, per slice, a row count and (when a planned metric needs it) a confusion
/// matrix; and, when score or regression metrics are planned, the rows' labels, scores or
/// values and slice numbers, from which Finish computes rankings, probabilities and errors
/// with exact (order-independent) sums. Several evaluations of the same options and plan
/// (one per shard or thread) therefore merge into exactly the state of one pass over all
/// rows, and finish to a bit-identical result whatever the order of rows, batches, merges and
/// the number of threads. Not thread-safe; use one evaluation per thread and Merge.
class Evaluation {
 public:
  /// Checks the options against the plan: the columns the metrics read are named, the task
  /// fits the metrics (regression metrics need the regression task and the others a
  /// classification task), score metrics have score columns, and so on.
  static Result<Evaluation> Make(EvaluationOptions options, Plan plan);

  Evaluation(Evaluation&&) noexcept;
  Evaluation& operator=(Evaluation&&) noexcept;
  ~Evaluation();

  /// Adds the rows of `batch`. Errors (kInvalidArgument / kNotFound): a missing column, a
  /// column of an unsupported type or a type that changed, a null label, prediction or score,
  /// a NaN score, a class outside the given list. Row numbers in messages count from 1 over
  /// all rows added to this evaluation.
  Status Add(const table::Table& batch);
  /// The same, numbering rows in messages from first_row + 1 (the batch's position in its
  /// file).
  Status Add(const table::Table& batch, int64_t first_row);

  /// Adds the state of `other` (same options and plan; kInvalidArgument otherwise).
  Status Merge(const Evaluation& other);

  /// Rows added so far.
  int64_t rows() const;

  const EvaluationOptions& options() const;
  const Plan& plan() const;

  /// Computes every planned metric for the whole input and for each slice. Errors: a
  /// per-class request naming a class that is not in the class list.
  Result<EvaluationResult> Finish() const;

  /// The whole state as bytes (a versioned binary format, see docs/metrics.md), to be merged
  /// in another process by DeserializeState + Merge.
  std::string SerializeState() const;
  /// The options and state saved by SerializeState, planned with `registry` from the metric
  /// requests saved with it. kInvalidArgument (naming `source`) on damaged or foreign bytes.
  static Result<Evaluation> DeserializeState(std::string_view bytes, const MetricRegistry& registry,
                                             std::string_view source);
  /// The metric requests the plan was made from (saved with the state).
  const std::vector<std::string>& requests() const;

 private:
  struct State;
  explicit Evaluation(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace cairn::metrics
