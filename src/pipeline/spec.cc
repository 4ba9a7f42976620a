#include "pipeline/spec.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>
#include <utility>

#include "base/file.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/time.h"
#include "base/yaml.h"

namespace cairn::pipeline {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxShards = 100000;

bool ValidStageName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

// Whether `path` is `base` or inside it (both normalised, '/'-separated).
bool Within(std::string_view path, std::string_view base) {
  if (path == base) return true;
  return path.size() > base.size() && path.substr(0, base.size()) == base &&
         path[base.size()] == '/';
}

bool Overlap(std::string_view a, std::string_view b) { return Within(a, b) || Within(b, a); }

// The scalars of a list field: a sequence of scalars, or one scalar.
Result<std::vector<const YamlNode*>> ScalarList(const YamlNode& node) {
  std::vector<const YamlNode*> out;
  if (node.IsNull()) return out;
  if (node.IsScalar()) {
    out.push_back(&node);
    return out;
  }
  CAIRN_RETURN_IF_ERROR(node.ExpectSequence());
  for (const YamlNode& item : node.items()) {
    if (!item.IsScalar()) return item.Error("expected a string");
    out.push_back(&item);
  }
  return out;
}

Result<std::string> NormalizePath(const YamlNode& node, bool is_output) {
  CAIRN_ASSIGN_OR_RETURN(std::string text, node.AsString());
  if (text.empty()) return node.Error("empty path");
  if (text.find('\0') != std::string::npos || text.find('\n') != std::string::npos) {
    return node.Error("path contains a NUL or newline character");
  }
  std::string normal = fs::path(text).lexically_normal().generic_string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  if (is_output) {
    if (fs::path(normal).is_absolute()) {
      return node.Error("output '" + text + "' must be relative to the pipeline's directory");
    }
    if (normal == "." || normal == ".." || normal.starts_with("../")) {
      return node.Error("output '" + text + "' is not inside the pipeline's directory");
    }
  }
  return normal;
}

// Canonical text of a params value (see Pipeline::param_values).
void CanonicalValue(const YamlNode& node, bool top, std::string* out) {
  switch (node.kind()) {
    case YamlNode::Kind::kNull:
      *out += "null";
      return;
    case YamlNode::Kind::kScalar:
      *out += top ? node.text() : JsonString(node.text());
      return;
    case YamlNode::Kind::kSequence: {
      *out += '[';
      for (size_t i = 0; i < node.items().size(); ++i) {
        if (i > 0) *out += ',';
        CanonicalValue(node.items()[i], false, out);
      }
      *out += ']';
      return;
    }
    case YamlNode::Kind::kMap: {
      std::vector<const YamlEntry*> entries;
      for (const YamlEntry& e : node.entries()) entries.push_back(&e);
      std::sort(entries.begin(), entries.end(), [](const YamlEntry* a, const YamlEntry* b) {
        return a->key.text() < b->key.text();
      });
      *out += '{';
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) *out += ',';
        *out += JsonString(entries[i]->key.text());
        *out += ':';
        CanonicalValue(entries[i]->value, false, out);
      }
      *out += '}';
      return;
    }
  }
}

// The value at dotted `key` in the params document, or nullptr.
const YamlNode* Lookup(const YamlNode& root, const std::string& key) {
  const YamlNode* node = &root;
  size_t start = 0;
  while (node != nullptr) {
    const size_t dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? dot : dot - start);
    node = node->Get(part);
    if (dot == std::string::npos) return node;
    start = dot + 1;
  }
  return nullptr;
}

bool MentionsWindow(std::string_view text) {
  return text.find("${start_time}") != std::string_view::npos ||
         text.find("${end_time}") != std::string_view::npos;
}

