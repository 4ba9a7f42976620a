#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
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

/// Merges `shards` in a tree (shard i takes shard i + step, for step = 1, 2, 4, ...) into
/// shards.front(); returns the first error.
template <typename Evaluation>
Status MergeTree(std::vector<Evaluation>* shards) {
  for (size_t step = 1; step < shards->size(); step *= 2) {
    for (size_t i = 0; i + step < shards->size(); i += 2 * step) {
      CAIRN_RETURN_IF_ERROR((*shards)[i].Merge((*shards)[i + step]));
    }
  }
  return Status::Ok();
}

}  // namespace cairn::metrics
