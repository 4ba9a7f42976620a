// `cairn eval report` and `cairn eval compare`: what is done with evaluation results once they
// are written — HTML reports, long tables, comparisons and gates.

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/time.h"
#include "cli/command.h"
#include "cli/output.h"
#include "metrics/compare.h"
#include "metrics/report.h"
#include "metrics/result_io.h"
#include "table/column.h"

namespace cairn::cli {
namespace {

using metrics::MetricComparison;
using metrics::Verdict;

std::string NowText() { return FormatTimestamp(NowMicros() / 1000000, 0); }

int RunEvalReport(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 1) return inv.UsageError("expected one argument: the result JSON file");
  std::optional<std::string> html = inv.args.Get("html");
  std::optional<std::string> table = inv.args.Get("table");
  if (!html && !table) return inv.UsageError("give --html FILE, --table FILE or both");
  auto result = metrics::ReadEvaluationResult(pos[0]);
  if (!result.ok()) return inv.Fail(result.status());
  int64_t table_rows = -1;
  if (table) {
    Status s = metrics::WriteLongTable(*result, *table);
    if (!s.ok()) return inv.Fail(s);
    table_rows = metrics::EvaluationResultToLongTable(*result).num_rows();
  }
  if (html) {
    metrics::ReportOptions options;
    if (auto title = inv.args.Get("title")) options.title = *title;
    options.source = pos[0];
    options.generated_at = NowText();
    if (auto list = inv.args.Get("headline")) {
      auto metrics = SplitList("headline", *list);
      if (!metrics.ok()) return inv.UsageError(metrics.status().message());
      options.headline_metrics = std::move(*metrics);
    }
    Status s = WriteStringToFile(*html, metrics::RenderHtmlReport(*result, options));
    if (!s.ok()) return inv.Fail(s);
  }
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("result");
    j.String(pos[0]);
    if (html) {
      j.Key("html");
      j.String(*html);
    }
    if (table) {
      j.Key("table");
      j.String(*table);
      j.Key("table_rows");
      j.Int(table_rows);
    }
    j.EndObject();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  if (html) Write(inv.out, "wrote " + *html + "\n");
  if (table) Write(inv.out, "wrote " + *table + " (" + std::to_string(table_rows) + " rows)\n");
  return kExitOk;
}

std::string ValueText(const std::optional<double>& v, bool present) {
  if (!present) return "-";
  return v ? table::FormatDouble(*v) : "null";
}

std::string DeltaText(const MetricComparison& m) {
  if (!m.baseline || !m.candidate) return "";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%+.6g", m.delta);
  return buf;
}

std::string SliceText(const std::string& slicing, const std::string& slice) {
  return slicing.empty() ? "overall" : slicing + "=" + slice;
}

void JsonOptional(JsonWriter* j, const std::optional<double>& v) {
  if (v) {
    j->Double(*v);
  } else {
    j->Null();
  }
}

void WriteComparisonJson(const metrics::Comparison& c, const metrics::GateResult* gate,
                         JsonWriter* j) {
  j->BeginObject();
  j->Key("tolerance");
  j->Double(c.tolerance);
  j->Key("regressions");
  j->Int(c.CountRegressions());
  j->Key("metrics");
  j->BeginArray();
  for (const MetricComparison& m : c.metrics) {
    j->BeginObject();
    j->Key("slicing");
    j->String(m.slicing);
    j->Key("slice");
    j->String(m.slice);
    j->Key("metric");
    j->String(m.metric);
    j->Key("baseline");
    JsonOptional(j, m.baseline);
    j->Key("candidate");
    JsonOptional(j, m.candidate);
    j->Key("delta");
    if (m.baseline && m.candidate) {
      j->Double(m.delta);
    } else {
      j->Null();
    }
    if (!m.baseline_reason.empty()) {
      j->Key("baseline_reason");
      j->String(m.baseline_reason);
    }
    if (!m.candidate_reason.empty()) {
      j->Key("candidate_reason");
      j->String(m.candidate_reason);
    }
    j->Key("higher_is_better");
    j->Bool(m.higher_is_better);
    j->Key("verdict");
    j->String(metrics::VerdictName(m.verdict));
    j->EndObject();
  }
  j->EndArray();
  j->Key("slices_with_different_rows");
  j->BeginArray();
  for (const metrics::SliceComparison* s : c.SlicesWithDifferentRows()) {
    j->BeginObject();
    j->Key("slicing");
    j->String(s->slicing);
    j->Key("slice");
    j->String(s->slice);
    j->Key("baseline_rows");
    if (s->baseline_rows < 0) {
      j->Null();
    } else {
      j->Int(s->baseline_rows);
    }
    j->Key("candidate_rows");
    if (s->candidate_rows < 0) {
      j->Null();
    } else {
      j->Int(s->candidate_rows);
    }
    j->EndObject();
  }
  j->EndArray();
  for (const auto& [key, list] : {std::pair<const char*, const std::vector<std::string>*>{
                                      "slicings_only_in_baseline", &c.slicings_only_in_baseline},
                                  {"slicings_only_in_candidate", &c.slicings_only_in_candidate}}) {
    j->Key(key);
    j->BeginArray();
    for (const auto& name : *list) j->String(name);
    j->EndArray();
  }
  if (gate != nullptr) {
    j->Key("gate");
    j->BeginObject();
    j->Key("passed");
    j->Bool(gate->passed);
    j->Key("rules");
    j->BeginArray();
    for (const metrics::GateRuleResult& r : gate->rules) {
      j->BeginObject();
      j->Key("rule");
      j->String(r.rule.ToString());
      j->Key("passed");
      j->Bool(r.passed);
      j->Key("checks");
      j->BeginArray();
      for (const metrics::GateCheck& check : r.checks) {
        j->BeginObject();
        j->Key("slicing");
        j->String(check.slicing);
        j->Key("slice");
        j->String(check.slice);
        j->Key("baseline");
        JsonOptional(j, check.baseline);
        j->Key("candidate");
        JsonOptional(j, check.candidate);
        j->Key("passed");
        j->Bool(check.passed);
        if (!check.reason.empty()) {
          j->Key("reason");
          j->String(check.reason);
        }
        j->EndObject();
      }
      j->EndArray();
      j->EndObject();
    }
    j->EndArray();
    j->EndObject();
  }
  j->EndObject();
}

std::string ComparisonText(const metrics::Comparison& c, const metrics::GateResult* gate) {
  std::string out;
  std::string summary;
  for (Verdict v : {Verdict::kRegressed, Verdict::kBecameNull, Verdict::kWithinTolerance,
                    Verdict::kImproved, Verdict::kBecameNumber, Verdict::kChanged,
                    Verdict::kUnchanged, Verdict::kOnlyInBaseline, Verdict::kOnlyInCandidate}) {
    int64_t n = c.Count(v);
    if (n == 0) continue;
    if (!summary.empty()) summary += ", ";
    summary += std::to_string(n) + " " + std::string(metrics::VerdictName(v));
  }
  int64_t regressions = c.CountRegressions();
  out += std::to_string(regressions) + (regressions == 1 ? " regression" : " regressions") + " (" +
         (summary.empty() ? "no metrics" : summary) + "; tolerance " +
         table::FormatDouble(c.tolerance) + ")\n";
  std::vector<const MetricComparison*> changes = c.Changes();
  if (!changes.empty()) {
    std::vector<std::vector<std::string>> rows;
    rows.reserve(changes.size());
    for (const MetricComparison* m : changes) {
      rows.push_back({DisplayCell(SliceText(m->slicing, m->slice)), DisplayCell(m->metric),
                      ValueText(m->baseline, m->verdict != Verdict::kOnlyInCandidate),
                      ValueText(m->candidate, m->verdict != Verdict::kOnlyInBaseline),
                      DeltaText(*m), std::string(metrics::VerdictName(m->verdict))});
    }
    out += "\n" +
           FormatTextTable({"slice", "metric", "baseline", "candidate", "delta", "verdict"}, rows);
  }
  std::vector<const metrics::SliceComparison*> different = c.SlicesWithDifferentRows();
  if (!different.empty()) {
    out += "\nslices not evaluated on the same rows:\n";
    for (const metrics::SliceComparison* s : different) {
      auto rows = [](int64_t n) { return n < 0 ? std::string("absent") : std::to_string(n); };
      out += "  " + DisplayCell(SliceText(s->slicing, s->slice)) + ": " + rows(s->baseline_rows) +
             " -> " + rows(s->candidate_rows) + " rows\n";
    }
  }
  for (const auto& name : c.slicings_only_in_baseline) {
    out += "slicing '" + DisplayCell(name) + "' is only in the baseline\n";
  }
  for (const auto& name : c.slicings_only_in_candidate) {
    out += "slicing '" + DisplayCell(name) + "' is only in the candidate\n";
  }
  if (gate != nullptr) {
    out += std::string("\ngate ") + (gate->passed ? "passed" : "FAILED") + "\n";
    for (const metrics::GateRuleResult& r : gate->rules) {
      out += std::string("  ") + (r.passed ? "pass  " : "FAIL  ") + r.rule.ToString() + "\n";
      for (const metrics::GateCheck& check : r.checks) {
        if (check.passed) continue;
        out += "        " + DisplayCell(SliceText(check.slicing, check.slice)) + ": ";
        if (r.rule.kind == metrics::GateRule::Kind::kMaxDrop) {
          out += ValueText(check.baseline, true) + " -> ";
        }
        out += ValueText(check.candidate, true);
        if (!check.reason.empty()) out += " (" + check.reason + ")";
        out += "\n";
      }
    }
  }
  return out;
}

int RunEvalCompare(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 2) {
    return inv.UsageError("expected two arguments: the baseline and the candidate result");
  }
  metrics::CompareOptions options;
  if (auto tol = inv.args.Get("tolerance")) {
    const char* end = tol->data() + tol->size();
    auto [ptr, ec] = std::from_chars(tol->data(), end, options.tolerance);
    if (ec != std::errc() || ptr != end || !std::isfinite(options.tolerance) ||
        options.tolerance < 0) {
      return inv.UsageError("--tolerance: expected a number >= 0, got '" + *tol + "'");
    }
  }
  std::vector<metrics::GateRule> rules;
  for (const std::string& text : inv.args.GetAll("gate")) {
    auto rule = metrics::ParseGateRule(text);
    if (!rule.ok()) return inv.UsageError(rule.status().message());
    rules.push_back(std::move(*rule));
  }
  auto baseline = metrics::ReadEvaluationResult(pos[0]);
  if (!baseline.ok()) return inv.Fail(baseline.status());
  auto candidate = metrics::ReadEvaluationResult(pos[1]);
  if (!candidate.ok()) return inv.Fail(candidate.status());
  auto comparison = metrics::CompareEvaluations(*baseline, *candidate, options);
  if (!comparison.ok()) return inv.Fail(comparison.status());
  std::optional<metrics::GateResult> gate;
  if (!rules.empty()) {
    auto evaluated = metrics::EvaluateGate(rules, &*baseline, *candidate);
    if (!evaluated.ok()) return inv.Fail(evaluated.status());
    gate = std::move(*evaluated);
  }
  const metrics::GateResult* gate_ptr = gate ? &*gate : nullptr;
  if (auto html = inv.args.Get("html")) {
    metrics::ReportOptions report;
    report.title = inv.args.Get("title").value_or("cairn comparison");
    report.source = pos[0] + " -> " + pos[1];
    report.generated_at = NowText();
    Status s =
        WriteStringToFile(*html, metrics::RenderHtmlComparison(*comparison, report, gate_ptr));
    if (!s.ok()) return inv.Fail(s);
  }
  if (inv.json) {
    JsonWriter j;
    WriteComparisonJson(*comparison, gate_ptr, &j);
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, "baseline:  " + pos[0] + "\ncandidate: " + pos[1] + "\n" +
                       ComparisonText(*comparison, gate_ptr));
  }
  bool failed = (inv.args.Has("fail-on-regression") && comparison->CountRegressions() > 0) ||
                (gate && !gate->passed);
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

