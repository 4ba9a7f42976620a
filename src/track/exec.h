#pragma once

// Running a command as a tracked run (`cairn exec`, docs/tracking.md): the run is started,
// the snapshot's splits are handed to the command as Parquet files, its output is passed
// through and captured, metric lines and a metrics file are logged while it runs, and its
// outputs, captured output and exit code are recorded when it ends.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "data/workspace.h"
#include "track/runs.h"

namespace cairn::track {

/// The prefix of a metric line on the command's standard output.
inline constexpr std::string_view kMetricLinePrefix = "cairn:metric ";

/// Reads one line of the command's standard output (without its newline; a trailing '\r' is
/// ignored). A line that does not start with kMetricLinePrefix is not a metric line: nullopt.
/// A metric line holds space-separated KEY=VALUE pairs: keys as ParseKeyValue, values finite
/// numbers, and at most one `step=N` (a base-10 int64, default 0) that applies to every pair
/// of the line. kInvalidArgument ("line 12: 'loss=high': the value must be a finite number")
/// for a malformed metric line, naming `line_number`.
Result<std::optional<std::vector<MetricPoint>>> ParseMetricLine(std::string_view line,
                                                                int64_t line_number);

/// Checks an `--output` path and returns the artifact name it is stored under: the path
/// normalised (no "./", no trailing '/'). kInvalidArgument for an absolute path, one with a
/// ".." component, or one that is not a valid artifact name (see CheckArtifactName), and for
/// the names of the captured output, "stdout.txt" and "stderr.txt".
Result<std::string> OutputArtifactName(std::string_view path);

/// The environment variable a split's file is passed in: CAIRN_SPLIT_ and the name
/// upper-cased with '-' written as '_' ("val-hard" -> "CAIRN_SPLIT_VAL_HARD").
std::string SplitVariable(std::string_view split);

/// What Exec runs and records.
struct ExecOptions {
  /// The run to start: name, snapshot (id or prefix), params, tags. `pid` is ignored: the run
  /// belongs to the calling process, so it shows as failed if that process dies.
  StartOptions run;
  /// The command and its arguments; argv[0] is looked up in PATH (no shell).
  std::vector<std::string> command;
  /// Relative paths stored as artifacts after the command exits; a directory stands for every
  /// regular file below it (named "<dir>/<relative path>").
  std::vector<std::string> outputs;
  /// The format of the split files: "parquet" (the default), "csv" or "jsonl" (the file
  /// name's extension follows it).
  std::string split_format = "parquet";
  /// When not empty, the run id and a newline are written here once the run has started.
  std::string run_id_file;
  /// Where the command's output is passed through, and where cairn's own messages ("run
  /// <id>", warnings, errors) go.
  int stdout_fd = 1;
  int stderr_fd = 2;
  /// Whether SIGINT and SIGTERM sent to this process by another process are forwarded to the
  /// command while it runs (a terminal's Ctrl-C reaches it directly, as it shares the process
  /// group). Signals ignored when Exec is called stay ignored.
  bool forward_signals = true;
  /// How often collected metric points are written to the catalog while the command runs.
  int64_t flush_interval_ms = 1000;
  /// Where the temporary directory (split files, metrics file, captured output) is made;
  /// empty: $TMPDIR, else /tmp.
  std::string temp_root;
};

/// What Exec did.
struct ExecResult {
  std::string run_id;
  RunStatus status = RunStatus::kFailed;
  /// The command's exit code, 128 + the signal number when a signal ended it, 127 when it
  /// could not be found (126 when it could not be run), 1 when cairn failed before it ran.
  int exit_code = 1;
  /// The exit code for the caller: exit_code, or 1 when the command succeeded but cairn could
  /// not record what it was asked to (a missing output).
  int process_exit_code = 1;
  int64_t metric_points = 0;           // logged from metric lines and the metrics file
  int64_t warnings = 0;                // malformed metric lines
  std::vector<std::string> artifacts;  // names stored, outputs first, then stdout/stderr
  /// Why the run failed other than by the command's exit code; also written to stderr_fd and
  /// recorded as the run's tag `exec.error`.
  std::string error;
};

/// Starts a run and runs `options.command` in it (docs/tracking.md, "cairn exec"). The child
/// gets CAIRN_RUN_ID, CAIRN_WORKSPACE and CAIRN_HOME (the workspace root, absolute),
/// CAIRN_METRICS_FILE and, with a snapshot, CAIRN_SNAPSHOT and one CAIRN_SPLIT_<NAME> per
/// split; it is killed if this process dies. Errors (kNotFound for an unknown snapshot,
/// kInvalidArgument for bad params, tags, outputs or an empty command) are returned only
/// when nothing was started; once the run exists every outcome is in the result and the run
/// has ended. Installs signal handlers for the duration of the call when forward_signals is
/// set, so at most one Exec may run in a process at a time; not thread-safe.
Result<ExecResult> Exec(data::Workspace& ws, const ExecOptions& options);

}  // namespace cairn::track
