#pragma once

#include <string_view>

namespace cairn {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

/// Sets the minimum level written to standard error (default kWarning; the environment
/// variable CAIRN_LOG=debug|info|warning|error overrides it at start-up).
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

/// Writes "cairn: <level>: <message>" to standard error if `level` is enabled. Thread-safe:
/// lines from concurrent callers never interleave.
void Log(LogLevel level, std::string_view message);

inline void LogDebug(std::string_view m) { Log(LogLevel::kDebug, m); }
inline void LogInfo(std::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogWarning(std::string_view m) { Log(LogLevel::kWarning, m); }
inline void LogError(std::string_view m) { Log(LogLevel::kError, m); }

}  // namespace cairn

/// Aborts with file and line when an internal invariant is broken (never for user input).
/// Active in every build type: the cost is one branch.
#define CAIRN_DCHECK(cond)                                                  \
  do {                                                                      \
    if (!(cond)) ::cairn::internal::CheckFailed(#cond, __FILE__, __LINE__); \
  } while (0)

namespace cairn::internal {
[[noreturn]] void CheckFailed(const char* cond, const char* file, int line);
}  // namespace cairn::internal
