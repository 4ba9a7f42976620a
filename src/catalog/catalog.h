#pragma once

// The catalog: cairn's metadata database behind one small interface. Two backends implement
// it: SQLite (the embedded default, a file in the workspace) and PostgreSQL (shared, many
// writers). SQL handed to a Connection is written once, in the common dialect described in
// docs/catalog.md, with `?` placeholders.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace cairn::catalog {

/// Which database engine a Connection talks to.
enum class Backend { kSqlite, kPostgres };

/// "sqlite" or "postgresql".
std::string_view BackendName(Backend backend);

/// The type of a Value. Every backend maps its column types onto these five.
enum class ValueType { kNull, kInt64, kDouble, kText, kBlob };

/// "null", "int64", "double", "text" or "blob".
std::string_view ValueTypeName(ValueType type);

/// One typed SQL value: a parameter or a result cell. Text and blob both hold bytes; text is
/// expected to be UTF-8. Cheap to move, copyable. Thread-compatible.
class Value {
 public:
  /// NULL.
  Value() = default;

  static Value Null() { return {}; }
  static Value Int64(int64_t v);
  static Value Double(double v);
  static Value Text(std::string v);
  static Value Blob(std::string bytes);

  ValueType type() const { return type_; }
  bool is_null() const { return type_ == ValueType::kNull; }
  /// The integer; 0 unless type() is kInt64.
  int64_t int64() const { return int_; }
  /// The double; 0 unless type() is kDouble.
  double float64() const { return double_; }
  /// The bytes of a text or blob value; empty otherwise.
  const std::string& bytes() const { return bytes_; }
  /// Moves the bytes of a text or blob value out, leaving them empty (the type is kept).
  std::string take_bytes() { return std::move(bytes_); }

  /// A short rendering for messages and test output: NULL, 42, 1.5, 'text', x'00ff'.
  std::string ToString() const;

  /// Same type and same contents (doubles compared bitwise-equal by value; NaN != NaN).
  friend bool operator==(const Value& a, const Value& b);

 private:
  ValueType type_ = ValueType::kNull;
  int64_t int_ = 0;
  double double_ = 0;
  std::string bytes_;
};

/// One result row: one Value per column, in select-list order.
using Row = std::vector<Value>;

/// The rows a query returned, with the column names of its select list.
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<Row> rows;
};

/// A connection to one catalog database.
///
/// Thread-safety: a Connection is used by one thread at a time (it is not internally
/// locked); give each thread its own Connection. Different Connections to the same database
/// may be used concurrently from threads or processes.
///
/// Errors: every method returns kInvalidArgument for malformed SQL or a wrong parameter
/// count, kAlreadyExists for a unique or primary key violation, kInvalidArgument for other
/// constraint violations (NOT NULL, CHECK, foreign key), and kIOError for failures of the
/// database itself. A failure that may succeed when the whole transaction is retried (SQLite
/// busy or locked, PostgreSQL serialization failure or deadlock) is a kIOError for which
/// IsRetryable() is true. Messages name the backend and the statement.
class Connection {
 public:
  virtual ~Connection() = default;
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  virtual Backend backend() const = 0;

  /// Runs a statement that returns no rows (DDL, INSERT, UPDATE, DELETE) with `params` bound
  /// to its `?` placeholders, in order. Returns the number of rows it changed (0 for DDL).
  /// With no parameters, `sql` may hold several statements separated by `;` (the count is
  /// then that of the last one).
  virtual Result<int64_t> Execute(std::string_view sql, const std::vector<Value>& params) = 0;
  Result<int64_t> Execute(std::string_view sql) { return Execute(sql, {}); }

  /// Runs one statement that returns rows, with `params` bound to its `?` placeholders.
  virtual Result<QueryResult> Query(std::string_view sql, const std::vector<Value>& params) = 0;
  Result<QueryResult> Query(std::string_view sql) { return Query(sql, {}); }

  /// Starts a transaction. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken now,
  /// so concurrent writers wait (up to the busy timeout) here rather than failing at their
  /// first write. On PostgreSQL it is `BEGIN` (READ COMMITTED). kInvalidArgument if a
  /// transaction is already open.
  virtual Status Begin() = 0;
  /// Commits the open transaction. kInvalidArgument if none is open. On failure the
  /// transaction is rolled back and no longer open.
  virtual Status Commit() = 0;
  /// Rolls back the open transaction; ok (and a no-op) if none is open.
  virtual Status Rollback() = 0;
  /// Whether Begin has been called without a matching Commit or Rollback.
  virtual bool in_transaction() const = 0;

