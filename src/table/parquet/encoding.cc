#include "table/parquet/encoding.h"

#include <algorithm>
#include <bit>

namespace cairn::table::parquet {
namespace {

static_assert(std::endian::native == std::endian::little,
              "PLAIN encoding copies values as they are in memory");

constexpr int kMinRepeat = 8;  // shorter runs are cheaper bit-packed

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void StoreLe32(char* dst, uint32_t v) { std::memcpy(dst, &v, 4); }

// Bit-packs `count` values (a multiple of 8) from get(begin), LSB first.
template <typename Get>
void PackGroups(const Get& get, int64_t begin, int64_t count, int bit_width, std::string* out) {
  size_t pos = out->size();
  size_t bytes = static_cast<size_t>(count / 8) * static_cast<size_t>(bit_width);
  out->resize(pos + bytes);
  char* dst = out->data() + pos;
  uint64_t acc = 0;
  int bits = 0;
  for (int64_t i = begin; i < begin + count; ++i) {
    acc |= static_cast<uint64_t>(get(i)) << bits;
    bits += bit_width;
    if (bits >= 32) {
      StoreLe32(dst, static_cast<uint32_t>(acc));
      dst += 4;
      acc >>= 32;
      bits -= 32;
    }
  }
  // 8 values of any width fill whole bytes, so what is left is a whole number of bytes.
  while (bits > 0) {
    *dst++ = static_cast<char>(acc & 0xFF);
    acc >>= 8;
    bits -= 8;
  }
}

// Emits values [begin, end) as one bit-packed run; only the last run of a stream may have a
// count that is not a multiple of 8 (its padding is ignored by readers, who know the count).
template <typename Get>
void EmitLiteral(const Get& get, int64_t begin, int64_t end, int bit_width, std::string* out) {
  int64_t count = end - begin;
  if (count <= 0) return;
  int64_t groups = (count + 7) / 8;
  AppendVarint((static_cast<uint64_t>(groups) << 1) | 1, out);
  int64_t full = count / 8 * 8;
  PackGroups(get, begin, full, bit_width, out);
  if (full < count) {
    uint32_t tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t i = full; i < count; ++i) tail[i - full] = get(begin + i);
    PackGroups([&](int64_t i) { return tail[i]; }, 0, 8, bit_width, out);
  }
}

void EmitRepeat(uint32_t value, int64_t count, int bit_width, std::string* out) {
  AppendVarint(static_cast<uint64_t>(count) << 1, out);
  int value_bytes = (bit_width + 7) / 8;
  for (int b = 0; b < value_bytes; ++b) {
    out->push_back(static_cast<char>((value >> (8 * b)) & 0xFF));
  }
}

template <typename Get>
void EncodeHybrid(const Get& get, int64_t n, int bit_width, std::string* out) {
  int64_t literal_begin = 0;
  int64_t i = 0;
  while (i < n) {
    uint32_t v = get(i);
    int64_t j = i + 1;
    while (j < n && get(j) == v) ++j;
    int64_t run = j - i;
    if (run < kMinRepeat) {
      i = j;
      continue;
    }
    // A bit-packed run ahead of an RLE run must hold whole groups of 8: lend it values from
    // the start of the repeat.
    int64_t pending = i - literal_begin;
    int64_t lend = (8 - pending % 8) % 8;
    i += lend;
    run -= lend;
    if (run < kMinRepeat) {
      i = j;
      continue;
    }
    EmitLiteral(get, literal_begin, i, bit_width, out);
    EmitRepeat(v, run, bit_width, out);
    i = j;
    literal_begin = j;
  }
  EmitLiteral(get, literal_begin, n, bit_width, out);
}

}  // namespace

int BitWidth(uint64_t max_value) { return 64 - std::countl_zero(max_value); }

void EncodeRleBitPacked(const uint32_t* values, int64_t n, int bit_width, std::string* out) {
  EncodeHybrid([values](int64_t i) { return values[i]; }, n, bit_width, out);
}

void EncodeRleBitPacked(const uint8_t* values, int64_t n, int bit_width, std::string* out) {
  EncodeHybrid([values](int64_t i) { return static_cast<uint32_t>(values[i]); }, n, bit_width, out);
}

void EncodeDefinitionLevels(const uint8_t* validity, int64_t n, std::string* out) {
  if (n == 0) return;
  if (validity == nullptr) {
    EmitRepeat(1, n, 1, out);
    return;
  }
  EncodeHybrid([validity](int64_t i) { return validity[i] != 0 ? 1u : 0u; }, n, 1, out);
}

