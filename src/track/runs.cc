#include "track/runs.h"

#include <openssl/crypto.h>
#include <simdjson.h>
#include <sqlite3.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <span>
#include <unordered_map>

#include "base/hash.h"
#include "base/json.h"
#include "base/time.h"
#include "catalog/catalog.h"
#include "data/filter_expr.h"
#include "data/snapshots.h"
#include "track/metric_chunks.h"

extern char** environ;  // NOLINT(readability-identifier-naming): POSIX

namespace cairn::track {
namespace {

using catalog::Connection;
using catalog::QueryResult;
using catalog::Row;
using catalog::Value;

std::string RandomRunId() {
  std::random_device device;
  std::string id;
  constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 4; ++i) {
    const auto word = static_cast<uint32_t>(device());
    for (int shift = 28; shift >= 0; shift -= 4) id += kHex[(word >> shift) & 0xf];
  }
  return id;
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

bool ProcessExists(int64_t pid) {
  if (pid <= 0) return true;  // no process is watched
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// Runs `command` through the shell and returns its standard output, or nullopt when it
// cannot be started or exits non-zero.
std::optional<std::string> CommandOutput(const std::string& command) {
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  if (pclose(pipe) != 0) return std::nullopt;
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t b = 0;
  while (b < s.size() && (s[b] == ' ' || s[b] == '\t')) ++b;
  return s.substr(b);
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// "postgresql://user:secret@host/db" -> "postgresql://user:***@host/db".
std::string MaskPassword(const std::string& value) {
  const size_t scheme = value.find("://");
  if (scheme == std::string::npos) return value;
  const size_t at = value.find('@', scheme + 3);
  const size_t slash = value.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return value;
  const size_t colon = value.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return value;
  return value.substr(0, colon + 1) + "***" + value.substr(at);
}

std::string EnvironmentJson(const std::vector<KeyValue>& env) {
  std::string out = "{";
  for (size_t i = 0; i < env.size(); ++i) {
    if (i > 0) out += ",";
    AppendJsonString(env[i].first, &out);
    out += ":";
    AppendJsonString(env[i].second, &out);
  }
  return out + "}";
}

// Reads back what EnvironmentJson wrote; a damaged value gives one entry saying so.
std::vector<KeyValue> ParseEnvironmentJson(const std::string& text) {
  std::vector<KeyValue> env;
  simdjson::padded_string padded(text);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(object) != simdjson::SUCCESS) {
    return {{"error", "unreadable environment"}};
  }
  for (auto field : object) {
    std::string_view key;
    std::string_view value;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS ||
        field.value().get_string().get(value) != simdjson::SUCCESS) {
      return {{"error", "unreadable environment"}};
    }
    env.emplace_back(std::string(key), std::string(value));
  }
  return env;
}

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-' || c == '/';
}

Status CheckKey(std::string_view what, std::string_view key) {
  bool ok = !key.empty() && key.size() <= 128 &&
            ((key[0] >= 'a' && key[0] <= 'z') || (key[0] >= 'A' && key[0] <= 'Z') || key[0] == '_');
  for (char c : key) ok = ok && IsKeyChar(c);
  if (!ok) {
    return Status::InvalidArgument(std::string(what) + " key '" + std::string(key) +
                                   "': expected 1 to 128 characters of [A-Za-z0-9_.-/] starting "
                                   "with a letter or '_'");
  }
  return Status::Ok();
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

constexpr std::string_view kRunColumns =
    "id, name, status, snapshot_id, created_at, ended_at, exit_code, host, pid, environment";

RunInfo RunFromRow(const Row& row) {
  RunInfo r;
  r.id = row[0].bytes();
  r.name = row[1].bytes();
  r.status = ParseRunStatus(row[2].bytes()).value_or(RunStatus::kFailed);
  if (!row[3].is_null()) r.snapshot_id = row[3].bytes();
  r.created_at = row[4].int64();
  if (!row[5].is_null()) r.ended_at = row[5].int64();
  if (!row[6].is_null()) r.exit_code = row[6].int64();
  r.host = row[7].bytes();
  r.pid = row[8].int64();
  r.environment = ParseEnvironmentJson(row[9].bytes());
  return r;
}

// Marks failed every run still running on this host whose process is gone.
Status MarkStaleRuns(Connection& conn) {
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult running,
      conn.Query("SELECT id, pid FROM runs WHERE status = 'running' AND host = ?",
                 {Value::Text(HostName())}));
  for (const Row& row : running.rows) {
    if (ProcessExists(row[1].int64())) continue;
    CAIRN_RETURN_IF_ERROR(conn.Execute("UPDATE runs SET status = 'failed', ended_at = ? "
                                       "WHERE id = ? AND status = 'running'",
                                       {Value::Int64(NowMicros()), row[0]})
                              .status());
  }
  return Status::Ok();
}

Status InsertParams(Connection& c, const std::string& run_id, const std::vector<KeyValue>& params) {
  std::map<std::string, std::string> wanted;
  for (const auto& [key, value] : params) {
    CAIRN_RETURN_IF_ERROR(CheckKey("param", key));
    auto [it, inserted] = wanted.emplace(key, value);
    if (!inserted && it->second != value) {
      std::string msg = "param '" + key;
      msg += "' given twice, as '" + it->second;
      msg += "' and '" + value + "'";
      return Status::InvalidArgument(std::move(msg));
    }
  }
  for (const auto& [key, value] : wanted) {
    CAIRN_ASSIGN_OR_RETURN(QueryResult existing,
                           c.Query("SELECT value FROM run_params WHERE run_id = ? AND key = ?",
                                   {Value::Text(run_id), Value::Text(key)}));
    if (!existing.rows.empty()) {
      if (existing.rows[0][0].bytes() == value) continue;
      std::string msg = "run " + run_id.substr(0, 12);
      msg += ": param '" + key;
      msg += "' is already '" + existing.rows[0][0].bytes();
      msg += "'; params cannot change (got '" + value + "')";
      return Status::InvalidArgument(std::move(msg));
    }
    const std::string_view type = InferParamType(value);
    // The number is read as ListRuns' in-memory columns read it (strtod of the text).
    CAIRN_RETURN_IF_ERROR(
        c.Execute(
             "INSERT INTO run_params (run_id, key, value, type, number) VALUES (?, ?, ?, ?, ?)",
             {Value::Text(run_id), Value::Text(key), Value::Text(value),
              Value::Text(std::string(type)),
              type == "string" ? Value::Null()
                               : Value::Double(std::strtod(value.c_str(), nullptr))})
            .status());
  }
  return Status::Ok();
}

// The most points one chunk holds (1 MiB packed): a larger series of a batch is split into
// several chunks, which keeps every row well under the value size limits of both databases.
constexpr size_t kMaxPointsPerChunk = 65536;

// Serializes the chunk writers of one run on PostgreSQL (two batches must not pick the same
// next seq); SQLite's write transaction already does.
int64_t RunMetricsLockKey(const std::string& id) {
  return static_cast<int64_t>(Xxh3("cairn run metrics " + id) >> 1);
}

// Rows per multi-row statement of LogMetrics, well under the parameter limits of SQLite
// (32766) and PostgreSQL (65535); a chunk INSERT also stops at kBytesPerInsert of points.
constexpr size_t kRowsPerStatement = 256;
constexpr size_t kBytesPerInsert = size_t{8} << 20;

// "(?, ?, ...), (?, ?, ...)": `rows` groups of `columns` placeholders.
std::string Placeholders(size_t rows, size_t columns) {
  std::string group = "(?";
  for (size_t i = 1; i < columns; ++i) group += ", ?";
  group += ")";
  std::string out;
  out.reserve(rows * (group.size() + 2));
  for (size_t i = 0; i < rows; ++i) {
    if (i > 0) out += ", ";
    out += group;
  }
  return out;
}

// The points of one key of a batch: indices into the batch, sorted by step (ties in logging
// order).
struct SeriesPoints {
  const std::string* key = nullptr;
  std::span<const uint32_t> order;
};

// Writes `series` (each one key of the batch `points`, logged at `now`) of run `id`: each
// series as chunks of at most kMaxPointsPerChunk points numbered after its last one, then each
// series' latest point (the last in step order: the highest step, the later logged on ties)
// moved into run_latest_metrics unless the stored one is later (a higher step, or the same
// step logged later). A few multi-row statements whatever the number of keys, so that small
// batches cost few round trips.
Status WriteSeries(Connection& c, const std::string& id, const std::vector<MetricPoint>& points,
                   const std::vector<SeriesPoints>& series, int64_t now) {
  // The last seq of every series: one scalar MAX per key, which both databases answer from
  // the primary key index (a GROUP BY over the keys would read every chunk of the run).
  std::vector<int64_t> last_seq(series.size(), 0);
  for (size_t begin = 0; begin < series.size(); begin += kRowsPerStatement) {
    const size_t end = std::min(series.size(), begin + kRowsPerStatement);
    std::string sql = "SELECT ";
    std::vector<Value> args;
    for (size_t i = begin; i < end; ++i) {
      if (i > begin) sql += ", ";
      sql += "(SELECT MAX(seq) FROM run_metric_chunks WHERE run_id = ? AND key = ?)";
      args.push_back(Value::Text(id));
      args.push_back(Value::Text(*series[i].key));
    }
    CAIRN_ASSIGN_OR_RETURN(QueryResult last, c.Query(sql, args));
    if (last.rows.size() != 1 || last.rows[0].size() != end - begin) {
      return Status::Internal("run " + id + ": the last chunk numbers did not come back");
    }
    for (size_t i = begin; i < end; ++i) last_seq[i] = last.rows[0][i - begin].int64();
  }
  // The chunks, several per INSERT.
  std::vector<Value> args;
  size_t rows = 0;
  size_t bytes = 0;
  auto flush = [&]() -> Status {
    if (rows == 0) return Status::Ok();
    CAIRN_RETURN_IF_ERROR(
        c.Execute("INSERT INTO run_metric_chunks (run_id, key, seq, first_step, last_step, count, "
                  "points, logged_at) VALUES " +
                      Placeholders(rows, 8),
                  args)
            .status());
    args.clear();
    rows = 0;
    bytes = 0;
    return Status::Ok();
  };
  for (size_t k = 0; k < series.size(); ++k) {
    const SeriesPoints& s = series[k];
    int64_t seq = last_seq[k];
    for (size_t begin = 0; begin < s.order.size(); begin += kMaxPointsPerChunk) {
      const size_t end = std::min(s.order.size(), begin + kMaxPointsPerChunk);
      std::string packed;
      packed.reserve((end - begin) * kPackedPointSize);
      for (size_t i = begin; i < end; ++i) {
        AppendPackedPoint(points[s.order[i]].step, points[s.order[i]].value, &packed);
      }
      bytes += packed.size();
      args.insert(args.end(), {Value::Text(id), Value::Text(*s.key), Value::Int64(++seq),
                               Value::Int64(points[s.order[begin]].step),
                               Value::Int64(points[s.order[end - 1]].step),
                               Value::Int64(static_cast<int64_t>(end - begin)),
                               Value::Blob(std::move(packed)), Value::Int64(now)});
      if (++rows == kRowsPerStatement || bytes >= kBytesPerInsert) CAIRN_RETURN_IF_ERROR(flush());
    }
  }
  CAIRN_RETURN_IF_ERROR(flush());
  // The latest points, several per upsert (one row per key, so no statement touches a row
  // twice).
  for (size_t begin = 0; begin < series.size(); begin += kRowsPerStatement) {
    const size_t end = std::min(series.size(), begin + kRowsPerStatement);
    args.clear();
    for (size_t i = begin; i < end; ++i) {
      const MetricPoint& p = points[series[i].order.back()];
      args.insert(args.end(), {Value::Text(id), Value::Text(p.key), Value::Int64(p.step),
                               Value::Double(p.value), Value::Int64(now)});
    }
    CAIRN_RETURN_IF_ERROR(
        c.Execute("INSERT INTO run_latest_metrics (run_id, key, step, value, logged_at) VALUES " +
                      Placeholders(end - begin, 5) +
                      " ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step, value = "
                      "excluded.value, logged_at = excluded.logged_at WHERE excluded.step > "
                      "run_latest_metrics.step OR (excluded.step = run_latest_metrics.step AND "
                      "excluded.logged_at >= run_latest_metrics.logged_at)",
                  args)
            .status());
  }
  return Status::Ok();
}

Status UpsertTags(Connection& c, const std::string& run_id, const std::vector<KeyValue>& tags) {
  for (const auto& [key, value] : tags) {
    CAIRN_RETURN_IF_ERROR(CheckKey("tag", key));
    CAIRN_RETURN_IF_ERROR(c.Execute("DELETE FROM run_tags WHERE run_id = ? AND key = ?",
                                    {Value::Text(run_id), Value::Text(key)})
                              .status());
    CAIRN_RETURN_IF_ERROR(c.Execute("INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)",
                                    {Value::Text(run_id), Value::Text(key), Value::Text(value)})
                              .status());
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// ListRuns

// One run's cells before the table is built.
struct RunRow {
  RunInfo info;
  std::map<std::string, std::string> params;
  std::map<std::string, double> metrics;
  std::map<std::string, std::string> tags;
};

table::Column StringColumn(const std::vector<RunRow>& rows,
                           const std::map<std::string, std::string> RunRow::*cells,
                           const std::string& key) {
  table::Column col(table::DataType::String());
  for (const RunRow& r : rows) {
    auto it = (r.*cells).find(key);
    if (it == (r.*cells).end()) {
      col.AppendNull();
    } else {
      col.AppendString(it->second);
    }
  }
  return col;
}

// The type of a param column: int64 when every value is an int64, float64 when every value is
// a number, else string.
std::string ParamColumnType(const std::vector<RunRow>& rows, const std::string& key) {
  bool all_int = true;
  bool all_number = true;
  for (const RunRow& r : rows) {
    auto it = r.params.find(key);
    if (it == r.params.end()) continue;
    const std::string_view type = InferParamType(it->second);
    all_int = all_int && type == "int64";
    all_number = all_number && type != "string";
  }
  if (!all_number) return "string";
  return all_int ? "int64" : "float64";
}

// A param column of `type` (see ParamColumnType).
table::Column ParamColumn(const std::vector<RunRow>& rows, const std::string& key,
                          const std::string& type) {
  if (type == "string") return StringColumn(rows, &RunRow::params, key);
  const bool all_int = type == "int64";
  table::Column col(all_int ? table::DataType::Int64() : table::DataType::Float64());
  for (const RunRow& r : rows) {
    auto it = r.params.find(key);
    if (it == r.params.end()) {
      col.AppendNull();
    } else if (all_int) {
      col.AppendInt(std::strtoll(it->second.c_str(), nullptr, 10));
    } else {
      col.AppendDouble(std::strtod(it->second.c_str(), nullptr));
    }
  }
  return col;
}

table::DataType ParamDataType(const std::string& type) {
  if (type == "int64") return table::DataType::Int64();
  if (type == "float64") return table::DataType::Float64();
  return table::DataType::String();
}

// The columns of the runs table besides the fixed ones: param keys with their column types,
// metric keys and tag keys, each sorted bytewise.
struct KeyColumns {
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::string> metrics;
  std::vector<std::string> tags;
};

// The schema of ListRuns' table.
table::Schema RunsSchema(const KeyColumns& keys) {
  table::Schema schema;
  schema.AddField({"id", table::DataType::String(), true});
  schema.AddField({"name", table::DataType::String(), true});
  schema.AddField({"status", table::DataType::String(), true});
  schema.AddField({"snapshot_id", table::DataType::String(), true});
  schema.AddField({"created_at", table::DataType::Timestamp(), true});
  schema.AddField({"ended_at", table::DataType::Timestamp(), true});
  for (const auto& [key, type] : keys.params) {
    schema.AddField({"params." + key, ParamDataType(type), true});
  }
  for (const std::string& key : keys.metrics) {
    schema.AddField({"metrics." + key, table::DataType::Float64(), true});
  }
  for (const std::string& key : keys.tags) {
    schema.AddField({"tags." + key, table::DataType::String(), true});
  }
  return schema;
}

// The table of ListRuns with one row per element of `rows`, in order.
Result<table::Table> BuildRunsTable(const std::vector<RunRow>& rows, const KeyColumns& keys) {
  std::vector<table::Column> columns;
  table::Column id(table::DataType::String());
  table::Column name(table::DataType::String());
  table::Column status(table::DataType::String());
  table::Column snapshot(table::DataType::String());
  table::Column created(table::DataType::Timestamp());
  table::Column ended(table::DataType::Timestamp());
  for (const RunRow& r : rows) {
    id.AppendString(r.info.id);
    name.AppendString(r.info.name);
    status.AppendString(RunStatusName(r.info.status));
    if (r.info.snapshot_id.empty()) {
      snapshot.AppendNull();
    } else {
      snapshot.AppendString(r.info.snapshot_id);
    }
    created.AppendInt(r.info.created_at);
    if (r.info.ended_at) {
      ended.AppendInt(*r.info.ended_at);
    } else {
      ended.AppendNull();
    }
  }
  columns.push_back(std::move(id));
  columns.push_back(std::move(name));
  columns.push_back(std::move(status));
  columns.push_back(std::move(snapshot));
  columns.push_back(std::move(created));
  columns.push_back(std::move(ended));
  for (const auto& [key, type] : keys.params) columns.push_back(ParamColumn(rows, key, type));
  for (const std::string& key : keys.metrics) {
    table::Column col(table::DataType::Float64());
    for (const RunRow& r : rows) {
      auto it = r.metrics.find(key);
      if (it == r.metrics.end()) {
        col.AppendNull();
      } else {
        col.AppendDouble(it->second);
      }
    }
    columns.push_back(std::move(col));
  }
  for (const std::string& key : keys.tags) {
    columns.push_back(StringColumn(rows, &RunRow::tags, key));
  }
  return table::Table::Make(RunsSchema(keys), std::move(columns));
}

// Compares row a and b of `col` (both valid).
int CompareCells(const table::Column& col, int64_t a, int64_t b) {
  switch (col.type().kind) {
    case table::TypeKind::kInt64:
    case table::TypeKind::kTimestamp:
      return col.Int(a) < col.Int(b) ? -1 : (col.Int(a) > col.Int(b) ? 1 : 0);
    case table::TypeKind::kFloat64:
      return col.Double(a) < col.Double(b) ? -1 : (col.Double(a) > col.Double(b) ? 1 : 0);
    case table::TypeKind::kBool:
      return static_cast<int>(col.Bool(a)) - static_cast<int>(col.Bool(b));
    case table::TypeKind::kString:
      return col.String(a).compare(col.String(b));
  }
  return 0;
}

Status UnknownSortColumn(const table::Schema& schema, const std::string& column) {
  std::string known;
  for (int i = 0; i < schema.num_fields(); ++i) {
    known += (i > 0 ? ", " : "") + schema.field(i).name;
  }
  return Status::NotFound("sort: unknown column '" + column + "'; known columns: " + known);
}

}  // namespace

std::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kFinished:
      return "finished";
    case RunStatus::kFailed:
      return "failed";
  }
  return "failed";
}

