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

/// What a Parquet reader decided to skip. Row groups are ruled out when the reader opens,
/// from the column statistics and options.parquet.filters, so the counters are final then.
struct ParquetReaderStats {
  int64_t row_groups = 0;          // row groups in the file
  int64_t row_groups_skipped = 0;  // row groups whose statistics prove no row matches
  int64_t rows_skipped = 0;        // rows in the skipped row groups
};

/// A TableReader over a Parquet file that also reports ParquetReaderStats. Not thread-safe.
class ParquetReader : public TableReader {
 public:
  /// Counters of skipped data; valid for the reader's lifetime.
  virtual const ParquetReaderStats& stats() const = 0;
};

/// Like OpenParquetReader, but returns the Parquet reader itself so that callers can read its
/// stats(). Same errors.
Result<std::unique_ptr<ParquetReader>> OpenParquetFileReader(std::unique_ptr<RandomAccessFile> file,
                                                             const ReadOptions& options);
/// Writes a Parquet file to `file` (takes ownership) with options.parquet.
Result<std::unique_ptr<TableWriter>> OpenParquetWriter(std::unique_ptr<WritableFile> file,
                                                       const Schema& schema,
                                                       const WriteOptions& options);

}  // namespace cairn::table
