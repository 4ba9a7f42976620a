#include "data/snapshots.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

#include "base/file.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/thread_pool.h"
#include "base/time.h"
#include "data/filter_expr.h"
#include "table/parquet.h"

namespace cairn::data {

using catalog::QueryResult;
using catalog::Value;
using table::Column;
using table::DataType;
using table::Field;
using table::Table;
using table::TypeKind;

namespace {

// A row of one of the loaded segments.
struct RowRef {
  uint32_t seg;
  uint32_t row;
};

std::string FormatFraction(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", f);
  return buf;
}

// Copies rows `refs` of `sources` column `c` into a new column.
Column GatherColumn(const std::vector<const Table*>& sources, int c,
                    const std::vector<RowRef>& refs) {
  const DataType type = sources.empty() ? DataType::String() : sources[0]->schema().field(c).type;
  Column out(type);
  const auto n = static_cast<int64_t>(refs.size());
  bool any_null = false;
  for (const Table* t : sources) any_null |= t->column(c).has_nulls();
  if (any_null) {
    out.validity().resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const RowRef& r = refs[static_cast<size_t>(i)];
      out.validity()[static_cast<size_t>(i)] = sources[r.seg]->column(c).IsNull(r.row) ? 0 : 1;
    }
  }
  switch (type.kind) {
    case TypeKind::kInt64:
    case TypeKind::kTimestamp:
      out.ints().resize(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) {
        const RowRef& r = refs[static_cast<size_t>(i)];
        out.ints()[static_cast<size_t>(i)] = sources[r.seg]->column(c).Int(r.row);
      }
      break;
    case TypeKind::kFloat64:
      out.doubles().resize(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) {
        const RowRef& r = refs[static_cast<size_t>(i)];
        out.doubles()[static_cast<size_t>(i)] = sources[r.seg]->column(c).Double(r.row);
      }
      break;
    case TypeKind::kBool:
      out.bools().resize(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) {
        const RowRef& r = refs[static_cast<size_t>(i)];
        out.bools()[static_cast<size_t>(i)] = sources[r.seg]->column(c).Bool(r.row) ? 1 : 0;
      }
      break;
    case TypeKind::kString: {
      size_t bytes = 0;
      for (const RowRef& r : refs) bytes += sources[r.seg]->column(c).String(r.row).size();
      out.chars().resize(bytes);
      out.offsets().resize(static_cast<size_t>(n) + 1);
      out.offsets()[0] = 0;
      size_t pos = 0;
      for (int64_t i = 0; i < n; ++i) {
        const RowRef& r = refs[static_cast<size_t>(i)];
        const std::string_view v = sources[r.seg]->column(c).String(r.row);
        if (!v.empty()) std::memcpy(out.chars().data() + pos, v.data(), v.size());
        pos += v.size();
        out.offsets()[static_cast<size_t>(i) + 1] = static_cast<int64_t>(pos);
      }
      break;
    }
  }
  out.SetSizeAfterBulkFill();
  return out;
}

Result<Table> Gather(const std::vector<const Table*>& sources, const table::Schema& schema,
                     const std::vector<RowRef>& refs, int num_threads) {
  std::vector<Column> cols(static_cast<size_t>(schema.num_fields()));
  ParallelFor(schema.num_fields(), num_threads, [&](int64_t c) {
    cols[static_cast<size_t>(c)] = GatherColumn(sources, static_cast<int>(c), refs);
  });
  return Table::Make(schema, std::move(cols));
}

Result<std::string> ParquetBytes(const Table& t, int num_threads) {
  std::string bytes;
  bytes.reserve(EstimateParquetBytes(t));
  table::WriteOptions wo;
  wo.num_threads = num_threads;
  wo.parquet.compression = table::Compression::kSnappy;
  CAIRN_ASSIGN_OR_RETURN(auto writer, table::OpenParquetWriter(
                                          StringWritableFile(&bytes, "snapshot"), t.schema(), wo));
  CAIRN_RETURN_IF_ERROR(writer->Write(t));
  CAIRN_RETURN_IF_ERROR(writer->Close());
  return bytes;
}

// The length of the prefix every value of the string column `key` shares.
size_t CommonKeyPrefix(const Column& key) {
  if (key.size() == 0) return 0;
  const std::string_view first = key.String(0);
  size_t lcp = first.size();
  for (int64_t r = 1; r < key.size() && lcp > 0; ++r) {
    const std::string_view k = key.String(r);
    size_t i = 0;
    const size_t n = std::min(lcp, k.size());
    while (i < n && first[i] == k[i]) ++i;
    lcp = i;
  }
  return lcp;
}

// Big-endian bytes [from, from + 8) of `s`, zero-padded: comparing these numbers compares
// the bytes.
uint64_t Prefix8(std::string_view s, size_t from) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) {
    v <<= 8;
    if (from + i < s.size()) v |= static_cast<unsigned char>(s[from + i]);
  }
  return v;
}

