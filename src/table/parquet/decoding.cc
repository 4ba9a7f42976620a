#include "table/parquet/decoding.h"

#include <algorithm>
#include <array>
#include <bit>
#include <utility>

namespace cairn::table::parquet {

// Values are assembled with unaligned little-endian loads (memcpy into integers).
static_assert(std::endian::native == std::endian::little, "cairn assumes a little-endian host");

namespace {

// Unpacks 8 values of W bits from `in`, which must have at least W + 8 readable bytes (the
// loads are 8 bytes wide). W is a template argument so the shifts and masks are constants
// and the loop unrolls.
template <int W>
void Unpack8Padded(const uint8_t* in, uint32_t* out) {
  if constexpr (W == 0) {
    for (int i = 0; i < 8; ++i) out[i] = 0;
  } else {
    constexpr uint64_t kMask = W == 32 ? 0xFFFFFFFFULL : ((uint64_t{1} << W) - 1);
    for (int i = 0; i < 8; ++i) {
      const int bit = i * W;
      uint64_t x;
      std::memcpy(&x, in + bit / 8, 8);
      out[i] = static_cast<uint32_t>((x >> (bit % 8)) & kMask);
    }
  }
}

using Unpack8Fn = void (*)(const uint8_t*, uint32_t*);

template <int... Ws>
constexpr auto MakeUnpackTable(std::integer_sequence<int, Ws...>) {
  return std::array<Unpack8Fn, sizeof...(Ws)>{&Unpack8Padded<Ws>...};
}

constexpr auto kUnpack = MakeUnpackTable(std::make_integer_sequence<int, 33>{});

// Unpacks one group of 8 values of `w` bits from [in, end) into out; the group may be cut
// short by `end`, in which case the missing bits read as zero. Returns the bytes consumed.
inline int64_t UnpackGroup(const uint8_t* in, const uint8_t* end, int w, uint32_t* out) {
  if (end - in >= w + 8) {
    kUnpack[static_cast<size_t>(w)](in, out);
    return w;
  }
  uint8_t tmp[48] = {};
  int64_t n = std::min<int64_t>(w, end - in);
  if (n > 0) std::memcpy(tmp, in, static_cast<size_t>(n));
  kUnpack[static_cast<size_t>(w)](tmp, out);
  return n;
}

inline uint32_t LoadLe32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline uint64_t LoadLe64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline bool ReadZigZag64(const uint8_t** pos, const uint8_t* end, uint64_t* value) {
  uint64_t u;
  if (!ReadUleb128(pos, end, &u)) return false;
  *value = (u >> 1) ^ (~(u & 1) + 1);
  return true;
}

}  // namespace

void Unpack8(const uint8_t* in, int bit_width, uint32_t* out) {
  uint8_t tmp[48] = {};
  if (bit_width > 0) std::memcpy(tmp, in, static_cast<size_t>(bit_width));
  kUnpack[static_cast<size_t>(bit_width)](tmp, out);
}

bool ReadUleb128(const uint8_t** pos, const uint8_t* end, uint64_t* value) {
  uint64_t v = 0;
  const uint8_t* p = *pos;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p >= end) return false;
    uint8_t b = *p++;
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) {
      *pos = p;
      *value = v;
      return true;
    }
  }
  return false;
}

// ---- RLE / bit-packed hybrid ----

bool RleBitPackedDecoder::Reset(const uint8_t* data, int64_t size, int bit_width) {
  if (bit_width < 0 || bit_width > 32 || size < 0) return false;
  pos_ = data;
  end_ = data + size;
  bit_width_ = bit_width;
  rle_ = true;
  left_ = 0;
  buf_pos_ = 8;
  return true;
}

