#include "pipeline/subscriptions.h"

#include "base/time.h"

namespace cairn::pipeline {

namespace {

using catalog::QueryResult;
using catalog::Value;

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    if (!out.empty()) out += ' ';
    out += id;
  }
  return out;
}

std::vector<std::string> SplitIds(const std::string& text) {
  std::vector<std::string> ids;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string::npos) end = text.size();
    if (end > pos) ids.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return ids;
}

}  // namespace

const std::vector<std::string>& DeliveredCommits(const Delivery& delivery) {
  return delivery.has_new() ? delivery.commits : delivery.previous_commits;
}

Result<Delivery> PendingDelivery(catalog::Connection& conn, const std::string& pipeline,
                                 const std::string& stage, const std::string& dataset) {
  Delivery d;
  d.dataset = dataset;
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult exists,
      conn.Query("SELECT COUNT(*) FROM datasets WHERE name = ?", {Value::Text(dataset)}));
  if (exists.rows.empty() || exists.rows[0][0].int64() == 0) {
    return Status::InvalidArgument("pipeline " + pipeline + ": stage '" + stage +
                                   "' subscribes to dataset '" + dataset +
                                   "', which does not exist");
  }
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult position,
      conn.Query("SELECT position, commits FROM pipeline_subscriptions WHERE pipeline = ? AND "
                 "stage = ? AND dataset = ?",
                 {Value::Text(pipeline), Value::Text(stage), Value::Text(dataset)}));
  if (!position.rows.empty()) {
    d.after_sequence = position.rows[0][0].int64();
    d.previous_commits = SplitIds(position.rows[0][1].bytes());
  }
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult commits,
      conn.Query("SELECT id, sequence FROM commits WHERE dataset = ? AND sequence > ? ORDER BY "
                 "sequence",
                 {Value::Text(dataset), Value::Int64(d.after_sequence)}));
  for (const catalog::Row& row : commits.rows) d.commits.push_back(row[0].bytes());
  if (!commits.rows.empty()) {
    d.first_sequence = commits.rows.front()[1].int64();
    d.last_sequence = commits.rows.back()[1].int64();
  } else if (!d.previous_commits.empty()) {
    CAIRN_ASSIGN_OR_RETURN(QueryResult first,
                           conn.Query("SELECT sequence FROM commits WHERE id = ?",
                                      {Value::Text(d.previous_commits[0])}));
    if (!first.rows.empty()) d.first_sequence = first.rows[0][0].int64();
    d.last_sequence = d.after_sequence;
  }
  return d;
}

Result<bool> AdvanceSubscription(catalog::Connection& conn, const std::string& pipeline,
                                 const std::string& stage, const Delivery& delivery,
                                 const std::string& stage_key, const std::string& run_id) {
  bool advanced = false;
  Status st = catalog::RunInTransaction(conn, [&](catalog::Connection& c) -> Status {
    advanced = false;
    const std::vector<Value> key = {Value::Text(pipeline), Value::Text(stage),
                                    Value::Text(delivery.dataset)};
    CAIRN_ASSIGN_OR_RETURN(
        QueryResult row,
        c.Query("SELECT position FROM pipeline_subscriptions WHERE pipeline = ? AND stage = ? "
                "AND dataset = ?",
                key));
    const int64_t current = row.rows.empty() ? 0 : row.rows[0][0].int64();
    if (current != delivery.after_sequence) return Status::Ok();
    const std::vector<Value> values = {Value::Int64(delivery.last_sequence),
                                       Value::Text(JoinIds(delivery.commits)),
                                       Value::Text(stage_key),
                                       Value::Text(run_id),
                                       Value::Int64(NowMicros()),
                                       Value::Text(pipeline),
                                       Value::Text(stage),
                                       Value::Text(delivery.dataset)};
    if (row.rows.empty()) {
      CAIRN_RETURN_IF_ERROR(
          c.Execute("INSERT INTO pipeline_subscriptions (position, commits, stage_key, run_id, "
                    "updated_at, pipeline, stage, dataset) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    values)
              .status());
    } else {
      CAIRN_RETURN_IF_ERROR(
          c.Execute("UPDATE pipeline_subscriptions SET position = ?, commits = ?, stage_key = ?, "
                    "run_id = ?, updated_at = ? WHERE pipeline = ? AND stage = ? AND dataset = ?",
                    values)
              .status());
    }
    advanced = true;
    return Status::Ok();
  });
  CAIRN_RETURN_IF_ERROR(st.WithPrefix("pipeline " + pipeline +
                                      ": advancing the subscription of "
                                      "stage '" +
                                      stage + "'"));
  return advanced;
}

Result<std::vector<SubscriptionRecord>> ListSubscriptions(catalog::Connection& conn,
                                                          const std::string& pipeline) {
  std::string sql =
      "SELECT s.pipeline, s.stage, s.dataset, s.position, s.commits, s.stage_key, s.run_id, "
      "s.updated_at, (SELECT COALESCE(MAX(c.sequence), 0) FROM commits c WHERE c.dataset = "
      "s.dataset) FROM pipeline_subscriptions s";
  std::vector<Value> params;
  if (!pipeline.empty()) {
    sql += " WHERE s.pipeline = ?";
    params.push_back(Value::Text(pipeline));
  }
  sql += " ORDER BY s.pipeline, s.stage, s.dataset";
  CAIRN_ASSIGN_OR_RETURN(QueryResult r, conn.Query(sql, params));
  std::vector<SubscriptionRecord> out;
  out.reserve(r.rows.size());
  for (const catalog::Row& row : r.rows) {
    SubscriptionRecord s;
    s.pipeline = row[0].bytes();
    s.stage = row[1].bytes();
    s.dataset = row[2].bytes();
    s.position = row[3].int64();
    s.commits = SplitIds(row[4].bytes());
    s.stage_key = row[5].bytes();
    s.run_id = row[6].bytes();
    s.updated_at = row[7].int64();
    s.head = row[8].int64();
    out.push_back(std::move(s));
  }
  return out;
}

std::string ApplyDelivery(std::string_view text, const Delivery& delivery) {
  const std::pair<std::string_view, std::string> vars[] = {
      {"${commits}", JoinIds(DeliveredCommits(delivery))},
      {"${first_sequence}", std::to_string(delivery.first_sequence)},
      {"${last_sequence}", std::to_string(delivery.last_sequence)},
      {"${dataset}", delivery.dataset},
  };
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t next = text.find("${", pos);
    if (next == std::string_view::npos) break;
    out.append(text.substr(pos, next - pos));
    pos = next;
    bool replaced = false;
    for (const auto& [name, value] : vars) {
      if (text.substr(next).starts_with(name)) {
        out += value;
        pos = next + name.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out += "${";
      pos = next + 2;
    }
  }
  if (pos < text.size()) out.append(text.substr(pos));
  return out;
}

std::vector<std::pair<std::string, std::string>> DeliveryEnv(const Delivery& delivery) {
  return {{"CAIRN_SUBSCRIBED_DATASET", delivery.dataset},
          {"CAIRN_COMMITS", JoinIds(DeliveredCommits(delivery))},
          {"CAIRN_FIRST_SEQUENCE", std::to_string(delivery.first_sequence)},
          {"CAIRN_LAST_SEQUENCE", std::to_string(delivery.last_sequence)},
          {"CAIRN_AFTER_SEQUENCE", std::to_string(delivery.after_sequence)}};
}

}  // namespace cairn::pipeline
