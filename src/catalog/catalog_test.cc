// Unit tests of the backend-independent parts: values, placeholder numbering, the
// transaction guard and retry loop (against an in-memory fake), URI dispatch, and SQLite's
// connection settings.

#include "catalog/catalog.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

namespace cairn::catalog {
namespace {

namespace fs = std::filesystem;

TEST(NumberPlaceholdersTest, NumbersPlaceholdersOutsideLiteralsAndComments) {
  int count = 0;
  EXPECT_EQ(NumberPlaceholders("SELECT ?, '?''?', \"a?\", ? -- ?\n, ? /* ? */", &count),
            "SELECT $1, '?''?', \"a?\", $2 -- ?\n, $3 /* ? */");
  EXPECT_EQ(count, 3);
  EXPECT_EQ(NumberPlaceholders("SELECT 1", &count), "SELECT 1");
  EXPECT_EQ(count, 0);
  EXPECT_EQ(NumberPlaceholders("SELECT 'unterminated ?", &count), "SELECT 'unterminated ?");
  EXPECT_EQ(count, 0);
}

TEST(ValueTest, TypesAccessorsAndEquality) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_EQ(Value::Int64(5).int64(), 5);
  EXPECT_EQ(Value::Double(2.5).float64(), 2.5);
  EXPECT_EQ(Value::Text("a").bytes(), "a");
  EXPECT_NE(Value::Text("a"), Value::Blob("a"));
  EXPECT_NE(Value::Int64(1), Value::Double(1));
  EXPECT_EQ(Value::Blob(std::string("\x00\xff", 2)).ToString(), "x'00ff'");
  EXPECT_EQ(Value::Text("it").ToString(), "'it'");
  EXPECT_EQ(Value().ToString(), "NULL");
}

// A Connection whose Begin and Commit fail with scripted statuses, recording the calls.
class FakeConnection final : public Connection {
 public:
  using Connection::Execute;
  using Connection::Query;

  Backend backend() const override { return Backend::kSqlite; }
  Result<int64_t> Execute(std::string_view sql, const std::vector<Value>& /*params*/) override {
    log.emplace_back(sql);
    return int64_t{0};
  }
  Result<QueryResult> Query(std::string_view sql, const std::vector<Value>& /*params*/) override {
    log.emplace_back(sql);
    return QueryResult{};
  }
  Status Begin() override {
    log.emplace_back("BEGIN");
    open = true;
    return Status::Ok();
  }
  Status Commit() override {
    log.emplace_back("COMMIT");
    open = false;
    if (commit_failures > 0) {
      --commit_failures;
      return commit_error;
    }
    return Status::Ok();
  }
  Status Rollback() override {
    if (open) log.emplace_back("ROLLBACK");
    open = false;
    return Status::Ok();
  }
  bool in_transaction() const override { return open; }
  Status LockTransaction(int64_t /*key*/) override { return Status::Ok(); }

