#pragma once

// The packed layout of metric chunks (catalog schema v8, docs/catalog.md): a series' points
// of one logged batch, stored in one row of `run_metric_chunks` as `count` points of 16 bytes
// each, a little-endian int64 step followed by a little-endian IEEE 754 double, sorted by step.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "track/runs.h"

namespace cairn::track {

/// The bytes of one packed point.
inline constexpr size_t kPackedPointSize = 16;

/// Appends one point (step, value) to `out` in the packed layout.
void AppendPackedPoint(int64_t step, double value, std::string* out);

/// One row of `run_metric_chunks`, as read.
struct MetricChunk {
  std::string key;
  int64_t seq = 0;
  int64_t first_step = 0;
  int64_t last_step = 0;
  int64_t count = 0;
  int64_t logged_at = 0;
  std::string points;
};

/// Appends the points of `chunk`, a chunk of run `run_id`, to `out` (key, step, value and
/// logging time), in their stored order. Checks the chunk first and appends nothing when it
/// is damaged: kCorrupt naming the run, the key and the chunk's seq when the length of
/// `points` is not a multiple of kPackedPointSize, or holds another number of points than
/// `count`, or the steps are not ascending from `first_step` to `last_step`, or a value is
/// not finite.
Status UnpackMetricChunk(std::string_view run_id, const MetricChunk& chunk,
                         std::vector<MetricPoint>* out);

}  // namespace cairn::track