bool RleBitPackedDecoder::NextRun() {
  uint64_t header;
  if (!ReadUleb128(&pos_, end_, &header)) return false;
  // Runs longer than 2^40 values cannot come from a real page; capping keeps the counts
  // below overflow.
  constexpr uint64_t kMaxRun = uint64_t{1} << 40;
  // The low bit tells the run type: 1 = bit-packed groups of 8, 0 = one repeated value.
  if ((header & 1) == 0) {
    rle_ = true;
    left_ = static_cast<int64_t>(std::min(header >> 1, kMaxRun));
    const int bytes = (bit_width_ + 7) / 8;
    if (end_ - pos_ < bytes) return false;
    uint32_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= static_cast<uint32_t>(pos_[i]) << (8 * i);
    pos_ += bytes;
    // Bits above the width carry no meaning; dropping them keeps levels and booleans 0/1.
    value_ = bit_width_ == 32 ? v : v & ((uint32_t{1} << bit_width_) - 1);
  } else {
    rle_ = false;
    buf_pos_ = 8;
    uint64_t groups = std::min(header >> 1, kMaxRun);
    if (bit_width_ == 0) {
      left_ = static_cast<int64_t>(groups * 8);
      return true;
    }
    const uint64_t avail = static_cast<uint64_t>(end_ - pos_);
    const uint64_t need = groups * static_cast<uint64_t>(bit_width_);
    // Some writers cut the last run short; its bytes still hold whole values.
    left_ = need <= avail ? static_cast<int64_t>(groups * 8)
                          : static_cast<int64_t>(avail * 8 / static_cast<uint64_t>(bit_width_));
  }
  return true;
}

template <typename T>
bool RleBitPackedDecoder::DecodeImpl(T* out, int64_t n) {
  while (n > 0) {
    if (left_ == 0) {
      if (pos_ >= end_ || !NextRun()) return false;
      continue;
    }
    if (rle_) {
      const int64_t k = std::min(n, left_);
      std::fill(out, out + k, static_cast<T>(value_));
      out += k;
      n -= k;
      left_ -= k;
      continue;
    }
    if (buf_pos_ < 8) {
      const int64_t k = std::min({n, left_, static_cast<int64_t>(8 - buf_pos_)});
      for (int64_t i = 0; i < k; ++i) out[i] = static_cast<T>(buf_[buf_pos_ + i]);
      buf_pos_ += static_cast<int>(k);
      out += k;
      n -= k;
      left_ -= k;
      continue;
    }
    if (n >= 8 && left_ >= 8) {
      // Whole groups go straight to the output, 8 values per call.
      const int64_t groups = std::min(n, left_) / 8;
      for (int64_t g = 0; g < groups; ++g) {
        if constexpr (sizeof(T) == sizeof(uint32_t)) {
          pos_ += UnpackGroup(pos_, end_, bit_width_, reinterpret_cast<uint32_t*>(out));
        } else {
          uint32_t tmp[8];
          pos_ += UnpackGroup(pos_, end_, bit_width_, tmp);
          for (int i = 0; i < 8; ++i) out[i] = static_cast<T>(tmp[i]);
        }
        out += 8;
      }
      n -= groups * 8;
      left_ -= groups * 8;
      continue;
    }
    pos_ += UnpackGroup(pos_, end_, bit_width_, buf_);
    buf_pos_ = 0;
  }
  return true;
}

bool RleBitPackedDecoder::Decode(uint32_t* out, int64_t n) { return DecodeImpl(out, n); }

bool RleBitPackedDecoder::Decode(uint8_t* out, int64_t n) {
  if (bit_width_ > 8) return false;
  return DecodeImpl(out, n);
}

bool DecodeBitPackedLevels(const uint8_t* data, int64_t size, int bit_width, int64_t first,
                           int64_t n, uint8_t* out) {
  if (bit_width < 0 || bit_width > 8 || first < 0 || n < 0) return false;
  const int64_t end_bit = (first + n) * bit_width;
  if ((end_bit + 7) / 8 > size) return false;
  int64_t bit = first * bit_width;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t v = 0;
    for (int b = 0; b < bit_width; ++b, ++bit) {
      const uint32_t set = static_cast<uint32_t>(data[bit / 8] >> (7 - bit % 8)) & 1u;
      v = (v << 1) | set;
    }
    out[i] = static_cast<uint8_t>(v);
  }
  return true;
}

// ---- DELTA_BINARY_PACKED ----