// Sorts `refs` by key (bytewise). Each ref is first paired with the 16 key bytes after the
// prefix all keys share, so most comparisons touch no key memory; ties compare whole keys.
// The halves are sorted on separate threads and merged.
template <typename KeyOf>
void SortByKey(std::vector<RowRef>* refs, const KeyOf& key_of, size_t skip, int num_threads) {
  struct Item {
    uint64_t p0, p1;
    RowRef ref;
  };
  std::vector<Item> items(refs->size());
  for (size_t i = 0; i < refs->size(); ++i) {
    const std::string_view k = key_of((*refs)[i]);
    items[i] = {Prefix8(k, skip), Prefix8(k, skip + 8), (*refs)[i]};
  }
  auto less = [&](const Item& a, const Item& b) {
    if (a.p0 != b.p0) return a.p0 < b.p0;
    if (a.p1 != b.p1) return a.p1 < b.p1;
    return key_of(a.ref) < key_of(b.ref);
  };
  const size_t mid = items.size() / 2;
  if (ResolveThreads(num_threads) > 1 && items.size() > (1u << 16)) {
    ParallelFor(2, 2, [&](int64_t half) {
      if (half == 0) {
        std::sort(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(mid), less);
      } else {
        std::sort(items.begin() + static_cast<std::ptrdiff_t>(mid), items.end(), less);
      }
    });
    std::inplace_merge(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(mid), items.end(),
                       less);
  } else {
    std::sort(items.begin(), items.end(), less);
  }
  for (size_t i = 0; i < items.size(); ++i) (*refs)[i] = items[i].ref;
}

// The position in [0, 1) of `value` under `seed`.
double SplitPoint(std::string_view value, uint64_t seed) {
  return static_cast<double>(Xxh3(value, seed) >> 11) * 0x1.0p-53;
}

constexpr std::string_view kSnapshotColumns =
    "id, dataset, description, filter, as_of_commit, as_of_sequence, seed, split_by, "
    "created_at, row_count, definition";

SnapshotInfo SnapshotFromRow(const catalog::Row& row) {
  SnapshotInfo s;
  s.id = row[0].bytes();
  s.dataset = row[1].bytes();
  s.description = row[2].bytes();
  s.where = row[3].bytes();
  s.as_of_commit = row[4].bytes();
  s.as_of_sequence = row[5].int64();
  s.seed = static_cast<uint64_t>(row[6].int64());
  s.split_by = row[7].bytes();
  s.created_at = row[8].int64();
  s.rows = row[9].int64();
  s.definition = row[10].bytes();
  return s;
}

Status LoadSplits(catalog::Connection& conn, SnapshotInfo* s) {
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r,
      conn.Query("SELECT name, fraction, keys_object, versions_object, row_count FROM "
                 "snapshot_splits WHERE snapshot_id = ? ORDER BY ordinal",
                 {Value::Text(s->id)}));
  s->splits.clear();
  for (const auto& row : r.rows) {
    s->splits.push_back(
        {row[0].bytes(), row[1].float64(), row[2].bytes(), row[3].bytes(), row[4].int64()});
  }
  return Status::Ok();
}

Result<const SplitInfo*> FindSplit(const SnapshotInfo& snap, const std::string& name) {
  for (const SplitInfo& s : snap.splits) {
    if (s.name == name) return &s;
  }
  std::string names;
  for (const SplitInfo& s : snap.splits) names += (names.empty() ? "" : ", ") + s.name;
  return Status::NotFound("snapshot " + snap.id.substr(0, 12) + " has no split '" + name +
                          "' (splits: " + names + ")");
}

}  // namespace