// Finds a cycle among the stages' upstream edges; empty when there is none. The cycle is
// given as stage indexes a, b, ..., a where each stage needs the next.
std::vector<int> FindCycle(const Pipeline& p) {
  const size_t n = p.stages.size();
  std::vector<int> color(n, 0);  // 0 unvisited, 1 on the stack, 2 done
  std::vector<int> stack;
  std::vector<int> cycle;
  std::function<bool(int)> visit = [&](int s) {
    color[static_cast<size_t>(s)] = 1;
    stack.push_back(s);
    for (int u : p.stages[static_cast<size_t>(s)].upstream) {
      if (color[static_cast<size_t>(u)] == 1) {
        auto it = std::find(stack.begin(), stack.end(), u);
        cycle.assign(it, stack.end());
        cycle.push_back(u);
        return true;
      }
      if (color[static_cast<size_t>(u)] == 0 && visit(u)) return true;
    }
    stack.pop_back();
    color[static_cast<size_t>(s)] = 2;
    return false;
  };
  for (size_t s = 0; s < n; ++s) {
    if (color[s] == 0 && visit(static_cast<int>(s))) return cycle;
  }
  return {};
}

Status ParseStage(const YamlEntry& entry, Stage* stage, std::vector<int>* dep_lines,
                  std::vector<std::string>* dep_locations) {
  const YamlNode& v = entry.value;
  stage->name = entry.key.text();
  stage->location = entry.key.Location();
  if (!ValidStageName(stage->name)) {
    return entry.key.Error("stage name '" + stage->name +
                           "' must be 1 to 128 letters, digits, '_', '-' or '.'");
  }
  CAIRN_RETURN_IF_ERROR(v.ExpectMap());
  CAIRN_RETURN_IF_ERROR(v.CheckKeys(
      {"cmd", "cairn", "deps", "params", "outs", "needs", "subscribe", "shards", "reduce"}));
  if (const YamlNode* sub = v.Get("subscribe")) {
    CAIRN_ASSIGN_OR_RETURN(stage->subscribe, sub->AsString());
    if (!ValidStageName(stage->subscribe) || stage->subscribe[0] == '.' ||
        stage->subscribe[0] == '-') {
      return sub->Error("'" + stage->subscribe + "' is not a dataset name");
    }
  }
  const YamlNode* cmd = v.Get("cmd");
  const YamlNode* cairn = v.Get("cairn");
  if ((cmd == nullptr) == (cairn == nullptr)) {
    return Status::InvalidArgument(stage->location + ": stage '" + stage->name +
                                   "' needs exactly one of 'cmd' (a shell command) and 'cairn' "
                                   "(a built-in step)");
  }
  if (cmd != nullptr) {
    CAIRN_ASSIGN_OR_RETURN(stage->cmd, cmd->AsString());
    if (stage->cmd.empty()) return cmd->Error("empty command");
    stage->uses_window = MentionsWindow(stage->cmd);
  } else {
    CAIRN_ASSIGN_OR_RETURN(std::string text, cairn->AsString());
    auto words = SplitWords(text);
    if (!words.ok()) return cairn->Error(words.status().message());
    if (words->empty()) return cairn->Error("empty cairn step");
    stage->cairn_args = std::move(*words);
    stage->uses_window = MentionsWindow(text);
  }
  if (const YamlNode* shards = v.Get("shards")) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, shards->AsString());
    int n = 0;
    for (char c : text) {
      if (c < '0' || c > '9' || n > kMaxShards) {
        n = -1;
        break;
      }
      n = n * 10 + (c - '0');
    }
    if (text.empty() || n < 1 || n > kMaxShards) {
      return shards->Error("shards must be a whole number from 1 to " + std::to_string(kMaxShards) +
                           ", not '" + text + "'");
    }
    stage->shards = n;
  }
  if (const YamlNode* reduce = v.Get("reduce")) {
    if (stage->shards == 0) return reduce->Error("'reduce' needs 'shards'");
    CAIRN_ASSIGN_OR_RETURN(stage->reduce, reduce->AsString());
    if (stage->reduce.empty()) return reduce->Error("empty command");
    stage->uses_window = stage->uses_window || MentionsWindow(stage->reduce);
  }
  if (const YamlNode* deps = v.Get("deps")) {
    CAIRN_ASSIGN_OR_RETURN(auto list, ScalarList(*deps));
    for (const YamlNode* d : list) {
      CAIRN_ASSIGN_OR_RETURN(std::string path, NormalizePath(*d, false));
      stage->deps.push_back(std::move(path));
      dep_lines->push_back(d->line());
      dep_locations->push_back(d->Location() + ": '" + d->Path() + "'");
    }
  }
  if (const YamlNode* outs = v.Get("outs")) {
    CAIRN_ASSIGN_OR_RETURN(auto list, ScalarList(*outs));
    for (const YamlNode* o : list) {
      CAIRN_ASSIGN_OR_RETURN(std::string path, NormalizePath(*o, true));
      for (const std::string& earlier : stage->outs) {
        if (Overlap(earlier, path)) {
          std::string message = "output '" + path;
          message += "' overlaps output '" + earlier + "' of the same stage";
          return o->Error(message);
        }
      }
      stage->outs.push_back(std::move(path));
    }
  }
  return Status::Ok();
}

