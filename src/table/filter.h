#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "table/scalar.h"
#include "table/table.h"

namespace cairn::table {

/// Evaluates the conjunction of `predicates` on every row of `table`: (*mask)[i] is 1 when
/// row i satisfies all of them, else 0. Each predicate is bound to the table's schema first
/// (BindPredicate: kNotFound for an unknown column, kInvalidArgument for a literal that does
/// not convert to the column type). A null value satisfies no comparison (SQL semantics);
/// NaN compares above every number and equal to itself. No predicates select every row.
Status MatchRows(const Table& table, const std::vector<Predicate>& predicates,
                 std::vector<uint8_t>* mask);

/// The rows of `table` that satisfy every predicate, in their original order, with the same
/// schema. Errors as for MatchRows.
Result<Table> FilterTable(const Table& table, const std::vector<Predicate>& predicates);

/// The rows of `table` whose entry in `mask` (one per row) is non-zero.
Table TakeRows(const Table& table, const std::vector<uint8_t>& mask);

/// The named columns of `table`, in the order given (a name may not repeat). kNotFound
/// naming the first unknown column, kInvalidArgument for a repeated name. An empty list
/// returns all columns.
Result<Table> SelectColumns(const Table& table, const std::vector<std::string>& names);

/// The schema SelectColumns would produce for `names` over `schema`; same errors.
Result<Schema> SelectSchema(const Schema& schema, const std::vector<std::string>& names);

}  // namespace cairn::table
