#pragma once

// Thrift compact protocol encoding and decoding of the structures in format.h.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "table/parquet/format.h"

namespace cairn::table::parquet {

/// Decodes a FileMetaData from the footer bytes. Unknown fields are skipped; malformed input
/// (truncated, bad varint, nesting deeper than 64, lists over the remaining size) is kCorrupt.
Result<FileMetaData> DecodeFileMetaData(std::string_view bytes);

/// Decodes a PageHeader from the start of `bytes`; *consumed receives its encoded length.
Result<PageHeader> DecodePageHeader(std::string_view bytes, int64_t* consumed);

/// Appends the compact-protocol encoding of `meta` to `*out`.
void EncodeFileMetaData(const FileMetaData& meta, std::string* out);

/// Appends the compact-protocol encoding of `header` to `*out`.
void EncodePageHeader(const PageHeader& header, std::string* out);

}  // namespace cairn::table::parquet
