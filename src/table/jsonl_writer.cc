#include "table/jsonl.h"

namespace cairn::table {

Result<std::unique_ptr<TableWriter>> OpenJsonlWriter(std::unique_ptr<WritableFile> file,
                                                   const Schema&, const WriteOptions&) {
  return Status::Unsupported(file->name() + ": JSONL writing is not built yet");
}

}  // namespace cairn::table