bool DeltaBinaryPackedDecoder::Init(const uint8_t* data, int64_t size) {
  begin_ = data;
  pos_ = data;
  end_ = data + size;
  uint64_t block_size, miniblocks, total, first;
  if (!ReadUleb128(&pos_, end_, &block_size) || !ReadUleb128(&pos_, end_, &miniblocks) ||
      !ReadUleb128(&pos_, end_, &total) || !ReadZigZag64(&pos_, end_, &first)) {
    return false;
  }
  // The format asks for blocks of a multiple of 128 values split into miniblocks of a
  // multiple of 32; accept any multiple of 8 but bound the sizes so buffers stay small.
  if (block_size == 0 || block_size > (1u << 20) || miniblocks == 0 || miniblocks > block_size ||
      block_size % miniblocks != 0 || (block_size / miniblocks) % 8 != 0 ||
      total > (uint64_t{1} << 40)) {
    return false;
  }
  block_size_ = static_cast<int64_t>(block_size);
  miniblocks_ = static_cast<int64_t>(miniblocks);
  per_miniblock_ = block_size_ / miniblocks_;
  total_ = static_cast<int64_t>(total);
  produced_ = 0;
  last_ = first;
  first_pending_ = total_ > 0;
  widths_.assign(static_cast<size_t>(miniblocks_), 0);
  miniblock_index_ = miniblocks_;
  deltas_.assign(static_cast<size_t>(per_miniblock_), 0);
  delta_pos_ = per_miniblock_;
  return true;
}

bool DeltaBinaryPackedDecoder::StartBlock() {
  if (!ReadZigZag64(&pos_, end_, &min_delta_)) return false;
  if (end_ - pos_ < miniblocks_) return false;
  for (int64_t i = 0; i < miniblocks_; ++i) {
    widths_[static_cast<size_t>(i)] = pos_[i];
  }
  pos_ += miniblocks_;
  miniblock_index_ = 0;
  return true;
}

bool DeltaBinaryPackedDecoder::LoadMiniblock() {
  const int w = widths_[static_cast<size_t>(miniblock_index_++)];
  if (w > 64) return false;
  const int64_t bytes = per_miniblock_ * w / 8;
  const int64_t avail = end_ - pos_;
  // Values still to come after the first; a final miniblock may stop after its last
  // needed value.
  const int64_t needed = std::min(per_miniblock_, remaining());
  if (avail < (needed * w + 7) / 8) return false;
  const int64_t take = std::min(bytes, avail);
  uint64_t* d = deltas_.data();
  if (w <= 32) {
    const uint8_t* p = pos_;
    const uint8_t* e = pos_ + take;
    uint32_t tmp[8];
    for (int64_t g = 0; g < per_miniblock_; g += 8) {
      p += UnpackGroup(p, e, w, tmp);
      for (int i = 0; i < 8; ++i) d[g + i] = tmp[i];
    }
  } else {
    // Wide deltas are rare (only wildly varying data); extract them bit by bit from a
    // zero-padded copy.
    std::vector<uint8_t> padded(static_cast<size_t>(bytes) + 16, 0);
    std::memcpy(padded.data(), pos_, static_cast<size_t>(take));
    const uint64_t mask = w == 64 ? ~uint64_t{0} : ((uint64_t{1} << w) - 1);
    for (int64_t i = 0; i < per_miniblock_; ++i) {
      const int64_t bit = i * w;
      const uint8_t* q = padded.data() + bit / 8;
      const int shift = static_cast<int>(bit % 8);
      uint64_t lo = LoadLe64(q);
      uint64_t v = lo >> shift;
      if (shift != 0) v |= static_cast<uint64_t>(q[8]) << (64 - shift);
      d[i] = v & mask;
    }
  }
  pos_ += take;
  delta_pos_ = 0;
  return true;
}

bool DeltaBinaryPackedDecoder::Decode(int64_t* out, int64_t n) {
  if (n < 0 || n > remaining()) return false;
  int64_t i = 0;
  if (first_pending_ && n > 0) {
    out[0] = static_cast<int64_t>(last_);
    first_pending_ = false;
    ++produced_;
    i = 1;
  }
  while (i < n) {
    if (delta_pos_ == per_miniblock_) {
      if (miniblock_index_ == miniblocks_ && !StartBlock()) return false;
      if (!LoadMiniblock()) return false;
    }
    const int64_t k = std::min(n - i, per_miniblock_ - delta_pos_);
    const uint64_t* d = deltas_.data() + delta_pos_;
    uint64_t v = last_;
    // Unsigned arithmetic: deltas wrap modulo 2^64 by definition.
    for (int64_t j = 0; j < k; ++j) {
      v += min_delta_ + d[j];
      out[i + j] = static_cast<int64_t>(v);
    }
    last_ = v;
    delta_pos_ += k;
    produced_ += k;
    i += k;
  }
  return true;
}

