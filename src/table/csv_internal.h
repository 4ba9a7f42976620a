#pragma once

// Internals of the CSV reader shared with its tests; not part of the public interface.

#include <cstdint>
#include <memory>

#include "base/file.h"
#include "table/io.h"

namespace cairn::table {

/// The largest block the CSV reader reads from its file at once (16 MiB). The reader holds
/// about one block plus one record in memory, besides the rows it has parsed.
inline constexpr int64_t kCsvBlockBytes = int64_t{16} << 20;

/// Like OpenCsvReader, with the block size chosen by the caller (at least 1 byte), so tests can
/// make records and batches straddle block boundaries with small inputs.
Result<std::unique_ptr<TableReader>> OpenCsvReaderWithBlockSize(
    std::unique_ptr<SequentialFile> file, const ReadOptions& options, int64_t block_bytes);

}  // namespace cairn::table
