#include "data/datasets.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "base/file.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/thread_pool.h"
#include "base/time.h"
#include "data/flat_hash.h"
#include "table/filter.h"
#include "table/parquet.h"

namespace cairn::data {

using catalog::Connection;
using catalog::QueryResult;
using catalog::Value;
using table::Column;
using table::DataType;
using table::Field;
using table::Table;

namespace {

int64_t DatasetLockKey(const std::string& dataset) {
  return static_cast<int64_t>(Xxh3("cairn dataset " + dataset) >> 1);
}

Result<std::vector<std::string>> SegmentsOf(Connection& conn, const std::string& commit_id) {
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r,
      conn.Query("SELECT object_id FROM commit_segments WHERE commit_id = ? ORDER BY ordinal",
                 {Value::Text(commit_id)}));
  std::vector<std::string> out;
  for (const auto& row : r.rows) out.push_back(row[0].bytes());
  return out;
}

constexpr std::string_view kCommitColumns =
    "id, dataset, sequence, created_at, row_count, message, summary";

CommitInfo CommitFromRow(const catalog::Row& row) {
  CommitInfo c;
  c.id = row[0].bytes();
  c.dataset = row[1].bytes();
  c.sequence = row[2].int64();
  c.created_at = row[3].int64();
  c.versions = row[4].int64();
  c.message = row[5].bytes();
  c.summary = row[6].bytes();
  return c;
}

}  // namespace

bool IsHexPrefix(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return !s.empty();
}

Status ValidateDatasetName(std::string_view name) {
  if (name.empty() || name.size() > 128) {
    return Status::InvalidArgument("dataset name must be 1 to 128 characters, got '" +
                                   std::string(name.substr(0, 140)) + "'");
  }
  if (name[0] == '.' || name[0] == '-') {
    return Status::InvalidArgument("dataset name '" + std::string(name) +
                                   "' must not start with '.' or '-'");
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) {
      return Status::InvalidArgument("dataset name '" + std::string(name) +
                                     "' may only hold letters, digits, '_', '.' and '-'");
    }
  }
  return Status::Ok();
}

Status CreateDataset(Workspace& ws, const std::string& name, const std::string& description) {
  CAIRN_RETURN_IF_ERROR(ValidateDatasetName(name));
  Status st = ws.catalog()
                  .Execute("INSERT INTO datasets (name, description, created_at) VALUES (?, ?, ?)",
                           {Value::Text(name), Value::Text(description), Value::Int64(NowMicros())})
                  .status();
  if (st.code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists("dataset '" + name + "' already exists");
  }
  return st;
}

Result<std::vector<DatasetInfo>> ListDatasets(Workspace& ws) {
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r,
      ws.catalog().Query("SELECT name, description, created_at FROM datasets ORDER BY name"));
  std::vector<DatasetInfo> out;
  for (const auto& row : r.rows) out.push_back({row[0].bytes(), row[1].bytes(), row[2].int64()});
  return out;
}

Result<DatasetInfo> GetDataset(Workspace& ws, const std::string& name) {
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r,
      ws.catalog().Query("SELECT name, description, created_at FROM datasets WHERE name = ?",
                         {Value::Text(name)}));
  if (r.rows.empty()) {
    CAIRN_ASSIGN_OR_RETURN(std::vector<DatasetInfo> all, ListDatasets(ws));
    std::string msg = "no dataset '" + name + "'";
    if (all.empty()) {
      msg += " (there are none yet; create one with `cairn dataset create NAME`)";
    } else {
      msg += " (datasets: ";
      for (size_t i = 0; i < all.size() && i < 20; ++i) msg += (i ? ", " : "") + all[i].name;
      msg += all.size() > 20 ? ", ...)" : ")";
    }
    return Status::NotFound(msg);
  }
  const auto& row = r.rows[0];
  return DatasetInfo{row[0].bytes(), row[1].bytes(), row[2].int64()};
}

