#include "table/jsonl.h"

namespace cairn::table {

Result<std::unique_ptr<TableReader>> OpenJsonlReader(std::unique_ptr<SequentialFile> file,
                                                   const ReadOptions&) {
  return Status::Unsupported(file->name() + ": JSONL reading is not built yet");
}

}  // namespace cairn::table
