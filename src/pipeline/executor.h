#pragma once

// Executors run one stage's command somewhere and report how it ended. The local executor
// runs it as a child process here; others (a batch scheduler) implement the same interface.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace cairn::pipeline {

/// One command to run for a stage.
struct Task {
  std::string stage;
  /// The program and its arguments; argv[0] is a path (not looked up in PATH).
  std::vector<std::string> argv;
  /// The working directory.
  std::string cwd;
  /// Variables added to (or replacing those of) the executor's environment.
  std::vector<std::pair<std::string, std::string>> env;
  /// Where standard output and standard error are written (created or truncated).
  std::string stdout_path;
  std::string stderr_path;
  /// When > 0 the command runs `shards` times, each with CAIRN_SHARD (0 to shards-1) and
  /// CAIRN_SHARDS added to the environment, then `reduce_argv` (when not empty) runs once,
  /// with CAIRN_SHARDS, after every shard exited 0. The shards' output, in shard order, then
  /// the reduce's, is what the task's files hold.
  int shards = 0;
  std::vector<std::string> reduce_argv;
  /// Stages whose tasks this executor was given and that have not finished: the command must
  /// start only after each of them succeeded. Only executors whose SubmitsAhead() is true
  /// get tasks with `after`.
  std::vector<std::string> after;
};

/// How a task ended.
struct TaskResult {
  /// Not ok when the command could not be started (or its output could not be captured).
  Status status;
  /// The exit status; 128 + N when killed by signal N; -1 when it never ran.
  int exit_code = -1;
  int64_t started_at = 0;  // microseconds since the epoch
  int64_t ended_at = 0;
  /// What ran and where, for messages about it: "shard 2", "Slurm job 42", "Slurm job 42_3";
  /// empty for a task that ran as one local process.
  std::string where;
};

/// Where the local executor copies the output of running commands, line by line as it
/// arrives: the stage, whether the line came from standard error, and the line without its
/// newline. Called from executor threads, one call at a time.
using LineSink = std::function<void(std::string_view stage, bool is_stderr, std::string_view line)>;

/// Runs tasks. Thread-safe: Run may be called from several threads at once.
class Executor {
 public:
  virtual ~Executor() = default;
  /// Runs `task` to completion (blocking).
  virtual TaskResult Run(const Task& task) = 0;
  /// How many tasks this executor runs at once (the scheduler never asks for more).
  virtual int slots() const = 0;
  /// Whether Run accepts tasks with `after` (a batch scheduler that holds a task until the
  /// tasks it comes after succeeded), so that a whole graph can be handed over at once.
  virtual bool SubmitsAhead() const { return false; }
  /// Stops the task of `stage` if it has not finished (a queued or running batch job); its
  /// Run then returns soon. Does nothing when there is no such task. Thread-safe.
  virtual void Cancel(const std::string& stage) { (void)stage; }
};

/// An executor that runs each task as a child process of this one, with standard input
/// from /dev/null, standard output and error captured to the task's files and copied to
/// `sink` (may be empty), running up to `jobs` tasks at once (0 = the number of cores).
std::unique_ptr<Executor> MakeLocalExecutor(int jobs, LineSink sink);

/// Writes the concatenation of the files `parts` (in order; missing ones are skipped) to
/// `dest` (created or truncated, then fsynced) and deletes the parts. kIOError naming the
/// file that could not be read or written.
Status ConcatenateLogs(const std::vector<std::string>& parts, const std::string& dest);

}  // namespace cairn::pipeline