Result<RunStatus> ParseRunStatus(std::string_view text) {
  if (text == "running") return RunStatus::kRunning;
  if (text == "finished") return RunStatus::kFinished;
  if (text == "failed") return RunStatus::kFailed;
  return Status::InvalidArgument("run status must be running, finished or failed, got '" +
                                 std::string(text) + "'");
}

Result<KeyValue> ParseKeyValue(std::string_view what, std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos) {
    return Status::InvalidArgument(std::string(what) + " '" + std::string(text) +
                                   "': expected KEY=VALUE");
  }
  KeyValue kv{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
  CAIRN_RETURN_IF_ERROR(CheckKey(what, kv.first));
  return kv;
}

std::string_view InferParamType(std::string_view value) {
  if (value.empty() || value.size() > 64) return "string";
  const std::string s(value);
  if (std::isspace(static_cast<unsigned char>(s[0])) != 0) return "string";
  char* end = nullptr;
  errno = 0;
  (void)std::strtoll(s.c_str(), &end, 10);
  if (errno == 0 && end == s.c_str() + s.size()) return "int64";
  errno = 0;
  const double d = std::strtod(s.c_str(), &end);
  // strtod also reads "nan", "inf" and hex floats; only plain finite decimals are numbers.
  const bool plain = s.find_first_not_of("0123456789+-.eE") == std::string::npos;
  if (plain && end == s.c_str() + s.size() && std::isfinite(d)) return "float64";
  return "string";
}

