#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace cairn::table {
class Schema;
class Table;
}  // namespace cairn::table

namespace cairn::data {

/// A literal of a parsed filter, as written (see FilterExpr::Tree).
struct FilterLiteral {
  enum class Kind : uint8_t { kString, kInt, kFloat, kBool, kTimestamp };
  Kind kind = Kind::kString;
  std::string text;        // kString: the value
  int64_t int_value = 0;   // kInt; kBool (0 or 1); kTimestamp (microseconds since the epoch, UTC)
  double float_value = 0;  // kFloat
};

/// One node of a parsed filter's syntax tree (see FilterExpr::Tree), for translating a filter
/// into another language, such as SQL over a catalog.
struct FilterNode {
  enum class Kind : uint8_t { kOr, kAnd, kNot, kCompare, kIn, kIsNull, kBoolField };
  enum class Op : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };
  Kind kind = Kind::kCompare;
  /// kOr and kAnd: two or more operands; kNot: one.
  std::vector<FilterNode> children;
  /// The leaves: the field they read.
  std::string field;
  /// kCompare: `field op literal` (a literal written first is mirrored to this form).
  Op op = Op::kEq;
  /// kIn: `not in`; kIsNull: `is not null`.
  bool negated = false;
  /// kCompare: one; kIn: one or more.
  std::vector<FilterLiteral> literals;
};

/// A row filter written in the snapshot filter language (docs/filter.md), for example
///   tags.weather = 'rain' and captured_at >= '2021-06-01'
/// Life cycle: Parse, then Bind to the schema of the tables to filter, then Evaluate any
/// number of tables with that schema. Copyable and movable; copies are independent. Const
/// methods are thread-safe; Parse and Bind must not run concurrently with other calls on
/// the same object.
class FilterExpr {
 public:
  /// The empty expression, which selects every row.
  FilterExpr();
  ~FilterExpr();
  FilterExpr(const FilterExpr& other);
  FilterExpr& operator=(const FilterExpr& other);
  FilterExpr(FilterExpr&& other) noexcept;
  FilterExpr& operator=(FilterExpr&& other) noexcept;

  /// Parses `text`; empty or all-whitespace text gives the empty expression. Errors are
  /// kInvalidArgument with a message that names the 1-based character (counted in UTF-8 code
  /// points) and repeats the line with a caret under it:
  ///   filter: at character 16: expected a literal after '='
  ///     tags.weather = and x
  ///                    ^
  static Result<FilterExpr> Parse(std::string_view text);

  /// The distinct field names the expression reads, sorted bytewise.
  std::vector<std::string> Fields() const;

  /// The syntax tree; a tree with no children and kind kAnd for the empty expression.
  FilterNode Tree() const;

  /// Resolves every field against `schema` and converts the literals to the field types.
  /// Errors: kNotFound for an unknown field ("filter: unknown field 'tags.wether' (at
  /// character 1); known fields: ..."); kInvalidArgument, in the caret form of Parse, for a
  /// literal that cannot be compared with its field (a number against a string field, a
  /// string that is not a timestamp against a timestamp field) and for a field that is not
  /// a bool used as a condition on its own. On error the expression is left unbound.
  /// Binding again replaces the previous binding.
  Status Bind(const table::Schema& schema);

  /// Sizes `mask` to table.num_rows() and sets (*mask)[i] to 1 where the expression is true
  /// for row i and 0 where it is false or unknown (SQL three-valued logic). Works a column
  /// at a time over batches of rows. Errors (kInvalidArgument): the expression is not bound,
  /// or the field names and types of `table` differ from the bound schema. Thread-safe: any
  /// number of threads may evaluate one bound expression at once.
  Status Evaluate(const table::Table& table, std::vector<uint8_t>* mask) const;

  /// The canonical text: lower-case keywords, one space around operators, the fewest
  /// parentheses, literals in one spelling ('it''s', 2.5, timestamp '2021-06-01T00:00:00Z').
  /// Parse(ToString()) gives an expression equal to this one, and equal expressions have
  /// the same text. Empty for the empty expression.
  std::string ToString() const;

  /// True for the empty expression.
  bool empty() const;

  /// Structural equality of the parsed expressions; bindings and source positions are
  /// ignored. `a and (b and c)` equals `a and b and c`; `x = 1` differs from `x = 1.0`.
  bool operator==(const FilterExpr& other) const;
  bool operator!=(const FilterExpr& other) const { return !(*this == other); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::data
