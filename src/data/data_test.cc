// The training data store's semantics: records and rejects, versions, latest wins, windows,
// snapshots (dedup before filter, stable seeded splits, content ids), concurrency and GC.
// Expected values are worked out by hand from the records each test writes.

#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/time.h"
#include "data/datasets.h"
#include "data/maintenance.h"
#include "data/snapshots.h"
#include "data/test_workspace.h"
#include "table/io.h"

namespace cairn::data {
namespace {

namespace fs = std::filesystem;
using testing::TestWorkspace;

class DataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tw_.status().ok()) << tw_.status().ToString();
    ASSERT_TRUE(CreateDataset(ws(), "road", "front camera").ok());
  }
  Workspace& ws() { return tw_.ws(); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (fs::path(tw_.dir()) / name).string();
    std::ofstream(path) << text;
    return path;
  }

  IngestReport MustIngest(const std::string& path, IngestOptions o = {}) {
    o.path = path;
    auto r = Ingest(ws(), "road", o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : IngestReport{};
  }

  SnapshotInfo MustSnapshot(const SnapshotOptions& o = {}) {
    auto s = CreateSnapshot(ws(), "road", o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : SnapshotInfo{};
  }

  // key -> annotation of the selected versions of one split ("" = all splits).
  std::map<std::string, std::string> Annotations(const SnapshotInfo& s,
                                                 const std::string& split = "") {
    std::map<std::string, std::string> out;
    auto t = ReadSnapshotVersions(ws(), s, split);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    if (!t.ok()) return out;
    for (int64_t r = 0; r < t->num_rows(); ++r) {
      const auto& a = t->column(kAnnotationCol);
      out[std::string(t->column(kKeyCol).String(r))] = a.IsNull(r) ? "" : std::string(a.String(r));
    }
    return out;
  }

  // key -> split name.
  std::map<std::string, std::string> SplitOf(const SnapshotInfo& s) {
    std::map<std::string, std::string> out;
    for (const auto& sp : s.splits) {
      auto keys = ReadSnapshotKeys(ws(), s, sp.name);
      EXPECT_TRUE(keys.ok());
      std::istringstream in(*keys);
      std::vector<std::string> lines;
      for (std::string k; std::getline(in, k);) {
        out[k] = sp.name;
        lines.push_back(k);
      }
      // Key lists are sorted bytewise.
      EXPECT_TRUE(std::is_sorted(lines.begin(), lines.end())) << sp.name;
    }
    return out;
  }

  TestWorkspace tw_;
};

std::string Rec(const std::string& key, const std::string& captured,
                const std::string& extra = "") {
  return "{\"key\":\"" + key + "\",\"frame\":\"s3://frames/" + key + ".jpg\",\"captured_at\":\"" +
         captured + "\"" + extra + "}\n";
}

TEST_F(DataTest, RejectsNameLineFieldAndReasonWhileValidRowsCommit) {
  const std::string path = Write(
      "in.jsonl",
      "{\"key\":\"a\",\"frame\":\"f/a\",\"captured_at\":\"2021-06-01T00:00:00Z\","
      "\"tags\":{\"weather\":\"rain\"}}\n"
      "\n"
      "{\"frame\":\"f/b\",\"captured_at\":\"2021-06-02T00:00:00Z\"}\n"
      "{\"key\":\"c\",\"captured_at\":\"2021-06-02T00:00:00Z\"}\n"
      "{\"key\":\"d\",\"frame\":\"f/d\",\"captured_at\":\"yesterday\"}\n"
      "{\"key\":\"e\",\"frame\":\"f/e\"}\n"
      "{\"key\":\"f\",\"frame\":\"f/f\",\"captured_at\":\"2021-06-03\",\"labeled_at\":\"soon\"}\n"
      "{\"key\":\"g\",\"frame\":\"f/g\",\"captured_at\":\"2021-06-03T10:00:00+02:00\"}\n");
  IngestReport r = MustIngest(path);
  EXPECT_EQ(r.rows_read, 7);
  EXPECT_EQ(r.rejected, 5);
  EXPECT_EQ(r.new_versions, 2);
  EXPECT_FALSE(r.commit_id.empty());
  ASSERT_EQ(r.first_rejects.size(), 5u);
  EXPECT_EQ(r.first_rejects[0].location, path + ":3");
  EXPECT_EQ(r.first_rejects[0].field, "key");
  EXPECT_EQ(r.first_rejects[1].location, path + ":4");
  EXPECT_EQ(r.first_rejects[1].field, "frame");
  EXPECT_EQ(r.first_rejects[2].location, path + ":5");
  EXPECT_EQ(r.first_rejects[2].field, "captured_at");
  EXPECT_NE(r.first_rejects[2].reason.find("'yesterday'"), std::string::npos);
  EXPECT_EQ(r.first_rejects[3].location, path + ":6");
  EXPECT_EQ(r.first_rejects[3].reason, "missing");
  EXPECT_EQ(r.first_rejects[4].location, path + ":7");
  EXPECT_EQ(r.first_rejects[4].field, "labeled_at");
  EXPECT_EQ(r.reject_counts["captured_at: missing"], 1);
  EXPECT_EQ(r.reject_counts["captured_at: not a timestamp"], 1);
  // The rejects file: one JSON object per rejected row.
  ASSERT_EQ(r.rejects_path, path + ".rejects.jsonl");
  std::ifstream in(r.rejects_path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_NE(lines[2].find("\"line\":5"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("\"key\":\"d\""), std::string::npos) << lines[2];
  // g was captured at 08:00 UTC.
  SnapshotInfo s = MustSnapshot();
  auto t = ReadSnapshotVersions(ws(), s, "all");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->num_rows(), 2);
  EXPECT_EQ(t->column(kKeyCol).String(1), "g");
  EXPECT_EQ(t->column(kCapturedAtCol).Int(1), *ParseTimestampMicros("2021-06-03T08:00:00Z"));
}

TEST_F(DataTest, CsvRejectLinesCountQuotedLineBreaks) {
  const std::string path = Write("in.csv",
                                 "key,frame,captured_at,tags.note\n"
                                 "a,f/a,2021-06-01,\"two\nlines\"\n"
                                 ",f/b,2021-06-01,x\n"
                                 "c,f/c,2021-13-01,y\n");
  IngestReport r = MustIngest(path);
  EXPECT_EQ(r.new_versions, 1);
  ASSERT_EQ(r.first_rejects.size(), 2u);
  EXPECT_EQ(r.first_rejects[0].location, path + ":4");
  EXPECT_EQ(r.first_rejects[1].location, path + ":5");
  EXPECT_EQ(r.first_rejects[1].field, "captured_at");
}

TEST_F(DataTest, UnknownColumnFailsWholeFileAndStoresNothing) {
  const std::string path = Write("in.csv", "key,frame,captured_at,weather\na,f,2021-06-01,rain\n");
  IngestOptions o;
  o.path = path;
  auto r = Ingest(ws(), "road", o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'weather'"), std::string::npos);
  EXPECT_NE(r.status().message().find("tags.<name>"), std::string::npos);
  auto commits = ListCommits(ws(), "road");
  ASSERT_TRUE(commits.ok());
  EXPECT_TRUE(commits->empty());
}

TEST_F(DataTest, IngestingTheSameRecordsAgainWritesNothing) {
  const std::string path =
      Write("in.jsonl", Rec("a", "2021-06-01T00:00:00Z") + Rec("b", "2021-06-01T00:00:00Z") +
                            Rec("a", "2021-06-01T00:00:00Z"));
  IngestReport first = MustIngest(path);
  EXPECT_EQ(first.new_versions, 2);
  EXPECT_EQ(first.duplicates, 1);
  auto blobs = ws().blobs().ListBlobs();
  ASSERT_TRUE(blobs.ok());
  IngestReport again = MustIngest(path);
  EXPECT_EQ(again.new_versions, 0);
  EXPECT_EQ(again.unchanged, 3);
  EXPECT_TRUE(again.commit_id.empty());
  auto commits = ListCommits(ws(), "road");
  ASSERT_TRUE(commits.ok());
  EXPECT_EQ(commits->size(), 1u);
  auto blobs2 = ws().blobs().ListBlobs();
  ASSERT_TRUE(blobs2.ok());
  EXPECT_EQ(blobs2->size(), blobs->size());
}

TEST_F(DataTest, SmallBatchesAndSegmentsGiveTheSameResult) {
  // 40 lines: keys k0..k29, then k0..k9 again (identical), with a bad row at line 23.
  std::string text;
  for (int i = 0; i < 30; ++i) {
    text += i == 22 ? "{\"key\":\"bad\",\"frame\":\"f\",\"captured_at\":\"never\"}\n"
                    : Rec("k" + std::to_string(i), "2021-06-01T00:00:00Z");
  }
  for (int i = 0; i < 10; ++i) text += Rec("k" + std::to_string(i), "2021-06-01T00:00:00Z");
  IngestOptions o;
  o.batch_rows = 7;
  o.segment_rows = 10;
  const std::string path = Write("in.jsonl", text);
  IngestReport r = MustIngest(path, o);
  EXPECT_EQ(r.rows_read, 40);
  EXPECT_EQ(r.rejected, 1);
  EXPECT_EQ(r.duplicates, 10);
  EXPECT_EQ(r.new_versions, 29);
  ASSERT_EQ(r.first_rejects.size(), 1u);
  EXPECT_EQ(r.first_rejects[0].location, path + ":23");
  auto commits = ListCommits(ws(), "road");
  ASSERT_TRUE(commits.ok());
  ASSERT_EQ(commits->size(), 1u);
  EXPECT_EQ(commits->at(0).segments.size(), 3u);  // 10 + 10 + 9 rows
  EXPECT_EQ(commits->at(0).versions, 29);
  EXPECT_EQ(MustSnapshot().rows, 29);
}

TEST_F(DataTest, ANullTagIsTheSameVersionAsAnAbsentOne) {
  MustIngest(Write("a.jsonl", Rec("a", "2021-06-01T00:00:00Z")));
  IngestReport r = MustIngest(Write(
      "b.csv", "key,frame,captured_at,tags.weather\na,s3://frames/a.jpg,2021-06-01T00:00:00Z,\n"));
  EXPECT_EQ(r.unchanged, 1);
  EXPECT_EQ(r.new_versions, 0);
}

TEST_F(DataTest, LatestWinsByLabeledAtThenCommitTimeThenLaterCommit) {
  MustIngest(
      Write("c1.jsonl", Rec("a", "2021-06-01T00:00:00Z",
                            ",\"annotation\":\"a1\",\"labeled_at\":\"2021-07-01T00:00:00Z\"") +
                            Rec("b", "2021-06-01T00:00:00Z",
                                ",\"annotation\":\"b1\",\"labeled_at\":\"2021-07-05T00:00:00Z\"") +
                            Rec("c", "2021-06-01T00:00:00Z", ",\"annotation\":\"c1\"") +
                            Rec("d", "2021-06-01T00:00:00Z",
                                ",\"annotation\":\"d1\",\"labeled_at\":\"2021-07-01T00:00:00Z\"")));
  IngestReport r2 = MustIngest(
      Write("c2.jsonl", Rec("a", "2021-06-01T00:00:00Z",
                            ",\"annotation\":\"a2\",\"labeled_at\":\"2021-07-02T00:00:00Z\"") +
                            Rec("b", "2021-06-01T00:00:00Z",
                                ",\"annotation\":\"b0\",\"labeled_at\":\"2021-07-04T00:00:00Z\"") +
                            Rec("c", "2021-06-01T00:00:00Z",
                                ",\"annotation\":\"c2\",\"labeled_at\":\"2021-07-10T00:00:00Z\"") +
                            Rec("d", "2021-06-01T00:00:00Z",
                                ",\"annotation\":\"d2\",\"labeled_at\":\"2021-07-01T00:00:00Z\"")));
  EXPECT_EQ(r2.new_versions, 4);
  SnapshotInfo s = MustSnapshot();
  // a: later labeled_at wins. b: the first commit's label is newer. c: the unlabelled
  // version counts its commit time (today), later than 2021-07-10. d: a tie, later commit.
  std::map<std::string, std::string> want = {{"a", "a2"}, {"b", "b1"}, {"c", "c1"}, {"d", "d2"}};
  EXPECT_EQ(Annotations(s), want);
  auto head = HeadSequence(ws(), "road");
  ASSERT_TRUE(head.ok());
  auto lv = LoadLatest(ws(), "road", *head, 0);
  ASSERT_TRUE(lv.ok());
  EXPECT_EQ(lv->versions, 8);
  EXPECT_EQ(lv->keys, 4);
}

TEST_F(DataTest, ASupersededVersionNeverLeaksThroughTheFilter) {
  IngestReport c1 = MustIngest(Write(
      "c1.jsonl", Rec("x", "2021-06-01T00:00:00Z",
                      ",\"labeled_at\":\"2021-07-01T00:00:00Z\",\"tags\":{\"weather\":\"rain\"}") +
                      Rec("y", "2021-06-01T00:00:00Z", ",\"tags\":{\"weather\":\"rain\"}")));
  MustIngest(Write("c2.jsonl", Rec("x", "2021-06-01T00:00:00Z",
                                   ",\"labeled_at\":\"2021-07-02T00:00:00Z\","
                                   "\"tags\":{\"weather\":\"sun\"}")));
  SnapshotOptions o;
  o.where = "tags.weather = 'rain'";
  SnapshotInfo now = MustSnapshot(o);
  EXPECT_EQ(Annotations(now).size(), 1u);
  EXPECT_EQ(Annotations(now).count("y"), 1u);
  o.as_of = c1.commit_id.substr(0, 10);
  SnapshotInfo then = MustSnapshot(o);
  EXPECT_EQ(Annotations(then).size(), 2u);
  EXPECT_EQ(then.as_of_sequence, 1);
  EXPECT_NE(then.id, now.id);
}

TEST_F(DataTest, AsOfATimeTakesTheCommitsMadeBy) {
  MustIngest(Write("c1.jsonl", Rec("a", "2021-06-01T00:00:00Z")));
  const int64_t between = NowMicros();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  MustIngest(Write("c2.jsonl", Rec("b", "2021-06-01T00:00:00Z")));
  SnapshotOptions o;
  o.as_of = FormatTimestamp(between, 6);
  SnapshotInfo s = MustSnapshot(o);
  EXPECT_EQ(s.rows, 1);
  EXPECT_EQ(s.as_of_sequence, 1);
  o.as_of = "2000-01-01";
  EXPECT_FALSE(CreateSnapshot(ws(), "road", o).ok());
}

TEST_F(DataTest, WindowTakesOnlyItsRecordsAndRerunsChangeNothing) {
  MustIngest(Write("may.jsonl", Rec("old", "2021-05-20T00:00:00Z", ",\"annotation\":\"keep\"")));
  const std::string path =
      Write("in.jsonl", Rec("old", "2021-05-20T00:00:00Z", ",\"annotation\":\"other\"") +
                            Rec("j1", "2021-06-01T00:00:00Z") + Rec("j2", "2021-06-30T23:59:59Z") +
                            Rec("jul", "2021-07-01T00:00:00Z"));
  IngestOptions o;
  ASSERT_TRUE(ParseWindow("2021-06-01..2021-07-01", &o.window_start, &o.window_end).ok());
  IngestReport r = MustIngest(path, o);
  EXPECT_EQ(r.out_of_window, 2);
  EXPECT_EQ(r.new_versions, 2);
  IngestReport again = MustIngest(path, o);
  EXPECT_EQ(again.new_versions, 0);
  EXPECT_EQ(again.unchanged, 2);
  EXPECT_TRUE(again.commit_id.empty());
  SnapshotInfo s = MustSnapshot();
  std::map<std::string, std::string> want = {{"old", "keep"}, {"j1", ""}, {"j2", ""}};
  EXPECT_EQ(Annotations(s), want);
}

TEST_F(DataTest, ParseWindowChecksBothSides) {
  std::optional<int64_t> a, b;
  EXPECT_FALSE(ParseWindow("2021-06-01", &a, &b).ok());
  EXPECT_FALSE(ParseWindow("2021-06-01..June", &a, &b).ok());
  EXPECT_FALSE(ParseWindow("2021-07-01..2021-06-01", &a, &b).ok());
  a.reset();
  b.reset();
  ASSERT_TRUE(ParseWindow("..2021-06-01", &a, &b).ok());
  EXPECT_FALSE(a.has_value());
  EXPECT_EQ(*b, *ParseTimestampMicros("2021-06-01T00:00:00Z"));
}

TEST_F(DataTest, SplitsAreSeededHashesThatAddingDataNeverMoves) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += Rec("k" + std::to_string(i), "2021-06-01T00:00:00Z");
  MustIngest(Write("a.jsonl", text));
  SnapshotOptions o;
  auto splits = ParseSplits("train=0.8,val=0.1,test=0.1");
  ASSERT_TRUE(splits.ok());
  o.splits = *splits;
  o.seed = 7;
  SnapshotInfo s1 = MustSnapshot(o);
  EXPECT_EQ(s1.split_by, "key");
  auto before = SplitOf(s1);
  ASSERT_EQ(before.size(), 1000u);
  // The documented rule: u = (XXH3_64(key, seed) >> 11) / 2^53 against cumulative fractions.
  for (const auto& [k, split] : before) {
    const double u =
        static_cast<double>(XXH3_64bits_withSeed(k.data(), k.size(), 7) >> 11) * 0x1.0p-53;
    const std::string want = u < 0.8 ? "train" : u < 0.9 ? "val" : "test";
    ASSERT_EQ(split, want) << k;
  }
  // 800 expected in train; the binomial standard deviation is about 12.6.
  EXPECT_NEAR(static_cast<double>(s1.splits[0].rows), 800, 60);
  text.clear();
  for (int i = 1000; i < 1500; ++i) text += Rec("k" + std::to_string(i), "2021-06-01T00:00:00Z");
  MustIngest(Write("b.jsonl", text));
  SnapshotInfo s2 = MustSnapshot(o);
  auto after = SplitOf(s2);
  EXPECT_EQ(after.size(), 1500u);
  for (const auto& [k, split] : before) EXPECT_EQ(after[k], split) << k;
  // Another seed moves some keys.
  o.seed = 8;
  auto other = SplitOf(MustSnapshot(o));
  int moved = 0;
  for (const auto& [k, split] : before) moved += other[k] != split;
  EXPECT_GT(moved, 100);
}

TEST_F(DataTest, GroupsNeverStraddleSplits) {
  std::string text;
  for (int i = 0; i < 400; ++i) {
    text += Rec("k" + std::to_string(i), "2021-06-01T00:00:00Z",
                ",\"group\":\"drive" + std::to_string(i % 20) + "\"");
  }
  MustIngest(Write("a.jsonl", text));
  SnapshotOptions o;
  o.splits = *ParseSplits("train=0.5,test=0.5");
  SnapshotInfo s = MustSnapshot(o);
  EXPECT_EQ(s.split_by, "group");
  auto split = SplitOf(s);
  std::map<std::string, std::set<std::string>> per_group;
  for (int i = 0; i < 400; ++i) {
    per_group["drive" + std::to_string(i % 20)].insert(split["k" + std::to_string(i)]);
  }
  for (const auto& [g, names] : per_group) EXPECT_EQ(names.size(), 1u) << g;
  o.split_by = "key";
  auto by_key = SplitOf(MustSnapshot(o));
  std::map<std::string, std::set<std::string>> per_group_key;
  for (int i = 0; i < 400; ++i) {
    per_group_key["drive" + std::to_string(i % 20)].insert(by_key["k" + std::to_string(i)]);
  }
  int straddling = 0;
  for (const auto& [g, names] : per_group_key) straddling += names.size() > 1;
  EXPECT_GT(straddling, 10);
}

TEST_F(DataTest, TheSameSnapshotTwiceHasOneIdAndStoresNothingNew) {
  MustIngest(Write("a.jsonl", Rec("a", "2021-06-01T00:00:00Z") + Rec("b", "2021-06-02T00:00:00Z")));
  SnapshotOptions o;
  o.where = "captured_at >= '2021-06-02'";
  o.description = "first";
  SnapshotInfo s1 = MustSnapshot(o);
  EXPECT_TRUE(s1.created);
  auto blobs = ws().blobs().ListBlobs();
  ASSERT_TRUE(blobs.ok());
  o.description = "second";
  SnapshotInfo s2 = MustSnapshot(o);
  EXPECT_FALSE(s2.created);
  EXPECT_EQ(s2.id, s1.id);
  EXPECT_EQ(s2.description, "first");
  auto blobs2 = ws().blobs().ListBlobs();
  ASSERT_TRUE(blobs2.ok());
  EXPECT_EQ(blobs2->size(), blobs->size());
  auto list = ListSnapshots(ws(), "road");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
  auto keys = ReadSnapshotKeys(ws(), s1, "all");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(*keys, "b\n");
  EXPECT_EQ(GetSnapshot(ws(), "zzzz").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(GetSnapshot(ws(), "ab").status().code(), StatusCode::kInvalidArgument);
  auto got = GetSnapshot(ws(), s1.id.substr(0, 8));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->where, s1.where);
  EXPECT_EQ(got->splits.size(), 1u);
}

TEST_F(DataTest, DiffCountsAddedRemovedChangedAndMovedKeys) {
  MustIngest(Write("a.jsonl", Rec("a", "2021-06-01T00:00:00Z") + Rec("b", "2021-06-01T00:00:00Z") +
                                  Rec("c", "2021-06-01T00:00:00Z")));
  SnapshotInfo s1 = MustSnapshot();
  MustIngest(Write("b.jsonl", Rec("b", "2021-06-01T00:00:00Z", ",\"annotation\":\"new\"") +
                                  Rec("d", "2021-06-01T00:00:00Z")));
  SnapshotOptions o;
  o.where = "key != 'a'";
  SnapshotInfo s2 = MustSnapshot(o);
  auto d = DiffSnapshots(ws(), s1, s2);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->added, 1);
  EXPECT_EQ(d->removed, 1);
  EXPECT_EQ(d->changed, 1);
  EXPECT_EQ(d->moved, 0);
  EXPECT_EQ(d->same, 1);
  EXPECT_EQ(d->added_keys, std::vector<std::string>{"d"});
  EXPECT_EQ(d->removed_keys, std::vector<std::string>{"a"});
  EXPECT_EQ(d->changed_keys, std::vector<std::string>{"b"});
}

TEST_F(DataTest, TagTypesAreFixedByTheFirstCommitWithLosslessWidening) {
  MustIngest(Write("a.csv", "key,frame,captured_at,tags.speed\na,f,2021-06-01,1.5\n"));
  // An int64 column widens to the dataset's float64.
  IngestReport r =
      MustIngest(Write("b.csv", "key,frame,captured_at,tags.speed\nb,f,2021-06-01,2\n"));
  EXPECT_EQ(r.new_versions, 1);
  // A string column does not.
  IngestOptions o;
  o.path = Write("c.csv", "key,frame,captured_at,tags.speed\nc,f,2021-06-01,fast\n");
  auto bad = Ingest(ws(), "road", o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("tags.speed"), std::string::npos);
  SnapshotOptions so;
  so.where = "tags.speed > 1.9";
  SnapshotInfo s = MustSnapshot(so);
  EXPECT_EQ(s.rows, 1);
}

TEST_F(DataTest, ConcurrentIngestsLoseAndDuplicateNothing) {
  // Two writers, each with its own connection, 300 records each, 100 of them identical.
  std::string a, b;
  for (int i = 0; i < 300; ++i) a += Rec("k" + std::to_string(i), "2021-06-01T00:00:00Z");
  for (int i = 200; i < 500; ++i) b += Rec("k" + std::to_string(i), "2021-06-01T00:00:00Z");
  const std::string pa = Write("a.jsonl", a), pb = Write("b.jsonl", b);
  auto w1 = tw_.OpenAnother();
  auto w2 = tw_.OpenAnother();
  ASSERT_TRUE(w1.ok() && w2.ok());
  Result<IngestReport> r1 = Status::Internal("not run"), r2 = Status::Internal("not run");
  std::thread t1([&] {
    IngestOptions o;
    o.path = pa;
    r1 = Ingest(**w1, "road", o);
  });
  std::thread t2([&] {
    IngestOptions o;
    o.path = pb;
    r2 = Ingest(**w2, "road", o);
  });
  t1.join();
  t2.join();
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r1->new_versions + r2->new_versions, 500);
  auto lv = LoadLatest(ws(), "road", 1000, 0);
  ASSERT_TRUE(lv.ok());
  EXPECT_EQ(lv->versions, 500);
  EXPECT_EQ(lv->keys, 500);
}

