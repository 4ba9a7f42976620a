// JSON Lines writer: the key layout of a row (nesting of dotted names) is compiled once into a
// template of literal text pieces and value slots; rows are then formatted by filling the slots,
// in parallel for large batches, and written in order.

#include "table/jsonl_writer.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_set>

#include "base/log.h"
#include "base/thread_pool.h"
#include "base/time.h"
#include "table/jsonl.h"

namespace cairn::table {
namespace {

// Rows formatted by one task; a batch is written in groups of num_threads tasks, which bounds
// the text held in memory.
constexpr int64_t kRowsPerTask = 16384;

// Bytes that cannot appear unescaped inside a JSON string: control characters, '"' and '\'.
struct EscapeTable {
  bool needs[256] = {};
  constexpr EscapeTable() {
    for (int c = 0; c < 0x20; ++c) needs[c] = true;
    needs[static_cast<unsigned char>('"')] = true;
    needs[static_cast<unsigned char>('\\')] = true;
  }
};
constexpr EscapeTable kEscape;

// Length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0 if invalid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // no overlong forms
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return len;
}

void AppendEscapedAscii(unsigned char c, std::string* out) {
  switch (c) {
    case '"':
      out->append("\\\"");
      return;
    case '\\':
      out->append("\\\\");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      char buf[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out->append(buf, sizeof(buf));
      return;
    }
  }
}

// Formatting counters of one task.
struct Counts {
  int64_t non_finite = 0;
  int64_t invalid_utf8 = 0;
};

// Text written before the value of `column`.
struct Piece {
  std::string prefix;
  int column;
};

// A key of the nesting tree built from dotted names.
struct KeyNode {
  std::string key;
  int column = -1;  // the field written under this key, or -1
  std::vector<int> children;
};

class JsonlWriterImpl : public JsonlWriter {
 public:
  JsonlWriterImpl(std::unique_ptr<WritableFile> file, Schema schema, const WriteOptions& options)
      : file_(std::move(file)),
        schema_(std::move(schema)),
        num_threads_(ResolveThreads(options.num_threads)) {
    BuildTemplate(options.jsonl.nest_dotted);
  }

  Status Write(const Table& batch) override {
    if (closed_) return Status::InvalidArgument(file_->name() + ": write after Close");
    CAIRN_RETURN_IF_ERROR(CheckSchema(batch.schema()));
    int64_t rows = batch.num_rows();
    int64_t tasks = (rows + kRowsPerTask - 1) / kRowsPerTask;
    int64_t group = std::max(1, num_threads_);
    std::vector<std::string> parts(static_cast<size_t>(std::min(tasks, group)));
    std::vector<Counts> counts(parts.size());
    for (int64_t first = 0; first < tasks; first += group) {
      int64_t n = std::min(group, tasks - first);
      ParallelFor(n, static_cast<int>(n), [&](int64_t t) {
        size_t i = static_cast<size_t>(t);
        int64_t begin = (first + t) * kRowsPerTask;
        int64_t end = std::min(rows, begin + kRowsPerTask);
        parts[i].clear();
        FormatRows(batch, begin, end, &parts[i], &counts[i]);
      });
      for (int64_t t = 0; t < n; ++t) {
        CAIRN_RETURN_IF_ERROR(file_->Append(parts[static_cast<size_t>(t)]));
      }
    }
    for (const Counts& c : counts) {
      non_finite_ += c.non_finite;
      invalid_utf8_ += c.invalid_utf8;
    }
    return Status::Ok();
  }

  Status Close() override {
    if (closed_) return Status::Ok();
    closed_ = true;
    CAIRN_RETURN_IF_ERROR(file_->Close());
    if (non_finite_ > 0) {
      LogWarning(file_->name() + ": wrote " + std::to_string(non_finite_) +
                 " NaN or infinite float values as null (JSON cannot represent them)");
    }
    if (invalid_utf8_ > 0) {
      LogWarning(file_->name() + ": " + std::to_string(invalid_utf8_) +
                 " strings were not valid UTF-8; invalid bytes were written as U+FFFD");
    }
    return Status::Ok();
  }

