#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "table/types.h"

namespace cairn::table {

/// One typed value or null, used for filter literals and statistics.
struct Scalar {
  DataType type = DataType::String();
  bool is_null = true;
  int64_t int_value = 0;  // kInt64, kTimestamp (in type.unit), kBool (0/1)
  double double_value = 0;
  std::string string_value;

  static Scalar Null() { return Scalar{}; }
  static Scalar Int(int64_t v) { return {DataType::Int64(), false, v, 0, {}}; }
  static Scalar Double(double v) { return {DataType::Float64(), false, 0, v, {}}; }
  static Scalar Bool(bool v) { return {DataType::Bool(), false, v ? 1 : 0, 0, {}}; }
  static Scalar String(std::string v) { return {DataType::String(), false, 0, 0, std::move(v)}; }
  static Scalar Timestamp(int64_t v, TimeUnit unit) {
    return {DataType::Timestamp(unit), false, v, 0, {}};
  }
  std::string ToString() const;
};

/// A comparison operator in a row filter.
enum class CompareOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

/// `column op value`: a simple row filter that readers may use to skip data whose
/// statistics prove no row can match (Parquet row groups), and then apply to rows.
struct Predicate {
  std::string column;
  CompareOp op = CompareOp::kEq;
  Scalar value;
};

/// Parses "col <op> literal" where op is one of = == != <> < <= > >= and the literal is a
/// number, true/false, a 'quoted string' or a bare word (a string). The literal is converted
/// to the column type when the predicate is bound to a schema (see BindPredicate).
Result<Predicate> ParsePredicate(std::string_view text);

/// Converts the literal of `pred` to the type of its column in `schema`. Errors: unknown
/// column (kNotFound), literal not convertible (kInvalidArgument).
Status BindPredicate(const Schema& schema, Predicate* pred);

/// Three-way comparison of a non-null value of the predicate's column type against the
/// literal. Strings compare bytewise (unsigned). NaN compares greater than every number.
int CompareToScalar(const Scalar& lhs, const Scalar& rhs);

/// True if `cmp` (the three-way result of value vs literal) satisfies `op`.
bool OpMatches(CompareOp op, int cmp);

}  // namespace cairn::table
