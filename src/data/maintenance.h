#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "data/workspace.h"
#include "store/blob_store.h"

namespace cairn::data {

/// Every blob the catalog references: commit segments and snapshot key lists and versions.
Result<std::set<std::string>> LiveBlobs(Workspace& ws);

/// What `cairn store verify` found.
struct StoreVerifyReport {
  int64_t referenced = 0;         // blobs the catalog references
  store::BlobVerifyReport blobs;  // every blob re-hashed; `corrupt` lists referenced ones only
  /// Corrupt blobs nothing references: what an interrupted upload can leave on a store that
  /// keeps partial objects. Harmless; `gc` removes them after the grace period.
  std::vector<std::string> corrupt_unreferenced;
  bool ok() const { return blobs.corrupt.empty() && blobs.missing.empty(); }
};

/// Re-hashes every blob and checks that every blob the catalog references is present and
/// intact.
Result<StoreVerifyReport> VerifyStore(Workspace& ws);

/// Deletes blobs no catalog row references and that are older than the workspace's grace
/// period (what a crashed writer leaves behind). The live set is read before the store is
/// listed, so a concurrent writer's fresh uploads are protected by the grace period.
Result<store::GarbageReport> CollectGarbage(Workspace& ws, bool dry_run);

}  // namespace cairn::data
