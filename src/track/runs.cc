#include "track/runs.h"

#include <simdjson.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "base/hash.h"
#include "base/json.h"
#include "base/time.h"
#include "catalog/catalog.h"
#include "data/filter_expr.h"
#include "data/snapshots.h"

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
    CAIRN_RETURN_IF_ERROR(
        c.Execute("INSERT INTO run_params (run_id, key, value, type) VALUES (?, ?, ?, ?)",
                  {Value::Text(run_id), Value::Text(key), Value::Text(value),
                   Value::Text(std::string(InferParamType(value)))})
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

// A param column, typed by the values of every run that has the param.
table::Column ParamColumn(const std::vector<RunRow>& rows, const std::string& key) {
  bool all_int = true;
  bool all_number = true;
  for (const RunRow& r : rows) {
    auto it = r.params.find(key);
    if (it == r.params.end()) continue;
    const std::string_view type = InferParamType(it->second);
    all_int = all_int && type == "int64";
    all_number = all_number && type != "string";
  }
  if (!all_number) return StringColumn(rows, &RunRow::params, key);
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
  for (const MetricPoint& p : points) {
    CAIRN_RETURN_IF_ERROR(CheckKey("metric", p.key));
    if (!std::isfinite(p.value)) {
      return Status::InvalidArgument("metric '" + p.key + "' at step " + std::to_string(p.step) +
                                     ": value must be finite");
    }
  }
  CAIRN_ASSIGN_OR_RETURN(std::string id, ResolveRunId(ws, ref));
  const int64_t now = NowMicros();
  return catalog::RunInTransaction(ws.catalog(), [&](Connection& c) -> Status {
    for (const MetricPoint& p : points) {
      CAIRN_RETURN_IF_ERROR(c.Execute("INSERT INTO run_metrics (run_id, key, step, value, "
                                      "logged_at) VALUES (?, ?, ?, ?, ?)",
                                      {Value::Text(id), Value::Text(p.key), Value::Int64(p.step),
                                       Value::Double(p.value), Value::Int64(now)})
                                .status());
    }
    return Status::Ok();
  });
}

Result<std::vector<MetricPoint>> ParseMetricLines(std::string_view text, std::string_view file) {
  std::vector<MetricPoint> points;
  simdjson::ondemand::parser parser;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    const std::string where = std::string(file) + ":" + std::to_string(line_no) + ": ";
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    simdjson::padded_string padded(line);
    simdjson::ondemand::document doc;
    simdjson::ondemand::object object;
    if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
        doc.get_object().get(object) != simdjson::SUCCESS) {
      return Status::InvalidArgument(where + "expected a JSON object");
    }
    MetricPoint p;
    bool has_key = false;
    bool has_value = false;
    for (auto field : object) {
      std::string_view name;
      if (field.unescaped_key().get(name) != simdjson::SUCCESS) {
        return Status::InvalidArgument(where + "invalid JSON");
      }
      if (name == "key") {
        std::string_view key;
        if (field.value().get_string().get(key) != simdjson::SUCCESS) {
          return Status::InvalidArgument(where + "'key' must be a string");
        }
        p.key = std::string(key);
        has_key = true;
      } else if (name == "value") {
        if (field.value().get_double().get(p.value) != simdjson::SUCCESS ||
            !std::isfinite(p.value)) {
          return Status::InvalidArgument(where + "'value' must be a finite number");
        }
        has_value = true;
      } else if (name == "step") {
        if (field.value().get_int64().get(p.step) != simdjson::SUCCESS) {
          return Status::InvalidArgument(where + "'step' must be an integer");
        }
      } else {
        return Status::InvalidArgument(where + "unknown field '" + std::string(name) +
                                       "' (expected key, value, step)");
      }
    }
    const char* rest = nullptr;
    if (doc.current_location().get(rest) == simdjson::SUCCESS) {
      return Status::InvalidArgument(where + "unexpected text after the object");
    }
    if (!has_key) return Status::InvalidArgument(where + "missing 'key'");
    if (!has_value) return Status::InvalidArgument(where + "missing 'value'");
    Status key_ok = CheckKey("metric", p.key);
    if (!key_ok.ok()) return Status::InvalidArgument(where + key_ok.message());
    points.push_back(std::move(p));
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
  CAIRN_ASSIGN_OR_RETURN(QueryResult metrics,
                         c.Query("SELECT key, step, value, logged_at FROM run_metrics WHERE "
                                 "run_id = ? ORDER BY key, step, logged_at",
                                 {Value::Text(id)}));
  for (const Row& row : metrics.rows) {
    run.metrics.push_back({row[0].bytes(), row[1].int64(), row[2].float64(), row[3].int64()});
  }
  // Keys sort bytewise whatever the database's collation.
  std::stable_sort(run.metrics.begin(), run.metrics.end(),
                   [](const MetricPoint& a, const MetricPoint& b) { return a.key < b.key; });
  std::sort(run.params.begin(), run.params.end(),
            [](const Param& a, const Param& b) { return a.key < b.key; });
  std::sort(run.tags.begin(), run.tags.end());
  return run;
}

Result<table::Table> ListRuns(data::Workspace& ws, const ListOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(data::FilterExpr filter, data::FilterExpr::Parse(options.where));
  Connection& c = ws.catalog();
  CAIRN_RETURN_IF_ERROR(MarkStaleRuns(c));
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
  // (rows arrive in logging order and later ones overwrite).
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult metrics,
      c.Query("SELECT m.run_id, m.key, m.value FROM run_metrics m JOIN (SELECT run_id, key, "
              "MAX(step) AS step FROM run_metrics GROUP BY run_id, key) l ON m.run_id = "
              "l.run_id AND m.key = l.key AND m.step = l.step ORDER BY m.logged_at"));
  for (const Row& row : metrics.rows) {
    auto it = index.find(row[0].bytes());
    if (it == index.end()) continue;
    rows[it->second].metrics[row[1].bytes()] = row[2].float64();
    metric_keys.insert(row[1].bytes());
  }

  table::Schema schema;
  std::vector<table::Column> columns;
  auto add = [&](const std::string& name, table::Column col) {
    schema.AddField({name, col.type(), true});
    columns.push_back(std::move(col));
  };
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
  add("id", std::move(id));
  add("name", std::move(name));
  add("status", std::move(status));
  add("snapshot_id", std::move(snapshot));
  add("created_at", std::move(created));
  add("ended_at", std::move(ended));
  for (const std::string& key : param_keys) add("params." + key, ParamColumn(rows, key));
  for (const std::string& key : metric_keys) {
    table::Column col(table::DataType::Float64());
    for (const RunRow& r : rows) {
      auto it = r.metrics.find(key);
      if (it == r.metrics.end()) {
        col.AppendNull();
      } else {
        col.AppendDouble(it->second);
      }
    }
    add("metrics." + key, std::move(col));
  }
  for (const std::string& key : tag_keys) {
    add("tags." + key, StringColumn(rows, &RunRow::tags, key));
  }
  CAIRN_ASSIGN_OR_RETURN(table::Table all, table::Table::Make(schema, std::move(columns)));

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
    if (col == nullptr) {
      std::string known;
      for (int i = 0; i < all.num_columns(); ++i) {
        known += (i > 0 ? ", " : "") + all.schema().field(i).name;
      }
      return Status::NotFound("sort: unknown column '" + column + "'; known columns: " + known);
    }
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

}  // namespace cairn::track
