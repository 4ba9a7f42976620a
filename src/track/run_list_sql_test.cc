// ListRuns in SQL (ListEngine::kSql) against ids worked out by hand, and against the in-memory
// engine cell for cell; and schema v6's backfill of a catalog written under v4. SQLite, or
// PostgreSQL when CAIRN_TEST_POSTGRES is set (the backfill case is SQLite only).

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/migrations.h"
#include "data/test_workspace.h"
#include "table/column.h"
#include "table/table.h"
#include "track/runs.h"

namespace cairn::track {
namespace {

using catalog::Value;
using data::testing::TestWorkspace;

// Five runs, created a to e (so newest first is e d c b a):
//   run  lr    epochs  opt   val_f1 (latest)          team
//   a    0.01  10      adam  0.5 @0, 0.9 @1 -> 0.9    x
//   b    0.2   20      sgd   0.7                      -
//   c    0.05  -       adam  -                        y
//   d    -     5       -     0.85 @2, 0.1 @1 -> 0.85  x
//   e    0.1   10      sgd   0.95                     y
// a and b have ended (a first); c, d, e are running without a process.
class RunListSqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tw_.status().ok()) << tw_.status().ToString();
    Add("a", {{"lr", "0.01"}, {"epochs", "10"}, {"opt", "adam"}}, {{"team", "x"}},
        {{"val_f1", 0, 0.5, 0}, {"val_f1", 1, 0.9, 0}});
    Add("b", {{"lr", "0.2"}, {"epochs", "20"}, {"opt", "sgd"}}, {}, {{"val_f1", 0, 0.7, 0}});
    Add("c", {{"lr", "0.05"}, {"opt", "adam"}}, {{"team", "y"}}, {});
    Add("d", {{"epochs", "5"}}, {{"team", "x"}}, {{"val_f1", 2, 0.85, 0}});
    Add("e", {{"lr", "0.1"}, {"epochs", "10"}, {"opt", "sgd"}}, {{"team", "y"}},
        {{"val_f1", 0, 0.95, 0}});
    // A later batch with a lower step does not move d's latest value.
    ASSERT_TRUE(LogMetrics(ws(), ids_["d"], {{"val_f1", 1, 0.1, 0}}).ok());
    ASSERT_TRUE(EndRun(ws(), ids_["a"], RunStatus::kFinished, 0).ok());
    ASSERT_TRUE(EndRun(ws(), ids_["b"], RunStatus::kFailed, 1).ok());
  }

  data::Workspace& ws() { return tw_.ws(); }

  void Add(const std::string& name, const std::vector<KeyValue>& params,
           const std::vector<KeyValue>& tags, const std::vector<MetricPoint>& metrics) {
    StartOptions o;
    o.name = name;
    o.params = params;
    o.tags = tags;
    o.pid = -1;
    o.capture_environment = false;
    auto run = StartRun(ws(), o);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    ids_[name] = run->id;
    if (!metrics.empty()) {
      ASSERT_TRUE(LogMetrics(ws(), run->id, metrics).ok());
    }
  }

  // The run names of ListRuns' rows with `engine`.
  std::vector<std::string> Names(ListEngine engine, const std::string& where,
                                 const std::string& sort = "", int64_t limit = 0) {
    ListOptions o;
    o.where = where;
    o.sort = sort;
    o.limit = limit;
    o.engine = engine;
    auto t = ListRuns(ws(), o);
    EXPECT_TRUE(t.ok()) << where << " / " << sort << ": " << t.status().ToString();
    if (!t.ok()) return {"error"};
    std::vector<std::string> names;
    const table::Column* name = t->ColumnByName("name");
    for (int64_t i = 0; i < t->num_rows(); ++i) names.emplace_back(name->String(i));
    return names;
  }

  // Every cell as text, with the column names and types, to compare the engines.
  std::vector<std::string> Cells(ListEngine engine, const std::string& where,
                                 const std::string& sort, int64_t limit) {
    ListOptions o;
    o.where = where;
    o.sort = sort;
    o.limit = limit;
    o.engine = engine;
    auto t = ListRuns(ws(), o);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    if (!t.ok()) return {};
    std::vector<std::string> cells;
    for (int c = 0; c < t->num_columns(); ++c) {
      cells.push_back(t->schema().field(c).name + ":" + t->schema().field(c).type.ToString());
      for (int64_t r = 0; r < t->num_rows(); ++r) cells.push_back(t->column(c).Format(r, "null"));
    }
    return cells;
  }

  // Checks both engines against `want` and against each other.
  void Expect(const std::string& where, const std::string& sort, int64_t limit,
              const std::vector<std::string>& want) {
    EXPECT_EQ(Names(ListEngine::kSql, where, sort, limit), want)
        << "sql: " << where << " / " << sort << " / " << limit;
    EXPECT_EQ(Names(ListEngine::kInMemory, where, sort, limit), want)
        << "memory: " << where << " / " << sort << " / " << limit;
    EXPECT_EQ(Cells(ListEngine::kSql, where, sort, limit),
              Cells(ListEngine::kInMemory, where, sort, limit))
        << where << " / " << sort << " / " << limit;
  }

  TestWorkspace tw_;
  std::map<std::string, std::string> ids_;
};