std::vector<Command> EvalOutputCommands() {
  std::vector<Command> commands;
  commands.push_back(
      {"eval",
       "report",
       "render an evaluation result as an HTML report and/or a long table",
       "RESULT.json",
       "Reads a result written by 'cairn eval run --out' and writes a self-contained HTML "
       "page (no network access needed to view it) and/or a long table with one row per "
       "metric and slice (columns slicing, slice, rows, metric, value, reason; the format "
       "follows the extension: .parquet, .csv, .jsonl).",
       {{"html", 0, true, false, "FILE", "write the HTML report to FILE"},
        {"table", 0, true, false, "FILE", "write the long table to FILE"},
        {"title", 0, true, false, "TEXT", "title of the report"},
        {"headline", 0, true, false, "A,B", "metrics charted per slice (default: a few)"}},
       RunEvalReport});
  commands.push_back(
      {"eval",
       "compare",
       "compare a candidate evaluation against a baseline",
       "BASELINE.json CANDIDATE.json",
       "Compares every metric of the whole input and of every slice both results have, "
       "using each metric's direction (higher or lower is better), and lists what changed, "
       "regressions first. A worsening by at most --tolerance is 'within tolerance'; a value "
       "that became null counts as a regression. Results of different tasks or class lists "
       "are not compared. Each --gate adds a rule: 'METRIC >= X', 'METRIC <= X' or "
       "'max_drop METRIC X', optionally followed by 'by SLICING' to check every slice of "
       "that slicing. Exit status 1 when a gate rule fails, or with --fail-on-regression "
       "when anything regressed.",
       {{"tolerance", 0, true, false, "X", "allowed worsening per metric (default 0)"},
        {"html", 0, true, false, "FILE", "write an HTML comparison report to FILE"},
        {"title", 0, true, false, "TEXT", "title of the HTML report"},
        {"gate", 0, true, true, "RULE", "a gate rule (repeatable)"},
        {"fail-on-regression", 0, false, false, "", "exit 1 if any metric regressed"}},
       RunEvalCompare});
  return commands;
}

}  // namespace cairn::cli
