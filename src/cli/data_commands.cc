// Commands of the training data store: init, dataset, ingest, snapshot, store verify, gc.

#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/time.h"
#include "cli/command.h"
#include "cli/output.h"
#include "data/datasets.h"
#include "data/maintenance.h"
#include "data/snapshots.h"
#include "data/workspace.h"
#include "table/io.h"

namespace cairn::cli {
namespace {

using data::Workspace;

std::string Short(const std::string& id) { return id.substr(0, 12); }

std::string Seconds(int64_t micros) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(micros) / 1e6);
  return buf;
}

// Whole seconds, for tables.
std::string Time(int64_t micros) {
  int64_t secs = micros / 1000000;
  if (micros % 1000000 < 0) --secs;
  return FormatTimestamp(secs, 0);
}

FlagSpec ThreadsFlag() {
  return {"threads", 0, true, false, "N", "worker threads (default: all cores)"};
}

Result<int> Threads(const Invocation& inv) {
  auto v = inv.args.Get("threads");
  if (!v) return 0;
  CAIRN_ASSIGN_OR_RETURN(int64_t n, ParseIntFlag("threads", *v, 0, 1024));
  return static_cast<int>(n);
}

// Parses "24h", "30m", "10s", "7d", "0" into microseconds.
Result<int64_t> ParseDuration(std::string_view flag, const std::string& text) {
  if (text.empty()) return Status::InvalidArgument("--" + std::string(flag) + ": empty duration");
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const std::string unit = text.substr(digits);
  int64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1000000;
  if (unit == "m") scale = int64_t{60} * 1000000;
  if (unit == "h") scale = int64_t{3600} * 1000000;
  if (unit == "d") scale = int64_t{86400} * 1000000;
  if (digits == 0 || digits > 9 || scale == 0) {
    return Status::InvalidArgument("--" + std::string(flag) + ": expected a duration like 24h, " +
                                   "30m, 10s or 7d, got '" + text + "'");
  }
  return std::stoll(text.substr(0, digits)) * scale;
}

// Stage messages on a terminal only, like progress bars.
std::function<void(const std::string&)> StageReporter(const Invocation& inv,
                                                      const std::string& what) {
  if (inv.err == nullptr || isatty(fileno(inv.err)) == 0) return nullptr;
  std::FILE* err = inv.err;
  return [err, what](const std::string& stage) {
    std::fprintf(err, "%s: %s...\n", what.c_str(), stage.c_str());
    std::fflush(err);
  };
}

Result<std::unique_ptr<Workspace>> OpenWorkspace(const Invocation& inv) {
  data::WorkspaceOptions o;
  if (auto g = inv.args.Get("grace")) {
    CAIRN_ASSIGN_OR_RETURN(o.blob_options.gc_grace_micros, ParseDuration("grace", *g));
  }
  return Workspace::Open(o);
}

// ---------------------------------------------------------------------------------------------
// init

int RunInit(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() > 1) return inv.UsageError("expected at most one directory");
  const std::string dir = pos.empty() ? "." : pos[0];
  auto ws = Workspace::Init(dir);
  if (!ws.ok()) return inv.Fail(ws.status());
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("root");
    j.String((*ws)->root());
    j.Key("catalog");
    j.String((*ws)->catalog_uri());
    j.Key("store");
    j.String((*ws)->store_uri());
    j.EndObject();
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, "initialised cairn workspace in " + (*ws)->root() + "\n  catalog: " +
                       (*ws)->catalog_uri() + "\n  store:   " + (*ws)->store_uri() + "\n");
  }
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// dataset

int RunDatasetCreate(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 1) return inv.UsageError("expected one dataset name");
  auto ws = OpenWorkspace(inv);
  if (!ws.ok()) return inv.Fail(ws.status());
  Status st = data::CreateDataset(**ws, pos[0], inv.args.Get("description").value_or(""));
  if (st.code() == StatusCode::kInvalidArgument) return inv.UsageError(st.message());
  if (!st.ok()) return inv.Fail(st);
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("dataset");
    j.String(pos[0]);
    j.Key("created");
    j.Bool(true);
    j.EndObject();
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, "created dataset " + pos[0] + "\n");
  }
  return kExitOk;
}

