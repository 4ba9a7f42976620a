// Commands of the model registry: model register | list | show | add-eval | promote | history
// | lineage | get.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/json.h"
#include "base/time.h"
#include "cli/command.h"
#include "cli/output.h"
#include "data/workspace.h"
#include "table/column.h"
#include "track/gate.h"
#include "track/registry.h"

namespace cairn::cli {
namespace {

using data::Workspace;

std::string Time(int64_t micros) { return FormatTimestamp(micros, 6); }

std::string VersionText(const std::optional<int64_t>& v) {
  return v ? std::to_string(*v) : std::string("-");
}

std::string Num(const std::optional<double>& v) {
  if (!v) return "null";
  table::Column c(table::DataType::Float64());
  c.AppendDouble(*v);
  return c.Format(0);
}

void VersionJson(const track::ModelVersion& v, JsonWriter* j) {
  j->BeginObject();
  j->Key("model");
  j->String(v.model);
  j->Key("version");
  j->Int(v.version);
  j->Key("run_id");
  j->String(v.run_id);
  j->Key("artifact");
  j->String(v.artifact);
  j->Key("sha256");
  j->String(v.blob_id);
  j->Key("size");
  j->Int(v.size);
  j->Key("created_at");
  j->String(Time(v.created_at));
  j->Key("created_by");
  j->String(v.created_by);
  j->Key("description");
  j->String(v.description);
  j->EndObject();
}

void AliasesJson(const std::vector<track::ModelAlias>& aliases, JsonWriter* j) {
  j->BeginObject();
  for (const track::ModelAlias& a : aliases) {
    j->Key(a.alias);
    j->Int(a.version);
  }
  j->EndObject();
}

std::string AliasesText(const std::vector<track::ModelAlias>& aliases) {
  std::string out;
  for (const track::ModelAlias& a : aliases) {
    out += (out.empty() ? "" : ", ") + a.alias + "=" + std::to_string(a.version);
  }
  return out.empty() ? "-" : out;
}

int OpenWorkspace(const Invocation& inv, std::unique_ptr<Workspace>* ws) {
  auto opened = Workspace::Open();
  if (!opened.ok()) return inv.Fail(opened.status());
  *ws = std::move(*opened);
  return kExitOk;
}

int ModelRegister(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 1) return inv.UsageError("expected one model name");
  track::RegisterOptions o;
  o.run = inv.args.Get("run").value_or("");
  o.artifact = inv.args.Get("artifact").value_or("");
  if (o.run.empty() || o.artifact.empty())
    return inv.UsageError("--run and --artifact are required");
  o.file = inv.args.Get("file").value_or("");
  o.description = inv.args.Get("description").value_or("");
  std::unique_ptr<Workspace> ws;
  if (int rc = OpenWorkspace(inv, &ws); rc != kExitOk) return rc;
  auto v = track::RegisterModel(*ws, pos[0], o);
  if (!v.ok()) return inv.Fail(v.status());
  if (inv.json) {
    JsonWriter j;
    VersionJson(*v, &j);
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, v->model + " version " + std::to_string(v->version) + "\n");
  }
  return kExitOk;
}

int ModelList(const Invocation& inv) {
  if (!inv.args.positionals().empty()) return inv.UsageError("expected no arguments");
  std::unique_ptr<Workspace> ws;
  if (int rc = OpenWorkspace(inv, &ws); rc != kExitOk) return rc;
  auto models = track::ListModels(*ws);
  if (!models.ok()) return inv.Fail(models.status());
  if (inv.json) {
    JsonWriter j;
    j.BeginArray();
    for (const track::ModelSummary& m : *models) {
      j.BeginObject();
      j.Key("name");
      j.String(m.name);
      j.Key("description");
      j.String(m.description);
      j.Key("created_at");
      j.String(Time(m.created_at));
      j.Key("versions");
      j.Int(m.versions);
      j.Key("latest_version");
      j.Int(m.latest_version);
      j.Key("aliases");
      AliasesJson(m.aliases, &j);
      j.EndObject();
    }
    j.EndArray();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const track::ModelSummary& m : *models) {
    rows.push_back({m.name, std::to_string(m.versions), std::to_string(m.latest_version),
                    AliasesText(m.aliases), Time(m.created_at), DisplayCell(m.description, 40)});
  }
  Write(inv.out, FormatTextTable(
                     {"model", "versions", "latest", "aliases", "created", "description"}, rows));
  return kExitOk;
}