std::vector<KeyValue> CaptureEnvironment(const std::string& dir) {
  std::vector<KeyValue> env;
  struct utsname u = {};
  if (uname(&u) == 0) {
    env.emplace_back("os", u.sysname);
    env.emplace_back("kernel", u.release);
    env.emplace_back("machine", u.machine);
  }
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.starts_with("model name")) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) env.emplace_back("cpu", Trim(line.substr(colon + 1)));
      break;
    }
  }
  env.emplace_back("cairn_version", CAIRN_VERSION);
#if defined(__clang__)
  env.emplace_back("compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
  env.emplace_back("compiler", "gcc " __VERSION__);
#endif
  env.emplace_back("lib.openssl", OpenSSL_version(OPENSSL_VERSION_STRING));
  env.emplace_back("lib.sqlite", sqlite3_libversion());
  env.emplace_back("lib.zstd", ZSTD_versionString());
  const std::string git = "git --no-optional-locks -C " + ShellQuote(dir.empty() ? "." : dir);
  if (auto commit = CommandOutput(git + " rev-parse HEAD 2>/dev/null")) {
    env.emplace_back("git_commit", Trim(*commit));
    auto changes = CommandOutput(git + " status --porcelain --untracked-files=no 2>/dev/null");
    const bool dirty = changes.has_value() && !Trim(*changes).empty();
    env.emplace_back("git_dirty", dirty ? "true" : "false");
    if (dirty) {
      if (auto diff = CommandOutput(git + " diff HEAD 2>/dev/null")) {
        env.emplace_back("git_diff_sha256", Sha256Hex(*diff));
      }
    }
  }
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view var(*e);
    const size_t eq = var.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string name(var.substr(0, eq));
    if (name.starts_with("CAIRN_") || name == "CUDA_VISIBLE_DEVICES") {
      env.emplace_back("env." + name, MaskPassword(std::string(var.substr(eq + 1))));
    }
  }
  std::sort(env.begin(), env.end());
  return env;
}

