#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "table/column.h"
#include "table/types.h"

namespace cairn::table {

/// A schema plus one Column per field, all of the same length. Movable; copying copies
/// the data. Not thread-safe for writes.
class Table {
 public:
  Table() = default;
  /// An empty table (zero rows) with `schema`.
  explicit Table(Schema schema);
  /// A table from columns; returns kInvalidArgument if types or lengths disagree.
  static Result<Table> Make(Schema schema, std::vector<Column> columns);

  const Schema& schema() const { return schema_; }
  int num_columns() const { return schema_.num_fields(); }
  int64_t num_rows() const { return num_rows_; }
  const Column& column(int i) const { return columns_[static_cast<size_t>(i)]; }
  Column& mutable_column(int i) { return columns_[static_cast<size_t>(i)]; }
  const std::vector<Column>& columns() const { return columns_; }
  /// Column by name, or nullptr.
  const Column* ColumnByName(std::string_view name) const;

  /// Recomputes num_rows from the columns after they were filled directly; all columns
  /// must have the same size (checked: kInternal otherwise).
  Status SyncRowCount();
  /// Appends all rows of `other`, whose schema must have the same field names and types.
  Status Append(const Table& other);
  /// Rows [offset, offset + length) as a new table.
  Table Slice(int64_t offset, int64_t length) const;
  /// Removes all rows, keeping the schema.
  void Clear();
  /// Same schema (names and types; nullability ignored) and equal columns.
  bool Equals(const Table& other) const;

 private:
  Schema schema_;
  std::vector<Column> columns_;
  int64_t num_rows_ = 0;
};

}  // namespace cairn::table