Result<std::vector<CommitInfo>> ListCommits(Workspace& ws, const std::string& dataset,
                                            int64_t max_sequence) {
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r,
      ws.catalog().Query("SELECT " + std::string(kCommitColumns) +
                             " FROM commits WHERE dataset = ? AND sequence <= ? ORDER BY sequence",
                         {Value::Text(dataset), Value::Int64(max_sequence)}));
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult segs,
      ws.catalog().Query("SELECT s.commit_id, s.object_id FROM commit_segments s JOIN commits c "
                         "ON c.id = s.commit_id WHERE c.dataset = ? AND c.sequence <= ? "
                         "ORDER BY c.sequence, s.ordinal",
                         {Value::Text(dataset), Value::Int64(max_sequence)}));
  std::vector<CommitInfo> out;
  std::map<std::string, size_t> index;
  for (const auto& row : r.rows) {
    index[row[0].bytes()] = out.size();
    out.push_back(CommitFromRow(row));
  }
  for (const auto& row : segs.rows) {
    auto it = index.find(row[0].bytes());
    if (it != index.end()) out[it->second].segments.push_back(row[1].bytes());
  }
  return out;
}

Result<int64_t> HeadSequence(Workspace& ws, const std::string& dataset) {
  CAIRN_ASSIGN_OR_RETURN(QueryResult r,
                         ws.catalog().Query("SELECT MAX(sequence) FROM commits WHERE dataset = ?",
                                            {Value::Text(dataset)}));
  if (r.rows.empty() || r.rows[0][0].is_null()) return int64_t{0};
  return r.rows[0][0].int64();
}

Result<std::vector<table::Field>> DatasetTags(Workspace& ws, const std::string& dataset) {
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r,
      ws.catalog().Query("SELECT name, type FROM dataset_tags WHERE dataset = ? ORDER BY name",
                         {Value::Text(dataset)}));
  std::vector<Field> out;
  for (const auto& row : r.rows) {
    CAIRN_ASSIGN_OR_RETURN(DataType t, table::ParseDataType(row[1].bytes()));
    out.push_back({row[0].bytes(), t, true});
  }
  // Byte order, as the segment schema uses (SQL collations may differ).
  std::sort(out.begin(), out.end(), [](const Field& a, const Field& b) { return a.name < b.name; });
  return out;
}

Result<CommitInfo> ResolveCommit(Workspace& ws, const std::string& dataset,
                                 const std::string& ref) {
  if (ref.size() < 4) {
    return Status::InvalidArgument("commit reference '" + ref +
                                   "' is too short (give at least 4 characters of the id)");
  }
  if (!IsHexPrefix(ref)) {
    return Status::NotFound("dataset '" + dataset + "' has no commit '" + ref +
                            "' (commit ids are lowercase hex)");
  }
  // A LIKE prefix match: unlike a range comparison it does not depend on the collation.
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r,
      ws.catalog().Query("SELECT " + std::string(kCommitColumns) +
                             " FROM commits WHERE dataset = ? AND id LIKE ? ORDER BY id LIMIT 2",
                         {Value::Text(dataset), Value::Text(ref + "%")}));
  if (r.rows.empty()) {
    return Status::NotFound("dataset '" + dataset + "' has no commit '" + ref + "'");
  }
  if (r.rows.size() > 1) {
    return Status::InvalidArgument("commit reference '" + ref + "' is ambiguous in dataset '" +
                                   dataset + "'; give more characters");
  }
  CommitInfo c = CommitFromRow(r.rows[0]);
  CAIRN_ASSIGN_OR_RETURN(c.segments, SegmentsOf(ws.catalog(), c.id));
  return c;
}

Result<table::Table> ReadParquetBlob(Workspace& ws, const std::string& blob_id,
                                     const std::vector<std::string>& columns, int num_threads) {
  CAIRN_ASSIGN_OR_RETURN(std::string bytes, ws.blobs().GetBlob(blob_id));
  table::ReadOptions ro;
  ro.parquet.columns = columns;
  ro.num_threads = num_threads;
  CAIRN_ASSIGN_OR_RETURN(
      auto reader, table::OpenParquetReader(MemoryRandomAccessFile(bytes, "blob " + blob_id), ro));
  return reader->ReadAll();
}