Result<RunInfo> StartRun(data::Workspace& ws, const StartOptions& options) {
  RunInfo run;
  run.id = RandomRunId();
  run.name = options.name;
  run.status = RunStatus::kRunning;
  if (!options.snapshot.empty()) {
    CAIRN_ASSIGN_OR_RETURN(data::SnapshotInfo snap, data::GetSnapshot(ws, options.snapshot));
    run.snapshot_id = snap.id;
  }
  for (const auto& kv : options.tags) CAIRN_RETURN_IF_ERROR(CheckKey("tag", kv.first));
  run.host = HostName();
  run.pid = options.pid == 0 ? static_cast<int64_t>(getpid()) : std::max<int64_t>(options.pid, 0);
  if (options.capture_environment) run.environment = CaptureEnvironment(options.dir);
  run.created_at = NowMicros();
  Status inserted = catalog::RunInTransaction(ws.catalog(), [&](Connection& c) -> Status {
    CAIRN_RETURN_IF_ERROR(
        c.Execute("INSERT INTO runs (" + std::string(kRunColumns) +
                      ") VALUES (?, ?, 'running', ?, ?, NULL, NULL, ?, ?, ?)",
                  {Value::Text(run.id), Value::Text(run.name),
                   run.snapshot_id.empty() ? Value::Null() : Value::Text(run.snapshot_id),
                   Value::Int64(run.created_at), Value::Text(run.host), Value::Int64(run.pid),
                   Value::Text(EnvironmentJson(run.environment))})
            .status());
    CAIRN_RETURN_IF_ERROR(InsertParams(c, run.id, options.params));
    return UpsertTags(c, run.id, options.tags);
  });
  if (!inserted.ok()) return inserted;
  return GetRun(ws, run.id);
}

Result<std::string> ResolveRunId(data::Workspace& ws, const std::string& ref) {
  if (ref.size() < 4) {
    return Status::InvalidArgument("run id '" + ref +
                                   "' is too short (give at least 4 characters)");
  }
  if (!IsHex(ref)) return Status::NotFound("no run '" + ref + "' (run ids are lowercase hex)");
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r, ws.catalog().Query("SELECT id FROM runs WHERE id LIKE ? ORDER BY id LIMIT 2",
                                        {Value::Text(ref + "%")}));
  if (r.rows.empty()) return Status::NotFound("no run '" + ref + "'");
  if (r.rows.size() > 1) {
    return Status::InvalidArgument("run id '" + ref + "' is ambiguous; give more characters");
  }
  return r.rows[0][0].bytes();
}

Status SetParams(data::Workspace& ws, const std::string& ref, const std::vector<KeyValue>& params) {
  CAIRN_ASSIGN_OR_RETURN(std::string id, ResolveRunId(ws, ref));
  return catalog::RunInTransaction(ws.catalog(),
                                   [&](Connection& c) { return InsertParams(c, id, params); });
}

Status LogMetrics(data::Workspace& ws, const std::string& ref,
                  const std::vector<MetricPoint>& points) {
  if (points.size() > std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidArgument("a batch holds at most 2^32 - 1 metric points, got " +
                                   std::to_string(points.size()));
  }
  // Each point's series, numbered in order of first appearance; a key is checked once.
  std::vector<uint32_t> series(points.size());
  std::vector<uint32_t> sizes;
  std::unordered_map<std::string_view, uint32_t> series_of;
  std::string_view previous_key;
  uint32_t previous = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    const MetricPoint& p = points[i];
    if (sizes.empty() || p.key != previous_key) {
      auto [it, inserted] = series_of.try_emplace(p.key, static_cast<uint32_t>(sizes.size()));
      if (inserted) {
        CAIRN_RETURN_IF_ERROR(CheckKey("metric", p.key));
        sizes.push_back(0);
      }
      previous_key = p.key;
      previous = it->second;
    }
    if (!std::isfinite(p.value)) {
      return Status::InvalidArgument("metric '" + p.key + "' at step " + std::to_string(p.step) +
                                     ": value must be finite");
    }
    series[i] = previous;
    ++sizes[previous];
  }
  // The points grouped by series (a counting sort), each group in logging order, then sorted
  // by step where it is not already.
  std::vector<uint32_t> starts(sizes.size() + 1, 0);
  for (size_t s = 0; s < sizes.size(); ++s) starts[s + 1] = starts[s] + sizes[s];
  std::vector<uint32_t> order(points.size());
  {
    std::vector<uint32_t> next(starts.begin(), starts.end() - 1);
    for (size_t i = 0; i < points.size(); ++i) order[next[series[i]]++] = static_cast<uint32_t>(i);
  }
  auto by_step = [&](uint32_t a, uint32_t b) { return points[a].step < points[b].step; };
  for (size_t s = 0; s < sizes.size(); ++s) {
    auto first = order.begin() + starts[s];
    auto last = order.begin() + starts[s + 1];
    if (!std::is_sorted(first, last, by_step)) std::stable_sort(first, last, by_step);
  }
  std::vector<SeriesPoints> series_points;
  for (size_t s = 0; s < sizes.size(); ++s) {
    const std::span<const uint32_t> part =
        std::span<const uint32_t>(order).subspan(starts[s], sizes[s]);
    series_points.push_back({&points[part[0]].key, part});
  }
  CAIRN_ASSIGN_OR_RETURN(std::string id, ResolveRunId(ws, ref));
  const int64_t now = NowMicros();
  return catalog::RunInTransaction(ws.catalog(), [&](Connection& c) -> Status {
    if (sizes.empty()) return Status::Ok();
    CAIRN_RETURN_IF_ERROR(c.LockTransaction(RunMetricsLockKey(id)));
    return WriteSeries(c, id, points, series_points, now);
  });
}

Result<std::vector<MetricPoint>> ParseMetricLines(std::string_view text, std::string_view file) {
  std::vector<MetricPoint> points;
  points.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  simdjson::ondemand::parser parser;
  // Each line is copied into one reused buffer with the padding simdjson reads past the end.
  std::string buffer;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    // The "file:line: " prefix of errors, built only when one is reported.
    auto error = [&](std::string_view what) {
      std::string msg(file);
      msg += ":" + std::to_string(line_no);
      msg += ": ";
      msg += what;
      return Status::InvalidArgument(std::move(msg));
    };
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (buffer.capacity() < line.size() + simdjson::SIMDJSON_PADDING) {
      buffer.reserve(line.size() + simdjson::SIMDJSON_PADDING);
    }
    buffer.assign(line);
    simdjson::ondemand::document doc;
    simdjson::ondemand::object object;
    if (parser.iterate(buffer.data(), buffer.size(), buffer.capacity()).get(doc) !=
            simdjson::SUCCESS ||
        doc.get_object().get(object) != simdjson::SUCCESS) {
      return error("expected a JSON object");
    }
    MetricPoint& p = points.emplace_back();
    bool has_key = false;
    bool has_value = false;
    for (auto field : object) {
      std::string_view name;
      if (field.unescaped_key().get(name) != simdjson::SUCCESS) return error("invalid JSON");
      if (name == "key") {
        std::string_view key;
        if (field.value().get_string().get(key) != simdjson::SUCCESS) {
          return error("'key' must be a string");
        }
        p.key.assign(key);
        has_key = true;
      } else if (name == "value") {
        if (field.value().get_double().get(p.value) != simdjson::SUCCESS ||
            !std::isfinite(p.value)) {
          return error("'value' must be a finite number");
        }
        has_value = true;
      } else if (name == "step") {
        if (field.value().get_int64().get(p.step) != simdjson::SUCCESS) {
          return error("'step' must be an integer");
        }
      } else {
        return error("unknown field '" + std::string(name) + "' (expected key, value, step)");
      }
    }
    const char* rest = nullptr;
    if (doc.current_location().get(rest) == simdjson::SUCCESS) {
      return error("unexpected text after the object");
    }
    if (!has_key) return error("missing 'key'");
    if (!has_value) return error("missing 'value'");
    Status key_ok = CheckKey("metric", p.key);
    if (!key_ok.ok()) return error(key_ok.message());
  }
  return points;
}

