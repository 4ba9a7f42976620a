#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/result.h"
#include "metrics/confusion_matrix.h"
#include "metrics/metric.h"
#include "metrics/result.h"
#include "table/table.h"

namespace cairn::metrics {

/// Which columns a classification evaluation reads.
struct ClassificationOptions {
  /// The true class of each row; int64 or string, no nulls.
  std::string label_column;
  /// The predicted class of each row; the same type as the label column, no nulls.
  std::string prediction_column;
  /// The class list, in output order. Empty: the sorted union of labels and predictions over
  /// the whole input (numerically for int64 columns), so every slice uses the same classes.
  /// When given, a label or prediction outside the list is an error.
  std::vector<std::string> classes;
  /// Group rows by the values of this column (any type; null is the slice "null") and
  /// evaluate every group as well as the whole input. Empty: no slices.
  std::string slice_column;
};

/// A classification evaluation in progress: the mergeable partial state of every slice (one
/// confusion matrix per slice when a planned metric needs it), fed batch by batch. Several
/// evaluations of the same options and plan (one per shard or thread) merge into exactly the
/// state of one pass over all rows, whatever the order of rows, batches and merges.
/// Not thread-safe; use one evaluation per thread and Merge.
class ClassificationEvaluation {
 public:
  /// Checks the options against the plan (a label and a prediction column are named when
  /// the plan reads them). The plan's metrics must outlive the evaluation.
  static Result<ClassificationEvaluation> Make(ClassificationOptions options, Plan plan);

  /// Counts the rows of `batch`. Errors (kInvalidArgument / kNotFound): a missing column, a
  /// column of an unsupported type or a type that changed, a null label or prediction, a
  /// class outside the given list. Row numbers in messages count from 1 over all rows added.
  Status Add(const table::Table& batch);

  /// Adds the state of `other` (same options and plan; kInvalidArgument otherwise).
  Status Merge(const ClassificationEvaluation& other);

  /// Rows counted so far.
  int64_t rows() const { return overall_.rows; }

  /// Computes every planned metric for the whole input and for each slice. Errors: a
  /// per-class request naming a class that is not in the class list.
  Result<EvaluationResult> Finish() const;

 private:
  enum class LabelKind : uint8_t { kUnknown, kInt, kString };
  struct SliceState {
    int64_t rows = 0;
    ConfusionMatrix confusion;
  };
  struct SliceKey {
    std::string text;
    bool is_null = false;
    bool is_int = false;
    int64_t int_value = 0;
  };
  struct StringHash {
    using is_transparent = void;  // NOLINT(readability-identifier-naming): std's name
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using StringIndex = std::unordered_map<std::string, int, StringHash, std::equal_to<>>;

  ClassificationEvaluation(ClassificationOptions options, Plan plan);
  Status SetLabelKind(LabelKind kind);
  // The index of class `text` (and `value` for int columns), added if new and the list is
  // not given; -1 if the list is given and lacks it.
  int ClassIndex(std::string_view text);
  int ClassIndexOfInt(int64_t value);
  int SliceIndex(const SliceKey& key);
  void Count(SliceState* state, int t, int p) const;

  ClassificationOptions options_;
  Plan plan_;
  LabelKind label_kind_ = LabelKind::kUnknown;
  std::vector<std::string> class_names_;  // given order, or first-seen order
  StringIndex class_index_;
  std::unordered_map<int64_t, int> int_class_index_;
  SliceState overall_;
  std::vector<SliceKey> slice_keys_;
  std::vector<SliceState> slices_;
  StringIndex slice_index_;
};

}  // namespace cairn::metrics
