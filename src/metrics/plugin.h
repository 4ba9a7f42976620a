#pragma once

#include <string>

#include "base/status.h"
#include "metrics/metric.h"

namespace cairn::metrics {

/// Loads the metric plugin library at `path` (a shared library exporting
/// `cairn_metric_plugin`, compiled against include/cairn/metric_plugin.h) and registers its
/// metrics in `registry`. The library stays loaded for the life of the process. Errors name
/// the file: it cannot be loaded, lacks the entry point, refuses this ABI version, or defines
/// a metric that is malformed or whose name is taken.
Status LoadMetricPlugin(const std::string& path, MetricRegistry* registry);

}  // namespace cairn::metrics
