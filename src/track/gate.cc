#include "track/gate.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "base/file.h"
#include "base/json.h"
#include "base/time.h"
#include "base/yaml.h"
#include "catalog/catalog.h"
#include "metrics/report.h"
#include "metrics/result_io.h"
#include "table/column.h"

namespace cairn::track {
namespace {

using catalog::Connection;
using catalog::QueryResult;
using catalog::Value;

std::string Num(double v) { return table::FormatDouble(v); }

void AppendOptional(const std::optional<double>& v, std::string* out) {
  // JSON has no NaN or infinity; FormatDouble gives them as words, quoted here.
  if (!v) {
    *out += "null";
  } else if (std::isfinite(*v)) {
    *out += Num(*v);
  } else {
    AppendJsonString(Num(*v), out);
  }
}

void AppendEvaluationJson(const std::optional<ModelEvaluation>& e, std::string* out) {
  if (!e) {
    *out += "null";
    return;
  }
  *out += "{\"version\":" + std::to_string(e->version) + ",\"snapshot_id\":";
  AppendJsonString(e->snapshot_id, out);
  *out += ",\"split\":";
  AppendJsonString(e->split, out);
  *out += ",\"result_blob\":";
  AppendJsonString(e->result_blob, out);
  *out += ",\"recorded_at\":";
  AppendJsonString(FormatTimestamp(e->recorded_at, 6), out);
  *out += "}";
}

// The gate part of a promotion as stored in model_alias_history.gate.
std::string GateJson(const Promotion& p) {
  const GateOutcome& g = *p.gate;
  std::string out = "{\"split\":";
  AppendJsonString(g.split, &out);
  out += ",\"snapshot_id\":";
  if (g.snapshot_id.empty()) {
    out += "null";
  } else {
    AppendJsonString(g.snapshot_id, &out);
  }
  out += ",\"candidate\":";
  AppendEvaluationJson(g.candidate, &out);
  out += ",\"baseline\":";
  AppendEvaluationJson(g.baseline, &out);
  out += ",\"no_baseline\":";
  out += g.no_baseline ? "true" : "false";
  out += ",\"passed\":";
  out += g.result ? (g.result->passed ? "true" : "false") : "null";
  out += ",\"reason\":";
  AppendJsonString(p.reason, &out);
  out += ",\"rules\":[";
  if (g.result) {
    bool first_rule = true;
    for (const metrics::GateRuleResult& r : g.result->rules) {
      out += first_rule ? "{" : ",{";
      first_rule = false;
      out += "\"rule\":";
      AppendJsonString(r.rule.ToString(), &out);
      out += ",\"passed\":";
      out += r.passed ? "true" : "false";
      out += ",\"checks\":[";
      bool first_check = true;
      for (const metrics::GateCheck& c : r.checks) {
        out += first_check ? "{" : ",{";
        first_check = false;
        out += "\"slicing\":";
        AppendJsonString(c.slicing, &out);
        out += ",\"slice\":";
        AppendJsonString(c.slice, &out);
        out += ",\"candidate\":";
        AppendOptional(c.candidate, &out);
        out += ",\"baseline\":";
        AppendOptional(c.baseline, &out);
        out += ",\"limit\":";
        AppendOptional(GateLimit(r.rule, c), &out);
        out += ",\"passed\":";
        out += c.passed ? "true" : "false";
        out += ",\"reason\":";
        AppendJsonString(c.reason, &out);
        out += "}";
      }
      out += "]}";
    }
  }
  out += "]}";
  return out;
}

std::string AddEvalHint(const std::string& model, int64_t version, const std::string& snapshot,
                        const std::string& split) {
  return "add one with: cairn model add-eval " + model + " " + std::to_string(version) +
         " RESULT.json --snapshot " + snapshot + " --split " + split;
}

Result<metrics::EvaluationResult> LoadResult(data::Workspace& ws, const ModelEvaluation& e) {
  CAIRN_ASSIGN_OR_RETURN(std::string json, ReadEvaluationJson(ws, e));
  return metrics::EvaluationResultFromJson(json, "evaluation blob " + e.result_blob);
}

// The gate without a baseline: floors and ceilings are checked; max_drop rules are checked
// for metrics the candidate lacks (against itself) and then pass as "no baseline".
Result<metrics::GateResult> GateWithoutBaseline(const std::vector<metrics::GateRule>& rules,
                                                const metrics::EvaluationResult& candidate) {
  metrics::GateResult out;
  out.passed = true;
  for (const metrics::GateRule& rule : rules) {
    const bool drop = rule.kind == metrics::GateRule::Kind::kMaxDrop;
    CAIRN_ASSIGN_OR_RETURN(metrics::GateResult one,
                           metrics::EvaluateGate({rule}, drop ? &candidate : nullptr, candidate));
    metrics::GateRuleResult r = std::move(one.rules.front());
    if (drop) {
      for (metrics::GateCheck& c : r.checks) {
        c.baseline.reset();
        c.passed = true;
        c.reason = "no baseline: the alias has no holder";
      }
      r.passed = true;
    }
    out.passed = out.passed && r.passed;
    out.rules.push_back(std::move(r));
  }
  return out;
}

// Writes the attempt: when `move` is set, the alias is moved to p->version provided it still
// names p->from_version (gated) or whatever it names (ungated); then the history row.
Status Record(data::Workspace& ws, bool move, bool gated, Promotion* p) {
  return catalog::RunInTransaction(ws.catalog(), [&](Connection& c) -> Status {
    CAIRN_RETURN_IF_ERROR(c.LockTransaction(ModelLockKey(p->model)));
    p->at = NowMicros();
    bool moving = move;
    if (move) {
      CAIRN_ASSIGN_OR_RETURN(QueryResult now,
                             c.Query("SELECT version FROM model_aliases WHERE model = ? AND "
                                     "alias = ?",
                                     {Value::Text(p->model), Value::Text(p->alias)}));
      std::optional<int64_t> current;
      if (!now.rows.empty()) current = now.rows[0][0].int64();
      if (gated && current != p->from_version) {
        auto name = [](const std::optional<int64_t>& v) {
          return v ? "version " + std::to_string(*v) : std::string("no version");
        };
        p->moved = false;
        p->reason = "alias '" + p->alias + "' moved from " + name(p->from_version) + " to " +
                    name(current) +
                    " while the gate was checked (another promotion); promote again to gate "
                    "against the new holder";
        moving = false;
      } else {
        p->from_version = current;
        if (current) {
          CAIRN_RETURN_IF_ERROR(c.Execute("UPDATE model_aliases SET version = ?, updated_at = ? "
                                          "WHERE model = ? AND alias = ?",
                                          {Value::Int64(p->version), Value::Int64(p->at),
                                           Value::Text(p->model), Value::Text(p->alias)})
                                    .status());
        } else {
          CAIRN_RETURN_IF_ERROR(c.Execute("INSERT INTO model_aliases (model, alias, version, "
                                          "updated_at) VALUES (?, ?, ?, ?)",
                                          {Value::Text(p->model), Value::Text(p->alias),
                                           Value::Int64(p->version), Value::Int64(p->at)})
                                    .status());
        }
        p->moved = true;
        p->reason.clear();
      }
    }
    if (!moving) p->moved = false;
    p->gate_json = p->gate ? GateJson(*p) : "";
    CAIRN_ASSIGN_OR_RETURN(QueryResult top,
                           c.Query("SELECT MAX(seq) FROM model_alias_history WHERE model = ?",
                                   {Value::Text(p->model)}));
    p->seq = (top.rows.empty() || top.rows[0][0].is_null() ? 0 : top.rows[0][0].int64()) + 1;
    return c
        .Execute(
            "INSERT INTO model_alias_history (model, seq, alias, from_version, to_version, "
            "outcome, actor, at, gate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {Value::Text(p->model), Value::Int64(p->seq), Value::Text(p->alias),
             p->from_version ? Value::Int64(*p->from_version) : Value::Null(),
             Value::Int64(p->version), Value::Text(p->moved ? "moved" : "refused"),
             Value::Text(p->actor), Value::Int64(p->at), Value::Text(p->gate_json)})
        .status();
  });
}

// Checks the gate; fills p->gate and, when the promotion must be refused, p->reason.
Status CheckGate(data::Workspace& ws, const GateSpec& spec, Promotion* p) {
  p->gate.emplace();
  GateOutcome& g = *p->gate;
  g.split = spec.split;
  CAIRN_ASSIGN_OR_RETURN(g.candidate, NewestEvaluation(ws, p->model, p->version, spec.split));
  if (!g.candidate) {
    p->reason = "the candidate, model '" + p->model + "' version " + std::to_string(p->version) +
                ", has no evaluation on split '" + spec.split + "'; " +
                AddEvalHint(p->model, p->version, "SNAPSHOT", spec.split);
    return Status::Ok();
  }
  g.snapshot_id = g.candidate->snapshot_id;
  CAIRN_ASSIGN_OR_RETURN(g.candidate_result, LoadResult(ws, *g.candidate));
  Result<metrics::GateResult> result = Status::Internal("the gate was not evaluated");
  if (p->from_version) {
    CAIRN_ASSIGN_OR_RETURN(
        g.baseline, NewestEvaluation(ws, p->model, *p->from_version, spec.split, g.snapshot_id));
    if (!g.baseline) {
      p->reason = "the baseline is missing: model '" + p->model + "' version " +
                  std::to_string(*p->from_version) + " (the holder of '" + p->alias +
                  "') has no evaluation on split '" + spec.split + "' of snapshot " +
                  g.snapshot_id + " (the snapshot of the candidate's newest evaluation on '" +
                  spec.split + "'); " +
                  AddEvalHint(p->model, *p->from_version, g.snapshot_id, spec.split);
      return Status::Ok();
    }
    CAIRN_ASSIGN_OR_RETURN(g.baseline_result, LoadResult(ws, *g.baseline));
    result = metrics::EvaluateGate(spec.rules, &*g.baseline_result, *g.candidate_result);
  } else {
    g.no_baseline = std::any_of(spec.rules.begin(), spec.rules.end(), [](const auto& r) {
      return r.kind == metrics::GateRule::Kind::kMaxDrop;
    });
    result = GateWithoutBaseline(spec.rules, *g.candidate_result);
  }
  if (!result.ok()) {
    if (result.status().code() != StatusCode::kInvalidArgument) return result.status();
    p->gate_error = true;
    p->reason = "the gate cannot be checked: " + result.status().message();
    return Status::Ok();
  }
  g.result = std::move(*result);
  if (!g.result->passed) {
    int64_t failed = 0;
    for (const metrics::GateRuleResult& r : g.result->rules) failed += r.passed ? 0 : 1;
    p->reason = "the gate failed: " + std::to_string(failed) + " of " +
                std::to_string(g.result->rules.size()) + " rules";
  }
  return Status::Ok();
}

std::string Esc(std::string_view s) { return metrics::HtmlEscape(s); }

std::string CellValue(const std::optional<double>& v) { return v ? Num(*v) : "-"; }

// The verdict and the rules table, as an HTML fragment.
std::string VerdictHtml(const Promotion& p) {
  const bool ship = p.moved;
  std::string out =
      "<section style=\"margin:16px 28px;padding:12px 18px;border-radius:6px;color:#fff;"
      "background:" +
      std::string(ship ? "#2e7d32" : "#b0483a") + "\"><h2 style=\"margin:0;border:0\">" +
      (ship ? "SHIP" : "NO SHIP") + ": model " + Esc(p.model) + " version " +
      std::to_string(p.version) + " &rarr; " + Esc(p.alias) + "</h2><p style=\"margin:6px 0 0\">";
  out += "current holder: " +
         (p.from_version ? "version " + std::to_string(*p.from_version) : std::string("none"));
  if (p.gate) {
    out += "; split " + Esc(p.gate->split);
    if (!p.gate->snapshot_id.empty()) out += " of snapshot " + Esc(p.gate->snapshot_id);
  }
  out += "</p>";
  if (!p.reason.empty()) out += "<p style=\"margin:6px 0 0\">" + Esc(p.reason) + "</p>";
  out += "</section>\n";
  if (!p.gate || !p.gate->result) return out;
  out +=
      "<section style=\"margin:0 28px\"><h2>Gate rules</h2><table><thead><tr><th>rule</th>"
      "<th>slice</th><th>candidate</th><th>baseline</th><th>limit</th><th>outcome</th>"
      "<th>note</th></tr></thead><tbody>\n";
  for (const metrics::GateRuleResult& r : p.gate->result->rules) {
    for (const metrics::GateCheck& c : r.checks) {
      const std::string slice = c.slicing.empty() ? "overall" : c.slicing + "=" + c.slice;
      out += "<tr><td>" + Esc(r.rule.ToString()) + "</td><td>" + Esc(slice) +
             "</td><td class=\"num\">" + CellValue(c.candidate) + "</td><td class=\"num\">" +
             CellValue(c.baseline) + "</td><td class=\"num\">" + CellValue(GateLimit(r.rule, c)) +
             "</td><td style=\"color:" + (c.passed ? "#2e7d32" : "#b0483a") + "\">" +
             (c.passed ? "pass" : "FAIL") + "</td><td>" + Esc(c.reason) + "</td></tr>\n";
    }
  }
  out += "</tbody></table></section>\n";
  return out;
}

// `page` with `fragment` inserted right after its <body> tag.
std::string InsertAfterBody(std::string page, const std::string& fragment) {
  const size_t body = page.find("<body>");
  const size_t at = body == std::string::npos ? 0 : body + 6;
  page.insert(at, "\n" + fragment);
  return page;
}

}  // namespace