void EncodePlainBooleans(const uint8_t* values, int64_t n, std::string* out) {
  size_t pos = out->size();
  out->resize(pos + static_cast<size_t>((n + 7) / 8));
  char* dst = out->data() + pos;
  int64_t full = n / 8 * 8;
  for (int64_t i = 0; i < full; i += 8) {
    unsigned byte = 0;
    for (int b = 0; b < 8; ++b) byte |= (values[i + b] != 0 ? 1u : 0u) << b;
    *dst++ = static_cast<char>(byte);
  }
  if (full < n) {
    unsigned byte = 0;
    for (int64_t i = full; i < n; ++i) {
      byte |= (values[i] != 0 ? 1u : 0u) << (i - full);
    }
    *dst = static_cast<char>(byte);
  }
}

void EncodePlainFixed64(const void* values, int64_t n, std::string* out) {
  out->append(static_cast<const char*>(values), static_cast<size_t>(n) * 8);
}

void EncodePlainByteArrays(const char* chars, const int64_t* offsets, int64_t n, std::string* out) {
  size_t pos = out->size();
  size_t total = static_cast<size_t>(n) * 4 + static_cast<size_t>(offsets[n] - offsets[0]);
  out->resize(pos + total);
  char* dst = out->data() + pos;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t len = static_cast<uint32_t>(offsets[i + 1] - offsets[i]);
    StoreLe32(dst, len);
    std::memcpy(dst + 4, chars + offsets[i], len);
    dst += 4 + len;
  }
}

// ---- Fixed64Dictionary ----

namespace {
constexpr int kInitialSlotsLog2 = 10;
}  // namespace

Fixed64Dictionary::Fixed64Dictionary(DictionaryLimits limits)
    : limits_(limits),
      slots_(size_t{1} << kInitialSlotsLog2, Slot{0, -1}),
      mask_((size_t{1} << kInitialSlotsLog2) - 1),
      shift_(64 - kInitialSlotsLog2) {}

int32_t Fixed64Dictionary::Add(uint64_t key, size_t slot) {
  int64_t n = size() + 1;
  if (n > limits_.max_entries || n * 8 > limits_.max_plain_bytes) return -1;
  int32_t index = static_cast<int32_t>(values_.size());
  values_.push_back(key);
  slots_[slot] = Slot{key, index};
  if (values_.size() * 2 > slots_.size()) Grow();
  return index;
}

void Fixed64Dictionary::Grow() {
  size_t capacity = slots_.size() * 2;
  slots_.assign(capacity, Slot{0, -1});
  mask_ = capacity - 1;
  --shift_;
  for (size_t i = 0; i < values_.size(); ++i) {
    size_t slot = static_cast<size_t>((values_[i] * kMul) >> shift_);
    while (slots_[slot].index >= 0) slot = (slot + 1) & mask_;
    slots_[slot] = Slot{values_[i], static_cast<int32_t>(i)};
  }
}

void Fixed64Dictionary::Clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{0, -1});
  values_.clear();
}

void Fixed64Dictionary::EncodePlain(std::string* out) const {
  EncodePlainFixed64(values_.data(), size(), out);
}

// ---- ByteArrayDictionary ----

ByteArrayDictionary::ByteArrayDictionary(DictionaryLimits limits)
    : limits_(limits),
      slots_(size_t{1} << kInitialSlotsLog2, Slot{0, -1}),
      mask_((size_t{1} << kInitialSlotsLog2) - 1),
      offsets_{0} {}

int32_t ByteArrayDictionary::Add(std::string_view v, uint64_t hash, size_t slot) {
  int64_t n = size() + 1;
  int64_t plain = plain_bytes_ + 4 + static_cast<int64_t>(v.size());
  if (n > limits_.max_entries || plain > limits_.max_plain_bytes) return -1;
  int32_t index = static_cast<int32_t>(size());
  chars_.append(v);
  offsets_.push_back(static_cast<int64_t>(chars_.size()));
  plain_bytes_ = plain;
  slots_[slot] = Slot{hash, index};
  if (static_cast<size_t>(n) * 2 > slots_.size()) Grow();
  return index;
}

void ByteArrayDictionary::Grow() {
  std::vector<Slot> old = std::move(slots_);
  size_t capacity = old.size() * 2;
  slots_.assign(capacity, Slot{0, -1});
  mask_ = capacity - 1;
  for (const Slot& s : old) {
    if (s.index < 0) continue;
    size_t slot = static_cast<size_t>(s.hash & mask_);
    while (slots_[slot].index >= 0) slot = (slot + 1) & mask_;
    slots_[slot] = s;
  }
}

void ByteArrayDictionary::Clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{0, -1});
  offsets_.assign(1, 0);
  chars_.clear();
  plain_bytes_ = 0;
}

void ByteArrayDictionary::EncodePlain(std::string* out) const {
  EncodePlainByteArrays(chars_.data(), offsets_.data(), size(), out);
}

}  // namespace cairn::table::parquet
