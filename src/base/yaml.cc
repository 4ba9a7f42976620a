#include "base/yaml.h"

#include <yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "base/file.h"

namespace cairn {

namespace {

// Nesting deeper than this is refused (spec files are shallow; this bounds every recursion).
constexpr size_t kMaxDepth = 200;
// Aliases may expand to at most this many nodes in total (bounds "billion laughs" inputs).
constexpr size_t kMaxAliasNodes = 100000;

constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";

const std::string& EmptyString() {
  static const std::string kEmpty;
  return kEmpty;
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// The number of nodes of a tree (the node itself and keys included) and its depth (1 for a
// scalar).
struct TreeSize {
  size_t nodes = 1;
  size_t depth = 1;
};

TreeSize MeasureTree(const YamlNode& node) {
  TreeSize size;
  auto add = [&](const YamlNode& child, size_t extra) {
    TreeSize c = MeasureTree(child);
    size.nodes += c.nodes + extra;
    size.depth = std::max(size.depth, c.depth + 1);
  };
  for (const YamlNode& item : node.items()) add(item, 0);
  for (const YamlEntry& entry : node.entries()) add(entry.value, 1);
  return size;
}

bool IsDigits(std::string_view s, size_t from, size_t to) {
  if (from >= to) return false;
  for (size_t i = from; i < to; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// The core schema float form without the special values: [-+]?(.D+|D+(.D*)?)([eE][-+]?D+)?
// (an integer matches too).
bool IsCoreDecimal(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

bool IsInfinity(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  return s == ".inf" || s == ".Inf" || s == ".INF";
}

bool IsNan(std::string_view s) { return s == ".nan" || s == ".NaN" || s == ".NAN"; }

bool IsNullText(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

}  // namespace

// Builds the node tree from libyaml's event stream. Not thread-safe; one per parse.
class YamlBuilder {
 public:
  YamlBuilder(std::string_view text, std::string_view file_name)
      : text_(text), file_(std::make_shared<const std::string>(file_name)) {}

  Result<YamlDocument> Build();

 private:
  // A map or sequence whose end has not been seen yet.
  struct Frame {
    YamlNode node;
    std::string anchor;
    bool have_key = false;
    YamlNode key;
    std::unordered_map<std::string, int> key_lines;
  };

  Status ParserError(const yaml_parser_t& parser) const;
  Status ErrorAt(const yaml_mark_t& mark, const std::string& message) const;
  Status HandleEvent(const yaml_event_t& event, bool* done);
  // The path of a node that starts now, from its place in the innermost open collection.
  std::string ChildPath() const;
  bool NextIsKey() const {
    return !stack_.empty() && stack_.back().node.IsMap() && !stack_.back().have_key;
  }
  YamlNode NewNode(YamlNode::Kind kind, const yaml_mark_t& mark) const;
  Status CheckTag(const yaml_char_t* tag, const yaml_mark_t& mark, bool* is_str) const;
  // Records `node` under `anchor` (if any) and attaches it to the innermost open collection.
  Status Complete(YamlNode node, const std::string& anchor);
  Status Attach(YamlNode node);
  static void SetPath(YamlNode* node, const std::string& path);

  std::string_view text_;
  std::shared_ptr<const std::string> file_;
  std::vector<Frame> stack_;
  struct Anchored {
    YamlNode node;
    TreeSize size;
  };
  std::map<std::string, Anchored, std::less<>> anchors_;
  std::set<std::string, std::less<>> open_anchors_;
  size_t alias_nodes_ = 0;
  int documents_ = 0;
  bool have_root_ = false;
  YamlNode root_;
};

Status YamlBuilder::ErrorAt(const yaml_mark_t& mark, const std::string& message) const {
  return Status::InvalidArgument(*file_ + ":" + std::to_string(mark.line + 1) + ": " + message);
}

Status YamlBuilder::ParserError(const yaml_parser_t& parser) const {
  std::string problem = parser.problem != nullptr ? parser.problem : "cannot parse";
  size_t line = 0;
  size_t column = 0;
  if (parser.error == YAML_READER_ERROR) {
    // Reader errors carry a byte offset; count lines and characters up to it.
    size_t offset = std::min(parser.problem_offset, text_.size());
    for (size_t i = 0; i < offset; ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 0;
      } else if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) {
        ++column;
      }
    }
    if (parser.problem_value != -1) {
      char hex[16];
      std::snprintf(hex, sizeof(hex), "%02x", static_cast<unsigned>(parser.problem_value));
      problem += std::string(" (byte or character 0x") + hex + ")";
    }
  } else if (parser.error == YAML_MEMORY_ERROR) {
    problem = "out of memory";
  } else {
    line = parser.problem_mark.line;
    column = parser.problem_mark.column;
    if (parser.context != nullptr) {
      problem += std::string(" (") + parser.context + " that starts at line " +
                 std::to_string(parser.context_mark.line + 1) + ", column " +
                 std::to_string(parser.context_mark.column + 1) + ")";
    }
  }
  return Status::InvalidArgument(*file_ + ":" + std::to_string(line + 1) + ":" +
                                 std::to_string(column + 1) + ": " + problem);
}

std::string YamlBuilder::ChildPath() const {
  if (stack_.empty()) return "";
  const Frame& top = stack_.back();
  const std::string& parent = top.node.Path();
  if (top.node.IsSequence()) {
    return parent + "[" + std::to_string(top.node.items().size()) + "]";
  }
  if (!top.have_key) return parent;  // a key: messages about it name its map
  return parent.empty() ? top.key.text() : parent + "." + top.key.text();
}

YamlNode YamlBuilder::NewNode(YamlNode::Kind kind, const yaml_mark_t& mark) const {
  YamlNode node;
  node.kind_ = kind;
  node.line_ = static_cast<int>(std::min<size_t>(mark.line + 1, std::numeric_limits<int>::max()));
  node.column_ =
      static_cast<int>(std::min<size_t>(mark.column + 1, std::numeric_limits<int>::max()));
  node.file_ = file_;
  node.path_ = ChildPath();
  return node;
}

Status YamlBuilder::CheckTag(const yaml_char_t* tag, const yaml_mark_t& mark, bool* is_str) const {
  *is_str = false;
  if (tag == nullptr) return Status::Ok();
  std::string_view name(reinterpret_cast<const char*>(tag));
  if (name == kStrTag) {
    *is_str = true;
    return Status::Ok();
  }
  return ErrorAt(mark, "tags are not supported (" + Quote(name) + "); write plain values");
}

void YamlBuilder::SetPath(YamlNode* node, const std::string& path) {
  node->path_ = path;
  for (size_t i = 0; i < node->items_.size(); ++i) {
    SetPath(&node->items_[i], path + "[" + std::to_string(i) + "]");
  }
  for (YamlEntry& entry : node->entries_) {
    entry.key.path_ = path;
    SetPath(&entry.value, path.empty() ? entry.key.text() : path + "." + entry.key.text());
  }
}

Status YamlBuilder::Attach(YamlNode node) {
  if (stack_.empty()) {
    root_ = std::move(node);
    have_root_ = true;
    return Status::Ok();
  }
  Frame& top = stack_.back();
  if (top.node.IsSequence()) {
    top.node.items_.push_back(std::move(node));
    return Status::Ok();
  }
  if (!top.have_key) {
    if (node.IsMap() || node.IsSequence()) {
      return Status::InvalidArgument(node.Location() + ": a key must be a plain value, not a " +
                                     (node.IsMap() ? "map" : "sequence"));
    }
    if (!node.quoted_ && node.text_ == "<<") {
      return Status::InvalidArgument(node.Location() +
                                     ": merge keys ('<<') are not supported; repeat the entries");
    }
    auto [it, inserted] = top.key_lines.emplace(node.text_, node.line_);
    if (!inserted) {
      return Status::InvalidArgument(node.Location() + ": duplicate key " + Quote(node.text_) +
                                     " in " + top.node.Describe() + " (first at line " +
                                     std::to_string(it->second) + ")");
    }
    top.key = std::move(node);
    top.have_key = true;
    return Status::Ok();
  }
  top.node.entries_.push_back(YamlEntry{std::move(top.key), std::move(node)});
  top.key = YamlNode();
  top.have_key = false;
  return Status::Ok();
}

Status YamlBuilder::Complete(YamlNode node, const std::string& anchor) {
  if (!anchor.empty()) {
    open_anchors_.erase(anchor);
    // A later anchor of the same name replaces the earlier one, as in YAML.
    anchors_[anchor] = Anchored{node, MeasureTree(node)};
  }
  return Attach(std::move(node));
}

Status YamlBuilder::HandleEvent(const yaml_event_t& event, bool* done) {
  switch (event.type) {
    case YAML_STREAM_START_EVENT:
    case YAML_NO_EVENT:
      return Status::Ok();
    case YAML_STREAM_END_EVENT:
      *done = true;
      return Status::Ok();
    case YAML_DOCUMENT_START_EVENT:
      if (documents_ > 0) {
        return ErrorAt(event.start_mark,
                       "a second document ('---'); a file holds exactly one document");
      }
      return Status::Ok();
    case YAML_DOCUMENT_END_EVENT:
      ++documents_;
      return Status::Ok();
    case YAML_ALIAS_EVENT: {
      std::string name(reinterpret_cast<const char*>(event.data.alias.anchor));
      if (open_anchors_.count(name) > 0) {
        return ErrorAt(event.start_mark, "alias '*" + name + "' refers to a node that contains it");
      }
      auto it = anchors_.find(name);
      if (it == anchors_.end()) {
        return ErrorAt(event.start_mark,
                       "alias '*" + name + "' has no anchor '&" + name + "' before it");
      }
      alias_nodes_ += it->second.size.nodes;
      if (alias_nodes_ > kMaxAliasNodes) {
        return ErrorAt(event.start_mark,
                       "aliases expand to more than " + std::to_string(kMaxAliasNodes) + " nodes");
      }
      if (stack_.size() + it->second.size.depth > kMaxDepth + 1) {
        return ErrorAt(event.start_mark,
                       "nested more than " + std::to_string(kMaxDepth) + " levels deep");
      }
      YamlNode copy = it->second.node;
      if (NextIsKey() && (copy.IsMap() || copy.IsSequence())) {
        return ErrorAt(event.start_mark, "a key must be a plain value, not a " +
                                             std::string(copy.IsMap() ? "map" : "sequence"));
      }
      SetPath(&copy, ChildPath());
      return Attach(std::move(copy));
    }
    case YAML_SCALAR_EVENT: {
      const auto& scalar = event.data.scalar;
      bool is_str = false;
      CAIRN_RETURN_IF_ERROR(CheckTag(scalar.tag, event.start_mark, &is_str));
      std::string value(reinterpret_cast<const char*>(scalar.value), scalar.length);
      bool quoted = is_str || scalar.style != YAML_PLAIN_SCALAR_STYLE;
      bool is_null = !quoted && IsNullText(value);
      YamlNode node =
          NewNode(is_null ? YamlNode::Kind::kNull : YamlNode::Kind::kScalar, event.start_mark);
      node.text_ = std::move(value);
      node.quoted_ = quoted;
      std::string anchor =
          scalar.anchor != nullptr ? reinterpret_cast<const char*>(scalar.anchor) : "";
      return Complete(std::move(node), anchor);
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
      const bool is_map = event.type == YAML_MAPPING_START_EVENT;
      const yaml_char_t* tag =
          is_map ? event.data.mapping_start.tag : event.data.sequence_start.tag;
      const yaml_char_t* anchor =
          is_map ? event.data.mapping_start.anchor : event.data.sequence_start.anchor;
      bool is_str = false;
      CAIRN_RETURN_IF_ERROR(CheckTag(tag, event.start_mark, &is_str));
      if (is_str) return ErrorAt(event.start_mark, "'!!str' on a map or sequence");
      if (NextIsKey()) {
        return ErrorAt(event.start_mark, std::string("a key must be a plain value, not a ") +
                                             (is_map ? "map" : "sequence"));
      }
      if (stack_.size() >= kMaxDepth) {
        return ErrorAt(event.start_mark,
                       "nested more than " + std::to_string(kMaxDepth) + " levels deep");
      }
      Frame frame;
      frame.node =
          NewNode(is_map ? YamlNode::Kind::kMap : YamlNode::Kind::kSequence, event.start_mark);
      if (anchor != nullptr) {
        frame.anchor = reinterpret_cast<const char*>(anchor);
        open_anchors_.insert(frame.anchor);
      }
      stack_.push_back(std::move(frame));
      return Status::Ok();
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
      if (stack_.empty()) return Status::Internal("yaml: unbalanced end event");
      Frame frame = std::move(stack_.back());
      stack_.pop_back();
      return Complete(std::move(frame.node), frame.anchor);
    }
  }
  return Status::Ok();
}

Result<YamlDocument> YamlBuilder::Build() {
  struct Parser {
    yaml_parser_t parser;
    Parser() { yaml_parser_initialize(&parser); }
    ~Parser() { yaml_parser_delete(&parser); }
    Parser(const Parser&) = delete;
    Parser& operator=(const Parser&) = delete;
  };
  struct Event {
    yaml_event_t event{};
    ~Event() { yaml_event_delete(&event); }
  };
  Parser p;
  yaml_parser_set_input_string(&p.parser, reinterpret_cast<const unsigned char*>(text_.data()),
                               text_.size());
  bool done = false;
  while (!done) {
    Event e;
    if (yaml_parser_parse(&p.parser, &e.event) == 0) return ParserError(p.parser);
    CAIRN_RETURN_IF_ERROR(HandleEvent(e.event, &done));
  }
  YamlDocument doc;
  doc.file = *file_;
  if (have_root_) {
    doc.root = std::move(root_);
  } else {
    doc.root.file_ = file_;
  }
  return doc;
}

Result<YamlDocument> ParseYaml(std::string_view text, std::string_view file_name) {
  YamlBuilder builder(text, file_name);
  return builder.Build();
}

Result<YamlDocument> ParseYamlFile(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseYaml(text, path);
}

// ---- YamlNode ----

const std::string& YamlNode::file() const { return file_ ? *file_ : EmptyString(); }

std::string YamlNode::Describe() const {
  return path_.empty() ? std::string("the document") : Quote(path_);
}

std::string YamlNode::Location() const { return file() + ":" + std::to_string(line_); }

Status YamlNode::Error(std::string_view message) const {
  std::string where = Location() + ": ";
  if (!path_.empty()) where += Quote(path_) + ": ";
  return Status::InvalidArgument(where + std::string(message));
}

namespace {

// What a node holds, for "expected X, got <this>" messages.
std::string WhatItIs(const YamlNode& node) {
  switch (node.kind()) {
    case YamlNode::Kind::kMap:
      return "a map";
    case YamlNode::Kind::kSequence:
      return "a sequence";
    case YamlNode::Kind::kNull:
      return node.text().empty() ? "an empty value" : "null";
    case YamlNode::Kind::kScalar:
      break;
  }
  if (node.quoted()) return "the string " + Quote(node.text()) + " (quoted values are strings)";
  return Quote(node.text());
}

}  // namespace

Result<std::string> YamlNode::AsString() const {
  if (kind_ != Kind::kScalar) return Error("expected a string, got " + WhatItIs(*this));
  return text_;
}

Result<int64_t> YamlNode::AsInt64() const {
  if (kind_ != Kind::kScalar || quoted_) {
    return Error("expected an integer, got " + WhatItIs(*this));
  }
  std::string_view s = text_;
  int base = 10;
  size_t start = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    base = s[1] == 'x' ? 16 : 8;
    start = 2;
  } else {
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) start = 1;
    if (!IsDigits(s, start, s.size())) {
      return Error("expected an integer, got " + WhatItIs(*this));
    }
    if (s[0] == '-') start = 0;  // from_chars reads '-' but not '+'
  }
  int64_t value = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data() + start, end, value, base);
  if (ec == std::errc::result_out_of_range) {
    return Error("integer " + Quote(s) + " is out of range (-2^63 to 2^63-1)");
  }
  if (ec != std::errc() || ptr != end) {
    return Error("expected an integer, got " + WhatItIs(*this));
  }
  return value;
}

Result<double> YamlNode::AsDouble(bool allow_infinity) const {
  if (kind_ != Kind::kScalar || quoted_) {
    return Error("expected a number, got " + WhatItIs(*this));
  }
  std::string_view s = text_;
  if (IsNan(s)) return Error("expected a number, got " + Quote(s) + " (not a number)");
  if (IsInfinity(s)) {
    if (!allow_infinity) return Error("expected a finite number, got " + Quote(s));
    return s[0] == '-' ? -std::numeric_limits<double>::infinity()
                       : std::numeric_limits<double>::infinity();
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    CAIRN_ASSIGN_OR_RETURN(int64_t v, AsInt64());
    return static_cast<double>(v);
  }
  if (!IsCoreDecimal(s)) return Error("expected a number, got " + WhatItIs(*this));
  if (s[0] == '+') s.remove_prefix(1);
  double value = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, value);
  if (ec == std::errc::result_out_of_range) {
    return Error("number " + Quote(text_) + " is out of the range of a double");
  }
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return Error("expected a number, got " + WhatItIs(*this));
  }
  return value;
}

