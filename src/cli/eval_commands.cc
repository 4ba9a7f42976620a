// `cairn eval ...`: evaluate predictions with the metric engine, in one pass or in shards whose
// partial states merge.

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/time.h"
#include "cli/command.h"
#include "cli/output.h"
#include "metrics/driver.h"
#include "metrics/evaluation.h"
#include "metrics/metric.h"
#include "metrics/plugin.h"
#include "metrics/report.h"
#include "metrics/result_io.h"
#include "metrics/spec.h"
#include "table/io.h"

namespace cairn::cli {
namespace {

using metrics::EvaluationResult;
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

// Writes the result where the flags say: --out FILE (JSON), --json (standard output), and
// otherwise a text table.
int EmitResult(const Invocation& inv, EvaluationResult result) {
  result.cairn_version = CAIRN_VERSION;
  std::string json = metrics::EvaluationResultToJson(result);
  if (auto out = inv.args.Get("out")) {
    Status s = WriteStringToFile(*out, json + "\n");
    if (!s.ok()) return inv.Fail(s);
  }
  if (auto table = inv.args.Get("table")) {
    Status s = metrics::WriteLongTable(result, *table);
    if (!s.ok()) return inv.Fail(s);
  }
  if (auto html = inv.args.Get("html")) {
    metrics::ReportOptions options;
    options.generated_at = FormatTimestamp(NowMicros() / 1000000, 0);
    for (const auto& input : result.inputs) {
      options.source += (options.source.empty() ? "" : ", ") + input.path;
    }
    Status s = WriteStringToFile(*html, metrics::RenderHtmlReport(result, options));
    if (!s.ok()) return inv.Fail(s);
  }
  if (inv.json) {
    Write(inv.out, json + "\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, value] : result.overall) rows.push_back({"", key, FormatValue(value)});
  for (const auto& slicing : result.slicings) {
    for (const auto& slice : slicing.slices) {
      for (const auto& [key, value] : slice.outputs) {
        rows.push_back({slicing.Name() + "=" + slice.Key(), key, FormatValue(value)});
      }
    }
  }
  std::string head = std::to_string(result.rows) + " rows";
  if (!result.classes.empty()) head += ", " + std::to_string(result.classes.size()) + " classes";
  Write(inv.out, head + "\n");
  Write(inv.out, FormatTextTable({"slice", "metric", "value"}, rows));
  return kExitOk;
}

Status WriteState(const std::string& path, const metrics::Evaluation& eval) {
  CAIRN_ASSIGN_OR_RETURN(auto file, OpenWritableFile(path));
  CAIRN_RETURN_IF_ERROR(file->Append(eval.SerializeState()));
  return file->Close();
}

// The built-in metrics plus those of every --plugin library.
class Registry {
 public:
  Status Load(const Invocation& inv) {
    const std::vector<std::string>& plugins = inv.args.GetAll("plugin");
    if (plugins.empty()) return Status::Ok();
    own_ = std::make_unique<metrics::MetricRegistry>();
    CAIRN_RETURN_IF_ERROR(metrics::RegisterBuiltinMetrics(own_.get()));
    for (const std::string& path : plugins) {
      CAIRN_RETURN_IF_ERROR(metrics::LoadMetricPlugin(path, own_.get()));
    }
    return Status::Ok();
  }
  const metrics::MetricRegistry& get() const { return own_ ? *own_ : metrics::BuiltinMetrics(); }

 private:
  std::unique_ptr<metrics::MetricRegistry> own_;
};

Result<int> ParseThreads(const Invocation& inv) {
  if (auto t = inv.args.Get("threads")) {
    CAIRN_ASSIGN_OR_RETURN(int64_t v, ParseIntFlag("threads", *t, 0, 256));
    return static_cast<int>(v);
  }
  return 0;
}

int RunEvalRun(const Invocation& inv) {
  if (!inv.args.positionals().empty()) {
    return inv.UsageError("unexpected argument '" + inv.args.positionals()[0] + "'");
  }
  Registry registry;
  Status loaded = registry.Load(inv);
  if (!loaded.ok()) return inv.Fail(loaded);

  // The spec file, if any; flags override its settings (--input and --by add to them).
  metrics::EvalSpec spec;
  spec.options.threads = 0;  // all cores
  if (auto path = inv.args.Get("spec")) {
    auto read = metrics::LoadEvalSpec(*path, registry.get());
    if (!read.ok()) return inv.Fail(read.status());
    spec = std::move(*read);
    // Inputs in a spec are relative to the spec's directory.
    std::filesystem::path dir = std::filesystem::path(*path).parent_path();
    for (std::string& input : spec.inputs) {
      if (!input.empty() && input[0] != '/' && !dir.empty()) input = (dir / input).string();
    }
  }
  metrics::EvaluationOptions& options = spec.options;
  std::vector<std::string> inputs = spec.inputs;
  for (const std::string& input : inv.args.GetAll("input")) inputs.push_back(input);
  if (auto task = inv.args.Get("task")) {
    auto t = metrics::ParseTask(*task);
    if (!t.ok()) return inv.UsageError(t.status().message());
    options.task = *t;
  }
  if (auto label = inv.args.Get("label")) options.label_column = *label;
  if (auto pred = inv.args.Get("pred")) options.prediction_column = *pred;
  if (auto positive = inv.args.Get("positive")) options.positive_class = *positive;
  if (auto threshold = inv.args.Get("threshold")) {
    char* end = nullptr;
    options.threshold = std::strtod(threshold->c_str(), &end);
    if (end == threshold->c_str() || *end != '\0' || !(options.threshold >= 0) ||
        options.threshold > 1) {
      return inv.UsageError("--threshold: expected a number within [0, 1]");
    }
  }
  if (auto classes = inv.args.Get("classes")) {
    auto list = SplitList("classes", *classes);
    if (!list.ok()) return inv.UsageError(list.status().message());
    options.classes = std::move(*list);
  }
  if (auto metric_list = inv.args.Get("metrics")) {
    auto requests = metrics::SplitMetricList(*metric_list);
    if (!requests.ok()) return inv.UsageError(requests.status().message());
    spec.metrics = std::move(*requests);
  }
  if (inputs.empty() || options.label_column.empty() ||
      (spec.metrics.empty() && spec.formulas.empty())) {
    return inv.UsageError("an input, a label column and metrics are required (flags or --spec)");
  }
  auto plan = metrics::MakePlan(registry.get(), spec.metrics, spec.formulas);
  if (!plan.ok()) return inv.UsageError(plan.status().message());

  std::string pattern = spec.score_pattern;
  if (auto scores = inv.args.Get("scores")) {
    pattern.clear();
    options.score_columns.clear();
    if (scores->find("{class}") != std::string::npos) {
      pattern = *scores;
    } else {
      auto list = SplitList("scores", *scores);
      if (!list.ok()) return inv.UsageError(list.status().message());
      options.score_columns = std::move(*list);
    }
  }
  // Column patterns (p_{class}, and y_{class} for multilabel) are matched against the first
  // input's schema, read once.
  std::optional<table::Schema> schema;
  if (!pattern.empty() || options.task == metrics::Task::kMultilabel) {
    auto reader = table::OpenTableReader(inputs[0]);
    if (!reader.ok()) return inv.Fail(reader.status().WithPrefix(inputs[0]));
    schema = (*reader)->schema();
  }
  if (!pattern.empty()) {
    std::vector<std::string> classes;
    Status s = metrics::ExpandScorePattern(pattern, *schema, &classes, &options.score_columns);
    if (!s.ok()) return inv.Fail(s.WithPrefix(inputs[0]));
    if (options.classes.empty()) {
      options.classes = classes;
    } else if (options.classes != classes) {
      return inv.UsageError("the class list and the classes of the scores '" + pattern +
                            "' differ; give one of them");
    }
  }
  if (options.task == metrics::Task::kMultilabel) {
    // Labels and predictions are one column per class, named by patterns such as y_{class}.
    for (auto [column_pattern, out] :
         {std::pair{options.label_column, &options.label_columns},
          std::pair{options.prediction_column, &options.prediction_columns}}) {
      if (column_pattern.empty()) continue;
      if (column_pattern.find("{class}") == std::string::npos) {
        return inv.UsageError(
            "multilabel: --label and --pred are column patterns with {class}, "
            "such as 'y_{class}'");
      }
      std::vector<std::string> classes;
      Status s = metrics::ExpandScorePattern(column_pattern, *schema, &classes, out);
      if (!s.ok()) return inv.Fail(s.WithPrefix(inputs[0]));
      if (options.classes.empty()) {
        options.classes = classes;
      } else if (options.classes != classes) {
        return inv.UsageError("the classes of '" + column_pattern + "' differ from the class list");
      }
    }
    options.label_column.clear();
    options.prediction_column.clear();
  }
  for (const std::string& by : inv.args.GetAll("by")) {
    auto columns = SplitList("by", by);
    if (!columns.ok()) return inv.UsageError(columns.status().message());
    options.slicings.push_back(std::move(*columns));
  }
  auto threads = ParseThreads(inv);
  if (!threads.ok()) return inv.UsageError(threads.status().message());
  if (inv.args.Has("threads")) options.threads = *threads;

  metrics::EvaluateFilesOptions run;
  run.inputs = inputs;
  run.threads = options.threads;
  if (auto shard = inv.args.Get("shard")) {
    size_t slash = shard->find('/');
    auto index = ParseIntFlag("shard", shard->substr(0, slash), 1, 1 << 20);
    auto count = slash == std::string::npos
                     ? Result<int64_t>(Status::InvalidArgument("--shard: expected I/N, e.g. 3/16"))
                     : ParseIntFlag("shard", shard->substr(slash + 1), 1, 1 << 20);
    if (!index.ok() || !count.ok() || *index > *count) {
      return inv.UsageError("--shard: expected I/N with 1 <= I <= N, e.g. 3/16");
    }
    run.shard_index = static_cast<int>(*index - 1);
    run.shard_count = static_cast<int>(*count);
  }

  auto eval = metrics::Evaluation::Make(std::move(options), std::move(*plan));
  if (!eval.ok()) return inv.UsageError(eval.status().message());
  std::vector<EvaluationResult::Input> described;
  Status s = metrics::EvaluateFiles(run, &*eval, &described);
  if (!s.ok()) return inv.Fail(s);
  if (auto state_out = inv.args.Get("state-out")) {
    Status w = WriteState(*state_out, *eval);
    if (!w.ok()) return inv.Fail(w);
    if (!inv.args.Has("out") && !inv.args.Has("html") && !inv.args.Has("table") && !inv.json) {
      Write(inv.out, "wrote the partial state of " + std::to_string(eval->rows()) + " rows to " +
                         *state_out + "\n");
      return kExitOk;
    }
  }
  auto result = eval->Finish();
  if (!result.ok()) return inv.Fail(result.status());
  result->inputs = std::move(described);
  return EmitResult(inv, std::move(*result));
}

int RunEvalMerge(const Invocation& inv) {
  const std::vector<std::string>& paths = inv.args.positionals();
  if (paths.empty()) return inv.UsageError("give the state files to merge");
  Registry registry;
  Status loaded = registry.Load(inv);
  if (!loaded.ok()) return inv.Fail(loaded);
  std::optional<metrics::Evaluation> merged;
  for (const std::string& path : paths) {
    auto bytes = ReadFileToString(path);
    if (!bytes.ok()) return inv.Fail(bytes.status());
    auto eval = metrics::Evaluation::DeserializeState(*bytes, registry.get(), path);
    if (!eval.ok()) return inv.Fail(eval.status());
    if (!merged) {
      merged = std::move(*eval);
      continue;
    }
    Status s = merged->Merge(*eval);
    if (!s.ok()) return inv.Fail(s.WithPrefix(path));
  }
  if (auto state_out = inv.args.Get("state-out")) {
    Status w = WriteState(*state_out, *merged);
    if (!w.ok()) return inv.Fail(w);
  }
  auto result = merged->Finish();
  if (!result.ok()) return inv.Fail(result.status());
  return EmitResult(inv, std::move(*result));
}

int RunEvalMetrics(const Invocation& inv) {
  Registry loaded;
  Status s = loaded.Load(inv);
  if (!s.ok()) return inv.Fail(s);
  const metrics::MetricRegistry& registry = loaded.get();
  std::vector<std::vector<std::string>> rows;
  for (const std::string& name : registry.Names()) {
    const metrics::Metric* m = registry.Find(name);
    std::string params;
    for (const auto& p : m->params()) {
      if (!params.empty()) params += ", ";
      params += p.name;
      if (p.default_value) params += "=" + table::FormatDouble(*p.default_value);
    }
    std::string deps;
    for (metrics::Intermediate i : m->dependencies()) {
      if (!deps.empty()) deps += ", ";
      deps += metrics::IntermediateName(i);
    }
    rows.push_back({name, m->per_class() ? "yes" : "", params, deps, std::string(m->summary())});
  }
  Write(inv.out, FormatTextTable({"metric", "per class", "parameters", "needs", "what"}, rows));
  return kExitOk;
}

// The flags of the commands that produce a result: where it goes, and plugins.
void AddOutputFlags(Command* command) {
  command->flags.push_back({"out", 0, true, false, "FILE", "write the JSON result to FILE"});
  command->flags.push_back(
      {"html", 0, true, false, "FILE", "write a self-contained HTML report to FILE"});
  command->flags.push_back({"table", 0, true, false, "FILE",
                            "write the long table (slice, metric, value) to FILE (.parquet, "
                            ".csv or .jsonl)"});
  command->flags.push_back(
      {"plugin", 0, true, true, "LIB", "load metrics from a plugin library; repeats"});
}

}  // namespace

std::vector<Command> EvalCommands() {
  std::vector<Command> commands;
  commands.push_back(
      {"eval",
       "run",
       "compute metrics of predictions against labels, overall and by slice",
       "",
       "Streams the --input files once and computes the --metrics for all rows and, with "
       "--by, for each value of a column (--by weather) or pair of columns (--by "
       "weather,time_of_day); --by repeats. Metric names follow scikit-learn (see `cairn eval "
       "metrics`): accuracy, f1_macro, precision[car], fbeta_weighted(beta=2), roc_auc, "
       "log_loss, top_k_accuracy(k=3), ece(bins=15), mae, r2, ... The classes are the sorted "
       "union of labels and predictions unless --classes gives them; score columns need the "
       "class list, which --scores 'p_{class}' finds from the column names. With --shard I/N "
       "only that shard's rows are evaluated (blocks of 65,536 rows dealt round-robin) and "
       "--state-out saves the partial state for `cairn eval merge`.",
       {{"spec", 0, true, false, "FILE", "evaluation spec (YAML); flags override it"},
        {"input", 0, true, true, "FILE", "predictions table (CSV, JSON Lines or Parquet); repeats"},
        {"task", 0, true, false, "TASK", "binary, multiclass (default), multilabel or regression"},
        {"label", 0, true, false, "COL", "column of true classes (or values, for regression)"},
        {"pred", 0, true, false, "COL", "column of predicted classes (or values)"},
        {"scores", 0, true, false, "COLS",
         "score columns: a list in class order, or a pattern "
         "such as 'p_{class}' (binary: the positive's column)"},
        {"positive", 0, true, false, "CLASS", "binary: the positive class (default 1)"},
        {"threshold", 0, true, false, "P", "binary without --pred: positive above P (0.5)"},
        {"classes", 0, true, false, "A,B", "the class list, in output order"},
        {"metrics", 0, true, false, "A,B", "metrics to compute, comma-separated"},
        {"by", 0, true, true, "COL[,COL]", "also evaluate each slice of one or two columns"},
        {"threads", 0, true, false, "N", "threads (default: all cores)"},
        {"shard", 0, true, false, "I/N", "evaluate only shard I of N (1-based)"},
        {"state-out", 0, true, false, "FILE", "save the mergeable partial state to FILE"}},
       RunEvalRun});
  AddOutputFlags(&commands.back());
  commands.push_back(
      {"eval",
       "merge",
       "merge partial states saved by `eval run --state-out` and compute the metrics",
       "STATE...",
       "The result equals that of one pass over all the shards' rows, bit for bit. The states "
       "must come from the same metrics, columns, classes and slicings.",
       {{"state-out", 0, true, false, "FILE", "also save the merged state to FILE"}},
       RunEvalMerge});
  AddOutputFlags(&commands.back());
  commands.push_back(
      {"eval",
       "metrics",
       "list the metrics the engine knows",
       "",
       "",
       {{"plugin", 0, true, true, "LIB", "also list a plugin library's metrics; repeats"}},
       RunEvalMetrics});
  return commands;
}

}  // namespace cairn::cli