Result<table::Table> DecodeSegment(std::string_view bytes, const std::string& id,
                                   const table::Schema& schema, int num_threads) {
  const std::string name = "segment " + id;
  table::ReadOptions ro;
  ro.num_threads = num_threads;
  CAIRN_ASSIGN_OR_RETURN(auto probe,
                         table::OpenParquetReader(MemoryRandomAccessFile(bytes, name), ro));
  const table::Schema& have = probe->schema();
  for (const Field& f : schema.fields()) {
    const int at = have.FieldIndex(f.name);
    if (at >= 0 && !(have.field(at).type == f.type)) {
      return Status::Corrupt(name + ": column '" + f.name + "' is " +
                             have.field(at).type.ToString() + ", expected " + f.type.ToString());
    }
    if (at < 0 && !f.name.starts_with(kTagPrefix)) {
      return Status::Corrupt(name + ": has no column '" + f.name + "'");
    }
  }
  if (have == schema) return probe->ReadAll();
  for (const Field& f : schema.fields()) {
    if (have.FieldIndex(f.name) >= 0) ro.parquet.columns.push_back(f.name);
  }
  CAIRN_ASSIGN_OR_RETURN(auto reader,
                         table::OpenParquetReader(MemoryRandomAccessFile(bytes, name), ro));
  CAIRN_ASSIGN_OR_RETURN(Table t, reader->ReadAll());
  std::vector<Column> cols;
  cols.reserve(static_cast<size_t>(schema.num_fields()));
  for (const Field& f : schema.fields()) {
    const int at = t.schema().FieldIndex(f.name);
    cols.push_back(at >= 0 ? std::move(t.mutable_column(at)) : NullColumn(f.type, t.num_rows()));
  }
  return Table::Make(schema, std::move(cols));
}

Result<LatestVersions> LoadLatest(Workspace& ws, const std::string& dataset, int64_t as_of_sequence,
                                  int num_threads, const std::vector<std::string>& columns,
                                  bool keep_bytes) {
  LatestVersions out;
  CAIRN_ASSIGN_OR_RETURN(out.commits, ListCommits(ws, dataset, as_of_sequence));
  CAIRN_ASSIGN_OR_RETURN(out.tags, DatasetTags(ws, dataset));
  // Every tag of the dataset is a column; one first committed after the as-of commit is
  // null in every row read here.
  const table::Schema full = SegmentSchema(out.tags);
  if (columns.empty()) {
    out.schema = full;
  } else {
    std::set<std::string> wanted(columns.begin(), columns.end());
    wanted.insert(std::string(kKeyField));
    wanted.insert(std::string(kLabeledAtField));
    for (const Field& f : full.fields()) {
      if (wanted.count(f.name) != 0) out.schema.AddField(f);
    }
  }
  const int key_col = out.schema.FieldIndex(kKeyField);
  const int labeled_col = out.schema.FieldIndex(kLabeledAtField);
  std::vector<int64_t> commit_time;
  for (const CommitInfo& c : out.commits) {
    for (const std::string& s : c.segments) {
      out.segment_ids.push_back(s);
      commit_time.push_back(c.created_at);
    }
  }
  out.segments.resize(out.segment_ids.size());
  // Segments are decoded one after another, each with all threads (a few large segments are
  // the common case), while the next one is fetched and its hash verified in the background.
  auto fetch = [&ws, &out](size_t i) {
    return std::async(std::launch::async,
                      [&ws, id = out.segment_ids[i]] { return ws.blobs().GetBlob(id); });
  };
  std::future<Result<std::string>> next;
  if (!out.segment_ids.empty()) next = fetch(0);
  for (size_t i = 0; i < out.segment_ids.size(); ++i) {
    Result<std::string> fetched = next.get();
    if (i + 1 < out.segment_ids.size()) next = fetch(i + 1);
    CAIRN_ASSIGN_OR_RETURN(std::string bytes, std::move(fetched));
    CAIRN_ASSIGN_OR_RETURN(out.segments[i],
                           DecodeSegment(bytes, out.segment_ids[i], out.schema, num_threads));
    out.versions += out.segments[i].num_rows();
    if (keep_bytes) out.segment_bytes.push_back(std::move(bytes));
  }
  if (out.segments.size() > UINT32_MAX - 1 ||
      std::any_of(out.segments.begin(), out.segments.end(),
                  [](const Table& t) { return t.num_rows() > UINT32_MAX; })) {
    return Status::Unsupported("dataset '" + dataset + "' has too many segments or rows");
  }
  // Dedup by 128-bit key hashes (the chance that two of a billion keys collide is about
  // 10^-21). Rows are partitioned by hash into buckets small enough for the cache; each
  // bucket is resolved on its own, in parallel, visiting its rows in commit order.
  std::vector<std::vector<Hash128>> hashes(out.segments.size());
  for (size_t s = 0; s < out.segments.size(); ++s) {
    const Column& key = out.segments[s].column(key_col);
    auto& h = hashes[s];
    h.resize(static_cast<size_t>(key.size()));
    constexpr int64_t kChunk = 1 << 16;
    ParallelFor((key.size() + kChunk - 1) / kChunk, num_threads, [&](int64_t c) {
      const int64_t end = std::min(key.size(), (c + 1) * kChunk);
      for (int64_t r = c * kChunk; r < end; ++r) {
        const std::string_view k = key.String(r);
        h[static_cast<size_t>(r)] = Xxh3Bytes128(k.data(), k.size(), 0);
      }
    });
  }
  struct Entry {
    Hash128 hash;
    int64_t time;
    RowRef ref;
  };
  constexpr int kBucketBits = 10;
  constexpr size_t kBuckets = size_t{1} << kBucketBits;
  std::vector<size_t> start(kBuckets + 1, 0);
  for (const auto& h : hashes) {
    for (const Hash128& x : h) ++start[(x.high >> (64 - kBucketBits)) + 1];
  }
  for (size_t b = 0; b < kBuckets; ++b) start[b + 1] += start[b];
  std::vector<Entry> entries(start[kBuckets]);
  {
    std::vector<size_t> pos(start.begin(), start.end() - 1);
    for (size_t s = 0; s < out.segments.size(); ++s) {
      const Column& labeled = out.segments[s].column(labeled_col);
      const int64_t seg_time = commit_time[s];
      const auto& h = hashes[s];
      for (size_t r = 0; r < h.size(); ++r) {
        const auto row = static_cast<int64_t>(r);
        entries[pos[h[r].high >> (64 - kBucketBits)]++] = {
            h[r], labeled.IsNull(row) ? seg_time : labeled.Int(row),
            RowRef{static_cast<uint32_t>(s), static_cast<uint32_t>(r)}};
      }
      std::vector<Hash128>().swap(hashes[s]);
    }
  }
  out.latest.resize(out.segments.size());
  for (size_t s = 0; s < out.segments.size(); ++s) {
    out.latest[s].assign(static_cast<size_t>(out.segments[s].num_rows()), 0);
  }
  std::vector<int64_t> distinct(kBuckets, 0);
  ParallelFor(static_cast<int64_t>(kBuckets), num_threads, [&](int64_t b) {
    const size_t lo = start[static_cast<size_t>(b)];
    const size_t hi = start[static_cast<size_t>(b) + 1];
    size_t cap = 16;
    while (cap < 2 * (hi - lo)) cap *= 2;
    std::vector<uint32_t> slots(cap, UINT32_MAX);  // index into entries, relative to lo
    const size_t mask = cap - 1;
    int64_t n = 0;
    for (size_t e = lo; e < hi; ++e) {
      const Entry& x = entries[e];
      for (size_t i = x.hash.low & mask;; i = (i + 1) & mask) {
        uint32_t& slot = slots[i];
        if (slot == UINT32_MAX) {
          slot = static_cast<uint32_t>(e - lo);
          ++n;
          break;
        }
        Entry& best = entries[lo + slot];
        if (best.hash == x.hash) {
          // Entries arrive in commit order, so a tie goes to the newcomer.
          if (x.time >= best.time) slot = static_cast<uint32_t>(e - lo);
          break;
        }
      }
    }
    for (uint32_t slot : slots) {
      if (slot != UINT32_MAX) {
        const RowRef r = entries[lo + slot].ref;
        out.latest[r.seg][r.row] = 1;
      }
    }
    distinct[static_cast<size_t>(b)] = n;
  });
  for (int64_t n : distinct) out.keys += n;
  return out;
}

