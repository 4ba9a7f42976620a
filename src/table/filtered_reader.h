#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "table/io.h"
#include "table/scalar.h"

namespace cairn::table {

/// Wraps `input` so that it yields only the rows satisfying every predicate (see
/// FilterTable) and only the named columns, in the order given (all when empty). Batches
/// whose rows are all filtered out are skipped, so Next never returns an empty batch before
/// the end. Errors at open: unknown column (kNotFound), repeated column or a literal that
/// does not convert to its column type (kInvalidArgument). Takes ownership of `input`. Not
/// thread-safe.
Result<std::unique_ptr<TableReader>> OpenFilteredReader(std::unique_ptr<TableReader> input,
                                                        std::vector<std::string> columns,
                                                        std::vector<Predicate> predicates);

/// Opens `path` like OpenTableReader, reading only `columns` (all when empty) and only rows
/// that satisfy every predicate. For Parquet the predicates are also handed to the reader,
/// which skips row groups whose statistics rule them out; for every format the rows are then
/// filtered exactly here. A predicate may name a column that is not selected.
Result<std::unique_ptr<TableReader>> OpenTableReaderWithFilter(
    const std::string& path, const ReadOptions& options, const std::vector<std::string>& columns,
    const std::vector<Predicate>& predicates);

}  // namespace cairn::table