Result<GateSpec> ParseGateSpec(std::string_view text, std::string_view file_name) {
  CAIRN_ASSIGN_OR_RETURN(YamlDocument doc, ParseYaml(text, file_name));
  const YamlNode& root = doc.root;
  if (root.IsNull()) {
    return Status::InvalidArgument(std::string(file_name) +
                                   ":1: the gate file is empty; expected 'rules:'");
  }
  CAIRN_RETURN_IF_ERROR(root.ExpectMap());
  CAIRN_RETURN_IF_ERROR(root.CheckKeys({"split", "rules"}));
  GateSpec spec;
  spec.source = std::string(file_name);
  if (const YamlNode* split = root.Get("split")) {
    CAIRN_ASSIGN_OR_RETURN(spec.split, split->AsString());
    if (spec.split.empty()) return split->Error("must not be empty");
  }
  CAIRN_ASSIGN_OR_RETURN(const YamlNode* rules, root.Require("rules"));
  CAIRN_RETURN_IF_ERROR(rules->ExpectSequence());
  if (rules->items().empty()) return rules->Error("must list at least one rule");
  for (const YamlNode& item : rules->items()) {
    CAIRN_ASSIGN_OR_RETURN(std::string line, item.AsString());
    Result<metrics::GateRule> rule = metrics::ParseGateRule(line);
    if (!rule.ok()) return item.Error(rule.status().message());
    spec.rules.push_back(std::move(*rule));
  }
  return spec;
}

