// `cairn pipeline schedule | subscriptions | export-airflow`: pipelines that run by
// themselves, on cron windows or on new commits, and their export as Airflow DAGs
// (docs/pipelines.md).

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/time.h"
#include "cli/command.h"
#include "cli/output.h"
#include "data/workspace.h"
#include "pipeline/airflow.h"
#include "pipeline/executor.h"
#include "pipeline/records.h"
#include "pipeline/schedule.h"
#include "pipeline/spec.h"
#include "pipeline/subscriptions.h"

namespace cairn::cli {
namespace {

using data::Workspace;

constexpr std::string_view kDefaultFile = "pipeline.yaml";

std::string Time(int64_t micros) {
  int64_t secs = micros / 1000000;
  if (micros % 1000000 < 0) --secs;
  return FormatTimestamp(secs, 0);
}

std::vector<std::string> Files(const Invocation& inv) {
  std::vector<std::string> files = inv.args.positionals();
  if (files.empty()) files.emplace_back(kDefaultFile);
  return files;
}

// --NAME as a number of seconds (> 0) in microseconds, or `fallback`.
Result<int64_t> SecondsFlag(const Invocation& inv, std::string_view name, int64_t fallback) {
  auto v = inv.args.Get(name);
  if (!v) return fallback;
  auto n = ParseIntFlag(name, *v, 1, 365LL * 86400);
  if (!n.ok()) return n.status();
  return *n * 1'000'000;
}

int RunPipelineSchedule(const Invocation& inv) {
  pipeline::ScheduleOptions o;
  o.once = inv.args.Has("once");
  if (auto until = inv.args.Get("until")) {
    o.until = ParseTimestampMicros(*until);
    if (!o.until) return inv.UsageError("--until: cannot parse '" + *until + "' as a time");
  }
  auto poll = SecondsFlag(inv, "poll", o.poll_micros);
  if (!poll.ok()) return inv.UsageError(poll.status().message());
  o.poll_micros = *poll;
  auto heartbeat = SecondsFlag(inv, "heartbeat", o.heartbeat_micros);
  if (!heartbeat.ok()) return inv.UsageError(heartbeat.status().message());
  o.heartbeat_micros = *heartbeat;
  auto stale = SecondsFlag(inv, "stale-after", o.claim.stale_after_micros);
  if (!stale.ok()) return inv.UsageError(stale.status().message());
  o.claim.stale_after_micros = *stale;
  if (o.claim.stale_after_micros <= o.heartbeat_micros) {
    return inv.UsageError("--stale-after must be longer than --heartbeat");
  }
  o.claim.retry_failed = inv.args.Has("retry-failed");
  int jobs = 0;
  if (auto v = inv.args.Get("jobs")) {
    auto n = ParseIntFlag("jobs", *v, 0, 1024);
    if (!n.ok()) return inv.UsageError(n.status().message());
    jobs = static_cast<int>(*n);
  }
  std::vector<pipeline::Pipeline> pipelines;
  for (const std::string& file : Files(inv)) {
    auto p = pipeline::LoadPipeline(file);
    if (!p.ok()) return inv.Fail(p.status());
    pipelines.push_back(std::move(*p));
  }
  auto ws = Workspace::Open();
  if (!ws.ok()) return inv.Fail(ws.status());
  std::FILE* err = inv.err;
  auto log = [err](const std::string& line) {
    Write(err, Time(NowMicros()) + " " + line + "\n");
    std::fflush(err);
  };
  o.log = log;
  o.run.on_stage = [log](const pipeline::StageOutcome& s) {
    if (!s.note.empty()) log(s.stage + ": " + s.note);
    std::string line = s.stage + ": " + std::string(pipeline::StageStatusName(s.status));
    if (!s.reason.empty()) line += " (" + s.reason + ")";
    log(line);
  };
  auto executor =
      pipeline::MakeLocalExecutor(jobs, [err](std::string_view stage, bool, std::string_view line) {
        Write(err, std::string(stage) + " | " + std::string(line) + "\n");
        std::fflush(err);
      });
  auto report = pipeline::RunSchedule(**ws, pipelines, *executor, o);
  if (!report.ok()) return inv.Fail(report.status());
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("runs");
    j.Int(report->runs);
    j.Key("failed");
    j.Int(report->failed);
    j.Key("skipped_claimed");
    j.Int(report->skipped_claimed);
    j.EndObject();
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, std::to_string(report->runs) + " run(s), " + std::to_string(report->failed) +
                       " failed, " + std::to_string(report->skipped_claimed) +
                       " held by another scheduler\n");
  }
  return report->failed > 0 ? kExitFailure : kExitOk;
}

