// Benchmarks of run tracking (bench/run-track.sh drives it):
//
//   track_bench generate DIR RUNS [CATALOG]   a workspace at DIR with RUNS runs of 20 params,
//                                             10 metrics of 3 steps each and 2 tags, written
//                                             by SQL in large transactions
//   track_bench list DIR ENGINE REPEAT LIMIT SORT WHERE [CATALOG]
//                                             times ListRuns (ENGINE: sql or memory) REPEAT
//                                             times; SORT and WHERE may be "" (none)
//   track_bench log DIR POINTS BATCH [CATALOG] [LAYOUT]
//                                             times logging POINTS points over 10 keys in
//                                             batches of BATCH points on a new run. LAYOUT
//                                             `chunks` (default): LogMetrics, packed chunks
//                                             (schema v8); `rows`: one run_metrics row per
//                                             point, as LogMetrics wrote them before v7
//                                             (multi-row INSERTs of 512 points, the latest
//                                             point of each key upserted), kept here to
//                                             compare
//
// Every command prints one line of JSON. Values are a counter-based hash of (run, key), so
// every generated catalog holds the same data.

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "catalog/catalog.h"
#include "data/workspace.h"
#include "table/column.h"
#include "table/table.h"
#include "track/runs.h"

namespace {

using cairn::catalog::Connection;
using cairn::catalog::Value;

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A uniform double in [0, 1) from (run, salt).
double Uniform(uint64_t run, uint64_t salt) {
  return static_cast<double>(Mix(run * 1000003ULL + salt) >> 11) * 0x1.0p-53;
}

std::string Hex32(uint64_t run) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016" PRIx64 "%016" PRIx64, Mix(run), Mix(run ^ 0xabcdefULL));
  return buf;
}

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

int Fail(const cairn::Status& s) {
  std::fprintf(stderr, "track_bench: %s\n", s.ToString().c_str());
  return 1;
}

std::unique_ptr<cairn::data::Workspace> OpenWs(const std::string& dir, const std::string& uri,
                                               bool init) {
  cairn::data::WorkspaceOptions o;
  o.home = dir;
  o.catalog_uri = uri;
  auto ws = init ? cairn::data::Workspace::Init(dir, o) : cairn::data::Workspace::Open(o);
  if (!ws.ok()) {
    Fail(ws.status());
    return nullptr;
  }
  return std::move(*ws);
}

// Runs multi-row INSERTs of `rows` (each a vector of values) into `head` ("INSERT INTO t (a,
// b) VALUES ").
cairn::Status InsertRows(Connection& c, const std::string& head,
                         const std::vector<std::vector<Value>>& rows) {
  constexpr size_t kPerStatement = 500;
  for (size_t begin = 0; begin < rows.size(); begin += kPerStatement) {
    const size_t end = std::min(rows.size(), begin + kPerStatement);
    std::string sql = head;
    std::vector<Value> args;
    for (size_t i = begin; i < end; ++i) {
      sql += i == begin ? "(" : ", (";
      for (size_t j = 0; j < rows[i].size(); ++j) sql += j == 0 ? "?" : ", ?";
      sql += ")";
      args.insert(args.end(), rows[i].begin(), rows[i].end());
    }
    CAIRN_RETURN_IF_ERROR(c.Execute(sql, args).status());
  }
  return cairn::Status::Ok();
}

