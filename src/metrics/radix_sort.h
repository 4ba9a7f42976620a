#pragma once

#include <cstdint>
#include <vector>

namespace cairn::metrics {

/// The row indices 0..n-1 ordered by `keys` descending (an LSD radix sort on the keys' bits,
/// stable: equal keys keep index order). -0.0 sorts with 0.0; keys must not be NaN.
std::vector<uint32_t> OrderDescending(const double* keys, uint32_t n);

/// The same, ascending.
std::vector<uint32_t> OrderAscending(const double* keys, uint32_t n);

}  // namespace cairn::metrics
