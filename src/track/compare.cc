#include "track/compare.h"

#include <map>
#include <utility>

namespace cairn::track {

Result<RunComparison> CompareRuns(data::Workspace& ws, const std::vector<std::string>& refs) {
  if (refs.size() < 2) return Status::InvalidArgument("compare needs at least two runs");
  RunComparison c;
  for (const std::string& ref : refs) {
    CAIRN_ASSIGN_OR_RETURN(RunInfo run, GetRun(ws, ref));
    c.runs.push_back(std::move(run));
  }
  const size_t n = c.runs.size();
  std::map<std::string, ParamRow> params;
  std::map<std::string, MetricRow> metrics;
  for (size_t i = 0; i < n; ++i) {
    for (const Param& p : c.runs[i].params) {
      ParamRow& row = params[p.key];
      row.values.resize(n);
      row.values[i] = p.value;
    }
    // Points are sorted by key, step and logging time: the last of a key is its latest.
    for (const MetricPoint& p : c.runs[i].metrics) {
      MetricRow& row = metrics[p.key];
      row.latest.resize(n);
      row.latest[i] = p;
    }
  }
  for (auto& [key, row] : params) {
    row.key = key;
    for (size_t i = 1; i < n; ++i) row.differs |= row.values[i] != row.values[0];
    c.params.push_back(std::move(row));
  }
  for (auto& [key, row] : metrics) {
    row.key = key;
    for (size_t i = 0; i < n; ++i) row.differs |= !row.latest[i];
    for (size_t i = 1; i < n && !row.differs; ++i) {
      row.differs = row.latest[i]->value != row.latest[0]->value;
    }
    c.metrics.push_back(std::move(row));
  }
  return c;
}

std::optional<int64_t> RunDurationMicros(const RunInfo& run, std::optional<int64_t> now) {
  if (run.ended_at) return *run.ended_at - run.created_at;
  if (now) return *now - run.created_at;
  return std::nullopt;
}

}  // namespace cairn::track
