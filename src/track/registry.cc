#include "track/registry.h"

#include <pwd.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "base/hash.h"
#include "base/time.h"
#include "catalog/catalog.h"
#include "metrics/result_io.h"
#include "track/artifacts.h"

namespace cairn::track {
namespace {

using catalog::Connection;
using catalog::QueryResult;
using catalog::Row;
using catalog::Value;

constexpr std::string_view kVersionColumns =
    "v.model, v.version, v.run_id, v.artifact, a.blob_id, a.size, v.created_at, v.created_by, "
    "v.description";
constexpr std::string_view kVersionFrom =
    " FROM model_versions v JOIN run_artifacts a ON a.run_id = v.run_id AND a.name = v.artifact";

ModelVersion VersionFromRow(const Row& row) {
  ModelVersion v;
  v.model = row[0].bytes();
  v.version = row[1].int64();
  v.run_id = row[2].bytes();
  v.artifact = row[3].bytes();
  v.blob_id = row[4].bytes();
  v.size = row[5].int64();
  v.created_at = row[6].int64();
  v.created_by = row[7].bytes();
  v.description = row[8].bytes();
  return v;
}

constexpr std::string_view kEvaluationColumns =
    "model, version, snapshot_id, split, result_blob, run_id, recorded_at";

ModelEvaluation EvaluationFromRow(const Row& row) {
  ModelEvaluation e;
  e.model = row[0].bytes();
  e.version = row[1].int64();
  e.snapshot_id = row[2].bytes();
  e.split = row[3].bytes();
  e.result_blob = row[4].bytes();
  e.run_id = row[5].is_null() ? "" : row[5].bytes();
  e.recorded_at = row[6].int64();
  return e;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::string Describe(const ModelVersion& v) {
  return "model '" + v.model + "' version " + std::to_string(v.version);
}

Status RequireModel(Connection& c, const std::string& model) {
  CAIRN_ASSIGN_OR_RETURN(QueryResult r,
                         c.Query("SELECT name FROM models WHERE name = ?", {Value::Text(model)}));
  if (!r.rows.empty()) return Status::Ok();
  CAIRN_RETURN_IF_ERROR(CheckModelName(model));
  CAIRN_ASSIGN_OR_RETURN(QueryResult all, c.Query("SELECT name FROM models ORDER BY name"));
  std::string known;
  for (size_t i = 0; i < all.rows.size() && i < 20; ++i) {
    known += (i == 0 ? "" : ", ") + all.rows[i][0].bytes();
  }
  if (all.rows.size() > 20) known += ", ...";
  return Status::NotFound(
      "no model '" + model + "'" +
      (known.empty() ? std::string("; no model is registered yet") : "; models: " + known));
}

Result<std::vector<ModelAlias>> AliasesOf(Connection& c, const std::string& model) {
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r,
      c.Query("SELECT alias, version, updated_at FROM model_aliases WHERE model = ? ORDER BY alias",
              {Value::Text(model)}));
  std::vector<ModelAlias> out;
  for (const Row& row : r.rows) out.push_back({row[0].bytes(), row[1].int64(), row[2].int64()});
  return out;
}

Result<std::optional<ModelVersion>> FindVersion(Connection& c, const std::string& model,
                                                int64_t version) {
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r, c.Query("SELECT " + std::string(kVersionColumns) + std::string(kVersionFrom) +
                                 " WHERE v.model = ? AND v.version = ?",
                             {Value::Text(model), Value::Int64(version)}));
  if (r.rows.empty()) return std::optional<ModelVersion>();
  return std::optional<ModelVersion>(VersionFromRow(r.rows[0]));
}

Status NoSuchVersion(Connection& c, const std::string& model, const std::string& ref) {
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r,
      c.Query("SELECT MAX(version) FROM model_versions WHERE model = ?", {Value::Text(model)}));
  const int64_t latest = r.rows.empty() || r.rows[0][0].is_null() ? 0 : r.rows[0][0].int64();
  CAIRN_ASSIGN_OR_RETURN(std::vector<ModelAlias> aliases, AliasesOf(c, model));
  std::string names;
  for (const ModelAlias& a : aliases) names += (names.empty() ? "" : ", ") + a.alias;
  return Status::NotFound(
      "model '" + model + "' has no version or alias '" + ref + "' (" +
      (latest == 0 ? std::string("no versions") : "versions 1 to " + std::to_string(latest)) +
      "; aliases: " + (names.empty() ? std::string("none") : names) + ")");
}

