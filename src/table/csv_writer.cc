// CSV writer: rows are formatted into a buffer that is handed to the file in large appends.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "table/csv.h"

namespace cairn::table {
namespace {

// The buffer is handed to the file once it holds this many bytes.
constexpr size_t kFlushBytes = size_t{1} << 20;

class CsvWriter final : public TableWriter {
 public:
  CsvWriter(std::unique_ptr<WritableFile> file, const Schema& schema,
            const CsvWriteOptions& options)
      : file_(std::move(file)), schema_(schema), options_(options) {
    // A string equal to a token the reader would take for null is quoted to stay a string.
    read_null_tokens_ = CsvReadOptions().null_tokens;
    read_null_tokens_.push_back(options_.null_token);
    if (options_.header) {
      for (int i = 0; i < schema_.num_fields(); ++i) {
        if (i > 0) buf_.push_back(options_.delimiter);
        AppendString(schema_.field(i).name);
      }
      buf_.push_back('\n');
    }
  }

  ~CsvWriter() override = default;

  Status Write(const Table& batch) override {
    if (closed_) return Status::InvalidArgument(file_->name() + ": write after Close");
    CAIRN_RETURN_IF_ERROR(CheckSchema(batch.schema()));
    const int ncols = batch.num_columns();
    const int64_t rows = batch.num_rows();
    for (int64_t r = 0; r < rows; ++r) {
      for (int c = 0; c < ncols; ++c) {
        if (c > 0) buf_.push_back(options_.delimiter);
        AppendCell(batch.column(c), r);
      }
      buf_.push_back('\n');
      if (buf_.size() >= kFlushBytes) CAIRN_RETURN_IF_ERROR(Flush());
    }
    return Status::Ok();
  }

  Status Close() override {
    if (closed_) return Status::InvalidArgument(file_->name() + ": closed twice");
    closed_ = true;
    CAIRN_RETURN_IF_ERROR(Flush());
    return file_->Close();
  }

 private:
  Status CheckSchema(const Schema& other) const {
    if (other.num_fields() != schema_.num_fields()) {
      return Status::InvalidArgument(
          file_->name() + ": batch has " + std::to_string(other.num_fields()) +
          " columns, the writer's schema has " + std::to_string(schema_.num_fields()));
    }
    for (int i = 0; i < schema_.num_fields(); ++i) {
      const Field& want = schema_.field(i);
      const Field& got = other.field(i);
      if (want.name != got.name || want.type != got.type) {
        return Status::InvalidArgument(file_->name() + ": batch column " + std::to_string(i) +
                                       " is '" + got.name + "' (" + got.type.ToString() +
                                       "), the writer expects '" + want.name + "' (" +
                                       want.type.ToString() + ")");
      }
    }
    return Status::Ok();
  }

  Status Flush() {
    if (buf_.empty()) return Status::Ok();
    Status s = file_->Append(buf_);
    buf_.clear();
    return s;
  }

  bool NeedsQuotes(std::string_view v) const {
    for (char ch : v) {
      if (ch == options_.delimiter || ch == '"' || ch == '\n' || ch == '\r') return true;
    }
    for (const auto& t : read_null_tokens_) {
      if (v == t) return true;
    }
    return false;
  }

  void AppendString(std::string_view v) {
    if (!NeedsQuotes(v)) {
      buf_.append(v);
      return;
    }
    buf_.push_back('"');
    for (char ch : v) {
      if (ch == '"') buf_.push_back('"');
      buf_.push_back(ch);
    }
    buf_.push_back('"');
  }

  void AppendCell(const Column& col, int64_t r) {
    if (col.IsNull(r)) {
      buf_.append(options_.null_token);
      return;
    }
    char tmp[64];
    switch (col.type().kind) {
      case TypeKind::kInt64: {
        auto res = std::to_chars(tmp, tmp + sizeof(tmp), col.Int(r));
        buf_.append(tmp, static_cast<size_t>(res.ptr - tmp));
        return;
      }
      case TypeKind::kFloat64: {
        double v = col.Double(r);
        if (!std::isfinite(v)) {
          buf_.append(FormatDouble(v));
          return;
        }
        auto res = std::to_chars(tmp, tmp + sizeof(tmp), v);
        std::string_view text(tmp, static_cast<size_t>(res.ptr - tmp));
        buf_.append(text);
        // Integral values keep a ".0" so that the column reads back as float64.
        if (text.find_first_of(".eE") == std::string_view::npos) buf_.append(".0");
        return;
      }
      case TypeKind::kBool:
        buf_.append(col.Bool(r) ? "true" : "false");
        return;
      case TypeKind::kTimestamp:
        AppendTimestamp(col.Int(r), TimeUnitDigits(col.type().unit));
        return;
      case TypeKind::kString:
        AppendString(col.String(r));
        return;
    }
  }

  // Same text as FormatTimestamp, without its formatted-print calls; the date of the last
  // day written is kept, as consecutive values usually share it.
  void AppendTimestamp(int64_t value, int digits) {
    int64_t per_second = 1;
    for (int i = 0; i < digits; ++i) per_second *= 10;
    int64_t seconds = FloorDiv(value, per_second);
    int64_t frac = value - seconds * per_second;
    int64_t days = FloorDiv(seconds, 86400);
    int64_t sod = seconds - days * 86400;
    if (days != cached_day_) {
      int64_t y = 0;
      int m = 0, d = 0;
      CivilFromDays(days, &y, &m, &d);
      if (y < 0 || y > 9999) {
        buf_.append(FormatTimestamp(value, digits));
        return;
      }
      PutDigits(cached_date_, 4, y);
      cached_date_[4] = '-';
      PutDigits(cached_date_ + 5, 2, m);
      cached_date_[7] = '-';
      PutDigits(cached_date_ + 8, 2, d);
      cached_date_[10] = 'T';
      cached_day_ = days;
    }
    char text[40];
    std::memcpy(text, cached_date_, 11);
    PutDigits(text + 11, 2, sod / 3600);
    text[13] = ':';
    PutDigits(text + 14, 2, sod / 60 % 60);
    text[16] = ':';
    PutDigits(text + 17, 2, sod % 60);
    size_t n = 19;
    if (frac != 0) {
      text[n++] = '.';
      PutDigits(text + n, digits, frac);
      n += static_cast<size_t>(digits);
    }
    text[n++] = 'Z';
    buf_.append(text, n);
  }

  static int64_t FloorDiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
  }

  // Writes the `width` low decimal digits of v >= 0, zero-padded.
  static void PutDigits(char* out, int width, int64_t v) {
    for (int i = width - 1; i >= 0; --i) {
      out[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  }

  std::unique_ptr<WritableFile> file_;
  Schema schema_;
  CsvWriteOptions options_;
  std::vector<std::string> read_null_tokens_;
  std::string buf_;
  bool closed_ = false;
  int64_t cached_day_ = INT64_MIN;
  char cached_date_[11] = {};
};

}  // namespace

Result<std::unique_ptr<TableWriter>> OpenCsvWriter(std::unique_ptr<WritableFile> file,
                                                   const Schema& schema,
                                                   const WriteOptions& options) {
  char d = options.csv.delimiter;
  if (d == '"' || d == '\n' || d == '\r') {
    return Status::InvalidArgument(file->name() +
                                   ": the CSV delimiter must not be a quote or a line break");
  }
  return std::unique_ptr<TableWriter>(
      std::make_unique<CsvWriter>(std::move(file), schema, options.csv));
}

}  // namespace cairn::table
