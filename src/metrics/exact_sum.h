#pragma once

#include <array>
#include <cstdint>

namespace cairn::metrics {

/// The exact sum of any number of doubles, rounded once at the end. The running sum is kept
/// as a fixed-point integer wide enough for every finite double (2^-1074 .. 2^1024) plus 62
/// bits of headroom, so Add and Merge never round: the result is the correctly rounded exact
/// sum, whatever the order of the values, the batches and the merges. This is what makes
/// floating-point metric states (log loss, errors) merge bit for bit.
class ExactSum {
 public:
  /// Adds x. NaN and infinities are counted apart and decide Value() as IEEE addition would.
  void Add(double x);
  /// Adds the values summed by `other`.
  void Merge(const ExactSum& other);
  /// The exact sum rounded to nearest, ties to even (NaN if a NaN or both infinities were
  /// added; an infinity if one was; +inf/-inf if the finite sum overflows).
  double Value() const;

 private:
  static constexpr int kLimbBits = 32;
  static constexpr int kLimbs = 68;  // 2176 bits: 2098 for doubles, the rest headroom
  void Normalize();

  // limbs_[i] is a signed multiple of 2^(32 i - 1074); Normalize() brings limbs 0..kLimbs-2
  // into [0, 2^32) and leaves the sign in the top limb.
  std::array<int64_t, kLimbs> limbs_{};
  int64_t pending_ = 0;  // additions since the last Normalize (each adds < 2^32 to a limb)
  int64_t nan_ = 0;
  int64_t pos_inf_ = 0;
  int64_t neg_inf_ = 0;
};

}  // namespace cairn::metrics