Status ParseWindow(std::string_view text, std::optional<int64_t>* start,
                   std::optional<int64_t>* end) {
  const size_t dots = text.find("..");
  if (dots == std::string_view::npos) {
    return Status::InvalidArgument("window '" + std::string(text) +
                                   "': expected START..END (e.g. 2021-06-01..2021-07-01)");
  }
  auto side = [&](std::string_view s, const char* which, std::optional<int64_t>* out) -> Status {
    if (s.empty()) return Status::Ok();
    std::optional<int64_t> v = ParseTimestampMicros(s);
    if (!v) {
      return Status::InvalidArgument("window '" + std::string(text) + "': cannot parse the " +
                                     which + " '" + std::string(s) + "' as a timestamp");
    }
    *out = v;
    return Status::Ok();
  };
  CAIRN_RETURN_IF_ERROR(side(text.substr(0, dots), "start", start));
  CAIRN_RETURN_IF_ERROR(side(text.substr(dots + 2), "end", end));
  if (*start && *end && **start >= **end) {
    return Status::InvalidArgument("window '" + std::string(text) +
                                   "': the start must be before the end");
  }
  return Status::Ok();
}

// -------------------------------------------------------------------------------------------
// Ingest

namespace {

// Reads the input with the record fields as text where the format infers types, so that one
// bad value rejects one row instead of failing the whole file.
Result<std::unique_ptr<table::TableReader>> OpenInput(const IngestOptions& options,
                                                      table::FileFormat format) {
  table::ReadOptions ro;
  ro.format = format;
  ro.num_threads = options.num_threads;
  ro.batch_rows = options.batch_rows;
  static constexpr std::string_view kFields[] = {
      kKeyField, kFrameField, kAnnotationField, kCapturedAtField, kLabeledAtField, kGroupField};
  if (format == table::FileFormat::kJsonl) {
    for (std::string_view f : kFields) ro.jsonl.column_types[std::string(f)] = DataType::String();
  } else if (format == table::FileFormat::kCsv) {
    CAIRN_ASSIGN_OR_RETURN(auto probe, table::OpenTableReader(options.path, ro));
    for (std::string_view f : kFields) {
      if (probe->schema().FieldIndex(f) >= 0)
        ro.csv.column_types[std::string(f)] = DataType::String();
    }
  }
  return table::OpenTableReader(options.path, ro);
}

// The set of every version stored in `commits`.
Result<Hash128Set> StoredVersions(Workspace& ws, const std::vector<CommitInfo>& commits,
                                  int num_threads) {
  std::vector<std::string> segments;
  int64_t rows = 0;
  for (const CommitInfo& c : commits) {
    segments.insert(segments.end(), c.segments.begin(), c.segments.end());
    rows += c.versions;
  }
  Hash128Set set(static_cast<size_t>(rows));
  std::mutex mu;
  Status first_error;
  ParallelFor(static_cast<int64_t>(segments.size()), num_threads, [&](int64_t i) {
    Result<Table> t =
        ReadParquetBlob(ws, segments[static_cast<size_t>(i)], {std::string(kVersionField)}, 1);
    std::lock_guard<std::mutex> lock(mu);
    if (!t.ok()) {
      if (first_error.ok()) first_error = t.status();
      return;
    }
    const Column& col = t->column(0);
    for (int64_t r = 0; r < col.size(); ++r) {
      std::optional<Hash128> v = ParseVersion(col.String(r));
      if (!v) {
        if (first_error.ok()) {
          first_error = Status::Corrupt("segment " + segments[static_cast<size_t>(i)] + ": row " +
                                        std::to_string(r + 1) + " has a malformed version");
        }
        return;
      }
      set.Insert(*v);
    }
  });
  CAIRN_RETURN_IF_ERROR(first_error);
  return set;
}

std::string ReasonKind(const Reject& r) {
  if (r.reason.starts_with("cannot parse")) return r.field + ": not a timestamp";
  return r.field + ": " + r.reason;
}

Status WriteRejects(const std::string& path, const std::string& source,
                    const std::vector<Reject>& rejects, RowLocator* locator) {
  std::string text;
  for (const Reject& r : rejects) {
    text += "{\"source\":" + JsonString(source);
    const int64_t line = locator->Line(r.row);
    if (line > 0) {
      text += ",\"line\":" + std::to_string(line);
    } else {
      text += ",\"row\":" + std::to_string(r.row + 1);
    }
    if (!r.key.empty()) text += ",\"key\":" + JsonString(r.key);
    text += ",\"field\":" + JsonString(r.field) + ",\"reason\":" + JsonString(r.reason) + "}\n";
  }
  CAIRN_ASSIGN_OR_RETURN(auto file, OpenWritableFile(path));
  CAIRN_RETURN_IF_ERROR(file->Append(text));
  return file->Close();
}

}  // namespace