int ModelShow(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 1) return inv.UsageError("expected one model name");
  std::unique_ptr<Workspace> ws;
  if (int rc = OpenWorkspace(inv, &ws); rc != kExitOk) return rc;
  auto m = track::GetModel(*ws, pos[0]);
  if (!m.ok()) return inv.Fail(m.status());
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("name");
    j.String(m->name);
    j.Key("description");
    j.String(m->description);
    j.Key("created_at");
    j.String(Time(m->created_at));
    j.Key("versions");
    j.BeginArray();
    for (const track::ModelVersion& v : m->versions) VersionJson(v, &j);
    j.EndArray();
    j.Key("aliases");
    AliasesJson(m->aliases, &j);
    j.EndObject();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  std::string out = "model " + m->name + "\n";
  if (!m->description.empty()) out += "  description: " + m->description + "\n";
  out += "  created:     " + Time(m->created_at) + "\n";
  out += "  aliases:     " + AliasesText(m->aliases) + "\n";
  std::vector<std::vector<std::string>> rows;
  for (const track::ModelVersion& v : m->versions) {
    rows.push_back({std::to_string(v.version), v.run_id.substr(0, 12), v.artifact,
                    v.blob_id.substr(0, 16), std::to_string(v.size), Time(v.created_at),
                    v.created_by, DisplayCell(v.description, 32)});
  }
  out += FormatTextTable(
      {"version", "run", "artifact", "sha256", "bytes", "created", "by", "description"}, rows);
  Write(inv.out, out);
  return kExitOk;
}

int ModelAddEval(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 3) {
    return inv.UsageError("expected the model, the version and the evaluation result file");
  }
  track::EvaluationOptions o;
  o.snapshot = inv.args.Get("snapshot").value_or("");
  o.split = inv.args.Get("split").value_or("");
  o.run = inv.args.Get("run").value_or("");
  if (o.snapshot.empty() || o.split.empty()) {
    return inv.UsageError("--snapshot and --split are required");
  }
  auto text = ReadFileToString(pos[2]);
  if (!text.ok()) return inv.Fail(text.status());
  std::unique_ptr<Workspace> ws;
  if (int rc = OpenWorkspace(inv, &ws); rc != kExitOk) return rc;
  auto v = track::ResolveModelVersion(*ws, pos[0], pos[1]);
  if (!v.ok()) return inv.Fail(v.status());
  auto e = track::AddEvaluation(*ws, pos[0], v->version, *text, pos[2], o);
  if (!e.ok()) return inv.Fail(e.status());
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("model");
    j.String(e->model);
    j.Key("version");
    j.Int(e->version);
    j.Key("snapshot_id");
    j.String(e->snapshot_id);
    j.Key("split");
    j.String(e->split);
    j.Key("result_blob");
    j.String(e->result_blob);
    j.Key("run_id");
    if (e->run_id.empty()) {
      j.Null();
    } else {
      j.String(e->run_id);
    }
    j.Key("recorded_at");
    j.String(Time(e->recorded_at));
    j.EndObject();
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, "recorded the evaluation of " + e->model + " version " +
                       std::to_string(e->version) + " on split '" + e->split + "' of snapshot " +
                       e->snapshot_id.substr(0, 12) + "\n");
  }
  return kExitOk;
}

std::string CheckText(const metrics::GateRule& rule, const metrics::GateCheck& c) {
  std::string out = c.slicing.empty() ? std::string("overall") : c.slicing + "=" + c.slice;
  out += ": candidate " + Num(c.candidate);
  if (rule.kind == metrics::GateRule::Kind::kMaxDrop) out += ", baseline " + Num(c.baseline);
  out += ", limit " + Num(track::GateLimit(rule, c));
  if (!c.reason.empty()) out += " (" + c.reason + ")";
  return out;
}

std::string PromotionText(const track::Promotion& p) {
  std::string out =
      p.model + " version " + std::to_string(p.version) + " -> " + p.alias + ": " +
      (p.moved ? "moved" : "REFUSED") + " (holder was " +
      (p.from_version ? "version " + std::to_string(*p.from_version) : std::string("none")) + ")\n";
  if (!p.gate) return out;
  const track::GateOutcome& g = *p.gate;
  out += "gate on split '" + g.split + "'";
  if (!g.snapshot_id.empty()) out += " of snapshot " + g.snapshot_id;
  if (g.result) {
    out += std::string(": ") + (g.result->passed ? "passed" : "FAILED") + "\n";
  } else {
    out += ": not evaluated\n";
  }
  if (g.no_baseline) {
    out += "  no baseline: '" + p.alias + "' has no holder, max_drop rules pass\n";
  }
  if (!g.result) return out;
  for (const metrics::GateRuleResult& r : g.result->rules) {
    out += std::string("  ") + (r.passed ? "pass  " : "FAIL  ") + r.rule.ToString() + "\n";
    for (const metrics::GateCheck& c : r.checks) {
      out += std::string("        ") + (c.passed ? "" : "FAIL ") + CheckText(r.rule, c) + "\n";
    }
  }
  return out;
}

