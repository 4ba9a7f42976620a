#include "catalog/catalog.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "base/hash.h"
#include "base/log.h"
#include "base/time.h"
#include "catalog/backends.h"
#include "catalog/migrations.h"

namespace cairn::catalog {

namespace {

constexpr std::string_view kRetryableSuffix = " (retryable)";

}  // namespace

std::string_view BackendName(Backend backend) {
  switch (backend) {
    case Backend::kSqlite:
      return "sqlite";
    case Backend::kPostgres:
      return "postgresql";
  }
  return "unknown";
}

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kNull:
      return "null";
    case ValueType::kInt64:
      return "int64";
    case ValueType::kDouble:
      return "double";
    case ValueType::kText:
      return "text";
    case ValueType::kBlob:
      return "blob";
  }
  return "unknown";
}

Value Value::Int64(int64_t v) {
  Value value;
  value.type_ = ValueType::kInt64;
  value.int_ = v;
  return value;
}

Value Value::Double(double v) {
  Value value;
  value.type_ = ValueType::kDouble;
  value.double_ = v;
  return value;
}

Value Value::Text(std::string v) {
  Value value;
  value.type_ = ValueType::kText;
  value.bytes_ = std::move(v);
  return value;
}

Value Value::Blob(std::string bytes) {
  Value value;
  value.type_ = ValueType::kBlob;
  value.bytes_ = std::move(bytes);
  return value;
}

std::string Value::ToString() const {
  switch (type_) {
    case ValueType::kNull:
      return "NULL";
    case ValueType::kInt64:
      return std::to_string(int_);
    case ValueType::kDouble: {
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), double_);
      if (ec != std::errc()) return "?";
      return {buf, end};
    }
    case ValueType::kText: {
      constexpr size_t kMax = 64;
      std::string out = "'" + bytes_.substr(0, kMax);
      if (bytes_.size() > kMax) out += "...";
      return out + "'";
    }
    case ValueType::kBlob: {
      constexpr size_t kMax = 32;
      static constexpr char kHex[] = "0123456789abcdef";
      std::string out = "x'";
      for (size_t i = 0; i < std::min(bytes_.size(), kMax); ++i) {
        auto byte = static_cast<unsigned char>(bytes_[i]);
        out += kHex[byte >> 4];
        out += kHex[byte & 15];
      }
      if (bytes_.size() > kMax) out += "...";
      return out + "'";
    }
  }
  return "?";
}

bool operator==(const Value& a, const Value& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case ValueType::kNull:
      return true;
    case ValueType::kInt64:
      return a.int_ == b.int_;
    case ValueType::kDouble:
      return a.double_ == b.double_;
    case ValueType::kText:
    case ValueType::kBlob:
      return a.bytes_ == b.bytes_;
  }
  return false;
}

bool IsRetryable(const Status& status) {
  return status.code() == StatusCode::kIOError && status.message().ends_with(kRetryableSuffix);
}

Status RetryableError(std::string message) {
  message += kRetryableSuffix;
  return Status::IOError(std::move(message));
}

Result<Transaction> Transaction::Begin(Connection& conn) {
  CAIRN_RETURN_IF_ERROR(conn.Begin());
  return Transaction(&conn);
}

Transaction::Transaction(Transaction&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)) {}

Transaction::~Transaction() {
  Status status = Rollback();
  if (!status.ok())
    LogWarning("catalog: rollback of an abandoned transaction: " + status.ToString());
}

Status Transaction::Commit() {
  if (conn_ == nullptr) return Status::InvalidArgument("catalog: transaction is already over");
  Connection* conn = std::exchange(conn_, nullptr);
  return conn->Commit();
}

Status Transaction::Rollback() {
  if (conn_ == nullptr) return Status::Ok();
  Connection* conn = std::exchange(conn_, nullptr);
  return conn->Rollback();
}

Status RunInTransaction(Connection& conn, const std::function<Status(Connection&)>& body,
                        const RetryOptions& options) {
  const int attempts = std::max(options.max_attempts, 1);
  int64_t backoff = options.initial_backoff_micros;
  // Jitter comes from a hash of (thread, attempt), so competing threads sleep for different
  // times without any shared random state.
  const uint64_t thread_seed = std::hash<std::thread::id>()(std::this_thread::get_id());
  Status last;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (attempt > 1) {
      std::string key = std::to_string(thread_seed) + ":" + std::to_string(attempt) + ":" +
                        std::to_string(NowMicros());
      uint64_t h = Xxh3(key);
      double scale = 0.5 + 0.5 * static_cast<double>(h >> 11) * 0x1.0p-53;
      std::this_thread::sleep_for(
          std::chrono::microseconds(static_cast<int64_t>(static_cast<double>(backoff) * scale)));
      backoff = std::min(backoff * 2, options.max_backoff_micros);
    }
    last = conn.Begin();
    if (last.ok()) {
      last = body(conn);
      if (last.ok()) {
        last = conn.Commit();
        if (last.ok()) return last;
      }
    }
    // Roll back whatever is open; the failure that matters is the one already in `last`.
    Status rollback = conn.Rollback();
    if (!rollback.ok()) LogWarning("catalog: rollback after a failure: " + rollback.ToString());
    if (!IsRetryable(last)) return last;
  }
  return last.WithPrefix("catalog: gave up after " + std::to_string(attempts) + " attempts");
}

std::string NumberPlaceholders(std::string_view sql, int* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      // A quoted literal or identifier; a doubled quote inside is an escaped quote, which
      // this loop handles as two adjacent quoted runs.
      size_t end = sql.find(c, i + 1);
      end = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      end = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      end = end == std::string_view::npos ? sql.size() : end + 2;
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  if (count != nullptr) *count = n;
  return out;
}

Result<std::unique_ptr<Connection>> Connect(std::string_view uri, const OpenOptions& options) {
  if (uri.empty()) return Status::InvalidArgument("catalog: empty catalog URI");
  if (uri.starts_with("postgresql://") || uri.starts_with("postgres://")) {
    return internal::ConnectPostgres(uri, options);
  }
  if (uri.starts_with("sqlite://")) {
    std::string_view path = uri.substr(std::string_view("sqlite://").size());
    if (path.empty())
      return Status::InvalidArgument("catalog: no path in URI '" + std::string(uri) + "'");
    return internal::ConnectSqlite(std::string(path), options);
  }
  if (uri.find("://") != std::string_view::npos) {
    return Status::InvalidArgument("catalog: unsupported catalog URI '" + std::string(uri) +
                                   "' (expected a path, sqlite:///path or postgresql://...)");
  }
  return internal::ConnectSqlite(std::string(uri), options);
}

Result<std::unique_ptr<Connection>> OpenCatalog(std::string_view uri, const OpenOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connect(uri, options));
  if (options.migrate) {
    CAIRN_RETURN_IF_ERROR(ApplyMigrations(*conn, CoreMigrations()).WithPrefix("open catalog"));
  }
  return conn;
}

std::string SqlExcerpt(std::string_view sql) {
  constexpr size_t kMax = 120;
  std::string out(sql.substr(0, kMax));
  for (char& c : out) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  if (sql.size() > kMax) out += "...";
  return out;
}

}  // namespace cairn::catalog
