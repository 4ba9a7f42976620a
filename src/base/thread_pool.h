#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cairn {

/// A fixed set of worker threads running submitted tasks in FIFO order.
/// Thread-safe. The destructor waits for every submitted task to finish.
class ThreadPool {
 public:
  /// Starts `num_threads` workers (at least 1).
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()); }
  /// Queues `task`. Tasks must not throw.
  void Submit(std::function<void()> task);
  /// Blocks until every task submitted so far has finished.
  void Wait();

 private:
  void Loop();
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> queue_;
  int busy_ = 0;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

/// Number of threads to use when the user asked for `requested` (0 = all hardware threads).
int ResolveThreads(int requested);

/// Calls fn(i) for every i in [0, n), on up to `num_threads` threads (the caller's thread
/// included), and returns when all calls are done. Work is handed out dynamically, so the
/// order of calls is unspecified: fn must make results independent of it.
void ParallelFor(int64_t n, int num_threads, const std::function<void(int64_t)>& fn);

}  // namespace cairn
