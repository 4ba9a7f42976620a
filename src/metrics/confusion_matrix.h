#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"

namespace cairn::metrics {

/// A square matrix of int64 counts: at(t, p) is the number of rows whose label is class t and
/// whose prediction is class p. It is the mergeable partial state of every metric computed
/// from a confusion matrix: Merge adds counts elementwise, so evaluating shards (or threads)
/// and merging gives exactly the matrix of one pass. Not thread-safe for writes.
class ConfusionMatrix {
 public:
  ConfusionMatrix() = default;
  /// A zero matrix of num_classes x num_classes (num_classes >= 0).
  explicit ConfusionMatrix(int num_classes);

  int num_classes() const { return n_; }
  int64_t at(int t, int p) const { return counts_[Index(t, p)]; }
  /// Counts one row with label class t and predicted class p (both < num_classes).
  void Add(int t, int p) { ++counts_[Index(t, p)]; }
  /// Adds `count` to cell (t, p).
  void AddCount(int t, int p, int64_t count) { counts_[Index(t, p)] += count; }
  /// Grows to num_classes x num_classes, keeping counts; new cells are zero. Never shrinks.
  void Resize(int num_classes);
  /// Adds `other` elementwise; kInvalidArgument if the sizes differ.
  Status Merge(const ConfusionMatrix& other);
  /// The matrix with class i moved to position new_index[i]; new_index is a permutation of
  /// [0, num_classes) or maps into a larger `num_classes_out`.
  ConfusionMatrix Remapped(const std::vector<int>& new_index, int num_classes_out) const;

  /// Sum of all cells (the number of rows).
  int64_t Total() const;
  /// Sum of the diagonal (rows predicted correctly).
  int64_t Trace() const;
  /// Rows whose label is class t (the support of t).
  int64_t RowSum(int t) const;
  /// Rows predicted as class p.
  int64_t ColumnSum(int p) const;
  /// The matrix as nested vectors, rows = labels.
  std::vector<std::vector<int64_t>> ToRows() const;

  bool operator==(const ConfusionMatrix& o) const { return n_ == o.n_ && counts_ == o.counts_; }

 private:
  size_t Index(int t, int p) const {
    return static_cast<size_t>(t) * static_cast<size_t>(n_) + static_cast<size_t>(p);
  }
  int n_ = 0;
  std::vector<int64_t> counts_;
};

}  // namespace cairn::metrics
