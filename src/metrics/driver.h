#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "metrics/evaluation.h"
#include "metrics/result.h"
#include "table/types.h"

namespace cairn::metrics {

/// Expands a score-column pattern against a schema: `p_{class}` matches columns `p_car`,
/// `p_bus`, ... and gives the classes (car, bus, ...) with their columns, classes sorted
/// (numerically when all are integers). kInvalidArgument if the pattern lacks `{class}` or
/// matches no column.
Status ExpandScorePattern(const std::string& pattern, const table::Schema& schema,
                          std::vector<std::string>* classes, std::vector<std::string>* columns);

/// What to evaluate: input files (CSV, JSON Lines or Parquet, read in order), the
/// evaluation's options and plan, and which shard of the rows to take.
struct EvaluateFilesOptions {
  std::vector<std::string> inputs;
  /// Rows are dealt to shards in blocks of kShardBlockRows by their position over all inputs
  /// (block b goes to shard b % shard_count); only this shard's rows are evaluated.
  int shard_index = 0;
  int shard_count = 1;
  /// Threads evaluating batches (0 = all hardware threads); each has its own evaluation and
  /// they are merged at the end, which gives the same state as one thread.
  int threads = 0;
  /// Compute each input's size and XXH3-128 content hash for the result header.
  bool hash_inputs = true;
};

inline constexpr int64_t kShardBlockRows = 65536;

/// Streams the inputs through `eval` (already made with its options and plan); fills
/// `inputs` with what was read. Errors name the input file.
Status EvaluateFiles(const EvaluateFilesOptions& options, Evaluation* eval,
                     std::vector<EvaluationResult::Input>* inputs);

/// The size and XXH3-128 hash (hex) of a file.
Result<EvaluationResult::Input> DescribeInput(const std::string& path);

}  // namespace cairn::metrics
