#pragma once

// Value encodings used by the Parquet writer: the RLE/bit-packed hybrid (definition levels and
// dictionary indices), PLAIN, and dictionary building with flat open-addressing hash tables.
// All functions append to the output and never fail; none allocates per value.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "base/hash.h"

namespace cairn::table::parquet {

/// Number of bits needed to represent `max_value` (0 for 0, 1 for 1, 2 for 2..3, ...).
int BitWidth(uint64_t max_value);

/// Appends the RLE/bit-packed hybrid encoding of `n` values, each below 2^bit_width
/// (bit_width in [0, 32]). Runs of at least 8 equal values become RLE runs; everything else
/// is bit-packed in groups of 8, the last group padded with zeros. No length prefix.
void EncodeRleBitPacked(const uint32_t* values, int64_t n, int bit_width, std::string* out);
/// Same for byte-sized values such as definition levels.
void EncodeRleBitPacked(const uint8_t* values, int64_t n, int bit_width, std::string* out);

/// Appends the definition levels (bit width 1) of `n` rows: 1 where validity[i] != 0, 0
/// elsewhere; a null `validity` means every row is valid. No length prefix.
void EncodeDefinitionLevels(const uint8_t* validity, int64_t n, std::string* out);

/// Appends PLAIN booleans: one bit per value, least significant bit first, the last byte
/// zero-padded. `values` holds one byte per value, nonzero = true.
void EncodePlainBooleans(const uint8_t* values, int64_t n, std::string* out);

/// Appends PLAIN 8-byte values (INT64 or DOUBLE): little-endian, back to back.
void EncodePlainFixed64(const void* values, int64_t n, std::string* out);

/// Appends PLAIN BYTE_ARRAY values: value i is chars[offsets[i], offsets[i + 1]), written as
/// a 4-byte little-endian length followed by the bytes.
void EncodePlainByteArrays(const char* chars, const int64_t* offsets, int64_t n, std::string* out);

/// Bounds on a column chunk's dictionary; past either, the writer falls back to PLAIN.
struct DictionaryLimits {
  int64_t max_entries = 1 << 16;
  int64_t max_plain_bytes = 1 << 20;  // size of the PLAIN-encoded dictionary page
};

/// A dictionary of 64-bit values (INT64, or the bit patterns of DOUBLE so that -0.0, +0.0
/// and NaN payloads stay distinct) in first-seen order. Not thread-safe.
class Fixed64Dictionary {
 public:
  explicit Fixed64Dictionary(DictionaryLimits limits = {});

  /// Index of `key`, inserting it if new; -1 if inserting would pass the limits (the
  /// dictionary is then unchanged).
  int32_t Insert(uint64_t key) {
    size_t slot = static_cast<size_t>((key * kMul) >> shift_);
    for (;;) {
      Slot& s = slots_[slot];
      if (s.index < 0) return Add(key, slot);
      if (s.key == key) return s.index;
      slot = (slot + 1) & mask_;
    }
  }
  /// Removes every entry, keeping the memory for the next chunk.
  void Clear();
  /// Entries in index order.
  const std::vector<uint64_t>& values() const { return values_; }
  int64_t size() const { return static_cast<int64_t>(values_.size()); }
  /// Appends the PLAIN encoding of the entries (the dictionary page body).
  void EncodePlain(std::string* out) const;

 private:
  static constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  struct Slot {
    uint64_t key;
    int32_t index;  // -1 = empty
  };
  int32_t Add(uint64_t key, size_t slot);
  void Grow();

  DictionaryLimits limits_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int shift_ = 0;
  std::vector<uint64_t> values_;
};

/// A dictionary of byte strings in first-seen order, keyed by XXH3. Not thread-safe.
class ByteArrayDictionary {
 public:
  explicit ByteArrayDictionary(DictionaryLimits limits = {});

  /// Index of `v`, inserting a copy if new; -1 if inserting would pass the limits.
  int32_t Insert(std::string_view v) {
    uint64_t h = Xxh3(v);
    size_t slot = static_cast<size_t>(h & mask_);
    for (;;) {
      Slot& s = slots_[slot];
      if (s.index < 0) return Add(v, h, slot);
      if (s.hash == h && Value(s.index) == v) return s.index;
      slot = (slot + 1) & mask_;
    }
  }
  /// Removes every entry, keeping the memory for the next chunk.
  void Clear();
  /// Entry i.
  std::string_view Value(int32_t i) const {
    size_t b = static_cast<size_t>(offsets_[static_cast<size_t>(i)]);
    size_t e = static_cast<size_t>(offsets_[static_cast<size_t>(i) + 1]);
    return std::string_view(chars_.data() + b, e - b);
  }
  int64_t size() const { return static_cast<int64_t>(offsets_.size()) - 1; }
  /// Size of the PLAIN-encoded entries (4 length bytes plus the bytes of each).
  int64_t plain_bytes() const { return plain_bytes_; }
  /// Appends the PLAIN encoding of the entries (the dictionary page body).
  void EncodePlain(std::string* out) const;

 private:
  struct Slot {
    uint64_t hash;
    int32_t index;  // -1 = empty
  };
  int32_t Add(std::string_view v, uint64_t hash, size_t slot);
  void Grow();

  DictionaryLimits limits_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  std::vector<int64_t> offsets_;
  std::string chars_;
  int64_t plain_bytes_ = 0;
};

}  // namespace cairn::table::parquet
