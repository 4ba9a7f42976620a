// Commands of run tracking: run start | log | param | tag | end | show | list | artifact |
// artifacts | get | compare.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/time.h"
#include "cli/command.h"
#include "cli/output.h"
#include "data/workspace.h"
#include "track/artifacts.h"
#include "track/compare.h"
#include "track/runs.h"

namespace cairn::cli {
namespace {

using data::Workspace;
using track::KeyValue;

std::string Time(int64_t micros) { return FormatTimestamp(micros, 6); }

// A double in the shortest form that reads back as the same value.
std::string Number(double value) {
  table::Column c(table::DataType::Float64());
  c.AppendDouble(value);
  return c.Format(0);
}

void ArtifactJson(const track::ArtifactInfo& a, JsonWriter* j) {
  j->BeginObject();
  j->Key("name");
  j->String(a.name);
  j->Key("size");
  j->Int(a.size);
  j->Key("sha256");
  j->String(a.blob_id);
  j->Key("created_at");
  j->String(Time(a.created_at));
  j->EndObject();
}

std::string ArtifactTable(const std::vector<track::ArtifactInfo>& artifacts) {
  std::vector<std::vector<std::string>> cells;
  cells.reserve(artifacts.size());
  for (const auto& a : artifacts) {
    cells.push_back({DisplayCell(a.name, 64), std::to_string(a.size), a.blob_id.substr(0, 12),
                     Time(a.created_at)});
  }
  return FormatTextTable({"name", "size", "sha256", "created"}, cells);
}

// Parses every value of a repeatable KEY=VALUE flag (or of the positionals after the first).
Result<std::vector<KeyValue>> KeyValues(std::string_view what,
                                        const std::vector<std::string>& texts) {
  std::vector<KeyValue> out;
  for (const std::string& t : texts) {
    CAIRN_ASSIGN_OR_RETURN(KeyValue kv, track::ParseKeyValue(what, t));
    out.push_back(std::move(kv));
  }
  return out;
}

// The run object; with `artifacts`, an "artifacts" array at the end.
void RunJson(const track::RunInfo& r, JsonWriter* j,
             const std::vector<track::ArtifactInfo>* artifacts = nullptr) {
  j->BeginObject();
  j->Key("id");
  j->String(r.id);
  j->Key("name");
  j->String(r.name);
  j->Key("status");
  j->String(track::RunStatusName(r.status));
  j->Key("snapshot_id");
  if (r.snapshot_id.empty()) {
    j->Null();
  } else {
    j->String(r.snapshot_id);
  }
  j->Key("created_at");
  j->String(Time(r.created_at));
  j->Key("ended_at");
  if (r.ended_at) {
    j->String(Time(*r.ended_at));
  } else {
    j->Null();
  }
  j->Key("exit_code");
  if (r.exit_code) {
    j->Int(*r.exit_code);
  } else {
    j->Null();
  }
  j->Key("host");
  j->String(r.host);
  j->Key("pid");
  j->Int(r.pid);
  j->Key("params");
  j->BeginObject();
  for (const auto& p : r.params) {
    j->Key(p.key);
    j->BeginObject();
    j->Key("value");
    j->String(p.value);
    j->Key("type");
    j->String(p.type);
    j->EndObject();
  }
  j->EndObject();
  j->Key("tags");
  j->BeginObject();
  for (const auto& [k, v] : r.tags) {
    j->Key(k);
    j->String(v);
  }
  j->EndObject();
  j->Key("metrics");
  j->BeginObject();
  for (size_t i = 0; i < r.metrics.size();) {
    const std::string& key = r.metrics[i].key;
    j->Key(key);
    j->BeginArray();
    for (; i < r.metrics.size() && r.metrics[i].key == key; ++i) {
      j->BeginObject();
      j->Key("step");
      j->Int(r.metrics[i].step);
      j->Key("value");
      j->Double(r.metrics[i].value);
      j->Key("logged_at");
      j->String(Time(r.metrics[i].logged_at));
      j->EndObject();
    }
    j->EndArray();
  }
  j->EndObject();
  j->Key("environment");
  j->BeginObject();
  for (const auto& [k, v] : r.environment) {
    j->Key(k);
    j->String(v);
  }
  j->EndObject();
  if (artifacts != nullptr) {
    j->Key("artifacts");
    j->BeginArray();
    for (const auto& a : *artifacts) ArtifactJson(a, j);
    j->EndArray();
  }
  j->EndObject();
}

// "  key = value\n".
void AppendPair(const std::string& key, const std::string& value, std::string* out) {
  out->append("  ").append(key).append(" = ").append(value).append("\n");
}

std::string RunText(const track::RunInfo& r, const std::vector<track::ArtifactInfo>& artifacts) {
  std::string s = "run " + r.id + "\n";
  s += "  name:     " + r.name + "\n";
  s += "  status:   " + std::string(track::RunStatusName(r.status));
  if (r.exit_code) s += " (exit code " + std::to_string(*r.exit_code) + ")";
  s += "\n  snapshot: " + (r.snapshot_id.empty() ? std::string("-") : r.snapshot_id) + "\n";
  s += "  created:  " + Time(r.created_at) + "\n";
  if (r.ended_at) s += "  ended:    " + Time(*r.ended_at) + "\n";
  s += "  host:     " + r.host + " (pid " + std::to_string(r.pid) + ")\n";
  if (!r.params.empty()) {
    s += "params:\n";
    for (const auto& p : r.params) AppendPair(p.key, p.value, &s);
  }
  if (!r.tags.empty()) {
    s += "tags:\n";
    for (const auto& [k, v] : r.tags) AppendPair(k, v, &s);
  }
  if (!r.metrics.empty()) {
    s += "metrics (latest at the highest step):\n";
    std::vector<std::vector<std::string>> cells;
    for (size_t i = 0; i < r.metrics.size(); ++i) {
      const bool last_of_key =
          i + 1 == r.metrics.size() || r.metrics[i + 1].key != r.metrics[i].key;
      if (!last_of_key) continue;
      size_t first = i;
      while (first > 0 && r.metrics[first - 1].key == r.metrics[i].key) --first;
      cells.push_back({r.metrics[i].key, std::to_string(r.metrics[i].step),
                       Number(r.metrics[i].value), std::to_string(i - first + 1)});
    }
    s += FormatTextTable({"key", "step", "value", "points"}, cells);
  }
  if (!artifacts.empty()) {
    s += "artifacts:\n";
    s += ArtifactTable(artifacts);
  }
  if (!r.environment.empty()) {
    s += "environment:\n";
    for (const auto& [k, v] : r.environment) AppendPair(k, v, &s);
  }
  return s;
}

// Opens the workspace and resolves the run argument; prints the error itself.
int OpenRun(const Invocation& inv, std::unique_ptr<Workspace>* ws, std::string* run_id) {
  auto opened = Workspace::Open();
  if (!opened.ok()) return inv.Fail(opened.status());
  auto id = track::ResolveRunId(**opened, inv.args.positionals()[0]);
  if (!id.ok()) return inv.Fail(id.status());
  *ws = std::move(*opened);
  *run_id = *id;
  return kExitOk;
}

int RunStart(const Invocation& inv) {
  if (!inv.args.positionals().empty()) return inv.UsageError("expected no arguments");
  track::StartOptions o;
  o.name = inv.args.Get("name").value_or("");
  o.snapshot = inv.args.Get("snapshot").value_or("");
  auto params = KeyValues("param", inv.args.GetAll("param"));
  if (!params.ok()) return inv.UsageError(params.status().message());
  auto tags = KeyValues("tag", inv.args.GetAll("tag"));
  if (!tags.ok()) return inv.UsageError(tags.status().message());
  o.params = std::move(*params);
  o.tags = std::move(*tags);
  if (auto pid = inv.args.Get("pid")) {
    auto n = ParseIntFlag("pid", *pid, 1, int64_t{1} << 31);
    if (!n.ok()) return inv.UsageError(n.status().message());
    o.pid = *n;
  } else {
    // `cairn run start` exits at once, and its parent may be a short-lived subshell: without
    // --pid no process is watched and the run stays running until `cairn run end`.
    o.pid = -1;
  }
  auto ws = Workspace::Open();
  if (!ws.ok()) return inv.Fail(ws.status());
  auto run = track::StartRun(**ws, o);
  if (!run.ok()) return inv.Fail(run.status());
  if (inv.json) {
    JsonWriter j;
    RunJson(*run, &j);
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, run->id + "\n");
  }
  return kExitOk;
}

int RunLog(const Invocation& inv) {
  if (inv.args.positionals().size() != 1) return inv.UsageError("expected one run id");
  const auto& metrics = inv.args.GetAll("metric");
  auto file = inv.args.Get("file");
  if (metrics.empty() && !file) return inv.UsageError("give --metric KEY=VALUE or --file FILE");
  int64_t step = 0;
  if (auto s = inv.args.Get("step")) {
    auto n = ParseIntFlag("step", *s, std::numeric_limits<int64_t>::min(),
                          std::numeric_limits<int64_t>::max());
    if (!n.ok()) return inv.UsageError(n.status().message());
    step = *n;
  }
  std::vector<track::MetricPoint> points;
  for (const std::string& m : metrics) {
    auto kv = track::ParseKeyValue("metric", m);
    if (!kv.ok()) return inv.UsageError(kv.status().message());
    const std::string_view type = track::InferParamType(kv->second);
    if (type == "string") {
      return inv.UsageError("metric '" + m + "': the value must be a finite number");
    }
    points.push_back({kv->first, step, std::strtod(kv->second.c_str(), nullptr), 0});
  }
  if (file) {
    auto text = ReadFileToString(*file);
    if (!text.ok()) return inv.Fail(text.status());
    auto read = track::ParseMetricLines(*text, *file);
    if (!read.ok()) return inv.Fail(read.status());
    points.insert(points.end(), std::make_move_iterator(read->begin()),
                  std::make_move_iterator(read->end()));
  }
  std::unique_ptr<Workspace> ws;
  std::string id;
  if (int rc = OpenRun(inv, &ws, &id); rc != kExitOk) return rc;
  Status st = track::LogMetrics(*ws, id, points);
  if (!st.ok()) return inv.Fail(st);
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("run");
    j.String(id);
    j.Key("logged");
    j.Int(static_cast<int64_t>(points.size()));
    j.EndObject();
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, "logged " + std::to_string(points.size()) + " metric point" +
                       (points.size() == 1 ? "" : "s") + " to run " + id.substr(0, 12) + "\n");
  }
  return kExitOk;
}