// A version number: "3" or "v3"; nullopt for anything else.
std::optional<int64_t> ParseVersionNumber(const std::string& ref) {
  std::string_view digits = ref;
  if (!digits.empty() && (digits[0] == 'v' || digits[0] == 'V')) digits.remove_prefix(1);
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  int64_t n = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

int RegisterPauseMillis() {
  const char* v = std::getenv(std::string(kRegisterPauseEnv).c_str());
  if (v == nullptr) return 0;
  return std::max(0, std::atoi(v));
}

// Fills gate_passed and reason of `e` from its gate JSON (left unset when unreadable).
void ReadGateSummary(AliasEvent* e) {
  if (e->gate.empty()) return;
  simdjson::padded_string padded(e->gate);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) return;
  bool passed = false;
  if (doc["passed"].get_bool().get(passed) == simdjson::SUCCESS) e->gate_passed = passed;
  std::string_view reason;
  if (doc["reason"].get_string().get(reason) == simdjson::SUCCESS) e->reason = reason;
}

}  // namespace

int64_t ModelLockKey(const std::string& model) {
  return static_cast<int64_t>(Xxh3("cairn model " + model) >> 1);
}

Status CheckModelName(std::string_view name) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("model name '" + std::string(name) + "': " + why);
  };
  if (name.empty()) return bad("must not be empty");
  if (name.size() > 128) return bad("longer than 128 characters");
  const char first = name[0];
  if (first == '.' || first == '-' || first == '_') {
    return bad("must start with a letter or a digit");
  }
  for (const char c : name) {
    if (!IsNameChar(c) && c != '.') {
      return bad("may contain only letters, digits, '_', '-' and '.'");
    }
  }
  return Status::Ok();
}

Status CheckAliasName(std::string_view alias) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("alias '" + std::string(alias) + "': " + why);
  };
  if (alias.empty()) return bad("must not be empty");
  if (alias.size() > 64) return bad("longer than 64 characters");
  if (!std::all_of(alias.begin(), alias.end(), IsNameChar)) {
    return bad("may contain only letters, digits, '_' and '-'");
  }
  if (ParseVersionNumber(std::string(alias))) {
    return bad("looks like a version number; choose a name such as 'production'");
  }
  return Status::Ok();
}

