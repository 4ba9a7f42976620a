#pragma once

// The model registry: named models with versions 1, 2, 3..., each pointing at an artifact of
// a run; evaluations of versions on snapshot splits; aliases with their history; and the
// lineage of a version back to the dataset commits it was trained from (docs/tracking.md).
// Promotion (which moves aliases) lives in track/gate.h. Every function uses the workspace's
// catalog and is therefore not thread-safe (one thread per workspace).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "data/datasets.h"
#include "data/snapshots.h"
#include "data/workspace.h"
#include "track/runs.h"

namespace cairn::track {

/// Checks a model name: 1 to 128 characters of [A-Za-z0-9_.-], starting with a letter or a
/// digit. kInvalidArgument "model name '...': ..." otherwise.
Status CheckModelName(std::string_view name);

/// Checks an alias name: 1 to 64 characters of [A-Za-z0-9_-] that are not all digits (so an
/// alias is never mistaken for a version number). kInvalidArgument otherwise.
Status CheckAliasName(std::string_view alias);

/// One version of a model as stored, with the blob of the artifact it points at.
struct ModelVersion {
  std::string model;
  int64_t version = 0;
  std::string run_id;
  std::string artifact;  // the artifact's name in its run
  std::string blob_id;   // SHA-256 of the artifact's content
  int64_t size = 0;
  int64_t created_at = 0;  // microseconds since the epoch
  std::string created_by;
  std::string description;
};

/// An alias and the version it names.
struct ModelAlias {
  std::string alias;
  int64_t version = 0;
  int64_t updated_at = 0;
};

/// A model with all its versions (oldest first) and aliases (sorted by name).
struct ModelInfo {
  std::string name;
  std::string description;
  int64_t created_at = 0;
  std::vector<ModelVersion> versions;
  std::vector<ModelAlias> aliases;
};

/// What RegisterModel records.
struct RegisterOptions {
  /// The run (id or unique prefix) and the name of its artifact the version points at.
  std::string run;
  std::string artifact;
  /// When not empty, this file is first logged as the artifact (see LogArtifactFile).
  std::string file;
  /// The version's description (also the model's, when this creates the model).
  std::string description;
  /// Who registers; empty: $USER.
  std::string actor;
};

/// The environment variable that makes RegisterModel sleep this many milliseconds inside its
/// transaction, after the version row is written and before the commit. For tests that kill
/// a registration mid-way; never set it otherwise.
inline constexpr std::string_view kRegisterPauseEnv = "CAIRN_TEST_REGISTER_PAUSE_MS";

/// Registers a new version of `model` (created on first use) pointing at the run's artifact.
/// The number is the model's highest plus one, taken inside the inserting transaction, which
/// is serialized per model (on PostgreSQL by an advisory lock keyed by the model's name; on
/// SQLite the write transaction is exclusive): concurrent registrations get distinct,
/// gap-free numbers, and one that fails or is killed leaves nothing. Errors: a bad model or
/// artifact name (kInvalidArgument), an unknown run or artifact, a missing file (kNotFound).
Result<ModelVersion> RegisterModel(data::Workspace& ws, const std::string& model,
                                   const RegisterOptions& options);

/// One line of ListModels.
struct ModelSummary {
  std::string name;
  std::string description;
  int64_t created_at = 0;
  int64_t versions = 0;        // how many
  int64_t latest_version = 0;  // 0 when none
  std::vector<ModelAlias> aliases;
};

/// Every model, sorted by name.
Result<std::vector<ModelSummary>> ListModels(data::Workspace& ws);

/// The model with its versions and aliases. kNotFound "no model '...'" (listing the models
/// that exist when there are few).
Result<ModelInfo> GetModel(data::Workspace& ws, const std::string& model);

/// The version `ref` of `model`: a version number ("3", also "v3") or an alias. kNotFound
/// naming the model's versions or aliases otherwise.
Result<ModelVersion> ResolveModelVersion(data::Workspace& ws, const std::string& model,
                                         const std::string& ref);

/// The version the alias names, or nullopt when the alias names none yet. kNotFound for an
/// unknown model.
Result<std::optional<int64_t>> AliasHolder(data::Workspace& ws, const std::string& model,
                                           const std::string& alias);

/// A recorded evaluation of a model version on a split of a snapshot.
struct ModelEvaluation {
  std::string model;
  int64_t version = 0;
  std::string snapshot_id;  // full id
  std::string split;
  std::string result_blob;  // SHA-256 of the result JSON
  std::string run_id;       // empty: none
  int64_t recorded_at = 0;  // microseconds since the epoch; unique per (model, version, ...)
};

/// What AddEvaluation records besides the result.
struct EvaluationOptions {
  std::string snapshot;  // id or unique prefix
  std::string split;     // a split of that snapshot
  std::string run;       // the run that evaluated (id or prefix); empty: none
};

/// Records the evaluation result JSON `result_json` (as written by `cairn eval run --out`;
/// checked with metrics::EvaluationResultFromJson, errors naming `source_name`) of version
/// `version` of `model` on the given split. The JSON is stored as a blob. Errors: kNotFound
/// for an unknown model, version, snapshot, split (naming the snapshot's splits) or run;
/// kInvalidArgument for a malformed result.
Result<ModelEvaluation> AddEvaluation(data::Workspace& ws, const std::string& model,
                                      int64_t version, std::string_view result_json,
                                      std::string_view source_name,
                                      const EvaluationOptions& options);

/// The newest evaluation of the version on `split` of any snapshot (snapshot_id empty) or of
/// `snapshot_id` (a full id); nullopt when there is none.
Result<std::optional<ModelEvaluation>> NewestEvaluation(data::Workspace& ws,
                                                        const std::string& model, int64_t version,
                                                        const std::string& split,
                                                        const std::string& snapshot_id = "");

/// Every evaluation of the version, oldest first.
Result<std::vector<ModelEvaluation>> ListEvaluations(data::Workspace& ws, const std::string& model,
                                                     int64_t version);

/// The stored result JSON of an evaluation, verified against its hash. kCorrupt when the
/// stored object is damaged or missing.
Result<std::string> ReadEvaluationJson(data::Workspace& ws, const ModelEvaluation& evaluation);

/// One promotion attempt of model_alias_history.
struct AliasEvent {
  int64_t seq = 0;  // 1, 2, 3... per model
  std::string alias;
  std::optional<int64_t> from_version;  // the holder at the time; nullopt: none
  int64_t to_version = 0;               // the version promoted
  bool moved = false;                   // false: refused
  std::string actor;
  int64_t at = 0;    // microseconds since the epoch
  std::string gate;  // the gate's outcome as JSON; empty when no gate applied
  /// Read from `gate`: whether the gate passed (nullopt without a gate or when it was not
  /// evaluated) and why the attempt was refused (empty when moved).
  std::optional<bool> gate_passed;
  std::string reason;
};

/// The promotion attempts of `model` (of one alias when `alias` is not empty), oldest first.
/// kNotFound for an unknown model.
Result<std::vector<AliasEvent>> AliasHistory(data::Workspace& ws, const std::string& model,
                                             const std::string& alias = "");

/// Where a version came from: its run, the snapshot the run trained on and the dataset
/// commits that snapshot was cut from.
struct Lineage {
  ModelVersion version;
  RunInfo run;
  /// nullopt when the run recorded no snapshot.
  std::optional<data::SnapshotInfo> snapshot;
  /// The dataset's commits up to the snapshot's as_of commit, oldest first.
  std::vector<data::CommitInfo> commits;
};

/// The lineage of version `ref` (number or alias) of `model`. Errors as ResolveModelVersion
/// and GetRun; kCorrupt when the run names a snapshot that no longer exists.
Result<Lineage> GetLineage(data::Workspace& ws, const std::string& model, const std::string& ref);

/// Writes the artifact of version `ref` of `model` to `dest`, verified (see ExportArtifact).
/// Returns the version exported.
Result<ModelVersion> ExportModel(data::Workspace& ws, const std::string& model,
                                 const std::string& ref, const std::string& dest);

/// The catalog lock key (catalog::Connection::LockTransaction) that serializes the writes of
/// one model: registrations, evaluations and promotions.
int64_t ModelLockKey(const std::string& model);

/// The user name recorded when no actor is given: $USER, else $LOGNAME, else the name of the
/// effective user id, else "unknown".
std::string DefaultActor();

}  // namespace cairn::track
