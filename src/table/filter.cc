#include "table/filter.h"

#include <cmath>
#include <set>

#include "base/log.h"

namespace cairn::table {
namespace {

// Three-way compare of a double against a double literal, NaN above everything.
inline int CompareDouble(double a, double b) {
  bool na = std::isnan(a), nb = std::isnan(b);
  if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
  return a < b ? -1 : (a > b ? 1 : 0);
}

template <typename T>
inline int CompareValue(T a, T b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

// Clears mask entries of rows that fail `pred` (already bound to `column`'s type).
void ApplyPredicate(const Column& column, const Predicate& pred, std::vector<uint8_t>* mask) {
  const int64_t n = column.size();
  uint8_t* m = mask->data();
  const std::vector<uint8_t>& validity = column.validity();
  const CompareOp op = pred.op;
  const Scalar& lit = pred.value;
  auto keep = [&](int64_t i, int cmp) {
    m[i] = static_cast<uint8_t>(m[i] & static_cast<uint8_t>(OpMatches(op, cmp)));
  };
  switch (column.type().kind) {
    case TypeKind::kBool: {
      const std::vector<uint8_t>& v = column.bools();
      for (int64_t i = 0; i < n; ++i) {
        keep(i, CompareValue<int64_t>(v[static_cast<size_t>(i)] != 0 ? 1 : 0, lit.int_value));
      }
      break;
    }
    case TypeKind::kInt64:
    case TypeKind::kTimestamp: {
      const std::vector<int64_t>& v = column.ints();
      if (lit.type.kind == TypeKind::kFloat64) {
        // An integer column against a fractional literal: compare as doubles.
        for (int64_t i = 0; i < n; ++i) {
          keep(i, CompareDouble(static_cast<double>(v[static_cast<size_t>(i)]), lit.double_value));
        }
      } else {
        for (int64_t i = 0; i < n; ++i) {
          keep(i, CompareValue(v[static_cast<size_t>(i)], lit.int_value));
        }
      }
      break;
    }
    case TypeKind::kFloat64: {
      const std::vector<double>& v = column.doubles();
      for (int64_t i = 0; i < n; ++i) {
        keep(i, CompareDouble(v[static_cast<size_t>(i)], lit.double_value));
      }
      break;
    }
    case TypeKind::kString: {
      std::string_view want = lit.string_value;
      for (int64_t i = 0; i < n; ++i) {
        int c = column.String(i).compare(want);
        keep(i, c < 0 ? -1 : (c > 0 ? 1 : 0));
      }
      break;
    }
  }
  if (!validity.empty()) {
    for (int64_t i = 0; i < n; ++i) {
      if (validity[static_cast<size_t>(i)] == 0) m[i] = 0;
    }
  }
}

}  // namespace

Status MatchRows(const Table& table, const std::vector<Predicate>& predicates,
                 std::vector<uint8_t>* mask) {
  mask->assign(static_cast<size_t>(table.num_rows()), 1);
  for (const Predicate& original : predicates) {
    Predicate pred = original;
    CAIRN_RETURN_IF_ERROR(BindPredicate(table.schema(), &pred));
    const Column& column = table.column(table.schema().FieldIndex(pred.column));
    if (pred.value.is_null) {
      // A comparison with null is never true.
      mask->assign(mask->size(), 0);
      continue;
    }
    ApplyPredicate(column, pred, mask);
  }
  return Status::Ok();
}

Table TakeRows(const Table& table, const std::vector<uint8_t>& mask) {
  Table out(table.schema());
  const int64_t n = table.num_rows();
  // Copy runs of selected rows, so a mostly-kept table moves in a few large appends.
  for (int c = 0; c < table.num_columns(); ++c) {
    Column& dst = out.mutable_column(c);
    const Column& src = table.column(c);
    int64_t i = 0;
    while (i < n) {
      while (i < n && mask[static_cast<size_t>(i)] == 0) ++i;
      int64_t start = i;
      while (i < n && mask[static_cast<size_t>(i)] != 0) ++i;
      if (i > start) dst.AppendFrom(src, start, i - start);
    }
  }
  // Every column holds the same selected rows, so the count cannot disagree.
  CAIRN_DCHECK(out.SyncRowCount().ok());
  return out;
}

Result<Table> FilterTable(const Table& table, const std::vector<Predicate>& predicates) {
  if (predicates.empty()) return table;
  std::vector<uint8_t> mask;
  CAIRN_RETURN_IF_ERROR(MatchRows(table, predicates, &mask));
  return TakeRows(table, mask);
}

Result<Schema> SelectSchema(const Schema& schema, const std::vector<std::string>& names) {
  if (names.empty()) return schema;
  Schema out;
  std::set<std::string> seen;
  for (const std::string& name : names) {
    int idx = schema.FieldIndex(name);
    if (idx < 0) return Status::NotFound("no column named '" + name + "'");
    if (!seen.insert(name).second) {
      return Status::InvalidArgument("column '" + name + "' selected twice");
    }
    out.AddField(schema.field(idx));
  }
  return out;
}

Result<Table> SelectColumns(const Table& table, const std::vector<std::string>& names) {
  if (names.empty()) return table;
  CAIRN_ASSIGN_OR_RETURN(Schema schema, SelectSchema(table.schema(), names));
  std::vector<Column> columns;
  columns.reserve(names.size());
  for (const std::string& name : names) columns.push_back(*table.ColumnByName(name));
  return Table::Make(std::move(schema), std::move(columns));
}

}  // namespace cairn::table