int Generate(const std::string& dir, int64_t runs, const std::string& uri) {
  auto ws = OpenWs(dir, uri, true);
  if (!ws) return 1;
  Connection& c = ws->catalog();
  constexpr int64_t kPerTransaction = 2000;
  const int64_t base_time = 1700000000000000;  // 2023-11-14, microseconds
  for (int64_t first = 0; first < runs; first += kPerTransaction) {
    const int64_t last = std::min(runs, first + kPerTransaction);
    std::vector<std::vector<Value>> run_rows;
    std::vector<std::vector<Value>> param_rows;
    std::vector<std::vector<Value>> metric_rows;
    std::vector<std::vector<Value>> latest_rows;
    std::vector<std::vector<Value>> tag_rows;
    for (auto r = static_cast<uint64_t>(first); r < static_cast<uint64_t>(last); ++r) {
      const std::string id = Hex32(r);
      const int64_t created = base_time + static_cast<int64_t>(r) * 1000000;
      run_rows.push_back({Value::Text(id), Value::Text("run-" + std::to_string(r)),
                          Value::Text("finished"), Value::Null(), Value::Int64(created),
                          Value::Int64(created + 3600000000), Value::Int64(0), Value::Text("bench"),
                          Value::Int64(0), Value::Text("{}")});
      auto param = [&](const std::string& key, const std::string& value, const char* type) {
        param_rows.push_back({Value::Text(id), Value::Text(key), Value::Text(value),
                              Value::Text(type),
                              std::string_view(type) == "string"
                                  ? Value::Null()
                                  : Value::Double(std::strtod(value.c_str(), nullptr))});
      };
      // lr log-uniform in [1e-4, 1): `lr < 0.1` holds for 3/4 of the runs.
      param("lr", Fmt(std::pow(10.0, -4 + 4 * Uniform(r, 1))), "float64");
      param("batch_size", std::to_string(16 << (Mix(r * 7 + 2) % 5)), "int64");
      param("epochs", std::to_string(10 + Mix(r * 7 + 3) % 90), "int64");
      param("optimizer", Mix(r * 7 + 4) % 2 == 0 ? "adam" : "sgd", "string");
      for (int k = 4; k < 20; ++k) {
        char key[16];
        std::snprintf(key, sizeof key, "p%02d", k);
        param(key, Fmt(Uniform(r, 100 + static_cast<uint64_t>(k))), "float64");
      }
      for (int k = 0; k < 10; ++k) {
        char key[16];
        if (k == 0) {
          std::snprintf(key, sizeof key, "val_f1");
        } else {
          std::snprintf(key, sizeof key, "m%02d", k);
        }
        double value = 0;
        for (int step = 0; step < 3; ++step) {
          // val_f1 ends uniform in [0.5, 0.95): `> 0.8` holds for 1/3 of the runs.
          value = (0.5 + 0.45 * Uniform(r, 200 + static_cast<uint64_t>(k))) * (0.8 + 0.1 * step);
          metric_rows.push_back({Value::Text(id), Value::Text(key), Value::Int64(step),
                                 Value::Double(value), Value::Int64(created + step)});
        }
        latest_rows.push_back({Value::Text(id), Value::Text(key), Value::Int64(2),
                               Value::Double(value), Value::Int64(created + 2)});
      }
      tag_rows.push_back({Value::Text(id), Value::Text("team"),
                          Value::Text(Mix(r * 7 + 5) % 3 == 0 ? "ranking" : "perception")});
      tag_rows.push_back({Value::Text(id), Value::Text("dataset"),
                          Value::Text("road_facing_v" + std::to_string(Mix(r * 7 + 6) % 8))});
    }
    cairn::Status st = cairn::catalog::RunInTransaction(c, [&](Connection& t) -> cairn::Status {
      CAIRN_RETURN_IF_ERROR(InsertRows(t,
                                       "INSERT INTO runs (id, name, status, snapshot_id, "
                                       "created_at, ended_at, exit_code, host, pid, environment) "
                                       "VALUES ",
                                       run_rows));
      CAIRN_RETURN_IF_ERROR(InsertRows(
          t, "INSERT INTO run_params (run_id, key, value, type, number) VALUES ", param_rows));
      CAIRN_RETURN_IF_ERROR(InsertRows(
          t, "INSERT INTO run_metrics (run_id, key, step, value, logged_at) VALUES ", metric_rows));
      CAIRN_RETURN_IF_ERROR(InsertRows(
          t, "INSERT INTO run_latest_metrics (run_id, key, step, value, logged_at) VALUES ",
          latest_rows));
      return InsertRows(t, "INSERT INTO run_tags (run_id, key, value) VALUES ", tag_rows);
    });
    if (!st.ok()) return Fail(st);
  }
  if (c.backend() == cairn::catalog::Backend::kPostgres) {
    if (auto st = c.Execute("ANALYZE"); !st.ok()) return Fail(st.status());
  }
  std::printf("{\"runs\": %" PRId64 "}\n", runs);
  return 0;
}