Result<std::vector<SplitSpec>> ParseSplits(std::string_view text) {
  std::vector<SplitSpec> out;
  double sum = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view part = text.substr(pos, comma - pos);
    const size_t eq = part.find('=');
    auto bad = [&](const std::string& why) {
      return Status::InvalidArgument("split '" + std::string(text) + "': part '" +
                                     std::string(part) + "' " + why +
                                     " (expected e.g. train=0.8,val=0.1,test=0.1)");
    };
    if (eq == std::string_view::npos || eq == 0) return bad("is not NAME=FRACTION");
    const std::string name(part.substr(0, eq));
    for (char c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
        return bad("has a name with characters other than letters, digits, '_' and '-'");
      }
    }
    for (const SplitSpec& s : out) {
      if (s.name == name) return bad("repeats the name '" + name + "'");
    }
    const std::string num(part.substr(eq + 1));
    char* end = nullptr;
    const double f = std::strtod(num.c_str(), &end);
    if (num.empty() || end != num.c_str() + num.size() || !(f > 0) || f > 1) {
      return bad("needs a fraction in (0, 1]");
    }
    out.push_back({name, f});
    sum += f;
    pos = comma + 1;
  }
  if (std::fabs(sum - 1) > 1e-9) {
    return Status::InvalidArgument("split '" + std::string(text) + "': fractions sum to " +
                                   FormatFraction(sum) + ", not 1");
  }
  return out;
}

