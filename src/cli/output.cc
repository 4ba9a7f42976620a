#include "cli/output.h"

#include <cmath>

#include "base/json.h"
#include "base/time.h"

namespace cairn::cli {
namespace {

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
  }
}

void JsonWriter::BeginObject() {
  Separate();
  out_.push_back('{');
  first_.push_back(true);
}

void JsonWriter::EndObject() {
  out_.push_back('}');
  first_.pop_back();
}

void JsonWriter::BeginArray() {
  Separate();
  out_.push_back('[');
  first_.push_back(true);
}

void JsonWriter::EndArray() {
  out_.push_back(']');
  first_.pop_back();
}

void JsonWriter::Key(std::string_view key) {
  Separate();
  AppendJsonString(key, &out_);
  out_.push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view value) {
  Separate();
  AppendJsonString(value, &out_);
}

void JsonWriter::Int(int64_t value) {
  Separate();
  out_ += std::to_string(value);
}

void JsonWriter::Double(double value) {
  if (!std::isfinite(value)) {
    String(table::FormatDouble(value));
    return;
  }
  Separate();
  out_ += table::FormatDouble(value);
}

void JsonWriter::Bool(bool value) {
  Separate();
  out_ += value ? "true" : "false";
}

void JsonWriter::Null() {
  Separate();
  out_ += "null";
}

void JsonWriter::ColumnValue(const table::Column& column, int64_t row) {
  if (column.IsNull(row)) return Null();
  switch (column.type().kind) {
    case table::TypeKind::kInt64:
      return Int(column.Int(row));
    case table::TypeKind::kFloat64:
      return Double(column.Double(row));
    case table::TypeKind::kBool:
      return Bool(column.Bool(row));
    case table::TypeKind::kString:
      return String(column.String(row));
    case table::TypeKind::kTimestamp:
      return String(column.Format(row));
  }
}

void JsonWriter::ScalarValue(const table::Scalar& value) {
  if (value.is_null) return Null();
  switch (value.type.kind) {
    case table::TypeKind::kInt64:
      return Int(value.int_value);
    case table::TypeKind::kFloat64:
      return Double(value.double_value);
    case table::TypeKind::kBool:
      return Bool(value.int_value != 0);
    case table::TypeKind::kString:
      return String(value.string_value);
    case table::TypeKind::kTimestamp:
      return String(FormatTimestamp(value.int_value, table::TimeUnitDigits(value.type.unit)));
  }
}

std::string DisplayCell(std::string_view value, size_t max_width) {
  std::string out;
  // (bytes of `out`, display width) after each unit, to cut on a unit boundary.
  std::vector<std::pair<size_t, size_t>> ends;
  size_t width = 0;
  size_t i = 0;
  while (i < value.size()) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7f) {
      std::string_view esc = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : "?";
      out += esc;
      width += esc.size();
      ++i;
    } else {
      size_t len = c < 0x80 ? 1 : Utf8SequenceLength(value, i);
      if (len == 0) {
        out += '?';
        ++i;
      } else {
        out.append(value.substr(i, len));
        i += len;
      }
      ++width;
    }
    ends.emplace_back(out.size(), width);
  }
  if (width <= max_width || max_width < 4) return out;
  size_t keep = 0;
  for (const auto& [bytes, w] : ends) {
    if (w > max_width - 3) break;
    keep = bytes;
  }
  out.resize(keep);
  out += "...";
  return out;
}

std::string FormatTextTable(const std::vector<std::string>& header,
                            const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  for (size_t c = 0; c < header.size(); ++c) widths[c] = CodePoints(header[c]);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], CodePoints(row[c]));
    }
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t c = 0; c < widths.size(); ++c) {
      std::string_view cell = c < cells.size() ? std::string_view(cells[c]) : "";
      l += cell;
      if (c + 1 < widths.size()) l.append(widths[c] - CodePoints(cell) + 2, ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l;
    out += '\n';
  };
  line(header);
  std::vector<std::string> rule;
  rule.reserve(widths.size());
  for (size_t w : widths) rule.emplace_back(w, '-');
  line(rule);
  for (const auto& row : rows) line(row);
  return out;
}

void Write(std::FILE* out, std::string_view text) { std::fwrite(text.data(), 1, text.size(), out); }

}  // namespace cairn::cli
