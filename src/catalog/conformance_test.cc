// The conformance suite: every test runs against each backend. SQLite cases use a fresh
// file per test. PostgreSQL cases run when CAIRN_TEST_POSTGRES names a server
// (postgresql://user@host:port/db; see scripts/pg-test-server.sh) and create a fresh
// database per test; without it they are skipped.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/migrations.h"

namespace cairn::catalog {

// Readable values and backends in test failure messages.
void PrintTo(const Value& value, std::ostream* os) { *os << value.ToString(); }
void PrintTo(Backend backend, std::ostream* os) { *os << BackendName(backend); }

namespace {

namespace fs = std::filesystem;

std::unique_ptr<Connection> MustConnect(const std::string& uri, bool migrate) {
  OpenOptions options;
  options.migrate = migrate;
  auto conn = OpenCatalog(uri, options);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  return conn.ok() ? std::move(conn).value() : nullptr;
}

// The single value of a one-row, one-column query.
Value Scalar(Connection& conn, const std::string& sql, const std::vector<Value>& params = {}) {
  auto result = conn.Query(sql, params);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (!result.ok() || result->rows.size() != 1 || result->rows[0].size() != 1) return {};
  return result->rows[0][0];
}

class ConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      std::string pattern = (fs::temp_directory_path() / "cairn_catalog_test_XXXXXX").string();
      ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
      dir_ = pattern;
      uri_ = "sqlite://" + (fs::path(dir_) / "catalog.db").string();
      return;
    }
    const char* server = std::getenv("CAIRN_TEST_POSTGRES");
    if (server == nullptr || *server == '\0') {
      GTEST_SKIP() << "CAIRN_TEST_POSTGRES is not set; PostgreSQL cases run under ctest label "
                      "'postgres' (scripts/pg-test-server.sh starts the server)";
    }
    admin_uri_ = server;
    auto admin = Connect(admin_uri_);
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    static std::atomic<int> counter{0};
    database_ = "cairn_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    ASSERT_TRUE((*admin)->Execute("CREATE DATABASE " + database_).ok());
    // Replace the database name: the path after the last '/', before any '?'.
    size_t query = admin_uri_.find('?');
    std::string base = admin_uri_.substr(0, query);
    uri_ = base.substr(0, base.rfind('/') + 1) + database_ +
           (query == std::string::npos ? "" : admin_uri_.substr(query));
  }

  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
    if (!database_.empty()) {
      auto admin = Connect(admin_uri_);
      ASSERT_TRUE(admin.ok()) << admin.status().ToString();
      EXPECT_TRUE((*admin)->Execute("DROP DATABASE " + database_ + " WITH (FORCE)").ok());
    }
  }

  std::string dir_;
  std::string uri_;
  std::string admin_uri_;
  std::string database_;
};

TEST_P(ConformanceTest, EveryValueTypeRoundTripsIncludingNullAndLargeValues) {
  auto conn = MustConnect(uri_, false);
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Execute("CREATE TABLE t (id BIGINT PRIMARY KEY, i BIGINT, "
                            "d DOUBLE PRECISION, s TEXT, b BYTEA)")
                  .ok());
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  std::string large_text(1 << 20, 'x');
  for (size_t i = 0; i < large_text.size(); i += 7) large_text[i] = 'y';
  std::string large_blob;
  for (int i = 0; i < (1 << 20); ++i) large_blob += static_cast<char>((i * 31) & 0xff);

  const std::vector<std::vector<Value>> rows = {
      {Value::Int64(1), Value::Null(), Value::Null(), Value::Null(), Value::Null()},
      {Value::Int64(2), Value::Int64(std::numeric_limits<int64_t>::min()), Value::Double(0.1),
       Value::Text(""), Value::Blob("")},
      {Value::Int64(3), Value::Int64(std::numeric_limits<int64_t>::max()),
       Value::Double(-1.7976931348623157e308), Value::Text("caf\xc3\xa9 \xe2\x9c\x93 '?' \"q\""),
       Value::Blob(all_bytes)},
      {Value::Int64(4), Value::Int64(-1), Value::Double(4.9406564584124654e-324),
       Value::Text(large_text), Value::Blob(large_blob)},
  };
  for (const auto& row : rows) {
    auto inserted = conn->Execute("INSERT INTO t (id, i, d, s, b) VALUES (?, ?, ?, ?, ?)", row);
    ASSERT_TRUE(inserted.ok()) << inserted.status().ToString();
    EXPECT_EQ(*inserted, 1);
  }
  auto result = conn->Query("SELECT id, i, d, s, b FROM t ORDER BY id");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->columns, (std::vector<std::string>{"id", "i", "d", "s", "b"}));
  ASSERT_EQ(result->rows.size(), rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < rows[r].size(); ++c) {
      EXPECT_EQ(result->rows[r][c], rows[r][c])
          << "row " << r << " column " << c << ": got " << result->rows[r][c].ToString() << " ("
          << ValueTypeName(result->rows[r][c].type()) << "), want " << rows[r][c].ToString();
    }
  }
}