Result<SnapshotInfo> CreateSnapshot(Workspace& ws, const std::string& dataset,
                                    const SnapshotOptions& options) {
  auto stage = [&](const char* name) {
    if (options.on_stage) options.on_stage(name);
  };
  CAIRN_RETURN_IF_ERROR(GetDataset(ws, dataset).status());
  if (options.seed > static_cast<uint64_t>(INT64_MAX)) {
    return Status::InvalidArgument("seed must be at most 9223372036854775807");
  }
  std::vector<SplitSpec> splits = options.splits;
  if (splits.empty()) splits.push_back({"all", 1.0});
  if (!options.split_by.empty() && options.split_by != "key" && options.split_by != "group") {
    return Status::InvalidArgument("split-by must be 'key' or 'group', got '" + options.split_by +
                                   "'");
  }
  CAIRN_ASSIGN_OR_RETURN(FilterExpr filter, FilterExpr::Parse(options.where));

  // As of which commit.
  CAIRN_ASSIGN_OR_RETURN(const int64_t head, HeadSequence(ws, dataset));
  if (head == 0) {
    return Status::InvalidArgument("dataset '" + dataset +
                                   "' has no commits yet; ingest records first");
  }
  int64_t as_of = head;
  if (!options.as_of.empty()) {
    std::optional<int64_t> t = ParseTimestampMicros(options.as_of);
    if (t && options.as_of.size() >= 10 && options.as_of[4] == '-') {
      CAIRN_ASSIGN_OR_RETURN(
          QueryResult r,
          ws.catalog().Query(
              "SELECT MAX(sequence) FROM commits WHERE dataset = ? AND created_at <= ?",
              {Value::Text(dataset), Value::Int64(*t)}));
      if (r.rows.empty() || r.rows[0][0].is_null()) {
        return Status::InvalidArgument("dataset '" + dataset + "' has no commit at or before " +
                                       options.as_of);
      }
      as_of = r.rows[0][0].int64();
    } else {
      CAIRN_ASSIGN_OR_RETURN(CommitInfo c, ResolveCommit(ws, dataset, options.as_of));
      as_of = c.sequence;
    }
  }

  stage("read");
  // The filter is checked against every field first, so that an unknown field is reported
  // with the whole list; then only what dedup, the filter and the split read is decoded, and
  // the other columns only for segments with selected rows, one segment at a time.
  CAIRN_ASSIGN_OR_RETURN(std::vector<Field> tags, DatasetTags(ws, dataset));
  const table::Schema full = SegmentSchema(tags);
  {
    FilterExpr check = filter;
    CAIRN_RETURN_IF_ERROR(check.Bind(full));
  }
  std::vector<std::string> wanted = filter.Fields();
  wanted.emplace_back(kGroupField);
  CAIRN_ASSIGN_OR_RETURN(LatestVersions lv,
                         LoadLatest(ws, dataset, as_of, options.num_threads, wanted, true));
  const std::string as_of_commit = lv.commits.back().id;

  stage("filter");
  CAIRN_RETURN_IF_ERROR(filter.Bind(lv.schema));
  std::vector<std::vector<uint8_t>> selected(lv.segments.size());
  std::vector<Status> errors(lv.segments.size());
  ParallelFor(static_cast<int64_t>(lv.segments.size()), options.num_threads, [&](int64_t s) {
    auto& sel = selected[static_cast<size_t>(s)];
    const auto& latest = lv.latest[static_cast<size_t>(s)];
    if (filter.empty()) {
      sel = latest;
      return;
    }
    errors[static_cast<size_t>(s)] = filter.Evaluate(lv.segments[static_cast<size_t>(s)], &sel);
    for (size_t r = 0; r < sel.size(); ++r) sel[r] &= latest[r];
  });
  for (const Status& st : errors) CAIRN_RETURN_IF_ERROR(st);

  // Split.
  const int key_col = lv.schema.FieldIndex(kKeyField);
  const int group_col = lv.schema.FieldIndex(kGroupField);
  std::string split_by = options.split_by;
  if (split_by.empty()) {
    split_by = "key";
    for (size_t s = 0; s < lv.segments.size() && split_by == "key"; ++s) {
      const Column& g = lv.segments[s].column(group_col);
      if (g.null_count() < g.size()) split_by = "group";
    }
  }
  std::vector<double> bounds;
  bounds.reserve(splits.size());
  double acc = 0;
  for (const SplitSpec& s : splits) bounds.push_back(acc += s.fraction);
  // Rows of each split, in segment and row order.
  std::vector<std::vector<RowRef>> parts(splits.size());
  for (size_t s = 0; s < lv.segments.size(); ++s) {
    const Column& key = lv.segments[s].column(key_col);
    const Column& group = lv.segments[s].column(group_col);
    const auto& sel = selected[s];
    for (size_t r = 0; r < sel.size(); ++r) {
      if (!sel[r]) continue;
      const auto row = static_cast<int64_t>(r);
      const std::string_view v =
          split_by == "group" && !group.IsNull(row) ? group.String(row) : key.String(row);
      const double u = SplitPoint(v, options.seed);
      size_t k = 0;
      while (k + 1 < bounds.size() && u >= bounds[k]) ++k;
      parts[k].push_back(RowRef{static_cast<uint32_t>(s), static_cast<uint32_t>(r)});
    }
  }

  stage("write");
  // The columns not decoded yet, segment by segment: each split collects its rows.
  table::Schema rest;
  for (const Field& f : full.fields()) {
    if (lv.schema.FieldIndex(f.name) < 0) rest.AddField(f);
  }
  std::vector<Table> collected;
  collected.reserve(splits.size());
  for (size_t k = 0; k < splits.size(); ++k) collected.emplace_back(full);
  std::vector<size_t> cursor(splits.size(), 0);
  for (size_t s = 0; s < lv.segments.size(); ++s) {
    bool any = false;
    for (size_t k = 0; k < splits.size(); ++k) {
      any |= cursor[k] < parts[k].size() && parts[k][cursor[k]].seg == s;
    }
    if (!any) continue;
    Table rest_rows;
    if (rest.num_fields() > 0) {
      CAIRN_ASSIGN_OR_RETURN(rest_rows, DecodeSegment(lv.segment_bytes[s], lv.segment_ids[s], rest,
                                                      options.num_threads));
    }
    std::vector<Column> cols;
    cols.reserve(static_cast<size_t>(full.num_fields()));
    for (const Field& f : full.fields()) {
      const int at = lv.schema.FieldIndex(f.name);
      cols.push_back(at >= 0 ? std::move(lv.segments[s].mutable_column(at))
                             : std::move(rest_rows.mutable_column(rest.FieldIndex(f.name))));
    }
    CAIRN_ASSIGN_OR_RETURN(Table whole, Table::Make(full, std::move(cols)));
    const std::vector<const Table*> source = {&whole};
    for (size_t k = 0; k < splits.size(); ++k) {
      std::vector<RowRef> refs;
      while (cursor[k] < parts[k].size() && parts[k][cursor[k]].seg == s) {
        refs.push_back(RowRef{0, parts[k][cursor[k]++].row});
      }
      if (refs.empty()) continue;
      CAIRN_ASSIGN_OR_RETURN(Table t, Gather(source, full, refs, options.num_threads));
      CAIRN_RETURN_IF_ERROR(collected[k].Append(t));
    }
    lv.segments[s] = Table();
    std::string().swap(lv.segment_bytes[s]);
  }

  SnapshotInfo info;
  info.dataset = dataset;
  info.description = options.description;
  info.where = filter.ToString();
  info.as_of_commit = as_of_commit;
  info.as_of_sequence = as_of;
  info.seed = options.seed;
  info.split_by = split_by;
  info.candidates = lv.keys;
  for (size_t k = 0; k < splits.size(); ++k) {
    const Table& rows = collected[k];
    const Column& key = rows.column(kKeyCol);
    std::vector<RowRef> refs(static_cast<size_t>(rows.num_rows()));
    for (size_t i = 0; i < refs.size(); ++i) refs[i] = RowRef{0, static_cast<uint32_t>(i)};
    auto key_of = [&](RowRef r) { return key.String(r.row); };
    SortByKey(&refs, key_of, CommonKeyPrefix(key), options.num_threads);
    std::string keys;
    for (RowRef r : refs) {
      keys.append(key_of(r));
      keys.push_back('\n');
    }
    const std::vector<const Table*> source = {&rows};
    CAIRN_ASSIGN_OR_RETURN(Table t, Gather(source, full, refs, options.num_threads));
    CAIRN_ASSIGN_OR_RETURN(std::string parquet, ParquetBytes(t, options.num_threads));
    SplitInfo si;
    si.name = splits[k].name;
    si.fraction = splits[k].fraction;
    si.rows = static_cast<int64_t>(refs.size());
    CAIRN_ASSIGN_OR_RETURN(si.keys_object, ws.blobs().PutBlob(keys));
    CAIRN_ASSIGN_OR_RETURN(si.versions_object, ws.blobs().PutBlob(parquet));
    info.rows += si.rows;
    info.splits.push_back(std::move(si));
  }
  std::string idsrc = "cairn snapshot v1\n" + dataset + "\n";
  for (const SplitInfo& s : info.splits) {
    idsrc += s.name + " " + FormatFraction(s.fraction) + " " + s.keys_object + " " +
             s.versions_object + "\n";
  }
  info.id = Sha256Hex(idsrc);

  std::string def = "{\"dataset\":" + JsonString(dataset) + ",\"where\":" + JsonString(info.where) +
                    ",\"as_of_commit\":" + JsonString(as_of_commit) +
                    ",\"as_of_sequence\":" + std::to_string(as_of) +
                    ",\"seed\":" + std::to_string(options.seed) +
                    ",\"split_by\":" + JsonString(split_by) + ",\"splits\":[";
  for (size_t k = 0; k < info.splits.size(); ++k) {
    def += (k ? "," : "") + std::string("{\"name\":") + JsonString(info.splits[k].name) +
           ",\"fraction\":" + FormatFraction(info.splits[k].fraction) + "}";
  }
  def += "]}";
  info.definition = def;

  stage("commit");
  bool existed = false;
  Status st = catalog::RunInTransaction(ws.catalog(), [&](catalog::Connection& c) -> Status {
    existed = false;
    CAIRN_ASSIGN_OR_RETURN(
        QueryResult r, c.Query("SELECT id FROM snapshots WHERE id = ?", {Value::Text(info.id)}));
    if (!r.rows.empty()) {
      existed = true;
      return Status::Ok();
    }
    info.created_at = NowMicros();
    CAIRN_RETURN_IF_ERROR(
        c.Execute("INSERT INTO snapshots (id, dataset, definition, created_at, description, "
                  "as_of_sequence, as_of_commit, filter, seed, split_by, row_count) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  {Value::Text(info.id), Value::Text(dataset), Value::Text(def),
                   Value::Int64(info.created_at), Value::Text(info.description),
                   Value::Int64(as_of), Value::Text(as_of_commit), Value::Text(info.where),
                   Value::Int64(static_cast<int64_t>(options.seed)), Value::Text(split_by),
                   Value::Int64(info.rows)})
            .status());
    for (size_t k = 0; k < info.splits.size(); ++k) {
      const SplitInfo& s = info.splits[k];
      CAIRN_RETURN_IF_ERROR(
          c.Execute("INSERT INTO snapshot_splits (snapshot_id, ordinal, name, fraction, "
                    "keys_object, versions_object, row_count) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    {Value::Text(info.id), Value::Int64(static_cast<int64_t>(k)),
                     Value::Text(s.name), Value::Double(s.fraction), Value::Text(s.keys_object),
                     Value::Text(s.versions_object), Value::Int64(s.rows)})
              .status());
    }
    return Status::Ok();
  });
  if (st.code() == StatusCode::kAlreadyExists) {
    existed = true;  // created concurrently by another writer
  } else {
    CAIRN_RETURN_IF_ERROR(st);
  }
  if (existed) {
    const int64_t candidates = info.candidates;
    CAIRN_ASSIGN_OR_RETURN(info, GetSnapshot(ws, info.id));
    info.candidates = candidates;
    info.created = false;
    return info;
  }
  info.created = true;
  return info;
}