// `run param` and `run tag`: KEY=VALUE positionals after the run id.
int RunAssign(const Invocation& inv, std::string_view what) {
  const auto& pos = inv.args.positionals();
  if (pos.size() < 2) return inv.UsageError("expected a run id and KEY=VALUE pairs");
  auto kvs = KeyValues(what, std::vector<std::string>(pos.begin() + 1, pos.end()));
  if (!kvs.ok()) return inv.UsageError(kvs.status().message());
  std::unique_ptr<Workspace> ws;
  std::string id;
  if (int rc = OpenRun(inv, &ws, &id); rc != kExitOk) return rc;
  Status st = what == "param" ? track::SetParams(*ws, id, *kvs) : track::SetTags(*ws, id, *kvs);
  if (!st.ok()) return inv.Fail(st);
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("run");
    j.String(id);
    j.Key(std::string(what) + "s");
    j.BeginObject();
    for (const auto& [k, v] : *kvs) {
      j.Key(k);
      j.String(v);
    }
    j.EndObject();
    j.EndObject();
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, "set " + std::to_string(kvs->size()) + " " + std::string(what) +
                       (kvs->size() == 1 ? "" : "s") + " on run " + id.substr(0, 12) + "\n");
  }
  return kExitOk;
}

int RunParam(const Invocation& inv) { return RunAssign(inv, "param"); }
int RunTag(const Invocation& inv) { return RunAssign(inv, "tag"); }