bool DeltaBinaryPackedDecoder::FindEnd(int64_t* end) const {
  const uint8_t* p = pos_;
  int64_t left = total_ > 0 ? total_ - 1 : 0;
  while (left > 0) {
    uint64_t min_delta;
    if (!ReadZigZag64(&p, end_, &min_delta)) return false;
    if (end_ - p < miniblocks_) return false;
    const uint8_t* widths = p;
    p += miniblocks_;
    for (int64_t m = 0; m < miniblocks_ && left > 0; ++m) {
      const int w = widths[m];
      if (w > 64) return false;
      const int64_t needed = std::min(per_miniblock_, left);
      const int64_t avail = end_ - p;
      if (avail < (needed * w + 7) / 8) return false;
      p += std::min(per_miniblock_ * w / 8, avail);
      left -= needed;
    }
  }
  *end = p - begin_;
  return true;
}

// ---- DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY ----

bool DeltaLengthByteArrayDecoder::Init(const uint8_t* data, int64_t size) {
  if (!lengths_.Init(data, size)) return false;
  int64_t lengths_end;
  if (!lengths_.FindEnd(&lengths_end)) return false;
  data_ = data + lengths_end;
  end_ = data + size;
  return true;
}

bool DeltaLengthByteArrayDecoder::Decode(int64_t n, std::string* chars, uint32_t* lengths) {
  scratch_.resize(static_cast<size_t>(n));
  if (!lengths_.Decode(scratch_.data(), n)) return false;
  const int64_t avail = end_ - data_;
  int64_t total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t len = scratch_[static_cast<size_t>(i)];
    if (len < 0 || len > avail - total) return false;
    total += len;
    lengths[i] = static_cast<uint32_t>(len);
  }
  chars->append(reinterpret_cast<const char*>(data_), static_cast<size_t>(total));
  data_ += total;
  return true;
}

bool DeltaByteArrayDecoder::Init(const uint8_t* data, int64_t size) {
  if (!prefixes_.Init(data, size)) return false;
  int64_t prefixes_end;
  if (!prefixes_.FindEnd(&prefixes_end)) return false;
  if (!suffixes_.Init(data + prefixes_end, size - prefixes_end)) return false;
  if (suffixes_.remaining() < prefixes_.remaining()) return false;
  last_.clear();
  return true;
}

bool DeltaByteArrayDecoder::Decode(int64_t n, std::string* chars, uint32_t* lengths) {
  prefix_scratch_.resize(static_cast<size_t>(n));
  suffix_lengths_.resize(static_cast<size_t>(n));
  suffix_chars_.clear();
  if (!prefixes_.Decode(prefix_scratch_.data(), n)) return false;
  if (!suffixes_.Decode(n, &suffix_chars_, suffix_lengths_.data())) return false;
  size_t s = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t prefix = prefix_scratch_[static_cast<size_t>(i)];
    if (prefix < 0 || static_cast<uint64_t>(prefix) > last_.size()) return false;
    const size_t suffix_len = suffix_lengths_[static_cast<size_t>(i)];
    last_.resize(static_cast<size_t>(prefix));
    last_.append(suffix_chars_, s, suffix_len);
    s += suffix_len;
    if (last_.size() > UINT32_MAX) return false;
    chars->append(last_);
    lengths[i] = static_cast<uint32_t>(last_.size());
  }
  return true;
}

// ---- PLAIN ----

bool DecodePlainInt32(const uint8_t** pos, const uint8_t* end, int64_t n, int64_t* out) {
  const uint8_t* p = *pos;
  if ((end - p) / 4 < n) return false;
  for (int64_t i = 0; i < n; ++i) {
    int32_t v;
    std::memcpy(&v, p + 4 * i, 4);
    out[i] = v;
  }
  *pos = p + 4 * n;
  return true;
}

