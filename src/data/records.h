#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/hash.h"
#include "base/result.h"
#include "table/table.h"

namespace cairn::data {

/// The fields of an example record, as column names.
inline constexpr std::string_view kKeyField = "key";
inline constexpr std::string_view kFrameField = "frame";
inline constexpr std::string_view kAnnotationField = "annotation";
inline constexpr std::string_view kCapturedAtField = "captured_at";
inline constexpr std::string_view kLabeledAtField = "labeled_at";
inline constexpr std::string_view kGroupField = "group";
/// The id of a version: 32 lowercase hex characters (128-bit XXH3 of its content).
inline constexpr std::string_view kVersionField = "version";
/// Tags are columns named "tags.<name>".
inline constexpr std::string_view kTagPrefix = "tags.";

/// Column positions in a segment table (see SegmentSchema).
enum SegmentColumn : int {
  kKeyCol = 0,
  kFrameCol,
  kAnnotationCol,
  kCapturedAtCol,
  kLabeledAtCol,
  kGroupCol,
  kVersionCol,
  kFirstTagCol,
};

/// The schema of stored example versions: key, frame, annotation, captured_at and
/// labeled_at (timestamp[us], UTC), group, version, then the tag columns in the order given
/// (callers pass them sorted by name).
table::Schema SegmentSchema(const std::vector<table::Field>& tags);

/// Whether `type` may be the type of a tag (string, int64, float64, bool, timestamp[us]).
bool IsTagType(const table::DataType& type);

/// Where the rows of an input file came from, for messages: row i of the table is at
/// `Describe(i)` ("examples.csv:12", "examples.parquet: row 7").
class RowLocator {
 public:
  /// Locates rows of `path`: for CSV and JSON Lines by scanning the file once for the line
  /// each record starts on (done lazily, on the first call); for Parquet by row number.
  RowLocator(std::string path, bool text_lines, bool csv_header);
  std::string Describe(int64_t row);
  /// The 1-based line of row `row`, or -1 for Parquet input or a row past the end.
  int64_t Line(int64_t row);

 private:
  Status Scan();
  std::string path_;
  bool text_lines_;
  bool csv_;
  bool scanned_ = false;
  std::vector<int64_t> lines_;  // start line of each record
};

/// One input row that was not stored.
struct Reject {
  int64_t row = 0;     // 0-based row in the input table
  std::string key;     // the row's key, when it has one
  std::string field;   // the field at fault
  std::string reason;  // "missing", "cannot parse 'x' as a timestamp"
};

/// What NormalizeRecords is told.
struct NormalizeOptions {
  /// Only rows with start <= captured_at < end (microseconds, UTC) are taken.
  std::optional<int64_t> window_start;
  std::optional<int64_t> window_end;
  /// Types of the tags the dataset already has: an input tag of another type is converted
  /// when that is lossless (int64 -> float64, all-null columns) and an error otherwise.
  std::map<std::string, table::DataType> known_tags;
  /// Names the input in errors.
  std::string source = "input";
  int num_threads = 0;
};

/// The valid, in-window rows of an input in segment form, with their versions computed.
struct NormalizedRecords {
  table::Table records;             // SegmentSchema(tags), rows in input order
  std::vector<table::Field> tags;   // the input's tags, sorted by name
  std::vector<Hash128> versions;    // version of each row of `records`
  std::vector<int64_t> input_rows;  // input row of each row of `records`
  std::vector<Reject> rejects;      // in input row order
  int64_t rows_read = 0;
  int64_t out_of_window = 0;
};

/// Checks and converts the rows of `input` (columns: the record fields, `tags.<name>`
/// columns; a `version` column is ignored; other columns are an error). Rows with a missing
/// or unparsable key, frame or captured_at, or an unparsable labeled_at, are rejected; the
/// rest are kept if they fall in the window. Errors that concern the whole input (an unknown
/// column, a field of an unusable type, a tag type clash) are kInvalidArgument naming
/// options.source and the column.
/// Consumes `input` (its columns move into the result where they can).
Result<NormalizedRecords> NormalizeRecords(table::Table input, const NormalizeOptions& options);

/// The version of row `row` of a segment-schema table: 128-bit XXH3 over a canonical
/// encoding of every field and every non-null tag (so adding a tag column that is null for
/// old records does not change their versions).
Hash128 VersionOf(const table::Table& records, int64_t row, std::string* scratch);

/// Parses 32 lowercase hex characters.
std::optional<Hash128> ParseVersion(std::string_view hex);

/// A column of `type` with `rows` nulls.
table::Column NullColumn(const table::DataType& type, int64_t rows);

/// Extends `segment` (any SegmentSchema) to SegmentSchema(tags): tag columns it lacks become
/// null columns. The segment's tags must be a subset of `tags` with the same types.
Result<table::Table> ConformSegment(table::Table segment, const std::vector<table::Field>& tags);

}  // namespace cairn::data
