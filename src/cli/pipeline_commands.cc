// `cairn pipeline run | status | show-runs | log | run-task`: pipelines of stages that skip
// work already done (docs/pipelines.md).

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"
#include "cli/command.h"
#include "cli/output.h"
#include "data/workspace.h"
#include "pipeline/executor.h"
#include "pipeline/records.h"
#include "pipeline/runner.h"
#include "pipeline/slurm_executor.h"
#include "pipeline/spec.h"

namespace cairn::cli {
namespace {

using data::Workspace;
using pipeline::StageOutcome;
using pipeline::StageStatus;

constexpr std::string_view kDefaultFile = "pipeline.yaml";

std::string Seconds(int64_t micros) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(micros) / 1e6);
  return buf;
}

std::string Time(int64_t micros) {
  int64_t secs = micros / 1000000;
  if (micros % 1000000 < 0) --secs;
  return FormatTimestamp(secs, 0);
}

std::string WindowText(const std::optional<pipeline::Window>& w) {
  if (!w) return "";
  return FormatTimestamp(w->start, 6) + ".." + FormatTimestamp(w->end, 6);
}

FlagSpec StartFlag() {
  return {"start-time", 0, true, false, "T", "window start (ISO 8601), ${start_time} in commands"};
}
FlagSpec EndFlag() {
  return {"end-time", 0, true, false, "T", "window end (ISO 8601), ${end_time} in commands"};
}

Result<std::optional<pipeline::Window>> ParseWindowFlags(const Invocation& inv) {
  auto start = inv.args.Get("start-time");
  auto end = inv.args.Get("end-time");
  if (!start && !end) return std::optional<pipeline::Window>();
  if (!start || !end) {
    return Status::InvalidArgument("--start-time and --end-time go together");
  }
  auto s = ParseTimestampMicros(*start);
  if (!s) return Status::InvalidArgument("--start-time: cannot parse '" + *start + "' as a time");
  auto e = ParseTimestampMicros(*end);
  if (!e) return Status::InvalidArgument("--end-time: cannot parse '" + *end + "' as a time");
  if (*e <= *s) return Status::InvalidArgument("--end-time must be after --start-time");
  return std::optional<pipeline::Window>(pipeline::Window{*s, *e});
}

Result<pipeline::Pipeline> Load(const std::string& file) { return pipeline::LoadPipeline(file); }

// Set by SIGINT or SIGTERM during a run on Slurm: the executor cancels the submitted jobs.
std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int /*signal*/) { g_interrupted.store(true); }

// Catches SIGINT and SIGTERM while it lives, restoring the previous handlers after.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted.store(false);
    struct sigaction sa = {};
    sa.sa_handler = OnInterrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
  }
  ~InterruptGuard() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction old_int_ = {};
  struct sigaction old_term_ = {};
};

void WriteOutcomeJson(JsonWriter& j, const StageOutcome& s) {
  j.BeginObject();
  j.Key("stage");
  j.String(s.stage);
  j.Key("status");
  j.String(std::string(pipeline::StageStatusName(s.status)));
  j.Key("reason");
  j.String(s.reason);
  j.Key("key");
  s.key.empty() ? j.Null() : j.String(s.key);
  j.Key("exit_code");
  s.exit_code ? j.Int(*s.exit_code) : j.Null();
  j.Key("seconds");
  j.Double(static_cast<double>(s.command_micros) / 1e6);
  j.EndObject();
}

std::string OutcomeLine(const StageOutcome& s) {
  std::string line = s.stage + ": " + std::string(pipeline::StageStatusName(s.status));
  if (s.status == StageStatus::kRan || s.status == StageStatus::kFailed) {
    line += " in " + Seconds(s.command_micros);
  }
  if (!s.reason.empty()) line += " (" + s.reason + ")";
  return line + "\n";
}