Status SetTags(data::Workspace& ws, const std::string& ref, const std::vector<KeyValue>& tags) {
  CAIRN_ASSIGN_OR_RETURN(std::string id, ResolveRunId(ws, ref));
  return catalog::RunInTransaction(ws.catalog(),
                                   [&](Connection& c) { return UpsertTags(c, id, tags); });
}

Status EndRun(data::Workspace& ws, const std::string& ref, RunStatus status,
              std::optional<int64_t> exit_code) {
  if (status == RunStatus::kRunning) {
    return Status::InvalidArgument("a run ends finished or failed, not running");
  }
  CAIRN_ASSIGN_OR_RETURN(std::string id, ResolveRunId(ws, ref));
  return catalog::RunInTransaction(ws.catalog(), [&](Connection& c) -> Status {
    CAIRN_ASSIGN_OR_RETURN(QueryResult r,
                           c.Query("SELECT status FROM runs WHERE id = ?", {Value::Text(id)}));
    if (r.rows.empty()) return Status::NotFound("no run '" + id + "'");
    if (r.rows[0][0].bytes() != "running") {
      return Status::InvalidArgument("run " + id.substr(0, 12) + " has already ended (" +
                                     r.rows[0][0].bytes() + ")");
    }
    return c
        .Execute("UPDATE runs SET status = ?, ended_at = ?, exit_code = ? WHERE id = ?",
                 {Value::Text(std::string(RunStatusName(status))), Value::Int64(NowMicros()),
                  exit_code ? Value::Int64(*exit_code) : Value::Null(), Value::Text(id)})
        .status();
  });
}

namespace {

// Every metric point of run `id`: the rows of run_metrics (schema v3 to v7) and the points of
// its chunks (v8), by key (bytewise), then step, then logging time; points equal in all three
// keep the order they were logged in (rows, which predate chunks, first; chunks by seq).
Result<std::vector<MetricPoint>> ReadSeries(Connection& c, const std::string& id) {
  std::vector<MetricPoint> points;
  CAIRN_ASSIGN_OR_RETURN(QueryResult rows,
                         c.Query("SELECT key, step, value, logged_at FROM run_metrics WHERE "
                                 "run_id = ? ORDER BY key, step, logged_at",
                                 {Value::Text(id)}));
  points.reserve(rows.rows.size());
  for (const Row& row : rows.rows) {
    points.push_back({row[0].bytes(), row[1].int64(), row[2].float64(), row[3].int64()});
  }
  rows = {};
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult chunks,
      c.Query("SELECT key, seq, first_step, last_step, count, logged_at, points FROM "
              "run_metric_chunks WHERE run_id = ? ORDER BY key, seq",
              {Value::Text(id)}));
  // Reserved by the bytes, which a damaged count cannot inflate.
  size_t total = points.size();
  for (const Row& row : chunks.rows) total += row[6].bytes().size() / kPackedPointSize;
  points.reserve(total);
  for (Row& row : chunks.rows) {
    MetricChunk chunk;
    chunk.key = row[0].bytes();
    chunk.seq = row[1].int64();
    chunk.first_step = row[2].int64();
    chunk.last_step = row[3].int64();
    chunk.count = row[4].int64();
    chunk.logged_at = row[5].int64();
    chunk.points = row[6].take_bytes();
    CAIRN_RETURN_IF_ERROR(UnpackMetricChunk(id, chunk, &points));
    row = {};
  }
  // One batch of one series is already in order, and so is a series whose batches come in
  // increasing steps: sort only when needed.
  auto before = [](const MetricPoint& a, const MetricPoint& b) {
    if (a.key != b.key) return a.key < b.key;
    if (a.step != b.step) return a.step < b.step;
    return a.logged_at < b.logged_at;
  };
  if (!std::is_sorted(points.begin(), points.end(), before)) {
    std::stable_sort(points.begin(), points.end(), before);
  }
  return points;
}

}  // namespace

Result<RunInfo> GetRun(data::Workspace& ws, const std::string& ref) {
  CAIRN_ASSIGN_OR_RETURN(std::string id, ResolveRunId(ws, ref));
  Connection& c = ws.catalog();
  CAIRN_RETURN_IF_ERROR(MarkStaleRuns(c));
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r,
      c.Query("SELECT " + std::string(kRunColumns) + " FROM runs WHERE id = ?", {Value::Text(id)}));
  if (r.rows.empty()) return Status::NotFound("no run '" + id + "'");
  RunInfo run = RunFromRow(r.rows[0]);
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult params,
      c.Query("SELECT key, value, type FROM run_params WHERE run_id = ? ORDER BY key",
              {Value::Text(id)}));
  for (const Row& row : params.rows) {
    run.params.push_back({row[0].bytes(), row[1].bytes(), row[2].bytes()});
  }
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult tags,
      c.Query("SELECT key, value FROM run_tags WHERE run_id = ? ORDER BY key", {Value::Text(id)}));
  for (const Row& row : tags.rows) run.tags.emplace_back(row[0].bytes(), row[1].bytes());
  CAIRN_ASSIGN_OR_RETURN(run.metrics, ReadSeries(c, id));
  std::sort(run.params.begin(), run.params.end(),
            [](const Param& a, const Param& b) { return a.key < b.key; });
  std::sort(run.tags.begin(), run.tags.end());
  return run;
}

