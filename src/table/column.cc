#include "table/column.h"

#include <bit>
#include <charconv>
#include <cmath>

#include "base/time.h"

namespace cairn::table {

Column::Column(DataType type) : type_(type) {
  if (type_.kind == TypeKind::kString) offsets_.push_back(0);
}

void Column::AppendNull() {
  if (validity_.empty()) validity_.assign(static_cast<size_t>(size_), 1);
  validity_.push_back(0);
  ++null_count_;
  ++size_;
  switch (type_.kind) {
    case TypeKind::kInt64:
    case TypeKind::kTimestamp:
      ints_.push_back(0);
      break;
    case TypeKind::kFloat64:
      doubles_.push_back(0);
      break;
    case TypeKind::kBool:
      bools_.push_back(0);
      break;
    case TypeKind::kString:
      offsets_.push_back(static_cast<int64_t>(chars_.size()));
      break;
  }
}

void Column::AppendFrom(const Column& other, int64_t offset, int64_t length) {
  if (length <= 0) return;
  size_t b = static_cast<size_t>(offset);
  size_t e = static_cast<size_t>(offset + length);
  switch (type_.kind) {
    case TypeKind::kInt64:
    case TypeKind::kTimestamp:
      ints_.insert(ints_.end(), other.ints_.begin() + static_cast<ptrdiff_t>(b),
                   other.ints_.begin() + static_cast<ptrdiff_t>(e));
      break;
    case TypeKind::kFloat64:
      doubles_.insert(doubles_.end(), other.doubles_.begin() + static_cast<ptrdiff_t>(b),
                      other.doubles_.begin() + static_cast<ptrdiff_t>(e));
      break;
    case TypeKind::kBool:
      bools_.insert(bools_.end(), other.bools_.begin() + static_cast<ptrdiff_t>(b),
                    other.bools_.begin() + static_cast<ptrdiff_t>(e));
      break;
    case TypeKind::kString: {
      int64_t src_begin = other.offsets_[b];
      int64_t src_end = other.offsets_[e];
      int64_t shift = static_cast<int64_t>(chars_.size()) - src_begin;
      chars_.append(other.chars_, static_cast<size_t>(src_begin),
                    static_cast<size_t>(src_end - src_begin));
      offsets_.reserve(offsets_.size() + static_cast<size_t>(length));
      for (size_t i = b + 1; i <= e; ++i) offsets_.push_back(other.offsets_[i] + shift);
      break;
    }
  }
  bool other_has_nulls = false;
  if (!other.validity_.empty()) {
    for (size_t i = b; i < e; ++i) {
      if (other.validity_[i] == 0) {
        other_has_nulls = true;
        break;
      }
    }
  }
  if (other_has_nulls) {
    if (validity_.empty()) validity_.assign(static_cast<size_t>(size_), 1);
    validity_.insert(validity_.end(), other.validity_.begin() + static_cast<ptrdiff_t>(b),
                     other.validity_.begin() + static_cast<ptrdiff_t>(e));
    for (size_t i = b; i < e; ++i) null_count_ += other.validity_[i] == 0;
  } else if (!validity_.empty()) {
    validity_.insert(validity_.end(), static_cast<size_t>(length), 1);
  }
  size_ += length;
}

void Column::Reserve(int64_t rows) {
  size_t n = static_cast<size_t>(rows);
  switch (type_.kind) {
    case TypeKind::kInt64:
    case TypeKind::kTimestamp:
      ints_.reserve(n);
      break;
    case TypeKind::kFloat64:
      doubles_.reserve(n);
      break;
    case TypeKind::kBool:
      bools_.reserve(n);
      break;
    case TypeKind::kString:
      offsets_.reserve(n + 1);
      break;
  }
}

void Column::Clear() {
  size_ = 0;
  null_count_ = 0;
  ints_.clear();
  doubles_.clear();
  bools_.clear();
  offsets_.clear();
  chars_.clear();
  validity_.clear();
  if (type_.kind == TypeKind::kString) offsets_.push_back(0);
}

void Column::SetSizeAfterBulkFill() {
  switch (type_.kind) {
    case TypeKind::kInt64:
    case TypeKind::kTimestamp:
      size_ = static_cast<int64_t>(ints_.size());
      break;
    case TypeKind::kFloat64:
      size_ = static_cast<int64_t>(doubles_.size());
      break;
    case TypeKind::kBool:
      size_ = static_cast<int64_t>(bools_.size());
      break;
    case TypeKind::kString:
      if (offsets_.empty()) offsets_.push_back(0);
      size_ = static_cast<int64_t>(offsets_.size()) - 1;
      break;
  }
  null_count_ = 0;
  for (uint8_t v : validity_) null_count_ += v == 0;
}

std::string FormatDouble(double v, bool keep_point) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string out(buf, res.ptr);
  if (keep_point && out.find_first_of(".eE") == std::string::npos) out += ".0";
  return out;
}

std::string Column::Format(int64_t i, std::string_view null_text) const {
  if (IsNull(i)) return std::string(null_text);
  switch (type_.kind) {
    case TypeKind::kInt64:
      return std::to_string(Int(i));
    case TypeKind::kTimestamp:
      return FormatTimestamp(Int(i), TimeUnitDigits(type_.unit));
    case TypeKind::kFloat64:
      return FormatDouble(Double(i));
    case TypeKind::kBool:
      return Bool(i) ? "true" : "false";
    case TypeKind::kString:
      return std::string(String(i));
  }
  return {};
}

bool Column::Equals(const Column& other) const {
  if (type_ != other.type_ || size_ != other.size_ || null_count_ != other.null_count_) {
    return false;
  }
  for (int64_t i = 0; i < size_; ++i) {
    bool null_a = IsNull(i);
    if (null_a != other.IsNull(i)) return false;
    if (null_a) continue;
    switch (type_.kind) {
      case TypeKind::kInt64:
      case TypeKind::kTimestamp:
        if (Int(i) != other.Int(i)) return false;
        break;
      case TypeKind::kFloat64: {
        double a = Double(i), b = other.Double(i);
        if (std::isnan(a) && std::isnan(b)) break;
        // Bitwise, so that 0.0 and -0.0 differ (doubles have no padding bits).
        if (std::bit_cast<uint64_t>(a) != std::bit_cast<uint64_t>(b)) return false;
        break;
      }
      case TypeKind::kBool:
        if (Bool(i) != other.Bool(i)) return false;
        break;
      case TypeKind::kString:
        if (String(i) != other.String(i)) return false;
        break;
    }
  }
  return true;
}

}  // namespace cairn::table
