#pragma once

#include <memory>

#include "base/file.h"
#include "table/io.h"

namespace cairn::table {

/// Reads a Parquet file (see docs/parquet.md for what is supported) with options.parquet,
/// decoding column chunks on options.num_threads threads; batches are at most
/// options.batch_rows rows. Unsupported features are kUnsupported errors naming the file and
/// column, malformed files kCorrupt.
Result<std::unique_ptr<TableReader>> OpenParquetReader(std::unique_ptr<RandomAccessFile> file,
                                                       const ReadOptions& options);
/// Writes a Parquet file to `file` (takes ownership) with options.parquet.
Result<std::unique_ptr<TableWriter>> OpenParquetWriter(std::unique_ptr<WritableFile> file,
                                                       const Schema& schema,
                                                       const WriteOptions& options);

}  // namespace cairn::table
