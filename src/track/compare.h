#pragma once

// Side-by-side comparison of runs (`cairn run compare`, docs/tracking.md): their params and
// the latest value of each metric, aligned by key.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "data/workspace.h"
#include "track/runs.h"

namespace cairn::track {

/// One param key across the compared runs.
struct ParamRow {
  std::string key;
  std::vector<std::optional<std::string>> values;  // per run; nullopt: the run lacks it
  bool differs = false;  // not every run has the same text (a missing value differs)
};

/// One metric key across the compared runs: the value at the highest step, the latest logged
/// among points at that step (as ListRuns).
struct MetricRow {
  std::string key;
  std::vector<std::optional<MetricPoint>> latest;  // per run; nullopt: never logged
  bool differs = false;  // not every run has the same latest value (a missing one differs)
};

/// Runs side by side.
struct RunComparison {
  std::vector<RunInfo> runs;     // in the order asked for
  std::vector<ParamRow> params;  // every key of any run, sorted
  std::vector<MetricRow> metrics;
};

/// Reads the runs `refs` (ids or unique prefixes; see ResolveRunId) and aligns their params
/// and latest metric values by key. Errors: ResolveRunId's, and kInvalidArgument for fewer
/// than two runs. Not thread-safe (the workspace's catalog).
Result<RunComparison> CompareRuns(data::Workspace& ws, const std::vector<std::string>& refs);

/// How long the run took (ended_at - created_at) in microseconds, or how long it has been
/// running so far when `now` is given and it has not ended; nullopt otherwise.
std::optional<int64_t> RunDurationMicros(const RunInfo& run, std::optional<int64_t> now);

}  // namespace cairn::track
