#include "metrics/exact_sum.h"

#include <bit>
#include <cmath>
#include <limits>

namespace cairn::metrics {
namespace {

constexpr int64_t kNormalizeEvery = int64_t{1} << 29;

}  // namespace

void ExactSum::Normalize() {
  for (int i = 0; i + 1 < kLimbs; ++i) {
    int64_t carry = limbs_[static_cast<size_t>(i)] >> kLimbBits;  // floor division
    limbs_[static_cast<size_t>(i)] -= carry * (int64_t{1} << kLimbBits);
    limbs_[static_cast<size_t>(i) + 1] += carry;
  }
  pending_ = 0;
}

void ExactSum::Add(double x) {
  if (!std::isfinite(x)) {
    if (std::isnan(x)) {
      ++nan_;
    } else if (x > 0) {
      ++pos_inf_;
    } else {
      ++neg_inf_;
    }
    return;
  }
  if (x == 0) return;
  uint64_t bits = std::bit_cast<uint64_t>(x);
  bool negative = (bits >> 63) != 0;
  int exponent = static_cast<int>((bits >> 52) & 0x7ff);
  uint64_t mantissa = bits & ((uint64_t{1} << 52) - 1);
  // x = mantissa * 2^(position - 1074) with position >= 0.
  int position = 0;
  if (exponent == 0) {
    position = 0;  // subnormal: mantissa * 2^-1074
  } else {
    mantissa |= uint64_t{1} << 52;
    position = exponent - 1;
  }
  int limb = position / kLimbBits;
  int offset = position % kLimbBits;
  unsigned __int128 v = static_cast<unsigned __int128>(mantissa) << offset;
  int64_t parts[3] = {static_cast<int64_t>(static_cast<uint64_t>(v) & 0xffffffffU),
                      static_cast<int64_t>(static_cast<uint64_t>(v >> 32) & 0xffffffffU),
                      static_cast<int64_t>(static_cast<uint64_t>(v >> 64))};
  for (int k = 0; k < 3 && limb + k < kLimbs; ++k) {
    limbs_[static_cast<size_t>(limb) + static_cast<size_t>(k)] += negative ? -parts[k] : parts[k];
  }
  if (++pending_ >= kNormalizeEvery) Normalize();
}

void ExactSum::Merge(const ExactSum& other) {
  ExactSum o = other;
  o.Normalize();
  Normalize();
  for (int i = 0; i < kLimbs; ++i)
    limbs_[static_cast<size_t>(i)] += o.limbs_[static_cast<size_t>(i)];
  Normalize();
  nan_ += o.nan_;
  pos_inf_ += o.pos_inf_;
  neg_inf_ += o.neg_inf_;
}

double ExactSum::Value() const {
  if (nan_ > 0 || (pos_inf_ > 0 && neg_inf_ > 0)) return std::numeric_limits<double>::quiet_NaN();
  if (pos_inf_ > 0) return std::numeric_limits<double>::infinity();
  if (neg_inf_ > 0) return -std::numeric_limits<double>::infinity();
  ExactSum s = *this;
  s.Normalize();
  bool negative = s.limbs_[kLimbs - 1] < 0;
  if (negative) {
    for (int64_t& l : s.limbs_) l = -l;
    s.Normalize();
  }
  // Now every limb is in [0, 2^32): a non-negative integer magnitude in units of 2^-1074.
  int top = kLimbs - 1;
  while (top >= 0 && s.limbs_[static_cast<size_t>(top)] == 0) --top;
  if (top < 0) return 0.0;
  auto bit_at = [&](int pos) -> uint64_t {
    return (static_cast<uint64_t>(s.limbs_[static_cast<size_t>(pos / kLimbBits)]) >>
            (pos % kLimbBits)) &
           1U;
  };
  int length = top * kLimbBits +
               (64 - std::countl_zero(static_cast<uint64_t>(s.limbs_[static_cast<size_t>(top)])));
  double result = 0;
  if (length <= 53) {
    uint64_t m = 0;
    for (int pos = length - 1; pos >= 0; --pos) m = (m << 1) | bit_at(pos);
    result = std::ldexp(static_cast<double>(m), -1074);
  } else {
    // Keep 54 bits (53 + the rounding bit); the rest only matters as a sticky bit.
    int shift = length - 54;
    uint64_t top54 = 0;
    for (int pos = length - 1; pos >= shift; --pos) top54 = (top54 << 1) | bit_at(pos);
    bool sticky = false;
    int full_limbs = shift / kLimbBits;
    for (int i = 0; i < full_limbs && !sticky; ++i) sticky = s.limbs_[static_cast<size_t>(i)] != 0;
    for (int pos = full_limbs * kLimbBits; pos < shift && !sticky; ++pos) sticky = bit_at(pos) != 0;
    uint64_t m = top54 >> 1;
    bool round = (top54 & 1U) != 0;
    if (round && (sticky || (m & 1U) != 0)) ++m;
    int exp2 = shift + 1 - 1074;
    if (m == (uint64_t{1} << 53)) {
      m >>= 1;
      ++exp2;
    }
    result = std::ldexp(static_cast<double>(m), exp2);
  }
  return negative ? -result : result;
}

}  // namespace cairn::metrics