  int64_t non_finite_count() const override { return non_finite_; }
  int64_t invalid_utf8_count() const override { return invalid_utf8_; }

 private:
  Status CheckSchema(const Schema& got) const {
    if (got.num_fields() != schema_.num_fields()) {
      return Status::InvalidArgument(file_->name() + ": batch has " +
                                     std::to_string(got.num_fields()) +
                                     " fields, the writer's "
                                     "schema has " +
                                     std::to_string(schema_.num_fields()));
    }
    for (int i = 0; i < got.num_fields(); ++i) {
      const Field& a = got.field(i);
      const Field& b = schema_.field(i);
      if (a.name != b.name || a.type != b.type) {
        return Status::InvalidArgument(file_->name() + ": batch field " + std::to_string(i) +
                                       " is '" + a.name + ": " + a.type.ToString() +
                                       "', the writer's schema has '" + b.name + ": " +
                                       b.type.ToString() + "'");
      }
    }
    return Status::Ok();
  }

  void BuildTemplate(bool nest_dotted) {
    std::vector<KeyNode> tree(1);
    for (int i = 0; i < schema_.num_fields(); ++i) {
      const std::string& name = schema_.field(i).name;
      int node = 0;
      size_t start = 0;
      for (;;) {
        size_t dot = nest_dotted ? name.find('.', start) : std::string::npos;
        std::string part = name.substr(start, dot == std::string::npos ? dot : dot - start);
        int child = -1;
        for (int c : tree[static_cast<size_t>(node)].children) {
          if (tree[static_cast<size_t>(c)].key == part) child = c;
        }
        if (child < 0) {
          child = static_cast<int>(tree.size());
          tree.push_back(KeyNode{part, -1, {}});
          tree[static_cast<size_t>(node)].children.push_back(child);
        }
        node = child;
        if (dot == std::string::npos) break;
        start = dot + 1;
      }
      tree[static_cast<size_t>(node)].column = i;
    }
    std::string pending = "{";
    EmitMembers(tree, 0, 0, &pending);
    pending += "}\n";
    suffix_ = std::move(pending);
  }

  // Appends the members of object `node` (whose path takes `prefix_len` bytes of a field
  // name, dot included) to the template.
  void EmitMembers(const std::vector<KeyNode>& tree, int node, size_t prefix_len,
                   std::string* pending) {
    bool first = true;
    auto slot = [&](std::string_view key, int column) {
      if (!first) *pending += ',';
      first = false;
      (void)AppendJsonString(key, pending);
      *pending += ':';
      pieces_.push_back(Piece{std::move(*pending), column});
      pending->clear();
    };
    for (int c : tree[static_cast<size_t>(node)].children) {
      const KeyNode& k = tree[static_cast<size_t>(c)];
      if (k.children.empty()) {
        slot(k.key, k.column);
      } else if (k.column < 0) {
        if (!first) *pending += ',';
        first = false;
        (void)AppendJsonString(k.key, pending);
        *pending += ":{";
        EmitMembers(tree, c, prefix_len + k.key.size() + 1, pending);
        *pending += '}';
      } else {
        // `k` is both a value and a prefix (fields "a" and "a.b"): an object cannot be both,
        // so this group is written with flat dotted keys, in schema order.
        std::vector<int> columns;
        CollectColumns(tree, c, &columns);
        std::sort(columns.begin(), columns.end());
        for (int col : columns) {
          slot(std::string_view(schema_.field(col).name).substr(prefix_len), col);
        }
      }
    }
  }

  static void CollectColumns(const std::vector<KeyNode>& tree, int node, std::vector<int>* out) {
    const KeyNode& k = tree[static_cast<size_t>(node)];
    if (k.column >= 0) out->push_back(k.column);
    for (int c : k.children) CollectColumns(tree, c, out);
  }