namespace {

// Selects, sorts and limits in memory: every run, param, tag and latest metric is loaded, the
// whole table built, then filtered and sorted. The reference for the SQL path.
Result<table::Table> ListRunsInMemory(Connection& c, const ListOptions& options,
                                      data::FilterExpr filter) {
  CAIRN_ASSIGN_OR_RETURN(QueryResult runs, c.Query("SELECT " + std::string(kRunColumns) +
                                                   " FROM runs ORDER BY created_at DESC, id DESC"));
  std::vector<RunRow> rows;
  std::map<std::string, size_t> index;
  for (const Row& row : runs.rows) {
    index[row[0].bytes()] = rows.size();
    rows.push_back({RunFromRow(row), {}, {}, {}});
  }
  std::set<std::string> param_keys;
  std::set<std::string> metric_keys;
  std::set<std::string> tag_keys;
  CAIRN_ASSIGN_OR_RETURN(QueryResult params, c.Query("SELECT run_id, key, value FROM run_params"));
  for (const Row& row : params.rows) {
    auto it = index.find(row[0].bytes());
    if (it == index.end()) continue;
    rows[it->second].params[row[1].bytes()] = row[2].bytes();
    param_keys.insert(row[1].bytes());
  }
  CAIRN_ASSIGN_OR_RETURN(QueryResult tags, c.Query("SELECT run_id, key, value FROM run_tags"));
  for (const Row& row : tags.rows) {
    auto it = index.find(row[0].bytes());
    if (it == index.end()) continue;
    rows[it->second].tags[row[1].bytes()] = row[2].bytes();
    tag_keys.insert(row[1].bytes());
  }
  // The value at each series' highest step; among points at that step the latest logged wins
  // (rows arrive in logging order and later ones overwrite), then chunks in logging order
  // (rows predate chunks).
  struct Latest {
    int64_t step = 0;
    int64_t logged_at = 0;
    double value = 0;
  };
  std::map<std::pair<std::string, std::string>, Latest> latest;
  auto offer = [&](const std::string& run_id, const std::string& key, const Latest& p) {
    auto [it, inserted] = latest.try_emplace({run_id, key}, p);
    if (!inserted && (p.step > it->second.step ||
                      (p.step == it->second.step && p.logged_at >= it->second.logged_at))) {
      it->second = p;
    }
  };
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult metrics,
      c.Query("SELECT m.run_id, m.key, m.step, m.logged_at, m.value FROM run_metrics m JOIN "
              "(SELECT run_id, key, MAX(step) AS step FROM run_metrics GROUP BY run_id, key) l "
              "ON m.run_id = l.run_id AND m.key = l.key AND m.step = l.step ORDER BY m.logged_at"));
  for (const Row& row : metrics.rows) {
    offer(row[0].bytes(), row[1].bytes(), {row[2].int64(), row[3].int64(), row[4].float64()});
  }
  // Of each series' chunks, those that reach its highest step: the last point of each is
  // its latest.
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult chunks,
      c.Query("SELECT m.run_id, m.key, m.seq, m.first_step, m.last_step, m.count, m.logged_at, "
              "m.points FROM run_metric_chunks m JOIN (SELECT run_id, key, MAX(last_step) AS "
              "step FROM run_metric_chunks GROUP BY run_id, key) l ON m.run_id = l.run_id AND "
              "m.key = l.key AND m.last_step = l.step ORDER BY m.seq"));
  std::vector<MetricPoint> unpacked;
  for (Row& row : chunks.rows) {
    MetricChunk chunk;
    chunk.key = row[1].bytes();
    chunk.seq = row[2].int64();
    chunk.first_step = row[3].int64();
    chunk.last_step = row[4].int64();
    chunk.count = row[5].int64();
    chunk.logged_at = row[6].int64();
    chunk.points = row[7].take_bytes();
    unpacked.clear();
    CAIRN_RETURN_IF_ERROR(UnpackMetricChunk(row[0].bytes(), chunk, &unpacked));
    const MetricPoint& last = unpacked.back();
    offer(row[0].bytes(), chunk.key, {last.step, last.logged_at, last.value});
  }
  for (const auto& [series, point] : latest) {
    auto it = index.find(series.first);
    if (it == index.end()) continue;
    rows[it->second].metrics[series.second] = point.value;
    metric_keys.insert(series.second);
  }
  KeyColumns keys;
  for (const std::string& key : param_keys)
    keys.params.emplace_back(key, ParamColumnType(rows, key));
  keys.metrics.assign(metric_keys.begin(), metric_keys.end());
  keys.tags.assign(tag_keys.begin(), tag_keys.end());
  CAIRN_ASSIGN_OR_RETURN(table::Table all, BuildRunsTable(rows, keys));

  std::vector<uint8_t> mask(rows.size(), 1);
  if (!filter.empty()) {
    CAIRN_RETURN_IF_ERROR(filter.Bind(all.schema()));
    CAIRN_RETURN_IF_ERROR(filter.Evaluate(all, &mask));
  }
  std::vector<int64_t> order;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (mask[i] != 0) order.push_back(static_cast<int64_t>(i));
  }
  if (!options.sort.empty()) {
    const bool descending = options.sort[0] == '-';
    const std::string column = options.sort.substr(descending ? 1 : 0);
    const table::Column* col = all.ColumnByName(column);
    if (col == nullptr) return UnknownSortColumn(all.schema(), column);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      const bool a_null = col->IsNull(a);
      const bool b_null = col->IsNull(b);
      if (a_null || b_null) return !a_null && b_null;
      const int cmp = CompareCells(*col, a, b);
      return descending ? cmp > 0 : cmp < 0;
    });
  }
  if (options.limit > 0 && static_cast<int64_t>(order.size()) > options.limit) {
    order.resize(static_cast<size_t>(options.limit));
  }
  table::Table out(all.schema());
  for (int i = 0; i < all.num_columns(); ++i) {
    table::Column& dst = out.mutable_column(i);
    for (int64_t row : order) dst.AppendFrom(all.column(i), row, 1);
  }
  CAIRN_RETURN_IF_ERROR(out.SyncRowCount());
  return out;
}

// ---- the SQL path ----

// 2^53: integers up to this magnitude are exact as doubles.
constexpr double kTwo53 = 9007199254740992.0;

// Ids loaded with one IN list at most; beyond this the selected runs are picked out of full
// scans instead.
constexpr size_t kIdsPerQuery = 500;
constexpr size_t kMaxIdLookups = 4000;

// The distinct keys of `table` (run_params, run_latest_metrics or run_tags), sorted bytewise.
// A skip scan over the index that leads with `key`: one probe per key, whatever the number of
// runs.
Result<std::vector<std::string>> DistinctKeys(Connection& c, const std::string& table) {
  CAIRN_ASSIGN_OR_RETURN(QueryResult r,
                         c.Query("WITH RECURSIVE k (key) AS (SELECT MIN(key) FROM " + table +
                                 " UNION ALL SELECT (SELECT MIN(t.key) FROM " + table +
                                 " t WHERE t.key > k.key) FROM k WHERE k.key IS NOT NULL) "
                                 "SELECT key FROM k WHERE key IS NOT NULL"));
  std::vector<std::string> keys;
  for (const Row& row : r.rows) keys.push_back(row[0].bytes());
  std::sort(keys.begin(), keys.end());
  return keys;
}

// The key columns of every run, read through the key indexes (schema v6).
Result<KeyColumns> ReadKeyColumns(Connection& c) {
  KeyColumns keys;
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> params, DistinctKeys(c, "run_params"));
  for (const std::string& key : params) {
    // The types sort float64 < int64 < string, so the least and the greatest tell the
    // column type (each is one probe of run_params_by_key_type).
    CAIRN_ASSIGN_OR_RETURN(
        QueryResult t,
        c.Query("SELECT (SELECT MIN(type) FROM run_params WHERE key = ?), (SELECT MAX(type) FROM "
                "run_params WHERE key = ?)",
                {Value::Text(key), Value::Text(key)}));
    const std::string& least = t.rows[0][0].bytes();
    const std::string& greatest = t.rows[0][1].bytes();
    std::string type = "int64";
    if (greatest == "string" || (greatest != "int64" && greatest != "float64")) {
      type = "string";
    } else if (least == "float64") {
      type = "float64";
    }
    keys.params.emplace_back(key, std::move(type));
  }
  CAIRN_ASSIGN_OR_RETURN(keys.metrics, DistinctKeys(c, "run_latest_metrics"));
  CAIRN_ASSIGN_OR_RETURN(keys.tags, DistinctKeys(c, "run_tags"));
  return keys;
}

// A column of the runs table as SQL sees it.
struct SqlField {
  enum class Kind : uint8_t { kRun, kParam, kMetric, kTag };
  Kind kind = Kind::kRun;
  std::string name;  // kRun: the column of `runs`; otherwise the key
  table::TypeKind type = table::TypeKind::kString;
  bool nullable = false;  // kRun: whether the column may be null

  bool keyed() const { return kind != Kind::kRun; }
  // The table holding keyed values.
  std::string_view table() const {
    switch (kind) {
      case Kind::kParam:
        return "run_params";
      case Kind::kMetric:
        return "run_latest_metrics";
      default:
        return "run_tags";
    }
  }
  // The value's expression, `alias` naming the keyed table (or runs for kRun).
  std::string Expr(std::string_view alias, catalog::Backend backend) const {
    std::string e(alias);
    e += '.';
    if (kind == Kind::kRun) {
      e += name;
    } else if (kind == Kind::kParam && type != table::TypeKind::kString) {
      e += "number";
    } else {
      e += "value";
    }
    // Text compares bytewise, as in memory, whatever the database's collation.
    if (type == table::TypeKind::kString && backend == catalog::Backend::kPostgres) {
      e += " COLLATE \"C\"";
    }
    return e;
  }
};

