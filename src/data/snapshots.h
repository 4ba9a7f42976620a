#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "data/datasets.h"
#include "data/workspace.h"
#include "table/io.h"
#include "table/table.h"

namespace cairn::data {

/// The latest version of every key of a dataset as of a commit.
struct LatestVersions {
  std::vector<CommitInfo> commits;  // up to and including the as-of commit
  std::vector<table::Field> tags;   // the dataset's tags
  table::Schema schema;             // of `segments`: SegmentSchema(tags), or the columns asked for
  std::vector<std::string> segment_ids;    // blob ids, in commit and segment order
  std::vector<table::Table> segments;      // one per segment id
  std::vector<std::string> segment_bytes;  // the verified Parquet bytes, when kept
  /// Per segment, per row: 1 if the row is the latest version of its key.
  std::vector<std::vector<uint8_t>> latest;
  int64_t versions = 0;  // rows in all segments
  int64_t keys = 0;      // distinct keys (= latest rows)
};

/// Reads every segment of `dataset` up to `as_of_sequence` and marks the latest version of
/// each key: the greatest labeled_at (a version without one counts its commit's time), ties
/// to the later commit, and within one commit to the later row. With `columns`, only those
/// (plus key and labeled_at) are decoded, in segment-schema order; with `keep_bytes` the
/// segments' bytes stay in memory for DecodeSegment.
Result<LatestVersions> LoadLatest(Workspace& ws, const std::string& dataset, int64_t as_of_sequence,
                                  int num_threads, const std::vector<std::string>& columns = {},
                                  bool keep_bytes = false);

/// Decodes the columns of `schema` (a projection of a segment schema) from a segment's
/// Parquet bytes; tag columns the segment lacks are nulls.
Result<table::Table> DecodeSegment(std::string_view bytes, const std::string& id,
                                   const table::Schema& schema, int num_threads);

/// One named part of a split: `train=0.8`.
struct SplitSpec {
  std::string name;
  double fraction = 0;
};

/// Parses "train=0.8,val=0.1,test=0.1": names of [A-Za-z0-9_-], unique; fractions positive
/// and summing to 1 (within 1e-9). kInvalidArgument naming the bad part.
Result<std::vector<SplitSpec>> ParseSplits(std::string_view text);

/// What to select and how to split it.
struct SnapshotOptions {
  std::string where;              // filter expression (docs/filter.md); empty: every key
  std::string as_of;              // commit id (prefix) or timestamp; empty: the latest commit
  std::vector<SplitSpec> splits;  // empty: one split "all"
  uint64_t seed = 0;              // at most 2^63 - 1
  std::string split_by;           // "key", "group", or empty: group when the dataset has groups
  std::string description;
  int num_threads = 0;
  std::function<void(const std::string&)> on_stage;
};

struct SplitInfo {
  std::string name;
  double fraction = 0;
  std::string keys_object;      // blob: one key per line, sorted, '\n'-terminated
  std::string versions_object;  // blob: Parquet table of the selected versions, sorted by key
  int64_t rows = 0;
};

struct SnapshotInfo {
  std::string id;  // 64 lowercase hex characters
  std::string dataset;
  std::string description;
  std::string where;  // canonical form of the filter
  std::string as_of_commit;
  int64_t as_of_sequence = 0;
  uint64_t seed = 0;
  std::string split_by;
  int64_t created_at = 0;
  int64_t rows = 0;
  std::vector<SplitInfo> splits;
  std::string definition;  // JSON object of the above, as stored
  // Set by CreateSnapshot only:
  bool created = false;    // false when an identical snapshot existed already
  int64_t candidates = 0;  // latest versions the filter was applied to
};

/// Cuts a snapshot of `dataset`: the latest version of each key as of options.as_of, then
/// the filter, then the seeded split. Its id is the hash of what it selects; if a snapshot
/// with that id exists it is returned unchanged (created = false) and nothing new is stored.
Result<SnapshotInfo> CreateSnapshot(Workspace& ws, const std::string& dataset,
                                    const SnapshotOptions& options);
/// A snapshot by id or unique prefix (at least 4 characters).
Result<SnapshotInfo> GetSnapshot(Workspace& ws, const std::string& ref);
/// All snapshots, or those of `dataset`, newest first.
Result<std::vector<SnapshotInfo>> ListSnapshots(Workspace& ws, const std::string& dataset = "");

/// The versions of one split (verifying the blob), or of all splits in order with a `split`
/// column appended when `split` is empty.
Result<table::Table> ReadSnapshotVersions(Workspace& ws, const SnapshotInfo& snap,
                                          const std::string& split);
/// The key list of one split, or of all splits concatenated when `split` is empty.
Result<std::string> ReadSnapshotKeys(Workspace& ws, const SnapshotInfo& snap,
                                     const std::string& split);

/// How two snapshots differ, by key.
struct SnapshotDiff {
  int64_t added = 0;    // keys only in the second
  int64_t removed = 0;  // keys only in the first
  int64_t changed = 0;  // keys in both whose version differs
  int64_t moved = 0;    // keys in both whose split differs
  int64_t same = 0;     // keys in both with the same version and split
  // Up to `examples` keys of each kind, sorted.
  std::vector<std::string> added_keys, removed_keys, changed_keys, moved_keys;
};
Result<SnapshotDiff> DiffSnapshots(Workspace& ws, const SnapshotInfo& a, const SnapshotInfo& b,
                                   size_t examples = 20);

}  // namespace cairn::data
