// The PostgreSQL backend: one libpq connection per Connection. Statements with parameters go
// through PQexecParams (`?` rewritten to `$n`); results come back in text format and are
// converted to Values by column type.

#include <libpq-fe.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "catalog/backends.h"
#include "catalog/catalog.h"

namespace cairn::catalog::internal {

namespace {

// Type OIDs from PostgreSQL's pg_type catalog (stable across releases).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

struct ResultDeleter {
  void operator()(PGresult* res) const { PQclear(res); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

std::string TrimNewline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Converts one text-format result cell of type `type` to a Value.
Result<Value> CellValue(Oid type, const char* data, size_t size) {
  std::string_view text(data, size);
  switch (type) {
    case kInt8Oid:
    case kInt4Oid:
    case kInt2Oid:
    case kOidOid: {
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || ptr != text.data() + text.size()) break;
      return Value::Int64(v);
    }
    case kNumericOid: {
      // SUM over BIGINT is NUMERIC in PostgreSQL but an integer in SQLite: integral values
      // that fit come back as int64, the rest as double.
      int64_t i = 0;
      auto [iptr, iec] = std::from_chars(text.data(), text.data() + text.size(), i);
      if (iec == std::errc() && iptr == text.data() + text.size()) return Value::Int64(i);
      [[fallthrough]];
    }
    case kFloat4Oid:
    case kFloat8Oid: {
      double v = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || ptr != text.data() + text.size()) break;
      return Value::Double(v);
    }
    case kBoolOid:
      return Value::Int64(text == "t" ? 1 : 0);
    case kByteaOid: {
      if (!text.starts_with("\\x") || text.size() % 2 != 0) break;
      std::string bytes;
      bytes.reserve(text.size() / 2 - 1);
      for (size_t i = 2; i < text.size(); i += 2) {
        int hi = HexDigit(text[i]);
        int lo = HexDigit(text[i + 1]);
        if (hi < 0 || lo < 0) return Status::Corrupt("postgresql: malformed bytea value");
        bytes += static_cast<char>((hi << 4) | lo);
      }
      return Value::Blob(std::move(bytes));
    }
    default:
      return Value::Text(std::string(text));
  }
  return Status::Corrupt("postgresql: cannot convert '" + SqlExcerpt(text) + "' of type oid " +
                         std::to_string(type));
}

class PostgresConnection final : public Connection {
 public:
  using Connection::Execute;
  using Connection::Query;

  explicit PostgresConnection(PGconn* conn) : conn_(conn) {
    // Notices (CREATE TABLE IF NOT EXISTS on an existing table, …) are not errors; keep
    // them off standard error.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
  }
  ~PostgresConnection() override { PQfinish(conn_); }

  Backend backend() const override { return Backend::kPostgres; }

  Result<int64_t> Execute(std::string_view sql, const std::vector<Value>& params) override {
    CAIRN_ASSIGN_OR_RETURN(PgResult res, Run(sql, params));
    const char* tuples = PQcmdTuples(res.get());
    int64_t changes = 0;
    if (tuples != nullptr && *tuples != '\0') {
      std::from_chars(tuples, tuples + std::strlen(tuples), changes);
    }
    return changes;
  }

  Result<QueryResult> Query(std::string_view sql, const std::vector<Value>& params) override {
    CAIRN_ASSIGN_OR_RETURN(PgResult res, Run(sql, params));
    QueryResult result;
    const int ncols = PQnfields(res.get());
    const int nrows = PQntuples(res.get());
    for (int c = 0; c < ncols; ++c) result.columns.emplace_back(PQfname(res.get(), c));
    result.rows.reserve(static_cast<size_t>(nrows));
    for (int r = 0; r < nrows; ++r) {
      Row row;
      row.reserve(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(res.get(), r, c) != 0) {
          row.emplace_back();
          continue;
        }
        CAIRN_ASSIGN_OR_RETURN(Value v,
                               CellValue(PQftype(res.get(), c), PQgetvalue(res.get(), r, c),
                                         static_cast<size_t>(PQgetlength(res.get(), r, c))));
        row.push_back(std::move(v));
      }
      result.rows.push_back(std::move(row));
    }
    return result;
  }

  Status Begin() override {
    if (in_transaction()) {
      return Status::InvalidArgument("postgresql: a transaction is already open");
    }
    return Run("BEGIN", {}).status();
  }

  Status Commit() override {
    if (!in_transaction()) return Status::InvalidArgument("postgresql: no transaction to commit");
    CAIRN_ASSIGN_OR_RETURN(PgResult res, Run("COMMIT", {}));
    // COMMIT of a transaction that an error aborted succeeds as a ROLLBACK.
    if (std::string_view(PQcmdStatus(res.get())) == "ROLLBACK") {
      return Status::InvalidArgument(
          "postgresql: commit of a transaction aborted by an earlier error; it was rolled back");
    }
    return Status::Ok();
  }