  std::vector<std::string> log;
  bool open = false;
  int commit_failures = 0;
  Status commit_error;
};

RetryOptions FastRetries(int attempts) {
  RetryOptions options;
  options.max_attempts = attempts;
  options.initial_backoff_micros = 1;
  options.max_backoff_micros = 1;
  return options;
}

TEST(RunInTransactionTest, RetriesRetryableFailuresThenCommits) {
  FakeConnection conn;
  conn.commit_failures = 2;
  conn.commit_error = RetryableError("busy");
  int runs = 0;
  Status status = RunInTransaction(
      conn,
      [&](Connection& c) {
        ++runs;
        return c.Execute("UPDATE t SET n = n + 1").status();
      },
      FastRetries(5));
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(conn.log, (std::vector<std::string>{"BEGIN", "UPDATE t SET n = n + 1", "COMMIT",
                                                "BEGIN", "UPDATE t SET n = n + 1", "COMMIT",
                                                "BEGIN", "UPDATE t SET n = n + 1", "COMMIT"}));
}

TEST(RunInTransactionTest, GivesUpAfterMaxAttemptsWithTheRetryableError) {
  FakeConnection conn;
  conn.commit_failures = 10;
  conn.commit_error = RetryableError("database is locked");
  Status status = RunInTransaction(
      conn, [](Connection&) { return Status::Ok(); }, FastRetries(3));
  EXPECT_TRUE(IsRetryable(status)) << status.ToString();
  EXPECT_NE(status.message().find("gave up after 3 attempts"), std::string::npos);
  EXPECT_EQ(conn.commit_failures, 7);
}

TEST(RunInTransactionTest, OtherFailuresRollBackWithoutRetry) {
  FakeConnection conn;
  int runs = 0;
  Status status = RunInTransaction(conn, [&](Connection&) {
    ++runs;
    return Status::AlreadyExists("dataset 'a' exists");
  });
  EXPECT_EQ(status.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(conn.log, (std::vector<std::string>{"BEGIN", "ROLLBACK"}));
}

TEST(IsRetryableTest, SurvivesPrefixesAndRejectsOtherErrors) {
  EXPECT_TRUE(IsRetryable(RetryableError("locked").WithPrefix("ingest")));
  EXPECT_FALSE(IsRetryable(Status::IOError("disk full")));
  EXPECT_FALSE(IsRetryable(Status::Ok()));
}

TEST(ConnectTest, RejectsEmptyAndUnknownUris) {
  EXPECT_EQ(Connect("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Connect("mysql://localhost/db").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Connect("sqlite://").status().code(), StatusCode::kInvalidArgument);
}

TEST(ConnectTest, UnreachablePostgresIsIOError) {
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  auto conn = Connect("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2");
  EXPECT_EQ(conn.status().code(), StatusCode::kIOError) << conn.status().ToString();
}

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cairn_sqlite_test_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(SqliteTest, PlainPathAndSqliteUriOpenTheSameFileWithWalAndForeignKeys) {
  const std::string path = (fs::path(dir_) / "c.db").string();
  {
    auto conn = Connect(path);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    EXPECT_EQ((*conn)->backend(), Backend::kSqlite);
    ASSERT_TRUE((*conn)->Execute("CREATE TABLE t (id BIGINT)").ok());
  }
  auto conn = Connect("sqlite://" + path);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto tables = (*conn)->Query("SELECT name FROM sqlite_master WHERE type = 'table'");
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(tables->rows, (std::vector<Row>{{Value::Text("t")}}));
  auto mode = (*conn)->Query("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(mode->rows.at(0).at(0), Value::Text("wal"));
  auto fk = (*conn)->Query("PRAGMA foreign_keys");
  ASSERT_TRUE(fk.ok());
  EXPECT_EQ(fk->rows.at(0).at(0), Value::Int64(1));
}

TEST_F(SqliteTest, MissingDirectoryIsIOError) {
  auto conn = Connect((fs::path(dir_) / "no" / "such" / "c.db").string());
  EXPECT_EQ(conn.status().code(), StatusCode::kIOError) << conn.status().ToString();
}

TEST_F(SqliteTest, WriterWaitingPastTheBusyTimeoutGetsARetryableError) {
  const std::string path = (fs::path(dir_) / "c.db").string();
  OpenOptions options;
  options.busy_timeout_ms = 50;
  auto holder = Connect(path, options);
  auto waiter = Connect(path, options);
  ASSERT_TRUE(holder.ok() && waiter.ok());
  ASSERT_TRUE((*holder)->Begin().ok());
  Status status = (*waiter)->Begin();
  EXPECT_TRUE(IsRetryable(status)) << status.ToString();
  EXPECT_FALSE((*waiter)->in_transaction());
  ASSERT_TRUE((*holder)->Rollback().ok());
  EXPECT_TRUE((*waiter)->Begin().ok());
  EXPECT_TRUE((*waiter)->Rollback().ok());
}

}  // namespace
}  // namespace cairn::catalog
