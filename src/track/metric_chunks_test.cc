// Tests of metric series stored as packed chunks (catalog schema v8): the byte layout, the
// checks on read, series logged in several batches, old per-point rows merged with chunks,
// and a catalog migrated from schema v7. Workspace tests run on SQLite, or PostgreSQL when
// CAIRN_TEST_POSTGRES is set (see src/track/CMakeLists.txt).

#include "track/metric_chunks.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/migrations.h"
#include "data/test_workspace.h"
#include "track/runs.h"

namespace cairn::track {
namespace {

using catalog::Value;
using data::testing::TestWorkspace;
using Series = std::vector<std::pair<int64_t, double>>;

// The (step, value) pairs of `key` in `run`, in the order GetRun returns them.
Series SeriesOf(const RunInfo& run, const std::string& key) {
  Series s;
  for (const MetricPoint& p : run.metrics) {
    if (p.key == key) s.emplace_back(p.step, p.value);
  }
  return s;
}

// The keys of `run`'s points, in order.
std::vector<std::string> KeysOf(const RunInfo& run) {
  std::vector<std::string> keys;
  for (const MetricPoint& p : run.metrics) keys.push_back(p.key);
  return keys;
}

// metrics.<key> of the run named `name`, as listed by `engine`.
double Listed(data::Workspace& ws, const std::string& name, const std::string& key,
              ListEngine engine) {
  ListOptions o;
  o.where = "name = '" + name + "'";
  o.engine = engine;
  auto t = ListRuns(ws, o);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (!t.ok() || t->num_rows() != 1 || t->ColumnByName("metrics." + key) == nullptr) return -1;
  return t->ColumnByName("metrics." + key)->Double(0);
}

TEST(PackedPointTest, IsALittleEndianStepThenALittleEndianDouble) {
  std::string bytes;
  AppendPackedPoint(1, 1.0, &bytes);
  AppendPackedPoint(-2, 0.5, &bytes);
  // IEEE 754 binary64: 1.0 is 0x3ff0000000000000, 0.5 is 0x3fe0000000000000; -2 in two's
  // complement is 0xfffffffffffffffe.
  const std::string expected(
      "\x01\x00\x00\x00\x00\x00\x00\x00"
      "\x00\x00\x00\x00\x00\x00\xf0\x3f"
      "\xfe\xff\xff\xff\xff\xff\xff\xff"
      "\x00\x00\x00\x00\x00\x00\xe0\x3f",
      32);
  EXPECT_EQ(bytes, expected);
}

MetricChunk Chunk(std::vector<std::pair<int64_t, double>> points) {
  MetricChunk c;
  c.key = "loss";
  c.seq = 3;
  c.first_step = points.empty() ? 0 : points.front().first;
  c.last_step = points.empty() ? 0 : points.back().first;
  c.count = static_cast<int64_t>(points.size());
  c.logged_at = 77;
  for (const auto& [step, value] : points) AppendPackedPoint(step, value, &c.points);
  return c;
}

TEST(UnpackMetricChunkTest, ReadsPointsAndRejectsDamage) {
  std::vector<MetricPoint> out;
  ASSERT_TRUE(UnpackMetricChunk("abcd", Chunk({{1, 0.5}, {1, 0.25}, {4, -3.0}}), &out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].key, "loss");
  EXPECT_EQ(out[1].step, 1);
  EXPECT_EQ(out[1].value, 0.25);
  EXPECT_EQ(out[1].logged_at, 77);
  EXPECT_EQ(out[2].step, 4);
  EXPECT_EQ(out[2].value, -3.0);

  MetricChunk cut = Chunk({{1, 0.5}, {2, 0.25}});
  cut.points.pop_back();
  Status st = UnpackMetricChunk("abcd", cut, &out);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_EQ(st.message(),
            "run abcd: metric 'loss' chunk 3: 31 bytes of points, not a multiple of 16");
  MetricChunk miscounted = Chunk({{1, 0.5}, {2, 0.25}});
  miscounted.count = 3;
  st = UnpackMetricChunk("abcd", miscounted, &out);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_EQ(st.message(), "run abcd: metric 'loss' chunk 3: holds 2 points but records 3");
  MetricChunk unordered = Chunk({{2, 0.5}, {1, 0.25}});
  unordered.first_step = 2;
  unordered.last_step = 2;
  EXPECT_EQ(UnpackMetricChunk("abcd", unordered, &out).code(), StatusCode::kCorrupt);
  MetricChunk wrong_last = Chunk({{1, 0.5}, {2, 0.25}});
  wrong_last.last_step = 9;
  EXPECT_EQ(UnpackMetricChunk("abcd", wrong_last, &out).code(), StatusCode::kCorrupt);
  EXPECT_EQ(UnpackMetricChunk("abcd", Chunk({}), &out).code(), StatusCode::kCorrupt);
  EXPECT_EQ(out.size(), 3u);  // nothing appended by a damaged chunk
}

class MetricChunksTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(tw_.status().ok()) << tw_.status().ToString(); }
  data::Workspace& ws() { return tw_.ws(); }
  std::string Start(const std::string& name) {
    StartOptions o;
    o.name = name;
    o.capture_environment = false;
    auto run = StartRun(ws(), o);
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    return run.ok() ? run->id : "";
  }
  TestWorkspace tw_;
};

