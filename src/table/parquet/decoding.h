#pragma once

// Value decodings used by the Parquet reader: the RLE/bit-packed hybrid (levels, dictionary
// indices, booleans), the deprecated BIT_PACKED levels, PLAIN for every physical type,
// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT.
//
// Every decoder works on a byte range it does not own, checks each read against the end of
// that range and reports malformed input by returning false; callers turn that into a
// kCorrupt status with context. Decoders are streaming: values can be taken in any number of
// calls. None allocates per value. Not thread-safe; use one decoder per thread.

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace cairn::table::parquet {

/// Unpacks 8 values of `bit_width` bits (0..32), packed least significant bit first, from
/// the `bit_width` bytes at `in`. Reads exactly `bit_width` bytes.
void Unpack8(const uint8_t* in, int bit_width, uint32_t* out);

/// Decoder of the RLE/bit-packed hybrid encoding (without the optional 4-byte length prefix,
/// which the caller strips). A bit-packed run cut short by the end of the data yields the
/// values its bytes hold; asking for more is an error.
class RleBitPackedDecoder {
 public:
  RleBitPackedDecoder() = default;
  /// Starts decoding `size` bytes at `data` with values of `bit_width` bits. Returns false
  /// if bit_width is outside [0, 32].
  bool Reset(const uint8_t* data, int64_t size, int bit_width);

  /// Decodes the next `n` values into `out`. Returns false if the data ends first or is
  /// malformed (`out` is then partly written).
  bool Decode(uint32_t* out, int64_t n);
  /// Same for byte-sized values such as levels (bit_width must be at most 8).
  bool Decode(uint8_t* out, int64_t n);

 private:
  bool NextRun();
  template <typename T>
  bool DecodeImpl(T* out, int64_t n);

  const uint8_t* pos_ = nullptr;
  const uint8_t* end_ = nullptr;
  int bit_width_ = 0;
  // Current run. For an RLE run, `left_` copies of `value_` remain. For a bit-packed run,
  // `left_` values remain in total: first those buffered in buf_[buf_pos_, 8), then whole
  // groups at pos_.
  bool rle_ = true;
  int64_t left_ = 0;
  uint32_t value_ = 0;
  uint32_t buf_[8] = {};
  int buf_pos_ = 8;
};

/// Decodes `n` levels of `bit_width` bits in the deprecated BIT_PACKED encoding (packed most
/// significant bit first), starting at level index `first`, from `size` bytes at `data`.
/// Returns false if the data is too short.
bool DecodeBitPackedLevels(const uint8_t* data, int64_t size, int bit_width, int64_t first,
                           int64_t n, uint8_t* out);

/// Decoder of DELTA_BINARY_PACKED integers (INT32 and INT64; arithmetic wraps modulo 2^64,
/// so INT32 values are the low 32 bits of the result).
class DeltaBinaryPackedDecoder {
 public:
  /// Parses the header at `data`. Returns false if it is malformed.
  bool Init(const uint8_t* data, int64_t size);
  /// Number of values the header announces.
  int64_t total_values() const { return total_; }
  /// Values not yet decoded.
  int64_t remaining() const { return total_ - produced_; }
  /// Decodes the next `n` values (at most remaining()). Returns false on malformed data.
  bool Decode(int64_t* out, int64_t n);
  /// Walks the block headers, without decoding values, to find where the encoded values
  /// end; *end receives the offset from `data` (as passed to Init). Call before Decode.
  bool FindEnd(int64_t* end) const;

 private:
  bool StartBlock();
  bool LoadMiniblock();

  const uint8_t* begin_ = nullptr;
  const uint8_t* pos_ = nullptr;
  const uint8_t* end_ = nullptr;
  int64_t block_size_ = 0;
  int64_t miniblocks_ = 0;
  int64_t per_miniblock_ = 0;
  int64_t total_ = 0;
  int64_t produced_ = 0;
  uint64_t last_ = 0;
  bool first_pending_ = true;
  // Current block.
  uint64_t min_delta_ = 0;
  std::vector<uint8_t> widths_;
  int64_t miniblock_index_ = 0;
  // Deltas of the current miniblock, [delta_pos_, per_miniblock_) not yet used.
  std::vector<uint64_t> deltas_;
  int64_t delta_pos_ = 0;
};

/// Decoder of DELTA_LENGTH_BYTE_ARRAY: lengths (DELTA_BINARY_PACKED) then all bytes.
class DeltaLengthByteArrayDecoder {
 public:
  bool Init(const uint8_t* data, int64_t size);
  int64_t remaining() const { return lengths_.remaining(); }
  /// Appends the next `n` values to *chars and writes their lengths to `lengths`.
  bool Decode(int64_t n, std::string* chars, uint32_t* lengths);
  /// Offset just past the last value's bytes; valid once every value is decoded.
  const uint8_t* data_pos() const { return data_; }

 private:
  DeltaBinaryPackedDecoder lengths_;
  const uint8_t* data_ = nullptr;
  const uint8_t* end_ = nullptr;
  std::vector<int64_t> scratch_;
};

/// Decoder of DELTA_BYTE_ARRAY: prefix lengths (DELTA_BINARY_PACKED), then suffixes
/// (DELTA_LENGTH_BYTE_ARRAY); value i is the first prefix[i] bytes of value i-1 + suffix i.
class DeltaByteArrayDecoder {
 public:
  bool Init(const uint8_t* data, int64_t size);
  int64_t remaining() const { return prefixes_.remaining(); }
  /// Appends the next `n` values to *chars and writes their lengths to `lengths`.
  bool Decode(int64_t n, std::string* chars, uint32_t* lengths);

 private:
  DeltaBinaryPackedDecoder prefixes_;
  DeltaLengthByteArrayDecoder suffixes_;
  std::string last_;
  std::vector<int64_t> prefix_scratch_;
  std::vector<uint32_t> suffix_lengths_;
  std::string suffix_chars_;
};

// PLAIN decoders. Each reads `n` values from [*pos, end), advances *pos, and returns false
// (leaving *pos unspecified) if the data is too short.

/// INT32, sign-extended to 64 bits.
bool DecodePlainInt32(const uint8_t** pos, const uint8_t* end, int64_t n, int64_t* out);
/// INT64.
bool DecodePlainInt64(const uint8_t** pos, const uint8_t* end, int64_t n, int64_t* out);
/// INT96 timestamps (8 bytes nanoseconds of the day, 4 bytes Julian day, little-endian) as
/// nanoseconds since the Unix epoch (wrapping for dates outside about 1677..2262).
bool DecodePlainInt96(const uint8_t** pos, const uint8_t* end, int64_t n, int64_t* out);
/// FLOAT, widened exactly to double.
bool DecodePlainFloat(const uint8_t** pos, const uint8_t* end, int64_t n, double* out);
/// DOUBLE.
bool DecodePlainDouble(const uint8_t** pos, const uint8_t* end, int64_t n, double* out);
/// BOOLEAN: one bit per value, least significant first; *bit (0..7) is the position in the
/// byte at *pos and is advanced with it. Writes 0/1 bytes.
bool DecodePlainBool(const uint8_t** pos, const uint8_t* end, int* bit, int64_t n, uint8_t* out);
/// BYTE_ARRAY: a 4-byte little-endian length, then the bytes. Appends the bytes to *chars
/// and writes each length to `lengths`.
bool DecodePlainByteArrays(const uint8_t** pos, const uint8_t* end, int64_t n, std::string* chars,
                           uint32_t* lengths);

/// The Unix-epoch nanoseconds of one INT96 value at `p` (12 bytes).
int64_t Int96ToNanos(const uint8_t* p);

/// BYTE_STREAM_SPLIT: the page holds `count` values of `width` bytes as `width` streams of
/// `count` bytes (byte k of value i at data[k * count + i]). Reassembles values
/// [first, first + n) as little-endian bytes at `out` (n * width bytes). The caller checks
/// that the page holds count * width bytes.
void DecodeByteStreamSplit(const uint8_t* data, int64_t count, int width, int64_t first, int64_t n,
                           uint8_t* out);

/// out[i] = dict[idx[i]] for i < n. Returns false (out unspecified) if an index is not below
/// dict_size.
template <typename T>
bool GatherDictionary(const T* dict, int64_t dict_size, const uint32_t* idx, int64_t n, T* out) {
  // Checking the maximum first keeps the gather loop free of branches.
  uint32_t max_index = 0;
  for (int64_t i = 0; i < n; ++i) max_index = idx[i] > max_index ? idx[i] : max_index;
  if (n > 0 && static_cast<int64_t>(max_index) >= dict_size) return false;
  for (int64_t i = 0; i < n; ++i) out[i] = dict[idx[i]];
  return true;
}

/// Reads an unsigned LEB128 varint from [*pos, end). Returns false if truncated or longer
/// than 10 bytes.
bool ReadUleb128(const uint8_t** pos, const uint8_t* end, uint64_t* value);

}  // namespace cairn::table::parquet
