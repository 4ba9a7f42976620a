#include "table/table.h"

namespace cairn::table {

Table::Table(Schema schema) : schema_(std::move(schema)) {
  columns_.reserve(static_cast<size_t>(schema_.num_fields()));
  for (const auto& f : schema_.fields()) columns_.emplace_back(f.type);
}

Result<Table> Table::Make(Schema schema, std::vector<Column> columns) {
  if (static_cast<int>(columns.size()) != schema.num_fields()) {
    return Status::InvalidArgument("table has " + std::to_string(schema.num_fields()) +
                                   " fields but " + std::to_string(columns.size()) + " columns");
  }
  Table t;
  t.schema_ = std::move(schema);
  for (size_t i = 0; i < columns.size(); ++i) {
    const Field& f = t.schema_.field(static_cast<int>(i));
    if (columns[i].type() != f.type) {
      return Status::InvalidArgument("column '" + f.name + "' has type " +
                                     columns[i].type().ToString() + ", schema says " +
                                     f.type.ToString());
    }
    if (i > 0 && columns[i].size() != columns[0].size()) {
      return Status::InvalidArgument("column '" + f.name + "' has " +
                                     std::to_string(columns[i].size()) + " rows, expected " +
                                     std::to_string(columns[0].size()));
    }
  }
  t.num_rows_ = columns.empty() ? 0 : columns[0].size();
  t.columns_ = std::move(columns);
  return t;
}

const Column* Table::ColumnByName(std::string_view name) const {
  int i = schema_.FieldIndex(name);
  return i < 0 ? nullptr : &columns_[static_cast<size_t>(i)];
}

Status Table::SyncRowCount() {
  num_rows_ = columns_.empty() ? 0 : columns_[0].size();
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].size() != num_rows_) {
      return Status::Internal("column '" + schema_.field(static_cast<int>(i)).name + "' has " +
                              std::to_string(columns_[i].size()) + " rows, expected " +
                              std::to_string(num_rows_));
    }
  }
  return Status::Ok();
}

Status Table::Append(const Table& other) {
  if (other.num_columns() != num_columns()) {
    return Status::InvalidArgument("cannot append a table of " +
                                   std::to_string(other.num_columns()) + " columns to one of " +
                                   std::to_string(num_columns()));
  }
  for (int i = 0; i < num_columns(); ++i) {
    const Field& a = schema_.field(i);
    const Field& b = other.schema_.field(i);
    if (a.name != b.name || a.type != b.type) {
      return Status::InvalidArgument("cannot append column '" + b.name + "' (" + b.type.ToString() +
                                     ") to column '" + a.name + "' (" + a.type.ToString() + ")");
    }
  }
  for (int i = 0; i < num_columns(); ++i) {
    columns_[static_cast<size_t>(i)].AppendFrom(other.column(i), 0, other.num_rows());
  }
  num_rows_ += other.num_rows();
  return Status::Ok();
}

Table Table::Slice(int64_t offset, int64_t length) const {
  Table out(schema_);
  if (offset < 0) offset = 0;
  if (offset > num_rows_) offset = num_rows_;
  if (length > num_rows_ - offset) length = num_rows_ - offset;
  for (int i = 0; i < num_columns(); ++i) {
    out.columns_[static_cast<size_t>(i)].AppendFrom(column(i), offset, length);
  }
  out.num_rows_ = length < 0 ? 0 : length;
  return out;
}

void Table::Clear() {
  for (auto& c : columns_) c.Clear();
  num_rows_ = 0;
}

bool Table::Equals(const Table& other) const {
  if (num_columns() != other.num_columns() || num_rows_ != other.num_rows_) return false;
  for (int i = 0; i < num_columns(); ++i) {
    if (schema_.field(i).name != other.schema_.field(i).name) return false;
    if (!column(i).Equals(other.column(i))) return false;
  }
  return true;
}

}  // namespace cairn::table