Result<GateSpec> ReadGateSpec(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseGateSpec(text, path);
}

std::optional<double> GateLimit(const metrics::GateRule& rule, const metrics::GateCheck& check) {
  if (rule.kind != metrics::GateRule::Kind::kMaxDrop) return rule.threshold;
  if (!check.baseline) return std::nullopt;
  return metrics::HigherIsBetter(rule.metric) ? *check.baseline - rule.threshold
                                              : *check.baseline + rule.threshold;
}

Result<Promotion> Promote(data::Workspace& ws, const std::string& model, int64_t version,
                          const PromoteOptions& options) {
  CAIRN_RETURN_IF_ERROR(CheckAliasName(options.alias));
  CAIRN_ASSIGN_OR_RETURN(ModelVersion v, ResolveModelVersion(ws, model, std::to_string(version)));
  Promotion p;
  p.model = model;
  p.alias = options.alias;
  p.version = v.version;
  p.actor = options.actor.empty() ? DefaultActor() : options.actor;
  CAIRN_ASSIGN_OR_RETURN(p.from_version, AliasHolder(ws, model, options.alias));
  if (options.gate) CAIRN_RETURN_IF_ERROR(CheckGate(ws, *options.gate, &p));
  if (options.before_write) options.before_write();
  CAIRN_RETURN_IF_ERROR(Record(ws, p.reason.empty(), options.gate.has_value(), &p));
  return p;
}

std::string RenderPromotionHtml(const Promotion& p, const std::string& generated_at) {
  metrics::ReportOptions options;
  options.title =
      "cairn promotion: " + p.model + " version " + std::to_string(p.version) + " to " + p.alias;
  options.generated_at = generated_at;
  const std::string verdict = VerdictHtml(p);
  if (p.gate && p.gate->candidate_result && p.gate->baseline_result) {
    Result<metrics::Comparison> c =
        metrics::CompareEvaluations(*p.gate->baseline_result, *p.gate->candidate_result);
    if (c.ok()) {
      c->baseline_version = "version " + std::to_string(p.gate->baseline->version);
      c->candidate_version = "version " + std::to_string(p.version);
      return InsertAfterBody(metrics::RenderHtmlComparison(*c, options), verdict);
    }
  }
  if (p.gate && p.gate->candidate_result) {
    return InsertAfterBody(metrics::RenderHtmlReport(*p.gate->candidate_result, options), verdict);
  }
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
         Esc(options.title) + "</title>\n</head>\n<body style=\"font-family:sans-serif\">\n" +
         verdict + "</body>\n</html>\n";
}

}  // namespace cairn::track