// The nearest-rank percentile `p` (0 < p <= 1) of `v`.
double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int List(const std::string& dir, const std::string& engine, int repeat, int64_t limit,
         const std::string& sort, const std::string& where, const std::string& uri) {
  auto ws = OpenWs(dir, uri, false);
  if (!ws) return 1;
  cairn::track::ListOptions o;
  o.where = where;
  o.sort = sort;
  o.limit = limit;
  o.engine =
      engine == "memory" ? cairn::track::ListEngine::kInMemory : cairn::track::ListEngine::kSql;
  std::vector<double> ms;
  int64_t rows = 0;
  // A fingerprint of the whole table (every cell, in order), to check that the engines agree.
  uint64_t fingerprint = 0;
  for (int i = 0; i < repeat; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto t = cairn::track::ListRuns(*ws, o);
    ms.push_back(1000 * SecondsSince(t0));
    if (!t.ok()) return Fail(t.status());
    rows = t->num_rows();
    fingerprint = 0;
    for (int col = 0; col < t->num_columns(); ++col) {
      const cairn::table::Column& column = t->column(col);
      for (int64_t row = 0; row < rows; ++row) {
        const std::string cell = column.Format(row, "null");
        fingerprint =
            Mix(fingerprint ^ std::hash<std::string>{}(t->schema().field(col).name + "=" + cell));
      }
    }
  }
  std::printf("{\"engine\": \"%s\", \"rows\": %" PRId64 ", \"fingerprint\": \"%016" PRIx64
              "\", \"min_ms\": %.3f, \"p50_ms\": %.3f, \"p95_ms\": %.3f}\n",
              engine.c_str(), rows, fingerprint, *std::min_element(ms.begin(), ms.end()),
              Percentile(ms, 0.5), Percentile(ms, 0.95));
  return 0;
}

// Writes `points` of run `ref` the way LogMetrics did before schema v8: the run id resolved,
// then one run_metrics row per point with multi-row INSERTs of 512 rows (run id and time
// written into the statement) and each key's latest point upserted into run_latest_metrics,
// in one transaction.
cairn::Status LogRows(cairn::data::Workspace& ws, const std::string& ref,
                      const std::vector<cairn::track::MetricPoint>& points) {
  constexpr size_t kRowsPerInsert = 512;
  CAIRN_ASSIGN_OR_RETURN(std::string id, cairn::track::ResolveRunId(ws, ref));
  const int64_t now = cairn::NowMicros();
  return cairn::catalog::RunInTransaction(ws.catalog(), [&](Connection& t) -> cairn::Status {
    const std::string row = "('" + id + "', ?, ?, ?, " + std::to_string(now) + ")";
    auto statement = [&](size_t rows) {
      std::string sql = "INSERT INTO run_metrics (run_id, key, step, value, logged_at) VALUES ";
      for (size_t i = 0; i < rows; ++i) sql += (i > 0 ? ", " : "") + row;
      return sql;
    };
    const std::string full = statement(kRowsPerInsert);
    std::vector<Value> args;
    for (size_t begin = 0; begin < points.size(); begin += kRowsPerInsert) {
      const size_t end = std::min(points.size(), begin + kRowsPerInsert);
      args.clear();
      for (size_t i = begin; i < end; ++i) {
        args.push_back(Value::Text(points[i].key));
        args.push_back(Value::Int64(points[i].step));
        args.push_back(Value::Double(points[i].value));
      }
      CAIRN_RETURN_IF_ERROR(
          t.Execute(end - begin == kRowsPerInsert ? full : statement(end - begin), args).status());
    }
    std::map<std::string_view, const cairn::track::MetricPoint*> latest;
    for (const cairn::track::MetricPoint& p : points) {
      auto [it, inserted] = latest.emplace(p.key, &p);
      if (!inserted && p.step >= it->second->step) it->second = &p;
    }
    for (const auto& [key, p] : latest) {
      CAIRN_RETURN_IF_ERROR(
          t.Execute("INSERT INTO run_latest_metrics (run_id, key, step, value, logged_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET step = "
                    "excluded.step, value = excluded.value, logged_at = excluded.logged_at "
                    "WHERE excluded.step > run_latest_metrics.step OR (excluded.step = "
                    "run_latest_metrics.step AND excluded.logged_at >= "
                    "run_latest_metrics.logged_at)",
                    {Value::Text(id), Value::Text(p->key), Value::Int64(p->step),
                     Value::Double(p->value), Value::Int64(now)})
              .status());
    }
    return cairn::Status::Ok();
  });
}

