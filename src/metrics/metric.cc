#include "metrics/metric.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <set>

#include "metrics/formula.h"
#include "table/column.h"

namespace cairn::metrics {

MetricValue MetricValue::Number(double v) {
  MetricValue m;
  m.kind = Kind::kNumber;
  m.number = v;
  return m;
}

MetricValue MetricValue::Count(int64_t v) {
  MetricValue m;
  m.kind = Kind::kCount;
  m.count = v;
  return m;
}

MetricValue MetricValue::Matrix(std::vector<std::vector<int64_t>> rows) {
  MetricValue m;
  m.kind = Kind::kMatrix;
  m.matrix = std::move(rows);
  return m;
}

MetricValue MetricValue::Curve(std::vector<CurveSeries> series) {
  MetricValue m;
  m.kind = Kind::kCurve;
  m.curve = std::move(series);
  return m;
}

bool CurveSeries::operator==(const CurveSeries& o) const {
  if (name != o.name || values.size() != o.values.size()) return false;
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::bit_cast<uint64_t>(values[i]) != std::bit_cast<uint64_t>(o.values[i])) return false;
  }
  return true;
}

MetricValue MetricValue::Null(std::string reason) {
  MetricValue m;
  m.kind = Kind::kNull;
  m.reason = std::move(reason);
  return m;
}

bool MetricValue::operator==(const MetricValue& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case Kind::kNumber:
      // Bitwise, so that "equal" means "bit-identical" (values are never NaN).
      return std::bit_cast<uint64_t>(number) == std::bit_cast<uint64_t>(o.number);
    case Kind::kCount:
      return count == o.count;
    case Kind::kMatrix:
      return matrix == o.matrix;
    case Kind::kCurve:
      return curve == o.curve;
    case Kind::kNull:
      return reason == o.reason;
  }
  return false;
}

std::string MetricSpec::Key() const {
  std::string key = name;
  if (!params.empty()) {
    key += '(';
    bool first = true;
    for (const auto& [param, value] : params) {
      if (!first) key += ',';
      first = false;
      key += param;
      key += '=';
      key += table::FormatDouble(value);
    }
    key += ')';
  }
  if (class_name) {
    key += '[';
    key += *class_name;
    key += ']';
  }
  return key;
}

namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

Status SyntaxError(std::string_view text, std::string_view what) {
  return Status::InvalidArgument("metric '" + std::string(text) + "': " + std::string(what));
}

}  // namespace

Result<MetricSpec> ParseMetricSpec(std::string_view text) {
  MetricSpec spec;
  size_t i = 0;
  while (i < text.size() && IsNameChar(text[i])) ++i;
  if (i == 0) return SyntaxError(text, "expected a metric name (letters, digits, _)");
  spec.name = std::string(text.substr(0, i));
  if (i < text.size() && text[i] == '(') {
    size_t close = text.find(')', i);
    if (close == std::string_view::npos) return SyntaxError(text, "missing ')'");
    std::string_view list = text.substr(i + 1, close - i - 1);
    while (true) {
      size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      size_t eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return SyntaxError(text, "expected PARAM=NUMBER, got '" + std::string(item) + "'");
      }
      std::string param(item.substr(0, eq));
      std::string_view number = item.substr(eq + 1);
      double value = 0;
      auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
      if (ec != std::errc() || end != number.data() + number.size() || !std::isfinite(value)) {
        return SyntaxError(text, "parameter " + param + ": expected a finite number, got '" +
                                     std::string(number) + "'");
      }
      if (!spec.params.emplace(param, value).second) {
        return SyntaxError(text, "parameter " + param + " given twice");
      }
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
    i = close + 1;
  }
  if (i < text.size() && text[i] == '[') {
    if (text.back() != ']' || text.size() - i < 3) {
      return SyntaxError(text, "expected [CLASS] at the end");
    }
    spec.class_name = std::string(text.substr(i + 1, text.size() - i - 2));
    i = text.size();
  }
  if (i != text.size()) {
    return SyntaxError(text, "unexpected '" + std::string(text.substr(i)) + "'");
  }
  return spec;
}

