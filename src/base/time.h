#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cairn {

/// Days since 1970-01-01 of a proleptic Gregorian date. No range check on the inputs.
int64_t DaysFromCivil(int64_t year, int month, int day);
/// The inverse of DaysFromCivil.
void CivilFromDays(int64_t days, int64_t* year, int* month, int* day);

/// Parses an ISO 8601 / RFC 3339 timestamp into microseconds since the Unix epoch, UTC.
/// Accepts `YYYY-MM-DD`, then optionally `T` or a space and `HH:MM[:SS[.f{1,9}]]`, then
/// optionally `Z`, ` UTC`, `±HH`, `±HHMM` or `±HH:MM` (the offset is subtracted, so the
/// result is always UTC). A timestamp with no zone is taken as UTC. Digits beyond
/// microseconds are truncated toward negative infinity. Returns nullopt for anything else,
/// including impossible dates (2021-02-30) and hours past 23.
std::optional<int64_t> ParseTimestampMicros(std::string_view text);

/// Like ParseTimestampMicros, in nanoseconds (nullopt if out of int64 range).
std::optional<int64_t> ParseTimestampNanos(std::string_view text);

/// Formats `value` (in units of 10^-digits seconds: 3 = millis, 6 = micros, 9 = nanos) as
/// `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`; the fraction is printed with `digits` digits when
/// non-zero and omitted when zero.
std::string FormatTimestamp(int64_t value, int digits);

/// Current wall-clock time in microseconds since the epoch.
int64_t NowMicros();

}  // namespace cairn