int RunEnd(const Invocation& inv) {
  if (inv.args.positionals().size() != 1) return inv.UsageError("expected one run id");
  auto status = track::ParseRunStatus(inv.args.Get("status").value_or("finished"));
  if (!status.ok() || *status == track::RunStatus::kRunning) {
    return inv.UsageError("--status must be finished or failed");
  }
  std::optional<int64_t> exit_code;
  if (auto e = inv.args.Get("exit-code")) {
    auto n = ParseIntFlag("exit-code", *e, -1024, 1024);
    if (!n.ok()) return inv.UsageError(n.status().message());
    exit_code = *n;
  }
  std::unique_ptr<Workspace> ws;
  std::string id;
  if (int rc = OpenRun(inv, &ws, &id); rc != kExitOk) return rc;
  Status st = track::EndRun(*ws, id, *status, exit_code);
  if (!st.ok()) return inv.Fail(st);
  auto run = track::GetRun(*ws, id);
  if (!run.ok()) return inv.Fail(run.status());
  if (inv.json) {
    JsonWriter j;
    RunJson(*run, &j);
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out,
          "run " + id.substr(0, 12) + " " + std::string(track::RunStatusName(run->status)) + "\n");
  }
  return kExitOk;
}

int RunShow(const Invocation& inv) {
  if (inv.args.positionals().size() != 1) return inv.UsageError("expected one run id");
  std::unique_ptr<Workspace> ws;
  std::string id;
  if (int rc = OpenRun(inv, &ws, &id); rc != kExitOk) return rc;
  auto run = track::GetRun(*ws, id);
  if (!run.ok()) return inv.Fail(run.status());
  auto artifacts = track::ListArtifacts(*ws, id);
  if (!artifacts.ok()) return inv.Fail(artifacts.status());
  if (inv.json) {
    JsonWriter j;
    RunJson(*run, &j, &*artifacts);
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, RunText(*run, *artifacts));
  }
  return kExitOk;
}

