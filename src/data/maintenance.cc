#include "data/maintenance.h"

#include <string>
#include <utility>
#include <vector>

namespace cairn::data {

Result<std::set<std::string>> LiveBlobs(Workspace& ws) {
  std::set<std::string> live;
  for (const char* sql :
       {"SELECT object_id FROM commit_segments", "SELECT keys_object FROM snapshot_splits",
        "SELECT versions_object FROM snapshot_splits", "SELECT blob_id FROM run_artifacts",
        "SELECT result_blob FROM model_evaluations", "SELECT blob_id FROM pipeline_cache_blobs",
        "SELECT stdout_blob FROM pipeline_stage_runs WHERE stdout_blob <> ''",
        "SELECT stderr_blob FROM pipeline_stage_runs WHERE stderr_blob <> ''"}) {
    CAIRN_ASSIGN_OR_RETURN(catalog::QueryResult r, ws.catalog().Query(sql));
    for (const auto& row : r.rows) live.insert(row[0].bytes());
  }
  return live;
}

Result<StoreVerifyReport> VerifyStore(Workspace& ws) {
  StoreVerifyReport report;
  CAIRN_ASSIGN_OR_RETURN(std::set<std::string> live, LiveBlobs(ws));
  report.referenced = static_cast<int64_t>(live.size());
  CAIRN_ASSIGN_OR_RETURN(report.blobs, ws.blobs().Verify(live));
  std::vector<std::string> referenced;
  for (std::string& id : report.blobs.corrupt) {
    (live.count(id) != 0 ? referenced : report.corrupt_unreferenced).push_back(std::move(id));
  }
  report.blobs.corrupt = std::move(referenced);
  return report;
}

Result<store::GarbageReport> CollectGarbage(Workspace& ws, bool dry_run) {
  CAIRN_ASSIGN_OR_RETURN(std::set<std::string> live, LiveBlobs(ws));
  return ws.blobs().CollectGarbage(live, dry_run);
}

}  // namespace cairn::data
