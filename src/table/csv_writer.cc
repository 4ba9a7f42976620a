// CSV writer: rows are formatted into a buffer that is handed to the file in large appends.

#include <charconv>
#include <cmath>
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
        buf_.append(FormatTimestamp(col.Int(r), TimeUnitDigits(col.type().unit)));
        return;
      case TypeKind::kString:
        AppendString(col.String(r));
        return;
    }
  }

  std::unique_ptr<WritableFile> file_;
  Schema schema_;
  CsvWriteOptions options_;
  std::vector<std::string> read_null_tokens_;
  std::string buf_;
  bool closed_ = false;
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
