#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "table/column.h"
#include "table/scalar.h"
#include "table/table.h"

namespace cairn::table {

/// A HyperLogLog distinct-count sketch with 2^12 one-byte registers (4 KiB; standard error
/// about 1.6%). Values are added as 64-bit XXH3 hashes. Two sketches merge by taking the
/// register-wise maximum, so the sketch of a whole column equals the merge of the sketches of
/// its parts in any order. Not thread-safe for writes.
class HyperLogLog {
 public:
  static constexpr int kPrecision = 12;
  static constexpr int kRegisters = 1 << kPrecision;

  HyperLogLog() { registers_.fill(0); }

  /// Adds a value given by its 64-bit hash.
  void AddHash(uint64_t hash) {
    size_t index = static_cast<size_t>(hash >> (64 - kPrecision));
    // The remaining 52 bits with a sentinel bit so the rank is at most 53.
    uint64_t rest = (hash << kPrecision) | (uint64_t{1} << (kPrecision - 1));
    uint8_t rank = static_cast<uint8_t>(__builtin_clzll(rest) + 1);
    if (rank > registers_[index]) registers_[index] = rank;
  }
  /// Adds a value given by its bytes (hashed with XXH3, seed 0).
  void AddBytes(std::string_view bytes);
  /// Folds `other` into this sketch.
  void Merge(const HyperLogLog& other);
  /// The estimated number of distinct values added: the raw HyperLogLog estimate, replaced by
  /// linear counting while it is at most 2.5 * 2^12 and some register is still zero.
  double Estimate() const;
  const std::array<uint8_t, kRegisters>& registers() const { return registers_; }

 private:
  std::array<uint8_t, kRegisters> registers_;
};

/// The bytes hashed for a distinct count of value `i` of `column` (which must not be null):
/// the 8 little-endian bytes of an int64/timestamp, the bits of a double with -0.0 folded
/// into 0.0 and every NaN into one NaN, one byte for a bool, the bytes of a string.
uint64_t HashValueForDistinct(const Column& column, int64_t i);

/// Summary statistics of one column, accumulated batch by batch: row count, null count,
/// minimum, maximum, a distinct-count sketch and, for int64/float64, the mean. Mergeable:
/// the stats of the batches of a column, merged in order, equal the stats of one pass over
/// the whole column (counts, min, max and sketch in any order; the float64 sum adds batch
/// sums left to right, so merge in a fixed order for bit-identical means). Not thread-safe
/// for writes; build one per thread and Merge.
class ColumnStats {
 public:
  explicit ColumnStats(DataType type = DataType::String());

  /// Adds every row of `column`. kInvalidArgument if its type differs from type().
  Status Add(const Column& column);
  /// Folds in the stats of another part of the same column. kInvalidArgument if the types
  /// differ.
  Status Merge(const ColumnStats& other);

  const DataType& type() const { return type_; }
  /// Rows seen, nulls included.
  int64_t count() const { return count_; }
  int64_t null_count() const { return null_count_; }
  int64_t valid_count() const { return count_ - null_count_; }
  /// Smallest and largest non-null values; null Scalars when there are none. Strings compare
  /// bytewise; NaN sorts above every number (so max is NaN when any value is NaN).
  const Scalar& min() const { return min_; }
  const Scalar& max() const { return max_; }
  /// Mean of the non-null values of an int64 or float64 column (integers summed exactly);
  /// nullopt for other types or when every value is null.
  std::optional<double> mean() const;
  /// Estimated number of distinct non-null values (0 when there are none).
  int64_t DistinctEstimate() const;
  const HyperLogLog& sketch() const { return sketch_; }

 private:
  void UpdateMinMax(const Scalar& lo, const Scalar& hi);

  DataType type_;
  int64_t count_ = 0;
  int64_t null_count_ = 0;
  Scalar min_;
  Scalar max_;
  __int128 int_sum_ = 0;
  double double_sum_ = 0;
  HyperLogLog sketch_;
};

/// ColumnStats for every column of a schema.
class TableStats {
 public:
  explicit TableStats(Schema schema);

  /// Adds all rows of `batch`, whose field names and types must equal the schema's
  /// (kInvalidArgument otherwise).
  Status Add(const Table& batch);
  /// Folds in stats gathered over other rows of the same schema (kInvalidArgument if the
  /// schemas differ).
  Status Merge(const TableStats& other);

  const Schema& schema() const { return schema_; }
  int64_t num_rows() const { return num_rows_; }
  const ColumnStats& column(int i) const { return columns_[static_cast<size_t>(i)]; }
  const std::vector<ColumnStats>& columns() const { return columns_; }

 private:
  Status CheckSchema(const Schema& other) const;
  Schema schema_;
  int64_t num_rows_ = 0;
  std::vector<ColumnStats> columns_;
};

}  // namespace cairn::table
