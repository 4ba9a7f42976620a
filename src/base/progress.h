#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace cairn {

/// A progress bar for long work. It draws on standard error only when standard error is a
/// terminal (and CAIRN_PROGRESS is not "0"), at most ten times a second; otherwise it does
/// nothing, so logs and pipes stay clean. Thread-safe: Add may be called from any thread.
class Progress {
 public:
  /// `total` is the amount of work in `unit`s (bytes are shown as MiB); 0 if unknown.
  Progress(std::string label, int64_t total, std::string unit = "rows");
  /// For tests: force drawing on or off and draw to `out` instead of standard error.
  Progress(std::string label, int64_t total, std::string unit, bool enabled, std::FILE* out);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Add(int64_t amount);
  void Set(int64_t done);
  /// Draws the final state and a newline (if enabled). Idempotent.
  void Finish();
  bool enabled() const { return enabled_; }
  int64_t done() const { return done_.load(); }

  /// Renders one line of progress: label, percentage or count, rate. Exposed for tests.
  std::string Render(int64_t now_micros) const;

 private:
  void MaybeDraw(bool force);
  std::string label_;
  int64_t total_;
  std::string unit_;
  bool enabled_;
  std::FILE* out_;
  int64_t start_micros_;
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> last_draw_micros_{0};
  std::mutex draw_mu_;
  bool finished_ = false;
};

}  // namespace cairn
