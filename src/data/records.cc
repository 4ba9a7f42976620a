#include "data/records.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "base/file.h"
#include "base/thread_pool.h"
#include "base/time.h"

namespace cairn::data {

using table::Column;
using table::DataType;
using table::Field;
using table::Schema;
using table::Table;
using table::TimeUnit;
using table::TypeKind;

table::Schema SegmentSchema(const std::vector<table::Field>& tags) {
  std::vector<Field> fields = {
      {std::string(kKeyField), DataType::String(), false},
      {std::string(kFrameField), DataType::String(), false},
      {std::string(kAnnotationField), DataType::String(), true},
      {std::string(kCapturedAtField), DataType::Timestamp(TimeUnit::kMicro), false},
      {std::string(kLabeledAtField), DataType::Timestamp(TimeUnit::kMicro), true},
      {std::string(kGroupField), DataType::String(), true},
      {std::string(kVersionField), DataType::String(), false},
  };
  for (const Field& t : tags) fields.push_back({t.name, t.type, true});
  return Schema(std::move(fields));
}

bool IsTagType(const table::DataType& type) {
  switch (type.kind) {
    case TypeKind::kString:
    case TypeKind::kInt64:
    case TypeKind::kFloat64:
    case TypeKind::kBool:
      return true;
    case TypeKind::kTimestamp:
      return type.unit == TimeUnit::kMicro;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// RowLocator

RowLocator::RowLocator(std::string path, bool text_lines, bool csv_header)
    : path_(std::move(path)), text_lines_(text_lines), csv_(csv_header) {}

Status RowLocator::Scan() {
  scanned_ = true;
  CAIRN_ASSIGN_OR_RETURN(auto file, OpenSequentialFile(path_));
  std::string buf(1 << 20, '\0');
  int64_t line = 1;
  bool at_record_start = true;  // the next non-blank byte starts a record
  bool in_quotes = false;
  bool line_blank = true;
  bool header_pending = csv_;
  int64_t record_line = 1;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(const int64_t n,
                           file->Read(static_cast<int64_t>(buf.size()), buf.data()));
    if (n == 0) break;
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
      const char c = buf[i];
      if (c == '\n') {
        if (!in_quotes) {
          if (!line_blank) {
            if (header_pending) {
              header_pending = false;
            } else {
              lines_.push_back(record_line);
            }
          }
          at_record_start = true;
          line_blank = true;
        }
        ++line;
        continue;
      }
      if (c == '\r' || c == ' ' || c == '\t') {
        if (!csv_ || in_quotes) continue;
      }
      if (at_record_start) {
        record_line = line;
        at_record_start = false;
      }
      line_blank = false;
      if (csv_ && c == '"') in_quotes = !in_quotes;
    }
  }
  if (!line_blank && !header_pending) lines_.push_back(record_line);
  return Status::Ok();
}

int64_t RowLocator::Line(int64_t row) {
  if (!text_lines_) return -1;
  if (!scanned_ && !Scan().ok()) lines_.clear();
  if (row < 0 || static_cast<size_t>(row) >= lines_.size()) return -1;
  return lines_[static_cast<size_t>(row)];
}

std::string RowLocator::Describe(int64_t row) {
  const int64_t line = Line(row);
  if (line > 0) return path_ + ":" + std::to_string(line);
  return path_ + ": row " + std::to_string(row + 1);
}

// ---------------------------------------------------------------------------------------------
// Versions

namespace {

void PutU64(uint64_t v, std::string* out) {
  char b[8];
  std::memcpy(b, &v, 8);
  out->append(b, 8);
}

void PutString(std::string_view s, std::string* out) {
  PutU64(s.size(), out);
  out->append(s);
}

// One optional field: a presence byte, then the value.
void PutOptionalString(const Column& c, int64_t row, std::string* out) {
  if (c.IsNull(row)) {
    out->push_back('\0');
  } else {
    out->push_back('\1');
    PutString(c.String(row), out);
  }
}

}  // namespace

Hash128 VersionOf(const table::Table& records, int64_t row, std::string* scratch) {
  std::string& s = *scratch;
  s.clear();
  s.append("v1");
  PutString(records.column(kKeyCol).String(row), &s);
  PutString(records.column(kFrameCol).String(row), &s);
  PutOptionalString(records.column(kAnnotationCol), row, &s);
  PutU64(static_cast<uint64_t>(records.column(kCapturedAtCol).Int(row)), &s);
  const Column& labeled = records.column(kLabeledAtCol);
  if (labeled.IsNull(row)) {
    s.push_back('\0');
  } else {
    s.push_back('\1');
    PutU64(static_cast<uint64_t>(labeled.Int(row)), &s);
  }
  PutOptionalString(records.column(kGroupCol), row, &s);
  for (int c = kFirstTagCol; c < records.num_columns(); ++c) {
    const Column& col = records.column(c);
    if (col.IsNull(row)) continue;
    PutString(records.schema().field(c).name, &s);
    switch (col.type().kind) {
      case TypeKind::kString:
        s.push_back('s');
        PutString(col.String(row), &s);
        break;
      case TypeKind::kInt64:
        s.push_back('i');
        PutU64(static_cast<uint64_t>(col.Int(row)), &s);
        break;
      case TypeKind::kTimestamp:
        s.push_back('t');
        PutU64(static_cast<uint64_t>(col.Int(row)), &s);
        break;
      case TypeKind::kFloat64: {
        s.push_back('f');
        double d = col.Double(row);
        if (d == 0) d = 0;  // -0.0 and 0.0 are one value
        uint64_t bits = 0;
        std::memcpy(&bits, &d, 8);
        PutU64(bits, &s);
        break;
      }
      case TypeKind::kBool:
        s.push_back(col.Bool(row) ? 'T' : 'F');
        break;
    }
  }
  return Xxh3Bytes128(s.data(), s.size(), 0);
}

std::optional<Hash128> ParseVersion(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  Hash128 h;
  for (size_t i = 0; i < 32; ++i) {
    const char c = hex[i];
    uint64_t v = 0;
    if (c >= '0' && c <= '9') {
      v = static_cast<uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v = static_cast<uint64_t>(c - 'a') + 10;
    } else {
      return std::nullopt;
    }
    uint64_t& half = i < 16 ? h.high : h.low;
    half = (half << 4) | v;
  }
  return h;
}

table::Column NullColumn(const table::DataType& type, int64_t rows) {
  Column c(type);
  c.Reserve(rows);
  for (int64_t i = 0; i < rows; ++i) c.AppendNull();
  return c;
}

Result<table::Table> ConformSegment(table::Table segment, const std::vector<table::Field>& tags) {
  const Schema target = SegmentSchema(tags);
  if (segment.schema() == target) return segment;
  std::vector<Column> cols;
  cols.reserve(static_cast<size_t>(target.num_fields()));
  for (int c = 0; c < kFirstTagCol; ++c) cols.push_back(std::move(segment.mutable_column(c)));
  for (const Field& t : tags) {
    const int at = segment.schema().FieldIndex(t.name);
    if (at < 0) {
      cols.push_back(NullColumn(t.type, segment.num_rows()));
    } else if (!(segment.schema().field(at).type == t.type)) {
      return Status::Corrupt("segment column '" + t.name + "' is " +
                             segment.schema().field(at).type.ToString() + ", expected " +
                             t.type.ToString());
    } else {
      cols.push_back(std::move(segment.mutable_column(at)));
    }
  }
  return Table::Make(target, std::move(cols));
}

// ---------------------------------------------------------------------------------------------
// NormalizeRecords

namespace {

bool IsRecordField(std::string_view name) {
  return name == kKeyField || name == kFrameField || name == kAnnotationField ||
         name == kCapturedAtField || name == kLabeledAtField || name == kGroupField;
}

int64_t ToMicros(int64_t v, TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kMilli:
      return v * 1000;
    case TimeUnit::kMicro:
      return v;
    case TimeUnit::kNano: {
      int64_t q = v / 1000;
      if (v % 1000 < 0) --q;  // floor, so that instants before 1970 round down too
      return q;
    }
  }
  return v;
}

// A string field of the input: a string column, or another type rendered as text.
struct TextSource {
  Column* col = nullptr;
  bool is_string = true;
  bool Null(int64_t row) const { return col == nullptr || col->IsNull(row); }
  std::string Value(int64_t row) const {
    return is_string ? std::string(col->String(row)) : col->Format(row);
  }
};

// A timestamp field of the input: a timestamp column, or strings to parse.
struct TimeSource {
  const Column* col = nullptr;
  bool Null(int64_t row) const { return col == nullptr || col->IsNull(row); }
  // The value in microseconds, or nullopt when it does not parse.
  std::optional<int64_t> Value(int64_t row) const {
    if (col->type().kind == TypeKind::kTimestamp) return ToMicros(col->Int(row), col->type().unit);
    return ParseTimestampMicros(col->String(row));
  }
};

std::string Quote(std::string_view s) {
  std::string out = "'";
  out.append(s.substr(0, 80));
  if (s.size() > 80) out.append("...");
  out.append("'");
  return out;
}

// Converts a tag column to `want` where that is lossless.
Result<Column> ConvertTag(const Column& in, const DataType& want, const std::string& name,
                          const std::string& source, const std::string& dataset_note) {
  if (in.type() == want) return in;
  const DataType& have = in.type();
  if (in.null_count() == in.size()) return NullColumn(want, in.size());
  if (have.kind == TypeKind::kTimestamp && want.kind == TypeKind::kTimestamp) {
    Column out(want);
    out.Reserve(in.size());
    for (int64_t i = 0; i < in.size(); ++i) {
      if (in.IsNull(i)) {
        out.AppendNull();
      } else {
        out.AppendInt(ToMicros(in.Int(i), have.unit));
      }
    }
    return out;
  }
  if (have.kind == TypeKind::kInt64 && want.kind == TypeKind::kFloat64) {
    Column out(want);
    out.Reserve(in.size());
    for (int64_t i = 0; i < in.size(); ++i) {
      if (in.IsNull(i)) {
        out.AppendNull();
      } else {
        out.AppendDouble(static_cast<double>(in.Int(i)));
      }
    }
    return out;
  }
  return Status::InvalidArgument(source + ": column '" + name + "' is " + have.ToString() +
                                 ", but" + dataset_note + " it is " + want.ToString() +
                                 " (give the column that type in the input)");
}

}  // namespace

