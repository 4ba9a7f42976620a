#include "table/parquet/compression.h"

#include <snappy.h>
#include <zstd.h>

#include <cstring>

namespace cairn::table::parquet {

Status Decompress(Codec codec, std::string_view input, int64_t uncompressed_size, char* out) {
  switch (codec) {
    case Codec::kUncompressed:
      if (static_cast<int64_t>(input.size()) != uncompressed_size) {
        return Status::Corrupt("page size " + std::to_string(input.size()) +
                               " does not match its uncompressed size " +
                               std::to_string(uncompressed_size));
      }
      if (!input.empty()) std::memcpy(out, input.data(), input.size());
      return Status::Ok();
    case Codec::kSnappy: {
      size_t len = 0;
      if (!snappy::GetUncompressedLength(input.data(), input.size(), &len) ||
          static_cast<int64_t>(len) != uncompressed_size) {
        return Status::Corrupt("snappy page: bad length header");
      }
      if (!snappy::RawUncompress(input.data(), input.size(), out)) {
        return Status::Corrupt("snappy page: malformed compressed data");
      }
      return Status::Ok();
    }
    case Codec::kZstd: {
      size_t r =
          ZSTD_decompress(out, static_cast<size_t>(uncompressed_size), input.data(), input.size());
      if (ZSTD_isError(r)) {
        return Status::Corrupt(std::string("zstd page: ") + ZSTD_getErrorName(r));
      }
      if (static_cast<int64_t>(r) != uncompressed_size) {
        return Status::Corrupt("zstd page: decompressed to " + std::to_string(r) +
                               " bytes, header says " + std::to_string(uncompressed_size));
      }
      return Status::Ok();
    }
    default:
      return Status::Unsupported("compression codec " +
                                 std::to_string(static_cast<int32_t>(codec)) +
                                 " (cairn reads UNCOMPRESSED, SNAPPY and ZSTD)");
  }
}

Status Compress(Codec codec, std::string_view input, int zstd_level, std::string* out) {
  switch (codec) {
    case Codec::kUncompressed:
      out->assign(input);
      return Status::Ok();
    case Codec::kSnappy: {
      out->resize(snappy::MaxCompressedLength(input.size()));
      size_t len = 0;
      snappy::RawCompress(input.data(), input.size(), out->data(), &len);
      out->resize(len);
      return Status::Ok();
    }
    case Codec::kZstd: {
      out->resize(ZSTD_compressBound(input.size()));
      size_t r = ZSTD_compress(out->data(), out->size(), input.data(), input.size(), zstd_level);
      if (ZSTD_isError(r)) return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(r));
      out->resize(r);
      return Status::Ok();
    }
    default:
      return Status::Unsupported("compression codec " +
                                 std::to_string(static_cast<int32_t>(codec)));
  }
}

}  // namespace cairn::table::parquet