size_t EstimateParquetBytes(const table::Table& t) {
  size_t bytes = 1024;
  for (const Column& c : t.columns()) {
    bytes += c.chars().size() + 8 * static_cast<size_t>(c.size()) + c.validity().size() / 8;
  }
  return bytes;
}

namespace {

// Streams batches of new versions into Parquet segments of at most `max_rows` rows, each
// stored as a blob when full.
class SegmentSink {
 public:
  SegmentSink(Workspace* ws, int64_t max_rows, int num_threads)
      : ws_(ws), max_rows_(max_rows), threads_(num_threads) {}

  Status Write(const Table& batch) {
    int64_t off = 0;
    while (off < batch.num_rows()) {
      if (writer_ == nullptr) CAIRN_RETURN_IF_ERROR(Open(batch));
      const int64_t take = std::min(batch.num_rows() - off, max_rows_ - rows_);
      // (A conditional expression here would copy `batch`.)
      if (off == 0 && take == batch.num_rows()) {
        CAIRN_RETURN_IF_ERROR(writer_->Write(batch));
      } else {
        CAIRN_RETURN_IF_ERROR(writer_->Write(batch.Slice(off, take)));
      }
      rows_ += take;
      off += take;
      if (rows_ == max_rows_) CAIRN_RETURN_IF_ERROR(Flush());
    }
    return Status::Ok();
  }
  Status Finish() { return writer_ == nullptr ? Status::Ok() : Flush(); }
  const std::vector<std::string>& ids() const { return ids_; }
  const std::vector<int64_t>& rows() const { return row_counts_; }

 private:
  Status Open(const Table& like) {
    bytes_.clear();
    // The writer appends page after page: reserving an upper bound up front saves the copies
    // (and page faults) of a growing buffer.
    // Half the uncompressed size of a full segment, from the first batch's bytes per row.
    const double per_row = static_cast<double>(EstimateParquetBytes(like)) /
                           static_cast<double>(std::max<int64_t>(like.num_rows(), 1));
    constexpr double kMaxReserve = 1 << 30;
    bytes_.reserve(
        static_cast<size_t>(std::min(kMaxReserve, per_row * static_cast<double>(max_rows_) / 2)));
    table::WriteOptions wo;
    wo.num_threads = threads_;
    wo.parquet.compression = table::Compression::kSnappy;
    // Batches are encoded as they come rather than copied into 1M-row groups first.
    wo.parquet.row_groups_follow_batches = true;
    CAIRN_ASSIGN_OR_RETURN(writer_, table::OpenParquetWriter(StringWritableFile(&bytes_, "segment"),
                                                             like.schema(), wo));
    rows_ = 0;
    return Status::Ok();
  }
  Status Flush() {
    CAIRN_RETURN_IF_ERROR(writer_->Close());
    writer_.reset();
    CAIRN_ASSIGN_OR_RETURN(std::string id, ws_->blobs().PutBlob(bytes_));
    ids_.push_back(std::move(id));
    row_counts_.push_back(rows_);
    bytes_.clear();
    bytes_.shrink_to_fit();
    return Status::Ok();
  }

  Workspace* ws_;
  int64_t max_rows_;
  int threads_;
  std::unique_ptr<table::TableWriter> writer_;
  std::string bytes_;
  int64_t rows_ = 0;
  std::vector<std::string> ids_;
  std::vector<int64_t> row_counts_;
};

std::string SummaryJson(const IngestReport& r, const IngestOptions& o) {
  std::string s = "{\"source\":" + JsonString(r.source);
  s += ",\"rows_read\":" + std::to_string(r.rows_read);
  s += ",\"rejected\":" + std::to_string(r.rejected);
  s += ",\"out_of_window\":" + std::to_string(r.out_of_window);
  s += ",\"duplicates\":" + std::to_string(r.duplicates);
  s += ",\"unchanged\":" + std::to_string(r.unchanged);
  s += ",\"new_versions\":" + std::to_string(r.new_versions);
  if (o.window_start || o.window_end) {
    s +=
        ",\"window\":" + JsonString((o.window_start ? FormatTimestamp(*o.window_start, 6) : "") +
                                    ".." + (o.window_end ? FormatTimestamp(*o.window_end, 6) : ""));
  }
  s += "}";
  return s;
}

}  // namespace