TEST_F(MetricChunksTest, SeriesLoggedInSeveralBatchesComesBackInStepOrder) {
  const std::string id = Start("r");
  ASSERT_TRUE(LogMetrics(ws(), id, {{"loss", 5, 0.5, 0}, {"loss", 1, 0.1, 0}}).ok());
  ASSERT_TRUE(LogMetrics(ws(), id, {{"loss", 3, 0.3, 0}, {"acc", 2, 0.25, 0}}).ok());
  ASSERT_TRUE(
      LogMetrics(ws(), id, {{"loss", 2, 0.2, 0}, {"loss", 4, 0.4, 0}, {"loss", 0, 1.0, 0}}).ok());
  ASSERT_TRUE(LogMetrics(ws(), id, {{"acc", 1, 0.125, 0}}).ok());
  // Step 5 again, in a later batch: both points are kept, the later one is the latest.
  ASSERT_TRUE(LogMetrics(ws(), id, {{"loss", 5, 0.55, 0}}).ok());
  auto run = GetRun(ws(), id);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(KeysOf(*run), (std::vector<std::string>{"acc", "acc", "loss", "loss", "loss", "loss",
                                                    "loss", "loss", "loss"}));
  EXPECT_EQ(SeriesOf(*run, "acc"), (Series{{1, 0.125}, {2, 0.25}}));
  EXPECT_EQ(SeriesOf(*run, "loss"),
            (Series{{0, 1.0}, {1, 0.1}, {2, 0.2}, {3, 0.3}, {4, 0.4}, {5, 0.5}, {5, 0.55}}));
  EXPECT_LT(run->metrics[7].logged_at, run->metrics[8].logged_at);
  EXPECT_EQ(Listed(ws(), "r", "loss", ListEngine::kSql), 0.55);
  EXPECT_EQ(Listed(ws(), "r", "loss", ListEngine::kInMemory), 0.55);
  EXPECT_EQ(Listed(ws(), "r", "acc", ListEngine::kSql), 0.25);
  EXPECT_EQ(Listed(ws(), "r", "acc", ListEngine::kInMemory), 0.25);
}

