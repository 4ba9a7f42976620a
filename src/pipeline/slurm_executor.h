#pragma once

// The Slurm executor: each stage's command becomes a batch job (`sbatch`), a sharded stage a
// job array plus a reduce job, edges become `afterok` dependencies so that a whole graph is
// submitted at once, and the jobs are watched by polling `scontrol show job`
// (docs/pipelines.md, "Running on Slurm").

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "pipeline/executor.h"

namespace cairn::pipeline {

/// Called when a stage's job is submitted ("submitted") and when a job (or array task) is
/// seen in a new state ("PENDING (Dependency)", "RUNNING", "COMPLETED", "FAILED"...): the
/// stage, the job id ("42", "42_3") and the state. Called from executor threads, one call at
/// a time.
using JobObserver =
    std::function<void(const std::string& stage, const std::string& job, const std::string& state)>;

/// How the Slurm executor submits and watches jobs.
struct SlurmOptions {
  /// The directory under which each executor creates its own directory for job scripts and
  /// job logs (created when missing; the executor's directory is removed when it is
  /// destroyed). Must be at the same path on the compute nodes (a shared filesystem).
  std::string job_dir;
  /// `--partition`; empty: the cluster's default partition.
  std::string partition;
  /// How often the jobs' states are polled, in milliseconds.
  int poll_ms = 500;
  /// More sbatch arguments given to every job (`--time=60`, `--mem=4G`, `--account=ml`...).
  std::vector<std::string> sbatch_args;
  /// Variables every job gets besides the task's (the submitting shell's PATH, say). Jobs are
  /// submitted with `--export=NONE`: nothing else of this process's environment reaches them.
  std::vector<std::pair<std::string, std::string>> env;
  /// How many stages may be submitted and unfinished at once.
  int max_jobs = 256;
  /// Where the jobs' output lines go once a job has finished (may be empty); shards are
  /// named "stage[3]", the reduce "stage[reduce]".
  LineSink sink;
  /// Told about submissions and job states (may be empty).
  JobObserver observer;
  /// When it becomes true (a signal handler sets it), every job submitted is cancelled
  /// (`scancel`) and no new job is submitted. May be null.
  const std::atomic<bool>* interrupted = nullptr;
  /// The Slurm client programs; found in PATH unless given as paths.
  std::string sbatch = "sbatch";
  std::string scontrol = "scontrol";
  std::string scancel = "scancel";
};

/// An executor that runs tasks as Slurm batch jobs. Each task becomes a job script in the
/// executor's directory (the task's variables exported, the working directory changed to the
/// task's, the command exec'ed), submitted with `sbatch --parsable --export=NONE
/// --kill-on-invalid-dep=yes`, with `--dependency=afterok:ID[:ID]` on the jobs of the task's
/// `after` stages and `--array=0-(N-1)` for N shards (CAIRN_SHARD and CAIRN_SHARDS taken from
/// SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT), plus a reduce job after the whole array.
/// Run blocks until the stage's jobs ended; the exit status comes from `scontrol show job`
/// (`ExitCode=N:S`), the jobs' output files are concatenated into the task's log files.
/// kNotFound when sbatch cannot be run; kIOError when the directory cannot be created.
/// Thread-safe.
Result<std::unique_ptr<Executor>> MakeSlurmExecutor(SlurmOptions options);

/// `s` quoted for a POSIX shell ('...', with ' written as '\'').
std::string ShellQuote(const std::string& s);

/// The value of `key` in one line of `scontrol -o show job` output ("JobState" gives
/// "COMPLETED"), or empty when the line has no such field.
std::string ScontrolField(std::string_view line, std::string_view key);

}  // namespace cairn::pipeline
