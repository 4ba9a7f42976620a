#include "table/filtered_reader.h"

#include <algorithm>
#include <utility>

#include "table/filter.h"

namespace cairn::table {
namespace {

class FilteredReader final : public TableReader {
 public:
  FilteredReader(std::unique_ptr<TableReader> input, std::vector<std::string> columns,
                 std::vector<Predicate> predicates, Schema schema)
      : input_(std::move(input)),
        columns_(std::move(columns)),
        predicates_(std::move(predicates)),
        schema_(std::move(schema)) {}

  const Schema& schema() const override { return schema_; }

  Result<bool> Next(Table* batch) override {
    for (;;) {
      CAIRN_ASSIGN_OR_RETURN(bool more, input_->Next(&scratch_));
      if (!more) return false;
      if (!predicates_.empty()) {
        CAIRN_RETURN_IF_ERROR(MatchRows(scratch_, predicates_, &mask_));
        if (std::find(mask_.begin(), mask_.end(), 1) == mask_.end()) continue;
        scratch_ = TakeRows(scratch_, mask_);
      }
      if (columns_.empty()) {
        *batch = std::move(scratch_);
        scratch_ = Table();
      } else {
        CAIRN_ASSIGN_OR_RETURN(*batch, SelectColumns(scratch_, columns_));
      }
      return true;
    }
  }

 private:
  std::unique_ptr<TableReader> input_;
  std::vector<std::string> columns_;
  std::vector<Predicate> predicates_;  // bound to the input schema
  Schema schema_;
  Table scratch_;
  std::vector<uint8_t> mask_;
};

}  // namespace

Result<std::unique_ptr<TableReader>> OpenFilteredReader(std::unique_ptr<TableReader> input,
                                                        std::vector<std::string> columns,
                                                        std::vector<Predicate> predicates) {
  for (Predicate& p : predicates) CAIRN_RETURN_IF_ERROR(BindPredicate(input->schema(), &p));
  CAIRN_ASSIGN_OR_RETURN(Schema schema, SelectSchema(input->schema(), columns));
  if (columns.empty() && predicates.empty()) return input;
  return std::unique_ptr<TableReader>(new FilteredReader(std::move(input), std::move(columns),
                                                         std::move(predicates), std::move(schema)));
}

Result<std::unique_ptr<TableReader>> OpenTableReaderWithFilter(
    const std::string& path, const ReadOptions& options, const std::vector<std::string>& columns,
    const std::vector<Predicate>& predicates) {
  ReadOptions opts = options;
  FileFormat format;
  if (opts.format) {
    format = *opts.format;
  } else {
    CAIRN_ASSIGN_OR_RETURN(format, FileFormatFromPath(path));
  }
  if (format == FileFormat::kParquet) {
    // Read the selected columns plus those the filters need; the wrapper drops the extras.
    if (!columns.empty()) {
      opts.parquet.columns = columns;
      for (const Predicate& p : predicates) {
        if (std::find(opts.parquet.columns.begin(), opts.parquet.columns.end(), p.column) ==
            opts.parquet.columns.end()) {
          opts.parquet.columns.push_back(p.column);
        }
      }
    }
    opts.parquet.filters = predicates;
  }
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<TableReader> reader, OpenTableReader(path, opts));
  // Rows are filtered exactly here for every format, whatever the reader already skipped.
  return OpenFilteredReader(std::move(reader), columns, predicates);
}

}  // namespace cairn::table
