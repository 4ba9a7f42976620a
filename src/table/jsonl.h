#pragma once

#include <memory>

#include "base/file.h"
#include "table/io.h"

namespace cairn::table {

/// Streams JSON Lines from `file` with options.jsonl; uses options.num_threads to parse
/// blocks in parallel and options.batch_rows per batch.
Result<std::unique_ptr<TableReader>> OpenJsonlReader(std::unique_ptr<SequentialFile> file,
                                                     const ReadOptions& options);
/// Writes JSON Lines to `file` (takes ownership; the file is closed by TableWriter::Close).
Result<std::unique_ptr<TableWriter>> OpenJsonlWriter(std::unique_ptr<WritableFile> file,
                                                     const Schema& schema,
                                                     const WriteOptions& options);

}  // namespace cairn::table
