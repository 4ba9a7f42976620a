#include "pipeline/records.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <utility>

#include "base/time.h"

namespace cairn::pipeline {

namespace {

using catalog::Connection;
using catalog::QueryResult;
using catalog::Row;
using catalog::Value;

constexpr std::string_view kRunColumns =
    "id, pipeline, file, file_hash, window_start, window_end, started_at, ended_at, status, "
    "host, pid";

std::string RandomId() {
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
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

PipelineRunRecord RunFromRow(const Row& row) {
  PipelineRunRecord r;
  r.id = row[0].bytes();
  r.pipeline = row[1].bytes();
  r.file = row[2].bytes();
  r.file_hash = row[3].bytes();
  if (!row[4].is_null() && !row[5].is_null()) r.window = Window{row[4].int64(), row[5].int64()};
  r.started_at = row[6].int64();
  r.ended_at = row[7].is_null() ? 0 : row[7].int64();
  r.status = row[8].bytes();
  r.host = row[9].bytes();
  r.pid = row[10].int64();
  if (r.status == "running" && r.host == HostName() && r.pid > 0 &&
      ::kill(static_cast<pid_t>(r.pid), 0) != 0 && errno == ESRCH) {
    r.interrupted = true;
  }
  return r;
}

Value OptionalInt(const std::optional<int64_t>& v) { return v ? Value::Int64(*v) : Value::Null(); }

}  // namespace

std::string_view StageStatusName(StageStatus status) {
  switch (status) {
    case StageStatus::kSkipped:
      return "skipped";
    case StageStatus::kRestored:
      return "restored";
    case StageStatus::kRan:
      return "ran";
    case StageStatus::kFailed:
      return "failed";
    case StageStatus::kNotRun:
      return "not-run";
  }
  return "not-run";
}

Result<StageStatus> ParseStageStatus(std::string_view name) {
  for (StageStatus s : {StageStatus::kSkipped, StageStatus::kRestored, StageStatus::kRan,
                        StageStatus::kFailed, StageStatus::kNotRun}) {
    if (StageStatusName(s) == name) return s;
  }
  return Status::Corrupt("unknown stage status '" + std::string(name) + "'");
}

Status BeginPipelineRun(Connection& conn, PipelineRunRecord* run) {
  run->id = RandomId();
  run->status = "running";
  run->host = HostName();
  run->pid = ::getpid();
  if (run->started_at == 0) run->started_at = NowMicros();
  return conn
      .Execute(
          "INSERT INTO pipeline_runs (id, pipeline, file, file_hash, window_start, window_end, "
          "started_at, status, host, pid) VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)",
          {Value::Text(run->id), Value::Text(run->pipeline), Value::Text(run->file),
           Value::Text(run->file_hash),
           run->window ? Value::Int64(run->window->start) : Value::Null(),
           run->window ? Value::Int64(run->window->end) : Value::Null(),
           Value::Int64(run->started_at), Value::Text(run->host), Value::Int64(run->pid)})
      .status()
      .WithPrefix("pipeline: recording the run");
}

namespace {

Status InsertStageRun(Connection& c, const StageRunRecord& s) {
  return c
      .Execute(
          "INSERT INTO pipeline_stage_runs (run_id, stage, stage_key, status, reason, "
          "inputs, started_at, ended_at, command_micros, exit_code, stdout_blob, "
          "stderr_blob) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {Value::Text(s.run_id), Value::Text(s.stage), Value::Text(s.key),
           Value::Text(std::string(StageStatusName(s.status))), Value::Text(s.reason),
           Value::Text(s.inputs), Value::Int64(s.started_at), Value::Int64(s.ended_at),
           Value::Int64(s.command_micros), OptionalInt(s.exit_code), Value::Text(s.stdout_blob),
           Value::Text(s.stderr_blob)})
      .status();
}

}  // namespace

Status RecordStageRuns(Connection& conn, const std::vector<StageRunRecord>& stages) {
  if (stages.empty()) return Status::Ok();
  return catalog::RunInTransaction(conn, [&](Connection& c) -> Status {
    for (const StageRunRecord& s : stages) CAIRN_RETURN_IF_ERROR(InsertStageRun(c, s));
    return Status::Ok();
  });
}

Status RecordStageRun(Connection& conn, const StageRunRecord& s, const CacheEntry* entry,
                      const std::vector<std::string>& entry_blobs) {
  return catalog::RunInTransaction(conn, [&](Connection& c) -> Status {
    CAIRN_RETURN_IF_ERROR(InsertStageRun(c, s));
    if (entry == nullptr) return Status::Ok();
    CAIRN_ASSIGN_OR_RETURN(
        int64_t inserted,
        c.Execute("INSERT INTO pipeline_cache (stage_key, pipeline, stage, outputs, created_at) "
                  "VALUES (?, ?, ?, ?, ?) ON CONFLICT (stage_key) DO NOTHING",
                  {Value::Text(entry->key), Value::Text(entry->pipeline), Value::Text(entry->stage),
                   Value::Text(OutputsText(entry->outputs)), Value::Int64(entry->created_at)}));
    if (inserted == 0) {
      // The key was recorded before (a forced run, or a run whose cached outputs were
      // damaged): the new outputs replace the old ones.
      CAIRN_RETURN_IF_ERROR(
          c.Execute("UPDATE pipeline_cache SET outputs = ?, created_at = ? WHERE stage_key = ?",
                    {Value::Text(OutputsText(entry->outputs)), Value::Int64(entry->created_at),
                     Value::Text(entry->key)})
              .status());
      CAIRN_RETURN_IF_ERROR(c.Execute("DELETE FROM pipeline_cache_blobs WHERE stage_key = ?",
                                      {Value::Text(entry->key)})
                                .status());
    }
    for (const std::string& blob : entry_blobs) {
      CAIRN_RETURN_IF_ERROR(
          c.Execute("INSERT INTO pipeline_cache_blobs (stage_key, blob_id) VALUES (?, ?)",
                    {Value::Text(entry->key), Value::Text(blob)})
              .status());
    }
    return Status::Ok();
  });
}

Status FinishPipelineRun(Connection& conn, const std::string& run_id, std::string_view status) {
  return conn
      .Execute("UPDATE pipeline_runs SET status = ?, ended_at = ? WHERE id = ?",
               {Value::Text(std::string(status)), Value::Int64(NowMicros()), Value::Text(run_id)})
      .status();
}

Result<std::optional<CacheEntry>> LookupCache(Connection& conn, const std::string& key) {
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r,
      conn.Query(
          "SELECT pipeline, stage, outputs, created_at FROM pipeline_cache WHERE stage_key = ?",
          {Value::Text(key)}));
  if (r.rows.empty()) return std::optional<CacheEntry>();
  CacheEntry e;
  e.key = key;
  e.pipeline = r.rows[0][0].bytes();
  e.stage = r.rows[0][1].bytes();
  auto outputs = ParseOutputsText(r.rows[0][2].bytes());
  if (!outputs.ok()) {
    return Status::Corrupt("pipeline: run cache entry " + key + ": " + outputs.status().message());
  }
  e.outputs = std::move(*outputs);
  e.created_at = r.rows[0][3].int64();
  return std::optional<CacheEntry>(std::move(e));
}

