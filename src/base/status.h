#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace cairn {

/// The broad kind of a failure; the message carries the details.
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,  // the caller's input is wrong (bad flag, bad filter, bad value)
  kNotFound = 2,         // a named file, column or object does not exist
  kIOError = 3,          // the operating system refused a read or write
  kCorrupt = 4,          // stored data is malformed (bad magic, truncated page, bad quoting)
  kUnsupported = 5,      // valid input that cairn does not handle (nested Parquet types)
  kAlreadyExists = 6,
  kInternal = 7,  // a bug in cairn
};

/// The outcome of an operation: ok, or a code and a message that says where and what.
/// Cheap to copy when ok (a null pointer). Thread-compatible.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status IOError(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status Corrupt(std::string msg) { return {StatusCode::kCorrupt, std::move(msg)}; }
  static Status Unsupported(std::string msg) { return {StatusCode::kUnsupported, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) {
    return {StatusCode::kAlreadyExists, std::move(msg)};
  }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  /// The message without the code name; empty when ok.
  const std::string& message() const;
  /// "<code name>: <message>", or "OK".
  std::string ToString() const;

  /// Returns a copy whose message is "<prefix>: <message>"; ok stays ok.
  Status WithPrefix(std::string_view prefix) const;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const State> state_;
};

/// Name of a status code ("invalid argument", "corrupt", ...).
std::string_view StatusCodeName(StatusCode code);

}  // namespace cairn

#define CAIRN_CONCAT_INNER(a, b) a##b
#define CAIRN_CONCAT(a, b) CAIRN_CONCAT_INNER(a, b)

/// Evaluates `expr` (a Status); returns it from the enclosing function if not ok.
#define CAIRN_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::cairn::Status cairn_status_ = (expr);        \
    if (!cairn_status_.ok()) return cairn_status_; \
  } while (0)

#define CAIRN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()

/// Evaluates `expr` (a Result<T>); on error returns its status, else assigns the value to
/// `lhs` (which may be a declaration: `CAIRN_ASSIGN_OR_RETURN(auto x, F());`).
#define CAIRN_ASSIGN_OR_RETURN(lhs, expr) \
  CAIRN_ASSIGN_OR_RETURN_IMPL(CAIRN_CONCAT(cairn_result_, __LINE__), lhs, expr)