int ModelPromote(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 2) return inv.UsageError("expected the model and the version");
  track::PromoteOptions o;
  o.alias = inv.args.Get("alias").value_or("");
  if (o.alias.empty()) return inv.UsageError("--alias is required");
  o.actor = inv.args.Get("actor").value_or("");
  if (auto gate = inv.args.Get("gate")) {
    auto spec = track::ReadGateSpec(*gate);
    if (!spec.ok()) return inv.Fail(spec.status());
    o.gate = std::move(*spec);
  }
  std::unique_ptr<Workspace> ws;
  if (int rc = OpenWorkspace(inv, &ws); rc != kExitOk) return rc;
  auto v = track::ResolveModelVersion(*ws, pos[0], pos[1]);
  if (!v.ok()) return inv.Fail(v.status());
  auto p = track::Promote(*ws, pos[0], v->version, o);
  if (!p.ok()) return inv.Fail(p.status());
  if (auto html = inv.args.Get("html")) {
    Status s = WriteStringToFile(*html, track::RenderPromotionHtml(*p, Time(p->at)));
    if (!s.ok()) return inv.Fail(s);
  }
  if (inv.json) {
    std::string out =
        "{\"model\":" + JsonString(p->model) + ",\"alias\":" + JsonString(p->alias) +
        ",\"version\":" + std::to_string(p->version) +
        ",\"from_version\":" + (p->from_version ? std::to_string(*p->from_version) : "null") +
        ",\"moved\":" + (p->moved ? "true" : "false") + ",\"reason\":" + JsonString(p->reason) +
        ",\"seq\":" + std::to_string(p->seq) + ",\"actor\":" + JsonString(p->actor) +
        ",\"at\":" + JsonString(Time(p->at)) +
        ",\"gate\":" + (p->gate_json.empty() ? "null" : p->gate_json) + "}\n";
    Write(inv.out, out);
  } else {
    Write(inv.out, PromotionText(*p));
  }
  if (!p->moved) {
    Write(inv.err, "cairn: error: promotion refused: " + p->reason + "\n");
    return kExitFailure;
  }
  return kExitOk;
}

int ModelHistory(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 1) return inv.UsageError("expected one model name");
  std::unique_ptr<Workspace> ws;
  if (int rc = OpenWorkspace(inv, &ws); rc != kExitOk) return rc;
  auto events = track::AliasHistory(*ws, pos[0], inv.args.Get("alias").value_or(""));
  if (!events.ok()) return inv.Fail(events.status());
  if (inv.json) {
    std::string out = "[";
    for (size_t i = 0; i < events->size(); ++i) {
      const track::AliasEvent& e = (*events)[i];
      out += std::string(i == 0 ? "" : ",") + "{\"seq\":" + std::to_string(e.seq) +
             ",\"alias\":" + JsonString(e.alias) +
             ",\"from_version\":" + (e.from_version ? std::to_string(*e.from_version) : "null") +
             ",\"to_version\":" + std::to_string(e.to_version) +
             ",\"outcome\":" + (e.moved ? "\"moved\"" : "\"refused\"") +
             ",\"actor\":" + JsonString(e.actor) + ",\"at\":" + JsonString(Time(e.at)) +
             ",\"gate\":" + (e.gate.empty() ? "null" : e.gate) + "}";
    }
    Write(inv.out, out + "]\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const track::AliasEvent& e : *events) {
    rows.push_back({std::to_string(e.seq), Time(e.at), e.alias, VersionText(e.from_version),
                    std::to_string(e.to_version), e.moved ? "moved" : "refused", e.actor,
                    e.gate_passed ? (*e.gate_passed ? "passed" : "failed")
                                  : (e.gate.empty() ? "-" : "not evaluated"),
                    DisplayCell(e.reason, 80)});
  }
  Write(inv.out,
        FormatTextTable({"seq", "at", "alias", "from", "to", "outcome", "actor", "gate", "reason"},
                        rows));
  return kExitOk;
}