int RunList(const Invocation& inv) {
  if (!inv.args.positionals().empty()) return inv.UsageError("expected no arguments");
  track::ListOptions o;
  o.where = inv.args.Get("where").value_or("");
  o.sort = inv.args.Get("sort").value_or("");
  if (auto l = inv.args.Get("limit")) {
    auto n = ParseIntFlag("limit", *l, 1, std::numeric_limits<int64_t>::max());
    if (!n.ok()) return inv.UsageError(n.status().message());
    o.limit = *n;
  }
  auto ws = Workspace::Open();
  if (!ws.ok()) return inv.Fail(ws.status());
  auto t = track::ListRuns(**ws, o);
  if (!t.ok()) return inv.Fail(t.status());
  if (inv.json) {
    JsonWriter j;
    j.BeginArray();
    for (int64_t row = 0; row < t->num_rows(); ++row) {
      j.BeginObject();
      for (int c = 0; c < t->num_columns(); ++c) {
        j.Key(t->schema().field(c).name);
        j.ColumnValue(t->column(c), row);
      }
      j.EndObject();
    }
    j.EndArray();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  // Text: the short id, then every column but the full id, snapshot and end time.
  std::vector<std::string> header = {"id"};
  std::vector<int> shown;
  for (int c = 0; c < t->num_columns(); ++c) {
    const std::string& name = t->schema().field(c).name;
    if (name == "id" || name == "snapshot_id" || name == "ended_at") continue;
    header.push_back(name);
    shown.push_back(c);
  }
  std::vector<std::vector<std::string>> cells;
  const table::Column* ids = t->ColumnByName("id");
  for (int64_t row = 0; row < t->num_rows(); ++row) {
    std::vector<std::string> line = {std::string(ids->String(row).substr(0, 12))};
    for (int c : shown) line.push_back(DisplayCell(t->column(c).Format(row, "-"), 32));
    cells.push_back(std::move(line));
  }
  Write(inv.out, FormatTextTable(header, cells));
  return kExitOk;
}

int RunArtifact(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 2) return inv.UsageError("expected a run id and a file");
  const std::string& path = pos[1];
  std::string name = inv.args.Get("name").value_or("");
  if (name.empty()) name = std::filesystem::path(path).filename().string();
  if (Status st = track::CheckArtifactName(name); !st.ok()) return inv.UsageError(st.message());
  std::unique_ptr<Workspace> ws;
  std::string id;
  if (int rc = OpenRun(inv, &ws, &id); rc != kExitOk) return rc;
  auto a = track::LogArtifactFile(*ws, id, name, path);
  if (!a.ok()) return inv.Fail(a.status());
  if (inv.json) {
    JsonWriter j;
    ArtifactJson(*a, &j);
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out,
          a->name + "  " + std::to_string(a->size) + " bytes  sha256 " + a->blob_id + "\n");
  }
  return kExitOk;
}

