#pragma once

// Running pipelines by themselves: the windows a `schedule:` makes due, claims that keep two
// schedulers on one workspace from running a window twice (schema v7), and the loop behind
// `cairn pipeline schedule` (docs/pipelines.md, "Schedules").

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "catalog/catalog.h"
#include "data/workspace.h"
#include "pipeline/executor.h"
#include "pipeline/key.h"
#include "pipeline/runner.h"
#include "pipeline/spec.h"

namespace cairn::pipeline {

/// The windows of `spec` due at `now`, oldest first: a window [a, b) of consecutive fire
/// times a < b is due once b <= now (with `window: none`, the "window" of fire time f is
/// [f, f], due once f <= now). With catchup, every due window that starts at or after
/// spec.start; without, only the latest due window (none if it starts before spec.start).
/// Windows that end after `until` are left out. At most `limit` windows (the oldest).
std::vector<Window> DueWindows(const ScheduleSpec& spec, int64_t now,
                               std::optional<int64_t> until = std::nullopt, size_t limit = 100000);

/// One claim of a (pipeline, window).
struct ClaimRecord {
  std::string pipeline;
  Window window;
  std::string status;  // running, succeeded, failed
  std::string claimant;
  std::string host;
  int64_t pid = 0;
  int64_t claimed_at = 0;
  int64_t heartbeat_at = 0;
  int64_t attempts = 0;
  std::string run_id;
};

/// When a claim may be taken.
struct ClaimOptions {
  /// A running claim whose heartbeat is older than this is abandoned.
  int64_t stale_after_micros = 300'000'000;
  /// Whether a failed window may be claimed again.
  bool retry_failed = false;
};

/// "HOST:PID", the claimant name of this process.
std::string ThisClaimant();

/// Claims (pipeline, window) for this process, in one transaction serialized with other
/// claimants of the pipeline: true when there was no claim, or the claim is running but its
/// holder died (its heartbeat is stale, or it ran on this host and its process is gone), or
/// it failed and options.retry_failed is set. False when another holder has it or it
/// succeeded.
Result<bool> ClaimWindow(catalog::Connection& conn, const std::string& pipeline,
                         const Window& window, const ClaimOptions& options);

/// Refreshes this process's claim's heartbeat. kNotFound when the claim is no longer ours.
Status HeartbeatClaim(catalog::Connection& conn, const std::string& pipeline, const Window& window);

/// Records how this process's claim ended ("succeeded" or "failed") and its run.
Status FinishClaim(catalog::Connection& conn, const std::string& pipeline, const Window& window,
                   std::string_view status, const std::string& run_id);

/// The claims of `pipeline` (all pipelines when empty), by pipeline and window.
Result<std::vector<ClaimRecord>> ListClaims(catalog::Connection& conn, const std::string& pipeline);

/// How RunSchedule runs.
struct ScheduleOptions {
  /// Run what is due now, then return (instead of waiting for the next fire time).
  bool once = false;
  /// Stop at this time; windows that end after it are not run.
  std::optional<int64_t> until;
  /// How often subscribed datasets are checked for new commits.
  int64_t poll_micros = 10'000'000;
  /// How often a running window's heartbeat is refreshed.
  int64_t heartbeat_micros = 30'000'000;
  ClaimOptions claim;
  /// What each pipeline run is given (window and stages are set per run).
  RunOptions run;
  /// Where progress lines go ("pipeline digits: window ... : claimed"); may be empty.
  std::function<void(const std::string& line)> log;
  /// The clock and the sleep (tests replace them).
  std::function<int64_t()> now;
  std::function<void(int64_t micros)> sleep;
};

/// What RunSchedule did.
struct ScheduleReport {
  /// Pipeline runs started (one per window or trigger), and how many of them failed.
  int runs = 0;
  int failed = 0;
  /// Windows another scheduler held.
  int skipped_claimed = 0;
};

/// Runs `pipelines` by their schedules until options.until (or once): at each fire time,
/// each due window not yet claimed is claimed and run with RunPipeline (its heartbeat kept
/// fresh on a second connection from another thread), and the claim finished; a pipeline
/// without `schedule:` whose stages subscribe to datasets runs whenever one of those datasets
/// has commits its stages have not processed (checked every options.poll_micros; claimed as
/// the window [-1, S) where S is the sum of the datasets' head sequences). A failed run is
/// logged and counted, not returned as an error. kInvalidArgument for a pipeline with
/// neither a schedule nor a subscribed stage; errors of the catalog are returned.
Result<ScheduleReport> RunSchedule(data::Workspace& ws, const std::vector<Pipeline>& pipelines,
                                   Executor& executor, const ScheduleOptions& options);

}  // namespace cairn::pipeline