Result<std::vector<std::string>> SplitMetricList(std::string_view text) {
  std::vector<std::string> items;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    char c = i < text.size() ? text[i] : ',';
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (c == ',' && depth <= 0) {
      std::string_view item = text.substr(start, i - start);
      if (item.empty()) {
        return Status::InvalidArgument("metric list '" + std::string(text) +
                                       "': empty metric name");
      }
      items.emplace_back(item);
      start = i + 1;
      depth = 0;
    }
  }
  return items;
}

std::string_view IntermediateName(Intermediate i) {
  switch (i) {
    case Intermediate::kConfusionMatrix:
      return "confusion_matrix";
    case Intermediate::kRanking:
      return "ranking";
    case Intermediate::kProbability:
      return "probability";
    case Intermediate::kRegression:
      return "regression";
  }
  return "?";
}

Status MetricRegistry::Register(std::unique_ptr<Metric> metric) {
  std::string name(metric->name());
  if (metrics_.count(name) > 0) {
    return Status::AlreadyExists("metric '" + name + "' is already registered");
  }
  metrics_.emplace(std::move(name), std::move(metric));
  return Status::Ok();
}

const Metric* MetricRegistry::Find(std::string_view name) const {
  auto it = metrics_.find(name);
  return it == metrics_.end() ? nullptr : it->second.get();
}

std::vector<std::string> MetricRegistry::Names() const {
  std::vector<std::string> names;
  names.reserve(metrics_.size());
  for (const auto& entry : metrics_) names.push_back(entry.first);
  return names;
}

bool Plan::Needs(Intermediate i) const {
  return std::find(intermediates.begin(), intermediates.end(), i) != intermediates.end();
}

namespace {

std::string KnownNames(const MetricRegistry& registry) {
  std::string known;
  for (const std::string& name : registry.Names()) {
    if (!known.empty()) known += ", ";
    known += name;
  }
  return known;
}

// Parses `text`, finds its metric and checks and defaults its parameters.
Result<PlannedMetric> Resolve(const MetricRegistry& registry, const std::string& text) {
  CAIRN_ASSIGN_OR_RETURN(MetricSpec spec, ParseMetricSpec(text));
  const Metric* metric = registry.Find(spec.name);
  if (metric == nullptr) {
    return Status::InvalidArgument("unknown metric '" + spec.name +
                                   "' (known metrics: " + KnownNames(registry) + ")");
  }
  if (spec.class_name && !metric->per_class()) {
    return Status::InvalidArgument("metric '" + text + "': " + spec.name +
                                   " has no per-class values");
  }
  std::vector<ParamSpec> params = metric->params();
  for (const auto& given : spec.params) {
    bool known = std::any_of(params.begin(), params.end(),
                             [&](const ParamSpec& p) { return p.name == given.first; });
    if (!known) {
      return Status::InvalidArgument("metric '" + text + "': " + spec.name +
                                     " has no parameter '" + given.first + "'");
    }
  }
  for (const ParamSpec& p : params) {
    if (spec.params.count(p.name) > 0) continue;
    if (!p.default_value) {
      return Status::InvalidArgument("metric '" + text + "': " + spec.name +
                                     " needs parameter '" + p.name + "' (" + p.help + ")");
    }
    spec.params[p.name] = *p.default_value;
  }
  PlannedMetric planned;
  planned.spec = std::move(spec);
  planned.metric = metric;
  return planned;
}

void AddToPlan(PlannedMetric planned, Plan* plan) {
  for (Intermediate i : planned.metric->dependencies()) {
    if (!plan->Needs(i)) plan->intermediates.push_back(i);
  }
  for (InputRole role : planned.metric->inputs()) {
    if (std::find(plan->inputs.begin(), plan->inputs.end(), role) == plan->inputs.end()) {
      plan->inputs.push_back(role);
    }
  }
  plan->metrics.push_back(std::move(planned));
}

}  // namespace