  Status Rollback() override {
    if (!in_transaction()) return Status::Ok();
    return Run("ROLLBACK", {}).status();
  }

  bool in_transaction() const override {
    PGTransactionStatusType status = PQtransactionStatus(conn_);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
  }

  Status LockTransaction(int64_t key) override {
    if (!in_transaction()) {
      return Status::InvalidArgument("postgresql: LockTransaction outside a transaction");
    }
    return Query("SELECT pg_advisory_xact_lock(?)", {Value::Int64(key)}).status();
  }

 private:
  Result<PgResult> Run(std::string_view sql, const std::vector<Value>& params) {
    int count = 0;
    std::string numbered = NumberPlaceholders(sql, &count);
    if (static_cast<size_t>(count) != params.size()) {
      return Status::InvalidArgument("postgresql: statement has " + std::to_string(count) +
                                     " placeholders but " + std::to_string(params.size()) +
                                     " parameters were given: " + SqlExcerpt(sql));
    }
    PgResult res;
    if (params.empty()) {
      // PQexec accepts several statements separated by semicolons (migrations use this).
      res.reset(PQexec(conn_, numbered.c_str()));
    } else {
      std::vector<std::string> text(params.size());
      std::vector<Oid> types(params.size(), 0);
      std::vector<const char*> values(params.size(), nullptr);
      std::vector<int> lengths(params.size(), 0);
      std::vector<int> formats(params.size(), 0);
      for (size_t i = 0; i < params.size(); ++i) {
        const Value& v = params[i];
        switch (v.type()) {
          case ValueType::kNull:
            break;
          case ValueType::kInt64:
            types[i] = kInt8Oid;
            text[i] = std::to_string(v.int64());
            values[i] = text[i].c_str();
            break;
          case ValueType::kDouble:
            types[i] = kFloat8Oid;
            text[i] = FormatDouble(v.float64());
            values[i] = text[i].c_str();
            break;
          case ValueType::kText:
            // Type left to the server (0), like SQLite's column affinity.
            if (v.bytes().find('\0') != std::string::npos) {
              return Status::InvalidArgument("postgresql: parameter " + std::to_string(i + 1) +
                                             ": text contains a NUL byte");
            }
            values[i] = v.bytes().c_str();
            break;
          case ValueType::kBlob:
            types[i] = kByteaOid;
            values[i] = v.bytes().data();
            lengths[i] = static_cast<int>(v.bytes().size());
            formats[i] = 1;  // binary: the bytes as they are
            break;
        }
      }
      res.reset(PQexecParams(conn_, numbered.c_str(), static_cast<int>(params.size()), types.data(),
                             values.data(), lengths.data(), formats.data(), 0));
    }
    if (res == nullptr) {
      return Status::IOError("postgresql: " + TrimNewline(PQerrorMessage(conn_)) + ": in '" +
                             SqlExcerpt(sql) + "'");
    }
    ExecStatusType status = PQresultStatus(res.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return res;
    return Error(res.get(), sql);
  }

  Status Error(const PGresult* res, std::string_view sql) const {
    const char* state_field = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    std::string_view state = state_field != nullptr ? state_field : "";
    std::string message = "postgresql: " + TrimNewline(PQresultErrorMessage(res));
    if (!state.empty()) message += " [" + std::string(state) + "]";
    message += ": in '" + SqlExcerpt(sql) + "'";
    if (state == "23505") return Status::AlreadyExists(std::move(message));
    if (state == "40001" || state == "40P01" || state == "55P03") {
      return RetryableError(std::move(message));
    }
    if (state.starts_with("23") || state.starts_with("22") || state.starts_with("42") ||
        state == "25P02" || state == "08P01") {
      return Status::InvalidArgument(std::move(message));
    }
    return Status::IOError(std::move(message));
  }

  PGconn* conn_;
};

}  // namespace

Result<std::unique_ptr<Connection>> ConnectPostgres(std::string_view uri,
                                                    const OpenOptions& options) {
  std::string uri_string(uri);
  PGconn* conn = PQconnectdb(uri_string.c_str());
  if (conn == nullptr) return Status::IOError("postgresql: out of memory while connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = "postgresql: cannot connect: " + TrimNewline(PQerrorMessage(conn));
    PQfinish(conn);
    return Status::IOError(std::move(message));
  }
  auto result = std::make_unique<PostgresConnection>(conn);
  // Lock waits are bounded like SQLite's busy timeout; a timeout is a retryable 55P03.
  CAIRN_RETURN_IF_ERROR(
      result->Execute("SET lock_timeout = " + std::to_string(options.busy_timeout_ms)).status());
  return std::unique_ptr<Connection>(std::move(result));
}

}  // namespace cairn::catalog::internal