int RunDatasetList(const Invocation& inv) {
  if (!inv.args.positionals().empty()) return inv.UsageError("expected no arguments");
  auto ws = OpenWorkspace(inv);
  if (!ws.ok()) return inv.Fail(ws.status());
  auto list = data::ListDatasets(**ws);
  if (!list.ok()) return inv.Fail(list.status());
  struct Row {
    int64_t commits = 0, versions = 0;
  };
  std::vector<Row> rows;
  for (const auto& d : *list) {
    auto commits = data::ListCommits(**ws, d.name);
    if (!commits.ok()) return inv.Fail(commits.status());
    Row r;
    r.commits = static_cast<int64_t>(commits->size());
    for (const auto& c : *commits) r.versions += c.versions;
    rows.push_back(r);
  }
  if (inv.json) {
    JsonWriter j;
    j.BeginArray();
    for (size_t i = 0; i < list->size(); ++i) {
      const auto& d = (*list)[i];
      j.BeginObject();
      j.Key("name");
      j.String(d.name);
      j.Key("description");
      j.String(d.description);
      j.Key("created_at");
      j.String(Time(d.created_at));
      j.Key("commits");
      j.Int(rows[i].commits);
      j.Key("versions");
      j.Int(rows[i].versions);
      j.EndObject();
    }
    j.EndArray();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> cells;
  for (size_t i = 0; i < list->size(); ++i) {
    const auto& d = (*list)[i];
    cells.push_back({d.name, std::to_string(rows[i].commits), std::to_string(rows[i].versions),
                     Time(d.created_at), DisplayCell(d.description)});
  }
  Write(inv.out, FormatTextTable({"name", "commits", "versions", "created", "description"}, cells));
  return kExitOk;
}

// Per-tag value counts over the latest versions: the top values for strings and bools, the
// range for numbers and times.
struct TagSummary {
  std::string name;
  std::string type;
  int64_t nulls = 0;
  std::map<std::string, int64_t> counts;  // strings and bools
  bool numeric = false;
  std::string min, max;
};

int RunDatasetShow(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 1) return inv.UsageError("expected one dataset name");
  auto threads = Threads(inv);
  if (!threads.ok()) return inv.UsageError(threads.status().message());
  auto ws = OpenWorkspace(inv);
  if (!ws.ok()) return inv.Fail(ws.status());
  auto info = data::GetDataset(**ws, pos[0]);
  if (!info.ok()) return inv.Fail(info.status());
  auto head = data::HeadSequence(**ws, pos[0]);
  if (!head.ok()) return inv.Fail(head.status());
  auto lv = data::LoadLatest(**ws, pos[0], *head, *threads);
  if (!lv.ok()) return inv.Fail(lv.status());
  int64_t min_cap = INT64_MAX, max_cap = INT64_MIN, groups_null = 0;
  std::set<std::string> groups;
  std::vector<TagSummary> tags;
  for (const auto& f : lv->tags) {
    TagSummary t;
    t.name = f.name;
    t.type = f.type.ToString();
    t.numeric = f.type.kind != table::TypeKind::kString && f.type.kind != table::TypeKind::kBool;
    tags.push_back(std::move(t));
  }
  std::vector<double> tmin(tags.size(), 0), tmax(tags.size(), 0);
  std::vector<int64_t> imin(tags.size(), INT64_MAX), imax(tags.size(), INT64_MIN);
  std::vector<bool> seen(tags.size(), false);
  for (size_t s = 0; s < lv->segments.size(); ++s) {
    const table::Table& t = lv->segments[s];
    for (int64_t r = 0; r < t.num_rows(); ++r) {
      if (!lv->latest[s][static_cast<size_t>(r)]) continue;
      const int64_t cap = t.column(data::kCapturedAtCol).Int(r);
      min_cap = std::min(min_cap, cap);
      max_cap = std::max(max_cap, cap);
      const auto& g = t.column(data::kGroupCol);
      if (g.IsNull(r)) {
        ++groups_null;
      } else {
        groups.insert(std::string(g.String(r)));
      }
      for (size_t k = 0; k < tags.size(); ++k) {
        const auto& col = t.column(data::kFirstTagCol + static_cast<int>(k));
        if (col.IsNull(r)) {
          ++tags[k].nulls;
          continue;
        }
        switch (col.type().kind) {
          case table::TypeKind::kString:
            ++tags[k].counts[std::string(col.String(r))];
            break;
          case table::TypeKind::kBool:
            ++tags[k].counts[col.Bool(r) ? "true" : "false"];
            break;
          case table::TypeKind::kFloat64:
            if (!seen[k] || col.Double(r) < tmin[k]) tmin[k] = col.Double(r);
            if (!seen[k] || col.Double(r) > tmax[k]) tmax[k] = col.Double(r);
            seen[k] = true;
            break;
          case table::TypeKind::kInt64:
          case table::TypeKind::kTimestamp:
            imin[k] = std::min(imin[k], col.Int(r));
            imax[k] = std::max(imax[k], col.Int(r));
            seen[k] = true;
            break;
        }
      }
    }
  }
  for (size_t k = 0; k < tags.size(); ++k) {
    if (!seen[k]) continue;
    const auto kind = lv->tags[k].type.kind;
    if (kind == table::TypeKind::kFloat64) {
      tags[k].min = table::FormatDouble(tmin[k]);
      tags[k].max = table::FormatDouble(tmax[k]);
    } else if (kind == table::TypeKind::kTimestamp) {
      tags[k].min = FormatTimestamp(imin[k], 6);
      tags[k].max = FormatTimestamp(imax[k], 6);
    } else {
      tags[k].min = std::to_string(imin[k]);
      tags[k].max = std::to_string(imax[k]);
    }
  }
  auto top = [](const std::map<std::string, int64_t>& counts, size_t n) {
    std::vector<std::pair<std::string, int64_t>> v(counts.begin(), counts.end());
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    if (v.size() > n) v.resize(n);
    return v;
  };
  const bool has_keys = lv->keys > 0;
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("name");
    j.String(info->name);
    j.Key("description");
    j.String(info->description);
    j.Key("created_at");
    j.String(Time(info->created_at));
    j.Key("versions");
    j.Int(lv->versions);
    j.Key("keys");
    j.Int(lv->keys);
    j.Key("groups");
    j.Int(static_cast<int64_t>(groups.size()));
    j.Key("captured_at");
    if (has_keys) {
      j.BeginObject();
      j.Key("min");
      j.String(FormatTimestamp(min_cap, 6));
      j.Key("max");
      j.String(FormatTimestamp(max_cap, 6));
      j.EndObject();
    } else {
      j.Null();
    }
    j.Key("commits");
    j.BeginArray();
    for (const auto& c : lv->commits) {
      j.BeginObject();
      j.Key("id");
      j.String(c.id);
      j.Key("sequence");
      j.Int(c.sequence);
      j.Key("created_at");
      j.String(FormatTimestamp(c.created_at, 6));
      j.Key("versions");
      j.Int(c.versions);
      j.Key("message");
      j.String(c.message);
      j.Key("segments");
      j.Int(static_cast<int64_t>(c.segments.size()));
      j.EndObject();
    }
    j.EndArray();
    j.Key("tags");
    j.BeginArray();
    for (const auto& t : tags) {
      j.BeginObject();
      j.Key("name");
      j.String(t.name);
      j.Key("type");
      j.String(t.type);
      j.Key("nulls");
      j.Int(t.nulls);
      if (t.numeric) {
        j.Key("min");
        if (t.min.empty())
          j.Null();
        else
          j.String(t.min);
        j.Key("max");
        if (t.max.empty())
          j.Null();
        else
          j.String(t.max);
      } else {
        j.Key("distinct");
        j.Int(static_cast<int64_t>(t.counts.size()));
        j.Key("values");
        j.BeginObject();
        for (const auto& [v, n] : top(t.counts, 20)) {
          j.Key(v);
          j.Int(n);
        }
        j.EndObject();
      }
      j.EndObject();
    }
    j.EndArray();
    j.EndObject();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  std::string text = "dataset " + info->name + "\n";
  if (!info->description.empty()) text += "  " + info->description + "\n";
  text += "  versions: " + std::to_string(lv->versions) + "\n";
  text += "  keys:     " + std::to_string(lv->keys) + " (latest versions)\n";
  text += "  groups:   " + std::to_string(groups.size()) +
          (groups_null > 0 ? " (" + std::to_string(groups_null) + " keys without a group)" : "") +
          "\n";
  if (has_keys) {
    text +=
        "  captured: " + FormatTimestamp(min_cap, 6) + " .. " + FormatTimestamp(max_cap, 6) + "\n";
  }
  text += "\ncommits\n";
  std::vector<std::vector<std::string>> cells;
  for (const auto& c : lv->commits) {
    cells.push_back({std::to_string(c.sequence), Short(c.id), Time(c.created_at),
                     std::to_string(c.versions), DisplayCell(c.message, 40)});
  }
  text += FormatTextTable({"seq", "commit", "created", "versions", "message"}, cells);
  if (!tags.empty()) {
    text += "\ntags (over the latest versions)\n";
    cells.clear();
    for (const auto& t : tags) {
      std::string values;
      if (t.numeric) {
        if (!t.min.empty()) values = t.min + " .. " + t.max;
      } else {
        for (const auto& [v, n] : top(t.counts, 5)) {
          values += (values.empty() ? "" : ", ") + v + " " + std::to_string(n);
        }
        if (t.counts.size() > 5) values += ", ... (" + std::to_string(t.counts.size()) + " values)";
      }
      cells.push_back({t.name, t.type, std::to_string(t.nulls), DisplayCell(values, 80)});
    }
    text += FormatTextTable({"tag", "type", "nulls", "values"}, cells);
  }
  Write(inv.out, text);
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// ingest

int RunIngest(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 1) return inv.UsageError("expected one dataset name");
  auto from = inv.args.Get("from");
  if (!from) return inv.UsageError("--from FILE is required");
  data::IngestOptions o;
  o.path = *from;
  if (auto f = inv.args.Get("format")) {
    auto fmt = table::ParseFileFormat(*f);
    if (!fmt.ok()) return inv.UsageError(fmt.status().message());
    o.format = *fmt;
  }
  if (auto w = inv.args.Get("window")) {
    Status st = data::ParseWindow(*w, &o.window_start, &o.window_end);
    if (!st.ok()) return inv.UsageError("--window: " + st.message());
  }
  o.rejects_path = inv.args.Get("rejects").value_or("");
  o.message = inv.args.Get("message").value_or("");
  auto threads = Threads(inv);
  if (!threads.ok()) return inv.UsageError(threads.status().message());
  o.num_threads = *threads;
  o.on_stage = StageReporter(inv, "ingest");
  auto ws = OpenWorkspace(inv);
  if (!ws.ok()) return inv.Fail(ws.status());
  const int64_t start = NowMicros();
  auto r = data::Ingest(**ws, pos[0], o);
  if (!r.ok()) return inv.Fail(r.status());
  const int64_t took = NowMicros() - start;
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("dataset");
    j.String(r->dataset);
    j.Key("source");
    j.String(r->source);
    j.Key("rows_read");
    j.Int(r->rows_read);
    j.Key("rejected");
    j.Int(r->rejected);
    j.Key("out_of_window");
    j.Int(r->out_of_window);
    j.Key("duplicates");
    j.Int(r->duplicates);
    j.Key("unchanged");
    j.Int(r->unchanged);
    j.Key("new_versions");
    j.Int(r->new_versions);
    j.Key("commit");
    if (r->commit_id.empty())
      j.Null();
    else
      j.String(r->commit_id);
    j.Key("sequence");
    if (r->commit_id.empty())
      j.Null();
    else
      j.Int(r->sequence);
    j.Key("attempts");
    j.Int(r->attempts);
    j.Key("rejects_file");
    if (r->rejects_path.empty())
      j.Null();
    else
      j.String(r->rejects_path);
    j.Key("reject_reasons");
    j.BeginObject();
    for (const auto& [k, n] : r->reject_counts) {
      j.Key(k);
      j.Int(n);
    }
    j.EndObject();
    j.Key("seconds");
    j.Double(static_cast<double>(took) / 1e6);
    j.EndObject();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  std::string text = "read " + std::to_string(r->rows_read) + " rows from " + r->source + "\n";
  if (r->rejected > 0) {
    text +=
        "rejected " + std::to_string(r->rejected) + " rows (written to " + r->rejects_path + "):\n";
    for (const auto& [k, n] : r->reject_counts) text += "  " + k + ": " + std::to_string(n) + "\n";
    for (const auto& rj : r->first_rejects) {
      text += "  " + rj.location + ": " + rj.field + ": " + rj.reason + "\n";
    }
  }
  if (r->out_of_window > 0) {
    text += "skipped " + std::to_string(r->out_of_window) + " rows outside the window\n";
  }
  if (r->unchanged > 0 || r->duplicates > 0) {
    text += std::to_string(r->unchanged) + " rows already stored, " +
            std::to_string(r->duplicates) + " repeated in the input\n";
  }
  if (r->commit_id.empty()) {
    text += "no new versions: nothing written (" + Seconds(took) + " s)\n";
  } else {
    text += "committed " + std::to_string(r->new_versions) + " new versions to " + r->dataset +
            " as commit " + Short(r->commit_id) + " (sequence " + std::to_string(r->sequence) +
            ", " + Seconds(took) + " s)\n";
  }
  Write(inv.out, text);
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// snapshot

void SnapshotJson(const data::SnapshotInfo& s, JsonWriter* j) {
  j->BeginObject();
  j->Key("id");
  j->String(s.id);
  j->Key("dataset");
  j->String(s.dataset);
  j->Key("description");
  j->String(s.description);
  j->Key("where");
  j->String(s.where);
  j->Key("as_of_commit");
  j->String(s.as_of_commit);
  j->Key("as_of_sequence");
  j->Int(s.as_of_sequence);
  j->Key("seed");
  j->Int(static_cast<int64_t>(s.seed));
  j->Key("split_by");
  j->String(s.split_by);
  j->Key("created_at");
  j->String(FormatTimestamp(s.created_at, 6));
  j->Key("rows");
  j->Int(s.rows);
  j->Key("splits");
  j->BeginArray();
  for (const auto& sp : s.splits) {
    j->BeginObject();
    j->Key("name");
    j->String(sp.name);
    j->Key("fraction");
    j->Double(sp.fraction);
    j->Key("rows");
    j->Int(sp.rows);
    j->Key("keys_object");
    j->String(sp.keys_object);
    j->Key("versions_object");
    j->String(sp.versions_object);
    j->EndObject();
  }
  j->EndArray();
  j->EndObject();
}

std::string SnapshotText(const data::SnapshotInfo& s) {
  std::string text = "snapshot " + s.id + "\n";
  text += "  dataset:  " + s.dataset + "\n";
  if (!s.description.empty()) text += "  about:    " + s.description + "\n";
  text += "  where:    " + (s.where.empty() ? std::string("(all)") : s.where) + "\n";
  text += "  as of:    commit " + Short(s.as_of_commit) + " (sequence " +
          std::to_string(s.as_of_sequence) + ")\n";
  text += "  split by: " + s.split_by + ", seed " + std::to_string(s.seed) + "\n";
  text += "  created:  " + Time(s.created_at) + "\n";
  text += "  rows:     " + std::to_string(s.rows) + "\n";
  std::vector<std::vector<std::string>> cells;
  for (const auto& sp : s.splits) {
    cells.push_back({sp.name, table::FormatDouble(sp.fraction), std::to_string(sp.rows),
                     Short(sp.keys_object), Short(sp.versions_object)});
  }
  text += "\n" + FormatTextTable({"split", "fraction", "rows", "keys", "versions"}, cells);
  return text;
}

int RunSnapshotCreate(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 1) return inv.UsageError("expected one dataset name");
  data::SnapshotOptions o;
  o.where = inv.args.Get("where").value_or("");
  o.as_of = inv.args.Get("as-of").value_or("");
  o.description = inv.args.Get("description").value_or("");
  o.split_by = inv.args.Get("split-by").value_or("");
  if (!o.split_by.empty() && o.split_by != "key" && o.split_by != "group") {
    return inv.UsageError("--split-by: expected key or group, got '" + o.split_by + "'");
  }
  if (auto s = inv.args.Get("split")) {
    auto splits = data::ParseSplits(*s);
    if (!splits.ok()) return inv.UsageError("--split: " + splits.status().message());
    o.splits = *splits;
  }
  if (auto s = inv.args.Get("seed")) {
    auto seed = ParseIntFlag("seed", *s, 0, INT64_MAX);
    if (!seed.ok()) return inv.UsageError(seed.status().message());
    o.seed = static_cast<uint64_t>(*seed);
  }
  auto threads = Threads(inv);
  if (!threads.ok()) return inv.UsageError(threads.status().message());
  o.num_threads = *threads;
  o.on_stage = StageReporter(inv, "snapshot");
  auto ws = OpenWorkspace(inv);
  if (!ws.ok()) return inv.Fail(ws.status());
  const int64_t start = NowMicros();
  auto s = data::CreateSnapshot(**ws, pos[0], o);
  if (!s.ok()) {
    if (s.status().message().starts_with("filter:")) return inv.UsageError(s.status().message());
    return inv.Fail(s.status());
  }
  if (inv.json) {
    JsonWriter j;
    SnapshotJson(*s, &j);
    std::string doc = j.str();
    // Add what only creation knows.
    doc.pop_back();
    doc += ",\"created\":" + std::string(s->created ? "true" : "false") +
           ",\"candidates\":" + std::to_string(s->candidates) +
           ",\"seconds\":" + table::FormatDouble(static_cast<double>(NowMicros() - start) / 1e6) +
           "}";
    Write(inv.out, doc + "\n");
    return kExitOk;
  }
  std::string text = s->created ? "created " : "already exists: ";
  text += SnapshotText(*s);
  if (s->rows == 0) text += "\nwarning: the snapshot selects no examples\n";
  Write(inv.out, text);
  return kExitOk;
}

