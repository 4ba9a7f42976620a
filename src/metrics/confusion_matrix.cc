#include "metrics/confusion_matrix.h"

#include <string>
#include <utility>

namespace cairn::metrics {

ConfusionMatrix::ConfusionMatrix(int num_classes)
    : n_(num_classes),
      counts_(static_cast<size_t>(num_classes) * static_cast<size_t>(num_classes)) {}

void ConfusionMatrix::Resize(int num_classes) {
  if (num_classes <= n_) return;
  ConfusionMatrix grown(num_classes);
  for (int t = 0; t < n_; ++t) {
    for (int p = 0; p < n_; ++p) grown.counts_[grown.Index(t, p)] = at(t, p);
  }
  *this = std::move(grown);
}

Status ConfusionMatrix::Merge(const ConfusionMatrix& other) {
  if (other.n_ != n_) {
    return Status::InvalidArgument("cannot merge confusion matrices of " + std::to_string(n_) +
                                   " and " + std::to_string(other.n_) + " classes");
  }
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  return Status::Ok();
}

ConfusionMatrix ConfusionMatrix::Remapped(const std::vector<int>& new_index,
                                          int num_classes_out) const {
  ConfusionMatrix out(num_classes_out);
  for (int t = 0; t < n_; ++t) {
    for (int p = 0; p < n_; ++p) {
      out.AddCount(new_index[static_cast<size_t>(t)], new_index[static_cast<size_t>(p)], at(t, p));
    }
  }
  return out;
}

int64_t ConfusionMatrix::Total() const {
  int64_t sum = 0;
  for (int64_t c : counts_) sum += c;
  return sum;
}

int64_t ConfusionMatrix::Trace() const {
  int64_t sum = 0;
  for (int i = 0; i < n_; ++i) sum += at(i, i);
  return sum;
}

int64_t ConfusionMatrix::RowSum(int t) const {
  int64_t sum = 0;
  for (int p = 0; p < n_; ++p) sum += at(t, p);
  return sum;
}

int64_t ConfusionMatrix::ColumnSum(int p) const {
  int64_t sum = 0;
  for (int t = 0; t < n_; ++t) sum += at(t, p);
  return sum;
}

std::vector<std::vector<int64_t>> ConfusionMatrix::ToRows() const {
  std::vector<std::vector<int64_t>> rows(static_cast<size_t>(n_));
  for (int t = 0; t < n_; ++t) {
    for (int p = 0; p < n_; ++p) rows[static_cast<size_t>(t)].push_back(at(t, p));
  }
  return rows;
}

}  // namespace cairn::metrics
