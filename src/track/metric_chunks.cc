#include "track/metric_chunks.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace cairn::track {

static_assert(std::endian::native == std::endian::little,
              "the packed point layout is read and written with memcpy on little-endian hosts");

void AppendPackedPoint(int64_t step, double value, std::string* out) {
  char bytes[kPackedPointSize];
  std::memcpy(bytes, &step, sizeof step);
  std::memcpy(bytes + sizeof step, &value, sizeof value);
  out->append(bytes, sizeof bytes);
}

Status UnpackMetricChunk(std::string_view run_id, const MetricChunk& chunk,
                         std::vector<MetricPoint>* out) {
  auto corrupt = [&](const std::string& what) {
    std::string msg = "run " + std::string(run_id);
    msg += ": metric '" + chunk.key;
    msg += "' chunk " + std::to_string(chunk.seq);
    msg += ": " + what;
    return Status::Corrupt(std::move(msg));
  };
  const size_t size = chunk.points.size();
  if (size % kPackedPointSize != 0) {
    return corrupt(std::to_string(size) + " bytes of points, not a multiple of " +
                   std::to_string(kPackedPointSize));
  }
  const size_t n = size / kPackedPointSize;
  if (chunk.count < 0 || static_cast<uint64_t>(chunk.count) != n) {
    return corrupt("holds " + std::to_string(n) + " points but records " +
                   std::to_string(chunk.count));
  }
  if (n == 0) return corrupt("holds no points");
  const char* p = chunk.points.data();
  int64_t previous = chunk.first_step;
  const size_t old_size = out->size();
  out->resize(old_size + n);
  for (size_t i = 0; i < n; ++i, p += kPackedPointSize) {
    int64_t step = 0;
    double value = 0;
    std::memcpy(&step, p, sizeof step);
    std::memcpy(&value, p + sizeof step, sizeof value);
    const bool in_order = i == 0 ? step == chunk.first_step : step >= previous;
    if (!in_order || !std::isfinite(value)) {
      out->resize(old_size);
      return corrupt(!in_order ? "point " + std::to_string(i) + " has step " +
                                     std::to_string(step) + " out of order"
                               : "point " + std::to_string(i) + " has a value that is not finite");
    }
    previous = step;
    MetricPoint& point = (*out)[old_size + i];
    point.key = chunk.key;
    point.step = step;
    point.value = value;
    point.logged_at = chunk.logged_at;
  }
  if (previous != chunk.last_step) {
    out->resize(old_size);
    return corrupt("last step is " + std::to_string(previous) + " but the row records " +
                   std::to_string(chunk.last_step));
  }
  return Status::Ok();
}

}  // namespace cairn::track
