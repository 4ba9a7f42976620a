#include "table/parquet.h"

namespace cairn::table {

Result<std::unique_ptr<TableWriter>> OpenParquetWriter(std::unique_ptr<WritableFile> file,
                                                   const Schema&, const WriteOptions&) {
  return Status::Unsupported(file->name() + ": Parquet writing is not built yet");
}

}  // namespace cairn::table