using V = std::vector<std::string>;

TEST_F(RunListSqlTest, FiltersWithAndOrNotMatchHandCheckedRuns) {
  Expect("params.lr < 0.1 and metrics.val_f1 > 0.8", "", 0, V{"a"});
  // A run without lr is neither below 0.1 nor not below it.
  Expect("not params.lr < 0.1", "", 0, V{"e", "b"});
  Expect("params.epochs >= 10 or tags.team = 'y'", "", 0, V{"e", "c", "b", "a"});
  Expect("params.opt in ('adam') and not tags.team is null", "", 0, V{"c", "a"});
  Expect("params.opt not in ('adam', 'rmsprop')", "", 0, V{"e", "b"});
  // c has no val_f1: `not (... or unknown)` is unknown for it.
  Expect("not (params.opt = 'sgd' or metrics.val_f1 < 0.8)", "", 0, V{"a"});
  Expect("metrics.val_f1 is null", "", 0, V{"c"});
  Expect("params.lr is not null and params.epochs is null", "", 0, V{"c"});
  // An int column against a fraction, and a float column against an int.
  Expect("params.epochs = 10.5 or params.epochs < 6", "", 0, V{"d"});
  Expect("params.epochs > 9.5 and params.epochs <= 10", "", 0, V{"e", "a"});
  Expect("params.lr >= 0 and params.lr != 0.1", "", 0, V{"c", "b", "a"});
  Expect("name >= 'c' and status = 'running'", "", 0, V{"e", "d", "c"});
  Expect("ended_at is not null and snapshot_id is null", "", 0, V{"b", "a"});
  Expect("created_at > '2000-01-01' and not tags.team != 'x'", "", 0, V{"d", "a"});
  Expect("", "", 0, V{"e", "d", "c", "b", "a"});
}

TEST_F(RunListSqlTest, SortsPutNullsLastAndKeepNewestFirstOnTies) {
  Expect("", "-metrics.val_f1", 0, V{"e", "a", "d", "b", "c"});
  Expect("", "metrics.val_f1", 0, V{"b", "d", "a", "e", "c"});
  Expect("", "params.lr", 0, V{"a", "c", "e", "b", "d"});
  Expect("", "-params.epochs", 0, V{"b", "e", "a", "d", "c"});
  Expect("", "params.opt", 0, V{"c", "a", "e", "b", "d"});
  Expect("", "-tags.team", 0, V{"e", "c", "d", "a", "b"});
  Expect("", "name", 0, V{"a", "b", "c", "d", "e"});
  Expect("", "-created_at", 0, V{"e", "d", "c", "b", "a"});
  Expect("", "ended_at", 0, V{"a", "b", "e", "d", "c"});
  Expect("", "-status", 0, V{"e", "d", "c", "a", "b"});
}

TEST_F(RunListSqlTest, LimitsCutAfterTheSortIncludingRunsWithoutTheKey) {
  Expect("", "-metrics.val_f1", 2, V{"e", "a"});
  Expect("", "params.lr", 5, V{"a", "c", "e", "b", "d"});
  Expect("", "-tags.team", 4, V{"e", "c", "d", "a"});
  Expect("tags.team is not null", "-metrics.val_f1", 3, V{"e", "a", "d"});
  Expect("", "", 1, V{"e"});
}

TEST_F(RunListSqlTest, ErrorsAreTheInMemoryOnes) {
  for (ListEngine engine : {ListEngine::kSql, ListEngine::kInMemory}) {
    ListOptions o;
    o.engine = engine;
    o.where = "params.lrr < 1";
    EXPECT_EQ(ListRuns(ws(), o).status().code(), StatusCode::kNotFound);
    o.where = "params.opt < 1";
    EXPECT_EQ(ListRuns(ws(), o).status().code(), StatusCode::kInvalidArgument);
    o.where = "";
    o.sort = "metrics.nope";
    EXPECT_EQ(ListRuns(ws(), o).status().code(), StatusCode::kNotFound);
  }
}

