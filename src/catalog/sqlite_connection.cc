// The SQLite backend: one sqlite3 handle per Connection, WAL journaling, foreign keys on,
// BEGIN IMMEDIATE transactions.

#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "catalog/backends.h"
#include "catalog/catalog.h"

namespace cairn::catalog::internal {

namespace {

struct StatementDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

bool IsBlank(std::string_view sql) {
  for (char c : sql) {
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r' && c != ';') return false;
  }
  return true;
}

class SqliteConnection final : public Connection {
 public:
  using Connection::Execute;
  using Connection::Query;

  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnection() override { sqlite3_close_v2(db_); }

  Backend backend() const override { return Backend::kSqlite; }

  Result<int64_t> Execute(std::string_view sql, const std::vector<Value>& params) override {
    CAIRN_RETURN_IF_ERROR(CheckNotAborted());
    std::string_view rest = sql;
    int64_t changes = 0;
    bool first = true;
    while (!IsBlank(rest)) {
      const char* tail = nullptr;
      sqlite3_stmt* raw = nullptr;
      int rc = sqlite3_prepare_v3(db_, rest.data(), static_cast<int>(rest.size()), 0, &raw, &tail);
      Statement stmt(raw);
      if (rc != SQLITE_OK) return Fail(rc, rest);
      std::string_view this_sql = rest.substr(0, static_cast<size_t>(tail - rest.data()));
      rest = rest.substr(this_sql.size());
      if (stmt == nullptr) continue;  // a comment or an empty statement
      if (!params.empty() && (!first || !IsBlank(rest))) {
        return Status::InvalidArgument("sqlite: parameters given for several statements: " +
                                       SqlExcerpt(sql));
      }
      first = false;
      CAIRN_RETURN_IF_ERROR(Bind(stmt.get(), params, this_sql));
      // sqlite3_changes64 keeps the count of the last INSERT/UPDATE/DELETE through DDL, so
      // the count of this statement is taken from the running total instead.
      const int64_t before = sqlite3_total_changes64(db_);
      while (true) {
        rc = sqlite3_step(stmt.get());
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) return Fail(rc, this_sql);
      }
      changes = sqlite3_total_changes64(db_) - before;
    }
    return changes;
  }

  Result<QueryResult> Query(std::string_view sql, const std::vector<Value>& params) override {
    CAIRN_RETURN_IF_ERROR(CheckNotAborted());
    const char* tail = nullptr;
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &raw, &tail);
    Statement stmt(raw);
    if (rc != SQLITE_OK) return Fail(rc, sql);
    if (stmt == nullptr) return Status::InvalidArgument("sqlite: no statement in query");
    if (!IsBlank(sql.substr(static_cast<size_t>(tail - sql.data())))) {
      return Status::InvalidArgument("sqlite: Query takes one statement: " + SqlExcerpt(sql));
    }
    CAIRN_RETURN_IF_ERROR(Bind(stmt.get(), params, sql));
    QueryResult result;
    const int ncols = sqlite3_column_count(stmt.get());
    for (int i = 0; i < ncols; ++i) result.columns.emplace_back(sqlite3_column_name(stmt.get(), i));
    while (true) {
      rc = sqlite3_step(stmt.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Fail(rc, sql);
      Row row;
      row.reserve(static_cast<size_t>(ncols));
      for (int i = 0; i < ncols; ++i) row.push_back(ColumnValue(stmt.get(), i));
      result.rows.push_back(std::move(row));
    }
    return result;
  }

  Status Begin() override {
    if (in_transaction()) {
      return Status::InvalidArgument("sqlite: " + path_ + ": a transaction is already open");
    }
    aborted_ = false;
    return Simple("BEGIN IMMEDIATE");
  }

  Status Commit() override {
    if (!in_transaction()) {
      return Status::InvalidArgument("sqlite: " + path_ + ": no transaction to commit");
    }
    if (aborted_) {
      CAIRN_RETURN_IF_ERROR(Rollback());
      return Status::InvalidArgument("sqlite: " + path_ +
                                     ": commit of a transaction aborted by an earlier error; it "
                                     "was rolled back");
    }
    Status status = Simple("COMMIT");
    if (!status.ok() && in_transaction()) {
      Status rollback = Simple("ROLLBACK");
      (void)rollback;  // the commit failure is the one to report
    }
    return status;
  }

  Status Rollback() override {
    aborted_ = false;
    if (!in_transaction()) return Status::Ok();
    return Simple("ROLLBACK");
  }

  bool in_transaction() const override { return sqlite3_get_autocommit(db_) == 0; }

  Status LockTransaction(int64_t /*key*/) override {
    if (!in_transaction()) {
      return Status::InvalidArgument("sqlite: " + path_ +
                                     ": LockTransaction outside a transaction");
    }
    return Status::Ok();
  }

 private:
  // Runs a statement with no parameters and no rows, without the aborted-transaction check.
  Status Simple(std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &raw, nullptr);
    Statement stmt(raw);
    if (rc != SQLITE_OK) return Error(rc, sql);
    rc = sqlite3_step(stmt.get());
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Error(rc, sql);
    return Status::Ok();
  }

