// CSV reader: blocks of the file are cut at the last complete record, split at record
// boundaries into one range per thread, parsed straight into typed columns, and appended in
// order, so any thread count yields the same table.

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "base/thread_pool.h"
#include "base/time.h"
#include "table/csv.h"
#include "table/csv_internal.h"

namespace cairn::table {
namespace {

// Small files are read with small buffers; the read size doubles up to the block size.
constexpr int64_t kFirstReadBytes = int64_t{256} << 10;
// Values quoted in error messages are cut to this many bytes.
constexpr size_t kMaxQuotedValue = 60;

// ---------------------------------------------------------------------------------------------
// Values

bool ParseInt64Text(std::string_view s, int64_t* out) {
  const char* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, *out);
  return r.ec == std::errc() && r.ptr == end;
}

bool ParseFloat64Text(std::string_view s, double* out) {
  const char* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, *out);
  return r.ec == std::errc() && r.ptr == end;
}

bool ParseBoolText(std::string_view s, bool* out) {
  // OR-ing 0x20 lower-cases ASCII letters and maps no other byte onto a lower-case letter.
  auto lower = [&](size_t i) { return static_cast<char>(s[i] | 0x20); };
  if (s.size() == 4 && lower(0) == 't' && lower(1) == 'r' && lower(2) == 'u' && lower(3) == 'e') {
    *out = true;
    return true;
  }
  if (s.size() == 5 && lower(0) == 'f' && lower(1) == 'a' && lower(2) == 'l' && lower(3) == 's' &&
      lower(4) == 'e') {
    *out = false;
    return true;
  }
  return false;
}

/// Number of '\n' bytes in [begin, end), eight bytes at a time.
int64_t CountNewlines(const char* begin, const char* end) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  int64_t n = 0;
  const char* p = begin;
  while (end - p >= 8) {
    // Per-byte counters, summed before any of them can pass 255.
    uint64_t sums = 0;
    for (int i = 0; i < 255 && end - p >= 8; ++i, p += 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      uint64_t x = w ^ (kOnes * '\n');
      // The high bit of each byte of t is set exactly when that byte of x is non-zero.
      uint64_t t = ((x & kLow7) + kLow7) | x;
      sums += (~t & ~kLow7) >> 7;
    }
    // Widen the byte counters to 16 bits before adding them up.
    uint64_t pairs = (sums & 0x00FF00FF00FF00FFULL) + ((sums >> 8) & 0x00FF00FF00FF00FFULL);
    n += static_cast<int64_t>((pairs * 0x0001000100010001ULL) >> 48);
  }
  for (; p < end; ++p) n += *p == '\n';
  return n;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool ParseTimestampText(std::string_view s, TimeUnit unit, int64_t* out) {
  // Surrounding blanks make a cell text, as they do for numbers.
  if (s.empty() || IsBlank(s.front()) || IsBlank(s.back())) return false;
  if (unit == TimeUnit::kNano) {
    auto v = ParseTimestampNanos(s);
    if (!v) return false;
    *out = *v;
    return true;
  }
  auto v = ParseTimestampMicros(s);
  if (!v) return false;
  if (unit == TimeUnit::kMilli) {
    int64_t q = *v / 1000;
    if (*v % 1000 < 0) --q;  // floor, so instants before 1970 truncate toward the past
    *out = q;
  } else {
    *out = *v;
  }
  return true;
}

std::string TypeName(const DataType& t) {
  return t.kind == TypeKind::kTimestamp ? "timestamp" : t.ToString();
}

std::string QuoteValue(std::string_view v) {
  if (v.size() <= kMaxQuotedValue) return "'" + std::string(v) + "'";
  return "'" + std::string(v.substr(0, kMaxQuotedValue)) + "...'";
}

/// The configured null tokens, with a length filter so most cells are rejected by one test.
class NullTokens {
 public:
  explicit NullTokens(const std::vector<std::string>& tokens) : tokens_(tokens) {
    for (const auto& t : tokens_) {
      if (t.size() < 64) {
        length_mask_ |= uint64_t{1} << t.size();
      } else {
        has_long_ = true;
      }
    }
  }
  bool Match(std::string_view v) const {
    if (v.size() < 64) {
      if (((length_mask_ >> v.size()) & 1) == 0) return false;
    } else if (!has_long_) {
      return false;
    }
    for (const auto& t : tokens_) {
      if (t == v) return true;
    }
    return false;
  }
  const std::vector<std::string>& tokens() const { return tokens_; }