int RunSnapshotShow(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 1) return inv.UsageError("expected one snapshot id");
  auto ws = OpenWorkspace(inv);
  if (!ws.ok()) return inv.Fail(ws.status());
  auto s = data::GetSnapshot(**ws, pos[0]);
  if (!s.ok()) return inv.Fail(s.status());
  if (inv.json) {
    JsonWriter j;
    SnapshotJson(*s, &j);
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, SnapshotText(*s));
  }
  return kExitOk;
}

int RunSnapshotList(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() > 1) return inv.UsageError("expected at most one dataset name");
  auto ws = OpenWorkspace(inv);
  if (!ws.ok()) return inv.Fail(ws.status());
  const std::string dataset = pos.empty() ? "" : pos[0];
  if (!dataset.empty()) {
    auto d = data::GetDataset(**ws, dataset);
    if (!d.ok()) return inv.Fail(d.status());
  }
  auto list = data::ListSnapshots(**ws, dataset);
  if (!list.ok()) return inv.Fail(list.status());
  if (inv.json) {
    JsonWriter j;
    j.BeginArray();
    for (const auto& s : *list) SnapshotJson(s, &j);
    j.EndArray();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& s : *list) {
    std::string splits;
    for (const auto& sp : s.splits) {
      splits += (splits.empty() ? "" : " ") + sp.name + "=" + std::to_string(sp.rows);
    }
    cells.push_back({Short(s.id), s.dataset, Time(s.created_at), std::to_string(s.rows), splits,
                     DisplayCell(s.description, 40)});
  }
  Write(inv.out,
        FormatTextTable({"id", "dataset", "created", "rows", "splits", "description"}, cells));
  return kExitOk;
}