TEST_P(ConformanceTest, PlaceholdersBindInOrderAndQuotedQuestionMarksStayLiteral) {
  auto conn = MustConnect(uri_, false);
  ASSERT_NE(conn, nullptr);
  auto result = conn->Query("SELECT ? AS a, '?' AS b, ? AS c -- trailing ?",
                            {Value::Int64(7), Value::Text("seven")});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->rows.size(), 1u);
  EXPECT_EQ(result->rows[0], (Row{Value::Int64(7), Value::Text("?"), Value::Text("seven")}));

  auto wrong = conn->Query("SELECT ?, ?", {Value::Int64(1)});
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument) << wrong.status().ToString();
}

TEST_P(ConformanceTest, AggregatesComeBackAsIntegersAndDoublesOnBothBackends) {
  auto conn = MustConnect(uri_, false);
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Execute("CREATE TABLE n (v BIGINT)").ok());
  for (int64_t v : {1, 2, 4})
    ASSERT_TRUE(conn->Execute("INSERT INTO n VALUES (?)", {Value::Int64(v)}).ok());
  auto result =
      conn->Query("SELECT COUNT(*), SUM(v), MAX(v), CAST(SUM(v) AS DOUBLE PRECISION) / 2 FROM n");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->rows.at(0),
            (Row{Value::Int64(3), Value::Int64(7), Value::Int64(4), Value::Double(3.5)}));
}

TEST_P(ConformanceTest, ExecuteReportsChangedRowsAndRunsSeveralStatements) {
  auto conn = MustConnect(uri_, false);
  ASSERT_NE(conn, nullptr);
  auto created = conn->Execute(
      "CREATE TABLE k (id BIGINT PRIMARY KEY, v TEXT); INSERT INTO k VALUES (1, 'a');"
      "INSERT INTO k VALUES (2, 'b');");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto updated =
      conn->Execute("UPDATE k SET v = ? WHERE id >= ?", {Value::Text("z"), Value::Int64(1)});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(*updated, 2);
  auto ddl = conn->Execute("CREATE TABLE other (id BIGINT)");
  ASSERT_TRUE(ddl.ok());
  EXPECT_EQ(*ddl, 0);
}