// Resolves a column name of `schema` (checked by Bind or by the caller).
std::optional<SqlField> ResolveSqlField(const table::Schema& schema, const std::string& name) {
  const int index = schema.FieldIndex(name);
  if (index < 0) return std::nullopt;
  SqlField f;
  f.type = schema.field(index).type.kind;
  auto keyed = [&](std::string_view prefix, SqlField::Kind kind) {
    if (!name.starts_with(prefix)) return false;
    f.kind = kind;
    f.name = name.substr(prefix.size());
    return true;
  };
  if (keyed("params.", SqlField::Kind::kParam) || keyed("metrics.", SqlField::Kind::kMetric) ||
      keyed("tags.", SqlField::Kind::kTag)) {
    return f;
  }
  f.kind = SqlField::Kind::kRun;
  f.name = name;
  f.nullable = name == "snapshot_id" || name == "ended_at";
  return f;
}

std::string_view OpSql(data::FilterNode::Op op) {
  switch (op) {
    case data::FilterNode::Op::kEq:
      return "=";
    case data::FilterNode::Op::kNe:
      return "<>";
    case data::FilterNode::Op::kLt:
      return "<";
    case data::FilterNode::Op::kLe:
      return "<=";
    case data::FilterNode::Op::kGt:
      return ">";
    case data::FilterNode::Op::kGe:
      return ">=";
  }
  return "=";
}

// The operator true exactly where `op` is false, for non-null operands.
data::FilterNode::Op Complement(data::FilterNode::Op op) {
  using Op = data::FilterNode::Op;
  switch (op) {
    case Op::kEq:
      return Op::kNe;
    case Op::kNe:
      return Op::kEq;
    case Op::kLt:
      return Op::kGe;
    case Op::kLe:
      return Op::kGt;
    case Op::kGt:
      return Op::kLe;
    case Op::kGe:
      return Op::kLt;
  }
  return op;
}

