#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace cairn {
namespace {

TEST(ResolveThreadsTest, ExplicitCountIsKeptAndZeroMeansHardware) {
  EXPECT_EQ(ResolveThreads(3), 3);
  EXPECT_GE(ResolveThreads(0), 1);
}

TEST(ParallelForTest, CoversEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 4, 8}) {
    constexpr int64_t kN = 10007;
    std::vector<std::atomic<int>> hits(kN);
    ParallelFor(kN, threads, [&](int64_t i) { hits[static_cast<size_t>(i)].fetch_add(1); });
    for (int64_t i = 0; i < kN; ++i) {
      ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1)
          << "index " << i << ", " << threads << " threads";
    }
  }
}

TEST(ParallelForTest, ResultIndependentOfThreadCount) {
  // Per-index slots summed in index order give the same total for any thread count.
  auto run = [](int threads) {
    std::vector<int64_t> out(5000);
    ParallelFor(5000, threads, [&](int64_t i) { out[static_cast<size_t>(i)] = i * i % 97; });
    int64_t sum = 0;
    for (int64_t v : out) sum += v;
    return sum;
  };
  EXPECT_EQ(run(1), run(4));
}

TEST(ParallelForTest, EmptyAndNegativeRangesCallNothing) {
  int calls = 0;
  ParallelFor(0, 4, [&](int64_t) { ++calls; });
  ParallelFor(-5, 4, [&](int64_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ThreadPoolTest, RunsEverySubmittedTaskBeforeWaitReturns) {
  ThreadPool pool(3);
  EXPECT_EQ(pool.size(), 3);
  std::atomic<int> sum{0};
  for (int i = 1; i <= 100; ++i) pool.Submit([&sum, i] { sum.fetch_add(i); });
  pool.Wait();
  EXPECT_EQ(sum.load(), 5050);
  // The pool is reusable after Wait.
  pool.Submit([&sum] { sum.fetch_add(1); });
  pool.Wait();
  EXPECT_EQ(sum.load(), 5051);
}

TEST(ThreadPoolTest, DestructorDrainsTheQueue) {
  std::atomic<int> done{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 50; ++i) pool.Submit([&done] { done.fetch_add(1); });
  }
  EXPECT_EQ(done.load(), 50);
}

TEST(ThreadPoolTest, AtLeastOneWorker) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.size(), 1);
  std::atomic<bool> ran{false};
  pool.Submit([&ran] { ran.store(true); });
  pool.Wait();
  EXPECT_TRUE(ran.load());
}

}  // namespace
}  // namespace cairn