 private:
  std::vector<std::string> tokens_;
  uint64_t length_mask_ = 0;
  bool has_long_ = false;
};

// ---------------------------------------------------------------------------------------------
// Fields

/// One field of a record. `text` points into the buffer, or into the scanner's scratch when
/// the field held doubled quotes; it is valid until the next Scan.
struct Cell {
  std::string_view text;
  bool quoted = false;
};

/// A syntax or conversion failure: a byte offset into the buffer and what went wrong there.
struct Issue {
  size_t offset = 0;
  std::string message;
};

/// Splits fields off the input. One per thread (it owns a scratch string).
class FieldScanner {
 public:
  FieldScanner(const char* base, char delimiter, char quote)
      : base_(base), delimiter_(delimiter), quote_(quote) {
    special_.fill(0);
    special_[static_cast<unsigned char>(delimiter)] = 1;
    special_[static_cast<unsigned char>(quote)] = 1;
    special_[static_cast<unsigned char>('\n')] = 1;
  }

  /// Scans the field starting at `p` (p <= end; at end it is an empty last field) and moves
  /// `p` past its terminator. Sets *record_end when the field ends its record. Returns false
  /// and fills *issue on malformed quoting.
  bool Scan(const char*& p, const char* end, Cell* field, bool* record_end, Issue* issue) {
    if (p < end && *p == quote_) return ScanQuoted(p, end, field, record_end, issue);
    const char* start = p;
    while (p < end && special_[static_cast<unsigned char>(*p)] == 0) ++p;
    const char* stop = p;
    if (p == end) {
      *record_end = true;
    } else if (*p == delimiter_) {
      ++p;
      *record_end = false;
    } else if (*p == '\n') {
      ++p;
      *record_end = true;
    } else {
      issue->offset = static_cast<size_t>(p - base_);
      issue->message =
          "stray quote in an unquoted field (quote the whole field and double quotes inside it)";
      return false;
    }
    if (*record_end && stop > start && stop[-1] == '\r') --stop;
    field->text = std::string_view(start, static_cast<size_t>(stop - start));
    field->quoted = false;
    return true;
  }

 private:
  bool ScanQuoted(const char*& p, const char* end, Cell* field, bool* record_end, Issue* issue) {
    const char* open = p;
    const char* run = p + 1;  // start of the content not yet copied to scratch
    bool escaped = false;
    const char* q;
    for (;;) {
      q = static_cast<const char*>(std::memchr(run, quote_, static_cast<size_t>(end - run)));
      if (q == nullptr) {
        issue->offset = static_cast<size_t>(open - base_);
        issue->message = "unterminated quoted field: the quote opened here is never closed";
        return false;
      }
      if (q + 1 < end && q[1] == quote_) {
        // A doubled quote stands for one quote: keep the first, skip the second.
        if (!escaped) scratch_.clear();
        scratch_.append(run, static_cast<size_t>(q + 1 - run));
        escaped = true;
        run = q + 2;
        continue;
      }
      break;
    }
    if (escaped) {
      scratch_.append(run, static_cast<size_t>(q - run));
      field->text = scratch_;
    } else {
      field->text = std::string_view(run, static_cast<size_t>(q - run));
    }
    field->quoted = true;
    p = q + 1;
    if (p == end) {
      *record_end = true;
      return true;
    }
    if (*p == delimiter_) {
      ++p;
      *record_end = false;
      return true;
    }
    if (*p == '\n') {
      ++p;
      *record_end = true;
      return true;
    }
    if (*p == '\r' && (p + 1 == end || p[1] == '\n')) {
      // CRLF, or a CR that ends the input like an unquoted field's trailing CR does.
      p = p + 1 == end ? end : p + 2;
      *record_end = true;
      return true;
    }
    issue->offset = static_cast<size_t>(p - base_);
    issue->message =
        "unexpected character after a closing quote (quotes inside a quoted field must be "
        "doubled)";
    return false;
  }

