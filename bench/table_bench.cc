// table_bench: times cairn's table readers and writers for the side-by-side comparison with
// DuckDB driven by bench/duckdb_bench.js.
//
//   table_bench read FILE [--threads N] [--repeat R]
//       Reads FILE fully into one in-memory Table, R times.
//   table_bench write SOURCE OUT.parquet [--threads N] [--repeat R]
//                     [--compression none|snappy|zstd]
//       Reads SOURCE into memory once (untimed), then writes it to OUT.parquet R times.
//
// Prints one JSON object per command on stdout:
//   {"op":"read","file":"...","threads":2,"rows":10000000,"schema":"id:int64,...",
//    "seconds":[1.23,1.20,1.21]}
// Exit status 0 on success, 1 when reading or writing fails, 2 on a usage error.

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "table/io.h"
#include "table/table.h"

namespace cairn::bench {
namespace {

using table::Compression;
using table::ReadOptions;
using table::Table;
using table::WriteOptions;

/// Parsed command line of table_bench.
struct Args {
  std::string op;
  std::vector<std::string> paths;
  int threads = 1;
  int repeat = 3;
  Compression compression = Compression::kSnappy;
};

int Usage(const char* error) {
  std::fprintf(stderr,
               "table_bench: %s\n"
               "usage: table_bench read FILE [--threads N] [--repeat R]\n"
               "       table_bench write SOURCE OUT.parquet [--threads N] [--repeat R] "
               "[--compression none|snappy|zstd]\n",
               error);
  return 2;
}

bool ParseInt(std::string_view text, int* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && *out > 0;
}

// Returns an empty string on success, else the usage error.
std::string ParseArgs(int argc, char** argv, Args* args) {
  if (argc < 2) return "missing command";
  args->op = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.starts_with("--")) {
      if (i + 1 >= argc) return std::string(a) + " needs a value";
      std::string_view v = argv[++i];
      if (a == "--threads") {
        if (!ParseInt(v, &args->threads)) return "bad --threads";
      } else if (a == "--repeat") {
        if (!ParseInt(v, &args->repeat)) return "bad --repeat";
      } else if (a == "--compression") {
        if (v == "none") {
          args->compression = Compression::kUncompressed;
        } else if (v == "snappy") {
          args->compression = Compression::kSnappy;
        } else if (v == "zstd") {
          args->compression = Compression::kZstd;
        } else {
          return "bad --compression";
        }
      } else {
        return "unknown flag " + std::string(a);
      }
    } else {
      args->paths.emplace_back(a);
    }
  }
  if (args->op == "read" && args->paths.size() != 1) return "read takes one FILE";
  if (args->op == "write" && args->paths.size() != 2) return "write takes SOURCE and OUT";
  if (args->op != "read" && args->op != "write") return "unknown command " + args->op;
  return "";
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void PrintResult(const Args& args, const std::string& file, const Table& table,
                 const std::vector<double>& seconds) {
  std::string schema;
  for (const table::Field& field : table.schema().fields()) {
    if (!schema.empty()) schema += ',';
    schema += field.name + ':' + field.type.ToString();
  }
  std::string times;
  for (double s : seconds) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%s%.6f", times.empty() ? "" : ",", s);
    times += buf;
  }
  // Paths and column names are printed as they are: the driver passes plain ASCII paths and
  // generates the column names itself.
  std::printf(
      "{\"op\":\"%s\",\"file\":\"%s\",\"threads\":%d,\"rows\":%lld,\"schema\":\"%s\","
      "\"seconds\":[%s]}\n",
      args.op.c_str(), file.c_str(), args.threads, static_cast<long long>(table.num_rows()),
      schema.c_str(), times.c_str());
}

int Fail(const Status& status) {
  std::fprintf(stderr, "table_bench: %s\n", status.ToString().c_str());
  return 1;
}

int Run(const Args& args) {
  ReadOptions read_options;
  read_options.num_threads = args.threads;
  if (args.op == "read") {
    std::vector<double> seconds;
    Table last;
    for (int r = 0; r < args.repeat; ++r) {
      last = Table();  // free the previous copy before timing the next read
      auto start = std::chrono::steady_clock::now();
      Result<Table> table = table::ReadTable(args.paths[0], read_options);
      if (!table.ok()) return Fail(table.status());
      seconds.push_back(SecondsSince(start));
      last = std::move(*table);
    }
    PrintResult(args, args.paths[0], last, seconds);
    return 0;
  }
  Result<Table> table = table::ReadTable(args.paths[0], read_options);
  if (!table.ok()) return Fail(table.status());
  WriteOptions write_options;
  write_options.num_threads = args.threads;
  write_options.parquet.compression = args.compression;
  std::vector<double> seconds;
  for (int r = 0; r < args.repeat; ++r) {
    auto start = std::chrono::steady_clock::now();
    Status status = table::WriteTable(args.paths[1], *table, write_options);
    if (!status.ok()) return Fail(status);
    seconds.push_back(SecondsSince(start));
  }
  PrintResult(args, args.paths[1], *table, seconds);
  return 0;
}

}  // namespace
}  // namespace cairn::bench

int main(int argc, char** argv) {
  cairn::bench::Args args;
  std::string error = cairn::bench::ParseArgs(argc, argv, &args);
  if (!error.empty()) return cairn::bench::Usage(error.c_str());
  return cairn::bench::Run(args);
}
