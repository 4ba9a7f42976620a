#include "table/stats.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "base/hash.h"

namespace cairn::table {
namespace {

uint64_t HashInt(int64_t v) { return Xxh3Bytes(&v, sizeof(v)); }

uint64_t HashDouble(double v) {
  // Values that compare equal must hash equal: -0.0 == 0.0, and all NaNs count as one value.
  if (v == 0) v = 0;
  if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();
  return Xxh3Bytes(&v, sizeof(v));
}

uint64_t HashBool(bool v) {
  uint8_t b = v ? 1 : 0;
  return Xxh3Bytes(&b, 1);
}

}  // namespace

void HyperLogLog::AddBytes(std::string_view bytes) { AddHash(Xxh3(bytes)); }

void HyperLogLog::Merge(const HyperLogLog& other) {
  for (size_t i = 0; i < registers_.size(); ++i) {
    registers_[i] = std::max(registers_[i], other.registers_[i]);
  }
}

double HyperLogLog::Estimate() const {
  const double m = kRegisters;
  double inverse_sum = 0;
  int zeros = 0;
  for (uint8_t r : registers_) {
    inverse_sum += std::ldexp(1.0, -static_cast<int>(r));
    zeros += r == 0;
  }
  const double alpha = 0.7213 / (1.0 + 1.079 / m);
  double estimate = alpha * m * m / inverse_sum;
  // Small cardinalities: the raw estimate is biased upwards; counting empty registers
  // (linear counting) is accurate there.
  if (estimate <= 2.5 * m && zeros > 0) estimate = m * std::log(m / zeros);
  return estimate;
}

uint64_t HashValueForDistinct(const Column& column, int64_t i) {
  switch (column.type().kind) {
    case TypeKind::kInt64:
    case TypeKind::kTimestamp:
      return HashInt(column.Int(i));
    case TypeKind::kFloat64:
      return HashDouble(column.Double(i));
    case TypeKind::kBool:
      return HashBool(column.Bool(i));
    case TypeKind::kString: {
      std::string_view s = column.String(i);
      return Xxh3(s);
    }
  }
  return 0;
}

ColumnStats::ColumnStats(DataType type) : type_(type) {}

std::optional<double> ColumnStats::mean() const {
  int64_t n = valid_count();
  if (n == 0) return std::nullopt;
  if (type_.kind == TypeKind::kInt64) {
    return static_cast<double>(int_sum_) / static_cast<double>(n);
  }
  if (type_.kind == TypeKind::kFloat64) return double_sum_ / static_cast<double>(n);
  return std::nullopt;
}

int64_t ColumnStats::DistinctEstimate() const {
  if (valid_count() == 0) return 0;
  auto estimate = static_cast<int64_t>(std::llround(sketch_.Estimate()));
  // The sketch cannot know more than the exact bounds: at least one, at most one per row.
  return std::clamp<int64_t>(estimate, 1, valid_count());
}

void ColumnStats::UpdateMinMax(const Scalar& lo, const Scalar& hi) {
  if (lo.is_null) return;
  if (min_.is_null || CompareToScalar(lo, min_) < 0) min_ = lo;
  if (max_.is_null || CompareToScalar(hi, max_) > 0) max_ = hi;
}

Status ColumnStats::Add(const Column& column) {
  if (column.type() != type_) {
    return Status::InvalidArgument("stats: column of type " + column.type().ToString() +
                                   " added to stats of type " + type_.ToString());
  }
  const int64_t n = column.size();
  const std::vector<uint8_t>& validity = column.validity();
  const bool all_valid = validity.empty();
  auto valid = [&](int64_t i) { return all_valid || validity[static_cast<size_t>(i)] != 0; };
  count_ += n;
  null_count_ += column.null_count();
  int64_t seen = 0;
  switch (type_.kind) {
    case TypeKind::kInt64:
    case TypeKind::kTimestamp: {
      const std::vector<int64_t>& v = column.ints();
      int64_t lo = std::numeric_limits<int64_t>::max();
      int64_t hi = std::numeric_limits<int64_t>::min();
      __int128 sum = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (!valid(i)) continue;
        int64_t x = v[static_cast<size_t>(i)];
        lo = std::min(lo, x);
        hi = std::max(hi, x);
        sum += x;
        sketch_.AddHash(HashInt(x));
        ++seen;
      }
      int_sum_ += sum;
      if (seen > 0) {
        Scalar s_lo = Scalar::Int(lo), s_hi = Scalar::Int(hi);
        s_lo.type = s_hi.type = type_;
        UpdateMinMax(s_lo, s_hi);
      }
      break;
    }
    case TypeKind::kFloat64: {
      const std::vector<double>& v = column.doubles();
      double lo = std::numeric_limits<double>::infinity();
      double hi = -std::numeric_limits<double>::infinity();
      bool any_number = false, any_nan = false;
      double sum = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (!valid(i)) continue;
        double x = v[static_cast<size_t>(i)];
        sum += x;
        sketch_.AddHash(HashDouble(x));
        ++seen;
        if (std::isnan(x)) {
          any_nan = true;
          continue;
        }
        any_number = true;
        lo = std::min(lo, x);
        hi = std::max(hi, x);
      }
      double_sum_ += sum;
      if (seen > 0) {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        UpdateMinMax(Scalar::Double(any_number ? lo : nan), Scalar::Double(any_nan ? nan : hi));
      }
      break;
    }
    case TypeKind::kBool: {
      const std::vector<uint8_t>& v = column.bools();
      bool any_true = false, any_false = false;
      for (int64_t i = 0; i < n; ++i) {
        if (!valid(i)) continue;
        bool x = v[static_cast<size_t>(i)] != 0;
        (x ? any_true : any_false) = true;
        ++seen;
      }
      // Two possible values: hashing each distinct one once gives the same sketch as
      // hashing every row.
      if (any_false) sketch_.AddHash(HashBool(false));
      if (any_true) sketch_.AddHash(HashBool(true));
      if (seen > 0) UpdateMinMax(Scalar::Bool(!any_false), Scalar::Bool(any_true));
      break;
    }
    case TypeKind::kString: {
      std::string_view lo, hi;
      for (int64_t i = 0; i < n; ++i) {
        if (!valid(i)) continue;
        std::string_view x = column.String(i);
        if (seen == 0 || x < lo) lo = x;
        if (seen == 0 || x > hi) hi = x;
        sketch_.AddHash(Xxh3(x));
        ++seen;
      }
      if (seen > 0) UpdateMinMax(Scalar::String(std::string(lo)), Scalar::String(std::string(hi)));
      break;
    }
  }
  return Status::Ok();
}