std::string DefaultActor() {
  for (const char* name : {"USER", "LOGNAME"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
  }
  // No login variables (a container, a cron job): the account the process runs as.
  if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return "unknown";
}

Result<ModelVersion> RegisterModel(data::Workspace& ws, const std::string& model,
                                   const RegisterOptions& options) {
  CAIRN_RETURN_IF_ERROR(CheckModelName(model));
  CAIRN_RETURN_IF_ERROR(CheckArtifactName(options.artifact));
  CAIRN_ASSIGN_OR_RETURN(std::string run_id, ResolveRunId(ws, options.run));
  if (!options.file.empty()) {
    CAIRN_RETURN_IF_ERROR(LogArtifactFile(ws, run_id, options.artifact, options.file).status());
  }
  CAIRN_ASSIGN_OR_RETURN(ArtifactInfo artifact, GetArtifact(ws, run_id, options.artifact));
  ModelVersion v;
  v.model = model;
  v.run_id = run_id;
  v.artifact = artifact.name;
  v.blob_id = artifact.blob_id;
  v.size = artifact.size;
  v.created_by = options.actor.empty() ? DefaultActor() : options.actor;
  v.description = options.description;
  const int pause_ms = RegisterPauseMillis();
  Status written = catalog::RunInTransaction(ws.catalog(), [&](Connection& c) -> Status {
    CAIRN_RETURN_IF_ERROR(c.LockTransaction(ModelLockKey(model)));
    v.created_at = NowMicros();
    CAIRN_ASSIGN_OR_RETURN(QueryResult exists,
                           c.Query("SELECT name FROM models WHERE name = ?", {Value::Text(model)}));
    if (exists.rows.empty()) {
      CAIRN_RETURN_IF_ERROR(
          c.Execute(
               "INSERT INTO models (name, description, created_at) VALUES (?, ?, ?)",
               {Value::Text(model), Value::Text(options.description), Value::Int64(v.created_at)})
              .status());
    }
    CAIRN_ASSIGN_OR_RETURN(
        QueryResult top,
        c.Query("SELECT MAX(version) FROM model_versions WHERE model = ?", {Value::Text(model)}));
    v.version = (top.rows.empty() || top.rows[0][0].is_null() ? 0 : top.rows[0][0].int64()) + 1;
    CAIRN_RETURN_IF_ERROR(
        c.Execute("INSERT INTO model_versions (model, version, run_id, artifact, created_at, "
                  "created_by, description) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  {Value::Text(model), Value::Int64(v.version), Value::Text(run_id),
                   Value::Text(v.artifact), Value::Int64(v.created_at), Value::Text(v.created_by),
                   Value::Text(v.description)})
            .status());
    if (pause_ms > 0) {
      std::fprintf(stderr,
                   "cairn: model '%s' version %lld written; pausing %d ms inside the "
                   "registering transaction (%s)\n",
                   model.c_str(), static_cast<long long>(v.version), pause_ms,
                   std::string(kRegisterPauseEnv).c_str());
      std::fflush(stderr);
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    }
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return v;
}

Result<std::vector<ModelSummary>> ListModels(data::Workspace& ws) {
  Connection& c = ws.catalog();
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r,
      c.Query("SELECT m.name, m.description, m.created_at, COUNT(v.version), MAX(v.version) "
              "FROM models m LEFT JOIN model_versions v ON v.model = m.name "
              "GROUP BY m.name, m.description, m.created_at ORDER BY m.name"));
  std::vector<ModelSummary> out;
  for (const Row& row : r.rows) {
    ModelSummary s;
    s.name = row[0].bytes();
    s.description = row[1].bytes();
    s.created_at = row[2].int64();
    s.versions = row[3].int64();
    s.latest_version = row[4].is_null() ? 0 : row[4].int64();
    CAIRN_ASSIGN_OR_RETURN(s.aliases, AliasesOf(c, s.name));
    out.push_back(std::move(s));
  }
  return out;
}

Result<ModelInfo> GetModel(data::Workspace& ws, const std::string& model) {
  Connection& c = ws.catalog();
  CAIRN_RETURN_IF_ERROR(RequireModel(c, model));
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult m,
      c.Query("SELECT description, created_at FROM models WHERE name = ?", {Value::Text(model)}));
  ModelInfo info;
  info.name = model;
  info.description = m.rows[0][0].bytes();
  info.created_at = m.rows[0][1].int64();
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r, c.Query("SELECT " + std::string(kVersionColumns) + std::string(kVersionFrom) +
                                 " WHERE v.model = ? ORDER BY v.version",
                             {Value::Text(model)}));
  for (const Row& row : r.rows) info.versions.push_back(VersionFromRow(row));
  CAIRN_ASSIGN_OR_RETURN(info.aliases, AliasesOf(c, model));
  return info;
}

Result<ModelVersion> ResolveModelVersion(data::Workspace& ws, const std::string& model,
                                         const std::string& ref) {
  Connection& c = ws.catalog();
  CAIRN_RETURN_IF_ERROR(RequireModel(c, model));
  int64_t version = 0;
  if (std::optional<int64_t> n = ParseVersionNumber(ref)) {
    version = *n;
  } else {
    CAIRN_ASSIGN_OR_RETURN(std::optional<int64_t> held, AliasHolder(ws, model, ref));
    if (!held) return NoSuchVersion(c, model, ref);
    version = *held;
  }
  CAIRN_ASSIGN_OR_RETURN(std::optional<ModelVersion> v, FindVersion(c, model, version));
  if (!v) return NoSuchVersion(c, model, ref);
  return *v;
}