TEST_F(MetricChunksTest, ALargeSeriesIsSplitIntoChunksAndReadBackWhole) {
  const std::string id = Start("big");
  // 70,000 points of one key, logged in descending step order: more than one chunk holds.
  constexpr int64_t kPoints = 70000;
  std::vector<MetricPoint> points;
  for (int64_t i = 0; i < kPoints; ++i) {
    const int64_t step = kPoints - 1 - i;
    points.push_back({"loss", step, 1.0 / static_cast<double>(step + 1), 0});
  }
  ASSERT_TRUE(LogMetrics(ws(), id, points).ok());
  auto chunks = ws().catalog().Query(
      "SELECT COUNT(*), SUM(count), MIN(first_step), MAX(last_step) FROM run_metric_chunks "
      "WHERE run_id = ?",
      {Value::Text(id)});
  ASSERT_TRUE(chunks.ok()) << chunks.status().ToString();
  EXPECT_EQ(chunks->rows[0][0], Value::Int64(2));
  EXPECT_EQ(chunks->rows[0][1], Value::Int64(kPoints));
  EXPECT_EQ(chunks->rows[0][2], Value::Int64(0));
  EXPECT_EQ(chunks->rows[0][3], Value::Int64(kPoints - 1));
  auto run = GetRun(ws(), id);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_EQ(run->metrics.size(), static_cast<size_t>(kPoints));
  for (int64_t step = 0; step < kPoints; ++step) {
    const MetricPoint& p = run->metrics[static_cast<size_t>(step)];
    ASSERT_EQ(p.step, step);
    ASSERT_EQ(p.value, 1.0 / static_cast<double>(step + 1));
  }
  EXPECT_EQ(Listed(ws(), "big", "loss", ListEngine::kSql), 1.0 / kPoints);
  EXPECT_EQ(Listed(ws(), "big", "loss", ListEngine::kInMemory), 1.0 / kPoints);
}

TEST_F(MetricChunksTest, OldRowsAndNewChunksMerge) {
  const std::string id = Start("mixed");
  // Rows as schema v3 to v7 wrote them (logged at 1 and 2 microseconds past the epoch, so
  // before anything logged now), with the latest point the v6 migration would have kept.
  ASSERT_TRUE(ws().catalog()
                  .Execute("INSERT INTO run_metrics (run_id, key, step, value, logged_at) VALUES "
                           "(?, 'loss', 0, 1.5, 1), (?, 'loss', 4, 0.75, 2), "
                           "(?, 'loss', 2, 1.25, 1), (?, 'f1', 9, 0.5, 1)",
                           {Value::Text(id), Value::Text(id), Value::Text(id), Value::Text(id)})
                  .ok());
  ASSERT_TRUE(ws().catalog()
                  .Execute("INSERT INTO run_latest_metrics (run_id, key, step, value, logged_at) "
                           "VALUES (?, 'loss', 4, 0.75, 2), (?, 'f1', 9, 0.5, 1)",
                           {Value::Text(id), Value::Text(id)})
                  .ok());
  ASSERT_TRUE(
      LogMetrics(
          ws(), id,
          {{"loss", 3, 1.0, 0}, {"loss", 1, 1.375, 0}, {"loss", 4, 0.625, 0}, {"f1", 8, 0.25, 0}})
          .ok());
  auto run = GetRun(ws(), id);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(SeriesOf(*run, "f1"), (Series{{8, 0.25}, {9, 0.5}}));
  EXPECT_EQ(SeriesOf(*run, "loss"),
            (Series{{0, 1.5}, {1, 1.375}, {2, 1.25}, {3, 1.0}, {4, 0.75}, {4, 0.625}}));
  EXPECT_EQ(KeysOf(*run).front(), "f1");
  EXPECT_GT(run->metrics[0].logged_at, 2);  // f1 step 8 is new, step 9 old
  EXPECT_EQ(run->metrics[1].logged_at, 1);
  EXPECT_EQ(run->metrics[6].logged_at, 2);  // loss step 4: the old point first
  EXPECT_GT(run->metrics[7].logged_at, 2);
  // loss: step 4 twice, the new point logged later; f1: the old point has the higher step.
  EXPECT_EQ(Listed(ws(), "mixed", "loss", ListEngine::kSql), 0.625);
  EXPECT_EQ(Listed(ws(), "mixed", "loss", ListEngine::kInMemory), 0.625);
  EXPECT_EQ(Listed(ws(), "mixed", "f1", ListEngine::kSql), 0.5);
  EXPECT_EQ(Listed(ws(), "mixed", "f1", ListEngine::kInMemory), 0.5);
}

