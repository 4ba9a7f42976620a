#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "table/column.h"
#include "table/scalar.h"

namespace cairn::cli {

/// Builds one JSON document in memory. Commas and nesting are tracked, so callers only name
/// keys and values. Strings are escaped and invalid UTF-8 is replaced by U+FFFD, so the
/// output is always valid JSON. Not thread-safe.
class JsonWriter {
 public:
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  /// The key of the next value in the current object.
  void Key(std::string_view key);
  void String(std::string_view value);
  void Int(int64_t value);
  /// Finite numbers in shortest round-trip form; NaN and infinities as the strings "nan",
  /// "inf", "-inf" (JSON has no such numbers).
  void Double(double value);
  void Bool(bool value);
  void Null();
  /// Value `row` of `column`: numbers, bools, strings, timestamps as ISO 8601 strings, null.
  void ColumnValue(const table::Column& column, int64_t row);
  /// A scalar like ColumnValue.
  void ScalarValue(const table::Scalar& value);

  /// The document so far.
  const std::string& str() const { return out_; }

 private:
  void Separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

/// Lays out `rows` under `header` as left-aligned text columns separated by two spaces, with
/// a dashed rule under the header. Widths count UTF-8 code points.
std::string FormatTextTable(const std::vector<std::string>& header,
                            const std::vector<std::vector<std::string>>& rows);

/// A cell for text output: control characters escaped (\n, \t, ...), cut to `max_width`
/// code points with a trailing "...".
std::string DisplayCell(std::string_view value, size_t max_width = 48);

/// Writes all of `text` to `out`.
void Write(std::FILE* out, std::string_view text);

}  // namespace cairn::cli
