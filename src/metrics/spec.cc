#include "metrics/spec.h"

#include "base/yaml.h"

namespace cairn::metrics {
namespace {

// A string, or a sequence of strings.
Status ReadStrings(const YamlNode& node, std::vector<std::string>* out) {
  if (node.IsScalar()) {
    CAIRN_ASSIGN_OR_RETURN(std::string s, node.AsString());
    out->push_back(std::move(s));
    return Status::Ok();
  }
  CAIRN_RETURN_IF_ERROR(node.ExpectSequence());
  for (const YamlNode& item : node.items()) {
    CAIRN_ASSIGN_OR_RETURN(std::string s, item.AsString());
    out->push_back(std::move(s));
  }
  return Status::Ok();
}

}  // namespace

Result<EvalSpec> LoadEvalSpec(const std::string& path, const MetricRegistry& registry) {
  CAIRN_ASSIGN_OR_RETURN(YamlDocument doc, ParseYamlFile(path));
  const YamlNode& root = doc.root;
  CAIRN_RETURN_IF_ERROR(root.ExpectMap());
  CAIRN_RETURN_IF_ERROR(root.CheckKeys({"task", "inputs", "columns", "positive", "classes",
                                        "threshold", "metrics", "formulas", "slices", "threads"}));
  EvalSpec spec;
  spec.options.threads = 0;  // all cores unless the spec says
  if (const YamlNode* task = root.Get("task")) {
    CAIRN_ASSIGN_OR_RETURN(std::string name, task->AsString());
    auto parsed = ParseTask(name);
    if (!parsed.ok()) return task->Error(parsed.status().message());
    spec.options.task = *parsed;
  }
  if (const YamlNode* inputs = root.Get("inputs")) {
    CAIRN_RETURN_IF_ERROR(ReadStrings(*inputs, &spec.inputs));
  }
  if (const YamlNode* columns = root.Get("columns")) {
    CAIRN_RETURN_IF_ERROR(columns->ExpectMap());
    CAIRN_RETURN_IF_ERROR(columns->CheckKeys({"label", "prediction", "scores"}));
    if (const YamlNode* n = columns->Get("label")) {
      CAIRN_ASSIGN_OR_RETURN(spec.options.label_column, n->AsString());
    }
    if (const YamlNode* n = columns->Get("prediction")) {
      CAIRN_ASSIGN_OR_RETURN(spec.options.prediction_column, n->AsString());
    }
    if (const YamlNode* n = columns->Get("scores")) {
      if (n->IsScalar() && n->text().find("{class}") != std::string::npos) {
        spec.score_pattern = n->text();
      } else {
        CAIRN_RETURN_IF_ERROR(ReadStrings(*n, &spec.options.score_columns));
      }
    }
  }
  if (const YamlNode* n = root.Get("positive")) {
    CAIRN_ASSIGN_OR_RETURN(spec.options.positive_class, n->AsString());
  }
  if (const YamlNode* n = root.Get("classes")) {
    CAIRN_RETURN_IF_ERROR(n->ExpectSequence());
    CAIRN_RETURN_IF_ERROR(ReadStrings(*n, &spec.options.classes));
  }
  if (const YamlNode* n = root.Get("threshold")) {
    CAIRN_ASSIGN_OR_RETURN(spec.options.threshold, n->AsDouble());
    if (!(spec.options.threshold >= 0 && spec.options.threshold <= 1)) {
      return n->Error("the threshold must be within [0, 1]");
    }
  }
  if (const YamlNode* n = root.Get("threads")) {
    CAIRN_ASSIGN_OR_RETURN(int64_t threads, n->AsInt64());
    if (threads < 0 || threads > 256) return n->Error("threads must be within 0..256");
    spec.options.threads = static_cast<int>(threads);
  }
  if (const YamlNode* n = root.Get("metrics")) {
    CAIRN_RETURN_IF_ERROR(n->ExpectSequence());
    for (const YamlNode& item : n->items()) {
      CAIRN_ASSIGN_OR_RETURN(std::string text, item.AsString());
      auto one = MakePlan(registry, {text});
      if (!one.ok()) return item.Error(one.status().message());
      spec.metrics.push_back(std::move(text));
    }
  }
  if (const YamlNode* n = root.Get("formulas")) {
    CAIRN_RETURN_IF_ERROR(n->ExpectMap());
    for (const YamlEntry& e : n->entries()) {
      CAIRN_ASSIGN_OR_RETURN(std::string text, e.value.AsString());
      spec.formulas.emplace_back(e.key.text(), std::move(text));
    }
    auto plan = MakePlan(registry, {}, spec.formulas);
    if (!plan.ok()) {
      // Point at the formula the message is about: "formula 'NAME'..." or "formulas read
      // 'REF'..." (the first formula whose text holds REF).
      std::string_view message = plan.status().message();
      for (const YamlEntry& e : n->entries()) {
        std::string named = "formula '" + e.key.text() + "'";
        if (message.substr(0, named.size()) == named) return e.value.Error(message);
      }
      constexpr std::string_view kReads = "formulas read '";
      if (message.substr(0, kReads.size()) == kReads) {
        size_t end = message.find('\'', kReads.size());
        std::string ref(message.substr(kReads.size(), end - kReads.size()));
        for (const YamlEntry& e : n->entries()) {
          if (e.value.text().find(ref) != std::string::npos) return e.value.Error(message);
        }
      }
      return n->Error(message);
    }
  }
  if (spec.metrics.empty() && spec.formulas.empty() && root.Get("metrics") != nullptr) {
    return root.Get("metrics")->Error("no metrics listed");
  }
  if (const YamlNode* n = root.Get("slices")) {
    CAIRN_RETURN_IF_ERROR(n->ExpectSequence());
    for (const YamlNode& item : n->items()) {
      std::vector<std::string> columns;
      if (item.IsScalar()) {
        CAIRN_ASSIGN_OR_RETURN(std::string s, item.AsString());
        // "a,b" is a two-column slicing, as on the command line.
        size_t start = 0;
        while (true) {
          size_t comma = s.find(',', start);
          columns.push_back(s.substr(start, comma == std::string::npos ? comma : comma - start));
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
      } else {
        CAIRN_RETURN_IF_ERROR(ReadStrings(item, &columns));
      }
      if (columns.empty() || columns.size() > 2) {
        return item.Error("a slicing has one or two columns");
      }
      for (const std::string& c : columns) {
        if (c.empty()) return item.Error("empty column name");
      }
      spec.options.slicings.push_back(std::move(columns));
    }
  }
  return spec;
}

}  // namespace cairn::metrics
