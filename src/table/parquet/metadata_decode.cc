#include "table/parquet/metadata.h"

namespace cairn::table::parquet {

Result<FileMetaData> DecodeFileMetaData(std::string_view) {
  return Status::Unsupported("Parquet footer decoding is not built yet");
}

Result<PageHeader> DecodePageHeader(std::string_view, int64_t*) {
  return Status::Unsupported("Parquet page header decoding is not built yet");
}

}  // namespace cairn::table::parquet
