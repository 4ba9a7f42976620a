#pragma once

// What pipelines record in the catalog (schema v5, docs/catalog.md): pipeline runs, the
// outcome of each stage in a run, and the run cache (stage key -> stored outputs).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "catalog/catalog.h"
#include "pipeline/key.h"
#include "pipeline/outputs.h"

namespace cairn::pipeline {

/// What happened to a stage in a run.
enum class StageStatus { kSkipped, kRestored, kRan, kFailed, kNotRun };

/// "skipped", "restored", "ran", "failed", "not-run".
std::string_view StageStatusName(StageStatus status);
/// The inverse of StageStatusName; kCorrupt for another name.
Result<StageStatus> ParseStageStatus(std::string_view name);

/// One `cairn pipeline run` (or `run-task`).
struct PipelineRunRecord {
  std::string id;  // 32 lowercase hex characters (random)
  std::string pipeline;
  std::string file;
  std::string file_hash;
  std::optional<Window> window;
  int64_t started_at = 0;
  int64_t ended_at = 0;  // 0 while running
  std::string status;    // running, succeeded, failed
  std::string host;
  int64_t pid = 0;
  /// Whether the run is recorded as running but its process is gone (same host only).
  bool interrupted = false;
};

/// One stage's outcome in a run.
struct StageRunRecord {
  std::string run_id;
  std::string stage;
  std::string key;  // empty when the key was never computed
  StageStatus status = StageStatus::kNotRun;
  std::string reason;
  std::string inputs;  // InputsText of the key's inputs
  int64_t started_at = 0;
  int64_t ended_at = 0;
  int64_t command_micros = 0;  // how long the command ran (0 if it did not)
  std::optional<int64_t> exit_code;
  std::string stdout_blob;
  std::string stderr_blob;
};

/// A run cache entry: the outputs a stage key produced.
struct CacheEntry {
  std::string key;
  std::string pipeline;
  std::string stage;
  std::vector<StoredOutput> outputs;
  int64_t created_at = 0;
};

/// Inserts `run` (status running) with a new random id, which is stored in run->id.
Status BeginPipelineRun(catalog::Connection& conn, PipelineRunRecord* run);

/// Records a stage's outcome in one transaction; for a stage that ran successfully, also
/// its cache entry and the blobs it references (an existing entry for the key is kept).
Status RecordStageRun(catalog::Connection& conn, const StageRunRecord& stage,
                      const CacheEntry* entry, const std::vector<std::string>& entry_blobs);

/// Records several stage outcomes (without cache entries) in one transaction.
Status RecordStageRuns(catalog::Connection& conn, const std::vector<StageRunRecord>& stages);

/// Sets a run's final status (succeeded or failed) and end time.
Status FinishPipelineRun(catalog::Connection& conn, const std::string& run_id,
                         std::string_view status);

/// The cache entry of `key`, or nullopt. kCorrupt for an unreadable manifest.
Result<std::optional<CacheEntry>> LookupCache(catalog::Connection& conn, const std::string& key);

/// The inputs (InputsText) recorded by the latest run of `stage` of `pipeline` that ended
/// with its outputs in place (skipped, restored or ran), or nullopt if there was none.
Result<std::optional<std::string>> LastInputs(catalog::Connection& conn,
                                              const std::string& pipeline,
                                              const std::string& stage);

/// The runs of `pipeline` (all pipelines when empty), newest first, at most `limit`.
Result<std::vector<PipelineRunRecord>> ListPipelineRuns(catalog::Connection& conn,
                                                        const std::string& pipeline, int64_t limit);

/// The run whose id is or starts with `ref` (at least 4 characters): kNotFound, or
/// kInvalidArgument when the prefix is ambiguous.
Result<PipelineRunRecord> GetPipelineRun(catalog::Connection& conn, const std::string& ref);

/// The stage outcomes of a run, in the order they were recorded.
Result<std::vector<StageRunRecord>> ListStageRuns(catalog::Connection& conn,
                                                  const std::string& run_id);

}  // namespace cairn::pipeline
