#include "metrics/result.h"

#include <cmath>

#include "base/json.h"
#include "table/column.h"

namespace cairn::metrics {
namespace {

void AppendNumber(double v, std::string* out) {
  if (std::isnan(v)) {
    *out += "null";
  } else {
    *out += table::FormatDouble(v, true);  // 1.0, not 1: a number stays a number when read
  }
}

void AppendValue(const MetricValue& v, std::string* out) {
  switch (v.kind) {
    case MetricValue::Kind::kNumber:
      AppendNumber(v.number, out);
      return;
    case MetricValue::Kind::kCount:
      *out += std::to_string(v.count);
      return;
    case MetricValue::Kind::kMatrix: {
      *out += '[';
      for (size_t r = 0; r < v.matrix.size(); ++r) {
        if (r > 0) *out += ',';
        *out += '[';
        for (size_t c = 0; c < v.matrix[r].size(); ++c) {
          if (c > 0) *out += ',';
          *out += std::to_string(v.matrix[r][c]);
        }
        *out += ']';
      }
      *out += ']';
      return;
    }
    case MetricValue::Kind::kCurve: {
      *out += '{';
      for (size_t s = 0; s < v.curve.size(); ++s) {
        if (s > 0) *out += ',';
        AppendJsonString(v.curve[s].name, out);
        *out += ":[";
        for (size_t i = 0; i < v.curve[s].values.size(); ++i) {
          if (i > 0) *out += ',';
          AppendNumber(v.curve[s].values[i], out);
        }
        *out += ']';
      }
      *out += '}';
      return;
    }
    case MetricValue::Kind::kNull:
      *out += "null";
      return;
  }
}

// `rows` < 0: no "rows" member (the overall object, whose rows are at the top level).
void AppendOutputs(const MetricOutputs& outputs, int64_t rows, std::string* out) {
  *out += '{';
  bool first = true;
  if (rows >= 0) {
    *out += "\"rows\":" + std::to_string(rows);
    first = false;
  }
  bool any_null = false;
  for (const auto& [key, value] : outputs) {
    if (!first) *out += ',';
    first = false;
    AppendJsonString(key, out);
    *out += ':';
    AppendValue(value, out);
    any_null = any_null || value.kind == MetricValue::Kind::kNull;
  }
  if (any_null) {
    if (!first) *out += ',';
    *out += "\"null_reasons\":{";
    bool first_reason = true;
    for (const auto& [key, value] : outputs) {
      if (value.kind != MetricValue::Kind::kNull) continue;
      if (!first_reason) *out += ',';
      first_reason = false;
      AppendJsonString(key, out);
      *out += ':';
      AppendJsonString(value.reason, out);
    }
    *out += '}';
  }
  *out += '}';
}

}  // namespace

std::string JoinSliceKey(const std::vector<std::string>& values) {
  std::string key;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) key += '|';
    for (char c : values[i]) {
      if (c == '|' || c == '\\') key += '\\';
      key += c;
    }
  }
  return key;
}

std::vector<std::string> SplitSliceKey(std::string_view key) {
  std::vector<std::string> values(1);
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (c == '\\' && i + 1 < key.size()) {
      values.back() += key[++i];
    } else if (c == '|') {
      values.emplace_back();
    } else {
      values.back() += c;
    }
  }
  return values;
}

std::string EvaluationResult::Slice::Key() const { return JoinSliceKey(values); }

std::string EvaluationResult::Slicing::Name() const {
  std::string name;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) name += ',';
    name += columns[i];
  }
  return name;
}

std::string EvaluationResultToJson(const EvaluationResult& result) {
  std::string out = "{\"cairn_version\":";
  AppendJsonString(result.cairn_version, &out);
  out += ",\"task\":";
  AppendJsonString(result.task, &out);
  out += ",\"inputs\":[";
  for (size_t i = 0; i < result.inputs.size(); ++i) {
    const EvaluationResult::Input& in = result.inputs[i];
    if (i > 0) out += ',';
    out += "{\"path\":";
    AppendJsonString(in.path, &out);
    out += ",\"bytes\":" + std::to_string(in.bytes) + ",\"xxh3\":";
    AppendJsonString(in.xxh3, &out);
    out += '}';
  }
  out += "],\"classes\":[";
  for (size_t i = 0; i < result.classes.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(result.classes[i], &out);
  }
  out += "],\"rows\":" + std::to_string(result.rows) + ",\"overall\":";
  AppendOutputs(result.overall, -1, &out);
  out += ",\"slices\":{";
  for (size_t s = 0; s < result.slicings.size(); ++s) {
    const EvaluationResult::Slicing& slicing = result.slicings[s];
    if (s > 0) out += ',';
    AppendJsonString(slicing.Name(), &out);
    out += ":{";
    for (size_t i = 0; i < slicing.slices.size(); ++i) {
      if (i > 0) out += ',';
      AppendJsonString(slicing.slices[i].Key(), &out);
      out += ':';
      AppendOutputs(slicing.slices[i].outputs, slicing.slices[i].rows, &out);
    }
    out += '}';
  }
  out += "}}";
  return out;
}

}  // namespace cairn::metrics