Status ColumnStats::Merge(const ColumnStats& other) {
  if (other.type_ != type_) {
    return Status::InvalidArgument("stats: cannot merge stats of type " + other.type_.ToString() +
                                   " into stats of type " + type_.ToString());
  }
  count_ += other.count_;
  null_count_ += other.null_count_;
  int_sum_ += other.int_sum_;
  double_sum_ += other.double_sum_;
  sketch_.Merge(other.sketch_);
  UpdateMinMax(other.min_, other.max_);
  return Status::Ok();
}

TableStats::TableStats(Schema schema) : schema_(std::move(schema)) {
  columns_.reserve(static_cast<size_t>(schema_.num_fields()));
  for (const Field& f : schema_.fields()) columns_.emplace_back(f.type);
}

Status TableStats::CheckSchema(const Schema& other) const {
  bool same = other.num_fields() == schema_.num_fields();
  for (int i = 0; same && i < schema_.num_fields(); ++i) {
    same = other.field(i).name == schema_.field(i).name &&
           other.field(i).type == schema_.field(i).type;
  }
  if (!same) {
    return Status::InvalidArgument("stats: schema differs (expected\n" + schema_.ToString() +
                                   "got\n" + other.ToString() + ")");
  }
  return Status::Ok();
}

Status TableStats::Add(const Table& batch) {
  CAIRN_RETURN_IF_ERROR(CheckSchema(batch.schema()));
  for (int i = 0; i < batch.num_columns(); ++i) {
    CAIRN_RETURN_IF_ERROR(columns_[static_cast<size_t>(i)].Add(batch.column(i)));
  }
  num_rows_ += batch.num_rows();
  return Status::Ok();
}

Status TableStats::Merge(const TableStats& other) {
  CAIRN_RETURN_IF_ERROR(CheckSchema(other.schema_));
  for (size_t i = 0; i < columns_.size(); ++i) {
    CAIRN_RETURN_IF_ERROR(columns_[i].Merge(other.columns_[i]));
  }
  num_rows_ += other.num_rows_;
  return Status::Ok();
}

}  // namespace cairn::table
