// JSON Lines reader: chunk (lines cut from large blocks) -> infer (key tree and column types
// from a sample) -> parse (simdjson DOM per line, one parser per thread) -> assemble (per-range
// columns appended in line order). See docs/jsonl.md for the accepted input.

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/thread_pool.h"
#include "base/time.h"
#include "table/jsonl.h"
#include "table/jsonl_writer.h"

namespace cairn::table {
namespace {

namespace dom = simdjson::dom;

constexpr size_t kPadding = simdjson::SIMDJSON_PADDING;
// Bytes asked of the file per read; lines are cut from these blocks at the last newline.
// Reads start small, so that small inputs stay cheap, and double up to the maximum.
constexpr size_t kFirstReadBytes = size_t{64} << 10;
constexpr size_t kMaxReadBytes = size_t{4} << 20;
// Objects nested deeper than this are rejected (it bounds our recursion, not simdjson's).
constexpr int kMaxDepth = 256;
// Below this many lines per thread, starting threads costs more than it saves.
constexpr size_t kMinLinesPerThread = 1024;
// Longest string quoted in an error message, in bytes.
constexpr size_t kMaxQuotedBytes = 64;
// Integers up to this magnitude convert to double exactly.
constexpr int64_t kMaxExactInt = int64_t{1} << 53;

// The JSON kind of a value as the reader sees it; kBigInt is an integer outside int64.
enum class ValueKind : uint8_t { kNull, kInt, kBigInt, kFloat, kBool, kString, kArray, kObject };

// What a column accepts.
enum class Target : uint8_t {
  kInt64,      // JSON integers in the int64 range
  kFloat64,    // any JSON number that converts without silent loss
  kBool,       // true / false
  kString,     // JSON strings (inferred)
  kArray,      // JSON arrays, stored as minified text (inferred)
  kAnyText,    // anything, stored as text (a column_types override to string)
  kTimestamp,  // strings parsed by ParseTimestampMicros / ParseTimestampNanos
};

// One line of input: bytes [offset, offset + size) relative to the batch start, and its
// 1-based line number in the file.
struct LineRef {
  size_t offset;
  size_t size;
  int64_t line_no;
};

// A key path. nodes[0] is the root object; every other node is a key of its parent.
struct Node {
  std::string_view key;  // points into Layout::key_store
  std::string name;      // dotted path from the root
  std::vector<int> children;
  // Position in `children` by key, kept once there are more than kLinearChildren children.
  std::unordered_map<std::string_view, size_t> child_index;
  int column = -1;  // the column this node fills, or -1 for an object node
  bool is_object = false;
  const DataType* override_type = nullptr;  // from column_types; the node is then a leaf
  // Inference state.
  ValueKind seen = ValueKind::kNull;  // widest kind seen so far (kNull: only nulls)
  bool all_timestamps = true;         // every string seen parses as a timestamp
};

constexpr size_t kLinearChildren = 8;

// How one column is filled.
struct ColumnPlan {
  std::string name;
  DataType type;
  Target target = Target::kString;
  bool null_in_sample = false;  // inferred from nulls alone
};

// The key tree and the columns, built by inference and then shared read-only by the parsing
// threads.
struct Layout {
  std::deque<std::string> key_store;
  std::vector<Node> nodes;
  std::vector<ColumnPlan> columns;
  Schema schema;
  std::string file_name;
  int64_t sample_rows = 0;  // rows the schema was inferred from

  // The child of `node` called `key`, or -1. `*hint` is the position expected next (keys
  // usually come in the same order in every row), updated on success.
  int FindChild(int node, std::string_view key, size_t* hint) const {
    const Node& n = nodes[static_cast<size_t>(node)];
    size_t h = *hint;
    if (h < n.children.size() && nodes[static_cast<size_t>(n.children[h])].key == key) {
      *hint = h + 1;
      return n.children[h];
    }
    if (n.children.size() <= kLinearChildren) {
      for (size_t i = 0; i < n.children.size(); ++i) {
        if (nodes[static_cast<size_t>(n.children[i])].key == key) {
          *hint = i + 1;
          return n.children[i];
        }
      }
      return -1;
    }
    auto it = n.child_index.find(key);
    if (it == n.child_index.end()) return -1;
    *hint = it->second + 1;
    return n.children[it->second];
  }