TEST_P(ConformanceTest, CommittedTransactionIsVisibleAndRolledBackOneIsNot) {
  auto conn = MustConnect(uri_, false);
  auto other = MustConnect(uri_, false);
  ASSERT_NE(conn, nullptr);
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(conn->Execute("CREATE TABLE k (id BIGINT PRIMARY KEY)").ok());

  ASSERT_TRUE(conn->Begin().ok());
  EXPECT_TRUE(conn->in_transaction());
  ASSERT_TRUE(conn->Execute("INSERT INTO k VALUES (1)").ok());
  EXPECT_EQ(Scalar(*other, "SELECT COUNT(*) FROM k"), Value::Int64(0));
  ASSERT_TRUE(conn->Commit().ok());
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_EQ(Scalar(*other, "SELECT COUNT(*) FROM k"), Value::Int64(1));

  ASSERT_TRUE(conn->Begin().ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO k VALUES (2)").ok());
  EXPECT_EQ(Scalar(*conn, "SELECT COUNT(*) FROM k"), Value::Int64(2));
  ASSERT_TRUE(conn->Rollback().ok());
  EXPECT_EQ(Scalar(*conn, "SELECT COUNT(*) FROM k"), Value::Int64(1));

  EXPECT_EQ(conn->Commit().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(conn->Begin().ok());
  EXPECT_EQ(conn->Begin().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(conn->Rollback().ok());
}

TEST_P(ConformanceTest, TransactionGuardRollsBackUnlessCommitted) {
  auto conn = MustConnect(uri_, false);
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Execute("CREATE TABLE k (id BIGINT PRIMARY KEY)").ok());
  {
    auto tx = Transaction::Begin(*conn);
    ASSERT_TRUE(tx.ok()) << tx.status().ToString();
    ASSERT_TRUE(conn->Execute("INSERT INTO k VALUES (1)").ok());
  }  // destroyed without Commit
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_EQ(Scalar(*conn, "SELECT COUNT(*) FROM k"), Value::Int64(0));
  {
    auto tx = Transaction::Begin(*conn);
    ASSERT_TRUE(tx.ok()) << tx.status().ToString();
    ASSERT_TRUE(conn->Execute("INSERT INTO k VALUES (2)").ok());
    ASSERT_TRUE(tx->Commit().ok());
    EXPECT_EQ(tx->Commit().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(Scalar(*conn, "SELECT id FROM k"), Value::Int64(2));
}

TEST_P(ConformanceTest, UniqueViolationIsAlreadyExists) {
  auto conn = MustConnect(uri_, false);
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Execute("CREATE TABLE k (id BIGINT PRIMARY KEY, name TEXT UNIQUE)").ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO k VALUES (1, 'a')").ok());
  auto dup_key = conn->Execute("INSERT INTO k VALUES (1, 'b')");
  EXPECT_EQ(dup_key.status().code(), StatusCode::kAlreadyExists) << dup_key.status().ToString();
  auto dup_name = conn->Execute("INSERT INTO k VALUES (?, ?)", {Value::Int64(2), Value::Text("a")});
  EXPECT_EQ(dup_name.status().code(), StatusCode::kAlreadyExists) << dup_name.status().ToString();
  ASSERT_TRUE(conn->Execute("CREATE TABLE nn (v TEXT NOT NULL)").ok());
  EXPECT_EQ(conn->Execute("INSERT INTO nn VALUES (NULL)").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(conn->Execute("SELEKT 1").status().code(), StatusCode::kInvalidArgument);
}

TEST_P(ConformanceTest, AnErrorInsideATransactionLeavesOnlyRollback) {
  auto conn = MustConnect(uri_, false);
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Execute("CREATE TABLE k (id BIGINT PRIMARY KEY)").ok());
  ASSERT_TRUE(conn->Begin().ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO k VALUES (1)").ok());
  EXPECT_EQ(conn->Execute("INSERT INTO k VALUES (1)").status().code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(conn->Execute("INSERT INTO k VALUES (2)").ok());
  EXPECT_EQ(conn->Commit().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_EQ(Scalar(*conn, "SELECT COUNT(*) FROM k"), Value::Int64(0));
}

TEST_P(ConformanceTest, MigrationsApplyOnceAndAreRecorded) {
  auto conn = MustConnect(uri_, true);
  ASSERT_NE(conn, nullptr);
  auto version = SchemaVersion(*conn);
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, 8);
  auto recorded = conn->Query("SELECT version, name FROM schema_migrations ORDER BY version");
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  ASSERT_EQ(recorded->rows.size(), 8u);
  EXPECT_EQ(recorded->rows[0], (Row{Value::Int64(1), Value::Text("datasets_commits_snapshots")}));
  EXPECT_EQ(recorded->rows[1],
            (Row{Value::Int64(2), Value::Text("ingest_summaries_tags_snapshot_splits")}));
  EXPECT_EQ(recorded->rows[2], (Row{Value::Int64(3), Value::Text("runs_params_metrics_tags")}));
  EXPECT_EQ(recorded->rows[3], (Row{Value::Int64(4), Value::Text("artifacts_model_registry")}));
  EXPECT_EQ(recorded->rows[4],
            (Row{Value::Int64(5), Value::Text("pipeline_runs_stage_runs_cache")}));
  EXPECT_EQ(recorded->rows[5], (Row{Value::Int64(6), Value::Text("run_list_in_sql")}));
  EXPECT_EQ(recorded->rows[6],
            (Row{Value::Int64(7), Value::Text("pipeline_schedule_claims_subscriptions")}));
  EXPECT_EQ(recorded->rows[7], (Row{Value::Int64(8), Value::Text("run_metric_chunks")}));

  // The schema is usable as documented, foreign keys included; v2's columns have defaults.
  ASSERT_TRUE(conn->Execute("INSERT INTO datasets (name, description, created_at) VALUES (?, ?, ?)",
                            {Value::Text("road_facing"), Value::Text("dashcam"), Value::Int64(1)})
                  .ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO commits (id, dataset, sequence, created_at, row_count) "
                            "VALUES ('c1', 'road_facing', 1, 2, 10)")
                  .ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO commit_segments (commit_id, ordinal, object_id, "
                            "row_count) VALUES ('c1', 0, 'sha256:ab', 10)")
                  .ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO snapshots (id, dataset, definition, created_at) "
                            "VALUES ('s1', 'road_facing', '{}', 3)")
                  .ok());
  EXPECT_EQ(conn->Execute("INSERT INTO commits (id, dataset, sequence, created_at, row_count) "
                          "VALUES ('c2', 'road_facing', 1, 2, 10)")
                .status()
                .code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(conn->Execute("INSERT INTO commits (id, dataset, sequence, created_at, row_count) "
                          "VALUES ('c3', 'no_such_dataset', 1, 2, 10)")
                .status()
                .code(),
            StatusCode::kInvalidArgument);

  // v3: a run may name an existing snapshot or none; params are unique per run and key;
  // metric rows may repeat a step; the status is one of three words.
  ASSERT_TRUE(conn->Execute("INSERT INTO runs (id, name, status, snapshot_id, created_at) "
                            "VALUES ('r1', 'a', 'running', 's1', 4)")
                  .ok());
  ASSERT_TRUE(
      conn->Execute("INSERT INTO runs (id, status, created_at) VALUES ('r2', 'failed', 5)").ok());
  EXPECT_EQ(conn->Execute("INSERT INTO runs (id, status, snapshot_id, created_at) "
                          "VALUES ('r3', 'running', 'no_such_snapshot', 6)")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(
      conn->Execute("INSERT INTO runs (id, status, created_at) VALUES ('r4', 'paused', 7)").ok());
  ASSERT_TRUE(
      conn->Execute("INSERT INTO run_params VALUES ('r1', 'lr', '0.01', 'float64', 0.01)").ok());
  EXPECT_EQ(conn->Execute("INSERT INTO run_params VALUES ('r1', 'lr', '0.02', 'float64', 0.02)")
                .status()
                .code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(conn->Execute("INSERT INTO run_metrics VALUES ('r1', 'loss', 1, 0.5, 8)").ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO run_metrics VALUES ('r1', 'loss', 1, 0.25, 9)").ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO run_tags VALUES ('r1', 'team', 'perception')").ok());
  EXPECT_EQ(Scalar(*conn, "SELECT SUM(value) FROM run_metrics WHERE run_id = 'r1'"),
            Value::Double(0.75));

  // v8: a metric chunk's points are bytes (NUL and 0xff included) that come back as written;
  // its sequence number is unique per run and key.
  const std::string points("\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0\x3f", 16);
  ASSERT_TRUE(
      conn->Execute("INSERT INTO run_metric_chunks (run_id, key, seq, first_step, "
                    "last_step, count, points, logged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    {Value::Text("r1"), Value::Text("loss"), Value::Int64(1), Value::Int64(1),
                     Value::Int64(1), Value::Int64(1), Value::Blob(points), Value::Int64(10)})
          .ok());
  EXPECT_EQ(Scalar(*conn, "SELECT points FROM run_metric_chunks WHERE run_id = 'r1'"),
            Value::Blob(points));
  EXPECT_EQ(conn->Execute("INSERT INTO run_metric_chunks (run_id, key, seq, first_step, "
                          "last_step, count, points, logged_at) VALUES ('r1', 'loss', 1, 2, 2, "
                          "0, ?, 11)",
                          {Value::Blob("")})
                .status()
                .code(),
            StatusCode::kAlreadyExists);

  // v4: an artifact names one blob per run and name; a model version must point at an
  // artifact that exists and is unique per model and number; an alias must name an existing
  // version; a history row's outcome is one of two words.
  ASSERT_TRUE(
      conn->Execute("INSERT INTO run_artifacts VALUES ('r1', 'model.bin', 'b1', 3, 10)").ok());
  EXPECT_EQ(conn->Execute("INSERT INTO run_artifacts VALUES ('r1', 'model.bin', 'b2', 4, 11)")
                .status()
                .code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(conn->Execute("INSERT INTO models (name, created_at) VALUES ('detector', 12)").ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO model_versions (model, version, run_id, artifact, "
                            "created_at) VALUES ('detector', 1, 'r1', 'model.bin', 13)")
                  .ok());
  EXPECT_EQ(conn->Execute("INSERT INTO model_versions (model, version, run_id, artifact, "
                          "created_at) VALUES ('detector', 1, 'r1', 'model.bin', 14)")
                .status()
                .code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(conn->Execute("INSERT INTO model_versions (model, version, run_id, artifact, "
                          "created_at) VALUES ('detector', 2, 'r1', 'no_such_file', 15)")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(conn->Execute("INSERT INTO model_aliases VALUES ('detector', 'production', 2, 16)")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(
      conn->Execute("INSERT INTO model_aliases VALUES ('detector', 'production', 1, 17)").ok());
  EXPECT_FALSE(conn->Execute("INSERT INTO model_alias_history (model, seq, alias, to_version, "
                             "outcome, at) VALUES ('detector', 1, 'production', 1, 'maybe', 18)")
                   .ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO model_alias_history (model, seq, alias, to_version, "
                            "outcome, at) VALUES ('detector', 1, 'production', 1, 'moved', 19)")
                  .ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO model_evaluations (model, version, snapshot_id, split, "
                            "result_blob, recorded_at) VALUES ('detector', 1, 's1', 'test', "
                            "'b3', 20)")
                  .ok());
}

TEST_P(ConformanceTest, ReopeningAnUpToDateCatalogChangesNothing) {
  Value applied_at;
  {
    auto conn = MustConnect(uri_, true);
    ASSERT_NE(conn, nullptr);
    applied_at = Scalar(*conn, "SELECT applied_at FROM schema_migrations WHERE version = 1");
    ASSERT_EQ(applied_at.type(), ValueType::kInt64);
  }
  auto conn = MustConnect(uri_, true);
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(Scalar(*conn, "SELECT COUNT(*) FROM schema_migrations"),
            Value::Int64(static_cast<int64_t>(CoreMigrations().size())));
  EXPECT_EQ(Scalar(*conn, "SELECT applied_at FROM schema_migrations WHERE version = 1"),
            applied_at);
}

TEST_P(ConformanceTest, SchemaNewerThanTheBinaryIsRefused) {
  {
    auto conn = MustConnect(uri_, true);
    ASSERT_NE(conn, nullptr);
    ASSERT_TRUE(
        conn->Execute("INSERT INTO schema_migrations VALUES (99, 'from_the_future', 0)").ok());
  }
  auto reopened = OpenCatalog(uri_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(reopened.status().message().find("version 99, newer than this cairn binary"),
            std::string::npos)
      << reopened.status().ToString();
}

TEST_P(ConformanceTest, RenamedRecordedMigrationIsCorrupt) {
  auto conn = MustConnect(uri_, false);
  ASSERT_NE(conn, nullptr);
  const std::vector<Migration> first = {{1, "one", "CREATE TABLE one (id BIGINT)"}};
  const std::vector<Migration> renamed = {{1, "uno", "CREATE TABLE one (id BIGINT)"}};
  ASSERT_TRUE(ApplyMigrations(*conn, first).ok());
  EXPECT_EQ(ApplyMigrations(*conn, renamed).code(), StatusCode::kCorrupt);
}

TEST_P(ConformanceTest, FailingMigrationAppliesNothing) {
  auto conn = MustConnect(uri_, false);
  ASSERT_NE(conn, nullptr);
  const std::vector<Migration> migrations = {
      {1, "good", "CREATE TABLE good (id BIGINT)"},
      {2, "bad", "CREATE TABLE bad (id BIGINT); INSERT INTO nowhere VALUES (1)"},
  };
  Status status = ApplyMigrations(*conn, migrations);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
  EXPECT_NE(status.message().find("migration 2 (bad)"), std::string::npos) << status.ToString();
  auto version = SchemaVersion(*conn);
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, 0);
  EXPECT_FALSE(conn->Query("SELECT * FROM good").ok());
}

TEST_P(ConformanceTest, ConcurrentOpenersApplyEachMigrationOnce) {
  // Not idempotent on purpose: applied twice, the CREATE TABLE would fail and the INSERT
  // would leave two rows.
  const std::vector<Migration> migrations = {
      {1, "create_log", "CREATE TABLE log (n BIGINT); INSERT INTO log VALUES (1)"},
      {2, "extend_log", "INSERT INTO log VALUES (2)"},
  };
  constexpr int kThreads = 4;
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto conn = Connect(uri_);
      results[static_cast<size_t>(t)] =
          conn.ok() ? ApplyMigrations(**conn, migrations) : conn.status();
    });
  }
  for (auto& thread : threads) thread.join();
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  auto conn = MustConnect(uri_, false);
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(Scalar(*conn, "SELECT COUNT(*) FROM log"), Value::Int64(2));
  EXPECT_EQ(Scalar(*conn, "SELECT SUM(n) FROM log"), Value::Int64(3));
  EXPECT_EQ(Scalar(*conn, "SELECT COUNT(*) FROM schema_migrations"), Value::Int64(2));
}

TEST_P(ConformanceTest, ConcurrentWritersOnTwoConnectionsLoseNothing) {
  {
    auto setup = MustConnect(uri_, false);
    ASSERT_NE(setup, nullptr);
    ASSERT_TRUE(setup
                    ->Execute("CREATE TABLE k (id BIGINT PRIMARY KEY, writer BIGINT);"
                              "CREATE TABLE counter (n BIGINT); INSERT INTO counter VALUES (0)")
                    .ok());
  }
  constexpr int kWriters = 2;
  constexpr int kPerWriter = 40;
  std::vector<Status> results(kWriters);
  std::vector<std::thread> threads;
  threads.reserve(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      auto conn = Connect(uri_);
      if (!conn.ok()) {
        results[static_cast<size_t>(w)] = conn.status();
        return;
      }
      for (int i = 0; i < kPerWriter; ++i) {
        // A read-modify-write of the counter: correct only if the transactions serialize.
        Status s = RunInTransaction(**conn, [&](Connection& c) -> Status {
          CAIRN_RETURN_IF_ERROR(c.LockTransaction(42));
          CAIRN_ASSIGN_OR_RETURN(QueryResult n, c.Query("SELECT n FROM counter"));
          int64_t next = n.rows.at(0).at(0).int64() + 1;
          CAIRN_RETURN_IF_ERROR(
              c.Execute("UPDATE counter SET n = ?", {Value::Int64(next)}).status());
          return c
              .Execute("INSERT INTO k (id, writer) VALUES (?, ?)",
                       {Value::Int64(w * 1000 + i), Value::Int64(w)})
              .status();
        });
        if (!s.ok()) {
          results[static_cast<size_t>(w)] = s;
          return;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  auto conn = MustConnect(uri_, false);
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(Scalar(*conn, "SELECT COUNT(*) FROM k"), Value::Int64(kWriters * kPerWriter));
  EXPECT_EQ(Scalar(*conn, "SELECT COUNT(*) FROM k WHERE writer = 1"), Value::Int64(kPerWriter));
  EXPECT_EQ(Scalar(*conn, "SELECT n FROM counter"), Value::Int64(kWriters * kPerWriter));
}

TEST_P(ConformanceTest, LockedTransactionMakesAConcurrentReadModifyWriteWait) {
  auto first = MustConnect(uri_, false);
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(
      first->Execute("CREATE TABLE counter (n BIGINT); INSERT INTO counter VALUES (0)").ok());
  auto increment = [](Connection& c) -> Status {
    CAIRN_RETURN_IF_ERROR(c.LockTransaction(7));
    CAIRN_ASSIGN_OR_RETURN(QueryResult n, c.Query("SELECT n FROM counter"));
    return c.Execute("UPDATE counter SET n = ?", {Value::Int64(n.rows.at(0).at(0).int64() + 1)})
        .status();
  };
  // The first transaction reads the counter under the lock and holds it ...
  ASSERT_TRUE(first->Begin().ok());
  ASSERT_TRUE(first->LockTransaction(7).ok());
  auto n = first->Query("SELECT n FROM counter");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  // ... while a second connection tries the same read-modify-write.
  std::atomic<bool> second_done{false};
  Status second_status;
  std::thread second([&] {
    auto conn = Connect(uri_);
    second_status = conn.ok() ? RunInTransaction(**conn, increment) : conn.status();
    second_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(second_done) << "the second transaction did not wait for the lock";
  ASSERT_TRUE(
      first->Execute("UPDATE counter SET n = ?", {Value::Int64(n->rows.at(0).at(0).int64() + 1)})
          .ok());
  ASSERT_TRUE(first->Commit().ok());
  second.join();
  EXPECT_TRUE(second_status.ok()) << second_status.ToString();
  EXPECT_EQ(Scalar(*first, "SELECT n FROM counter"), Value::Int64(2));
}

INSTANTIATE_TEST_SUITE_P(Backends, ConformanceTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param) {
                           return std::string(BackendName(param.param));
                         });

}  // namespace
}  // namespace cairn::catalog
