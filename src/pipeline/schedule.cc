#include "pipeline/schedule.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "base/hash.h"
#include "base/time.h"
#include "pipeline/subscriptions.h"

namespace cairn::pipeline {

namespace {

using catalog::Connection;
using catalog::QueryResult;
using catalog::Value;

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

std::vector<Value> ClaimKey(const std::string& pipeline, const Window& w) {
  return {Value::Text(pipeline), Value::Int64(w.start), Value::Int64(w.end)};
}

std::string WindowName(const Window& w) {
  if (w.start == -1) return "trigger " + std::to_string(w.end);
  if (w.start == w.end) return "fire time " + FormatTimestamp(w.start, 6);
  return "window " + FormatTimestamp(w.start, 6) + ".." + FormatTimestamp(w.end, 6);
}

// Whether a running claim's holder is gone: a stale heartbeat, or a process that no longer
// exists on this host.
bool HolderDied(const std::string& host, int64_t pid, int64_t heartbeat_at, int64_t now,
                const ClaimOptions& options) {
  if (heartbeat_at < now - options.stale_after_micros) return true;
  return host == HostName() && pid > 0 && pid != ::getpid() &&
         ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

std::vector<Window> DueWindows(const ScheduleSpec& spec, int64_t now, std::optional<int64_t> until,
                               size_t limit) {
  const int64_t horizon = until ? std::min(now, *until) : now;
  const bool none = spec.window == ScheduleSpec::WindowKind::kNone;
  std::vector<Window> out;
  if (spec.catchup) {
    std::optional<int64_t> f = spec.cron.Next(spec.start.value_or(horizon) - 1);
    while (f && out.size() < limit) {
      if (none) {
        if (*f > horizon) break;
        out.push_back({*f, *f});
        f = spec.cron.Next(*f);
        continue;
      }
      const std::optional<int64_t> g = spec.cron.Next(*f);
      if (!g || *g > horizon) break;
      out.push_back({*f, *g});
      f = g;
    }
    return out;
  }
  const std::optional<int64_t> b = spec.cron.Previous(horizon + 1);
  if (!b || limit == 0) return out;
  if (none) {
    if (!spec.start || *b >= *spec.start) out.push_back({*b, *b});
    return out;
  }
  const std::optional<int64_t> a = spec.cron.Previous(*b);
  if (a && (!spec.start || *a >= *spec.start)) out.push_back({*a, *b});
  return out;
}

std::string ThisClaimant() { return HostName() + ":" + std::to_string(::getpid()); }

Result<bool> ClaimWindow(Connection& conn, const std::string& pipeline, const Window& window,
                         const ClaimOptions& options) {
  bool claimed = false;
  const auto lock_key = static_cast<int64_t>(Xxh3("pipeline_schedule_claims\n" + pipeline));
  Status st = catalog::RunInTransaction(conn, [&](Connection& c) -> Status {
    claimed = false;
    CAIRN_RETURN_IF_ERROR(c.LockTransaction(lock_key));
    const int64_t now = NowMicros();
    CAIRN_ASSIGN_OR_RETURN(
        QueryResult r,
        c.Query("SELECT status, host, pid, heartbeat_at FROM pipeline_schedule_claims WHERE "
                "pipeline = ? AND window_start = ? AND window_end = ?",
                ClaimKey(pipeline, window)));
    std::vector<Value> holder = {Value::Text(ThisClaimant()), Value::Text(HostName()),
                                 Value::Int64(::getpid()), Value::Int64(now), Value::Int64(now)};
    if (r.rows.empty()) {
      std::vector<Value> params = ClaimKey(pipeline, window);
      params.insert(params.end(), holder.begin(), holder.end());
      CAIRN_RETURN_IF_ERROR(
          c.Execute("INSERT INTO pipeline_schedule_claims (pipeline, window_start, window_end, "
                    "status, claimant, host, pid, claimed_at, heartbeat_at) VALUES (?, ?, ?, "
                    "'running', ?, ?, ?, ?, ?)",
                    params)
              .status());
      claimed = true;
      return Status::Ok();
    }
    const std::string& status = r.rows[0][0].bytes();
    const bool take = (status == "failed" && options.retry_failed) ||
                      (status == "running" && HolderDied(r.rows[0][1].bytes(), r.rows[0][2].int64(),
                                                         r.rows[0][3].int64(), now, options));
    if (!take) return Status::Ok();
    std::vector<Value> params = holder;
    const std::vector<Value> key = ClaimKey(pipeline, window);
    params.insert(params.end(), key.begin(), key.end());
    CAIRN_RETURN_IF_ERROR(
        c.Execute("UPDATE pipeline_schedule_claims SET status = 'running', claimant = ?, host = "
                  "?, pid = ?, claimed_at = ?, heartbeat_at = ?, attempts = attempts + 1, run_id "
                  "= '' WHERE pipeline = ? AND window_start = ? AND window_end = ?",
                  params)
            .status());
    claimed = true;
    return Status::Ok();
  });
  if (!st.ok()) return st.WithPrefix("pipeline " + pipeline + ": claiming " + WindowName(window));
  return claimed;
}

Status HeartbeatClaim(Connection& conn, const std::string& pipeline, const Window& window) {
  std::vector<Value> params = {Value::Int64(NowMicros())};
  for (Value& v : ClaimKey(pipeline, window)) params.push_back(std::move(v));
  params.push_back(Value::Text(ThisClaimant()));
  CAIRN_ASSIGN_OR_RETURN(int64_t n,
                         conn.Execute("UPDATE pipeline_schedule_claims SET heartbeat_at = ? WHERE "
                                      "pipeline = ? AND window_start = ? AND window_end = ? AND "
                                      "claimant = ? AND status = 'running'",
                                      params));
  if (n == 0) {
    return Status::NotFound("pipeline " + pipeline + ": " + WindowName(window) +
                            " is no longer claimed by " + ThisClaimant());
  }
  return Status::Ok();
}

Status FinishClaim(Connection& conn, const std::string& pipeline, const Window& window,
                   std::string_view status, const std::string& run_id) {
  std::vector<Value> params = {Value::Text(std::string(status)), Value::Text(run_id),
                               Value::Int64(NowMicros())};
  for (Value& v : ClaimKey(pipeline, window)) params.push_back(std::move(v));
  params.push_back(Value::Text(ThisClaimant()));
  return conn
      .Execute(
          "UPDATE pipeline_schedule_claims SET status = ?, run_id = ?, heartbeat_at = ? "
          "WHERE pipeline = ? AND window_start = ? AND window_end = ? AND claimant = ?",
          params)
      .status()
      .WithPrefix("pipeline " + pipeline + ": recording how " + WindowName(window) + " ended");
}

Result<std::vector<ClaimRecord>> ListClaims(Connection& conn, const std::string& pipeline) {
  std::string sql =
      "SELECT pipeline, window_start, window_end, status, claimant, host, pid, claimed_at, "
      "heartbeat_at, attempts, run_id FROM pipeline_schedule_claims";
  std::vector<Value> params;
  if (!pipeline.empty()) {
    sql += " WHERE pipeline = ?";
    params.push_back(Value::Text(pipeline));
  }
  sql += " ORDER BY pipeline, window_start, window_end";
  CAIRN_ASSIGN_OR_RETURN(QueryResult r, conn.Query(sql, params));
  std::vector<ClaimRecord> out;
  out.reserve(r.rows.size());
  for (const catalog::Row& row : r.rows) {
    ClaimRecord c;
    c.pipeline = row[0].bytes();
    c.window = {row[1].int64(), row[2].int64()};
    c.status = row[3].bytes();
    c.claimant = row[4].bytes();
    c.host = row[5].bytes();
    c.pid = row[6].int64();
    c.claimed_at = row[7].int64();
    c.heartbeat_at = row[8].int64();
    c.attempts = row[9].int64();
    c.run_id = row[10].bytes();
    out.push_back(std::move(c));
  }
  return out;
}

namespace {

class ScheduleLoop {
 public:
  ScheduleLoop(data::Workspace& ws, const std::vector<Pipeline>& pipelines, Executor& executor,
               const ScheduleOptions& options)
      : ws_(ws), pipelines_(pipelines), executor_(executor), o_(options) {}

  Result<ScheduleReport> Run() {
    for (const Pipeline& p : pipelines_) {
      if (!p.schedule && !Subscribes(p)) {
        return Status::InvalidArgument(p.file + ": pipeline " + p.name +
                                       " has neither a 'schedule' nor a stage with 'subscribe'");
      }
    }
    while (true) {
      const int64_t now = Now();
      for (const Pipeline& p : pipelines_) {
        if (p.schedule) {
          CAIRN_RETURN_IF_ERROR(RunDueWindows(p, now));
        } else {
          CAIRN_RETURN_IF_ERROR(RunIfNewCommits(p));
        }
      }
      if (o_.once) break;
      const int64_t after = Now();
      std::optional<int64_t> wake;
      for (const Pipeline& p : pipelines_) {
        std::optional<int64_t> t = p.schedule ? p.schedule->cron.Next(after)
                                              : std::optional<int64_t>(after + o_.poll_micros);
        if (t && (!wake || *t < *wake)) wake = t;
      }
      if (!wake || (o_.until && *wake > *o_.until)) break;
      Log("sleeping until " + FormatTimestamp(*wake, 6));
      Sleep(*wake - after);
    }
    return report_;
  }

 private:
  static bool Subscribes(const Pipeline& p) {
    return std::any_of(p.stages.begin(), p.stages.end(),
                       [](const Stage& s) { return !s.subscribe.empty(); });
  }

  int64_t Now() const { return o_.now ? o_.now() : NowMicros(); }

  void Sleep(int64_t micros) const {
    if (micros <= 0) return;
    if (o_.sleep) {
      o_.sleep(micros);
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(micros));
    }
  }

  void Log(const std::string& line) const {
    if (o_.log) o_.log(line);
  }

  Status RunDueWindows(const Pipeline& p, int64_t now) {
    // Windows already settled are passed over without a transaction each.
    CAIRN_ASSIGN_OR_RETURN(std::vector<ClaimRecord> claims, ListClaims(ws_.catalog(), p.name));
    std::set<std::pair<int64_t, int64_t>> settled;
    for (const ClaimRecord& c : claims) {
      if (c.status == "succeeded" || (c.status == "failed" && !o_.claim.retry_failed)) {
        settled.insert({c.window.start, c.window.end});
      }
    }
    for (const Window& w : DueWindows(*p.schedule, now, o_.until)) {
      if (settled.count({w.start, w.end}) != 0) continue;
      std::optional<Window> run_window;
      if (p.schedule->window == ScheduleSpec::WindowKind::kPrevious) run_window = w;
      CAIRN_RETURN_IF_ERROR(ClaimAndRun(p, w, run_window));
    }
    return Status::Ok();
  }

  Status RunIfNewCommits(const Pipeline& p) {
    std::map<std::string, int64_t> heads;
    std::string pending;
    for (const Stage& s : p.stages) {
      if (s.subscribe.empty()) continue;
      auto d = PendingDelivery(ws_.catalog(), p.name, s.name, s.subscribe);
      if (!d.ok()) {
        Log("pipeline " + p.name + ": " + d.status().message());
        continue;
      }
      if (d->has_new()) {
        heads[s.subscribe] = std::max(heads[s.subscribe], d->last_sequence);
        if (!pending.empty()) pending += ", ";
        pending += std::to_string(d->commits.size()) + " new commit(s) of '" + s.subscribe +
                   "' for stage '" + s.name + "'";
      }
    }
    if (heads.empty()) return Status::Ok();
    // Every dataset a stage subscribes to counts toward the trigger's identity.
    int64_t sum = 0;
    for (const Stage& s : p.stages) {
      if (s.subscribe.empty() || heads.count(s.subscribe) != 0) continue;
      CAIRN_ASSIGN_OR_RETURN(
          QueryResult r,
          ws_.catalog().Query("SELECT COALESCE(MAX(sequence), 0) FROM commits WHERE dataset = ?",
                              {Value::Text(s.subscribe)}));
      heads[s.subscribe] = r.rows.empty() ? 0 : r.rows[0][0].int64();
    }
    for (const auto& [dataset, head] : heads) sum += head;
    // A trigger that failed is not retried until a new commit arrives.
    if (auto it = tried_.find(p.name); it != tried_.end() && it->second == sum) {
      return Status::Ok();
    }
    tried_[p.name] = sum;
    Log("pipeline " + p.name + ": " + pending);
    return ClaimAndRun(p, Window{-1, sum}, std::nullopt);
  }

  Status ClaimAndRun(const Pipeline& p, const Window& claim,
                     const std::optional<Window>& run_window) {
    const std::string what = "pipeline " + p.name + ": " + WindowName(claim);
    CAIRN_ASSIGN_OR_RETURN(bool claimed, ClaimWindow(ws_.catalog(), p.name, claim, o_.claim));
    if (!claimed) {
      ++report_.skipped_claimed;
      Log(what + ": claimed by another scheduler or done; skipped");
      return Status::Ok();
    }
    Log(what + ": running");
    // The heartbeat is written on its own connection from another thread while the run
    // uses the workspace's.
    std::mutex mu;
    std::condition_variable cv;
    bool stop = false;
    std::thread heartbeat([&] {
      auto conn = catalog::Connect(ws_.catalog_uri());
      if (!conn.ok()) {
        Log(what + ": no heartbeat: " + conn.status().message());
        return;
      }
      std::unique_lock<std::mutex> lock(mu);
      while (!cv.wait_for(lock, std::chrono::microseconds(o_.heartbeat_micros),
                          [&] { return stop; })) {
        lock.unlock();
        Status st = HeartbeatClaim(**conn, p.name, claim);
        if (!st.ok()) Log(what + ": heartbeat: " + st.message());
        lock.lock();
      }
    });
    RunOptions options = o_.run;
    options.window = run_window;
    auto report = RunPipeline(ws_, p, executor_, options);
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    cv.notify_all();
    heartbeat.join();
    ++report_.runs;
    std::string status = "failed";
    std::string run_id;
    if (!report.ok()) {
      Log(what + ": failed: " + report.status().message());
    } else {
      run_id = report->run.id;
      status = report->run.status;
      std::string line = what + ": run " + run_id + " " + status;
      if (!report->failed_stage.empty()) line += " (stage '" + report->failed_stage + "' failed)";
      Log(line);
    }
    if (status != "succeeded") ++report_.failed;
    return FinishClaim(ws_.catalog(), p.name, claim, status, run_id);
  }

  data::Workspace& ws_;
  const std::vector<Pipeline>& pipelines_;
  Executor& executor_;
  const ScheduleOptions& o_;
  ScheduleReport report_;
  // The last trigger claimed or attempted per pipeline.
  std::map<std::string, int64_t> tried_;
};

}  // namespace

Result<ScheduleReport> RunSchedule(data::Workspace& ws, const std::vector<Pipeline>& pipelines,
                                   Executor& executor, const ScheduleOptions& options) {
  ScheduleLoop loop(ws, pipelines, executor, options);
  return loop.Run();
}

}  // namespace cairn::pipeline