// Runs a pipeline (or one stage of it) and reports; shared by run and run-task.
int RunAndReport(const Invocation& inv, const std::string& file, pipeline::RunOptions options) {
  auto window = ParseWindowFlags(inv);
  if (!window.ok()) return inv.UsageError(window.status().message());
  options.window = *window;
  int jobs = 0;
  if (auto v = inv.args.Get("jobs")) {
    auto n = ParseIntFlag("jobs", *v, 0, 1024);
    if (!n.ok()) return inv.UsageError(n.status().message());
    jobs = static_cast<int>(*n);
  }
  const std::string kind = inv.args.Get("executor").value_or("local");
  if (kind != "local" && kind != "slurm") {
    return inv.UsageError("--executor: expected local or slurm, got '" + kind + "'");
  }
  int poll_ms = 500;
  if (auto v = inv.args.Get("slurm-poll-ms")) {
    auto n = ParseIntFlag("slurm-poll-ms", *v, 10, 600000);
    if (!n.ok()) return inv.UsageError(n.status().message());
    poll_ms = static_cast<int>(*n);
  }
  auto p = Load(file);
  if (!p.ok()) return inv.Fail(p.status());
  auto ws = Workspace::Open();
  if (!ws.ok()) return inv.Fail(ws.status());
  std::FILE* err = inv.err;
  std::FILE* out = inv.out;
  const bool json = inv.json;
  pipeline::LineSink sink = [err](std::string_view stage, bool, std::string_view line) {
    Write(err, std::string(stage) + " | " + std::string(line) + "\n");
    std::fflush(err);
  };
  std::unique_ptr<pipeline::Executor> executor;
  std::optional<InterruptGuard> interrupt_guard;
  if (kind == "slurm") {
    pipeline::SlurmOptions so;
    so.partition = inv.args.Get("slurm-partition").value_or("");
    so.poll_ms = poll_ms;
    so.sbatch_args = inv.args.GetAll("slurm-arg");
    if (jobs > 0) so.max_jobs = jobs;
    const std::string& root = (*ws)->root();
    so.job_dir = inv.args.Get("slurm-dir")
                     .value_or((root.empty() ? p->dir : root) + "/" +
                               std::string(data::kWorkspaceDir) + "/slurm");
    if (const char* path = std::getenv("PATH")) so.env.emplace_back("PATH", path);
    so.sink = sink;
    so.observer = [err](const std::string& stage, const std::string& job,
                        const std::string& state) {
      Write(err, stage + ": Slurm job " + job + " " + state + "\n");
      std::fflush(err);
    };
    so.interrupted = &g_interrupted;
    auto made = pipeline::MakeSlurmExecutor(std::move(so));
    if (!made.ok()) return inv.Fail(made.status());
    executor = std::move(*made);
    interrupt_guard.emplace();
  } else {
    executor = pipeline::MakeLocalExecutor(jobs, sink);
    options.on_start = [err](const std::string& stage) {
      Write(err, stage + ": running\n");
      std::fflush(err);
    };
  }
  options.on_stage = [out, err, json](const StageOutcome& s) {
    if (!s.note.empty()) Write(err, s.stage + ": " + s.note + "\n");
    if (!json) {
      Write(out, OutcomeLine(s));
      std::fflush(out);
    }
  };
  auto report = pipeline::RunPipeline(**ws, *p, *executor, options);
  if (!report.ok()) {
    if (report.status().code() == StatusCode::kInvalidArgument && !options.stages.empty() &&
        report.status().message().find("has no stage") != std::string::npos) {
      return inv.UsageError(report.status().message());
    }
    return inv.Fail(report.status());
  }
  std::map<StageStatus, int> counts;
  for (const StageOutcome& s : report->stages) ++counts[s.status];
  if (json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("run");
    j.String(report->run.id);
    j.Key("pipeline");
    j.String(p->name);
    j.Key("status");
    j.String(report->run.status);
    j.Key("window");
    report->run.window ? j.String(WindowText(report->run.window)) : j.Null();
    j.Key("stages");
    j.BeginArray();
    for (const StageOutcome& s : report->stages) WriteOutcomeJson(j, s);
    j.EndArray();
    j.EndObject();
    Write(out, j.str() + "\n");
  } else {
    Write(out, "pipeline " + p->name + ": run " + report->run.id + " " + report->run.status + ": " +
                   std::to_string(counts[StageStatus::kRan]) + " ran, " +
                   std::to_string(counts[StageStatus::kSkipped]) + " skipped, " +
                   std::to_string(counts[StageStatus::kRestored]) + " restored, " +
                   std::to_string(counts[StageStatus::kFailed]) + " failed, " +
                   std::to_string(counts[StageStatus::kNotRun]) + " not run\n");
  }
  if (!report->failed_stage.empty()) {
    std::string reason;
    for (const StageOutcome& s : report->stages) {
      if (s.stage == report->failed_stage) reason = s.reason;
    }
    Write(err, "cairn: error: stage '" + report->failed_stage + "' failed (" + reason +
                   "); its log: cairn pipeline log " + report->run.id.substr(0, 12) + " --stage " +
                   report->failed_stage + "\n");
    return kExitFailure;
  }
  return kExitOk;
}