int RunSnapshotExport(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 1) return inv.UsageError("expected one snapshot id");
  auto out = inv.args.Get("output");
  if (!out) return inv.UsageError("-o/--output FILE is required");
  std::string format = inv.args.Get("format").value_or("");
  if (format.empty()) {
    if (out->ends_with(".txt")) {
      format = "txt";
    } else {
      auto f = table::FileFormatFromPath(*out);
      if (!f.ok()) return inv.UsageError("--format is needed: " + f.status().message());
      format = std::string(table::FileFormatName(*f));
    }
  }
  const std::string split = inv.args.Get("split").value_or("");
  auto ws = OpenWorkspace(inv);
  if (!ws.ok()) return inv.Fail(ws.status());
  auto s = data::GetSnapshot(**ws, pos[0]);
  if (!s.ok()) return inv.Fail(s.status());
  int64_t rows = 0;
  if (format == "txt") {
    auto keys = data::ReadSnapshotKeys(**ws, *s, split);
    if (!keys.ok()) return inv.Fail(keys.status());
    for (char c : *keys) rows += c == '\n';
    auto file = OpenWritableFile(*out);
    if (!file.ok()) return inv.Fail(file.status());
    Status st = (*file)->Append(*keys);
    if (st.ok()) st = (*file)->Close();
    if (!st.ok()) return inv.Fail(st);
  } else {
    auto fmt = table::ParseFileFormat(format);
    if (!fmt.ok()) return inv.UsageError("--format: expected txt, csv, jsonl or parquet");
    auto t = data::ReadSnapshotVersions(**ws, *s, split);
    if (!t.ok()) return inv.Fail(t.status());
    rows = t->num_rows();
    table::WriteOptions wo;
    wo.format = *fmt;
    Status st = table::WriteTable(*out, *t, wo);
    if (!st.ok()) return inv.Fail(st);
  }
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("snapshot");
    j.String(s->id);
    j.Key("split");
    if (split.empty())
      j.Null();
    else
      j.String(split);
    j.Key("format");
    j.String(format);
    j.Key("output");
    j.String(*out);
    j.Key("rows");
    j.Int(rows);
    j.EndObject();
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, "wrote " + std::to_string(rows) + " rows of snapshot " + Short(s->id) +
                       (split.empty() ? "" : " split " + split) + " to " + *out + " (" + format +
                       ")\n");
  }
  return kExitOk;
}

