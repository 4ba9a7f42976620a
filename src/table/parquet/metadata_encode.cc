#include "table/parquet/metadata.h"

namespace cairn::table::parquet {

void EncodeFileMetaData(const FileMetaData&, std::string*) {}

void EncodePageHeader(const PageHeader&, std::string*) {}

}  // namespace cairn::table::parquet