Result<ScheduleSpec> ParseSchedule(const YamlNode& node) {
  ScheduleSpec spec;
  spec.location = node.Location();
  CAIRN_RETURN_IF_ERROR(node.ExpectMap());
  CAIRN_RETURN_IF_ERROR(node.CheckKeys({"cron", "window", "catchup", "start"}));
  CAIRN_ASSIGN_OR_RETURN(const YamlNode* cron, node.Require("cron"));
  CAIRN_ASSIGN_OR_RETURN(std::string cron_text, cron->AsString());
  auto parsed = CronSchedule::Parse(cron_text);
  if (!parsed.ok()) return cron->Error(parsed.status().message());
  spec.cron = std::move(*parsed);
  if (const YamlNode* window = node.Get("window")) {
    CAIRN_ASSIGN_OR_RETURN(std::string kind, window->AsString());
    if (kind == "previous") {
      spec.window = ScheduleSpec::WindowKind::kPrevious;
    } else if (kind == "none") {
      spec.window = ScheduleSpec::WindowKind::kNone;
    } else {
      return window->Error("expected 'previous' or 'none', got '" + kind + "'");
    }
  }
  if (const YamlNode* catchup = node.Get("catchup")) {
    CAIRN_ASSIGN_OR_RETURN(spec.catchup, catchup->AsBool());
  }
  if (const YamlNode* start = node.Get("start")) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, start->AsString());
    spec.start = ParseTimestampMicros(text);
    if (!spec.start) return start->Error("cannot parse '" + text + "' as a time");
  }
  if (spec.catchup && !spec.start) {
    return node.Error("'catchup: true' needs 'start' (the first window to run)");
  }
  return spec;
}

}  // namespace