int RunPipelineRun(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() > 1) return inv.UsageError("expected at most one pipeline file");
  pipeline::RunOptions o;
  o.stages = inv.args.GetAll("stage");
  o.force = inv.args.Has("force");
  return RunAndReport(inv, pos.empty() ? std::string(kDefaultFile) : pos[0], std::move(o));
}

int RunPipelineRunTask(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.empty() || pos.size() > 2) {
    return inv.UsageError("expected a stage name and at most one pipeline file");
  }
  pipeline::RunOptions o;
  o.stages = {pos[0]};
  o.only_named = true;
  o.force = inv.args.Has("force");
  return RunAndReport(inv, pos.size() > 1 ? pos[1] : std::string(kDefaultFile), std::move(o));
}

int RunPipelineStatus(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() > 1) return inv.UsageError("expected at most one pipeline file");
  auto window = ParseWindowFlags(inv);
  if (!window.ok()) return inv.UsageError(window.status().message());
  auto p = Load(pos.empty() ? std::string(kDefaultFile) : pos[0]);
  if (!p.ok()) return inv.Fail(p.status());
  auto ws = Workspace::Open();
  if (!ws.ok()) return inv.Fail(ws.status());
  auto states = pipeline::PipelineStatus(**ws, *p, *window);
  if (!states.ok()) return inv.Fail(states.status());
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("pipeline");
    j.String(p->name);
    j.Key("stages");
    j.BeginArray();
    for (const auto& s : *states) {
      j.BeginObject();
      j.Key("stage");
      j.String(s.stage);
      j.Key("state");
      j.String(std::string(pipeline::StageStateName(s.kind)));
      j.Key("reason");
      j.String(s.reason);
      j.Key("key");
      s.key.empty() ? j.Null() : j.String(s.key);
      j.EndObject();
    }
    j.EndArray();
    j.EndObject();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& s : *states) {
    cells.push_back(
        {s.stage, std::string(pipeline::StageStateName(s.kind)), DisplayCell(s.reason, 100)});
  }
  Write(inv.out, FormatTextTable({"stage", "state", "why"}, cells));
  return kExitOk;
}

