#include "table/csv.h"

namespace cairn::table {

Result<std::unique_ptr<TableWriter>> OpenCsvWriter(std::unique_ptr<WritableFile> file,
                                                   const Schema&, const WriteOptions&) {
  return Status::Unsupported(file->name() + ": CSV writing is not built yet");
}

}  // namespace cairn::table
