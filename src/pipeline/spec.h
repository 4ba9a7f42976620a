#pragma once

// Pipeline files: a YAML description of stages (a shell command or a built-in cairn step,
// its dependencies, params and outputs) read into a validated stage graph (docs/pipelines.md).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "pipeline/cron.h"

namespace cairn::pipeline {

/// One stage of a pipeline, as declared (paths normalised, edges resolved).
struct Stage {
  std::string name;
  /// "FILE:LINE" of the stage's name in the pipeline file.
  std::string location;
  /// The shell command (`cmd:`), run with /bin/sh -c; empty for a built-in step.
  std::string cmd;
  /// The arguments of a built-in step (`cairn:`), split like a shell would; empty for `cmd:`.
  std::vector<std::string> cairn_args;
  /// Files or directories read, relative to the pipeline's directory (or absolute),
  /// lexically normalised.
  std::vector<std::string> deps;
  /// Dotted keys of the params file whose values the stage depends on.
  std::vector<std::string> params;
  /// Files or directories written, relative to the pipeline's directory, normalised.
  std::vector<std::string> outs;
  /// Stages named in `needs:`.
  std::vector<std::string> needs;
  /// Direct upstream stages (indexes into Pipeline::stages): those in `needs:` and those
  /// whose outputs this stage reads. Sorted, without duplicates.
  std::vector<int> upstream;
  /// `shards:`: when > 0 the command runs this many times, as shards 0..shards-1 (a Slurm job
  /// array; local processes), with CAIRN_SHARD and CAIRN_SHARDS in the environment.
  int shards = 0;
  /// `reduce:`: a shell command run once after every shard succeeded; empty when none.
  std::string reduce;
  /// Whether the command, arguments or reduce command mention ${start_time} or ${end_time}.
  bool uses_window = false;
  /// The dataset named in `subscribe:` (its commits not yet processed are delivered to the
  /// stage), or empty.
  std::string subscribe;
};

/// When a pipeline runs by itself (`schedule:`), for `cairn pipeline schedule`.
struct ScheduleSpec {
  /// What window a fire time's run gets.
  enum class WindowKind {
    /// [the previous fire time, this fire time).
    kPrevious,
    /// No window: the run is templated without ${start_time} / ${end_time}.
    kNone,
  };
  /// "FILE:LINE" of the `schedule:` key.
  std::string location;
  CronSchedule cron;
  WindowKind window = WindowKind::kPrevious;
  /// Whether every missed window since `start` runs (true) or only the latest (false).
  bool catchup = false;
  /// No window starts (no fire time is taken, with `window: none`) before this time.
  std::optional<int64_t> start;
};

/// A parsed and validated pipeline.
struct Pipeline {
  /// The `pipeline:` name (default: the name of the file's directory).
  std::string name;
  /// The pipeline file as given, and the absolute directory it is in (stages run there).
  std::string file;
  std::string dir;
  /// SHA-256 (hex) of the pipeline file's bytes.
  std::string file_hash;
  /// The params file as written (relative to dir), empty when there is none.
  std::string params_file;
  /// The values of every param a stage names: dotted key -> canonical text (a scalar's
  /// text; maps and sequences written as compact JSON-like text with sorted map keys).
  std::map<std::string, std::string> param_values;
  /// The stages in file order.
  std::vector<Stage> stages;
  /// Stage indexes in a topological order (upstream first; ties in file order).
  std::vector<int> order;
  /// The `schedule:` section, when there is one.
  std::optional<ScheduleSpec> schedule;

  /// The index of the stage called `name`, or -1.
  int Find(std::string_view name) const;
  /// `roots` and every stage upstream of them, as a mask over stages.
  std::vector<bool> WithUpstream(const std::vector<int>& roots) const;
};

/// Reads, parses and validates the pipeline file at `path` (and its params file). Errors are
/// kInvalidArgument "FILE:LINE: ...": unknown fields, a stage with neither or both of `cmd`
/// and `cairn`, unknown stages in `needs`, cycles (named stage by stage), two stages
/// declaring the same (or a nested) output, a dependency that does not exist and that no
/// stage produces, params keys missing from the params file, unusable paths. kNotFound if
/// the file does not exist.
Result<Pipeline> LoadPipeline(const std::string& path);

/// Splits `text` into words like a POSIX shell without expansions: blanks separate words;
/// '...' keeps everything literally; "..." keeps everything but lets \" \\ \$ \` escape; a
/// backslash outside quotes escapes the next character. kInvalidArgument for an unterminated
/// quote or a trailing backslash.
Result<std::vector<std::string>> SplitWords(std::string_view text);

}  // namespace cairn::pipeline