int Pipeline::Find(std::string_view stage_name) const {
  for (size_t i = 0; i < stages.size(); ++i) {
    if (stages[i].name == stage_name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<bool> Pipeline::WithUpstream(const std::vector<int>& roots) const {
  std::vector<bool> mask(stages.size(), false);
  std::vector<int> todo = roots;
  while (!todo.empty()) {
    const int s = todo.back();
    todo.pop_back();
    if (mask[static_cast<size_t>(s)]) continue;
    mask[static_cast<size_t>(s)] = true;
    for (int u : stages[static_cast<size_t>(s)].upstream) todo.push_back(u);
  }
  return mask;
}

Result<std::vector<std::string>> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (i + 1 >= text.size()) return Status::InvalidArgument("trailing backslash");
      word += text[++i];
    } else if (c == '\'') {
      const size_t end = text.find('\'', i + 1);
      if (end == std::string_view::npos) return Status::InvalidArgument("unterminated ' quote");
      word.append(text.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() &&
            std::string_view("\"\\$`").find(text[j + 1]) != std::string_view::npos) {
          ++j;
        }
        word += text[j];
      }
      if (j >= text.size()) return Status::InvalidArgument("unterminated \" quote");
      i = j;
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

Result<Pipeline> LoadPipeline(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  CAIRN_ASSIGN_OR_RETURN(YamlDocument doc, ParseYaml(text, path));
  const YamlNode& root = doc.root;
  Pipeline p;
  p.file = path;
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  if (ec) return Status::IOError(path + ": " + ec.message());
  p.dir = abs.parent_path().lexically_normal().string();
  while (p.dir.size() > 1 && p.dir.back() == '/') p.dir.pop_back();
  p.file_hash = Sha256Hex(text);
  if (!root.IsMap()) {
    return Status::InvalidArgument(path + ":" + std::to_string(root.line()) +
                                   ": a pipeline file is a map with 'pipeline', 'params' and "
                                   "'stages'");
  }
  CAIRN_RETURN_IF_ERROR(root.CheckKeys({"pipeline", "params", "stages", "schedule"}));
  if (const YamlNode* schedule = root.Get("schedule")) {
    CAIRN_ASSIGN_OR_RETURN(p.schedule, ParseSchedule(*schedule));
  }
  if (const YamlNode* name = root.Get("pipeline")) {
    CAIRN_ASSIGN_OR_RETURN(p.name, name->AsString());
    if (!ValidStageName(p.name)) {
      return name->Error("pipeline name '" + p.name +
                         "' must be 1 to 128 letters, digits, '_', '-' or '.'");
    }
  } else {
    p.name = fs::path(p.dir).filename().string();
    if (!ValidStageName(p.name)) p.name = "pipeline";
  }
  CAIRN_ASSIGN_OR_RETURN(const YamlNode* stages, root.Require("stages"));
  CAIRN_RETURN_IF_ERROR(stages->ExpectMap());
  if (stages->entries().empty()) return stages->Error("a pipeline needs at least one stage");

  // Stages, with the positions of their fields for later errors.
  std::vector<std::vector<int>> dep_lines(stages->entries().size());
  std::vector<std::vector<std::string>> dep_locations(stages->entries().size());
  for (size_t i = 0; i < stages->entries().size(); ++i) {
    Stage stage;
    CAIRN_RETURN_IF_ERROR(
        ParseStage(stages->entries()[i], &stage, &dep_lines[i], &dep_locations[i]));
    p.stages.push_back(std::move(stage));
  }

  // Outputs: no two stages may write the same (or nested) paths.
  for (size_t i = 0; i < p.stages.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      for (const std::string& a : p.stages[i].outs) {
        for (const std::string& b : p.stages[j].outs) {
          if (!Overlap(a, b)) continue;
          const YamlNode* outs = stages->entries()[i].value.Get("outs");
          return Status::InvalidArgument(
              (outs != nullptr ? outs->Location() : p.stages[i].location) + ": stage '" +
              p.stages[i].name + "': output '" + a + "' " + (a == b ? "is also" : "overlaps") +
              " an output of stage '" + p.stages[j].name + "' (" + p.stages[j].location + ")" +
              (a == b ? "" : ": '" + b + "'"));
        }
      }
    }
  }

  // Edges: needs, and deps that are (or lie in, or contain) another stage's outputs.
  for (size_t i = 0; i < p.stages.size(); ++i) {
    Stage& s = p.stages[i];
    const YamlNode& sv = stages->entries()[i].value;
    std::set<int> up;
    if (const YamlNode* needs = sv.Get("needs")) {
      CAIRN_ASSIGN_OR_RETURN(auto list, ScalarList(*needs));
      for (const YamlNode* n : list) {
        const int u = p.Find(n->text());
        if (u < 0) return n->Error("unknown stage '" + n->text() + "'");
        if (static_cast<size_t>(u) == i) return n->Error("stage '" + s.name + "' needs itself");
        s.needs.push_back(n->text());
        up.insert(u);
      }
    }
    for (size_t d = 0; d < s.deps.size(); ++d) {
      bool produced = false;
      for (size_t j = 0; j < p.stages.size(); ++j) {
        for (const std::string& out : p.stages[j].outs) {
          if (!Overlap(s.deps[d], out)) continue;
          if (j == i) {
            return Status::InvalidArgument(dep_locations[i][d] + ": stage '" + s.name +
                                           "' reads its own output '" + out + "'");
          }
          produced = true;
          up.insert(static_cast<int>(j));
        }
      }
      if (!produced) {
        const fs::path dep_path =
            fs::path(s.deps[d]).is_absolute() ? fs::path(s.deps[d]) : fs::path(p.dir) / s.deps[d];
        if (!fs::exists(dep_path, ec)) {
          return Status::InvalidArgument(dep_locations[i][d] + ": dependency '" + s.deps[d] +
                                         "' does not exist and no stage produces it");
        }
      }
    }
    s.upstream.assign(up.begin(), up.end());
  }

  if (std::vector<int> cycle = FindCycle(p); !cycle.empty()) {
    std::string names;
    for (size_t k = 0; k < cycle.size(); ++k) {
      if (k > 0) names += " -> ";
      names += p.stages[static_cast<size_t>(cycle[k])].name;
    }
    return Status::InvalidArgument(p.stages[static_cast<size_t>(cycle[0])].location +
                                   ": stages form a cycle (each needs the next): " + names);
  }

  // Topological order; among ready stages the earliest in the file goes first.
  {
    std::vector<int> waiting(p.stages.size(), 0);
    std::vector<std::vector<int>> downstream(p.stages.size());
    for (size_t i = 0; i < p.stages.size(); ++i) {
      waiting[i] = static_cast<int>(p.stages[i].upstream.size());
      for (int u : p.stages[i].upstream) {
        downstream[static_cast<size_t>(u)].push_back(static_cast<int>(i));
      }
    }
    std::set<int> ready;
    for (size_t i = 0; i < p.stages.size(); ++i) {
      if (waiting[i] == 0) ready.insert(static_cast<int>(i));
    }
    while (!ready.empty()) {
      const int s = *ready.begin();
      ready.erase(ready.begin());
      p.order.push_back(s);
      for (int d : downstream[static_cast<size_t>(s)]) {
        if (--waiting[static_cast<size_t>(d)] == 0) ready.insert(d);
      }
    }
  }

  // Params: every named key must exist in the params file.
  bool any_params = false;
  for (size_t i = 0; i < p.stages.size(); ++i) {
    if (stages->entries()[i].value.Get("params") != nullptr) any_params = true;
  }
  const YamlNode* params_node = root.Get("params");
  if (params_node != nullptr) {
    CAIRN_ASSIGN_OR_RETURN(p.params_file, params_node->AsString());
    if (p.params_file.empty()) return params_node->Error("empty path");
  } else if (any_params) {
    p.params_file = "params.yaml";
  }
  if (any_params) {
    const std::string params_path = fs::path(p.params_file).is_absolute()
                                        ? p.params_file
                                        : (fs::path(p.dir) / p.params_file).string();
    auto params_text = ReadFileToString(params_path);
    if (!params_text.ok()) {
      const std::string where =
          params_node != nullptr ? params_node->Location() : p.stages[0].location;
      return Status::InvalidArgument(where + ": cannot read the params file '" + p.params_file +
                                     "': " + params_text.status().message());
    }
    CAIRN_ASSIGN_OR_RETURN(YamlDocument params, ParseYaml(*params_text, params_path));
    if (!params.root.IsMap() && !params.root.IsNull()) {
      return params.root.Error("a params file must be a map");
    }
    for (size_t i = 0; i < p.stages.size(); ++i) {
      const YamlNode* list_node = stages->entries()[i].value.Get("params");
      if (list_node == nullptr) continue;
      CAIRN_ASSIGN_OR_RETURN(auto list, ScalarList(*list_node));
      for (const YamlNode* key_node : list) {
        const std::string& key = key_node->text();
        const YamlNode* value = Lookup(params.root, key);
        if (key.empty() || value == nullptr) {
          return key_node->Error("params key '" + key + "' is not in " + p.params_file);
        }
        std::string canonical;
        CanonicalValue(*value, true, &canonical);
        p.param_values[key] = std::move(canonical);
        p.stages[i].params.push_back(key);
      }
    }
  }
  return p;
}

}  // namespace cairn::pipeline
