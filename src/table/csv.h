#pragma once

#include <memory>

#include "base/file.h"
#include "table/io.h"

namespace cairn::table {

/// Streams CSV (RFC 4180) from `file` with options.csv; uses options.num_threads to parse
/// blocks in parallel and options.batch_rows per batch.
Result<std::unique_ptr<TableReader>> OpenCsvReader(std::unique_ptr<SequentialFile> file,
                                                   const ReadOptions& options);
/// Writes CSV to `file` (takes ownership; the file is closed by TableWriter::Close).
Result<std::unique_ptr<TableWriter>> OpenCsvWriter(std::unique_ptr<WritableFile> file,
                                                   const Schema& schema,
                                                   const WriteOptions& options);

}  // namespace cairn::table