Result<std::optional<int64_t>> AliasHolder(data::Workspace& ws, const std::string& model,
                                           const std::string& alias) {
  CAIRN_RETURN_IF_ERROR(RequireModel(ws.catalog(), model));
  CAIRN_ASSIGN_OR_RETURN(QueryResult r,
                         ws.catalog().Query("SELECT version FROM model_aliases WHERE model = ? AND "
                                            "alias = ?",
                                            {Value::Text(model), Value::Text(alias)}));
  if (r.rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(r.rows[0][0].int64());
}

Result<ModelEvaluation> AddEvaluation(data::Workspace& ws, const std::string& model,
                                      int64_t version, std::string_view result_json,
                                      std::string_view source_name,
                                      const EvaluationOptions& options) {
  Connection& c = ws.catalog();
  CAIRN_RETURN_IF_ERROR(RequireModel(c, model));
  CAIRN_ASSIGN_OR_RETURN(std::optional<ModelVersion> v, FindVersion(c, model, version));
  if (!v) return NoSuchVersion(c, model, std::to_string(version));
  CAIRN_RETURN_IF_ERROR(metrics::EvaluationResultFromJson(result_json, source_name).status());
  CAIRN_ASSIGN_OR_RETURN(data::SnapshotInfo snap, data::GetSnapshot(ws, options.snapshot));
  const bool has_split =
      std::any_of(snap.splits.begin(), snap.splits.end(),
                  [&](const data::SplitInfo& s) { return s.name == options.split; });
  if (!has_split) {
    std::string names;
    for (const data::SplitInfo& s : snap.splits) names += (names.empty() ? "" : ", ") + s.name;
    return Status::NotFound("snapshot " + snap.id + " has no split '" + options.split +
                            "' (splits: " + names + ")");
  }
  ModelEvaluation e;
  e.model = model;
  e.version = version;
  e.snapshot_id = snap.id;
  e.split = options.split;
  if (!options.run.empty()) {
    CAIRN_ASSIGN_OR_RETURN(e.run_id, ResolveRunId(ws, options.run));
  }
  CAIRN_ASSIGN_OR_RETURN(e.result_blob, ws.blobs().PutBlob(result_json));
  Status written = catalog::RunInTransaction(c, [&](Connection& t) -> Status {
    CAIRN_RETURN_IF_ERROR(t.LockTransaction(ModelLockKey(model)));
    // recorded_at orders the evaluations and is part of the key: keep it increasing even
    // when two are recorded within one microsecond.
    CAIRN_ASSIGN_OR_RETURN(QueryResult last,
                           t.Query("SELECT MAX(recorded_at) FROM model_evaluations WHERE model = "
                                   "? AND version = ? AND snapshot_id = ? AND split = ?",
                                   {Value::Text(model), Value::Int64(version),
                                    Value::Text(e.snapshot_id), Value::Text(e.split)}));
    e.recorded_at = NowMicros();
    if (!last.rows.empty() && !last.rows[0][0].is_null()) {
      e.recorded_at = std::max(e.recorded_at, last.rows[0][0].int64() + 1);
    }
    return t
        .Execute(
            "INSERT INTO model_evaluations (" + std::string(kEvaluationColumns) +
                ") VALUES (?, ?, ?, ?, ?, ?, ?)",
            {Value::Text(model), Value::Int64(version), Value::Text(e.snapshot_id),
             Value::Text(e.split), Value::Text(e.result_blob),
             e.run_id.empty() ? Value::Null() : Value::Text(e.run_id), Value::Int64(e.recorded_at)})
        .status();
  });
  if (!written.ok()) return written;
  return e;
}

Result<std::optional<ModelEvaluation>> NewestEvaluation(data::Workspace& ws,
                                                        const std::string& model, int64_t version,
                                                        const std::string& split,
                                                        const std::string& snapshot_id) {
  std::string sql = "SELECT " + std::string(kEvaluationColumns) +
                    " FROM model_evaluations WHERE model = ? AND version = ? AND split = ?";
  std::vector<Value> params = {Value::Text(model), Value::Int64(version), Value::Text(split)};
  if (!snapshot_id.empty()) {
    sql += " AND snapshot_id = ?";
    params.push_back(Value::Text(snapshot_id));
  }
  sql += " ORDER BY recorded_at DESC, snapshot_id LIMIT 1";
  CAIRN_ASSIGN_OR_RETURN(QueryResult r, ws.catalog().Query(sql, params));
  if (r.rows.empty()) return std::optional<ModelEvaluation>();
  return std::optional<ModelEvaluation>(EvaluationFromRow(r.rows[0]));
}

Result<std::vector<ModelEvaluation>> ListEvaluations(data::Workspace& ws, const std::string& model,
                                                     int64_t version) {
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r,
      ws.catalog().Query("SELECT " + std::string(kEvaluationColumns) +
                             " FROM model_evaluations WHERE model = ? AND version = ? "
                             "ORDER BY recorded_at, snapshot_id, split",
                         {Value::Text(model), Value::Int64(version)}));
  std::vector<ModelEvaluation> out;
  for (const Row& row : r.rows) out.push_back(EvaluationFromRow(row));
  return out;
}

