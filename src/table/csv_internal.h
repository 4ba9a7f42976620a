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

/// Sizes that steer how the CSV reader cuts its input; the defaults suit real files, tests use
/// tiny values to make records straddle blocks and threads split small inputs.
struct CsvTuning {
  /// Largest read from the file (at least 1 byte).
  int64_t block_bytes = kCsvBlockBytes;
  /// A block is split across threads only into ranges of at least this many bytes.
  int64_t min_range_bytes = int64_t{32} << 10;
};

/// Like OpenCsvReader, with the sizes above chosen by the caller.
Result<std::unique_ptr<TableReader>> OpenCsvReaderTuned(std::unique_ptr<SequentialFile> file,
                                                        const ReadOptions& options,
                                                        const CsvTuning& tuning);

}  // namespace cairn::table
