#pragma once

// Run tracking: a run records the params it was given, the metric series it logged, tags, the
// snapshot it trained on and the environment it ran in (docs/tracking.md). Every function
// uses the workspace's catalog and is therefore not thread-safe (one thread per workspace).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "data/workspace.h"
#include "table/table.h"

namespace cairn::track {

/// Where a run stands. A run starts running and ends finished or failed, once.
enum class RunStatus { kRunning, kFinished, kFailed };

/// "running", "finished" or "failed".
std::string_view RunStatusName(RunStatus status);
/// The inverse of RunStatusName; kInvalidArgument naming the accepted words otherwise.
Result<RunStatus> ParseRunStatus(std::string_view text);

/// A key and a value as written on a command line: `lr=0.01`.
using KeyValue = std::pair<std::string, std::string>;

/// Parses "KEY=VALUE" (split at the first '='). The key is 1 to 128 characters of
/// [A-Za-z0-9_.-/] and starts with a letter or '_'; the value may be empty. `what` names the
/// kind of assignment in errors ("param", "tag"): kInvalidArgument
/// "param 'lr': expected KEY=VALUE".
Result<KeyValue> ParseKeyValue(std::string_view what, std::string_view text);

/// The type a param's text is read as: "int64" (a base-10 integer that fits), "float64" (any
/// other finite number strtod reads completely) or "string".
std::string_view InferParamType(std::string_view value);

/// One param of a run: its text and the type inferred from it.
struct Param {
  std::string key;
  std::string value;
  std::string type;  // int64, float64 or string
};

/// One point of a metric series.
struct MetricPoint {
  std::string key;
  int64_t step = 0;
  double value = 0;
  int64_t logged_at = 0;  // microseconds since the epoch; set by LogMetrics
};

/// A run as stored, with its params, tags and every metric point.
struct RunInfo {
  std::string id;  // 32 lowercase hex digits
  std::string name;
  RunStatus status = RunStatus::kRunning;
  std::string snapshot_id;  // empty: none
  int64_t created_at = 0;   // microseconds since the epoch
  std::optional<int64_t> ended_at;
  std::optional<int64_t> exit_code;
  std::string host;
  int64_t pid = 0;  // 0: no process is watched
  /// What StartRun captured (see CaptureEnvironment), sorted by key.
  std::vector<KeyValue> environment;
  std::vector<Param> params;         // sorted by key
  std::vector<KeyValue> tags;        // sorted by key
  std::vector<MetricPoint> metrics;  // by key, then step, then logging time
};

/// The environment of the calling process, as flat string pairs sorted by key: `os`,
/// `kernel`, `machine` (uname), `cpu` (the model name in /proc/cpuinfo), `cairn_version`,
/// `compiler` (that built cairn), `lib.<name>` (versions of the libraries cairn runs with:
/// openssl, sqlite, zstd), and, when `dir` is inside a git work tree, `git_commit`, `git_dirty`
/// ("true"/"false") and, when dirty, `git_diff_sha256` (of `git diff HEAD`); then `env.<NAME>` for
/// every variable CAIRN_* and CUDA_VISIBLE_DEVICES, with a password in a URI replaced by "***".
/// Never fails: what cannot be read is left out.
std::vector<KeyValue> CaptureEnvironment(const std::string& dir);

/// What StartRun records.
struct StartOptions {
  std::string name;
  /// A snapshot id or unique prefix (see data::GetSnapshot); empty for none.
  std::string snapshot;
  std::vector<KeyValue> params;
  std::vector<KeyValue> tags;
  /// The process the run belongs to: 0 for the calling process, negative for none. A running
  /// run whose process is gone from this host is shown as failed; a run without a process
  /// stays running until EndRun.
  int64_t pid = 0;
  /// Whether to capture the environment (tests turn it off for speed).
  bool capture_environment = true;
  /// The directory whose git state is recorded; empty: the current directory.
  std::string dir;
};

/// Creates a running run with a fresh random id, the given params and tags, and the
/// environment, in one transaction. Errors: kNotFound for an unknown snapshot,
/// kInvalidArgument for a bad key or conflicting duplicate params.
Result<RunInfo> StartRun(data::Workspace& ws, const StartOptions& options);

/// Resolves a run id or unique prefix of at least 4 hex digits to the full id. kNotFound
/// "no run '...'" or kInvalidArgument when the prefix is short or ambiguous.
Result<std::string> ResolveRunId(data::Workspace& ws, const std::string& ref);

/// Sets params of the run `ref`. Params are immutable: setting a param again to the same text
/// is a no-op, to a different text is kInvalidArgument naming the key and both values (and
/// nothing is written). One transaction.
Status SetParams(data::Workspace& ws, const std::string& ref, const std::vector<KeyValue>& params);

/// Appends metric points (logged_at is set to now) in one transaction, and moves each series'
/// latest point (highest step, later logged on ties; what ListRuns shows) in the same
/// transaction. Keys as ParseKeyValue; NaN and infinite values are kInvalidArgument naming
/// the key and step (nothing is written). Large batches are written with multi-row INSERTs.
Status LogMetrics(data::Workspace& ws, const std::string& ref,
                  const std::vector<MetricPoint>& points);

/// Parses JSON Lines of {"key": "val_f1", "value": 0.81, "step": 3} ("step" optional: 0;
/// blank lines skipped). Errors name `file` and the 1-based line: "m.jsonl:3: 'value' must be
/// a finite number".
Result<std::vector<MetricPoint>> ParseMetricLines(std::string_view text, std::string_view file);

/// Sets (or overwrites) tags of the run, in one transaction.
Status SetTags(data::Workspace& ws, const std::string& ref, const std::vector<KeyValue>& tags);

/// Ends a running run with `status` (finished or failed) and an optional exit code.
/// kInvalidArgument when `status` is running or the run has already ended.
Status EndRun(data::Workspace& ws, const std::string& ref, RunStatus status,
              std::optional<int64_t> exit_code);

/// The run `ref` with everything it recorded. A run marked running whose host is this host
/// and whose process no longer exists is marked failed first.
Result<RunInfo> GetRun(data::Workspace& ws, const std::string& ref);

/// How ListRuns evaluates its filter, sort and limit.
enum class ListEngine {
  /// In the catalog's SQL where it can (see kSql), else in memory.
  kAuto,
  /// In SQL: the filter becomes a WHERE clause over the runs and their keyed tables (schema
  /// v5), the sort an ORDER BY (nulls last, ties newest first) and the limit a LIMIT, and only
  /// the selected runs are loaded. kUnsupported where that cannot match the in-memory result
  /// exactly: an integer literal beyond 2^53 compared with a number column, or an int64 param
  /// that is filtered or sorted on and holds such a value.
  kSql,
  /// In memory: every run, param, tag and metric is loaded, then filtered and sorted. The
  /// reference the SQL path is tested against; slow over many runs.
  kInMemory,
};

/// What ListRuns selects and how it orders it.
struct ListOptions {
  /// A filter (docs/filter.md) over the columns of the runs table; empty: every run.
  std::string where;
  /// A column name, '-' in front for descending; nulls sort last either way, ties keep the
  /// default order (newest first). Empty: newest first.
  std::string sort;
  /// At most this many rows; 0: all.
  int64_t limit = 0;
  /// Where the work is done; every engine gives the same table.
  ListEngine engine = ListEngine::kAuto;
};

/// One row per run: id, name, status (strings), snapshot_id (string, null when none),
/// created_at, ended_at (timestamps), then params.<key> (int64 when every run's value is an
/// int64, float64 when every value is a number, else string), metrics.<key> (float64, the
/// value at the highest step, latest logged on ties) and tags.<key> (strings), each group
/// sorted by key; absent values are null. Stale running runs are marked failed first (see
/// GetRun). Errors: the filter's (unknown field, bad literal), kNotFound for an unknown sort
/// column, and kUnsupported (ListEngine::kSql only, see there).
Result<table::Table> ListRuns(data::Workspace& ws, const ListOptions& options);

}  // namespace cairn::track