bool DecodePlainInt64(const uint8_t** pos, const uint8_t* end, int64_t n, int64_t* out) {
  if ((end - *pos) / 8 < n) return false;
  if (n > 0) std::memcpy(out, *pos, static_cast<size_t>(n) * 8);
  *pos += 8 * n;
  return true;
}

int64_t Int96ToNanos(const uint8_t* p) {
  constexpr int64_t kJulianUnixEpoch = 2440588;
  constexpr uint64_t kNanosPerDay = 86400ULL * 1000000000ULL;
  const uint64_t nanos_of_day = LoadLe64(p);
  int32_t julian_day;
  std::memcpy(&julian_day, p + 8, 4);
  const int64_t days = static_cast<int64_t>(julian_day) - kJulianUnixEpoch;
  // Unsigned arithmetic so that out-of-range dates wrap instead of overflowing.
  return static_cast<int64_t>(static_cast<uint64_t>(days) * kNanosPerDay + nanos_of_day);
}

bool DecodePlainInt96(const uint8_t** pos, const uint8_t* end, int64_t n, int64_t* out) {
  const uint8_t* p = *pos;
  if ((end - p) / 12 < n) return false;
  for (int64_t i = 0; i < n; ++i) out[i] = Int96ToNanos(p + 12 * i);
  *pos = p + 12 * n;
  return true;
}

bool DecodePlainFloat(const uint8_t** pos, const uint8_t* end, int64_t n, double* out) {
  const uint8_t* p = *pos;
  if ((end - p) / 4 < n) return false;
  for (int64_t i = 0; i < n; ++i) {
    float v;
    std::memcpy(&v, p + 4 * i, 4);
    out[i] = static_cast<double>(v);
  }
  *pos = p + 4 * n;
  return true;
}

bool DecodePlainDouble(const uint8_t** pos, const uint8_t* end, int64_t n, double* out) {
  if ((end - *pos) / 8 < n) return false;
  if (n > 0) std::memcpy(out, *pos, static_cast<size_t>(n) * 8);
  *pos += 8 * n;
  return true;
}

bool DecodePlainBool(const uint8_t** pos, const uint8_t* end, int* bit, int64_t n, uint8_t* out) {
  const uint8_t* p = *pos;
  int b = *bit;
  // Bits still available: those left in the current byte plus the whole bytes after it.
  const int64_t avail = (end - p) * 8 - b;
  if (avail < n) return false;
  int64_t i = 0;
  while (i < n && b != 0) {
    out[i++] = (*p >> b) & 1;
    if (++b == 8) {
      b = 0;
      ++p;
    }
  }
  for (; i + 8 <= n; i += 8, ++p) {
    const uint8_t byte = *p;
    for (int k = 0; k < 8; ++k) out[i + k] = (byte >> k) & 1;
  }
  for (; i < n; ++i) {
    out[i] = (*p >> b) & 1;
    ++b;
  }
  *pos = p;
  *bit = b;
  return true;
}

bool DecodePlainByteArrays(const uint8_t** pos, const uint8_t* end, int64_t n, std::string* chars,
                           uint32_t* lengths) {
  // First pass: validate the lengths and size the output once; second pass: copy.
  const uint8_t* p = *pos;
  uint64_t total = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (end - p < 4) return false;
    const uint32_t len = LoadLe32(p);
    p += 4;
    if (len > static_cast<uint64_t>(end - p)) return false;
    lengths[i] = len;
    total += len;
    p += len;
  }
  const size_t base = chars->size();
  chars->resize(base + static_cast<size_t>(total));
  char* dst = chars->data() + base;
  p = *pos;
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t len = lengths[i];
    std::memcpy(dst, p + 4, len);
    dst += len;
    p += 4 + len;
  }
  *pos = p;
  return true;
}

void DecodeByteStreamSplit(const uint8_t* data, int64_t count, int width, int64_t first, int64_t n,
                           uint8_t* out) {
  for (int k = 0; k < width; ++k) {
    const uint8_t* src = data + static_cast<int64_t>(k) * count + first;
    for (int64_t i = 0; i < n; ++i) out[i * width + k] = src[i];
  }
}

}  // namespace cairn::table::parquet