std::string EnvValue(const track::RunInfo& r, const std::string& key) {
  for (const auto& [k, v] : r.environment) {
    if (k == key) return v;
  }
  return "";
}

int ModelLineage(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 2) return inv.UsageError("expected the model and a version or alias");
  std::unique_ptr<Workspace> ws;
  if (int rc = OpenWorkspace(inv, &ws); rc != kExitOk) return rc;
  auto l = track::GetLineage(*ws, pos[0], pos[1]);
  if (!l.ok()) return inv.Fail(l.status());
  const std::string commit = EnvValue(l->run, "git_commit");
  const std::string dirty = EnvValue(l->run, "git_dirty");
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("version");
    VersionJson(l->version, &j);
    j.Key("run");
    j.BeginObject();
    j.Key("id");
    j.String(l->run.id);
    j.Key("name");
    j.String(l->run.name);
    j.Key("status");
    j.String(track::RunStatusName(l->run.status));
    j.Key("git_commit");
    if (commit.empty()) {
      j.Null();
    } else {
      j.String(commit);
    }
    j.Key("git_dirty");
    if (dirty.empty()) {
      j.Null();
    } else {
      j.Bool(dirty == "true");
    }
    j.Key("params");
    j.BeginObject();
    for (const track::Param& p : l->run.params) {
      j.Key(p.key);
      j.String(p.value);
    }
    j.EndObject();
    j.EndObject();
    j.Key("snapshot");
    if (!l->snapshot) {
      j.Null();
    } else {
      const data::SnapshotInfo& s = *l->snapshot;
      j.BeginObject();
      j.Key("id");
      j.String(s.id);
      j.Key("dataset");
      j.String(s.dataset);
      j.Key("filter");
      j.String(s.where);
      j.Key("seed");
      j.Int(static_cast<int64_t>(s.seed));
      j.Key("split_by");
      j.String(s.split_by);
      j.Key("as_of_commit");
      j.String(s.as_of_commit);
      j.Key("rows");
      j.Int(s.rows);
      j.Key("splits");
      j.BeginArray();
      for (const data::SplitInfo& sp : s.splits) {
        j.BeginObject();
        j.Key("name");
        j.String(sp.name);
        j.Key("fraction");
        j.Double(sp.fraction);
        j.Key("rows");
        j.Int(sp.rows);
        j.EndObject();
      }
      j.EndArray();
      j.EndObject();
    }
    j.Key("commits");
    j.BeginArray();
    for (const data::CommitInfo& c : l->commits) {
      j.BeginObject();
      j.Key("id");
      j.String(c.id);
      j.Key("sequence");
      j.Int(c.sequence);
      j.Key("created_at");
      j.String(Time(c.created_at));
      j.Key("versions");
      j.Int(c.versions);
      j.Key("message");
      j.String(c.message);
      j.EndObject();
    }
    j.EndArray();
    j.EndObject();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  const track::ModelVersion& v = l->version;
  std::string out = "model " + v.model + " version " + std::to_string(v.version) + "\n";
  out += "  artifact " + v.artifact + " (sha256 " + v.blob_id + ", " + std::to_string(v.size) +
         " bytes), registered " + Time(v.created_at) + " by " + v.created_by + "\n";
  out += "run " + l->run.id + (l->run.name.empty() ? "" : " (" + l->run.name + ")") + "\n";
  out += "  status " + std::string(track::RunStatusName(l->run.status));
  if (l->run.exit_code) out += " (exit code " + std::to_string(*l->run.exit_code) + ")";
  out += "\n  git commit " + (commit.empty() ? std::string("unknown") : commit);
  if (!dirty.empty()) out += dirty == "true" ? " (dirty)" : " (clean)";
  out += "\n";
  for (const track::Param& p : l->run.params) out += "  param " + p.key + " = " + p.value + "\n";
  if (!l->snapshot) {
    Write(inv.out, out + "  (the run recorded no snapshot)\n");
    return kExitOk;
  }
  const data::SnapshotInfo& s = *l->snapshot;
  out += "snapshot " + s.id + "\n";
  out += "  dataset " + s.dataset + ", filter " + (s.where.empty() ? "(none)" : s.where) +
         ", seed " + std::to_string(s.seed) + ", split by " + s.split_by + ", " +
         std::to_string(s.rows) + " rows\n";
  for (const data::SplitInfo& sp : s.splits) {
    out += "  split " + sp.name + ": " + std::to_string(sp.rows) + " rows\n";
  }
  out += "dataset " + s.dataset + " as of commit " + s.as_of_commit + " (#" +
         std::to_string(s.as_of_sequence) + ")\n";
  std::vector<std::vector<std::string>> rows;
  for (const data::CommitInfo& c : l->commits) {
    rows.push_back({std::to_string(c.sequence), c.id, Time(c.created_at),
                    std::to_string(c.versions), DisplayCell(c.message, 40)});
  }
  out += FormatTextTable({"#", "commit", "created", "versions", "message"}, rows);
  Write(inv.out, out);
  return kExitOk;
}