  const char* base_;
  char delimiter_;
  char quote_;
  std::array<uint8_t, 256> special_;
  std::string scratch_;
};

/// Skips a blank line ("\n" or "\r\n") at p, if there is one.
bool SkipBlankLine(const char*& p, const char* end) {
  if (*p == '\n') {
    ++p;
    return true;
  }
  if (*p == '\r' && p + 1 < end && p[1] == '\n') {
    p += 2;
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Typed parsing

/// What the parser needs to know about the columns; shared read-only by all threads.
struct ParsePlan {
  char delimiter = ',';
  char quote = '"';
  std::vector<std::string> names;
  std::vector<DataType> types;
  std::vector<uint8_t> inferred;  // 1 if the type came from inference, 0 if from an override
  // 1 if some null token parses as a value of the column's type, so tokens are tried first.
  std::vector<uint8_t> tokens_first;
  NullTokens nulls{{}};
  int64_t infer_rows = 0;
};

void MarkNull(Column& col, size_t row) {
  auto& v = col.validity();
  if (v.empty()) v.assign(row, 1);
  v.push_back(0);
}

inline void MarkValid(Column& col) {
  auto& v = col.validity();
  if (!v.empty()) v.push_back(1);
}

/// Parses ranges of complete records into typed columns. One per thread.
class RangeParser {
 public:
  RangeParser(const ParsePlan& plan, const char* base)
      : plan_(plan), scanner_(base, plan.delimiter, plan.quote), base_(base) {}

  /// Appends the records in [begin, end) to `cols` (raw vectors only; the caller calls
  /// SetSizeAfterBulkFill). Returns false and fills *issue at the first bad record.
  bool Parse(const char* begin, const char* end, std::vector<Column>* cols, Issue* issue) {
    const size_t ncols = plan_.types.size();
    size_t row = static_cast<size_t>((*cols)[0].size());
    const char* p = begin;
    while (p < end) {
      if (ncols > 1 && SkipBlankLine(p, end)) continue;
      const char* record = p;
      size_t c = 0;
      for (;;) {
        const char* field_start = p;
        Cell field;
        bool record_end = false;
        if (!scanner_.Scan(p, end, &field, &record_end, issue)) return false;
        if (c < ncols && !Append(c, field, row, (*cols)[c], field_start, issue)) return false;
        ++c;
        if (record_end) break;
      }
      if (c != ncols) {
        issue->offset = static_cast<size_t>(record - base_);
        issue->message =
            "expected " + std::to_string(ncols) + " fields, found " + std::to_string(c);
        return false;
      }
      ++row;
    }
    return true;
  }

 private:
  bool Append(size_t c, const Cell& f, size_t row, Column& col, const char* field_start,
              Issue* issue) {
    const DataType& type = plan_.types[c];
    switch (type.kind) {
      case TypeKind::kString:
        if (!f.quoted && plan_.nulls.Match(f.text)) {
          MarkNull(col, row);
        } else {
          col.chars().append(f.text);
          MarkValid(col);
        }
        col.offsets().push_back(static_cast<int64_t>(col.chars().size()));
        return true;
      case TypeKind::kInt64: {
        int64_t v = 0;
        if (plan_.tokens_first[c] == 0 && ParseInt64Text(f.text, &v)) {
          col.ints().push_back(v);
          MarkValid(col);
        } else if (plan_.nulls.Match(f.text)) {
          col.ints().push_back(0);
          MarkNull(col, row);
        } else if (ParseInt64Text(f.text, &v)) {
          col.ints().push_back(v);
          MarkValid(col);
        } else {
          return Fail(c, f, field_start, issue);
        }
        return true;
      }
      case TypeKind::kFloat64: {
        double v = 0;
        if (plan_.tokens_first[c] == 0 && ParseFloat64Text(f.text, &v)) {
          col.doubles().push_back(v);
          MarkValid(col);
        } else if (plan_.nulls.Match(f.text)) {
          col.doubles().push_back(0);
          MarkNull(col, row);
        } else if (ParseFloat64Text(f.text, &v)) {
          col.doubles().push_back(v);
          MarkValid(col);
        } else {
          return Fail(c, f, field_start, issue);
        }
        return true;
      }
      case TypeKind::kBool: {
        bool v = false;
        if (plan_.tokens_first[c] == 0 && ParseBoolText(f.text, &v)) {
          col.bools().push_back(v ? 1 : 0);
          MarkValid(col);
        } else if (plan_.nulls.Match(f.text)) {
          col.bools().push_back(0);
          MarkNull(col, row);
        } else if (ParseBoolText(f.text, &v)) {
          col.bools().push_back(v ? 1 : 0);
          MarkValid(col);
        } else {
          return Fail(c, f, field_start, issue);
        }
        return true;
      }
      case TypeKind::kTimestamp: {
        int64_t v = 0;
        if (plan_.tokens_first[c] == 0 && ParseTimestampText(f.text, type.unit, &v)) {
          col.ints().push_back(v);
          MarkValid(col);
        } else if (plan_.nulls.Match(f.text)) {
          col.ints().push_back(0);
          MarkNull(col, row);
        } else if (ParseTimestampText(f.text, type.unit, &v)) {
          col.ints().push_back(v);
          MarkValid(col);
        } else {
          return Fail(c, f, field_start, issue);
        }
        return true;
      }
    }
    return true;
  }

  bool Fail(size_t c, const Cell& f, const char* field_start, Issue* issue) const {
    issue->offset = static_cast<size_t>(field_start - base_);
    issue->message = "column '" + plan_.names[c] + "': cannot parse " + QuoteValue(f.text) +
                     " as " + TypeName(plan_.types[c]);
    if (plan_.inferred[c] != 0) {
      issue->message += " (type inferred from the first " + std::to_string(plan_.infer_rows) +
                        " rows; override with a column type)";
    }
    return false;
  }

  const ParsePlan& plan_;
  FieldScanner scanner_;
  const char* base_;
};

/// Which types every non-null sampled cell of a column fits.
struct TypeVote {
  bool any = false;
  bool int_ok = true;
  bool float_ok = true;
  bool bool_ok = true;
  bool timestamp_ok = true;

  void Add(std::string_view v) {
    any = true;
    int64_t i = 0;
    double d = 0;
    bool b = false;
    if (int_ok) int_ok = ParseInt64Text(v, &i);
    if (float_ok) float_ok = ParseFloat64Text(v, &d);
    if (bool_ok) bool_ok = ParseBoolText(v, &b);
    if (timestamp_ok) timestamp_ok = ParseTimestampText(v, TimeUnit::kMicro, &i);
  }
  DataType Result() const {
    if (!any) return DataType::String();
    if (int_ok) return DataType::Int64();
    if (float_ok) return DataType::Float64();
    if (bool_ok) return DataType::Bool();
    if (timestamp_ok) return DataType::Timestamp(TimeUnit::kMicro);
    return DataType::String();
  }
};

// ---------------------------------------------------------------------------------------------
// The reader

class CsvReader final : public TableReader {
 public:
  CsvReader(std::unique_ptr<SequentialFile> file, const ReadOptions& options,
            const CsvTuning& tuning)
      : file_(std::move(file)),
        options_(options),
        block_bytes_(std::max<int64_t>(tuning.block_bytes, 1)),
        min_range_bytes_(static_cast<size_t>(std::max<int64_t>(tuning.min_range_bytes, 1))),
        read_bytes_(std::min(block_bytes_, kFirstReadBytes)),
        threads_(ResolveThreads(options.num_threads)) {}

  Status Init();

  const Schema& schema() const override { return schema_; }

  Result<bool> Next(Table* batch) override {
    for (;;) {
      if (pending_offset_ < pending_.num_rows()) {
        int64_t n = std::min(options_.batch_rows, pending_.num_rows() - pending_offset_);
        if (pending_offset_ == 0 && n == pending_.num_rows()) {
          *batch = std::move(pending_);
          pending_ = Table();
        } else {
          *batch = pending_.Slice(pending_offset_, n);
          pending_offset_ += n;
        }
        return true;
      }
      if (!error_.ok()) return error_;
      if (done_) return false;
      std::vector<Column> cols = EmptyColumns();
      CAIRN_RETURN_IF_ERROR(ParseBlock(&cols));
      CAIRN_ASSIGN_OR_RETURN(pending_, Table::Make(schema_, std::move(cols)));
      pending_offset_ = 0;
    }
  }

  Result<Table> ReadAll() override {
    if (!error_.ok()) return error_;
    std::vector<Column> cols;
    if (pending_offset_ < pending_.num_rows()) {
      Table rest = pending_offset_ == 0
                       ? std::move(pending_)
                       : pending_.Slice(pending_offset_, pending_.num_rows() - pending_offset_);
      for (int i = 0; i < rest.num_columns(); ++i)
        cols.push_back(std::move(rest.mutable_column(i)));
    } else {
      cols = EmptyColumns();
    }
    pending_ = Table();
    pending_offset_ = 0;
    while (!done_) CAIRN_RETURN_IF_ERROR(ParseBlock(&cols));
    return Table::Make(schema_, std::move(cols));
  }

 private:
  const char* data() const { return buf_.get(); }
  std::vector<Column> EmptyColumns() const {
    std::vector<Column> cols;
    cols.reserve(plan_.types.size());
    for (const auto& t : plan_.types) cols.emplace_back(t);
    return cols;
  }

  Status ReadBlock();
  size_t LastRecordEnd(size_t from, size_t to) const;
  std::vector<size_t> RangeBounds(size_t from, size_t to, size_t parts) const;
  Status ParseBlock(std::vector<Column>* cols);
  Status Locate(const Issue& issue) const;
  Status InitColumns(const std::vector<std::string>& first_record);
  Status Sample(std::vector<TypeVote>* votes);

  std::unique_ptr<SequentialFile> file_;
  ReadOptions options_;
  int64_t block_bytes_;
  // Below this many bytes per range, handing a block to several threads costs more than it
  // saves.
  size_t min_range_bytes_;
  int64_t read_bytes_;
  int threads_;

  // The bytes read but not yet parsed are [pos_, size_) of buf_; pos_ is a record start.
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
  size_t size_ = 0;
  size_t pos_ = 0;
  bool eof_ = false;
  int64_t line_ = 1;  // physical line number of pos_
  double bytes_per_record_ = 64;

  Schema schema_;
  ParsePlan plan_;
  Table pending_;
  int64_t pending_offset_ = 0;
  bool done_ = false;
  Status error_;
};

Status CsvReader::ReadBlock() {
  if (eof_) return Status::Ok();
  // Keep the unparsed tail and drop what was consumed before reading on.
  if (pos_ > 0) {
    std::memmove(buf_.get(), buf_.get() + pos_, size_ - pos_);
    size_ -= pos_;
    pos_ = 0;
  }
  size_t want = static_cast<size_t>(read_bytes_);
  if (capacity_ - size_ < want) {
    size_t cap = std::max(size_ + want, capacity_ * 2);
    auto bigger = std::make_unique_for_overwrite<char[]>(cap);
    if (size_ > 0) std::memcpy(bigger.get(), buf_.get(), size_);
    buf_ = std::move(bigger);
    capacity_ = cap;
  }
  size_t got = 0;
  while (got < want) {
    CAIRN_ASSIGN_OR_RETURN(int64_t n,
                           file_->Read(static_cast<int64_t>(want - got), buf_.get() + size_ + got));
    if (n <= 0) {
      eof_ = true;
      break;
    }
    got += static_cast<size_t>(n);
  }
  size_ += got;
  read_bytes_ = std::min(block_bytes_, read_bytes_ * 2);
  return Status::Ok();
}

// Quote parity decides what is inside a quoted field: with RFC 4180 quoting, a byte is inside
// quotes exactly when an odd number of quote characters precede it in the block (doubled quotes
// toggle twice). Malformed quoting can mislead this scan, but the parser then reports that
// error at the same place whatever the boundaries, because the range holding it starts at a
// true record start.
size_t CsvReader::LastRecordEnd(size_t from, size_t to) const {
  const char* b = data();
  const char* p = b + from;
  const char* e = b + to;
  const char* last = nullptr;
  const char quote = plan_.quote;
  while (p < e) {
    const char* q = static_cast<const char*>(std::memchr(p, quote, static_cast<size_t>(e - p)));
    const char* stop = q != nullptr ? q : e;
    const char* nl = static_cast<const char*>(memrchr(p, '\n', static_cast<size_t>(stop - p)));
    if (nl != nullptr) last = nl;
    if (q == nullptr) break;
    const char* close =
        static_cast<const char*>(std::memchr(q + 1, quote, static_cast<size_t>(e - q - 1)));
    if (close == nullptr) break;
    p = close + 1;
  }
  return last != nullptr ? static_cast<size_t>(last + 1 - b) : from;
}

std::vector<size_t> CsvReader::RangeBounds(size_t from, size_t to, size_t parts) const {
  std::vector<size_t> bounds = {from};
  const char* b = data();
  const char* p = b + from;
  const char* e = b + to;
  const char quote = plan_.quote;
  size_t k = 1;
  size_t target = from + (to - from) / parts;
  while (k < parts && p < e) {
    const char* q = static_cast<const char*>(std::memchr(p, quote, static_cast<size_t>(e - p)));
    const char* stop = q != nullptr ? q : e;
    while (k < parts) {
      const char* s = std::max(p, b + target);
      if (s >= stop) break;
      const char* nl =
          static_cast<const char*>(std::memchr(s, '\n', static_cast<size_t>(stop - s)));
      if (nl == nullptr) break;
      size_t bound = static_cast<size_t>(nl + 1 - b);
      if (bound >= to) {
        k = parts;
        break;
      }
      bounds.push_back(bound);
      ++k;
      target = std::max(from + (to - from) / parts * k, bound);
    }
    if (q == nullptr) break;
    const char* close =
        static_cast<const char*>(std::memchr(q + 1, quote, static_cast<size_t>(e - q - 1)));
    if (close == nullptr) break;
    p = close + 1;
  }
  bounds.push_back(to);
  return bounds;
}

Status CsvReader::Locate(const Issue& issue) const {
  const char* b = data();
  int64_t line = line_ + CountNewlines(b + pos_, b + issue.offset);
  return Status::Corrupt(file_->name() + ":" + std::to_string(line) + ": " + issue.message);
}

Status CsvReader::ParseBlock(std::vector<Column>* cols) {
  if (plan_.types.empty()) {
    done_ = true;
    return Status::Ok();
  }
  size_t cut = pos_;
  for (;;) {
    if (pos_ == size_ && eof_) {
      done_ = true;
      return Status::Ok();
    }
    cut = eof_ ? size_ : LastRecordEnd(pos_, size_);
    if (cut > pos_) break;
    Status s = ReadBlock();
    if (!s.ok()) return error_ = s;
  }

  const char* b = data();
  size_t bytes = cut - pos_;
  size_t parts =
      std::min(static_cast<size_t>(threads_), std::max<size_t>(1, bytes / min_range_bytes_));
  std::vector<size_t> bounds =
      parts > 1 ? RangeBounds(pos_, cut, parts) : std::vector<size_t>{pos_, cut};
  size_t ranges = bounds.size() - 1;

  std::vector<std::vector<Column>> extra(ranges - 1);
  for (size_t r = 1; r < ranges; ++r) {
    extra[r - 1] = EmptyColumns();
    auto rows = static_cast<int64_t>(static_cast<double>(bounds[r + 1] - bounds[r]) /
                                     bytes_per_record_ * 1.1) +
                16;
    for (auto& c : extra[r - 1]) c.Reserve(rows);
  }
  if ((*cols)[0].size() == 0) {
    auto rows =
        static_cast<int64_t>(static_cast<double>(bounds[1] - bounds[0]) / bytes_per_record_ * 1.1) +
        16;
    for (auto& c : *cols) c.Reserve(rows);
  }
  std::vector<Issue> issues(ranges);
  std::vector<uint8_t> failed(ranges, 0);
  std::vector<int64_t> newlines(ranges, 0);
  ParallelFor(static_cast<int64_t>(ranges), threads_, [&](int64_t i) {
    auto r = static_cast<size_t>(i);
    RangeParser parser(plan_, b);
    std::vector<Column>* out = r == 0 ? cols : &extra[r - 1];
    failed[r] = parser.Parse(b + bounds[r], b + bounds[r + 1], out, &issues[r]) ? 0 : 1;
    newlines[r] = CountNewlines(b + bounds[r], b + bounds[r + 1]);
  });
  for (size_t r = 0; r < ranges; ++r) {
    if (failed[r] != 0) return error_ = Locate(issues[r]);
  }
  for (auto& c : *cols) c.SetSizeAfterBulkFill();
  if (!extra.empty()) {
    for (auto& part : extra) {
      for (auto& c : part) c.SetSizeAfterBulkFill();
    }
    ParallelFor(static_cast<int64_t>(cols->size()), threads_, [&](int64_t i) {
      auto c = static_cast<size_t>(i);
      for (const auto& part : extra) (*cols)[c].AppendFrom(part[c], 0, part[c].size());
    });
  }
  for (int64_t n : newlines) line_ += n;
  pos_ = cut;
  return Status::Ok();
}

Status CsvReader::InitColumns(const std::vector<std::string>& first_record) {
  const CsvReadOptions& csv = options_.csv;
  std::vector<std::string> names;
  for (size_t i = 0; i < first_record.size(); ++i) {
    std::string name = csv.header ? first_record[i] : std::string();
    if (name.empty()) name = "c" + std::to_string(i);
    names.push_back(std::move(name));
  }
  // Names must be unique: a repeated name gets the first free suffix _1, _2, ...
  for (size_t i = 0; i < names.size(); ++i) {
    auto taken = [&](const std::string& n, size_t upto) {
      for (size_t j = 0; j < upto; ++j) {
        if (names[j] == n) return true;
      }
      return false;
    };
    if (!taken(names[i], i)) continue;
    for (int k = 1;; ++k) {
      std::string candidate = names[i] + "_" + std::to_string(k);
      bool later = false;
      for (size_t j = i + 1; j < names.size(); ++j) later = later || names[j] == candidate;
      if (!taken(candidate, i) && !later) {
        names[i] = candidate;
        break;
      }
    }
  }
  for (const auto& [name, type] : csv.column_types) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string msg = file_->name();
      msg.append(": column type given for '").append(name);
      msg.append("', which is not a column (columns: ");
      for (size_t i = 0; i < names.size(); ++i) msg.append(i ? ", " : "").append(names[i]);
      msg.append(")");
      return Status::InvalidArgument(std::move(msg));
    }
  }
  plan_.names = std::move(names);
  return Status::Ok();
}

