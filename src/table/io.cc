#include "table/io.h"

#include <algorithm>
#include <cctype>

#include "base/file.h"
#include "table/csv.h"
#include "table/jsonl.h"
#include "table/parquet.h"

namespace cairn::table {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string_view FileFormatName(FileFormat f) {
  switch (f) {
    case FileFormat::kCsv:
      return "csv";
    case FileFormat::kJsonl:
      return "jsonl";
    case FileFormat::kParquet:
      return "parquet";
  }
  return "?";
}

Result<FileFormat> ParseFileFormat(std::string_view name) {
  std::string n = Lower(name);
  if (n == "csv" || n == "tsv") return FileFormat::kCsv;
  if (n == "jsonl" || n == "ndjson" || n == "json") return FileFormat::kJsonl;
  if (n == "parquet" || n == "pq") return FileFormat::kParquet;
  return Status::InvalidArgument("unknown format '" + std::string(name) +
                                 "' (expected csv, jsonl or parquet)");
}

Result<FileFormat> FileFormatFromPath(std::string_view path) {
  std::string p = Lower(path);
  if (EndsWith(p, ".csv") || EndsWith(p, ".tsv") || EndsWith(p, ".txt")) return FileFormat::kCsv;
  if (EndsWith(p, ".jsonl") || EndsWith(p, ".ndjson") || EndsWith(p, ".json")) {
    return FileFormat::kJsonl;
  }
  if (EndsWith(p, ".parquet") || EndsWith(p, ".pq")) return FileFormat::kParquet;
  return Status::InvalidArgument(std::string(path) +
                                 ": cannot tell the format from the extension (use .csv, "
                                 ".jsonl or .parquet, or name the format explicitly)");
}

Result<std::unique_ptr<TableReader>> OpenTableReader(const std::string& path,
                                                     const ReadOptions& options) {
  FileFormat format;
  if (options.format) {
    format = *options.format;
  } else {
    CAIRN_ASSIGN_OR_RETURN(format, FileFormatFromPath(path));
  }
  switch (format) {
    case FileFormat::kCsv: {
      CAIRN_ASSIGN_OR_RETURN(auto file, OpenSequentialFile(path));
      if (EndsWith(Lower(path), ".tsv") && options.csv.delimiter == ',') {
        ReadOptions copy = options;
        copy.csv.delimiter = '\t';
        return OpenCsvReader(std::move(file), copy);
      }
      return OpenCsvReader(std::move(file), options);
    }
    case FileFormat::kJsonl: {
      CAIRN_ASSIGN_OR_RETURN(auto file, OpenSequentialFile(path));
      return OpenJsonlReader(std::move(file), options);
    }
    case FileFormat::kParquet: {
      CAIRN_ASSIGN_OR_RETURN(auto file, OpenRandomAccessFile(path));
      return OpenParquetReader(std::move(file), options);
    }
  }
  return Status::Internal("unhandled format");
}

Result<std::unique_ptr<TableWriter>> OpenTableWriter(const std::string& path, const Schema& schema,
                                                     const WriteOptions& options) {
  FileFormat format;
  if (options.format) {
    format = *options.format;
  } else {
    CAIRN_ASSIGN_OR_RETURN(format, FileFormatFromPath(path));
  }
  CAIRN_ASSIGN_OR_RETURN(auto file, OpenWritableFile(path, /*atomic=*/true));
  switch (format) {
    case FileFormat::kCsv:
      if (EndsWith(Lower(path), ".tsv") && options.csv.delimiter == ',') {
        WriteOptions copy = options;
        copy.csv.delimiter = '\t';
        return OpenCsvWriter(std::move(file), schema, copy);
      }
      return OpenCsvWriter(std::move(file), schema, options);
    case FileFormat::kJsonl:
      return OpenJsonlWriter(std::move(file), schema, options);
    case FileFormat::kParquet:
      return OpenParquetWriter(std::move(file), schema, options);
  }
  return Status::Internal("unhandled format");
}

Result<Table> ReadTable(const std::string& path, const ReadOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(auto reader, OpenTableReader(path, options));
  return reader->ReadAll();
}

Status WriteTable(const std::string& path, const Table& table, const WriteOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(auto writer, OpenTableWriter(path, table.schema(), options));
  CAIRN_RETURN_IF_ERROR(writer->Write(table));
  return writer->Close();
}

}  // namespace cairn::table
