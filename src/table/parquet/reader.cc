#include "table/parquet.h"

namespace cairn::table {

Result<std::unique_ptr<TableReader>> OpenParquetReader(std::unique_ptr<RandomAccessFile> file,
                                                   const ReadOptions&) {
  return Status::Unsupported(file->name() + ": Parquet reading is not built yet");
}

}  // namespace cairn::table
