#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "table/parquet/format.h"

namespace cairn::table::parquet {

/// Decompresses `input` with `codec` into exactly `uncompressed_size` bytes at `out` (which
/// must have room). kCorrupt if the data is malformed or has another size; kUnsupported for
/// codecs other than UNCOMPRESSED, SNAPPY and ZSTD. Thread-safe.
Status Decompress(Codec codec, std::string_view input, int64_t uncompressed_size, char* out);

/// Compresses `input` with `codec`, replacing *out. `zstd_level` is used for ZSTD only.
/// Thread-safe.
Status Compress(Codec codec, std::string_view input, int zstd_level, std::string* out);

}  // namespace cairn::table::parquet
