#include "base/progress.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "base/time.h"

namespace cairn {
namespace {

bool StderrIsTerminal() {
  const char* env = std::getenv("CAIRN_PROGRESS");
  if (env != nullptr && std::strcmp(env, "0") == 0) return false;
  return ::isatty(2) == 1;
}

std::string Amount(int64_t v, const std::string& unit) {
  char buf[64];
  if (unit == "bytes") {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(v) / (1024.0 * 1024.0));
  } else {
    std::snprintf(buf, sizeof(buf), "%lld %s", static_cast<long long>(v), unit.c_str());
  }
  return buf;
}

}  // namespace

Progress::Progress(std::string label, int64_t total, std::string unit)
    : Progress(std::move(label), total, std::move(unit), StderrIsTerminal(), stderr) {}

Progress::Progress(std::string label, int64_t total, std::string unit, bool enabled, std::FILE* out)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      enabled_(enabled),
      out_(out),
      start_micros_(NowMicros()) {}

Progress::~Progress() { Finish(); }

void Progress::Add(int64_t amount) {
  done_.fetch_add(amount);
  if (enabled_) MaybeDraw(false);
}

void Progress::Set(int64_t done) {
  done_.store(done);
  if (enabled_) MaybeDraw(false);
}

void Progress::Finish() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(draw_mu_);
  if (finished_) return;
  finished_ = true;
  std::string line = "\r" + Render(NowMicros()) + "\n";
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

std::string Progress::Render(int64_t now_micros) const {
  int64_t done = done_.load();
  double secs = static_cast<double>(now_micros - start_micros_) / 1e6;
  std::string line = label_ + ": ";
  if (total_ > 0) {
    double frac = static_cast<double>(done) / static_cast<double>(total_);
    if (frac > 1) frac = 1;
    constexpr int kWidth = 24;
    int filled = static_cast<int>(frac * kWidth);
    line += '[';
    line.append(static_cast<size_t>(filled), '#');
    line.append(static_cast<size_t>(kWidth - filled), '.');
    char pct[16];
    std::snprintf(pct, sizeof(pct), "] %3d%% ", static_cast<int>(frac * 100));
    line += pct;
    line += Amount(done, unit_) + " / " + Amount(total_, unit_);
  } else {
    line += Amount(done, unit_);
  }
  if (secs > 0.05) {
    char rate[64];
    std::snprintf(rate, sizeof(rate), " (%.1fs)", secs);
    line += rate;
  }
  return line;
}

void Progress::MaybeDraw(bool force) {
  int64_t now = NowMicros();
  int64_t last = last_draw_micros_.load();
  if (!force && now - last < 100000) return;
  if (!last_draw_micros_.compare_exchange_strong(last, now)) return;
  std::lock_guard<std::mutex> lock(draw_mu_);
  if (finished_) return;
  std::string line = "\r" + Render(now) + "\x1b[K";
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace cairn
