#include "metrics/radix_sort.h"

#include <algorithm>
#include <bit>
#include <cstddef>

namespace cairn::metrics {
namespace {

// Maps a double to an unsigned integer with the same order (-0.0 and 0.0 map alike).
uint64_t OrderedBits(double x) {
  if (x == 0) x = 0;  // -0.0 -> 0.0
  uint64_t b = std::bit_cast<uint64_t>(x);
  return (b >> 63) != 0 ? ~b : b | (uint64_t{1} << 63);
}

// LSD radix sort of (k, idx) by k ascending, 11-bit digits; a digit every key shares is
// skipped.
void SortPairs(std::vector<uint64_t>& k, std::vector<uint32_t>& idx) {
  constexpr int kDigitBits = 11;
  constexpr size_t kBuckets = size_t{1} << kDigitBits;
  size_t n = k.size();
  std::vector<uint64_t> k2(n);
  std::vector<uint32_t> idx2(n);
  std::vector<uint32_t> count(kBuckets);
  for (int shift = 0; shift < 64; shift += kDigitBits) {
    std::fill(count.begin(), count.end(), 0);
    for (size_t i = 0; i < n; ++i) ++count[(k[i] >> shift) & (kBuckets - 1)];
    bool trivial = false;
    for (uint32_t c : count) {
      if (c == n) trivial = true;
      if (c != 0) break;
    }
    if (trivial || n == 0) continue;  // every key has the same digit: the pass changes nothing
    uint32_t sum = 0;
    for (uint32_t& c : count) {
      uint32_t c0 = c;
      c = sum;
      sum += c0;
    }
    for (size_t i = 0; i < n; ++i) {
      uint32_t pos = count[(k[i] >> shift) & (kBuckets - 1)]++;
      k2[pos] = k[i];
      idx2[pos] = idx[i];
    }
    k.swap(k2);
    idx.swap(idx2);
  }
}

std::vector<uint32_t> Order(const double* keys, uint32_t n) {
  std::vector<uint64_t> k(n);
  std::vector<uint32_t> idx(n);
  for (uint32_t i = 0; i < n; ++i) {
    k[i] = OrderedBits(keys[i]);
    idx[i] = i;
  }
  SortPairs(k, idx);
  return idx;
}

}  // namespace

std::vector<uint64_t> SortDescendingWithPayload(const double* keys,
                                                std::vector<uint32_t>* payload) {
  std::vector<uint64_t> k(payload->size());
  for (size_t i = 0; i < k.size(); ++i) k[i] = ~OrderedBits(keys[i]);
  SortPairs(k, *payload);
  return k;
}

std::vector<uint32_t> OrderAscending(const double* keys, uint32_t n) { return Order(keys, n); }

}  // namespace cairn::metrics