  int AddChild(int parent, std::string_view key, const std::map<std::string, DataType>& overrides) {
    int id = static_cast<int>(nodes.size());
    key_store.emplace_back(key);
    Node n;
    n.key = key_store.back();
    const std::string& parent_name = nodes[static_cast<size_t>(parent)].name;
    n.name = parent == 0 ? std::string(key) : parent_name + "." + std::string(key);
    auto it = overrides.find(n.name);
    if (it != overrides.end()) n.override_type = &it->second;
    nodes.push_back(std::move(n));
    Node& p = nodes[static_cast<size_t>(parent)];
    p.children.push_back(id);
    if (p.children.size() > kLinearChildren) {
      if (p.child_index.empty()) {
        for (size_t i = 0; i < p.children.size(); ++i) {
          p.child_index.emplace(nodes[static_cast<size_t>(p.children[i])].key, i);
        }
      } else {
        p.child_index.emplace(nodes[static_cast<size_t>(id)].key, p.children.size() - 1);
      }
    }
    return id;
  }
};

std::string_view KindName(ValueKind k) {
  switch (k) {
    case ValueKind::kNull:
      return "null";
    case ValueKind::kInt:
      return "int64";
    case ValueKind::kBigInt:
      return "integer";
    case ValueKind::kFloat:
      return "float64";
    case ValueKind::kBool:
      return "bool";
    case ValueKind::kString:
      return "string";
    case ValueKind::kArray:
      return "array";
    case ValueKind::kObject:
      return "object";
  }
  return "?";
}

std::string TargetName(const ColumnPlan& plan) {
  switch (plan.target) {
    case Target::kArray:
      return "array";
    default:
      return plan.type.ToString();
  }
}

// Integers are written without a fraction; a double from a line whose out-of-range integers
// were rewritten (see RewriteBigInts) is taken for one of them when it is integral and beyond
// the int64 range.
ValueKind Classify(dom::element el, bool rewritten) {
  switch (el.type()) {
    case dom::element_type::ARRAY:
      return ValueKind::kArray;
    case dom::element_type::OBJECT:
      return ValueKind::kObject;
    case dom::element_type::INT64:
      return ValueKind::kInt;
    case dom::element_type::UINT64:
      return ValueKind::kBigInt;
    case dom::element_type::DOUBLE: {
      if (!rewritten) return ValueKind::kFloat;
      double d = 0;
      if (el.get_double().get(d) != simdjson::SUCCESS) return ValueKind::kFloat;
      bool big = std::fabs(d) >= 9223372036854775808.0 && std::trunc(d) == d;
      return big ? ValueKind::kBigInt : ValueKind::kFloat;
    }
    case dom::element_type::STRING:
      return ValueKind::kString;
    case dom::element_type::BOOL:
      return ValueKind::kBool;
    case dom::element_type::NULL_VALUE:
      return ValueKind::kNull;
  }
  return ValueKind::kNull;
}

std::string IntText(int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

// "string \"high\"", "int64 5", "object": the value as named in error messages.
std::string Describe(dom::element el, bool rewritten) {
  ValueKind kind = Classify(el, rewritten);
  std::string out(KindName(kind));
  switch (kind) {
    case ValueKind::kInt: {
      int64_t v = 0;
      if (el.get_int64().get(v) == simdjson::SUCCESS) out += " " + IntText(v);
      break;
    }
    case ValueKind::kBigInt: {
      uint64_t u = 0;
      double d = 0;
      if (el.get_uint64().get(u) == simdjson::SUCCESS) {
        char buf[24];
        auto res = std::to_chars(buf, buf + sizeof(buf), u);
        out += " " + std::string(buf, res.ptr);
      } else if (el.get_double().get(d) == simdjson::SUCCESS) {
        out += " " + FormatDouble(d);
      }
      out += " (beyond the int64 range)";
      break;
    }
    case ValueKind::kFloat: {
      double d = 0;
      if (el.get_double().get(d) == simdjson::SUCCESS) out += " " + FormatDouble(d, true);
      break;
    }
    case ValueKind::kBool: {
      bool b = false;
      if (el.get_bool().get(b) == simdjson::SUCCESS) out += b ? " true" : " false";
      break;
    }
    case ValueKind::kString: {
      std::string_view s;
      if (el.get_string().get(s) == simdjson::SUCCESS) {
        bool cut = s.size() > kMaxQuotedBytes;
        if (cut) {
          size_t n = kMaxQuotedBytes;
          // Cut on a character boundary, not inside a UTF-8 sequence.
          while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
          s = s.substr(0, n);
        }
        out += " ";
        (void)AppendJsonString(s, &out);
        if (cut) out += "...";
      }
      break;
    }
    default:
      break;
  }
  return out;
}

bool IsNumberByte(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// simdjson's DOM rejects a document holding an integer that fits neither int64 nor uint64.
// Copies `line` into *out with ".0" after each such integer outside strings, so that it reads
// as a double, and returns whether anything changed. *out gets simdjson's padding.
bool RewriteBigInts(std::string_view line, std::string* out) {
  out->clear();
  bool changed = false;
  bool in_string = false;
  size_t n = line.size();
  size_t i = 0;
  while (i < n) {
    char c = line[i];
    if (in_string) {
      if (c == '\\' && i + 1 < n) {
        out->append(line.substr(i, 2));
        i += 2;
        continue;
      }
      if (c == '"') in_string = false;
      out->push_back(c);
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out->push_back(c);
      ++i;
      continue;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t digits = i + (c == '-' ? 1 : 0);
      size_t j = digits;
      while (j < n && line[j] >= '0' && line[j] <= '9') ++j;
      size_t end = j;
      while (end < n && IsNumberByte(line[end])) ++end;
      out->append(line.substr(i, end - i));
      // Only a plain integer (no fraction or exponent, no leading zero) is a candidate.
      if (end == j && j - digits >= 19 && line[digits] != '0') {
        const char* first = line.data() + i;
        const char* last = line.data() + j;
        bool fits;
        if (c == '-') {
          int64_t v = 0;
          fits = std::from_chars(first, last, v).ec == std::errc();
        } else {
          uint64_t v = 0;
          fits = std::from_chars(first, last, v).ec == std::errc();
        }
        if (!fits) {
          out->append(".0");
          changed = true;
        }
      }
      i = end;
      continue;
    }
    out->push_back(c);
    ++i;
  }
  size_t size = out->size();
  out->append(kPadding, ' ');
  out->resize(size + kPadding);
  return changed;
}

// Parses one line into `*root`. `*rewritten` tells whether big integers were rewritten.
// Errors are "<file>:<line>: not a JSON object: <reason>".
Status ParseLine(dom::parser* parser, std::string* scratch, const Layout& layout, const char* data,
                 size_t size, int64_t line_no, dom::object* root, bool* rewritten) {
  *rewritten = false;
  dom::element el;
  simdjson::error_code err = parser->parse(data, size, false).get(el);
  if (err == simdjson::NUMBER_ERROR && RewriteBigInts(std::string_view(data, size), scratch)) {
    size_t rewritten_size = scratch->size() - kPadding;
    if (parser->parse(scratch->data(), rewritten_size, false).get(el) == simdjson::SUCCESS) {
      err = simdjson::SUCCESS;
      *rewritten = true;
    }
  }
  if (err != simdjson::SUCCESS) {
    return Status::Corrupt(layout.file_name + ":" + IntText(line_no) +
                           ": not a JSON object: " + simdjson::error_message(err));
  }
  if (el.get_object().get(*root) != simdjson::SUCCESS) {
    return Status::Corrupt(layout.file_name + ":" + IntText(line_no) +
                           ": not a JSON object: found " + Describe(el, *rewritten));
  }
  return Status::Ok();
}

std::string LinePrefix(const Layout& layout, int64_t line_no) {
  return layout.file_name + ":" + IntText(line_no) + ": ";
}

Status DepthError(const Layout& layout, int64_t line_no) {
  return Status::Corrupt(LinePrefix(layout, line_no) + "objects nested deeper than " +
                         IntText(kMaxDepth) + " levels");
}

Status DuplicateKeyError(const Layout& layout, int64_t line_no, const std::string& name) {
  return Status::Corrupt(LinePrefix(layout, line_no) + "duplicate key '" + name + "'");
}

// Widens `*acc` by `v` (int and float give float); false if they do not mix.
bool MergeKind(ValueKind* acc, ValueKind v) {
  if (v == ValueKind::kBigInt) v = ValueKind::kInt;
  if (v == ValueKind::kNull || *acc == v) return true;
  if (*acc == ValueKind::kNull) {
    *acc = v;
    return true;
  }
  if ((*acc == ValueKind::kInt && v == ValueKind::kFloat) ||
      (*acc == ValueKind::kFloat && v == ValueKind::kInt)) {
    *acc = ValueKind::kFloat;
    return true;
  }
  return false;
}

Target TargetForOverride(const DataType& t) {
  switch (t.kind) {
    case TypeKind::kInt64:
      return Target::kInt64;
    case TypeKind::kFloat64:
      return Target::kFloat64;
    case TypeKind::kBool:
      return Target::kBool;
    case TypeKind::kString:
      return Target::kAnyText;
    case TypeKind::kTimestamp:
      return Target::kTimestamp;
  }
  return Target::kAnyText;
}

// Builds the key tree and the column types from the sample lines.
class Inferrer {
 public:
  Inferrer(Layout* layout, const JsonlReadOptions& options) : layout_(layout), options_(options) {
    layout_->nodes.emplace_back();
    layout_->nodes[0].is_object = true;
  }

  Status AddLine(dom::parser* parser, const char* data, size_t size, int64_t line_no) {
    line_no_ = line_no;
    dom::object root;
    CAIRN_RETURN_IF_ERROR(
        ParseLine(parser, &scratch_, *layout_, data, size, line_no, &root, &rewritten_));
    ++stamp_;
    return WalkObject(0, root, 1);
  }

  // Assigns columns in first-seen order, then appends overridden columns never seen.
  Status Finish() {
    std::unordered_map<std::string, int> by_name;
    std::vector<ValueKind> kinds;
    std::vector<bool> all_timestamps;
    std::vector<bool> overridden;
    auto add_column = [&](Node& n) -> Status {
      auto it = by_name.find(n.name);
      if (it != by_name.end()) {
        // The same dotted name spelled as a literal key and as nested objects.
        size_t c = static_cast<size_t>(it->second);
        n.column = it->second;
        if (overridden[c]) return Status::Ok();
        ValueKind k = kinds[c];
        if (!MergeKind(&k, n.seen)) {
          return Status::Corrupt(layout_->file_name + ": column '" + n.name +
                                 "' is given both as a dotted key and as nested objects, with " +
                                 std::string(KindName(kinds[c])) + " and " +
                                 std::string(KindName(n.seen)) + " values");
        }
        kinds[c] = k;
        all_timestamps[c] = all_timestamps[c] && n.all_timestamps;
        return Status::Ok();
      }
      n.column = static_cast<int>(kinds.size());
      by_name.emplace(n.name, n.column);
      kinds.push_back(n.seen);
      all_timestamps.push_back(n.all_timestamps);
      overridden.push_back(n.override_type != nullptr);
      ColumnPlan plan;
      plan.name = n.name;
      if (n.override_type != nullptr) {
        plan.type = *n.override_type;
        plan.target = TargetForOverride(plan.type);
      }
      layout_->columns.push_back(std::move(plan));
      return Status::Ok();
    };
    for (size_t i = 1; i < layout_->nodes.size(); ++i) {
      Node& n = layout_->nodes[i];
      if (n.override_type == nullptr && n.is_object) continue;
      CAIRN_RETURN_IF_ERROR(add_column(n));
    }
    for (const auto& [name, type] : options_.column_types) {
      if (by_name.count(name) != 0) continue;
      int node = AddOverridePath(name);
      CAIRN_RETURN_IF_ERROR(add_column(layout_->nodes[static_cast<size_t>(node)]));
    }
    for (size_t c = 0; c < layout_->columns.size(); ++c) {
      ColumnPlan& plan = layout_->columns[c];
      if (!overridden[c]) {
        switch (kinds[c]) {
          case ValueKind::kNull:
            plan.type = DataType::String();
            plan.target = Target::kString;
            plan.null_in_sample = true;
            break;
          case ValueKind::kInt:
          case ValueKind::kBigInt:
            plan.type = DataType::Int64();
            plan.target = Target::kInt64;
            break;
          case ValueKind::kFloat:
            plan.type = DataType::Float64();
            plan.target = Target::kFloat64;
            break;
          case ValueKind::kBool:
            plan.type = DataType::Bool();
            plan.target = Target::kBool;
            break;
          case ValueKind::kString:
            plan.type =
                all_timestamps[c] ? DataType::Timestamp(TimeUnit::kMicro) : DataType::String();
            plan.target = all_timestamps[c] ? Target::kTimestamp : Target::kString;
            break;
          case ValueKind::kArray:
          case ValueKind::kObject:
            plan.type = DataType::String();
            plan.target = Target::kArray;
            break;
        }
      }
      layout_->schema.AddField(Field{plan.name, plan.type, true});
    }
    return Status::Ok();
  }

 private:
  Status Conflict(const Node& n, ValueKind expected, dom::element el) {
    return Status::Corrupt(LinePrefix(*layout_, line_no_) + "column '" + n.name + "': expected " +
                           std::string(KindName(expected)) + ", found " + Describe(el, rewritten_));
  }

  Status WalkObject(int node, dom::object obj, int depth) {
    if (depth > kMaxDepth) return DepthError(*layout_, line_no_);
    size_t hint = 0;
    for (dom::key_value_pair kv : obj) {
      int child = layout_->FindChild(node, kv.key, &hint);
      if (child < 0) {
        child = layout_->AddChild(node, kv.key, options_.column_types);
        hint = layout_->nodes[static_cast<size_t>(node)].children.size();
        stamps_.resize(layout_->nodes.size(), 0);
      }
      size_t c = static_cast<size_t>(child);
      if (stamps_[c] == stamp_) {
        return DuplicateKeyError(*layout_, line_no_, layout_->nodes[c].name);
      }
      stamps_[c] = stamp_;
      CAIRN_RETURN_IF_ERROR(AddValue(child, kv.value, depth));
    }
    return Status::Ok();
  }

  Status AddValue(int node, dom::element el, int depth) {
    ValueKind kind = Classify(el, rewritten_);
    Node& n = layout_->nodes[static_cast<size_t>(node)];
    // An overridden column takes the value as it is; conversion checks it.
    if (n.override_type != nullptr) return Status::Ok();
    if (kind == ValueKind::kObject) {
      if (n.seen != ValueKind::kNull) return Conflict(n, n.seen, el);
      n.is_object = true;
      dom::object obj;
      if (el.get_object().get(obj) != simdjson::SUCCESS) {
        return Status::Internal("object element is not an object");
      }
      return WalkObject(node, obj, depth + 1);
    }
    if (n.is_object) {
      if (kind == ValueKind::kNull) return Status::Ok();
      return Conflict(n, ValueKind::kObject, el);
    }
    ValueKind before = n.seen;
    if (!MergeKind(&n.seen, kind)) return Conflict(n, before, el);
    if (kind == ValueKind::kString && n.all_timestamps) {
      std::string_view s;
      if (el.get_string().get(s) != simdjson::SUCCESS || !ParseTimestampMicros(s)) {
        n.all_timestamps = false;
      }
    }
    return Status::Ok();
  }

  // Creates the nodes for an overridden name that the sample never showed: nested objects
  // along its dots, or a literal root key when a prefix is already a leaf.
  int AddOverridePath(const std::string& name) {
    int node = 0;
    size_t start = 0;
    for (;;) {
      size_t dot = name.find('.', start);
      std::string_view part = std::string_view(name).substr(
          start, dot == std::string::npos ? std::string::npos : dot - start);
      size_t hint = 0;
      int child = layout_->FindChild(node, part, &hint);
      if (dot == std::string::npos) {
        if (child >= 0) break;  // cannot happen: the name would have matched
        return layout_->AddChild(node, part, options_.column_types);
      }
      if (child < 0) {
        child = layout_->AddChild(node, part, options_.column_types);
        layout_->nodes[static_cast<size_t>(child)].is_object = true;
      } else if (!layout_->nodes[static_cast<size_t>(child)].is_object ||
                 layout_->nodes[static_cast<size_t>(child)].override_type != nullptr) {
        break;
      }
      node = child;
      start = dot + 1;
    }
    return layout_->AddChild(0, name, options_.column_types);
  }

  Layout* layout_;
  const JsonlReadOptions& options_;
  std::vector<uint64_t> stamps_ = std::vector<uint64_t>(1, 0);
  uint64_t stamp_ = 0;
  int64_t line_no_ = 0;
  bool rewritten_ = false;
  std::string scratch_;
};

// Converts lines into columns following a Layout. One per thread; reused across batches so
// that simdjson's buffers are allocated once.
class RangeParser {
 public:
  explicit RangeParser(const Layout* layout)
      : layout_(layout),
        node_stamps_(layout->nodes.size(), 0),
        column_stamps_(layout->columns.size(), 0) {}

  // Parses `count` lines whose offsets are relative to `base` into fresh columns.
  Status Parse(const char* base, const LineRef* lines, size_t count) {
    columns_.clear();
    columns_.reserve(layout_->columns.size());
    for (const ColumnPlan& plan : layout_->columns) {
      columns_.emplace_back(plan.type);
      columns_.back().Reserve(static_cast<int64_t>(count));
    }
    for (size_t i = 0; i < count; ++i) {
      CAIRN_RETURN_IF_ERROR(ParseRow(base + lines[i].offset, lines[i].size, lines[i].line_no));
    }
    return Status::Ok();
  }

  std::vector<Column>& columns() { return columns_; }

 private:
  Status ParseRow(const char* data, size_t size, int64_t line_no) {
    line_no_ = line_no;
    dom::object root;
    CAIRN_RETURN_IF_ERROR(
        ParseLine(&parser_, &scratch_, *layout_, data, size, line_no, &root, &rewritten_));
    ++stamp_;
    CAIRN_RETURN_IF_ERROR(WalkObject(0, root, 1));
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (column_stamps_[c] != stamp_) columns_[c].AppendNull();
    }
    return Status::Ok();
  }

  Status WalkObject(int node, dom::object obj, int depth) {
    if (depth > kMaxDepth) return DepthError(*layout_, line_no_);
    size_t hint = 0;
    for (dom::key_value_pair kv : obj) {
      int child = layout_->FindChild(node, kv.key, &hint);
      if (child < 0) return LateKeyError(node, kv.key);
      size_t c = static_cast<size_t>(child);
      const Node& n = layout_->nodes[c];
      if (node_stamps_[c] == stamp_) return DuplicateKeyError(*layout_, line_no_, n.name);
      node_stamps_[c] = stamp_;
      if (n.column >= 0) {
        CAIRN_RETURN_IF_ERROR(StoreLeaf(n.column, kv.value));
        continue;
      }
      dom::element_type t = kv.value.type();
      if (t == dom::element_type::NULL_VALUE) continue;
      if (t != dom::element_type::OBJECT) {
        return Status::Corrupt(LinePrefix(*layout_, line_no_) + "column '" + n.name +
                               "': expected object, found " + Describe(kv.value, rewritten_));
      }
      dom::object sub;
      if (kv.value.get_object().get(sub) != simdjson::SUCCESS) {
        return Status::Internal("object element is not an object");
      }
      CAIRN_RETURN_IF_ERROR(WalkObject(child, sub, depth + 1));
    }
    return Status::Ok();
  }

  Status LateKeyError(int node, std::string_view key) {
    const std::string& parent = layout_->nodes[static_cast<size_t>(node)].name;
    std::string name = node == 0 ? std::string(key) : parent + "." + std::string(key);
    return Status::Corrupt(LinePrefix(*layout_, line_no_) + "key '" + name +
                           "' first appears after the " + IntText(layout_->sample_rows) +
                           " rows the schema was inferred from; raise infer_rows (or name the "
                           "column in column_types)");
  }

  Status Mismatch(int col, dom::element el) {
    const ColumnPlan& plan = layout_->columns[static_cast<size_t>(col)];
    std::string msg = LinePrefix(*layout_, line_no_) + "column '" + plan.name + "': expected " +
                      TargetName(plan) + ", found " + Describe(el, rewritten_);
    if (plan.null_in_sample) {
      msg += " (the column held only nulls in the " + IntText(layout_->sample_rows) +
             " rows the schema was inferred from; raise infer_rows or set its type in "
             "column_types)";
    }
    return Status::Corrupt(std::move(msg));
  }

  void AppendMinified(Column* out, dom::element el) {
    builder_.clear();
    builder_.append(el);
    out->AppendString(builder_.str());
  }

  Status StoreLeaf(int col, dom::element el) {
    dom::element_type t = el.type();
    if (t == dom::element_type::NULL_VALUE) return Status::Ok();
    size_t c = static_cast<size_t>(col);
    // The same column reached twice: a literal dotted key and nested objects in one row.
    if (column_stamps_[c] == stamp_) {
      return DuplicateKeyError(*layout_, line_no_, layout_->columns[c].name);
    }
    const ColumnPlan& plan = layout_->columns[c];
    Column& out = columns_[c];
    bool ok = false;
    switch (plan.target) {
      case Target::kInt64: {
        int64_t v = 0;
        if (t == dom::element_type::INT64 && el.get_int64().get(v) == simdjson::SUCCESS) {
          out.AppendInt(v);
          ok = true;
        }
        break;
      }
      case Target::kFloat64: {
        double d = 0;
        int64_t v = 0;
        uint64_t u = 0;
        if (t == dom::element_type::DOUBLE && el.get_double().get(d) == simdjson::SUCCESS) {
          out.AppendDouble(d);
          ok = true;
        } else if (t == dom::element_type::INT64 && el.get_int64().get(v) == simdjson::SUCCESS) {
          if (!IntFitsDouble(v)) {
            return Status::Corrupt(LinePrefix(*layout_, line_no_) + "column '" + plan.name +
                                   "': integer " + IntText(v) +
                                   " cannot be stored exactly as float64");
          }
          out.AppendDouble(static_cast<double>(v));
          ok = true;
        } else if (t == dom::element_type::UINT64 && el.get_uint64().get(u) == simdjson::SUCCESS) {
          out.AppendDouble(static_cast<double>(u));
          ok = true;
        }
        break;
      }
      case Target::kBool: {
        bool b = false;
        if (t == dom::element_type::BOOL && el.get_bool().get(b) == simdjson::SUCCESS) {
          out.AppendBool(b);
          ok = true;
        }
        break;
      }
      case Target::kString: {
        std::string_view s;
        if (t == dom::element_type::STRING && el.get_string().get(s) == simdjson::SUCCESS) {
          out.AppendString(s);
          ok = true;
        }
        break;
      }
      case Target::kArray:
        if (t == dom::element_type::ARRAY) {
          AppendMinified(&out, el);
          ok = true;
        }
        break;
      case Target::kAnyText:
        ok = AppendAsText(&out, el);
        break;
      case Target::kTimestamp: {
        std::string_view s;
        if (t == dom::element_type::STRING && el.get_string().get(s) == simdjson::SUCCESS) {
          std::optional<int64_t> v = ParseTimestampIn(s, plan.type.unit);
          if (v) {
            out.AppendInt(*v);
            ok = true;
          }
        }
        break;
      }
    }
    if (!ok) return Mismatch(col, el);
    column_stamps_[c] = stamp_;
    return Status::Ok();
  }

  static bool IntFitsDouble(int64_t v) {
    if (v >= -kMaxExactInt && v <= kMaxExactInt) return true;
    double d = static_cast<double>(v);
    // 2^63 itself is out of int64 range: the cast back would be undefined.
    if (d >= 9223372036854775808.0 || d < -9223372036854775808.0) return false;
    return static_cast<int64_t>(d) == v;
  }

  static std::optional<int64_t> ParseTimestampIn(std::string_view s, TimeUnit unit) {
    switch (unit) {
      case TimeUnit::kMicro:
        return ParseTimestampMicros(s);
      case TimeUnit::kNano:
        return ParseTimestampNanos(s);
      case TimeUnit::kMilli: {
        std::optional<int64_t> us = ParseTimestampMicros(s);
        if (!us) return std::nullopt;
        // Floor division, so that instants before 1970 truncate toward negative infinity
        // like the parser does.
        int64_t ms = *us / 1000;
        if (*us % 1000 < 0) --ms;
        return ms;
      }
    }
    return std::nullopt;
  }

  bool AppendAsText(Column* out, dom::element el) {
    switch (el.type()) {
      case dom::element_type::STRING: {
        std::string_view s;
        if (el.get_string().get(s) != simdjson::SUCCESS) return false;
        out->AppendString(s);
        return true;
      }
      case dom::element_type::INT64: {
        int64_t v = 0;
        if (el.get_int64().get(v) != simdjson::SUCCESS) return false;
        out->AppendString(IntText(v));
        return true;
      }
      case dom::element_type::UINT64: {
        uint64_t u = 0;
        if (el.get_uint64().get(u) != simdjson::SUCCESS) return false;
        char buf[24];
        auto res = std::to_chars(buf, buf + sizeof(buf), u);
        out->AppendString(std::string_view(buf, static_cast<size_t>(res.ptr - buf)));
        return true;
      }
      case dom::element_type::DOUBLE: {
        double d = 0;
        if (el.get_double().get(d) != simdjson::SUCCESS) return false;
        out->AppendString(FormatDouble(d, !(rewritten_ && std::trunc(d) == d)));
        return true;
      }
      case dom::element_type::BOOL: {
        bool b = false;
        if (el.get_bool().get(b) != simdjson::SUCCESS) return false;
        out->AppendString(b ? "true" : "false");
        return true;
      }
      case dom::element_type::ARRAY:
      case dom::element_type::OBJECT:
        AppendMinified(out, el);
        return true;
      case dom::element_type::NULL_VALUE:
        return false;
    }
    return false;
  }

  const Layout* layout_;
  dom::parser parser_;
  simdjson::internal::string_builder<> builder_;
  std::string scratch_;
  std::vector<Column> columns_;
  std::vector<uint64_t> node_stamps_;
  std::vector<uint64_t> column_stamps_;
  uint64_t stamp_ = 0;
  int64_t line_no_ = 0;
  bool rewritten_ = false;
};

bool IsBlank(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    char c = p[i];
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

class JsonlReader : public TableReader {
 public:
  JsonlReader(std::unique_ptr<SequentialFile> file, const ReadOptions& options)
      : file_(std::move(file)),
        options_(options),
        num_threads_(ResolveThreads(options.num_threads)) {
    layout_.file_name = file_->name();
  }

  Status Init() {
    if (options_.batch_rows < 1) {
      return Status::InvalidArgument(file_->name() + ": batch_rows must be at least 1");
    }
    if (options_.jsonl.infer_rows < 1) {
      return Status::InvalidArgument(file_->name() + ": infer_rows must be at least 1");
    }
    CAIRN_RETURN_IF_ERROR(ReadMore());
    // A UTF-8 byte order mark may precede the first line.
    while (end_ < 3 && !eof_) CAIRN_RETURN_IF_ERROR(ReadMore());
    if (end_ >= 3 && std::memcmp(buf_.get(), "\xEF\xBB\xBF", 3) == 0) begin_ = 3;

    CAIRN_RETURN_IF_ERROR(CollectLines(options_.jsonl.infer_rows));
    Inferrer inferrer(&layout_, options_.jsonl);
    dom::parser parser;
    const char* base = buf_.get() + begin_;
    for (const LineRef& line : lines_) {
      CAIRN_RETURN_IF_ERROR(inferrer.AddLine(&parser, base + line.offset, line.size, line.line_no));
    }
    layout_.sample_rows = static_cast<int64_t>(lines_.size());
    CAIRN_RETURN_IF_ERROR(inferrer.Finish());
    // The sample stays in the buffer (begin_ is unchanged) and is converted by Next.
    return Status::Ok();
  }

  const Schema& schema() const override { return layout_.schema; }

  Result<bool> Next(Table* batch) override {
    for (;;) {
      if (done_) return false;
      CAIRN_RETURN_IF_ERROR(CollectLines(options_.batch_rows));
      if (lines_.empty()) {
        done_ = true;
        return false;
      }
      CAIRN_RETURN_IF_ERROR(ParseCollected());
      begin_ = scan_end_;
      next_line_no_ = scan_line_no_;
      std::vector<Column> columns = Assemble();
      // Without columns no row can be represented; the lines were still checked above.
      if (columns.empty()) continue;
      CAIRN_ASSIGN_OR_RETURN(*batch, Table::Make(layout_.schema, std::move(columns)));
      return true;
    }
  }

 private:
  // Moves the unconsumed bytes to the front of the buffer and reads one more block.
  Status ReadMore() {
    if (begin_ > 0) {
      std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    size_t want = read_bytes_;
    read_bytes_ = std::min(read_bytes_ * 2, kMaxReadBytes);
    if (capacity_ < end_ + want + kPadding) {
      // Not zero-filled: only bytes below end_ are ever read as input.
      size_t capacity = std::max(capacity_ * 2, end_ + want + kPadding);
      std::unique_ptr<char[]> bigger(new char[capacity]);
      if (end_ > 0) std::memcpy(bigger.get(), buf_.get(), end_);
      buf_ = std::move(bigger);
      capacity_ = capacity;
    }
    CAIRN_ASSIGN_OR_RETURN(int64_t got, file_->Read(static_cast<int64_t>(want), buf_.get() + end_));
    if (got <= 0) {
      eof_ = true;
    } else {
      end_ += static_cast<size_t>(got);
    }
    return Status::Ok();
  }

  // Collects up to `max_lines` non-blank lines from begin_ into lines_ (offsets relative to
  // begin_), reading more input when no complete line is left. Leaves scan_end_ and
  // scan_line_no_ just past the last line collected; begin_ is not advanced.
  Status CollectLines(int64_t max_lines) {
    lines_.clear();
    size_t scan = begin_;
    int64_t line_no = next_line_no_;
    while (static_cast<int64_t>(lines_.size()) < max_lines) {
      const char* p = buf_.get();
      const void* nl = scan < end_ ? std::memchr(p + scan, '\n', end_ - scan) : nullptr;
      size_t line_end;
      size_t next;
      if (nl != nullptr) {
        line_end = static_cast<size_t>(static_cast<const char*>(nl) - p);
        next = line_end + 1;
      } else if (eof_) {
        if (scan >= end_) break;
        line_end = end_;
        next = end_;
      } else {
        size_t shift = begin_;
        CAIRN_RETURN_IF_ERROR(ReadMore());
        scan -= shift;
        continue;
      }
      if (line_end > scan && p[line_end - 1] == '\r') --line_end;
      if (!IsBlank(p + scan, line_end - scan)) {
        lines_.push_back(LineRef{scan - begin_, line_end - scan, line_no});
      }
      ++line_no;
      scan = next;
    }
    scan_end_ = scan;
    scan_line_no_ = line_no;
    return Status::Ok();
  }

  // Parses lines_ on up to num_threads_ threads, each range into its own RangeParser.
  Status ParseCollected() {
    size_t n = lines_.size();
    size_t ranges =
        std::min(static_cast<size_t>(num_threads_), std::max<size_t>(1, n / kMinLinesPerThread));
    while (parsers_.size() < ranges) parsers_.push_back(std::make_unique<RangeParser>(&layout_));
    ranges_ = ranges;
    std::vector<Status> statuses(ranges);
    const char* base = buf_.get() + begin_;
    ParallelFor(static_cast<int64_t>(ranges), static_cast<int>(ranges), [&](int64_t r) {
      size_t i = static_cast<size_t>(r);
      size_t from = n * i / ranges;
      size_t to = n * (i + 1) / ranges;
      statuses[i] = parsers_[i]->Parse(base, lines_.data() + from, to - from);
    });
    // Ranges are in line order and each stops at its first error: the first failing range
    // holds the error a single thread would have met first.
    for (Status& s : statuses) {
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  std::vector<Column> Assemble() {
    std::vector<Column> out = std::move(parsers_[0]->columns());
    for (size_t r = 1; r < ranges_; ++r) {
      std::vector<Column>& part = parsers_[r]->columns();
      for (size_t c = 0; c < out.size(); ++c) out[c].AppendFrom(part[c], 0, part[c].size());
    }
    return out;
  }

  std::unique_ptr<SequentialFile> file_;
  ReadOptions options_;
  int num_threads_;
  Layout layout_;
  std::unique_ptr<char[]> buf_;  // input bytes, followed by at least kPadding more
  size_t capacity_ = 0;
  size_t read_bytes_ = kFirstReadBytes;
  size_t begin_ = 0;  // first unconsumed byte
  size_t end_ = 0;    // end of the bytes read
  bool eof_ = false;
  bool done_ = false;
  int64_t next_line_no_ = 1;  // line number at begin_
  std::vector<LineRef> lines_;
  size_t scan_end_ = 0;
  int64_t scan_line_no_ = 1;
  std::vector<std::unique_ptr<RangeParser>> parsers_;
  size_t ranges_ = 0;
};

}  // namespace

Result<std::unique_ptr<TableReader>> OpenJsonlReader(std::unique_ptr<SequentialFile> file,
                                                     const ReadOptions& options) {
  auto reader = std::make_unique<JsonlReader>(std::move(file), options);
  CAIRN_RETURN_IF_ERROR(reader->Init());
  return std::unique_ptr<TableReader>(std::move(reader));
}

}  // namespace cairn::table