Result<bool> YamlNode::AsBool() const {
  if (kind_ == Kind::kScalar && !quoted_) {
    if (text_ == "true" || text_ == "True" || text_ == "TRUE") return true;
    if (text_ == "false" || text_ == "False" || text_ == "FALSE") return false;
  }
  return Error("expected true or false, got " + WhatItIs(*this));
}

Status YamlNode::ExpectMap() const {
  if (kind_ == Kind::kMap) return Status::Ok();
  return Error("expected a map (key: value lines), got " + WhatItIs(*this));
}

Status YamlNode::ExpectSequence() const {
  if (kind_ == Kind::kSequence) return Status::Ok();
  return Error("expected a sequence (- item lines or [a, b]), got " + WhatItIs(*this));
}

const YamlNode* YamlNode::Get(std::string_view key) const {
  for (const YamlEntry& entry : entries_) {
    if (entry.key.text() == key) return &entry.value;
  }
  return nullptr;
}

Result<const YamlNode*> YamlNode::Require(std::string_view key) const {
  CAIRN_RETURN_IF_ERROR(ExpectMap());
  const YamlNode* value = Get(key);
  if (value == nullptr) {
    return Status::InvalidArgument(Location() + ": " + Describe() + " has no " + Quote(key));
  }
  return value;
}

Status YamlNode::CheckKeys(const std::vector<std::string_view>& allowed) const {
  CAIRN_RETURN_IF_ERROR(ExpectMap());
  for (const YamlEntry& entry : entries_) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == entry.key.text();
    if (known) continue;
    std::string expected;
    for (std::string_view a : allowed) {
      if (!expected.empty()) expected += ", ";
      expected += a;
    }
    return Status::InvalidArgument(
        entry.key.Location() + ": unknown key " + Quote(entry.key.text()) + " in " + Describe() +
        (expected.empty() ? "; expected no keys" : "; expected one of: " + expected));
  }
  return Status::Ok();
}

}  // namespace cairn