Result<Plan> MakePlan(const MetricRegistry& registry, const std::vector<std::string>& requests,
                      const std::vector<std::pair<std::string, std::string>>& formulas) {
  if (requests.empty() && formulas.empty()) return Status::InvalidArgument("no metrics requested");
  Plan plan;
  std::set<std::string> seen;
  for (const std::string& text : requests) {
    CAIRN_ASSIGN_OR_RETURN(PlannedMetric planned, Resolve(registry, text));
    if (!seen.insert(planned.spec.Key()).second) continue;
    plan.requests.push_back(planned.spec.Key());
    AddToPlan(std::move(planned), &plan);
  }
  if (formulas.empty()) return plan;
  for (const auto& [name, text] : formulas) {
    if (registry.Find(name) != nullptr) {
      return Status::InvalidArgument("formula '" + name + "': " + name +
                                     " is already a metric; choose another name");
    }
  }
  CAIRN_ASSIGN_OR_RETURN(FormulaSet set, ParseFormulas(formulas));
  for (const std::string& ref : set.References()) {
    auto planned = Resolve(registry, ref);
    if (!planned.ok()) {
      return Status::InvalidArgument("formulas read '" + ref + "': " +
                                     std::string(planned.status().message()));
    }
    if (planned->metric->per_class() && !planned->spec.class_name &&
        !planned->metric->aggregate_without_class()) {
      return Status::InvalidArgument("formulas read '" + ref + "', which has one value per " +
                                     "class: name a class (" + ref + "[CLASS]) or an average");
    }
    std::string key = planned->spec.Key();
    plan.formula_inputs[ref] = key;
    if (!seen.insert(key).second) continue;
    planned->hidden = true;
    AddToPlan(std::move(*planned), &plan);
  }
  plan.formula_texts = formulas;
  plan.formulas = std::make_shared<const FormulaSet>(std::move(set));
  return plan;
}

Result<std::vector<std::pair<std::string, MetricValue>>> ComputeMetrics(const Plan& plan,
                                                                        const MetricContext& ctx) {
  std::vector<std::pair<std::string, MetricValue>> out;
  const std::vector<std::string>& classes = *ctx.classes;
  for (const PlannedMetric& planned : plan.metrics) {
    if (!planned.metric->per_class() ||
        (!planned.spec.class_name && planned.metric->aggregate_without_class())) {
      planned.metric->Compute(planned.spec, ctx, &out);
      continue;
    }
    if (planned.spec.class_name) {
      if (std::find(classes.begin(), classes.end(), *planned.spec.class_name) == classes.end()) {
        std::string list;
        for (const std::string& c : classes) {
          if (!list.empty()) list += ", ";
          list += c;
        }
        return Status::InvalidArgument("metric '" + planned.spec.Key() + "': no class '" +
                                       *planned.spec.class_name + "' (classes: " + list + ")");
      }
      planned.metric->Compute(planned.spec, ctx, &out);
      continue;
    }
    MetricSpec one = planned.spec;
    for (const std::string& c : classes) {
      one.class_name = c;
      planned.metric->Compute(one, ctx, &out);
    }
  }
  if (!plan.formulas) return out;
  std::map<std::string, const MetricValue*> by_key;
  for (const auto& [key, value] : out) by_key.emplace(key, &value);
  auto lookup = [&](const std::string& ref) -> const MetricValue* {
    auto input = plan.formula_inputs.find(ref);
    auto it = by_key.find(input == plan.formula_inputs.end() ? ref : input->second);
    return it == by_key.end() ? nullptr : it->second;
  };
  CAIRN_ASSIGN_OR_RETURN(auto values, plan.formulas->Evaluate(lookup));
  // Drop what only the formulas read, then add the formulas.
  std::set<std::string> hidden;
  for (const PlannedMetric& planned : plan.metrics) {
    if (planned.hidden) hidden.insert(planned.spec.Key());
  }
  if (!hidden.empty()) {
    std::vector<std::pair<std::string, MetricValue>> kept;
    for (auto& entry : out) {
      if (hidden.count(entry.first) == 0) kept.push_back(std::move(entry));
    }
    out = std::move(kept);
  }
  for (auto& entry : values) out.push_back(std::move(entry));
  return out;
}

}  // namespace cairn::metrics
