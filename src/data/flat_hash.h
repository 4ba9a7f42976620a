#pragma once

#include <cstdint>
#include <vector>

#include "base/hash.h"

namespace cairn::data {

/// A set of 128-bit hashes (open addressing, linear probing). The all-zero hash is stored
/// out of line, so every value can be a member. Not thread-safe.
class Hash128Set {
 public:
  explicit Hash128Set(size_t expected = 0) { Rehash(Capacity(expected)); }
  /// Inserts `h`; returns false if it was already present.
  bool Insert(const Hash128& h) {
    if (h.high == 0 && h.low == 0) {
      const bool fresh = !has_zero_;
      has_zero_ = true;
      size_ += fresh ? 1 : 0;
      return fresh;
    }
    if ((used_ + 1) * 2 > slots_.size()) Rehash(slots_.size() * 2);
    if (!Place(h)) return false;
    ++used_;
    ++size_;
    return true;
  }
  bool Contains(const Hash128& h) const {
    if (h.high == 0 && h.low == 0) return has_zero_;
    const size_t mask = slots_.size() - 1;
    for (size_t i = h.low & mask;; i = (i + 1) & mask) {
      const Hash128& s = slots_[i];
      if (s.high == 0 && s.low == 0) return false;
      if (s == h) return true;
    }
  }
  size_t size() const { return size_; }

 private:
  static size_t Capacity(size_t expected) {
    size_t c = 16;
    while (c < expected * 2) c *= 2;
    return c;
  }
  bool Place(const Hash128& h) {
    const size_t mask = slots_.size() - 1;
    for (size_t i = h.low & mask;; i = (i + 1) & mask) {
      Hash128& s = slots_[i];
      if (s.high == 0 && s.low == 0) {
        s = h;
        return true;
      }
      if (s == h) return false;
    }
  }
  void Rehash(size_t capacity) {
    std::vector<Hash128> old;
    old.swap(slots_);
    slots_.assign(capacity, Hash128{});
    for (const Hash128& h : old) {
      if (h.high != 0 || h.low != 0) Place(h);
    }
  }
  std::vector<Hash128> slots_;
  size_t used_ = 0;
  size_t size_ = 0;
  bool has_zero_ = false;
};

}  // namespace cairn::data