int RunArtifacts(const Invocation& inv) {
  if (inv.args.positionals().size() != 1) return inv.UsageError("expected one run id");
  std::unique_ptr<Workspace> ws;
  std::string id;
  if (int rc = OpenRun(inv, &ws, &id); rc != kExitOk) return rc;
  auto artifacts = track::ListArtifacts(*ws, id);
  if (!artifacts.ok()) return inv.Fail(artifacts.status());
  if (inv.json) {
    JsonWriter j;
    j.BeginArray();
    for (const auto& a : *artifacts) ArtifactJson(a, &j);
    j.EndArray();
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, ArtifactTable(*artifacts));
  }
  return kExitOk;
}

int RunGet(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 2) return inv.UsageError("expected a run id and an artifact name");
  const std::string& name = pos[1];
  const std::string dest = inv.args.Get("output").value_or(name);
  std::unique_ptr<Workspace> ws;
  std::string id;
  if (int rc = OpenRun(inv, &ws, &id); rc != kExitOk) return rc;
  auto a = track::GetArtifact(*ws, id, name);
  if (!a.ok()) return inv.Fail(a.status());
  if (Status st = track::ExportArtifact(*ws, id, name, dest); !st.ok()) return inv.Fail(st);
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("run");
    j.String(id);
    j.Key("name");
    j.String(a->name);
    j.Key("output");
    j.String(dest);
    j.Key("size");
    j.Int(a->size);
    j.Key("sha256");
    j.String(a->blob_id);
    j.EndObject();
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, "wrote " + dest + " (" + std::to_string(a->size) + " bytes, sha256 verified)\n");
  }
  return kExitOk;
}

// "0.42s", "12.3s", "4m05s", "2h03m10s".
std::string Duration(int64_t micros) {
  const double seconds = static_cast<double>(micros) / 1e6;
  char buf[64];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, seconds < 10 ? "%.2fs" : "%.1fs", seconds);
    return buf;
  }
  const int64_t s = micros / 1'000'000;
  if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  }
  return buf;
}