int RunPipelineSubscriptions(const Invocation& inv) {
  std::vector<std::string> names;
  if (!inv.args.Has("all")) {
    for (const std::string& file : Files(inv)) {
      auto p = pipeline::LoadPipeline(file);
      if (!p.ok()) return inv.Fail(p.status());
      names.push_back(p->name);
    }
  } else if (!inv.args.positionals().empty()) {
    return inv.UsageError("--all takes no pipeline files");
  } else {
    names.emplace_back();
  }
  auto ws = Workspace::Open();
  if (!ws.ok()) return inv.Fail(ws.status());
  JsonWriter j;
  j.BeginArray();
  std::vector<std::vector<std::string>> cells;
  for (const std::string& name : names) {
    auto subs = pipeline::ListSubscriptions((*ws)->catalog(), name);
    if (!subs.ok()) return inv.Fail(subs.status());
    for (const pipeline::SubscriptionRecord& s : *subs) {
      const int64_t pending = s.head > s.position ? s.head - s.position : 0;
      if (inv.json) {
        j.BeginObject();
        j.Key("pipeline");
        j.String(s.pipeline);
        j.Key("stage");
        j.String(s.stage);
        j.Key("dataset");
        j.String(s.dataset);
        j.Key("position");
        j.Int(s.position);
        j.Key("head");
        j.Int(s.head);
        j.Key("pending");
        j.Int(pending);
        j.Key("last_commits");
        j.BeginArray();
        for (const std::string& c : s.commits) j.String(c);
        j.EndArray();
        j.Key("run");
        j.String(s.run_id);
        j.Key("updated_at");
        j.String(Time(s.updated_at));
        j.EndObject();
      } else {
        cells.push_back({s.pipeline, s.stage, s.dataset, std::to_string(s.position),
                         std::to_string(s.head), std::to_string(pending), Time(s.updated_at)});
      }
    }
  }
  j.EndArray();
  if (inv.json) {
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out,
          FormatTextTable(
              {"pipeline", "stage", "dataset", "position", "head", "pending", "updated"}, cells));
  }
  return kExitOk;
}

int RunPipelineExportAirflow(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() > 1) return inv.UsageError("expected at most one pipeline file");
  auto output = inv.args.Get("output");
  if (!output) return inv.UsageError("--output is required ('-' for standard output)");
  pipeline::AirflowOptions o;
  if (auto v = inv.args.Get("image")) o.image = *v;
  if (auto v = inv.args.Get("namespace")) o.ns = *v;
  if (auto v = inv.args.Get("dag-id")) o.dag_id = *v;
  if (auto v = inv.args.Get("pipeline-path")) o.pipeline_path = *v;
  if (auto v = inv.args.Get("cairn-binary")) o.cairn_binary = *v;
  if (auto v = inv.args.Get("start")) {
    o.start = ParseTimestampMicros(*v);
    if (!o.start) return inv.UsageError("--start: cannot parse '" + *v + "' as a time");
  }
  auto p = pipeline::LoadPipeline(pos.empty() ? std::string(kDefaultFile) : pos[0]);
  if (!p.ok()) return inv.Fail(p.status());
  auto dag = pipeline::ExportAirflowDag(*p, o);
  if (!dag.ok()) return inv.Fail(dag.status());
  if (*output == "-") {
    Write(inv.out, *dag);
    return kExitOk;
  }
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(*output).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  Status st = WriteStringToFile(*output, *dag);
  if (!st.ok()) return inv.Fail(st);
  if (!inv.json)
    Write(inv.err, "wrote " + *output + " (DAG " + (o.dag_id.empty() ? p->name : o.dag_id) + ")\n");
  return kExitOk;
}

}  // namespace

std::vector<Command> PipelineScheduleCommands() {
  std::vector<Command> c;
  c.push_back(
      {"pipeline",
       "schedule",
       "run pipelines by their schedules and on new commits of subscribed datasets",
       "[FILE]...",
       "Waits for each pipeline's next cron fire time (UTC) and runs it for the window that "
       "ends then; with 'catchup: true' every missed window since 'start' runs first. A "
       "pipeline without 'schedule' whose stages subscribe to datasets runs whenever they "
       "have new commits (checked every --poll seconds). Each window is claimed in the "
       "catalog first, so schedulers on one workspace never run it twice. Progress goes to "
       "standard error. Exits 1 when a run failed. See docs/pipelines.md.",
       {{"once", 0, false, false, "", "run what is due now, then exit"},
        {"until", 0, true, false, "T", "stop at T; windows ending after T are not run"},
        {"poll", 0, true, false, "SECONDS", "how often datasets are checked (default 10)"},
        {"heartbeat", 0, true, false, "SECONDS",
         "how often a running window's claim is refreshed (default 30)"},
        {"stale-after", 0, true, false, "SECONDS",
         "a claim not refreshed for this long is taken over (default 300)"},
        {"retry-failed", 0, false, false, "", "claim failed windows again"},
        {"jobs", 'j', true, false, "N", "stages run at once (default: the number of cores)"}},
       RunPipelineSchedule});
  c.push_back({"pipeline",
               "subscriptions",
               "list the positions of subscribed stages in their datasets",
               "[FILE]...",
               "A position is the last commit sequence the stage processed; pending is how "
               "many commits the dataset has after it.",
               {{"all", 0, false, false, "", "subscriptions of every pipeline"}},
               RunPipelineSubscriptions});
  c.push_back({"pipeline",
               "export-airflow",
               "write an Airflow DAG file that runs the pipeline on Kubernetes",
               "[FILE]",
               "One task per stage, each a KubernetesPodOperator running 'cairn pipeline "
               "run-task NAME FILE --start-time=... --end-time=...' for the run's data "
               "interval, with the pipeline's edges, cron schedule and catchup.",
               {{"output", 'o', true, false, "PATH", "where to write the DAG ('-': stdout)"},
                {"image", 0, true, false, "IMG", "container image (default cairn:latest)"},
                {"namespace", 0, true, false, "NS", "Kubernetes namespace (default default)"},
                {"dag-id", 0, true, false, "ID", "DAG id (default: the pipeline's name)"},
                {"pipeline-path", 0, true, false, "PATH",
                 "the pipeline file inside the image (default: FILE as given)"},
                {"cairn-binary", 0, true, false, "PATH", "cairn in the image (default cairn)"},
                {"start", 0, true, false, "T", "start date when the schedule has no start"}},
               RunPipelineExportAirflow});
  return c;
}

}  // namespace cairn::cli