int RunSnapshotDiff(const Invocation& inv) {
  const auto& pos = inv.args.positionals();
  if (pos.size() != 2) return inv.UsageError("expected two snapshot ids");
  auto ws = OpenWorkspace(inv);
  if (!ws.ok()) return inv.Fail(ws.status());
  auto a = data::GetSnapshot(**ws, pos[0]);
  if (!a.ok()) return inv.Fail(a.status());
  auto b = data::GetSnapshot(**ws, pos[1]);
  if (!b.ok()) return inv.Fail(b.status());
  auto d = data::DiffSnapshots(**ws, *a, *b);
  if (!d.ok()) return inv.Fail(d.status());
  const std::pair<const char*, const std::vector<std::string>*> lists[] = {
      {"added", &d->added_keys},
      {"removed", &d->removed_keys},
      {"changed", &d->changed_keys},
      {"moved", &d->moved_keys}};
  const int64_t counts[] = {d->added, d->removed, d->changed, d->moved};
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("from");
    j.String(a->id);
    j.Key("to");
    j.String(b->id);
    j.Key("same");
    j.Int(d->same);
    for (size_t i = 0; i < 4; ++i) {
      j.Key(lists[i].first);
      j.Int(counts[i]);
    }
    j.Key("examples");
    j.BeginObject();
    for (const auto& [name, keys] : lists) {
      j.Key(name);
      j.BeginArray();
      for (const auto& k : *keys) j.String(k);
      j.EndArray();
    }
    j.EndObject();
    j.EndObject();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  std::string text = "from " + Short(a->id) + " to " + Short(b->id) + "\n";
  text += "  same:    " + std::to_string(d->same) + "\n";
  for (size_t i = 0; i < 4; ++i) {
    text += "  " + std::string(lists[i].first) + ":" +
            std::string(8 - std::string(lists[i].first).size(), ' ') + std::to_string(counts[i]);
    if (!lists[i].second->empty()) {
      text += "  (";
      for (size_t k = 0; k < lists[i].second->size() && k < 5; ++k) {
        text += (k ? ", " : "") + (*lists[i].second)[k];
      }
      text += counts[i] > 5 ? ", ...)" : ")";
    }
    text += "\n";
  }
  Write(inv.out, text);
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// store verify, gc

int RunStoreVerify(const Invocation& inv) {
  if (!inv.args.positionals().empty()) return inv.UsageError("expected no arguments");
  auto ws = OpenWorkspace(inv);
  if (!ws.ok()) return inv.Fail(ws.status());
  auto r = data::VerifyStore(**ws);
  if (!r.ok()) return inv.Fail(r.status());
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("ok");
    j.Bool(r->ok());
    j.Key("checked");
    j.Int(r->blobs.checked);
    j.Key("referenced");
    j.Int(r->referenced);
    for (const auto& [name, list] :
         {std::pair<const char*, const std::vector<std::string>*>{"corrupt", &r->blobs.corrupt},
          {"missing", &r->blobs.missing},
          {"corrupt_unreferenced", &r->corrupt_unreferenced},
          {"stray", &r->blobs.stray}}) {
      j.Key(name);
      j.BeginArray();
      for (const auto& id : *list) j.String(id);
      j.EndArray();
    }
    j.EndObject();
    Write(inv.out, j.str() + "\n");
  } else {
    std::string text = "checked " + std::to_string(r->blobs.checked) + " blobs (" +
                       std::to_string(r->referenced) + " referenced by the catalog)\n";
    for (const auto& id : r->blobs.corrupt) text += "  corrupt: " + id + "\n";
    for (const auto& id : r->blobs.missing) text += "  missing: " + id + "\n";
    for (const auto& id : r->corrupt_unreferenced) {
      text += "  corrupt but unreferenced (an interrupted upload; gc removes it): " + id + "\n";
    }
    for (const auto& k : r->blobs.stray) text += "  stray object: " + k + "\n";
    text += r->ok() ? "store ok\n" : "store damaged\n";
    Write(inv.out, text);
  }
  return r->ok() ? kExitOk : kExitFailure;
}