int RunPipelineShowRuns(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() > 1) return inv.UsageError("expected at most one pipeline file");
  int64_t limit = 20;
  if (auto v = inv.args.Get("limit")) {
    auto n = ParseIntFlag("limit", *v, 1, 1000000);
    if (!n.ok()) return inv.UsageError(n.status().message());
    limit = *n;
  }
  std::string name;
  if (!inv.args.Has("all")) {
    auto p = Load(pos.empty() ? std::string(kDefaultFile) : pos[0]);
    if (!p.ok()) return inv.Fail(p.status());
    name = p->name;
  }
  auto ws = Workspace::Open();
  if (!ws.ok()) return inv.Fail(ws.status());
  auto runs = pipeline::ListPipelineRuns((*ws)->catalog(), name, limit);
  if (!runs.ok()) return inv.Fail(runs.status());
  JsonWriter j;
  j.BeginArray();
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : *runs) {
    auto stages = pipeline::ListStageRuns((*ws)->catalog(), r.id);
    if (!stages.ok()) return inv.Fail(stages.status());
    std::map<StageStatus, int> counts;
    for (const auto& s : *stages) ++counts[s.status];
    const std::string status = r.interrupted ? "interrupted" : r.status;
    std::string summary;
    for (StageStatus s : {StageStatus::kRan, StageStatus::kRestored, StageStatus::kSkipped,
                          StageStatus::kFailed, StageStatus::kNotRun}) {
      if (counts[s] == 0) continue;
      if (!summary.empty()) summary += ", ";
      summary += std::to_string(counts[s]) + " " + std::string(pipeline::StageStatusName(s));
    }
    if (inv.json) {
      j.BeginObject();
      j.Key("run");
      j.String(r.id);
      j.Key("pipeline");
      j.String(r.pipeline);
      j.Key("status");
      j.String(status);
      j.Key("started_at");
      j.String(Time(r.started_at));
      j.Key("ended_at");
      r.ended_at != 0 ? j.String(Time(r.ended_at)) : j.Null();
      j.Key("window");
      r.window ? j.String(WindowText(r.window)) : j.Null();
      j.Key("stages");
      j.BeginObject();
      for (const auto& [s, c] : counts) {
        j.Key(std::string(pipeline::StageStatusName(s)));
        j.Int(c);
      }
      j.EndObject();
      j.EndObject();
    } else {
      cells.push_back({r.id.substr(0, 12), r.pipeline, Time(r.started_at), status,
                       r.window ? WindowText(r.window) : "-", summary});
    }
  }
  j.EndArray();
  if (inv.json) {
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out,
          FormatTextTable({"run", "pipeline", "started", "status", "window", "stages"}, cells));
  }
  return kExitOk;
}

int RunPipelineLog(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 1) return inv.UsageError("expected one pipeline run id");
  auto ws = Workspace::Open();
  if (!ws.ok()) return inv.Fail(ws.status());
  auto run = pipeline::GetPipelineRun((*ws)->catalog(), pos[0]);
  if (!run.ok()) return inv.Fail(run.status());
  auto stages = pipeline::ListStageRuns((*ws)->catalog(), run->id);
  if (!stages.ok()) return inv.Fail(stages.status());
  const auto wanted = inv.args.GetAll("stage");
  JsonWriter j;
  j.BeginArray();
  bool found = wanted.empty();
  std::string text;
  for (const auto& s : *stages) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), s.stage) == wanted.end()) {
      continue;
    }
    found = true;
    std::string logs[2];
    const std::string* blobs[2] = {&s.stdout_blob, &s.stderr_blob};
    for (int i = 0; i < 2; ++i) {
      if (blobs[i]->empty()) continue;
      auto content = (*ws)->blobs().GetBlob(*blobs[i]);
      if (!content.ok()) return inv.Fail(content.status());
      logs[i] = std::move(*content);
    }
    if (inv.json) {
      j.BeginObject();
      j.Key("stage");
      j.String(s.stage);
      j.Key("status");
      j.String(std::string(pipeline::StageStatusName(s.status)));
      j.Key("reason");
      j.String(s.reason);
      j.Key("stdout");
      j.String(logs[0]);
      j.Key("stderr");
      j.String(logs[1]);
      j.EndObject();
      continue;
    }
    text += "== " + s.stage + ": " + std::string(pipeline::StageStatusName(s.status)) +
            (s.reason.empty() ? "" : " (" + s.reason + ")") + "\n";
    if (!s.stdout_blob.empty()) text += "-- stdout\n" + logs[0];
    if (!logs[0].empty() && logs[0].back() != '\n') text += "\n";
    if (!s.stderr_blob.empty()) text += "-- stderr\n" + logs[1];
    if (!logs[1].empty() && logs[1].back() != '\n') text += "\n";
  }
  j.EndArray();
  if (!found) {
    return inv.Fail(
        Status::NotFound("pipeline run " + run->id + " has no stage '" + wanted.front() + "'"));
  }
  Write(inv.out, inv.json ? j.str() + "\n" : text);
  return kExitOk;
}

}  // namespace