// A literal as the SQL value compared with `field`, or nullopt where SQL could not compare it
// exactly as memory does (an integer beyond 2^53 against a number column, or a literal that
// Bind would have refused).
std::optional<Value> SqlLiteral(const SqlField& field, const data::FilterLiteral& lit) {
  using Kind = data::FilterLiteral::Kind;
  switch (field.type) {
    case table::TypeKind::kInt64:
    case table::TypeKind::kFloat64:
      // Numbers are compared as doubles; exact for int64 params within 2^53 (checked
      // before the SQL path is taken) and for every float64.
      if (lit.kind == Kind::kFloat) return Value::Double(lit.float_value);
      if (lit.kind == Kind::kInt && std::fabs(static_cast<double>(lit.int_value)) < kTwo53) {
        return Value::Double(static_cast<double>(lit.int_value));
      }
      return std::nullopt;
    case table::TypeKind::kString:
      if (lit.kind == Kind::kString) return Value::Text(lit.text);
      return std::nullopt;
    case table::TypeKind::kTimestamp:
      if (lit.kind == Kind::kTimestamp) return Value::Int64(lit.int_value);
      if (lit.kind == Kind::kString) {
        std::optional<int64_t> micros = ParseTimestampMicros(lit.text);
        if (micros) return Value::Int64(*micros);
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// Translates a bound filter into a SQL condition over `runs r`.
//
// Negations are pushed down to the leaves (De Morgan), and each leaf becomes "this leaf is
// true" (or "is false" under a negation). For three-valued logic that is exact: mapping
// true to true and unknown and false to false commutes with `and` and `or`, so the
// translated condition holds exactly where the filter is true. A leaf on a param, metric or
// tag is an EXISTS over its keyed table, so a run without the key matches neither the leaf
// nor its negation, as null does in memory.
class SqlFilter {
 public:
  SqlFilter(catalog::Backend backend, const table::Schema& schema)
      : backend_(backend), schema_(schema) {}

  // Appends the condition for `node` (negated when `negate`); false where the SQL path
  // cannot express it.
  bool Append(const data::FilterNode& node, bool negate) {
    using Kind = data::FilterNode::Kind;
    switch (node.kind) {
      case Kind::kAnd:
      case Kind::kOr: {
        const bool conjunction = (node.kind == Kind::kAnd) != negate;
        sql_ += "(";
        for (size_t i = 0; i < node.children.size(); ++i) {
          if (i > 0) sql_ += conjunction ? " AND " : " OR ";
          if (!Append(node.children[i], negate)) return false;
        }
        sql_ += ")";
        return true;
      }
      case Kind::kNot:
        return Append(node.children[0], !negate);
      case Kind::kIsNull: {
        std::optional<SqlField> f = ResolveSqlField(schema_, node.field);
        if (!f) return false;
        const bool want_null = node.negated == negate;
        if (f->keyed()) {
          sql_ += want_null ? "NOT EXISTS (" : "EXISTS (";
          sql_ += "SELECT 1 FROM " + std::string(f->table()) +
                  " x WHERE x.run_id = r.id AND x.key = ?)";
          args_.push_back(Value::Text(f->name));
        } else {
          sql_ += "r." + f->name + (want_null ? " IS NULL" : " IS NOT NULL");
        }
        return true;
      }
      case Kind::kCompare: {
        std::optional<SqlField> f = ResolveSqlField(schema_, node.field);
        if (!f || node.literals.size() != 1) return false;
        std::optional<Value> lit = SqlLiteral(*f, node.literals[0]);
        if (!lit) return false;
        Note(*f);
        const std::string_view op = OpSql(negate ? Complement(node.op) : node.op);
        Leaf(*f, std::string(op) + " ?", {*lit});
        return true;
      }
      case Kind::kIn: {
        std::optional<SqlField> f = ResolveSqlField(schema_, node.field);
        if (!f || node.literals.empty()) return false;
        std::vector<Value> values;
        std::string list = node.negated != negate ? "NOT IN (" : "IN (";
        for (const data::FilterLiteral& l : node.literals) {
          std::optional<Value> lit = SqlLiteral(*f, l);
          if (!lit) return false;
          list += values.empty() ? "?" : ", ?";
          values.push_back(*lit);
        }
        Note(*f);
        Leaf(*f, list + ")", values);
        return true;
      }
      case Kind::kBoolField:
        return false;
    }
    return false;
  }

  const std::string& sql() const { return sql_; }
  const std::vector<Value>& args() const { return args_; }
  // The int64 params the condition compares (their values must lie within 2^53).
  const std::set<std::string>& int_params() const { return int_params_; }

 private:
  void Note(const SqlField& f) {
    if (f.kind == SqlField::Kind::kParam && f.type == table::TypeKind::kInt64) {
      int_params_.insert(f.name);
    }
  }

  // `field <test>` where the field has a value; `test` holds the operator and placeholders.
  void Leaf(const SqlField& f, const std::string& test, const std::vector<Value>& values) {
    if (f.keyed()) {
      sql_ += "EXISTS (SELECT 1 FROM " + std::string(f.table()) +
              " x WHERE x.run_id = r.id AND x.key = ? AND " + f.Expr("x", backend_) + " " + test +
              ")";
      args_.push_back(Value::Text(f.name));
    } else {
      sql_ += f.Expr("r", backend_) + " " + test;
    }
    args_.insert(args_.end(), values.begin(), values.end());
  }

  catalog::Backend backend_;
  const table::Schema& schema_;
  std::string sql_;
  std::vector<Value> args_;
  std::set<std::string> int_params_;
};

// Whether every value of the int64 param `key` is exact as a double.
Result<bool> IntParamFitsDouble(Connection& c, const std::string& key) {
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r, c.Query("SELECT 1 FROM run_params WHERE key = ? AND (number >= ? OR number "
                             "<= ?) LIMIT 1",
                             {Value::Text(key), Value::Double(kTwo53), Value::Double(-kTwo53)}));
  return r.rows.empty();
}

// Loads the runs `ids` (with their params, latest metrics and tags) in the order given.
Result<std::vector<RunRow>> LoadRuns(Connection& c, const std::vector<std::string>& ids) {
  std::vector<RunRow> rows(ids.size());
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < ids.size(); ++i) index[ids[i]] = i;
  // Runs `sql` (which ends in "WHERE <id column>") once over every row when many runs are
  // wanted, else for the ids in lists of kIdsPerQuery, and hands each row whose first
  // column is a wanted id to `take`.
  auto each = [&](const std::string& sql, const std::function<void(RunRow&, const Row&)>& take) {
    if (ids.empty()) return Status::Ok();
    if (ids.size() > kMaxIdLookups) {
      const size_t where = sql.rfind(" WHERE ");
      CAIRN_ASSIGN_OR_RETURN(QueryResult all, c.Query(sql.substr(0, where)));
      for (const Row& row : all.rows) {
        auto it = index.find(row[0].bytes());
        if (it != index.end()) take(rows[it->second], row);
      }
      return Status::Ok();
    }
    for (size_t begin = 0; begin < ids.size(); begin += kIdsPerQuery) {
      const size_t end = std::min(ids.size(), begin + kIdsPerQuery);
      std::string in = sql + " IN (";
      std::vector<Value> args;
      for (size_t i = begin; i < end; ++i) {
        in += i == begin ? "?" : ", ?";
        args.push_back(Value::Text(ids[i]));
      }
      CAIRN_ASSIGN_OR_RETURN(QueryResult part, c.Query(in + ")", args));
      for (const Row& row : part.rows) {
        auto it = index.find(row[0].bytes());
        if (it != index.end()) take(rows[it->second], row);
      }
    }
    return Status::Ok();
  };
  CAIRN_RETURN_IF_ERROR(each("SELECT " + std::string(kRunColumns) + " FROM runs WHERE id",
                             [](RunRow& r, const Row& row) { r.info = RunFromRow(row); }));
  CAIRN_RETURN_IF_ERROR(
      each("SELECT run_id, key, value FROM run_params WHERE run_id",
           [](RunRow& r, const Row& row) { r.params[row[1].bytes()] = row[2].bytes(); }));
  CAIRN_RETURN_IF_ERROR(
      each("SELECT run_id, key, value FROM run_latest_metrics WHERE run_id",
           [](RunRow& r, const Row& row) { r.metrics[row[1].bytes()] = row[2].float64(); }));
  CAIRN_RETURN_IF_ERROR(
      each("SELECT run_id, key, value FROM run_tags WHERE run_id",
           [](RunRow& r, const Row& row) { r.tags[row[1].bytes()] = row[2].bytes(); }));
  return rows;
}

// The SQL path: the filter, sort and limit run in the catalog, and only the selected runs are
// loaded. Returns nullopt where the filter or sort cannot be expressed exactly in SQL.
Result<std::optional<table::Table>> ListRunsInSql(Connection& c, const ListOptions& options,
                                                  data::FilterExpr filter) {
  const catalog::Backend backend = c.backend();
  CAIRN_ASSIGN_OR_RETURN(KeyColumns keys, ReadKeyColumns(c));
  const table::Schema schema = RunsSchema(keys);
  // Binding against the schema (no rows needed) reports unknown fields and bad literals
  // exactly as the in-memory path does.
  if (!filter.empty()) CAIRN_RETURN_IF_ERROR(filter.Bind(schema));
  SqlFilter where(backend, schema);
  if (!filter.empty() && !where.Append(filter.Tree(), false)) return std::optional<table::Table>{};

  std::optional<SqlField> sort;
  bool descending = false;
  if (!options.sort.empty()) {
    descending = options.sort[0] == '-';
    const std::string column = options.sort.substr(descending ? 1 : 0);
    sort = ResolveSqlField(schema, column);
    if (!sort) return UnknownSortColumn(schema, column);
  }
  std::set<std::string> int_params = where.int_params();
  if (sort && sort->kind == SqlField::Kind::kParam && sort->type == table::TypeKind::kInt64) {
    int_params.insert(sort->name);
  }
  for (const std::string& key : int_params) {
    CAIRN_ASSIGN_OR_RETURN(bool fits, IntParamFitsDouble(c, key));
    if (!fits) return std::optional<table::Table>{};
  }

  const std::string filter_sql = filter.empty() ? "" : " AND " + where.sql();
  const std::string id_order =
      backend == catalog::Backend::kPostgres ? "r.id COLLATE \"C\" DESC" : "r.id DESC";
  const std::string newest_first = "r.created_at DESC, " + id_order;
  const std::string dir = descending ? " DESC" : " ASC";
  std::vector<std::string> ids;
  // Runs one id query; `limit` < 0: no limit.
  auto select = [&](const std::string& sql, std::vector<Value> args, int64_t limit) -> Status {
    std::string full = sql;
    if (limit >= 0) {
      full += " LIMIT ?";
      args.push_back(Value::Int64(limit));
    }
    CAIRN_ASSIGN_OR_RETURN(QueryResult r, c.Query(full, args));
    for (const Row& row : r.rows) ids.push_back(row[0].bytes());
    return Status::Ok();
  };
  const int64_t limit = options.limit > 0 ? options.limit : -1;
  std::vector<Value> args = where.args();
  if (!sort || !sort->keyed()) {
    std::string order;
    if (sort) {
      if (sort->nullable) order += "(r." + sort->name + " IS NULL), ";
      order += sort->Expr("r", backend) + dir + ", ";
    }
    CAIRN_RETURN_IF_ERROR(select(
        "SELECT r.id FROM runs r WHERE 1 = 1" + filter_sql + " ORDER BY " + order + newest_first,
        args, limit));
  } else {
    // Runs with the key first, sorted by its value (an index range when the filter lets the
    // planner walk run_*_by_key_*), then those without it, newest first.
    const std::string table(sort->table());
    std::vector<Value> with_key = {Value::Text(sort->name)};
    with_key.insert(with_key.end(), args.begin(), args.end());
    CAIRN_RETURN_IF_ERROR(select(
        "SELECT r.id FROM " + table + " s CROSS JOIN runs r WHERE s.key = ? AND r.id = s.run_id" +
            filter_sql + " ORDER BY " + sort->Expr("s", backend) + dir + ", " + newest_first,
        with_key, limit));
    const auto got = static_cast<int64_t>(ids.size());
    if (limit < 0 || got < limit) {
      CAIRN_RETURN_IF_ERROR(select("SELECT r.id FROM runs r WHERE NOT EXISTS (SELECT 1 FROM " +
                                       table + " s WHERE s.run_id = r.id AND s.key = ?)" +
                                       filter_sql + " ORDER BY " + newest_first,
                                   with_key, limit < 0 ? -1 : limit - got));
    }
  }
  CAIRN_ASSIGN_OR_RETURN(std::vector<RunRow> rows, LoadRuns(c, ids));
  CAIRN_ASSIGN_OR_RETURN(table::Table out, BuildRunsTable(rows, keys));
  return std::optional<table::Table>(std::move(out));
}

}  // namespace

Result<table::Table> ListRuns(data::Workspace& ws, const ListOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(data::FilterExpr filter, data::FilterExpr::Parse(options.where));
  Connection& c = ws.catalog();
  CAIRN_RETURN_IF_ERROR(MarkStaleRuns(c));
  if (options.engine != ListEngine::kInMemory) {
    CAIRN_ASSIGN_OR_RETURN(std::optional<table::Table> out, ListRunsInSql(c, options, filter));
    if (out) return std::move(*out);
    if (options.engine == ListEngine::kSql) {
      return Status::Unsupported(
          "run list: the filter or sort cannot be evaluated in SQL exactly (an integer beyond "
          "2^53 compared with a number column, or an int64 param with such values)");
    }
  }
  return ListRunsInMemory(c, options, std::move(filter));
}

}  // namespace cairn::track