TEST_F(DataTest, GcRemovesOnlyUnreferencedOldBlobsAndVerifyFindsDamage) {
  IngestReport ingested = MustIngest(Write("a.jsonl", Rec("a", "2021-06-01T00:00:00Z")));
  SnapshotInfo snap = MustSnapshot();
  // What the catalog references: the segment, the key list and the versions table (the last
  // may be byte-identical to the segment, and then is the same blob).
  std::set<std::string> referenced = {snap.splits[0].keys_object, snap.splits[0].versions_object};
  auto commits = ListCommits(ws(), "road");
  ASSERT_TRUE(commits.ok());
  ASSERT_EQ(commits->size(), 1u);
  EXPECT_EQ(commits->at(0).id, ingested.commit_id);
  for (const auto& s : commits->at(0).segments) referenced.insert(s);
  auto orphan = ws().blobs().PutBlob("left behind by a crashed writer");
  ASSERT_TRUE(orphan.ok());
  // Within the default grace period nothing goes.
  auto kept = CollectGarbage(ws(), false);
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->removed.empty());
  EXPECT_EQ(kept->kept_recent, 1);
  tw_.options().blob_options.gc_grace_micros = 0;
  tw_.Reopen();
  auto gc = CollectGarbage(ws(), false);
  ASSERT_TRUE(gc.ok());
  ASSERT_EQ(gc->removed.size(), 1u);
  EXPECT_EQ(gc->removed[0].id, *orphan);
  EXPECT_EQ(gc->kept_live, static_cast<int64_t>(referenced.size()));
  auto v = VerifyStore(ws());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok());
  EXPECT_EQ(v->referenced, static_cast<int64_t>(referenced.size()));
  // A damaged blob nothing references (an interrupted upload) is reported but is no damage.
  const std::string stray_id(64, 'a');
  ASSERT_TRUE(ws().objects().Put(store::BlobStore::KeyOf(stray_id), "partial").ok());
  auto v1 = VerifyStore(ws());
  ASSERT_TRUE(v1.ok());
  EXPECT_TRUE(v1->ok());
  EXPECT_EQ(v1->corrupt_unreferenced, std::vector<std::string>{stray_id});
  ASSERT_TRUE(ws().blobs().DeleteBlob(stray_id).ok());
  // Lose a referenced blob: verify reports it missing.
  auto live = LiveBlobs(ws());
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE(ws().blobs().DeleteBlob(*live->begin()).ok());
  auto v2 = VerifyStore(ws());
  ASSERT_TRUE(v2.ok());
  EXPECT_FALSE(v2->ok());
  EXPECT_EQ(v2->blobs.missing.size(), 1u);
}

TEST_F(DataTest, DatasetNamesAndMissingDatasetsAreClearErrors) {
  EXPECT_EQ(CreateDataset(ws(), "road", "").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(CreateDataset(ws(), "bad name", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateDataset(ws(), "-x", "").code(), StatusCode::kInvalidArgument);
  auto missing = GetDataset(ws(), "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("datasets: road"), std::string::npos);
  auto snap = CreateSnapshot(ws(), "road", {});
  ASSERT_FALSE(snap.ok());
  EXPECT_NE(snap.status().message().find("no commits"), std::string::npos);
}

TEST(ParseSplitsTest, ChecksNamesFractionsAndSum) {
  auto ok = ParseSplits("train=0.8,val=0.1,test=0.1");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 3u);
  EXPECT_FALSE(ParseSplits("train=0.8,val=0.1").ok());
  EXPECT_FALSE(ParseSplits("train=0.5,train=0.5").ok());
  EXPECT_FALSE(ParseSplits("train=x,val=1").ok());
  EXPECT_FALSE(ParseSplits("tr ain=1").ok());
  EXPECT_FALSE(ParseSplits("=1").ok());
  EXPECT_FALSE(ParseSplits("a=0,b=1").ok());
}

}  // namespace
}  // namespace cairn::data