int RunGc(const Invocation& inv) {
  if (!inv.args.positionals().empty()) return inv.UsageError("expected no arguments");
  if (auto g = inv.args.Get("grace")) {
    auto d = ParseDuration("grace", *g);
    if (!d.ok()) return inv.UsageError(d.status().message());
  }
  auto ws = OpenWorkspace(inv);
  if (!ws.ok()) return inv.Fail(ws.status());
  const bool dry = inv.args.Has("dry-run");
  auto r = data::CollectGarbage(**ws, dry);
  if (!r.ok()) return inv.Fail(r.status());
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("dry_run");
    j.Bool(dry);
    j.Key("removed");
    j.Int(static_cast<int64_t>(r->removed.size()));
    j.Key("removed_bytes");
    j.Int(r->removed_bytes);
    j.Key("kept_live");
    j.Int(r->kept_live);
    j.Key("kept_recent");
    j.Int(r->kept_recent);
    j.Key("removed_temporary_bytes");
    j.Int(r->removed_temporary_bytes);
    j.Key("removed_ids");
    j.BeginArray();
    for (const auto& b : r->removed) j.String(b.id);
    j.EndArray();
    j.EndObject();
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out,
          std::string(dry ? "would remove " : "removed ") + std::to_string(r->removed.size()) +
              " unreferenced blobs (" + std::to_string(r->removed_bytes) + " bytes); kept " +
              std::to_string(r->kept_live) + " referenced and " + std::to_string(r->kept_recent) +
              " unreferenced blobs younger than the grace period" +
              (r->removed_temporary_bytes > 0
                   ? "; removed " + std::to_string(r->removed_temporary_bytes) +
                         " bytes of unfinished writes"
                   : std::string()) +
              "\n");
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> DataCommands() {
  const FlagSpec threads = ThreadsFlag();
  std::vector<Command> c;
  c.push_back({"init",
               "",
               "create a cairn workspace (.cairn/ with a catalog and object store)",
               "[DIR]",
               "Creates DIR/.cairn (DIR defaults to the current directory) holding the SQLite "
               "catalog (catalog.db) and the object store (objects/). CAIRN_CATALOG (e.g. "
               "postgresql://user@host/db) and CAIRN_STORE (e.g. s3://bucket/prefix) replace "
               "either. Running it again only brings the catalog schema up to date.",
               {},
               RunInit});
  c.push_back({"dataset",
               "create",
               "create a dataset",
               "NAME",
               "NAME: letters, digits, '_', '.' and '-'.",
               {{"description", 0, true, false, "TEXT", "what the dataset holds"}},
               RunDatasetCreate});
  c.push_back({"dataset",
               "list",
               "list datasets with their commit and version counts",
               "",
               "",
               {},
               RunDatasetList});
  c.push_back({"dataset",
               "show",
               "show a dataset: versions, keys, commits, tags, time range",
               "NAME",
               "Reads every segment of the dataset to count its latest versions and summarise "
               "their tags (top values of string and bool tags, ranges of numbers and times).",
               {threads},
               RunDatasetShow});
  c.push_back(
      {"ingest",
       "",
       "add example records from a file to a dataset",
       "DATASET --from FILE",
       "Reads CSV, JSON Lines or Parquet records (key, frame, annotation, captured_at, "
       "labeled_at, group, tags.<name>; see docs/data-model.md). Rows with a missing or "
       "unparsable required field are rejected: counted, listed and written to the rejects "
       "file, while the valid rows still commit. A row identical to a stored version (or to an "
       "earlier row of the file) is not stored again, so running the same ingest twice writes "
       "nothing the second time. With --window only rows with START <= captured_at < END are "
       "taken.",
       {{"from", 0, true, false, "FILE", "the records to ingest (required)"},
        {"format", 0, true, false, "FMT", "csv, jsonl or parquet (default: from the extension)"},
        {"window", 0, true, false, "START..END", "only rows captured in [START, END)"},
        {"rejects", 0, true, false, "FILE",
         "where rejected rows are described (default: FILE.rejects.jsonl)"},
        {"message", 'm', true, false, "TEXT", "a message stored with the commit"},
        threads},
       RunIngest});
  c.push_back(
      {"snapshot",
       "create",
       "cut an immutable, split selection of a dataset",
       "DATASET",
       "Takes the latest version of every key as of --as-of (default: the latest commit), "
       "then keeps those matching --where (docs/filter.md), then splits them by a seeded hash "
       "of the group (or key), so adding data never moves an example to another split. The "
       "id is the hash of the selection: the same selection gives the same id and stores "
       "nothing new.",
       {{"where", 'w', true, false, "EXPR", "filter, e.g. \"tags.weather = 'rain'\""},
        {"split", 0, true, false, "NAME=F,...", "split fractions (default: all=1)"},
        {"seed", 0, true, false, "N", "split seed (default 0)"},
        {"split-by", 0, true, false, "key|group",
         "hash the key or the group (default: group when the dataset has groups)"},
        {"as-of", 0, true, false, "COMMIT|TIME", "a commit id (prefix) or a timestamp"},
        {"description", 0, true, false, "TEXT", "what the snapshot is for"},
        threads},
       RunSnapshotCreate});
  c.push_back({"snapshot",
               "show",
               "show a snapshot's definition and splits",
               "ID",
               "",
               {},
               RunSnapshotShow});
  c.push_back(
      {"snapshot", "list", "list snapshots, newest first", "[DATASET]", "", {}, RunSnapshotList});
  c.push_back(
      {"snapshot",
       "export",
       "write a snapshot split as a key list or a table",
       "ID -o FILE",
       "txt writes the key list (one key per line); csv, jsonl and parquet write the selected "
       "versions. Without --split every split is written, tables with a `split` column.",
       {{"split", 0, true, false, "NAME", "the split to write (default: all)"},
        {"format", 0, true, false, "FMT", "txt, csv, jsonl or parquet (default: from -o)"},
        {"output", 'o', true, false, "FILE", "where to write (required)"}},
       RunSnapshotExport});
  c.push_back({"snapshot",
               "diff",
               "compare two snapshots key by key",
               "ID1 ID2",
               "Counts keys added, removed, with another version, and moved to another split.",
               {},
               RunSnapshotDiff});
  c.push_back({"store",
               "verify",
               "re-hash every stored object and check catalog references",
               "",
               "Exit status 1 when an object is corrupt or a referenced object is missing.",
               {},
               RunStoreVerify});
  c.push_back(
      {"gc",
       "",
       "delete stored objects that nothing references",
       "",
       "Removes objects left by interrupted writes. Objects younger than the grace period are "
       "kept, so a writer that has uploaded but not yet committed is safe.",
       {{"dry-run", 'n', false, false, "", "only report what would be removed"},
        {"grace", 0, true, false, "DURATION", "keep objects younger than this (default 24h)"}},
       RunGc});
  return c;
}

}  // namespace cairn::cli