Result<std::optional<std::string>> LastInputs(Connection& conn, const std::string& pipeline,
                                              const std::string& stage) {
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r,
      conn.Query("SELECT s.inputs FROM pipeline_stage_runs s JOIN pipeline_runs r ON r.id = "
                 "s.run_id WHERE s.stage = ? AND r.pipeline = ? AND s.inputs <> '' AND "
                 "s.status IN ('skipped', 'restored', 'ran') ORDER BY s.ended_at DESC LIMIT 1",
                 {Value::Text(stage), Value::Text(pipeline)}));
  if (r.rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(r.rows[0][0].bytes());
}

Result<std::vector<PipelineRunRecord>> ListPipelineRuns(Connection& conn,
                                                        const std::string& pipeline,
                                                        int64_t limit) {
  std::string sql = "SELECT " + std::string(kRunColumns) + " FROM pipeline_runs";
  std::vector<Value> params;
  if (!pipeline.empty()) {
    sql += " WHERE pipeline = ?";
    params.push_back(Value::Text(pipeline));
  }
  sql += " ORDER BY started_at DESC, id LIMIT ?";
  params.push_back(Value::Int64(limit));
  CAIRN_ASSIGN_OR_RETURN(QueryResult r, conn.Query(sql, params));
  std::vector<PipelineRunRecord> runs;
  for (const Row& row : r.rows) runs.push_back(RunFromRow(row));
  return runs;
}

Result<PipelineRunRecord> GetPipelineRun(Connection& conn, const std::string& ref) {
  if (ref.size() < 4 || ref.size() > 32 ||
      ref.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Status::InvalidArgument("pipeline run '" + ref +
                                   "': expected an id or a prefix of at least 4 hex digits");
  }
  CAIRN_ASSIGN_OR_RETURN(QueryResult r,
                         conn.Query("SELECT " + std::string(kRunColumns) +
                                        " FROM pipeline_runs WHERE id >= ? AND id <= ? ORDER BY id "
                                        "LIMIT 2",
                                    {Value::Text(ref), Value::Text(ref + std::string(32, 'f'))}));
  if (r.rows.empty()) return Status::NotFound("no pipeline run '" + ref + "'");
  if (r.rows.size() > 1) {
    return Status::InvalidArgument("pipeline run '" + ref + "' is ambiguous: " +
                                   r.rows[0][0].bytes() + ", " + r.rows[1][0].bytes() + ", ...");
  }
  return RunFromRow(r.rows[0]);
}

Result<std::vector<StageRunRecord>> ListStageRuns(Connection& conn, const std::string& run_id) {
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r,
      conn.Query("SELECT stage, stage_key, status, reason, inputs, started_at, ended_at, "
                 "command_micros, exit_code, stdout_blob, stderr_blob FROM pipeline_stage_runs "
                 "WHERE run_id = ? ORDER BY ended_at, stage",
                 {Value::Text(run_id)}));
  std::vector<StageRunRecord> out;
  for (const Row& row : r.rows) {
    StageRunRecord s;
    s.run_id = run_id;
    s.stage = row[0].bytes();
    s.key = row[1].bytes();
    CAIRN_ASSIGN_OR_RETURN(s.status, ParseStageStatus(row[2].bytes()));
    s.reason = row[3].bytes();
    s.inputs = row[4].bytes();
    s.started_at = row[5].int64();
    s.ended_at = row[6].int64();
    s.command_micros = row[7].int64();
    if (!row[8].is_null()) s.exit_code = row[8].int64();
    s.stdout_blob = row[9].bytes();
    s.stderr_blob = row[10].bytes();
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace cairn::pipeline