std::vector<Command> PipelineCommands() {
  const FlagSpec jobs = {"jobs", 'j', true,
                         false,  "N", "stages run at once (default: the number of cores)"};
  const std::vector<FlagSpec> slurm = {
      {"executor", 0, true, false, "NAME", "local (default: child processes) or slurm (sbatch)"},
      {"slurm-partition", 0, true, false, "P", "Slurm partition (default: the cluster's)"},
      {"slurm-poll-ms", 0, true, false, "MS", "how often job states are polled (default 500)"},
      {"slurm-dir", 0, true, false, "DIR",
       "job scripts and logs, shared with the nodes (default: WORKSPACE/.cairn/slurm)"},
      {"slurm-arg", 0, true, true, "ARG", "one more sbatch argument, e.g. --slurm-arg=--time=60"}};
  std::vector<Command> c;
  c.push_back(
      {"pipeline",
       "run",
       "run a pipeline's stages, skipping those already done",
       "[FILE]",
       "Runs the stages of FILE (default pipeline.yaml) in dependency order, independent ones "
       "in parallel. A stage whose key (command, params, input hashes, upstream keys) was "
       "completed before and whose outputs are in place is skipped; one whose outputs are "
       "missing or changed gets them back from the run cache; the others run. After the "
       "first failure no new stage starts and the command exits 1. With --executor slurm "
       "every stage that runs is a Slurm batch job (a job array for `shards:`), submitted "
       "with afterok dependencies as soon as its upstream jobs are; job ids and states are "
       "printed as they change, and SIGINT or SIGTERM cancels the submitted jobs. See "
       "docs/pipelines.md.",
       {},
       RunPipelineRun});
  c.back().flags = {
      {"stage", 's', true, true, "NAME", "run only this stage and its upstream (repeatable)"},
      {"force", 'f', false, false, "", "run the named stages (or all) even if up to date"},
      jobs,
      StartFlag(),
      EndFlag()};
  c.back().flags.insert(c.back().flags.end(), slurm.begin(), slurm.end());
  c.push_back({"pipeline",
               "status",
               "say which stages are up to date and why the others would run",
               "[FILE]",
               "Changes nothing. Reasons: never ran; changed: cmd, param X, input Y, upstream "
               "Z; outputs missing or changed (restorable from the run cache); upstream would "
               "run.",
               {StartFlag(), EndFlag()},
               RunPipelineStatus});
  c.push_back({"pipeline",
               "show-runs",
               "list the runs of a pipeline, newest first",
               "[FILE]",
               "",
               {{"limit", 'n', true, false, "N", "at most N runs (default 20)"},
                {"all", 0, false, false, "", "runs of every pipeline"}},
               RunPipelineShowRuns});
  c.push_back({"pipeline",
               "log",
               "print the captured output of a run's stages",
               "RUN",
               "RUN is a run id or a unique prefix of at least 4 characters.",
               {{"stage", 's', true, true, "NAME", "only this stage (repeatable)"}},
               RunPipelineLog});
  c.push_back({"pipeline",
               "run-task",
               "run one stage alone, as a scheduler's task does",
               "NAME [FILE]",
               "Upstream stages are not run: they must be complete for their current inputs "
               "(their outputs are restored from the run cache when missing). The stage itself "
               "is skipped, restored or run like in 'pipeline run'.",
               {{"force", 'f', false, false, "", "run the stage even if up to date"},
                StartFlag(),
                EndFlag()},
               RunPipelineRunTask});
  return c;
}

}  // namespace cairn::cli
