#include "metrics/compare.h"

#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "metrics/metric.h"
#include "table/column.h"

namespace cairn::metrics {
namespace {

const MetricValue* FindOutput(const MetricOutputs& outputs, std::string_view key) {
  for (const auto& [k, v] : outputs) {
    if (k == key) return &v;
  }
  return nullptr;
}

const EvaluationResult::Slicing* FindSlicing(const EvaluationResult& r, std::string_view name) {
  for (const auto& s : r.slicings) {
    if (s.Name() == name) return &s;
  }
  return nullptr;
}

const EvaluationResult::Slice* FindSlice(const EvaluationResult::Slicing& s, std::string_view key) {
  for (const auto& slice : s.slices) {
    if (slice.Key() == key) return &slice;
  }
  return nullptr;
}

bool IsScalar(const MetricValue& v) {
  return v.kind == MetricValue::Kind::kNumber || v.kind == MetricValue::Kind::kCount ||
         v.kind == MetricValue::Kind::kNull;
}

// The number a scalar holds, or nullopt for null (and NaN); *reason says why.
std::optional<double> ScalarNumber(const MetricValue& v, std::string* reason) {
  switch (v.kind) {
    case MetricValue::Kind::kCount:
      return static_cast<double>(v.count);
    case MetricValue::Kind::kNumber:
      if (std::isnan(v.number)) {
        *reason = "not a number";
        return std::nullopt;
      }
      return v.number;
    case MetricValue::Kind::kNull:
      *reason = v.reason;
      return std::nullopt;
    case MetricValue::Kind::kMatrix:
    case MetricValue::Kind::kCurve:
      break;
  }
  return std::nullopt;
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  return out + "]";
}

Status CheckComparable(const EvaluationResult& baseline, const EvaluationResult& candidate) {
  if (baseline.task != candidate.task) {
    return Status::InvalidArgument("cannot compare a " + baseline.task + " evaluation with a " +
                                   candidate.task + " one");
  }
  if (baseline.classes != candidate.classes) {
    return Status::InvalidArgument(
        "cannot compare evaluations of different class lists: the baseline has " +
        JoinList(baseline.classes) + ", the candidate " + JoinList(candidate.classes));
  }
  return Status::Ok();
}

// Whether `candidate` is worse than `baseline` by at most `allowed`, written as a bound on the
// candidate (at least baseline - allowed) so that 0.8 -> 0.79 is a drop of 0.01 as the user
// reads it, not of 0.010000000000000009.
bool WithinDrop(double baseline, double candidate, double allowed, bool higher_is_better) {
  return higher_is_better ? candidate >= baseline - allowed : candidate <= baseline + allowed;
}

MetricComparison CompareOne(const std::string& slicing, const std::string& slice,
                            const std::string& key, const MetricValue* b, const MetricValue* c,
                            const CompareOptions& options) {
  MetricComparison m;
  m.slicing = slicing;
  m.slice = slice;
  m.metric = key;
  m.higher_is_better = HigherIsBetter(key, options.registry);
  m.is_count = (b != nullptr && b->kind == MetricValue::Kind::kCount) ||
               (c != nullptr && c->kind == MetricValue::Kind::kCount);
  if (b != nullptr) m.baseline = ScalarNumber(*b, &m.baseline_reason);
  if (c != nullptr) m.candidate = ScalarNumber(*c, &m.candidate_reason);
  if (b == nullptr) {
    m.verdict = Verdict::kOnlyInCandidate;
  } else if (c == nullptr) {
    m.verdict = Verdict::kOnlyInBaseline;
  } else if (!m.baseline && !m.candidate) {
    m.verdict = Verdict::kUnchanged;
  } else if (!m.candidate) {
    m.verdict = Verdict::kBecameNull;
  } else if (!m.baseline) {
    m.verdict = Verdict::kBecameNumber;
  } else {
    m.delta = *m.candidate - *m.baseline;
    double gain = m.higher_is_better ? m.delta : -m.delta;
    if (*m.candidate == *m.baseline) {
      m.verdict = Verdict::kUnchanged;
    } else if (m.is_count) {
      m.verdict = Verdict::kChanged;
    } else if (gain > 0) {
      m.verdict = Verdict::kImproved;
    } else if (WithinDrop(*m.baseline, *m.candidate, options.tolerance, m.higher_is_better)) {
      m.verdict = Verdict::kWithinTolerance;
    } else {
      m.verdict = Verdict::kRegressed;
    }
  }
  return m;
}

void CompareOutputs(const std::string& slicing, const std::string& slice,
                    const MetricOutputs& baseline, const MetricOutputs& candidate,
                    const CompareOptions& options, std::vector<MetricComparison>* out) {
  for (const auto& [key, value] : baseline) {
    if (!IsScalar(value)) continue;
    const MetricValue* other = FindOutput(candidate, key);
    if (other != nullptr && !IsScalar(*other)) continue;
    out->push_back(CompareOne(slicing, slice, key, &value, other, options));
  }
  for (const auto& [key, value] : candidate) {
    if (!IsScalar(value) || FindOutput(baseline, key) != nullptr) continue;
    out->push_back(CompareOne(slicing, slice, key, nullptr, &value, options));
  }
}

bool ParseNumber(std::string_view text, double* out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && std::isfinite(*out);
}

// Splits a rule line into tokens at spaces outside brackets and parentheses.
std::vector<std::string> Tokenize(std::string_view line) {
  std::vector<std::string> tokens;
  std::string current;
  int depth = 0;
  for (char ch : line) {
    if (ch == '[' || ch == '(') ++depth;
    if ((ch == ']' || ch == ')') && depth > 0) --depth;
    if ((ch == ' ' || ch == '\t') && depth == 0) {
      if (!current.empty()) tokens.push_back(std::move(current));
      current.clear();
      continue;
    }
    current += ch;
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

// The scalar value of `key` in `outputs` for a gate check; an error for a missing key or a
// matrix or curve.
Result<std::optional<double>> GateValue(const MetricOutputs& outputs, const GateRule& rule,
                                        std::string_view where, std::string* reason) {
  const MetricValue* v = FindOutput(outputs, rule.metric);
  if (v == nullptr) {
    return Status::InvalidArgument("gate rule '" + rule.ToString() + "': " + std::string(where) +
                                   " has no metric '" + rule.metric + "'");
  }
  if (!IsScalar(*v)) {
    return Status::InvalidArgument("gate rule '" + rule.ToString() + "': '" + rule.metric +
                                   "' is not a number (a matrix or a curve)");
  }
  return ScalarNumber(*v, reason);
}

GateCheck CheckBound(const GateRule& rule, std::optional<double> value, const std::string& reason) {
  GateCheck check;
  check.candidate = value;
  if (!value) {
    check.reason = reason.empty() ? "null" : "null: " + reason;
    check.passed = false;
  } else {
    check.passed =
        rule.kind == GateRule::Kind::kAtLeast ? *value >= rule.threshold : *value <= rule.threshold;
  }
  return check;
}

GateCheck CheckDrop(const GateRule& rule, const MetricRegistry* registry,
                    std::optional<double> baseline, const std::string& baseline_reason,
                    std::optional<double> candidate, const std::string& candidate_reason) {
  GateCheck check;
  check.baseline = baseline;
  check.candidate = candidate;
  if (!baseline) {
    check.passed = true;
    check.reason = "baseline null" + (baseline_reason.empty() ? "" : ": " + baseline_reason);
  } else if (!candidate) {
    check.passed = false;
    check.reason = "candidate null" + (candidate_reason.empty() ? "" : ": " + candidate_reason);
  } else {
    check.passed =
        WithinDrop(*baseline, *candidate, rule.threshold, HigherIsBetter(rule.metric, registry));
  }
  return check;
}

}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kUnchanged:
      return "unchanged";
    case Verdict::kImproved:
      return "improved";
    case Verdict::kRegressed:
      return "regressed";
    case Verdict::kWithinTolerance:
      return "within tolerance";
    case Verdict::kChanged:
      return "changed";
    case Verdict::kBecameNull:
      return "became null";
    case Verdict::kBecameNumber:
      return "became number";
    case Verdict::kOnlyInBaseline:
      return "only in baseline";
    case Verdict::kOnlyInCandidate:
      return "only in candidate";
  }
  return "";
}

std::string_view MetricBaseName(std::string_view key) {
  size_t end = key.find_first_of("([");
  return end == std::string_view::npos ? key : key.substr(0, end);
}

bool HigherIsBetter(std::string_view key, const MetricRegistry* registry) {
  if (registry == nullptr) registry = &BuiltinMetrics();
  const Metric* metric = registry->Find(MetricBaseName(key));
  return metric == nullptr || metric->higher_is_better();
}

bool MetricComparison::IsRegression() const {
  return verdict == Verdict::kRegressed || verdict == Verdict::kBecameNull;
}

int64_t Comparison::CountRegressions() const {
  int64_t n = 0;
  for (const MetricComparison& m : metrics) n += m.IsRegression() ? 1 : 0;
  return n;
}

int64_t Comparison::Count(Verdict v) const {
  int64_t n = 0;
  for (const MetricComparison& m : metrics) n += m.verdict == v ? 1 : 0;
  return n;
}

std::vector<const MetricComparison*> Comparison::Changes() const {
  static constexpr Verdict kOrder[] = {Verdict::kRegressed,      Verdict::kBecameNull,
                                       Verdict::kOnlyInBaseline, Verdict::kWithinTolerance,
                                       Verdict::kChanged,        Verdict::kOnlyInCandidate,
                                       Verdict::kBecameNumber,   Verdict::kImproved};
  std::vector<const MetricComparison*> out;
  for (Verdict v : kOrder) {
    for (const MetricComparison& m : metrics) {
      if (m.verdict == v) out.push_back(&m);
    }
  }
  return out;
}

std::vector<const SliceComparison*> Comparison::SlicesWithDifferentRows() const {
  std::vector<const SliceComparison*> out;
  for (const SliceComparison& s : slices) {
    if (s.baseline_rows != s.candidate_rows) out.push_back(&s);
  }
  return out;
}

Result<Comparison> CompareEvaluations(const EvaluationResult& baseline,
                                      const EvaluationResult& candidate,
                                      const CompareOptions& options) {
  if (!(options.tolerance >= 0) || !std::isfinite(options.tolerance)) {
    return Status::InvalidArgument("the tolerance must be a finite number >= 0, got " +
                                   table::FormatDouble(options.tolerance));
  }
  CAIRN_RETURN_IF_ERROR(CheckComparable(baseline, candidate));
  Comparison out;
  out.tolerance = options.tolerance;
  out.task = candidate.task;
  out.classes = candidate.classes;
  out.baseline_version = baseline.cairn_version;
  out.candidate_version = candidate.cairn_version;
  out.baseline_inputs = baseline.inputs;
  out.candidate_inputs = candidate.inputs;
  out.slices.push_back({"", "", baseline.rows, candidate.rows});
  CompareOutputs("", "", baseline.overall, candidate.overall, options, &out.metrics);

  for (const EvaluationResult::Slicing& b : baseline.slicings) {
    std::string name = b.Name();
    const EvaluationResult::Slicing* c = FindSlicing(candidate, name);
    if (c == nullptr) {
      out.slicings_only_in_baseline.push_back(name);
      for (const auto& slice : b.slices) out.slices.push_back({name, slice.Key(), slice.rows, -1});
      continue;
    }
    std::map<std::string, const EvaluationResult::Slice*> candidate_slices;
    for (const auto& slice : c->slices) candidate_slices[slice.Key()] = &slice;
    std::set<std::string> seen;
    for (const auto& slice : b.slices) {
      std::string key = slice.Key();
      seen.insert(key);
      auto it = candidate_slices.find(key);
      if (it == candidate_slices.end()) {
        out.slices.push_back({name, key, slice.rows, -1});
        continue;
      }
      out.slices.push_back({name, key, slice.rows, it->second->rows});
      CompareOutputs(name, key, slice.outputs, it->second->outputs, options, &out.metrics);
    }
    for (const auto& slice : c->slices) {
      std::string key = slice.Key();
      if (seen.count(key) == 0) out.slices.push_back({name, key, -1, slice.rows});
    }
  }
  for (const EvaluationResult::Slicing& c : candidate.slicings) {
    std::string name = c.Name();
    if (FindSlicing(baseline, name) != nullptr) continue;
    out.slicings_only_in_candidate.push_back(name);
    for (const auto& slice : c.slices) out.slices.push_back({name, slice.Key(), -1, slice.rows});
  }
  return out;
}

std::string GateRule::ToString() const {
  std::string text;
  std::string number = table::FormatDouble(threshold);
  switch (kind) {
    case Kind::kAtLeast:
      text = metric + " >= " + number;
      break;
    case Kind::kAtMost:
      text = metric + " <= " + number;
      break;
    case Kind::kMaxDrop:
      text = "max_drop " + metric + " " + number;
      break;
  }
  if (!by.empty()) text += " by " + by;
  return text;
}

Result<GateRule> ParseGateRule(std::string_view line) {
  auto fail = [&](const std::string& what) {
    return Status::InvalidArgument("gate rule '" + std::string(line) + "': " + what);
  };
  std::vector<std::string> tokens = Tokenize(line);
  GateRule rule;
  if (tokens.size() >= 2 && tokens[tokens.size() - 2] == "by") {
    rule.by = tokens.back();
    tokens.resize(tokens.size() - 2);
  }
  std::string number;
  if (!tokens.empty() && tokens[0] == "max_drop") {
    if (tokens.size() != 3) return fail("expected 'max_drop METRIC NUMBER [by SLICING]'");
    rule.kind = GateRule::Kind::kMaxDrop;
    rule.metric = tokens[1];
    number = tokens[2];
  } else if (tokens.size() == 3 && (tokens[1] == ">=" || tokens[1] == "<=")) {
    rule.kind = tokens[1] == ">=" ? GateRule::Kind::kAtLeast : GateRule::Kind::kAtMost;
    rule.metric = tokens[0];
    number = tokens[2];
  } else {
    return fail(
        "expected 'METRIC >= NUMBER', 'METRIC <= NUMBER' or 'max_drop METRIC NUMBER', each "
        "optionally followed by 'by SLICING'");
  }
  if (!ParseNumber(number, &rule.threshold)) {
    return fail("'" + number + "' is not a finite number");
  }
  if (rule.kind == GateRule::Kind::kMaxDrop && rule.threshold < 0) {
    return fail("the allowed drop must be >= 0");
  }
  auto spec = ParseMetricSpec(rule.metric);
  if (!spec.ok()) return fail(spec.status().message());
  return rule;
}

Result<GateResult> EvaluateGate(const std::vector<GateRule>& rules,
                                const EvaluationResult* baseline, const EvaluationResult& candidate,
                                const MetricRegistry* registry) {
  if (baseline != nullptr) CAIRN_RETURN_IF_ERROR(CheckComparable(*baseline, candidate));
  GateResult gate;
  gate.passed = true;
  for (const GateRule& rule : rules) {
    bool drop = rule.kind == GateRule::Kind::kMaxDrop;
    if (drop && baseline == nullptr) {
      return Status::InvalidArgument("gate rule '" + rule.ToString() +
                                     "' needs a baseline evaluation");
    }
    GateRuleResult result;
    result.rule = rule;
    if (rule.by.empty()) {
      std::string b_reason;
      std::string c_reason;
      CAIRN_ASSIGN_OR_RETURN(std::optional<double> c,
                             GateValue(candidate.overall, rule, "the candidate", &c_reason));
      if (drop) {
        CAIRN_ASSIGN_OR_RETURN(std::optional<double> b,
                               GateValue(baseline->overall, rule, "the baseline", &b_reason));
        result.checks.push_back(CheckDrop(rule, registry, b, b_reason, c, c_reason));
      } else {
        result.checks.push_back(CheckBound(rule, c, c_reason));
      }
    } else {
      const EvaluationResult::Slicing* c_slicing = FindSlicing(candidate, rule.by);
      if (c_slicing == nullptr) {
        return Status::InvalidArgument("gate rule '" + rule.ToString() +
                                       "': the candidate has no slicing '" + rule.by + "'");
      }
      const EvaluationResult::Slicing* b_slicing = nullptr;
      if (drop) {
        b_slicing = FindSlicing(*baseline, rule.by);
        if (b_slicing == nullptr) {
          return Status::InvalidArgument("gate rule '" + rule.ToString() +
                                         "': the baseline has no slicing '" + rule.by + "'");
        }
      }
      if (c_slicing->slices.empty()) {
        return Status::InvalidArgument("gate rule '" + rule.ToString() +
                                       "': the candidate's slicing '" + rule.by +
                                       "' has no slices");
      }
      for (const EvaluationResult::Slice& slice : c_slicing->slices) {
        std::string key = slice.Key();
        std::string where = "slice '" + rule.by + "=" + key + "' of the candidate";
        std::string c_reason;
        CAIRN_ASSIGN_OR_RETURN(std::optional<double> c,
                               GateValue(slice.outputs, rule, where, &c_reason));
        GateCheck check;
        if (!drop) {
          check = CheckBound(rule, c, c_reason);
        } else if (const EvaluationResult::Slice* b_slice = FindSlice(*b_slicing, key);
                   b_slice == nullptr) {
          check.candidate = c;
          check.passed = true;
          check.reason = "new slice: not in the baseline";
        } else {
          std::string b_reason;
          CAIRN_ASSIGN_OR_RETURN(
              std::optional<double> b,
              GateValue(b_slice->outputs, rule,
                        "slice '" + rule.by + "=" + key + "' of the baseline", &b_reason));
          check = CheckDrop(rule, registry, b, b_reason, c, c_reason);
        }
        check.slicing = rule.by;
        check.slice = key;
        result.checks.push_back(std::move(check));
      }
      if (drop) {
        for (const EvaluationResult::Slice& slice : b_slicing->slices) {
          std::string key = slice.Key();
          if (FindSlice(*c_slicing, key) != nullptr) continue;
          GateCheck check;
          check.slicing = rule.by;
          check.slice = key;
          std::string b_reason;
          const MetricValue* bv = FindOutput(slice.outputs, rule.metric);
          if (bv != nullptr) check.baseline = ScalarNumber(*bv, &b_reason);
          check.passed = false;
          check.reason = "slice missing from the candidate";
          result.checks.push_back(std::move(check));
        }
      }
    }
    result.passed = true;
    for (const GateCheck& check : result.checks) result.passed = result.passed && check.passed;
    gate.passed = gate.passed && result.passed;
    gate.rules.push_back(std::move(result));
  }
  return gate;
}

}  // namespace cairn::metrics