Result<std::string> ReadEvaluationJson(data::Workspace& ws, const ModelEvaluation& evaluation) {
  Result<std::string> data = ws.blobs().GetBlob(evaluation.result_blob);
  if (!data.ok() && (data.status().code() == StatusCode::kNotFound ||
                     data.status().code() == StatusCode::kCorrupt)) {
    return Status::Corrupt("evaluation of model '" + evaluation.model + "' version " +
                           std::to_string(evaluation.version) + " on split '" + evaluation.split +
                           "' of snapshot " + evaluation.snapshot_id + " (blob " +
                           evaluation.result_blob + "): " + data.status().message());
  }
  return data;
}

Result<std::vector<AliasEvent>> AliasHistory(data::Workspace& ws, const std::string& model,
                                             const std::string& alias) {
  Connection& c = ws.catalog();
  CAIRN_RETURN_IF_ERROR(RequireModel(c, model));
  std::string sql =
      "SELECT seq, alias, from_version, to_version, outcome, actor, at, gate "
      "FROM model_alias_history WHERE model = ?";
  std::vector<Value> params = {Value::Text(model)};
  if (!alias.empty()) {
    sql += " AND alias = ?";
    params.push_back(Value::Text(alias));
  }
  sql += " ORDER BY seq";
  CAIRN_ASSIGN_OR_RETURN(QueryResult r, c.Query(sql, params));
  std::vector<AliasEvent> out;
  for (const Row& row : r.rows) {
    AliasEvent e;
    e.seq = row[0].int64();
    e.alias = row[1].bytes();
    if (!row[2].is_null()) e.from_version = row[2].int64();
    e.to_version = row[3].int64();
    e.moved = row[4].bytes() == "moved";
    e.actor = row[5].bytes();
    e.at = row[6].int64();
    e.gate = row[7].bytes();
    ReadGateSummary(&e);
    out.push_back(std::move(e));
  }
  return out;
}

Result<Lineage> GetLineage(data::Workspace& ws, const std::string& model, const std::string& ref) {
  Lineage l;
  CAIRN_ASSIGN_OR_RETURN(l.version, ResolveModelVersion(ws, model, ref));
  CAIRN_ASSIGN_OR_RETURN(l.run, GetRun(ws, l.version.run_id));
  if (l.run.snapshot_id.empty()) return l;
  Result<data::SnapshotInfo> snap = data::GetSnapshot(ws, l.run.snapshot_id);
  if (!snap.ok()) {
    if (snap.status().code() == StatusCode::kNotFound) {
      return Status::Corrupt(Describe(l.version) + ": its run " + l.run.id + " names snapshot " +
                             l.run.snapshot_id + ", which does not exist");
    }
    return snap.status();
  }
  l.snapshot = std::move(*snap);
  CAIRN_ASSIGN_OR_RETURN(l.commits,
                         data::ListCommits(ws, l.snapshot->dataset, l.snapshot->as_of_sequence));
  return l;
}

Result<ModelVersion> ExportModel(data::Workspace& ws, const std::string& model,
                                 const std::string& ref, const std::string& dest) {
  CAIRN_ASSIGN_OR_RETURN(ModelVersion v, ResolveModelVersion(ws, model, ref));
  CAIRN_RETURN_IF_ERROR(
      ExportArtifact(ws, v.run_id, v.artifact, dest).WithPrefix(Describe(v) + ": cannot export"));
  return v;
}

}  // namespace cairn::track