Status CsvReader::Sample(std::vector<TypeVote>* votes) {
  const size_t ncols = plan_.names.size();
  const int64_t limit = options_.csv.infer_rows;
  int64_t sampled = 0;
  size_t offset = 0;  // relative to pos_: where sampling continues
  for (;;) {
    size_t end = eof_ ? size_ : LastRecordEnd(pos_ + offset, size_);
    const char* b = data();
    FieldScanner scanner(b, plan_.delimiter, plan_.quote);
    const char* p = b + pos_ + offset;
    const char* e = b + end;
    bool stop = false;
    while (p < e && sampled < limit) {
      if (ncols > 1 && SkipBlankLine(p, e)) continue;
      // A malformed record ends the sample; the parser reports it when it gets there.
      const char* r = p;
      size_t c = 0;
      bool ok = true;
      for (;;) {
        Cell field;
        bool record_end = false;
        Issue issue;
        if (!scanner.Scan(r, e, &field, &record_end, &issue)) {
          ok = false;
          break;
        }
        if (c < ncols && !plan_.nulls.Match(field.text)) (*votes)[c].Add(field.text);
        ++c;
        if (record_end) break;
      }
      if (!ok || c != ncols) {
        stop = true;
        break;
      }
      p = r;
      ++sampled;
    }
    offset = static_cast<size_t>(p - (b + pos_));
    if (stop || eof_ || sampled >= limit) break;
    CAIRN_RETURN_IF_ERROR(ReadBlock());
  }
  if (sampled > 0)
    bytes_per_record_ = std::max(1.0, static_cast<double>(offset) / static_cast<double>(sampled));
  return Status::Ok();
}

