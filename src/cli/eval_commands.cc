// `cairn eval ...`: evaluate predictions against labels with the metric engine.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/file.h"
#include "cli/command.h"
#include "cli/output.h"
#include "metrics/evaluation.h"
#include "metrics/metric.h"
#include "table/io.h"

namespace cairn::cli {
namespace {

using metrics::MetricValue;

std::string FormatValue(const MetricValue& v) {
  switch (v.kind) {
    case MetricValue::Kind::kNumber:
      return table::FormatDouble(v.number);
    case MetricValue::Kind::kCount:
      return std::to_string(v.count);
    case MetricValue::Kind::kMatrix: {
      std::string text;
      for (const auto& row : v.matrix) {
        text += text.empty() ? "[" : " [";
        for (size_t c = 0; c < row.size(); ++c) {
          if (c > 0) text += ' ';
          text += std::to_string(row[c]);
        }
        text += ']';
      }
      return text;
    }
    case MetricValue::Kind::kCurve:
      return "(curve of " + std::to_string(v.curve.empty() ? 0 : v.curve[0].values.size()) +
             " points)";
    case MetricValue::Kind::kNull:
      return "null (" + v.reason + ")";
  }
  return "";
}

int RunEvalRun(const Invocation& inv) {
  if (!inv.args.positionals().empty()) {
    return inv.UsageError("unexpected argument '" + inv.args.positionals()[0] + "'");
  }
  std::optional<std::string> input = inv.args.Get("input");
  std::optional<std::string> label = inv.args.Get("label");
  std::optional<std::string> pred = inv.args.Get("pred");
  std::optional<std::string> metric_list = inv.args.Get("metrics");
  if (!input || !label || !pred || !metric_list) {
    return inv.UsageError("--input, --label, --pred and --metrics are required");
  }
  auto requests = metrics::SplitMetricList(*metric_list);
  if (!requests.ok()) return inv.UsageError(requests.status().message());
  auto plan = metrics::MakePlan(metrics::BuiltinMetrics(), *requests);
  if (!plan.ok()) return inv.UsageError(plan.status().message());
  metrics::EvaluationOptions options;
  options.label_column = *label;
  options.prediction_column = *pred;
  if (auto by = inv.args.Get("by")) options.slicings = {{*by}};
  if (auto classes = inv.args.Get("classes")) {
    auto list = SplitList("classes", *classes);
    if (!list.ok()) return inv.UsageError(list.status().message());
    options.classes = std::move(*list);
  }
  auto eval = metrics::Evaluation::Make(std::move(options), std::move(*plan));
  if (!eval.ok()) return inv.UsageError(eval.status().message());

  auto reader = table::OpenTableReader(*input);
  if (!reader.ok()) return inv.Fail(reader.status());
  table::Table batch;
  while (true) {
    auto more = (*reader)->Next(&batch);
    if (!more.ok()) return inv.Fail(more.status());
    if (!*more) break;
    Status s = eval->Add(batch);
    if (!s.ok()) return inv.Fail(s.WithPrefix(*input));
  }
  auto result = eval->Finish();
  if (!result.ok()) return inv.Fail(result.status());
  std::string json = metrics::EvaluationResultToJson(*result);
  if (auto out = inv.args.Get("out")) {
    Status s = WriteStringToFile(*out, json + "\n");
    if (!s.ok()) return inv.Fail(s);
  }
  if (inv.json) {
    Write(inv.out, json + "\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, value] : result->overall) rows.push_back({"", key, FormatValue(value)});
  for (const auto& slicing : result->slicings) {
    for (const auto& slice : slicing.slices) {
      for (const auto& [key, value] : slice.outputs) {
        rows.push_back({slicing.Name() + "=" + slice.Key(), key, FormatValue(value)});
      }
    }
  }
  Write(inv.out, std::to_string(result->rows) + " rows, " + std::to_string(result->classes.size()) +
                     " classes\n");
  Write(inv.out, FormatTextTable({"slice", "metric", "value"}, rows));
  return kExitOk;
}

}  // namespace

std::vector<Command> EvalCommands() {
  std::vector<Command> commands;
  commands.push_back(
      {"eval",
       "run",
       "compute classification metrics of predictions against labels",
       "",
       "Streams --input once and computes the --metrics for all rows and, with --by, for "
       "each value of that column. Metric names follow scikit-learn: accuracy, "
       "balanced_accuracy, cohen_kappa, mcc, confusion_matrix, support, precision, recall, "
       "f1, fbeta(beta=B), and precision_macro, f1_weighted, fbeta_micro(beta=2), ...; "
       "precision[car] selects one class. The classes are the sorted union of labels and "
       "predictions unless --classes gives them.",
       {{"input", 0, true, false, "FILE", "predictions table (CSV, JSON Lines or Parquet)"},
        {"label", 0, true, false, "COL", "column of true classes (int64 or string)"},
        {"pred", 0, true, false, "COL", "column of predicted classes (same type)"},
        {"metrics", 0, true, false, "A,B", "metrics to compute, comma-separated"},
        {"by", 0, true, false, "COL", "also evaluate each value of this column"},
        {"classes", 0, true, false, "A,B", "the class list, in output order"},
        {"out", 0, true, false, "FILE", "write the JSON result to FILE"}},
       RunEvalRun});
  return commands;
}

}  // namespace cairn::cli
