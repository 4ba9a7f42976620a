// `cairn table ...`: inspect and convert table files (CSV, JSON Lines, Parquet).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/progress.h"
#include "base/time.h"
#include "cli/command.h"
#include "cli/output.h"
#include "table/filtered_reader.h"
#include "table/io.h"
#include "table/stats.h"

namespace cairn::cli {
namespace {

using table::DataType;
using table::FileFormat;
using table::Predicate;
using table::Table;
using table::TableReader;

std::vector<FlagSpec> ReadFlags() {
  return {
      {"format", 0, true, false, "FMT",
       "input format: csv, jsonl or parquet (default: by extension)"},
      {"delimiter", 0, true, false, "C",
       "CSV field delimiter; \\t for tab (default , or tab for .tsv)"},
      {"no-header", 0, false, false, "", "CSV has no header row (columns are named c0, c1, ...)"},
      {"null", 0, true, true, "TOKEN",
       "CSV text read as null; replaces the defaults (empty, NULL, null, NA, N/A)"},
      {"type", 0, true, true, "COL=TYPE",
       "column type instead of inferring it: int64, float64, bool, string, timestamp[ms|us|ns]"},
      {"infer-rows", 0, true, false, "N", "rows sampled to infer CSV/JSONL types (default 20000)"},
      {"columns", 0, true, false, "A,B,C", "read only these columns, in this order"},
      {"where", 0, true, true, "FILTER",
       "keep rows where 'column op value' holds; op is one of = != < <= > >="},
      {"threads", 0, true, false, "N", "threads to use (default 0: one per core)"},
      {"batch-rows", 0, true, false, "N", "rows per batch (default 65536)"},
  };
}

std::vector<FlagSpec> WriteFlags() {
  return {
      {"to", 0, true, false, "FMT", "output format: csv, jsonl or parquet (default: by extension)"},
      {"compression", 0, true, false, "CODEC",
       "Parquet codec: none, snappy or zstd (default snappy)"},
      {"zstd-level", 0, true, false, "N", "Parquet zstd level, 1 to 22 (default 3)"},
      {"row-group-rows", 0, true, false, "N", "Parquet rows per row group (default 1048576)"},
      {"page-bytes", 0, true, false, "N", "Parquet target page size in bytes (default 1048576)"},
      {"no-dictionary", 0, false, false, "", "Parquet: no dictionary encoding"},
      {"page-v2", 0, false, false, "", "Parquet: write data pages v2"},
      {"no-stats", 0, false, false, "", "Parquet: no column statistics"},
      {"out-delimiter", 0, true, false, "C", "CSV output delimiter; \\t for tab (default ,)"},
      {"out-null", 0, true, false, "TOKEN", "CSV text written for null (default: empty cell)"},
      {"flat-json", 0, false, false, "", "JSONL: keep dotted names flat, do not nest them"},
  };
}

template <typename T>
std::vector<T> Concat(std::vector<T> a, const std::vector<T>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// What to read and how, from the common read flags.
struct ReadRequest {
  std::string path;
  table::ReadOptions options;
  std::vector<std::string> columns;
  std::vector<Predicate> predicates;
};

// Errors are usage errors (kInvalidArgument with a message naming the flag).
Status ParseReadFlags(const ParsedArgs& args, ReadRequest* req) {
  table::ReadOptions& o = req->options;
  if (auto v = args.Get("format")) {
    CAIRN_ASSIGN_OR_RETURN(FileFormat f, table::ParseFileFormat(*v));
    o.format = f;
  }
  if (auto v = args.Get("delimiter")) {
    CAIRN_ASSIGN_OR_RETURN(o.csv.delimiter, ParseCharFlag("delimiter", *v));
  }
  if (args.Has("no-header")) o.csv.header = false;
  if (args.Has("null")) o.csv.null_tokens = args.GetAll("null");
  for (const std::string& spec : args.GetAll("type")) {
    size_t eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--type: expected COL=TYPE, got '" + spec + "'");
    }
    auto type = table::ParseDataType(spec.substr(eq + 1));
    if (!type.ok()) return type.status().WithPrefix("--type " + spec);
    o.csv.column_types[spec.substr(0, eq)] = *type;
    o.jsonl.column_types[spec.substr(0, eq)] = *type;
  }
  if (auto v = args.Get("infer-rows")) {
    CAIRN_ASSIGN_OR_RETURN(int64_t n, ParseIntFlag("infer-rows", *v, 1, INT64_MAX));
    o.csv.infer_rows = n;
    o.jsonl.infer_rows = n;
  }
  if (auto v = args.Get("columns")) {
    CAIRN_ASSIGN_OR_RETURN(req->columns, SplitList("columns", *v));
  }
  for (const std::string& text : args.GetAll("where")) {
    auto pred = table::ParsePredicate(text);
    if (!pred.ok()) return pred.status().WithPrefix("--where");
    req->predicates.push_back(std::move(*pred));
  }
  if (auto v = args.Get("threads")) {
    CAIRN_ASSIGN_OR_RETURN(int64_t n, ParseIntFlag("threads", *v, 0, 1024));
    o.num_threads = static_cast<int>(n);
  }
  if (auto v = args.Get("batch-rows")) {
    CAIRN_ASSIGN_OR_RETURN(o.batch_rows, ParseIntFlag("batch-rows", *v, 1, int64_t{1} << 30));
  }
  return Status::Ok();
}

Status ParseWriteFlags(const ParsedArgs& args, table::WriteOptions* o) {
  if (auto v = args.Get("to")) {
    CAIRN_ASSIGN_OR_RETURN(FileFormat f, table::ParseFileFormat(*v));
    o->format = f;
  }
  if (auto v = args.Get("compression")) {
    if (*v == "none" || *v == "uncompressed") {
      o->parquet.compression = table::Compression::kUncompressed;
    } else if (*v == "snappy") {
      o->parquet.compression = table::Compression::kSnappy;
    } else if (*v == "zstd") {
      o->parquet.compression = table::Compression::kZstd;
    } else {
      return Status::InvalidArgument("--compression: expected none, snappy or zstd, got '" + *v +
                                     "'");
    }
  }
  if (auto v = args.Get("zstd-level")) {
    CAIRN_ASSIGN_OR_RETURN(int64_t n, ParseIntFlag("zstd-level", *v, 1, 22));
    o->parquet.zstd_level = static_cast<int>(n);
  }
  if (auto v = args.Get("row-group-rows")) {
    CAIRN_ASSIGN_OR_RETURN(o->parquet.row_group_rows,
                           ParseIntFlag("row-group-rows", *v, 1, int64_t{1} << 40));
  }
  if (auto v = args.Get("page-bytes")) {
    CAIRN_ASSIGN_OR_RETURN(o->parquet.page_bytes,
                           ParseIntFlag("page-bytes", *v, 1, int64_t{1} << 30));
  }
  if (args.Has("no-dictionary")) o->parquet.dictionary = false;
  if (args.Has("page-v2")) o->parquet.data_page_v2 = true;
  if (args.Has("no-stats")) o->parquet.statistics = false;
  if (auto v = args.Get("out-delimiter")) {
    CAIRN_ASSIGN_OR_RETURN(o->csv.delimiter, ParseCharFlag("out-delimiter", *v));
  }
  if (auto v = args.Get("out-null")) o->csv.null_token = *v;
  if (args.Has("flat-json")) o->jsonl.nest_dotted = false;
  return Status::Ok();
}

// Parses the read flags and the single FILE argument; returns an exit code or -1 to go on.
int PrepareRead(const Invocation& inv, size_t positionals, ReadRequest* req) {
  const auto& pos = inv.args.positionals();
  if (pos.size() < positionals) {
    return inv.UsageError("missing argument (expected " + std::string(inv.command->arguments) +
                          ")");
  }
  if (pos.size() > positionals) return inv.UsageError("unexpected argument '" + pos.back() + "'");
  req->path = pos[0];
  Status s = ParseReadFlags(inv.args, req);
  if (!s.ok()) return inv.UsageError(s.message());
  return -1;
}

Result<std::unique_ptr<TableReader>> Open(const ReadRequest& req) {
  return table::OpenTableReaderWithFilter(req.path, req.options, req.columns, req.predicates);
}

std::string FormatName(const ReadRequest& req) {
  if (req.options.format) return std::string(table::FileFormatName(*req.options.format));
  auto f = table::FileFormatFromPath(req.path);
  return f.ok() ? std::string(table::FileFormatName(*f)) : "";
}

// ---- schema ----

int RunSchema(const Invocation& inv) {
  ReadRequest req;
  if (int code = PrepareRead(inv, 1, &req); code >= 0) return code;
  auto reader = Open(req);
  if (!reader.ok()) return inv.Fail(reader.status());
  const table::Schema& schema = (*reader)->schema();
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("file");
    j.String(req.path);
    j.Key("format");
    j.String(FormatName(req));
    j.Key("columns");
    j.BeginArray();
    for (const table::Field& f : schema.fields()) {
      j.BeginObject();
      j.Key("name");
      j.String(f.name);
      j.Key("type");
      j.String(f.type.ToString());
      j.Key("nullable");
      j.Bool(f.nullable);
      j.EndObject();
    }
    j.EndArray();
    j.EndObject();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const table::Field& f : schema.fields()) {
    rows.push_back({DisplayCell(f.name), f.type.ToString(), f.nullable ? "yes" : "no"});
  }
  Write(inv.out, FormatTextTable({"column", "type", "nullable"}, rows));
  return kExitOk;
}

// ---- head ----

int RunHead(const Invocation& inv) {
  ReadRequest req;
  if (int code = PrepareRead(inv, 1, &req); code >= 0) return code;
  int64_t limit = 10;
  if (auto v = inv.args.Get("rows")) {
    auto n = ParseIntFlag("rows", *v, 0, int64_t{1} << 40);
    if (!n.ok()) return inv.UsageError(n.status().message());
    limit = *n;
  }
  // Small batches, so that only about `limit` rows are decoded.
  if (!inv.args.Has("batch-rows")) req.options.batch_rows = std::max<int64_t>(limit, 1);
  auto reader = Open(req);
  if (!reader.ok()) return inv.Fail(reader.status());
  Table rows((*reader)->schema());
  Table batch;
  while (rows.num_rows() < limit) {
    auto more = (*reader)->Next(&batch);
    if (!more.ok()) return inv.Fail(more.status());
    if (!*more) break;
    Status s = rows.Append(batch.Slice(0, limit - rows.num_rows()));
    if (!s.ok()) return inv.Fail(s);
  }
  const table::Schema& schema = rows.schema();
  if (inv.json) {
    JsonWriter j;
    j.BeginArray();
    for (int64_t r = 0; r < rows.num_rows(); ++r) {
      j.BeginObject();
      for (int c = 0; c < rows.num_columns(); ++c) {
        j.Key(schema.field(c).name);
        j.ColumnValue(rows.column(c), r);
      }
      j.EndObject();
    }
    j.EndArray();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  std::vector<std::string> header;
  for (const table::Field& f : schema.fields()) header.push_back(DisplayCell(f.name));
  std::vector<std::vector<std::string>> cells(static_cast<size_t>(rows.num_rows()));
  for (int64_t r = 0; r < rows.num_rows(); ++r) {
    for (int c = 0; c < rows.num_columns(); ++c) {
      cells[static_cast<size_t>(r)].push_back(DisplayCell(rows.column(c).Format(r, "NULL")));
    }
  }
  Write(inv.out, FormatTextTable(header, cells));
  return kExitOk;
}

// ---- stats ----

// Six significant digits: enough to read, exact values are in --json.
std::string Short(double v) {
  if (!std::isfinite(v)) return table::FormatDouble(v);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

std::string ScalarText(const table::Scalar& s) {
  if (s.is_null) return "";
  if (s.type.kind == table::TypeKind::kString) return DisplayCell(s.string_value, 32);
  if (s.type.kind == table::TypeKind::kFloat64) return Short(s.double_value);
  return s.ToString();
}

int RunStats(const Invocation& inv) {
  ReadRequest req;
  if (int code = PrepareRead(inv, 1, &req); code >= 0) return code;
  auto reader = Open(req);
  if (!reader.ok()) return inv.Fail(reader.status());
  table::TableStats stats((*reader)->schema());
  Progress progress("stats " + req.path, 0, "rows");
  Table batch;
  for (;;) {
    auto more = (*reader)->Next(&batch);
    if (!more.ok()) return inv.Fail(more.status());
    if (!*more) break;
    Status s = stats.Add(batch);
    if (!s.ok()) return inv.Fail(s);
    progress.Add(batch.num_rows());
  }
  progress.Finish();
  const table::Schema& schema = stats.schema();
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("file");
    j.String(req.path);
    j.Key("rows");
    j.Int(stats.num_rows());
    j.Key("columns");
    j.BeginArray();
    for (int c = 0; c < schema.num_fields(); ++c) {
      const table::ColumnStats& cs = stats.column(c);
      j.BeginObject();
      j.Key("name");
      j.String(schema.field(c).name);
      j.Key("type");
      j.String(schema.field(c).type.ToString());
      j.Key("count");
      j.Int(cs.count());
      j.Key("nulls");
      j.Int(cs.null_count());
      j.Key("distinct_estimate");
      j.Int(cs.DistinctEstimate());
      j.Key("min");
      j.ScalarValue(cs.min());
      j.Key("max");
      j.ScalarValue(cs.max());
      j.Key("mean");
      if (auto m = cs.mean()) {
        j.Double(*m);
      } else {
        j.Null();
      }
      j.EndObject();
    }
    j.EndArray();
    j.EndObject();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (int c = 0; c < schema.num_fields(); ++c) {
    const table::ColumnStats& cs = stats.column(c);
    auto mean = cs.mean();
    rows.push_back({DisplayCell(schema.field(c).name), schema.field(c).type.ToString(),
                    std::to_string(cs.count()), std::to_string(cs.null_count()),
                    std::to_string(cs.DistinctEstimate()), ScalarText(cs.min()),
                    ScalarText(cs.max()), mean ? Short(*mean) : ""});
  }
  Write(inv.out,
        FormatTextTable({"column", "type", "count", "nulls", "distinct~", "min", "max", "mean"},
                        rows));
  return kExitOk;
}

// ---- convert ----

int RunConvert(const Invocation& inv) {
  ReadRequest req;
  if (int code = PrepareRead(inv, 2, &req); code >= 0) return code;
  const std::string out_path = inv.args.positionals()[1];
  table::WriteOptions write_options;
  Status parsed = ParseWriteFlags(inv.args, &write_options);
  if (!parsed.ok()) return inv.UsageError(parsed.message());
  write_options.num_threads = req.options.num_threads;
  if (out_path == "-" && !write_options.format) {
    return inv.UsageError("writing to standard output needs --to FMT");
  }
  auto out_format = write_options.format ? Result<FileFormat>(*write_options.format)
                                         : table::FileFormatFromPath(out_path);
  if (!out_format.ok()) return inv.UsageError(out_format.status().message());
  write_options.format = *out_format;

  const int64_t start = NowMicros();
  auto reader = Open(req);
  if (!reader.ok()) return inv.Fail(reader.status());
  auto writer = table::OpenTableWriter(out_path, (*reader)->schema(), write_options);
  if (!writer.ok()) return inv.Fail(writer.status());
  Progress progress("convert " + req.path, 0, "rows");
  int64_t rows = 0;
  Table batch;
  for (;;) {
    auto more = (*reader)->Next(&batch);
    if (!more.ok()) return inv.Fail(more.status());
    if (!*more) break;
    Status s = (*writer)->Write(batch);
    if (!s.ok()) return inv.Fail(s);
    rows += batch.num_rows();
    progress.Add(batch.num_rows());
  }
  Status closed = (*writer)->Close();
  if (!closed.ok()) return inv.Fail(closed);
  progress.Finish();
  const double seconds = static_cast<double>(NowMicros() - start) / 1e6;
  // With the table itself on standard output, the summary goes to standard error.
  std::FILE* summary = out_path == "-" ? inv.err : inv.out;
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("input");
    j.String(req.path);
    j.Key("input_format");
    j.String(FormatName(req));
    j.Key("output");
    j.String(out_path);
    j.Key("output_format");
    j.String(table::FileFormatName(*out_format));
    j.Key("rows");
    j.Int(rows);
    j.Key("seconds");
    j.Double(seconds);
    j.EndObject();
    Write(summary, j.str() + "\n");
    return kExitOk;
  }
  char secs[32];
  std::snprintf(secs, sizeof(secs), "%.3f", seconds);
  Write(summary, "converted " + std::to_string(rows) + " rows from " + req.path + " (" +
                     FormatName(req) + ") to " + out_path + " (" +
                     std::string(table::FileFormatName(*out_format)) + ") in " + secs + " s\n");
  return kExitOk;
}

}  // namespace

std::vector<Command> TableCommands() {
  std::vector<Command> commands;
  commands.push_back({"table", "schema", "print the columns of a table file and their types",
                      "FILE",
                      "Prints one line per column: name, type and whether it may hold nulls. "
                      "For CSV and JSON Lines the types are inferred from the first rows "
                      "(--infer-rows) unless given with --type.",
                      ReadFlags(), RunSchema});
  commands.push_back(
      {"table", "head", "print the first rows of a table file", "FILE",
       "Reads only as much of the file as the rows shown need. Nulls print as "
       "NULL; long cells are cut.",
       Concat<FlagSpec>({{"rows", 'n', true, false, "N", "rows to show (default 10)"}},
                        ReadFlags()),
       RunHead});
  commands.push_back({"table", "stats", "print per-column statistics of a table file", "FILE",
                      "Streams the whole file once and prints, per column: rows, nulls, an "
                      "estimate of the distinct values (HyperLogLog, about 1.6% standard "
                      "error), minimum, maximum and, for numbers, the mean.",
                      ReadFlags(), RunStats});
  commands.push_back({"table", "convert", "convert a table file to another format", "IN OUT",
                      "Streams IN to OUT batch by batch, so memory stays bounded. OUT appears "
                      "only when complete (written to a temporary name, then renamed). "
                      "--columns and --where select what is written. OUT may be - (standard "
                      "output) with --to.",
                      Concat(ReadFlags(), WriteFlags()), RunConvert});
  return commands;
}

}  // namespace cairn::cli