  /// Serializes the rest of the open transaction against every other transaction that takes
  /// the same `key`, until it commits or rolls back: `pg_advisory_xact_lock(key)` on
  /// PostgreSQL. On SQLite a transaction from Begin already holds the database's only write
  /// lock, so this only checks that one is open. kInvalidArgument outside a transaction.
  virtual Status LockTransaction(int64_t key) = 0;
};

/// Whether `status` is a transient database failure (busy, locked, serialization failure,
/// deadlock) after which retrying the whole transaction may succeed. Survives WithPrefix.
bool IsRetryable(const Status& status);

/// The kIOError status that IsRetryable recognizes; for backends (and fakes in tests).
Status RetryableError(std::string message);

/// An open transaction that rolls back when destroyed unless Commit succeeded. Holds a
/// reference to its Connection, which must outlive it. Movable, not copyable; not
/// thread-safe (like its Connection).
class Transaction {
 public:
  /// Begins a transaction on `conn` (see Connection::Begin).
  static Result<Transaction> Begin(Connection& conn);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&& other) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  /// Rolls back if still open; a rollback failure is logged, not reported.
  ~Transaction();

  /// Commits. Whatever the outcome, the transaction is over afterwards.
  Status Commit();
  /// Rolls back now; ok if already over.
  Status Rollback();

 private:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  Connection* conn_;  // null once committed, rolled back or moved from
};

/// How RunInTransaction retries.
struct RetryOptions {
  /// Attempts in all, the first included (at least 1).
  int max_attempts = 8;
  /// Sleep before the second attempt; doubled for each later one, up to max_backoff_micros,
  /// and scaled by a factor in [0.5, 1) so that competing writers drift apart.
  int64_t initial_backoff_micros = 2000;
  int64_t max_backoff_micros = 200000;
};

/// Runs `body` inside a transaction on `conn` and commits it. If Begin, `body` or Commit
/// fails with an IsRetryable() status, the transaction is rolled back and the whole thing
/// retried (with backoff) up to options.max_attempts times; `body` must therefore be safe to
/// run again (it should only touch the database through `conn`). Any other failure rolls
/// back and is returned as is; after the last attempt the retryable status is returned
/// prefixed with the attempt count. Not thread-safe (uses `conn`).
Status RunInTransaction(Connection& conn, const std::function<Status(Connection&)>& body,
                        const RetryOptions& options = {});

/// Options for opening a catalog.
struct OpenOptions {
  /// How long a SQLite statement waits for a lock held by another connection before failing
  /// with a retryable error.
  int busy_timeout_ms = 10000;
  /// Whether OpenCatalog applies pending schema migrations (see migrations.h).
  bool migrate = true;
};

/// Connects to the database named by `uri` without touching its schema:
///   - a filesystem path, or `sqlite:///abs/path.db` (also `sqlite://relative/path.db`):
///     SQLite. The file is created if missing; the connection uses WAL journaling, enforces
///     foreign keys and waits options.busy_timeout_ms for locks.
///   - `postgresql://user@host:port/db` (or `postgres://`, with any libpq URI parameters):
///     PostgreSQL through libpq.
/// kInvalidArgument for an empty or unrecognized URI, kIOError if the database cannot be
/// opened or reached. The caller owns the connection.
Result<std::unique_ptr<Connection>> Connect(std::string_view uri, const OpenOptions& options = {});

/// Connect, then (unless options.migrate is false) bring the schema up to date with
/// ApplyMigrations(conn, CoreMigrations()). Errors of both are returned; a database whose
/// schema is newer than this binary is kUnsupported.
Result<std::unique_ptr<Connection>> OpenCatalog(std::string_view uri,
                                                const OpenOptions& options = {});

/// Rewrites the `?` placeholders of `sql` as `$1`, `$2`, … (PostgreSQL's syntax), leaving
/// question marks inside '…' literals, "…" identifiers and comments untouched. Sets
/// `*count` to the number of placeholders when non-null.
std::string NumberPlaceholders(std::string_view sql, int* count = nullptr);

/// The first 120 characters of `sql` on one line ("..." appended when cut), for error messages.
std::string SqlExcerpt(std::string_view sql);

}  // namespace cairn::catalog