int Log(const std::string& dir, int64_t points, int64_t batch, const std::string& uri,
        const std::string& layout) {
  if (layout != "chunks" && layout != "rows") {
    std::fprintf(stderr, "track_bench: layout '%s': expected chunks or rows\n", layout.c_str());
    return 2;
  }
  auto ws = OpenWs(dir, uri, false);
  if (!ws) return 1;
  cairn::track::StartOptions so;
  so.name = "log-bench";
  so.capture_environment = false;
  so.pid = -1;
  auto run = cairn::track::StartRun(*ws, so);
  if (!run.ok()) return Fail(run.status());
  std::vector<std::vector<cairn::track::MetricPoint>> batches;
  for (int64_t begin = 0; begin < points; begin += batch) {
    auto& part = batches.emplace_back();
    for (int64_t i = begin; i < std::min(points, begin + batch); ++i) {
      part.push_back(
          {"loss_" + std::to_string(i % 10), i / 10, 1.0 / static_cast<double>(i + 1), 0});
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& part : batches) {
    const cairn::Status st = layout == "rows" ? LogRows(*ws, run->id, part)
                                              : cairn::track::LogMetrics(*ws, run->id, part);
    if (!st.ok()) return Fail(st);
  }
  const double s = SecondsSince(t0);
  // Read back: the points and their sum must be the same in both layouts.
  const auto t1 = std::chrono::steady_clock::now();
  auto back = cairn::track::GetRun(*ws, run->id);
  const double read_s = SecondsSince(t1);
  if (!back.ok()) return Fail(back.status());
  double sum = 0;
  for (const auto& p : back->metrics) sum += p.value;
  std::printf("{\"layout\": \"%s\", \"points\": %" PRId64 ", \"batch\": %" PRId64
              ", \"seconds\": %.3f, \"points_per_s\": %.0f, \"read_points\": %zu, "
              "\"read_seconds\": %.3f, \"sum\": %.17g}\n",
              layout.c_str(), points, batch, s, static_cast<double>(points) / s,
              back->metrics.size(), read_s, sum);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() >= 3 && a[0] == "generate") {
    return Generate(a[1], std::atoll(a[2].c_str()), a.size() > 3 ? a[3] : "");
  }
  if (a.size() >= 7 && a[0] == "list") {
    return List(a[1], a[2], std::atoi(a[3].c_str()), std::atoll(a[4].c_str()), a[5], a[6],
                a.size() > 7 ? a[7] : "");
  }
  if (a.size() >= 4 && a[0] == "log") {
    return Log(a[1], std::atoll(a[2].c_str()), std::atoll(a[3].c_str()), a.size() > 4 ? a[4] : "",
               a.size() > 5 ? a[5] : "chunks");
  }
  std::fprintf(stderr,
               "usage: track_bench generate DIR RUNS [CATALOG]\n"
               "       track_bench list DIR sql|memory REPEAT LIMIT SORT WHERE [CATALOG]\n"
               "       track_bench log DIR POINTS BATCH [CATALOG] [chunks|rows]\n");
  return 2;
}
