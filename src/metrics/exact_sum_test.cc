// ExactSum and the radix orders, against values worked out by hand.

#include "metrics/exact_sum.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <vector>

#include "metrics/radix_sort.h"

namespace cairn::metrics {
namespace {

double Sum(std::initializer_list<double> values) {
  ExactSum s;
  for (double v : values) s.Add(v);
  return s.Value();
}

TEST(ExactSumTest, SumsExactlyAndRoundsOnce) {
  EXPECT_EQ(Sum({}), 0.0);
  EXPECT_EQ(Sum({-1.5, 0.25}), -1.25);
  // Naive left-to-right addition gives 0 here.
  EXPECT_EQ(Sum({1e100, 1.0, -1e100}), 1.0);
  // Ten copies of double(0.1) sum to 1.0000000000000000555..., which rounds to 1.0 (naive
  // addition gives 0.9999999999999999).
  ExactSum tenths;
  for (int i = 0; i < 10; ++i) tenths.Add(0.1);
  EXPECT_EQ(tenths.Value(), 1.0);
  // Ties round to even: 2^53 + 1 -> 2^53, 2^53 + 3 -> 2^53 + 4.
  EXPECT_EQ(Sum({9007199254740992.0, 1.0}), 9007199254740992.0);
  EXPECT_EQ(Sum({9007199254740992.0, 2.0, 1.0}), 9007199254740996.0);
  // Subnormals add exactly: the smallest subnormal twice is 2^-1073.
  EXPECT_EQ(Sum({5e-324, 5e-324}), 1e-323);
  EXPECT_EQ(Sum({1.0, 5e-324, -1.0}), 5e-324);
}

TEST(ExactSumTest, OverflowInfinitiesAndNaN) {
  EXPECT_EQ(Sum({DBL_MAX, DBL_MAX}), std::numeric_limits<double>::infinity());
  EXPECT_EQ(Sum({DBL_MAX, DBL_MAX, -DBL_MAX}), DBL_MAX);  // no overflow in between
  double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(Sum({1.0, -inf}), -inf);
  EXPECT_TRUE(std::isnan(Sum({inf, -inf})));
  EXPECT_TRUE(std::isnan(Sum({1.0, std::nan("")})));
}

TEST(ExactSumTest, MergeEqualsOneSumInAnyOrder) {
  std::vector<double> values = {1e16, 3.5, -2e-8, 7e300, -7e300, 0.1, 0.2, -1e16, 1e-310};
  ExactSum all;
  for (double v : values) all.Add(v);
  ExactSum a;
  ExactSum b;
  for (size_t i = 0; i < values.size(); ++i)
    (i % 2 == 0 ? a : b).Add(values[values.size() - 1 - i]);
  b.Merge(a);
  EXPECT_EQ(b.Value(), all.Value());
  // 3.5 + 0.1 + 0.2 - 2e-8 + 1e-310, rounded once (Python: float of the Fraction sum);
  // naive addition gives 3.7999999800000004.
  EXPECT_EQ(all.Value(), 3.79999998);
}

TEST(RadixSortTest, OrdersAscendingStably) {
  std::vector<double> keys = {3.0, -1.0, 0.0, -0.0, 2.5, -1.0, 1e-300, -1e300};
  EXPECT_EQ(OrderAscending(keys.data(), static_cast<uint32_t>(keys.size())),
            (std::vector<uint32_t>{7, 1, 5, 2, 3, 6, 4, 0}));
}

TEST(RadixSortTest, SortsPayloadDescendingWithEqualKeysEqual) {
  std::vector<double> keys = {0.5, 0.9, -0.0, 0.5, 0.0, 0.1};
  std::vector<uint32_t> payload = {10, 11, 12, 13, 14, 15};
  std::vector<uint64_t> bits = SortDescendingWithPayload(keys.data(), &payload);
  EXPECT_EQ(payload, (std::vector<uint32_t>{11, 10, 13, 15, 12, 14}));
  EXPECT_EQ(bits[1], bits[2]);  // the two 0.5
  EXPECT_EQ(bits[4], bits[5]);  // -0.0 and 0.0
  EXPECT_NE(bits[0], bits[1]);
}

}  // namespace
}  // namespace cairn::metrics