Result<SnapshotInfo> GetSnapshot(Workspace& ws, const std::string& ref) {
  if (ref.size() < 4) {
    return Status::InvalidArgument("snapshot id '" + ref +
                                   "' is too short (give at least 4 characters)");
  }
  if (!IsHexPrefix(ref)) {
    return Status::NotFound("no snapshot '" + ref + "' (snapshot ids are lowercase hex)");
  }
  CAIRN_ASSIGN_OR_RETURN(
      QueryResult r, ws.catalog().Query("SELECT " + std::string(kSnapshotColumns) +
                                            " FROM snapshots WHERE id LIKE ? ORDER BY id LIMIT 2",
                                        {Value::Text(ref + "%")}));
  if (r.rows.empty()) return Status::NotFound("no snapshot '" + ref + "'");
  if (r.rows.size() > 1) {
    return Status::InvalidArgument("snapshot id '" + ref + "' is ambiguous; give more characters");
  }
  SnapshotInfo s = SnapshotFromRow(r.rows[0]);
  CAIRN_RETURN_IF_ERROR(LoadSplits(ws.catalog(), &s));
  return s;
}

Result<std::vector<SnapshotInfo>> ListSnapshots(Workspace& ws, const std::string& dataset) {
  std::string sql = "SELECT " + std::string(kSnapshotColumns) + " FROM snapshots";
  std::vector<Value> params;
  if (!dataset.empty()) {
    sql += " WHERE dataset = ?";
    params.push_back(Value::Text(dataset));
  }
  sql += " ORDER BY created_at DESC, id";
  CAIRN_ASSIGN_OR_RETURN(QueryResult r, ws.catalog().Query(sql, params));
  std::vector<SnapshotInfo> out;
  for (const auto& row : r.rows) {
    out.push_back(SnapshotFromRow(row));
    CAIRN_RETURN_IF_ERROR(LoadSplits(ws.catalog(), &out.back()));
  }
  return out;
}