  Status CheckNotAborted() const {
    if (aborted_ && in_transaction()) {
      return Status::InvalidArgument("sqlite: " + path_ +
                                     ": the transaction was aborted by an earlier error; roll "
                                     "it back");
    }
    return Status::Ok();
  }

  // An error of a statement run by the caller: like PostgreSQL, an error inside a
  // transaction leaves it usable only for Rollback, so both backends behave alike.
  Status Fail(int rc, std::string_view sql) {
    if (in_transaction()) aborted_ = true;
    return Error(rc, sql);
  }

  Status Error(int rc, std::string_view sql) const {
    std::string message =
        "sqlite: " + path_ + ": " + sqlite3_errmsg(db_) + ": in '" + SqlExcerpt(sql) + "'";
    switch (rc & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return RetryableError(std::move(message));
      case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
          return Status::AlreadyExists(std::move(message));
        }
        return Status::InvalidArgument(std::move(message));
      case SQLITE_ERROR:
      case SQLITE_RANGE:
      case SQLITE_MISMATCH:
      case SQLITE_TOOBIG:
        return Status::InvalidArgument(std::move(message));
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        return Status::Corrupt(std::move(message));
      default:
        return Status::IOError(std::move(message));
    }
  }

  Status Bind(sqlite3_stmt* stmt, const std::vector<Value>& params, std::string_view sql) {
    const int expected = sqlite3_bind_parameter_count(stmt);
    if (static_cast<size_t>(expected) != params.size()) {
      return Status::InvalidArgument("sqlite: statement has " + std::to_string(expected) +
                                     " placeholders but " + std::to_string(params.size()) +
                                     " parameters were given: " + SqlExcerpt(sql));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      const int index = static_cast<int>(i) + 1;
      int rc = SQLITE_OK;
      switch (v.type()) {
        case ValueType::kNull:
          rc = sqlite3_bind_null(stmt, index);
          break;
        case ValueType::kInt64:
          rc = sqlite3_bind_int64(stmt, index, v.int64());
          break;
        case ValueType::kDouble:
          rc = sqlite3_bind_double(stmt, index, v.float64());
          break;
        case ValueType::kText:
          rc = sqlite3_bind_text64(stmt, index, v.bytes().data(), v.bytes().size(),
                                   SQLITE_TRANSIENT, SQLITE_UTF8);
          break;
        case ValueType::kBlob:
          // A null data pointer would bind NULL, so an empty blob is bound as a zeroblob.
          rc = v.bytes().empty() ? sqlite3_bind_zeroblob(stmt, index, 0)
                                 : sqlite3_bind_blob64(stmt, index, v.bytes().data(),
                                                       v.bytes().size(), SQLITE_TRANSIENT);
          break;
      }
      if (rc != SQLITE_OK) return Fail(rc, sql).WithPrefix("parameter " + std::to_string(index));
    }
    return Status::Ok();
  }

  static Value ColumnValue(sqlite3_stmt* stmt, int i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER:
        return Value::Int64(sqlite3_column_int64(stmt, i));
      case SQLITE_FLOAT:
        return Value::Double(sqlite3_column_double(stmt, i));
      case SQLITE_TEXT: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        auto size = static_cast<size_t>(sqlite3_column_bytes(stmt, i));
        return Value::Text(text == nullptr ? std::string() : std::string(text, size));
      }
      case SQLITE_BLOB: {
        const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, i));
        auto size = static_cast<size_t>(sqlite3_column_bytes(stmt, i));
        return Value::Blob(data == nullptr ? std::string() : std::string(data, size));
      }
      default:
        return Value::Null();
    }
  }

  sqlite3* db_;
  std::string path_;
  bool aborted_ = false;  // an error happened inside the open transaction
};

}  // namespace

Result<std::unique_ptr<Connection>> ConnectSqlite(const std::string& path,
                                                  const OpenOptions& options) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "sqlite: cannot open '" + path +
                          "': " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return Status::IOError(std::move(message));
  }
  auto conn = std::make_unique<SqliteConnection>(db, path);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  // Switching a new database to WAL needs an exclusive lock that concurrent openers of the
  // same new file contend for; the busy handler does not cover every case, so retry here.
  Result<QueryResult> mode = Status::Internal("unset");
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
  while (true) {
    mode = conn->Query("PRAGMA journal_mode=WAL");
    if (mode.ok() || !IsRetryable(mode.status()) || std::chrono::steady_clock::now() > deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!mode.ok()) return mode.status();
  if (mode->rows.size() != 1 || mode->rows[0].size() != 1 || mode->rows[0][0].bytes() != "wal") {
    return Status::IOError("sqlite: " + path + ": cannot switch to WAL journaling");
  }
  CAIRN_RETURN_IF_ERROR(conn->Execute("PRAGMA foreign_keys=ON").status());
  return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace cairn::catalog::internal
