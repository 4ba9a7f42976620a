#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "table/table.h"

namespace cairn::metrics {

/// A table of string columns `names`, one vector of values per column (same lengths).
inline table::Table StringTable(const std::vector<std::string>& names,
                                const std::vector<std::vector<std::string>>& values) {
  table::Schema schema;
  std::vector<table::Column> columns;
  for (size_t c = 0; c < names.size(); ++c) {
    schema.AddField({names[c], table::DataType::String(), false});
    table::Column column(table::DataType::String());
    for (const std::string& v : values[c]) column.AppendString(v);
    columns.push_back(std::move(column));
  }
  return std::move(table::Table::Make(std::move(schema), std::move(columns))).value();
}

}  // namespace cairn::metrics