Result<IngestReport> Ingest(Workspace& ws, const std::string& dataset,
                            const IngestOptions& options) {
  auto stage = [&](const char* name) {
    if (options.on_stage) options.on_stage(name);
  };
  CAIRN_RETURN_IF_ERROR(GetDataset(ws, dataset).status());
  if (options.segment_rows < 1 || options.batch_rows < 1) {
    return Status::InvalidArgument("ingest: segment_rows and batch_rows must be positive");
  }
  table::FileFormat format;
  if (options.format) {
    format = *options.format;
  } else {
    CAIRN_ASSIGN_OR_RETURN(format, table::FileFormatFromPath(options.path));
  }
  RowLocator locator(options.path, format != table::FileFormat::kParquet,
                     format == table::FileFormat::kCsv);

  constexpr int kMaxAttempts = 20;
  for (int attempt = 1;; ++attempt) {
    IngestReport report;
    report.dataset = dataset;
    report.source = options.path;
    report.attempts = attempt;
    CAIRN_ASSIGN_OR_RETURN(const int64_t base, HeadSequence(ws, dataset));
    CAIRN_ASSIGN_OR_RETURN(std::vector<Field> known, DatasetTags(ws, dataset));
    stage("compare");
    CAIRN_ASSIGN_OR_RETURN(std::vector<CommitInfo> commits, ListCommits(ws, dataset, base));
    CAIRN_ASSIGN_OR_RETURN(Hash128Set stored, StoredVersions(ws, commits, options.num_threads));

    // Stream the input: normalize each batch, keep its new versions, write them to segments.
    stage("read");
    CAIRN_ASSIGN_OR_RETURN(auto reader, OpenInput(options, format));
    NormalizeOptions no;
    no.window_start = options.window_start;
    no.window_end = options.window_end;
    no.source = options.path;
    no.num_threads = options.num_threads;
    for (const Field& f : known) no.known_tags[f.name] = f.type;
    SegmentSink sink(&ws, options.segment_rows, options.num_threads);
    Hash128Set seen;
    std::vector<Reject> rejects;
    std::vector<Field> tags;
    int64_t offset = 0;
    int64_t fresh = 0;
    Table batch;
    for (;;) {
      CAIRN_ASSIGN_OR_RETURN(bool more, reader->Next(&batch));
      if (!more) break;
      const int64_t batch_rows = batch.num_rows();
      CAIRN_ASSIGN_OR_RETURN(NormalizedRecords norm, NormalizeRecords(std::move(batch), no));
      batch = Table();
      if (offset == 0) tags = norm.tags;
      report.rows_read += norm.rows_read;
      report.out_of_window += norm.out_of_window;
      for (Reject& r : norm.rejects) {
        r.row += offset;
        rejects.push_back(std::move(r));
      }
      const auto kept_rows = static_cast<int64_t>(norm.versions.size());
      std::vector<uint8_t> mask(static_cast<size_t>(kept_rows), 0);
      int64_t batch_fresh = 0;
      for (int64_t r = 0; r < kept_rows; ++r) {
        const Hash128& v = norm.versions[static_cast<size_t>(r)];
        if (stored.Contains(v)) {
          ++report.unchanged;
        } else if (!seen.Insert(v)) {
          ++report.duplicates;
        } else {
          mask[static_cast<size_t>(r)] = 1;
          ++batch_fresh;
        }
      }
      if (batch_fresh == kept_rows) {
        CAIRN_RETURN_IF_ERROR(sink.Write(norm.records));
      } else if (batch_fresh > 0) {
        CAIRN_RETURN_IF_ERROR(sink.Write(table::TakeRows(norm.records, mask)));
      }
      fresh += batch_fresh;
      offset += batch_rows;
    }
    CAIRN_RETURN_IF_ERROR(sink.Finish());
    report.new_versions = fresh;
    report.rejected = static_cast<int64_t>(rejects.size());
    for (const Reject& r : rejects) {
      ++report.reject_counts[ReasonKind(r)];
      if (report.first_rejects.size() < 10) {
        report.first_rejects.push_back({locator.Describe(r.row), r.field, r.reason});
      }
    }
    if (!rejects.empty()) {
      report.rejects_path =
          options.rejects_path.empty() ? options.path + ".rejects.jsonl" : options.rejects_path;
      CAIRN_RETURN_IF_ERROR(WriteRejects(report.rejects_path, options.path, rejects, &locator));
    }
    if (fresh == 0) return report;

    stage("commit");
    const std::vector<std::string>& segments = sink.ids();
    bool conflict = false;
    std::string commit_id;
    int64_t sequence = 0;
    const std::string summary = SummaryJson(report, options);
    Status st = catalog::RunInTransaction(ws.catalog(), [&](Connection& c) -> Status {
      conflict = false;
      CAIRN_RETURN_IF_ERROR(c.LockTransaction(DatasetLockKey(dataset)));
      CAIRN_ASSIGN_OR_RETURN(QueryResult head,
                             c.Query("SELECT sequence, created_at FROM commits WHERE dataset = ? "
                                     "ORDER BY sequence DESC LIMIT 1",
                                     {Value::Text(dataset)}));
      const int64_t head_seq = head.rows.empty() ? 0 : head.rows[0][0].int64();
      const int64_t head_time = head.rows.empty() ? 0 : head.rows[0][1].int64();
      if (head_seq != base) {
        conflict = true;  // another writer committed since `stored` was read
        return Status::Ok();
      }
      CAIRN_ASSIGN_OR_RETURN(
          QueryResult have_tags,
          c.Query("SELECT name, type FROM dataset_tags WHERE dataset = ?", {Value::Text(dataset)}));
      std::map<std::string, std::string> have;
      for (const auto& row : have_tags.rows) have[row[0].bytes()] = row[1].bytes();
      sequence = base + 1;
      for (const Field& f : tags) {
        auto it = have.find(f.name);
        if (it == have.end()) {
          CAIRN_RETURN_IF_ERROR(
              c.Execute("INSERT INTO dataset_tags (dataset, name, type, first_sequence) "
                        "VALUES (?, ?, ?, ?)",
                        {Value::Text(dataset), Value::Text(f.name), Value::Text(f.type.ToString()),
                         Value::Int64(sequence)})
                  .status());
        } else if (it->second != f.type.ToString()) {
          conflict = true;  // another writer fixed the tag's type first
          return Status::Ok();
        }
      }
      const int64_t created = std::max(NowMicros(), head_time + 1);
      std::string idsrc =
          dataset + "\n" + std::to_string(sequence) + "\n" + std::to_string(created) + "\n";
      for (const std::string& seg : segments) idsrc += seg + "\n";
      commit_id = Sha256Hex(idsrc);
      CAIRN_RETURN_IF_ERROR(
          c.Execute("INSERT INTO commits (id, dataset, sequence, created_at, message, row_count, "
                    "summary) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    {Value::Text(commit_id), Value::Text(dataset), Value::Int64(sequence),
                     Value::Int64(created), Value::Text(options.message), Value::Int64(fresh),
                     Value::Text(summary)})
              .status());
      for (size_t i = 0; i < segments.size(); ++i) {
        CAIRN_RETURN_IF_ERROR(
            c.Execute("INSERT INTO commit_segments (commit_id, ordinal, object_id, row_count) "
                      "VALUES (?, ?, ?, ?)",
                      {Value::Text(commit_id), Value::Int64(static_cast<int64_t>(i)),
                       Value::Text(segments[i]), Value::Int64(sink.rows()[i])})
                .status());
      }
      return Status::Ok();
    });
    CAIRN_RETURN_IF_ERROR(st.WithPrefix("ingest into '" + dataset + "'"));
    if (!conflict) {
      report.commit_id = commit_id;
      report.sequence = sequence;
      return report;
    }
    if (attempt >= kMaxAttempts) {
      return Status::IOError("ingest into '" + dataset + "': other writers committed first " +
                             std::to_string(attempt) + " times in a row; try again");
    }
  }
}

}  // namespace cairn::data
