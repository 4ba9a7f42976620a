#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cairn {

struct YamlEntry;

/// One node of a parsed YAML document (see docs/yaml.md): a map, a sequence, a scalar or
/// null, with the line and column where it starts and its path from the document root
/// (`gates[2].threshold`), so that every error can name file, line and field.
///
/// Scalars are resolved with the YAML 1.2 core schema only when asked: a plain (unquoted)
/// `null`, `Null`, `NULL`, `~` or an empty value is kNull; every other scalar is kScalar and
/// keeps its text, and AsInt64 / AsDouble / AsBool read it. A quoted or block scalar is always
/// a string. Immutable after parsing; thread-safe to read.
class YamlNode {
 public:
  enum class Kind : uint8_t { kNull, kScalar, kSequence, kMap };

  YamlNode() = default;

  Kind kind() const { return kind_; }
  bool IsNull() const { return kind_ == Kind::kNull; }
  bool IsScalar() const { return kind_ == Kind::kScalar; }
  bool IsSequence() const { return kind_ == Kind::kSequence; }
  bool IsMap() const { return kind_ == Kind::kMap; }

  /// Where the node starts, 1-based (for an empty value: where the value would be).
  int line() const { return line_; }
  int column() const { return column_; }
  /// The name of the file the node was read from, as given to ParseYaml.
  const std::string& file() const;
  /// Dotted path from the root: "" for the root, `metrics.f2` for a map value, `gates[0]` for
  /// a sequence item (keys are written as they are, without escaping).
  const std::string& Path() const { return path_; }
  /// How messages name the node: `'metrics.f2'`, or `the top level` for the root.
  std::string Describe() const;
  /// "FILE:LINE".
  std::string Location() const;

  /// The scalar's text as written (quotes removed, escapes and block scalars resolved); also
  /// the text of a null written as `null` or `~` (empty for an empty value). Empty for maps
  /// and sequences.
  const std::string& text() const { return text_; }
  /// True if the scalar was written in quotes ('…', "…") or as a block scalar (| or >): its
  /// value is a string, never a number, bool or null.
  bool quoted() const { return quoted_; }

  /// The entries of a map, in document order (keys are distinct); empty for other kinds.
  const std::vector<YamlEntry>& entries() const { return entries_; }
  /// The items of a sequence; empty for other kinds.
  const std::vector<YamlNode>& items() const { return items_; }

  /// "FILE:LINE: 'path': <message>" as kInvalidArgument: an error about this node's value.
  Status Error(std::string_view message) const;

  /// The text of a scalar (quoted or not). kInvalidArgument for a null, map or sequence.
  Result<std::string> AsString() const;
  /// A YAML 1.2 core schema integer: decimal with an optional sign, `0x…` hexadecimal or
  /// `0o…` octal. kInvalidArgument for anything else (quoted text, `1.5`, out of int64 range).
  Result<int64_t> AsInt64() const;
  /// A YAML 1.2 core schema number (an integer as above, or `[-+]?(.D+|D+(.D*)?)([eE][-+]?D+)`).
  /// `.inf` / `-.inf` (any core spelling) are accepted only with `allow_infinity`; `.nan` is
  /// always an error, as are values beyond the double range and quoted text.
  Result<double> AsDouble(bool allow_infinity = false) const;
  /// `true` or `false` (also `True`, `TRUE`, `False`, `FALSE`); anything else, `yes` / `no`
  /// included, is kInvalidArgument.
  Result<bool> AsBool() const;

  /// Ok for a map, else "'path' must be a map, got a sequence". ExpectSequence alike.
  Status ExpectMap() const;
  Status ExpectSequence() const;

  /// The value of `key` in a map, or nullptr if the key is absent or this is not a map.
  /// A key present with an empty value gives a kNull node, not nullptr.
  const YamlNode* Get(std::string_view key) const;
  /// The value of `key`; kInvalidArgument "FILE:LINE: 'parent' has no 'key'" if absent, or
  /// if this is not a map. Never returns nullptr on success.
  Result<const YamlNode*> Require(std::string_view key) const;
  /// Ok if this is a map whose keys are all in `allowed`; otherwise kInvalidArgument
  /// "FILE:LINE: unknown key 'x' in 'metrics'; expected one of: a, b, c" naming the first
  /// unknown key and its line.
  Status CheckKeys(const std::vector<std::string_view>& allowed) const;

 private:
  friend class YamlBuilder;

  Kind kind_ = Kind::kNull;
  bool quoted_ = false;
  int line_ = 1;
  int column_ = 1;
  std::shared_ptr<const std::string> file_;
  std::string path_;
  std::string text_;
  std::vector<YamlEntry> entries_;
  std::vector<YamlNode> items_;
};

/// One entry of a map: the key (a scalar node, for its line and column) and the value.
struct YamlEntry {
  YamlNode key;
  YamlNode value;
};

/// A parsed YAML file: its name and its root node (kNull for an empty file).
struct YamlDocument {
  std::string file;
  YamlNode root;
};

/// Parses one YAML document. `file_name` is used in messages only. Errors (kInvalidArgument):
///   - syntax errors: "FILE:LINE:COL: <libyaml's problem>" (plus the construct it was in);
///   - a key repeated in one map: "FILE:LINE: duplicate key 'k' in 'path' (first at line N)";
///   - a key that is a map or sequence, a merge key (`<<`), a tag (`!foo`);
///   - more than one document in the stream ("---" after a document);
///   - an alias to an unknown anchor, to a node that contains it, or aliases expanding past a
///     size limit; nesting deeper than a depth limit.
/// Aliases (`*a`) are resolved to a copy of the anchored node (positions stay those of the
/// anchored node; paths are those of the alias).
Result<YamlDocument> ParseYaml(std::string_view text, std::string_view file_name);

/// Reads `path` and parses it with the path as the file name. kNotFound / kIOError if the file
/// cannot be read.
Result<YamlDocument> ParseYamlFile(const std::string& path);

}  // namespace cairn