int RunCompare(const Invocation& inv) {
  const auto& refs = inv.args.positionals();
  if (refs.size() < 2) return inv.UsageError("expected two or more run ids");
  auto ws = Workspace::Open();
  if (!ws.ok()) return inv.Fail(ws.status());
  auto c = track::CompareRuns(**ws, refs);
  if (!c.ok()) return inv.Fail(c.status());
  const int64_t now = NowMicros();
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("runs");
    j.BeginArray();
    for (const auto& r : c->runs) {
      j.BeginObject();
      j.Key("id");
      j.String(r.id);
      j.Key("name");
      j.String(r.name);
      j.Key("status");
      j.String(track::RunStatusName(r.status));
      j.Key("exit_code");
      if (r.exit_code) {
        j.Int(*r.exit_code);
      } else {
        j.Null();
      }
      j.Key("snapshot_id");
      if (r.snapshot_id.empty()) {
        j.Null();
      } else {
        j.String(r.snapshot_id);
      }
      j.Key("created_at");
      j.String(Time(r.created_at));
      j.Key("ended_at");
      if (r.ended_at) {
        j.String(Time(*r.ended_at));
      } else {
        j.Null();
      }
      j.Key("duration_seconds");
      j.Double(static_cast<double>(*track::RunDurationMicros(r, now)) / 1e6);
      j.EndObject();
    }
    j.EndArray();
    j.Key("params");
    j.BeginArray();
    for (const auto& p : c->params) {
      j.BeginObject();
      j.Key("key");
      j.String(p.key);
      j.Key("differs");
      j.Bool(p.differs);
      j.Key("values");
      j.BeginArray();
      for (const auto& v : p.values) {
        if (v) {
          j.String(*v);
        } else {
          j.Null();
        }
      }
      j.EndArray();
      j.EndObject();
    }
    j.EndArray();
    j.Key("metrics");
    j.BeginArray();
    for (const auto& m : c->metrics) {
      j.BeginObject();
      j.Key("key");
      j.String(m.key);
      j.Key("differs");
      j.Bool(m.differs);
      j.Key("latest");
      j.BeginArray();
      for (const auto& p : m.latest) {
        if (!p) {
          j.Null();
          continue;
        }
        j.BeginObject();
        j.Key("step");
        j.Int(p->step);
        j.Key("value");
        j.Double(p->value);
        j.EndObject();
      }
      j.EndArray();
      j.EndObject();
    }
    j.EndArray();
    j.EndObject();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  // Text: one column per run; a '*' in front of a param or metric whose values differ.
  std::vector<std::string> header = {""};
  for (const auto& r : c->runs) header.push_back(r.id.substr(0, 12));
  std::vector<std::vector<std::string>> cells;
  auto row = [&](std::string label, auto&& cell) {
    std::vector<std::string> line = {std::move(label)};
    for (size_t i = 0; i < c->runs.size(); ++i) line.push_back(cell(i));
    cells.push_back(std::move(line));
  };
  row("name", [&](size_t i) { return DisplayCell(c->runs[i].name, 32); });
  row("status", [&](size_t i) {
    const auto& r = c->runs[i];
    std::string s(track::RunStatusName(r.status));
    if (r.exit_code) s += " (" + std::to_string(*r.exit_code) + ")";
    return s;
  });
  row("duration", [&](size_t i) {
    const auto& r = c->runs[i];
    return Duration(*track::RunDurationMicros(r, now)) + (r.ended_at ? "" : " so far");
  });
  row("snapshot", [&](size_t i) {
    const auto& id = c->runs[i].snapshot_id;
    return id.empty() ? std::string("-") : id.substr(0, 12);
  });
  if (!c->params.empty()) row("params:", [](size_t) { return std::string(); });
  for (const auto& p : c->params) {
    row((p.differs ? "* " : "  ") + p.key,
        [&](size_t i) { return p.values[i] ? DisplayCell(*p.values[i], 32) : std::string("-"); });
  }
  if (!c->metrics.empty()) row("metrics (latest @ step):", [](size_t) { return std::string(); });
  for (const auto& m : c->metrics) {
    row((m.differs ? "* " : "  ") + m.key, [&](size_t i) {
      const auto& p = m.latest[i];
      return p ? Number(p->value) + " @" + std::to_string(p->step) : std::string("-");
    });
  }
  Write(inv.out, FormatTextTable(header, cells));
  return kExitOk;
}

}  // namespace

