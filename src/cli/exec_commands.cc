// `cairn exec`: run a command as a tracked run.

#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/output.h"
#include "data/workspace.h"
#include "track/exec.h"
#include "track/runs.h"

namespace cairn::cli {
namespace {

int Exec(const Invocation& inv) {
  track::ExecOptions o;
  o.command = inv.args.positionals();
  if (o.command.empty()) return inv.UsageError("expected a command after '--'");
  o.run.name = inv.args.Get("name").value_or("");
  o.run.snapshot = inv.args.Get("snapshot").value_or("");
  for (const std::string& what : {std::string("param"), std::string("tag")}) {
    for (const std::string& text : inv.args.GetAll(what)) {
      auto kv = track::ParseKeyValue(what, text);
      if (!kv.ok()) return inv.UsageError(kv.status().message());
      (what == "param" ? o.run.params : o.run.tags).push_back(std::move(*kv));
    }
  }
  o.outputs = inv.args.GetAll("output");
  for (const std::string& path : o.outputs) {
    auto name = track::OutputArtifactName(path);
    if (!name.ok()) return inv.UsageError(name.status().message());
  }
  o.run_id_file = inv.args.Get("run-id-file").value_or("");
  o.split_format = inv.args.Get("split-format").value_or("parquet");
  if (o.split_format != "parquet" && o.split_format != "csv" && o.split_format != "jsonl") {
    return inv.UsageError("--split-format: expected parquet, csv or jsonl, not '" + o.split_format +
                          "'");
  }
  if (inv.json)
    return inv.UsageError("--json is not supported: the command's output is passed through");
  auto ws = data::Workspace::Open();
  if (!ws.ok()) return inv.Fail(ws.status());
  std::fflush(inv.out);
  std::fflush(inv.err);
  auto r = track::Exec(**ws, o);
  if (!r.ok()) return inv.Fail(r.status());
  return r->process_exit_code;
}

}  // namespace

std::vector<Command> ExecCommands() {
  std::vector<Command> c;
  c.push_back(
      {"exec",
       "",
       "run a command as a tracked run",
       "-- COMMAND [ARGS...]",
       "Starts a run (printed as `run <id>` on standard error), runs COMMAND without a shell and "
       "ends the run finished (exit 0) or failed with the command's exit code (128+N for signal "
       "N, 127 when the command is not found); cairn exec exits with the same code. The command "
       "sees CAIRN_RUN_ID, CAIRN_WORKSPACE, CAIRN_METRICS_FILE and, with --snapshot, "
       "CAIRN_SNAPSHOT and CAIRN_SPLIT_<NAME> (each split as a file, Parquet unless --split-format "
       "says otherwise). Its standard "
       "output and error are passed through and stored as the artifacts stdout.txt and "
       "stderr.txt; stdout lines `cairn:metric loss=0.31 acc=0.9 step=3` and JSON Lines "
       "appended to $CAIRN_METRICS_FILE are logged as metrics while it runs. Each --output is "
       "stored as an artifact after it exits; a missing one fails the run. SIGINT and SIGTERM "
       "are forwarded to the command; if cairn exec dies, the command is killed and the run "
       "shows as failed.",
       {{"name", 0, true, false, "NAME", "a name for the run"},
        {"snapshot", 0, true, false, "ID", "the snapshot the command trains on (id or prefix)"},
        {"param", 0, true, true, "KEY=VALUE", "a param (repeatable)"},
        {"tag", 0, true, true, "KEY=VALUE", "a tag (repeatable)"},
        {"output", 'o', true, true, "PATH",
         "a relative file or directory to store as artifacts after the command (repeatable)"},
        {"split-format", 0, true, false, "FMT",
         "the format of the split files: parquet (default), csv or jsonl"},
        {"run-id-file", 0, true, false, "FILE", "write the run id to FILE once it has started"}},
       Exec});
  return c;
}

}  // namespace cairn::cli
