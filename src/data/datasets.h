#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "data/records.h"
#include "data/workspace.h"
#include "table/io.h"

namespace cairn::data {

/// A dataset as the catalog records it.
struct DatasetInfo {
  std::string name;
  std::string description;
  int64_t created_at = 0;  // microseconds since the epoch, UTC
};

/// One commit of a dataset.
struct CommitInfo {
  std::string id;  // 64 lowercase hex characters
  std::string dataset;
  int64_t sequence = 0;  // 1, 2, 3... per dataset
  int64_t created_at = 0;
  int64_t versions = 0;  // example versions it added
  std::string message;
  std::string summary;                // JSON object: source, counts, window
  std::vector<std::string> segments;  // blob ids, in order
};

/// Checks a dataset name: 1 to 128 characters from [A-Za-z0-9_.-], not starting with '.'
/// or '-'. kInvalidArgument naming the rule otherwise.
Status ValidateDatasetName(std::string_view name);

/// Whether `s` is a non-empty run of lowercase hex digits (a possible id prefix).
bool IsHexPrefix(std::string_view s);

/// Creates a dataset. kAlreadyExists if the name is taken.
Status CreateDataset(Workspace& ws, const std::string& name, const std::string& description);
/// kNotFound (listing the datasets that exist) if there is no such dataset.
Result<DatasetInfo> GetDataset(Workspace& ws, const std::string& name);
Result<std::vector<DatasetInfo>> ListDatasets(Workspace& ws);

/// The commits of `dataset` with sequence <= max_sequence, oldest first, with segments.
Result<std::vector<CommitInfo>> ListCommits(
    Workspace& ws, const std::string& dataset,
    int64_t max_sequence = std::numeric_limits<int64_t>::max());
/// The dataset's latest sequence (0 when it has no commits).
Result<int64_t> HeadSequence(Workspace& ws, const std::string& dataset);
/// The tags of the dataset and their types, sorted by name.
Result<std::vector<table::Field>> DatasetTags(Workspace& ws, const std::string& dataset);
/// Resolves a commit reference of `dataset`: a full id or a unique prefix of at least 4
/// characters. kNotFound / kInvalidArgument (ambiguous) otherwise.
Result<CommitInfo> ResolveCommit(Workspace& ws, const std::string& dataset, const std::string& ref);

/// Reads a stored Parquet blob (a segment or a snapshot's versions table), verifying its
/// hash; only `columns` when not empty.
Result<table::Table> ReadParquetBlob(Workspace& ws, const std::string& blob_id,
                                     const std::vector<std::string>& columns, int num_threads);

/// What to ingest and how.
struct IngestOptions {
  std::string path;                         // CSV, JSON Lines or Parquet
  std::optional<table::FileFormat> format;  // default: from the extension
  std::optional<int64_t> window_start;      // microseconds, UTC; inclusive
  std::optional<int64_t> window_end;        // exclusive
  std::string rejects_path;  // where rejected rows go; default "<path>.rejects.jsonl"
  std::string message;       // stored with the commit
  int num_threads = 0;
  /// Rows per segment file; larger commits are split over several segments.
  int64_t segment_rows = int64_t{1} << 22;
  /// Rows read, checked and written at a time: memory stays bounded by a batch plus a
  /// segment, whatever the input's size.
  int64_t batch_rows = int64_t{1} << 20;
  /// Called with a stage name as the ingest proceeds ("read", "normalize", "compare",
  /// "write", "commit"); for progress display.
  std::function<void(const std::string&)> on_stage;
};

/// One rejected input row, located in the input.
struct RejectInfo {
  std::string location;  // "file:line" or "file: row N"
  std::string field;
  std::string reason;
};

/// What an ingest did.
struct IngestReport {
  std::string dataset;
  std::string source;
  int64_t rows_read = 0;
  int64_t rejected = 0;
  int64_t out_of_window = 0;
  int64_t duplicates = 0;  // rows identical to an earlier row of the same input
  int64_t unchanged = 0;   // rows identical to a version already stored
  int64_t new_versions = 0;
  std::string commit_id;  // empty when nothing was written
  int64_t sequence = 0;
  int64_t attempts = 1;      // commit attempts (more than one when another writer got in first)
  std::string rejects_path;  // set when rejects were written
  std::vector<RejectInfo> first_rejects;         // up to 10
  std::map<std::string, int64_t> reject_counts;  // by "field: reason kind"
};

/// Ingests the records of options.path into `dataset`, streaming it batch by batch:
/// validates and converts them (see NormalizeRecords), drops rows outside the window and rows
/// whose version is already stored (or repeated in the input), writes the new versions as
/// Parquet segments to the blob store and then records them in one catalog transaction. Rejected
/// rows are written to the rejects file and counted; the valid rows still commit. Nothing is
/// written when there are no new versions. When another writer commits to the dataset in between,
/// the new versions are compared again with what it stored and the commit is retried.
Result<IngestReport> Ingest(Workspace& ws, const std::string& dataset,
                            const IngestOptions& options);

/// An upper bound on the size of `t` written as Parquet (for reserving output buffers).
size_t EstimateParquetBytes(const table::Table& t);

/// Parses "A..B" (ISO 8601 timestamps or dates; either side may be empty for an open end)
/// into microseconds. kInvalidArgument naming the bad side.
Status ParseWindow(std::string_view text, std::optional<int64_t>* start,
                   std::optional<int64_t>* end);

}  // namespace cairn::data