int ModelGet(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 2) return inv.UsageError("expected the model and a version or alias");
  std::unique_ptr<Workspace> ws;
  if (int rc = OpenWorkspace(inv, &ws); rc != kExitOk) return rc;
  auto v = track::ResolveModelVersion(*ws, pos[0], pos[1]);
  if (!v.ok()) return inv.Fail(v.status());
  std::string dest = inv.args.Get("output").value_or("");
  if (dest.empty()) dest = std::filesystem::path(v->artifact).filename().string();
  auto exported = track::ExportModel(*ws, pos[0], std::to_string(v->version), dest);
  if (!exported.ok()) return inv.Fail(exported.status());
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("path");
    j.String(dest);
    j.Key("version");
    VersionJson(*exported, &j);
    j.EndObject();
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, "wrote " + dest + " (" + exported->model + " version " +
                       std::to_string(exported->version) + ", sha256 " + exported->blob_id + ")\n");
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> ModelCommands() {
  std::vector<Command> c;
  c.push_back(
      {"model",
       "register",
       "register a run's artifact as the next version of a model",
       "NAME",
       "The model is created on first use. Versions are numbered 1, 2, 3... without gaps, even "
       "with many registrations at once. With --file, the file is first logged as the run's "
       "artifact ART.",
       {{"run", 0, true, false, "RUN", "the run (id or prefix)"},
        {"artifact", 0, true, false, "ART", "the artifact of the run"},
        {"file", 0, true, false, "PATH", "log this file as the artifact first"},
        {"description", 0, true, false, "D", "a description of the version"}},
       ModelRegister});
  c.push_back({"model", "list", "list models", "", "", {}, ModelList});
  c.push_back({"model", "show", "show a model's versions and aliases", "NAME", "", {}, ModelShow});
  c.push_back(
      {"model",
       "add-eval",
       "record an evaluation result of a model version",
       "NAME VERSION RESULT.json",
       "RESULT.json is what 'cairn eval run --out' writes; it is recorded as the evaluation of "
       "the version on a split of a snapshot (both must exist). Gates compare the newest "
       "evaluations.",
       {{"snapshot", 0, true, false, "ID", "the snapshot evaluated on (id or prefix)"},
        {"split", 0, true, false, "SPLIT", "the split of the snapshot"},
        {"run", 0, true, false, "RUN", "the run that evaluated (optional)"}},
       ModelAddEval});
  c.push_back(
      {"model",
       "promote",
       "move an alias to a version, optionally through a gate",
       "NAME VERSION",
       "With --gate (a YAML file: 'split: test' and 'rules:', a list of 'METRIC >= X', "
       "'METRIC <= X' and 'max_drop METRIC X [by SLICING]'), the candidate's newest evaluation "
       "on the split is checked against the alias holder's evaluation on the same snapshot "
       "and split. Every attempt is recorded in the history. Exit status 1 when refused.",
       {{"alias", 0, true, false, "ALIAS", "the alias to move (production, candidate, ...)"},
        {"gate", 0, true, false, "FILE", "the gate file"},
        {"html", 0, true, false, "FILE", "write a ship/no-ship HTML report"},
        {"actor", 0, true, false, "WHO", "who promotes (default $USER)"}},
       ModelPromote});
  c.push_back({"model",
               "history",
               "list promotion attempts of a model",
               "NAME",
               "",
               {{"alias", 0, true, false, "ALIAS", "only this alias"}},
               ModelHistory});
  c.push_back({"model",
               "lineage",
               "trace a version to its run, snapshot and dataset commits",
               "NAME VERSION_OR_ALIAS",
               "",
               {},
               ModelLineage});
  c.push_back({"model",
               "get",
               "export a version's artifact, verified",
               "NAME VERSION_OR_ALIAS",
               "The artifact is written through a temporary file that is checked against its "
               "SHA-256 before it is renamed into place.",
               {{"output", 'o', true, false, "PATH",
                 "where to write (default: the artifact's "
                 "file name in the current directory)"}},
               ModelGet});
  return c;
}

}  // namespace cairn::cli