Status CsvReader::Init() {
  const CsvReadOptions& csv = options_.csv;
  auto bad_char = [](char c) { return c == '\n' || c == '\r'; };
  if (csv.delimiter == csv.quote || bad_char(csv.delimiter) || bad_char(csv.quote)) {
    return Status::InvalidArgument(file_->name() +
                                   ": the CSV delimiter and quote must differ and must not be a "
                                   "line break");
  }
  if (options_.batch_rows < 1) {
    return Status::InvalidArgument(file_->name() + ": batch_rows must be at least 1");
  }
  plan_.delimiter = csv.delimiter;
  plan_.quote = csv.quote;
  plan_.nulls = NullTokens(csv.null_tokens);
  plan_.infer_rows = csv.infer_rows;

  // Tiny blocks may need several reads before a byte order mark can be recognised.
  do {
    CAIRN_RETURN_IF_ERROR(ReadBlock());
  } while (size_ < 3 && !eof_);
  if (size_ >= 3 && std::memcmp(data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;

  // The first record gives the column count and, with a header, the names. Blank lines
  // before it are skipped.
  std::vector<std::string> first;
  for (;;) {
    size_t end = eof_ ? size_ : LastRecordEnd(pos_, size_);
    if (end > pos_ || eof_) {
      const char* b = data();
      const char* p = b + pos_;
      const char* e = b + end;
      while (p < e && SkipBlankLine(p, e)) ++line_;
      pos_ = static_cast<size_t>(p - b);
      if (p == e) {
        if (eof_) break;  // no records at all: an empty table without columns
        CAIRN_RETURN_IF_ERROR(ReadBlock());
        continue;
      }
      FieldScanner scanner(b, plan_.delimiter, plan_.quote);
      for (;;) {
        Cell field;
        bool record_end = false;
        Issue issue;
        if (!scanner.Scan(p, e, &field, &record_end, &issue)) return Locate(issue);
        first.emplace_back(field.text);
        if (record_end) break;
      }
      if (csv.header) {
        line_ += CountNewlines(b + pos_, p);
        pos_ = static_cast<size_t>(p - b);
      }
      break;
    }
    CAIRN_RETURN_IF_ERROR(ReadBlock());
  }
  CAIRN_RETURN_IF_ERROR(InitColumns(first));

  const size_t ncols = plan_.names.size();
  std::vector<TypeVote> votes(ncols);
  if (ncols > 0) CAIRN_RETURN_IF_ERROR(Sample(&votes));
  for (size_t i = 0; i < ncols; ++i) {
    auto it = csv.column_types.find(plan_.names[i]);
    bool overridden = it != csv.column_types.end();
    DataType type = overridden ? it->second : votes[i].Result();
    bool tokens_first = false;
    for (const auto& t : plan_.nulls.tokens()) {
      int64_t iv = 0;
      double dv = 0;
      bool bv = false;
      switch (type.kind) {
        case TypeKind::kInt64:
          tokens_first = tokens_first || ParseInt64Text(t, &iv);
          break;
        case TypeKind::kFloat64:
          tokens_first = tokens_first || ParseFloat64Text(t, &dv);
          break;
        case TypeKind::kBool:
          tokens_first = tokens_first || ParseBoolText(t, &bv);
          break;
        case TypeKind::kTimestamp:
          tokens_first = tokens_first || ParseTimestampText(t, type.unit, &iv);
          break;
        case TypeKind::kString:
          break;
      }
    }
    plan_.types.push_back(type);
    plan_.inferred.push_back(overridden ? 0 : 1);
    plan_.tokens_first.push_back(tokens_first ? 1 : 0);
    schema_.AddField(Field{plan_.names[i], type, true});
  }
  if (ncols == 0) done_ = true;
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<TableReader>> OpenCsvReaderTuned(std::unique_ptr<SequentialFile> file,
                                                        const ReadOptions& options,
                                                        const CsvTuning& tuning) {
  auto reader = std::make_unique<CsvReader>(std::move(file), options, tuning);
  CAIRN_RETURN_IF_ERROR(reader->Init());
  return std::unique_ptr<TableReader>(std::move(reader));
}

Result<std::unique_ptr<TableReader>> OpenCsvReader(std::unique_ptr<SequentialFile> file,
                                                   const ReadOptions& options) {
  return OpenCsvReaderTuned(std::move(file), options, CsvTuning());
}

}  // namespace cairn::table
