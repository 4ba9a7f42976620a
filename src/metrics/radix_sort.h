#pragma once

#include <cstdint>
#include <vector>

namespace cairn::metrics {

/// Sorts `payload` (one value per key) by `keys` descending, stably, and returns the keys'
/// order-preserving bit patterns in the same order (equal keys have equal patterns, so blocks
/// of equal scores can be found without the doubles). Payloads travel with the keys, so a
/// walk over the result is sequential.
std::vector<uint64_t> SortDescendingWithPayload(const double* keys, std::vector<uint32_t>* payload);

/// The row indices 0..n-1 ordered by `keys` ascending (an LSD radix sort on the keys' bits,
/// stable: equal keys keep index order). -0.0 sorts with 0.0; keys must not be NaN.
std::vector<uint32_t> OrderAscending(const double* keys, uint32_t n);

}  // namespace cairn::metrics