TEST_F(RunListSqlTest, IntegersBeyondTwoTo53FallBackToMemory) {
  ListOptions o;
  o.where = "params.epochs < 9007199254740993";
  o.engine = ListEngine::kSql;
  EXPECT_EQ(ListRuns(ws(), o).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(Names(ListEngine::kAuto, o.where), (V{"e", "d", "b", "a"}));
  // A stored value beyond 2^53 sends every filter on its param to memory.
  ASSERT_TRUE(SetParams(ws(), ids_["c"], {{"epochs", "9007199254740993"}}).ok());
  o.where = "params.epochs > 9007199254740992";
  EXPECT_EQ(ListRuns(ws(), o).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(Names(ListEngine::kAuto, "params.epochs > 9007199254740000"), (V{"c"}));
}

TEST_F(RunListSqlTest, LargeBatchesKeepEveryPointAndTheLatest) {
  std::vector<MetricPoint> points;
  for (int64_t i = 0; i < 1500; ++i)
    points.push_back({"loss", i % 700, 1.0 / static_cast<double>(i + 1), 0});
  ASSERT_TRUE(LogMetrics(ws(), ids_["c"], points).ok());
  auto run = GetRun(ws(), ids_["c"]);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->metrics.size(), 1500u);
  // Step 699 is logged at i = 699 and i = 1399; the later one (1/1400) is the latest.
  ListOptions o;
  o.where = "name = 'c'";
  o.engine = ListEngine::kSql;
  auto t = ListRuns(ws(), o);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->ColumnByName("metrics.loss")->Double(0), 1.0 / 1400);
}

TEST(RunListMigrationTest, VersionFiveBackfillsNumbersAndLatestMetrics) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("cairn_run_list_v4_" + std::to_string(::getpid()) + ".db"))
                               .string();
  std::filesystem::remove(path);
  {
    catalog::OpenOptions no_migrate;
    no_migrate.migrate = false;
    auto conn = catalog::OpenCatalog(path, no_migrate);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    const auto& all = catalog::CoreMigrations();
    const std::vector<catalog::Migration> v4(all.begin(), all.begin() + 4);
    ASSERT_TRUE(catalog::ApplyMigrations(**conn, v4).ok());
    ASSERT_TRUE((*conn)
                    ->Execute("INSERT INTO runs (id, name, status, created_at) VALUES "
                              "('aaaa0000', 'old', 'finished', 1), "
                              "('bbbb0000', 'older', 'finished', 0)")
                    .ok());
    ASSERT_TRUE((*conn)
                    ->Execute("INSERT INTO run_params (run_id, key, value, type) VALUES "
                              "('aaaa0000', 'lr', '0.25', 'float64'), ('aaaa0000', 'epochs', '12', "
                              "'int64'), ('aaaa0000', 'opt', 'adam', 'string'), "
                              "('bbbb0000', 'lr', '1e-3', 'float64')")
                    .ok());
    // Series: a/f1 highest step 3 (logged twice: the later, 0.7, wins); a/loss one point;
    // b/f1 steps 0 and 1 logged out of order.
    ASSERT_TRUE((*conn)
                    ->Execute("INSERT INTO run_metrics (run_id, key, step, value, logged_at) "
                              "VALUES ('aaaa0000', 'f1', 1, 0.9, 10), ('aaaa0000', 'f1', 3, 0.6, "
                              "11), ('aaaa0000', 'f1', 3, 0.7, 12), ('aaaa0000', 'f1', 2, 0.95, "
                              "13), ('aaaa0000', 'loss', 0, 2.5, 10), ('bbbb0000', 'f1', 1, 0.4, "
                              "5), ('bbbb0000', 'f1', 0, 0.8, 6)")
                    .ok());
  }
  auto conn = catalog::OpenCatalog(path);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto latest = (*conn)->Query(
      "SELECT run_id, key, step, value, logged_at FROM run_latest_metrics ORDER BY run_id, key");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  ASSERT_EQ(latest->rows.size(), 3u);
  EXPECT_EQ(latest->rows[0], (catalog::Row{Value::Text("aaaa0000"), Value::Text("f1"),
                                           Value::Int64(3), Value::Double(0.7), Value::Int64(12)}));
  EXPECT_EQ(latest->rows[1], (catalog::Row{Value::Text("aaaa0000"), Value::Text("loss"),
                                           Value::Int64(0), Value::Double(2.5), Value::Int64(10)}));
  EXPECT_EQ(latest->rows[2], (catalog::Row{Value::Text("bbbb0000"), Value::Text("f1"),
                                           Value::Int64(1), Value::Double(0.4), Value::Int64(5)}));
  auto numbers = (*conn)->Query("SELECT run_id, key, number FROM run_params ORDER BY run_id, key");
  ASSERT_TRUE(numbers.ok());
  ASSERT_EQ(numbers->rows.size(), 4u);
  EXPECT_EQ(numbers->rows[0][2], Value::Double(12));
  EXPECT_EQ(numbers->rows[1][2], Value::Double(0.25));
  EXPECT_TRUE(numbers->rows[2][2].is_null());
  EXPECT_EQ(numbers->rows[3][2], Value::Double(0.001));
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

}  // namespace
}  // namespace cairn::track