std::vector<Command> RunCommands() {
  std::vector<Command> c;
  c.push_back(
      {"run",
       "start",
       "start a tracked run and print its id",
       "",
       "Records the params, tags, the snapshot trained on and the environment (OS, CPU, cairn "
       "version, git commit and dirty state, CAIRN_* and CUDA_VISIBLE_DEVICES). With --pid (say "
       "--pid $$ in a training script) the run belongs to that process: if it is gone while the "
       "run is still running, the run is shown as failed.",
       {{"name", 0, true, false, "NAME", "a name for the run"},
        {"snapshot", 0, true, false, "ID", "the snapshot the run trains on (id or prefix)"},
        {"param", 0, true, true, "KEY=VALUE", "a param (repeatable)"},
        {"tag", 0, true, true, "KEY=VALUE", "a tag (repeatable)"},
        {"pid", 0, true, false, "N", "the process the run belongs to (default: none)"}},
       RunStart});
  c.push_back({"run",
               "log",
               "append metric points to a run",
               "RUN",
               "--file reads JSON Lines of {\"key\": \"val_f1\", \"value\": 0.81, \"step\": 3}. "
               "All points are written in one transaction, or none.",
               {{"metric", 'm', true, true, "KEY=VALUE", "a metric value (repeatable)"},
                {"step", 0, true, false, "N", "the step of the --metric values (default 0)"},
                {"file", 'f', true, false, "FILE", "JSON Lines of metric points"}},
               RunLog});
  c.push_back({"run",
               "param",
               "set params of a run",
               "RUN KEY=VALUE...",
               "Params are immutable: setting one again to another value is an error.",
               {},
               RunParam});
  c.push_back({"run", "tag", "set or change tags of a run", "RUN KEY=VALUE...", "", {}, RunTag});
  c.push_back({"run",
               "end",
               "mark a run finished or failed",
               "RUN",
               "",
               {{"status", 0, true, false, "finished|failed", "how it ended (default finished)"},
                {"exit-code", 0, true, false, "N", "the training process's exit code"}},
               RunEnd});
  c.push_back({"run",
               "show",
               "show a run: params, tags, metrics, environment, artifacts",
               "RUN",
               "",
               {},
               RunShow});
  c.push_back(
      {"run",
       "list",
       "list runs, newest first",
       "",
       "Columns: id, name, status, snapshot_id, created_at, ended_at, params.<key>, "
       "metrics.<key> (the value at the highest step), tags.<key>. --where takes the filter "
       "language of docs/filter.md over these columns; --sort a column, '-' in front for "
       "descending (nulls last).",
       {{"where", 'w', true, false, "EXPR",
         "filter, e.g. \"params.lr < 0.1 and metrics.f1 > 0.8\""},
        {"sort", 0, true, false, "[-]COLUMN", "sort by a column"},
        {"limit", 'n', true, false, "N", "at most N runs"}},
       RunList});
  c.push_back({"run",
               "artifact",
               "store a file as an artifact of a run",
               "RUN FILE",
               "The content is stored once, named by its SHA-256. Storing the same content under "
               "the same name again does nothing; other content under a name already taken is an "
               "error. Prints the name, the size in bytes and the SHA-256.",
               {{"name", 0, true, false, "NAME",
                 "the artifact's name, a relative path (default: the file's base name)"}},
               RunArtifact});
  c.push_back({"run", "artifacts", "list the artifacts of a run", "RUN", "", {}, RunArtifacts});
  c.push_back({"run",
               "get",
               "write an artifact of a run to a file, verified",
               "RUN NAME",
               "The content is checked against its SHA-256 before the file appears; damaged "
               "content is an error (exit 1) and leaves no file.",
               {{"output", 'o', true, false, "PATH", "where to write (default: ./NAME)"}},
               RunGet});
  c.push_back({"run",
               "compare",
               "compare runs side by side: params, latest metrics, status",
               "RUN RUN [RUN...]",
               "Params and metrics whose values are not the same in every run are marked with "
               "'*' (a missing value counts as different). A metric's value is the one at its "
               "highest step, the latest logged on ties.",
               {},
               RunCompare});
  return c;
}

}  // namespace cairn::cli