Result<NormalizedRecords> NormalizeRecords(table::Table input, const NormalizeOptions& options) {
  const Schema& schema = input.schema();
  const int64_t n = input.num_rows();
  TextSource key, frame, annotation, group;
  TimeSource captured, labeled;
  std::vector<Field> tags;
  std::vector<Column> tag_columns;
  for (int c = 0; c < schema.num_fields(); ++c) {
    const Field& f = schema.field(c);
    Column& col = input.mutable_column(c);
    if (f.name == kVersionField) continue;
    if (f.name.starts_with(kTagPrefix)) {
      if (f.name.size() == kTagPrefix.size()) {
        return Status::InvalidArgument(options.source + ": column 'tags.' has no tag name");
      }
      DataType want = f.type;
      if (want.kind == TypeKind::kTimestamp) want.unit = TimeUnit::kMicro;
      std::string note = " new tags must be string, int64, float64, bool or timestamp";
      auto known = options.known_tags.find(f.name);
      if (known != options.known_tags.end()) {
        want = known->second;
        note = " in the dataset";
      }
      CAIRN_ASSIGN_OR_RETURN(
          Column conv, col.type() == want ? Result<Column>(std::move(col))
                                          : ConvertTag(col, want, f.name, options.source, note));
      tags.push_back({f.name, want, true});
      tag_columns.push_back(std::move(conv));
      continue;
    }
    if (!IsRecordField(f.name)) {
      return Status::InvalidArgument(
          options.source + ": column '" + f.name +
          "' is not a record field (key, frame, annotation, captured_at, labeled_at, group); "
          "tags are columns named tags.<name> (or a \"tags\" object in JSON Lines)");
    }
    if (f.name == kCapturedAtField || f.name == kLabeledAtField) {
      if (f.type.kind != TypeKind::kTimestamp && f.type.kind != TypeKind::kString) {
        return Status::InvalidArgument(options.source + ": column '" + f.name + "' is " +
                                       f.type.ToString() +
                                       "; expected a timestamp or ISO 8601 text");
      }
      (f.name == kCapturedAtField ? captured : labeled).col = &col;
      continue;
    }
    TextSource src{&col, col.type().kind == TypeKind::kString};
    if (f.name == kKeyField) key = src;
    if (f.name == kFrameField) frame = src;
    if (f.name == kAnnotationField) annotation = src;
    if (f.name == kGroupField) group = src;
  }
  // Tags sorted by name, so that equal tag sets give equal schemas.
  std::vector<size_t> order(tags.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return tags[a].name < tags[b].name; });

  NormalizedRecords out;
  out.rows_read = n;
  for (size_t i : order) out.tags.push_back(tags[i]);
  const Schema target = SegmentSchema(out.tags);

  // Pass 1 (serial, cheap): which rows are kept, and the converted fixed fields.
  std::vector<int64_t> keep;
  keep.reserve(static_cast<size_t>(n));
  std::vector<int64_t> captured_us;
  std::vector<std::optional<int64_t>> labeled_us;
  captured_us.reserve(static_cast<size_t>(n));
  labeled_us.reserve(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    auto reject = [&](std::string_view field, std::string reason) {
      std::string k = key.Null(r) ? std::string() : key.Value(r);
      out.rejects.push_back({r, std::move(k), std::string(field), std::move(reason)});
    };
    if (key.Null(r) || (key.is_string && key.col->String(r).empty())) {
      reject(kKeyField, "missing");
      continue;
    }
    if (key.is_string && key.col->String(r).find_first_of("\r\n") != std::string_view::npos) {
      reject(kKeyField, "contains a line break");
      continue;
    }
    if (frame.Null(r) || (frame.is_string && frame.col->String(r).empty())) {
      reject(kFrameField, "missing");
      continue;
    }
    if (captured.Null(r)) {
      reject(kCapturedAtField, "missing");
      continue;
    }
    std::optional<int64_t> cap = captured.Value(r);
    if (!cap) {
      reject(kCapturedAtField,
             "cannot parse " + Quote(captured.col->String(r)) + " as a timestamp");
      continue;
    }
    std::optional<int64_t> lab;
    if (!labeled.Null(r)) {
      lab = labeled.Value(r);
      if (!lab) {
        reject(kLabeledAtField,
               "cannot parse " + Quote(labeled.col->String(r)) + " as a timestamp");
        continue;
      }
    }
    if ((options.window_start && *cap < *options.window_start) ||
        (options.window_end && *cap >= *options.window_end)) {
      ++out.out_of_window;
      continue;
    }
    keep.push_back(r);
    captured_us.push_back(*cap);
    labeled_us.push_back(lab);
  }

  // Pass 2: build the columns of the kept rows.
  const auto kept = static_cast<int64_t>(keep.size());
  const bool all_kept = kept == n;
  std::vector<Column> cols(static_cast<size_t>(target.num_fields()));
  for (int c = 0; c < target.num_fields(); ++c) {
    cols[static_cast<size_t>(c)] = Column(target.field(c).type);
  }
  auto text_column = [&](const TextSource& src, Column* dst) {
    if (src.col == nullptr) {
      *dst = NullColumn(DataType::String(), kept);
      return;
    }
    if (src.is_string && all_kept) {
      *dst = std::move(*src.col);
      return;
    }
    dst->Reserve(kept);
    for (int64_t r : keep) {
      if (src.Null(r)) {
        dst->AppendNull();
      } else if (src.is_string) {
        dst->AppendString(src.col->String(r));
      } else {
        dst->AppendString(src.Value(r));
      }
    }
  };
  ParallelFor(static_cast<int64_t>(target.num_fields()), options.num_threads, [&](int64_t ci) {
    const int c = static_cast<int>(ci);
    Column* dst = &cols[static_cast<size_t>(c)];
    switch (c) {
      case kKeyCol:
        text_column(key, dst);
        break;
      case kFrameCol:
        text_column(frame, dst);
        break;
      case kAnnotationCol:
        text_column(annotation, dst);
        break;
      case kGroupCol:
        text_column(group, dst);
        break;
      case kCapturedAtCol:
        dst->ints() = captured_us;
        dst->SetSizeAfterBulkFill();
        break;
      case kLabeledAtCol:
        dst->Reserve(kept);
        for (const auto& v : labeled_us) {
          if (v) {
            dst->AppendInt(*v);
          } else {
            dst->AppendNull();
          }
        }
        break;
      case kVersionCol:
        break;  // filled below
      default: {
        Column& src = tag_columns[order[static_cast<size_t>(c - kFirstTagCol)]];
        if (all_kept) {
          *dst = std::move(src);
        } else {
          dst->Reserve(kept);
          for (int64_t r : keep) dst->AppendFrom(src, r, 1);
        }
      }
    }
  });
  // The version column holds placeholders while versions are computed: VersionOf does not
  // read it.
  cols[kVersionCol] = NullColumn(DataType::String(), kept);
  CAIRN_ASSIGN_OR_RETURN(out.records, Table::Make(target, std::move(cols)));

  out.versions.resize(static_cast<size_t>(kept));
  const int threads = ResolveThreads(options.num_threads);
  const int64_t chunk = (kept + threads * 4 - 1) / (threads * 4) + 1;
  const int64_t chunks = (kept + chunk - 1) / chunk;
  ParallelFor(chunks, threads, [&](int64_t ch) {
    std::string scratch;
    const int64_t end = std::min(kept, (ch + 1) * chunk);
    for (int64_t r = ch * chunk; r < end; ++r) {
      out.versions[static_cast<size_t>(r)] = VersionOf(out.records, r, &scratch);
    }
  });
  Column version(DataType::String());
  version.chars().resize(static_cast<size_t>(kept) * 32);
  version.offsets().resize(static_cast<size_t>(kept) + 1);
  for (int64_t r = 0; r <= kept; ++r) version.offsets()[static_cast<size_t>(r)] = r * 32;
  for (int64_t r = 0; r < kept; ++r) {
    const std::string hex = ToHex(out.versions[static_cast<size_t>(r)]);
    std::memcpy(version.chars().data() + r * 32, hex.data(), 32);
  }
  version.SetSizeAfterBulkFill();
  out.records.mutable_column(kVersionCol) = std::move(version);
  out.input_rows = std::move(keep);
  return out;
}

}  // namespace cairn::data