Result<table::Table> ReadSnapshotVersions(Workspace& ws, const SnapshotInfo& snap,
                                          const std::string& split) {
  if (!split.empty()) {
    CAIRN_ASSIGN_OR_RETURN(const SplitInfo* s, FindSplit(snap, split));
    return ReadParquetBlob(ws, s->versions_object, {}, 0);
  }
  Table all;
  bool first = true;
  for (const SplitInfo& s : snap.splits) {
    CAIRN_ASSIGN_OR_RETURN(Table t, ReadParquetBlob(ws, s.versions_object, {}, 0));
    Column name(DataType::String());
    name.Reserve(t.num_rows());
    for (int64_t i = 0; i < t.num_rows(); ++i) name.AppendString(s.name);
    table::Schema schema = t.schema();
    schema.AddField({"split", DataType::String(), false});
    std::vector<Column> cols = t.columns();
    cols.push_back(std::move(name));
    CAIRN_ASSIGN_OR_RETURN(Table with, Table::Make(schema, std::move(cols)));
    if (first) {
      all = std::move(with);
      first = false;
    } else {
      CAIRN_RETURN_IF_ERROR(all.Append(with));
    }
  }
  return all;
}

Result<std::string> ReadSnapshotKeys(Workspace& ws, const SnapshotInfo& snap,
                                     const std::string& split) {
  if (!split.empty()) {
    CAIRN_ASSIGN_OR_RETURN(const SplitInfo* s, FindSplit(snap, split));
    return ws.blobs().GetBlob(s->keys_object);
  }
  std::string all;
  for (const SplitInfo& s : snap.splits) {
    CAIRN_ASSIGN_OR_RETURN(std::string k, ws.blobs().GetBlob(s.keys_object));
    all += k;
  }
  return all;
}

