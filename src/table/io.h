#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "table/scalar.h"
#include "table/table.h"

namespace cairn::table {

/// The file formats cairn reads and writes.
enum class FileFormat : uint8_t { kCsv, kJsonl, kParquet };

/// "csv", "jsonl", "parquet".
std::string_view FileFormatName(FileFormat f);
/// Parses "csv", "tsv" (csv), "jsonl", "ndjson", "json" (jsonl), "parquet".
Result<FileFormat> ParseFileFormat(std::string_view name);
/// By extension: .csv/.tsv/.txt, .jsonl/.ndjson/.json, .parquet/.pq (case-insensitive);
/// kInvalidArgument naming the path otherwise.
Result<FileFormat> FileFormatFromPath(std::string_view path);

/// Options for reading CSV.
struct CsvReadOptions {
  char delimiter = ',';  // '\t' is chosen automatically for .tsv paths
  char quote = '"';
  bool header = true;  // without a header, columns are named c0, c1, ...
  /// Cells equal to one of these (after no trimming) are null in every non-string column;
  /// in string columns only the empty unquoted cell and these tokens are null as well.
  std::vector<std::string> null_tokens = {"", "NULL", "null", "NA", "N/A"};
  /// Column types that override inference, by column name.
  std::map<std::string, DataType> column_types;
  /// Rows sampled from the start of the file to infer column types. A later value that
  /// does not fit the inferred type is an error naming line and column (override the type).
  int64_t infer_rows = 20000;
};

/// Options for writing CSV.
struct CsvWriteOptions {
  char delimiter = ',';
  bool header = true;
  std::string null_token;  // written for nulls (default: empty cell)
};

/// Options for reading JSON Lines.
struct JsonlReadOptions {
  /// Rows sampled to infer the schema (union of keys; types widened int -> float).
  int64_t infer_rows = 20000;
  std::map<std::string, DataType> column_types;
};

/// Options for writing JSON Lines.
struct JsonlWriteOptions {
  /// Turn dotted column names back into nested objects ("tags.weather" -> {"tags":
  /// {"weather": ...}}); when false, keys are written as they are.
  bool nest_dotted = true;
};

/// Parquet compression codecs supported for reading and writing.
enum class Compression : uint8_t { kUncompressed, kSnappy, kZstd };

/// Options for reading Parquet.
struct ParquetReadOptions {
  /// Columns to read, in this order; empty = all.
  std::vector<std::string> columns;
  /// Conjunction of predicates: row groups whose statistics prove that no row matches are
  /// skipped, and the remaining rows are filtered exactly.
  std::vector<Predicate> filters;
};

/// Options for writing Parquet.
struct ParquetWriteOptions {
  Compression compression = Compression::kSnappy;
  int zstd_level = 3;
  int64_t row_group_rows = 1 << 20;
  int64_t page_bytes = 1 << 20;  // target uncompressed size of a data page
  bool dictionary = true;        // dictionary-encode columns whose dictionary stays small
  bool data_page_v2 = false;
  bool statistics = true;
  /// Encode a written batch of at least row_group_rows / 16 rows as row groups of its own
  /// (the last one smaller) instead of copying it into the pending row group: row groups then
  /// follow the batches, and no row is copied before encoding.
  bool row_groups_follow_batches = false;
};

/// Options for any reader.
struct ReadOptions {
  std::optional<FileFormat> format;  // default: from the path's extension
  CsvReadOptions csv;
  JsonlReadOptions jsonl;
  ParquetReadOptions parquet;
  int num_threads = 0;  // 0 = all hardware threads
  int64_t batch_rows = 1 << 16;
};

/// Options for any writer.
struct WriteOptions {
  std::optional<FileFormat> format;
  CsvWriteOptions csv;
  JsonlWriteOptions jsonl;
  ParquetWriteOptions parquet;
  int num_threads = 0;
};

/// A stream of record batches with a fixed schema. Not thread-safe.
class TableReader {
 public:
  virtual ~TableReader() = default;
  virtual const Schema& schema() const = 0;
  /// Replaces *batch with the next batch of at most batch_rows rows (never zero rows unless
  /// at end). Returns false at end of input. Errors name the file, line/offset and column.
  virtual Result<bool> Next(Table* batch) = 0;
  /// Reads everything that remains into one table. Readers may override this with a faster
  /// path; the default loops over Next.
  virtual Result<Table> ReadAll();
};

/// A sink of record batches. Not thread-safe. The file appears under its final name only
/// after a successful Close (atomic rename); a writer destroyed without Close leaves nothing.
class TableWriter {
 public:
  virtual ~TableWriter() = default;
  /// Appends `batch`, whose field names and types must equal the writer's schema.
  virtual Status Write(const Table& batch) = 0;
  virtual Status Close() = 0;
};

/// Opens `path` for streaming reads in the format given by options or the extension.
Result<std::unique_ptr<TableReader>> OpenTableReader(const std::string& path,
                                                     const ReadOptions& options = {});
/// Creates `path` for writing `schema` in the format given by options or the extension.
Result<std::unique_ptr<TableWriter>> OpenTableWriter(const std::string& path, const Schema& schema,
                                                     const WriteOptions& options = {});
/// Reads a whole file into memory.
Result<Table> ReadTable(const std::string& path, const ReadOptions& options = {});
/// Writes a whole table.
Status WriteTable(const std::string& path, const Table& table, const WriteOptions& options = {});

}  // namespace cairn::table
