#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "table/types.h"

namespace cairn::table {

/// One column of values of a single DataType, stored contiguously, with an optional
/// validity vector. Which storage vector is used depends on the kind:
///   kInt64, kTimestamp -> ints()     kFloat64 -> doubles()     kBool -> bools() (0/1)
///   kString -> offsets() + chars(): value i is chars[offsets[i], offsets[i+1])
/// validity() is either empty (no nulls) or has one byte per row, 1 = valid, 0 = null.
/// A null slot still holds a placeholder value (0, 0.0, false or the empty string).
/// Not thread-safe for writes; concurrent reads are fine.
class Column {
 public:
  explicit Column(DataType type = DataType::String());

  const DataType& type() const { return type_; }
  int64_t size() const { return size_; }
  int64_t null_count() const { return null_count_; }
  bool has_nulls() const { return null_count_ > 0; }
  bool IsNull(int64_t i) const {
    return !validity_.empty() && validity_[static_cast<size_t>(i)] == 0;
  }
  bool IsValid(int64_t i) const { return !IsNull(i); }

  // Typed reads; the caller checks type() first.
  int64_t Int(int64_t i) const { return ints_[static_cast<size_t>(i)]; }
  double Double(int64_t i) const { return doubles_[static_cast<size_t>(i)]; }
  bool Bool(int64_t i) const { return bools_[static_cast<size_t>(i)] != 0; }
  std::string_view String(int64_t i) const {
    size_t b = static_cast<size_t>(offsets_[static_cast<size_t>(i)]);
    size_t e = static_cast<size_t>(offsets_[static_cast<size_t>(i) + 1]);
    return std::string_view(chars_.data() + b, e - b);
  }

  // Appends.
  void AppendNull();
  void AppendInt(int64_t v) {
    ints_.push_back(v);
    AppendValid();
  }
  void AppendDouble(double v) {
    doubles_.push_back(v);
    AppendValid();
  }
  void AppendBool(bool v) {
    bools_.push_back(v ? 1 : 0);
    AppendValid();
  }
  void AppendString(std::string_view v) {
    chars_.append(v);
    offsets_.push_back(static_cast<int64_t>(chars_.size()));
    AppendValid();
  }
  /// Appends rows [offset, offset + length) of `other`, which must have the same type.
  void AppendFrom(const Column& other, int64_t offset, int64_t length);
  void Reserve(int64_t rows);
  /// Removes every row, keeping the type and the capacity.
  void Clear();

  // Raw storage, for readers and writers that fill or scan columns in bulk. After filling
  // raw vectors directly, call SetSizeAfterBulkFill.
  std::vector<int64_t>& ints() { return ints_; }
  const std::vector<int64_t>& ints() const { return ints_; }
  std::vector<double>& doubles() { return doubles_; }
  const std::vector<double>& doubles() const { return doubles_; }
  std::vector<uint8_t>& bools() { return bools_; }
  const std::vector<uint8_t>& bools() const { return bools_; }
  std::vector<int64_t>& offsets() { return offsets_; }
  const std::vector<int64_t>& offsets() const { return offsets_; }
  std::string& chars() { return chars_; }
  const std::string& chars() const { return chars_; }
  std::vector<uint8_t>& validity() { return validity_; }
  const std::vector<uint8_t>& validity() const { return validity_; }
  /// Recomputes size and null count from the raw vectors (validity may be empty).
  void SetSizeAfterBulkFill();

  /// Value i as text: integers and floats in shortest round-trip form, bools as
  /// true/false, timestamps as ISO 8601 UTC, null as `null_text`.
  std::string Format(int64_t i, std::string_view null_text = "") const;

  /// True if both columns have the same type, size, nulls and values (floats compared
  /// bitwise except that all NaNs are equal).
  bool Equals(const Column& other) const;

 private:
  void AppendValid() {
    if (!validity_.empty()) validity_.push_back(1);
    ++size_;
  }
  DataType type_;
  int64_t size_ = 0;
  int64_t null_count_ = 0;
  std::vector<int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<uint8_t> bools_;
  std::vector<int64_t> offsets_;  // size_ + 1 entries for strings
  std::string chars_;
  std::vector<uint8_t> validity_;
};

/// Formats a double in the shortest form that parses back to the same value
/// ("0.1", "1e+20", "nan", "inf", "-inf"); integral values keep a ".0" only if
/// `keep_point` is set.
std::string FormatDouble(double v, bool keep_point = false);

}  // namespace cairn::table