TEST_F(MetricChunksTest, DamagedChunkIsReportedNamingRunAndKey) {
  const std::string id = Start("damaged");
  ASSERT_TRUE(LogMetrics(ws(), id, {{"loss", 1, 0.5, 0}, {"loss", 2, 0.25, 0}}).ok());
  ASSERT_TRUE(LogMetrics(ws(), id, {{"acc", 1, 0.5, 0}}).ok());
  // 31 bytes: not a whole number of points.
  ASSERT_TRUE(ws().catalog()
                  .Execute("UPDATE run_metric_chunks SET points = ? WHERE run_id = ? AND "
                           "key = 'loss'",
                           {Value::Blob(std::string(31, '\x01')), Value::Text(id)})
                  .ok());
  auto run = GetRun(ws(), id);
  EXPECT_EQ(run.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(run.status().message(), "run " + id +
                                        ": metric 'loss' chunk 1: 31 bytes of points, not a "
                                        "multiple of 16");
  ListOptions memory;
  memory.engine = ListEngine::kInMemory;
  EXPECT_EQ(ListRuns(ws(), memory).status().code(), StatusCode::kCorrupt);

  // Whole points, but another number than the row records.
  std::string three;
  for (int64_t step = 1; step <= 3; ++step) AppendPackedPoint(step, 0.5, &three);
  ASSERT_TRUE(ws().catalog()
                  .Execute("UPDATE run_metric_chunks SET points = ? WHERE run_id = ? AND "
                           "key = 'loss'",
                           {Value::Blob(three), Value::Text(id)})
                  .ok());
  run = GetRun(ws(), id);
  EXPECT_EQ(run.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(run.status().message(),
            "run " + id + ": metric 'loss' chunk 1: holds 3 points but records 2");
}

TEST(MetricChunksMigrationTest, CatalogFromSchemaSevenKeepsItsSeriesReadable) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("cairn_chunks_v7_" + std::to_string(::getpid())))
          .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/old.db";
  const std::string id = "0123456789abcdef0123456789abcdef";
  {
    catalog::OpenOptions no_migrate;
    no_migrate.migrate = false;
    auto conn = catalog::OpenCatalog(path, no_migrate);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    // Every migration before the one that adds chunks.
    std::vector<catalog::Migration> before;
    for (const catalog::Migration& m : catalog::CoreMigrations()) {
      if (m.name == "run_metric_chunks") break;
      before.push_back(m);
    }
    ASSERT_EQ(before.size(), 7u);
    ASSERT_TRUE(catalog::ApplyMigrations(**conn, before).ok());
    ASSERT_TRUE((*conn)
                    ->Execute("INSERT INTO runs (id, name, status, created_at) VALUES (?, "
                              "'old', 'finished', 1)",
                              {Value::Text(id)})
                    .ok());
    ASSERT_TRUE((*conn)
                    ->Execute("INSERT INTO run_metrics (run_id, key, step, value, logged_at) "
                              "VALUES (?, 'loss', 2, 0.25, 11), (?, 'loss', 1, 0.5, 10)",
                              {Value::Text(id), Value::Text(id)})
                    .ok());
    ASSERT_TRUE((*conn)
                    ->Execute("INSERT INTO run_latest_metrics (run_id, key, step, value, "
                              "logged_at) VALUES (?, 'loss', 2, 0.25, 11)",
                              {Value::Text(id)})
                    .ok());
  }
  {
    data::WorkspaceOptions o;
    o.home = dir;
    o.catalog_uri = path;
    auto ws = data::Workspace::Init(dir, o);
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    auto version = catalog::SchemaVersion((*ws)->catalog());
    ASSERT_TRUE(version.ok());
    EXPECT_EQ(*version, static_cast<int64_t>(catalog::CoreMigrations().size()));
    auto run = GetRun(**ws, id);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    EXPECT_EQ(SeriesOf(*run, "loss"), (Series{{1, 0.5}, {2, 0.25}}));
    ASSERT_TRUE(LogMetrics(**ws, id, {{"loss", 3, 0.125, 0}}).ok());
    run = GetRun(**ws, id);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    EXPECT_EQ(SeriesOf(*run, "loss"), (Series{{1, 0.5}, {2, 0.25}, {3, 0.125}}));
    EXPECT_EQ(Listed(**ws, "old", "loss", ListEngine::kSql), 0.125);
    EXPECT_EQ(Listed(**ws, "old", "loss", ListEngine::kInMemory), 0.125);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cairn::track