Result<SnapshotDiff> DiffSnapshots(Workspace& ws, const SnapshotInfo& a, const SnapshotInfo& b,
                                   size_t examples) {
  struct Entry {
    std::string version;
    std::string split;
  };
  auto load = [&](const SnapshotInfo& s) -> Result<std::unordered_map<std::string, Entry>> {
    std::unordered_map<std::string, Entry> m;
    for (const SplitInfo& sp : s.splits) {
      CAIRN_ASSIGN_OR_RETURN(
          Table t, ReadParquetBlob(ws, sp.versions_object,
                                   {std::string(kKeyField), std::string(kVersionField)}, 0));
      for (int64_t r = 0; r < t.num_rows(); ++r) {
        m[std::string(t.column(0).String(r))] = {std::string(t.column(1).String(r)), sp.name};
      }
    }
    return m;
  };
  CAIRN_ASSIGN_OR_RETURN(auto ma, load(a));
  CAIRN_ASSIGN_OR_RETURN(auto mb, load(b));
  SnapshotDiff d;
  std::set<std::string> added, removed, changed, moved;
  auto note = [&](std::set<std::string>* s, const std::string& k) {
    s->insert(k);
    if (s->size() > examples) s->erase(std::prev(s->end()));
  };
  for (const auto& [k, e] : ma) {
    auto it = mb.find(k);
    if (it == mb.end()) {
      ++d.removed;
      note(&removed, k);
      continue;
    }
    const bool diff_version = it->second.version != e.version;
    const bool diff_split = it->second.split != e.split;
    if (diff_version) {
      ++d.changed;
      note(&changed, k);
    }
    if (diff_split) {
      ++d.moved;
      note(&moved, k);
    }
    if (!diff_version && !diff_split) ++d.same;
  }
  for (const auto& [k, e] : mb) {
    if (ma.count(k) == 0) {
      ++d.added;
      note(&added, k);
    }
  }
  d.added_keys.assign(added.begin(), added.end());
  d.removed_keys.assign(removed.begin(), removed.end());
  d.changed_keys.assign(changed.begin(), changed.end());
  d.moved_keys.assign(moved.begin(), moved.end());
  return d;
}

}  // namespace cairn::data