  void FormatRows(const Table& batch, int64_t begin, int64_t end, std::string* out,
                  Counts* counts) const {
    for (int64_t row = begin; row < end; ++row) {
      for (const Piece& piece : pieces_) {
        out->append(piece.prefix);
        AppendValue(batch.column(piece.column), row, out, counts);
      }
      out->append(suffix_);
    }
  }

  static void AppendValue(const Column& col, int64_t row, std::string* out, Counts* counts) {
    if (col.IsNull(row)) {
      out->append("null");
      return;
    }
    char buf[32];
    switch (col.type().kind) {
      case TypeKind::kInt64: {
        auto res = std::to_chars(buf, buf + sizeof(buf), col.Int(row));
        out->append(buf, res.ptr);
        return;
      }
      case TypeKind::kFloat64: {
        double d = col.Double(row);
        if (!std::isfinite(d)) {
          out->append("null");
          ++counts->non_finite;
          return;
        }
        auto res = std::to_chars(buf, buf + sizeof(buf), d);
        out->append(buf, res.ptr);
        // Shortest form, plus ".0" on integral values so they read back as floats.
        bool has_point = false;
        for (const char* p = buf; p != res.ptr; ++p) {
          if (*p == '.' || *p == 'e') has_point = true;
        }
        if (!has_point) out->append(".0");
        return;
      }
      case TypeKind::kBool:
        out->append(col.Bool(row) ? "true" : "false");
        return;
      case TypeKind::kString:
        if (!AppendJsonString(col.String(row), out)) ++counts->invalid_utf8;
        return;
      case TypeKind::kTimestamp:
        out->push_back('"');
        out->append(FormatTimestamp(col.Int(row), TimeUnitDigits(col.type().unit)));
        out->push_back('"');
        return;
    }
  }

  std::unique_ptr<WritableFile> file_;
  Schema schema_;
  int num_threads_;
  std::vector<Piece> pieces_;
  std::string suffix_;  // text after the last value: closing braces and the newline
  bool closed_ = false;
  int64_t non_finite_ = 0;
  int64_t invalid_utf8_ = 0;
};

}  // namespace

bool AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  // One vectorized check up front keeps the loop below free of UTF-8 decoding when the
  // string is valid, which is nearly always.
  bool valid = simdjson::validate_utf8(s.data(), s.size());
  bool clean = true;
  size_t run = 0;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!kEscape.needs[c] && (c < 0x80 || valid)) {
      ++i;
      continue;
    }
    out->append(s.data() + run, i - run);
    if (c < 0x80) {
      AppendEscapedAscii(c, out);
      ++i;
    } else {
      size_t len = Utf8SequenceLength(s, i);
      if (len == 0) {
        out->append("\\ufffd");
        clean = false;
        ++i;
      } else {
        out->append(s.data() + i, len);
        i += len;
      }
    }
    run = i;
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
  return clean;
}

Result<std::unique_ptr<JsonlWriter>> MakeJsonlWriter(std::unique_ptr<WritableFile> file,
                                                     const Schema& schema,
                                                     const WriteOptions& options) {
  std::unordered_set<std::string> names;
  for (const Field& f : schema.fields()) {
    if (!names.insert(f.name).second) {
      return Status::InvalidArgument(file->name() + ": two fields are named '" + f.name + "'");
    }
  }
  return std::unique_ptr<JsonlWriter>(
      std::make_unique<JsonlWriterImpl>(std::move(file), schema, options));
}

Result<std::unique_ptr<TableWriter>> OpenJsonlWriter(std::unique_ptr<WritableFile> file,
                                                     const Schema& schema,
                                                     const WriteOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<JsonlWriter> writer,
                         MakeJsonlWriter(std::move(file), schema, options));
  return std::unique_ptr<TableWriter>(std::move(writer));
}

}  // namespace cairn::table
