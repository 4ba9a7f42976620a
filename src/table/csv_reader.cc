#include "table/csv.h"

namespace cairn::table {

Result<std::unique_ptr<TableReader>> OpenCsvReader(std::unique_ptr<SequentialFile> file,
                                                   const ReadOptions&) {
  return Status::Unsupported(file->name() + ": CSV reading is not built yet");
}

}  // namespace cairn::table
