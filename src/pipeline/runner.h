#pragma once

// Running a pipeline: stages in dependency order on an executor, each skipped when its key
// is complete and its outputs are in place, restored from the run cache when only its
// outputs are missing, and run otherwise; every outcome recorded in the catalog
// (docs/pipelines.md).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "data/workspace.h"
#include "pipeline/executor.h"
#include "pipeline/key.h"
#include "pipeline/records.h"
#include "pipeline/spec.h"

namespace cairn::pipeline {

/// The outcome of one stage in a run.
struct StageOutcome {
  std::string stage;
  StageStatus status = StageStatus::kNotRun;
  /// Why: "up to date", "changed: param train.lr", "never ran", "outputs missing: model.json",
  /// "upstream 'prepare' failed", "exit status 3", ...
  std::string reason;
  std::string key;
  std::optional<int64_t> exit_code;
  int64_t command_micros = 0;
  std::string stdout_blob;
  std::string stderr_blob;
  /// A note worth showing besides the reason (a damaged cache object that was recomputed).
  std::string note;
};

/// How RunPipeline runs.
struct RunOptions {
  /// Run only these stages and the stages upstream of them; empty: every stage.
  std::vector<std::string> stages;
  /// Run only the stages named in `stages`: upstream stages are not run but must be
  /// complete for their current keys (their outputs are restored when missing); what a
  /// scheduler's task for one stage runs.
  bool only_named = false;
  /// Run the named stages (every stage when none is named) even when they are up to date.
  bool force = false;
  /// The window templated into commands as ${start_time} / ${end_time}.
  std::optional<Window> window;
  /// The cairn binary that built-in steps (`cairn:`) run; empty: this process's executable.
  std::string cairn_binary;
  /// Threads hashing files (0: all cores).
  int hash_threads = 0;
  /// Called on the calling thread when a stage's command starts and when a stage's outcome
  /// is known.
  std::function<void(const std::string& stage)> on_start;
  std::function<void(const StageOutcome&)> on_stage;
};

/// What RunPipeline did.
struct RunReport {
  PipelineRunRecord run;
  /// One outcome per considered stage, in the order they became known.
  std::vector<StageOutcome> stages;
  /// The first stage that failed, or empty.
  std::string failed_stage;
};

/// Runs `pipeline` with `executor`, recording the run, each stage's outcome (as soon as it is
/// known, so an interrupted run keeps what finished) and the outputs of stages that ran in
/// the run cache. Independent stages run in parallel (up to executor.slots()); after the
/// first failure no new stage starts, running ones finish, and the rest are recorded as
/// not-run. A failed stage is reported in the RunReport, not as an error; errors are for
/// unknown stage names (kInvalidArgument) and failures of the catalog or store.
Result<RunReport> RunPipeline(data::Workspace& ws, const Pipeline& pipeline, Executor& executor,
                              const RunOptions& options);

/// What `pipeline status` says about a stage.
struct StageState {
  enum class Kind { kUpToDate, kWouldRestore, kWouldRun };
  std::string stage;
  Kind kind = Kind::kWouldRun;
  /// Why it is not up to date: "never ran", "changed: cmd, param train.lr", "upstream
  /// 'prepare' would run", "outputs missing: model.json", "forced"...
  std::string reason;
  /// The stage key, when it can be known before upstream stages run.
  std::string key;
};

/// "up to date", "would restore", "would run".
std::string_view StageStateName(StageState::Kind kind);

/// What RunPipeline would do for each stage (in topological order), without running or
/// changing anything. Errors as RunPipeline.
Result<std::vector<StageState>> PipelineStatus(data::Workspace& ws, const Pipeline& pipeline,
                                               const std::optional<Window>& window,
                                               int hash_threads = 0);

}  // namespace cairn::pipeline
