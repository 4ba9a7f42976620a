#include "base/time.h"

#include <chrono>
#include <cstdio>

namespace cairn {
namespace {

// Civil calendar conversion by eras of 400 years (146097 days), exact for all int64 inputs
// in range.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool ReadDigits(std::string_view s, size_t pos, size_t count, int* out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < count; ++i) {
    char c = s[pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2) {
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[m - 1];
}

// Parses into seconds since epoch plus nanoseconds of fraction.
bool ParseParts(std::string_view s, int64_t* seconds, int64_t* nanos) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  int year = 0, month = 0, day = 0;
  if (s.size() < 10 || !ReadDigits(s, 0, 4, &year) || s[4] != '-' || !ReadDigits(s, 5, 2, &month) ||
      s[7] != '-' || !ReadDigits(s, 8, 2, &day)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return false;
  int hour = 0, minute = 0, second = 0;
  int64_t frac_nanos = 0;
  size_t pos = 10;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ') && pos + 1 < s.size() &&
      IsDigit(s[pos + 1])) {
    ++pos;
    if (!ReadDigits(s, pos, 2, &hour) || pos + 2 >= s.size() || s[pos + 2] != ':' ||
        !ReadDigits(s, pos + 3, 2, &minute)) {
      return false;
    }
    pos += 5;
    if (pos < s.size() && s[pos] == ':') {
      if (!ReadDigits(s, pos + 1, 2, &second)) return false;
      pos += 3;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        size_t start = pos;
        int64_t scale = 100000000;
        while (pos < s.size() && IsDigit(s[pos])) {
          frac_nanos += (s[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
        if (pos == start || pos - start > 9) return false;
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return false;
    if (second == 60) second = 59;  // leap second: clamp, as most engines do
  }
  int64_t offset_seconds = 0;
  if (pos < s.size()) {
    std::string_view zone = s.substr(pos);
    if (zone == "Z" || zone == "z" || zone == " UTC" || zone == "UTC" || zone == " Z") {
      // UTC
    } else {
      if (zone.front() == ' ') zone.remove_prefix(1);
      if (zone.empty() || (zone[0] != '+' && zone[0] != '-')) return false;
      int sign = zone[0] == '-' ? -1 : 1;
      int oh = 0, om = 0;
      if (!ReadDigits(zone, 1, 2, &oh)) return false;
      if (zone.size() == 3) {
        // ±HH
      } else if (zone.size() == 5 && ReadDigits(zone, 3, 2, &om)) {
        // ±HHMM
      } else if (zone.size() == 6 && zone[3] == ':' && ReadDigits(zone, 4, 2, &om)) {
        // ±HH:MM
      } else {
        return false;
      }
      if (oh > 23 || om > 59) return false;
      offset_seconds = sign * (oh * 3600 + om * 60);
    }
  }
  int64_t days = DaysFromCivil(year, month, day);
  *seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  *nanos = frac_nanos;
  return true;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;                                   // [0, 399]
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           // [0, 146096]
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, int* month, int* day) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  *year = y + (m <= 2);
  *month = static_cast<int>(m);
  *day = static_cast<int>(d);
}

std::optional<int64_t> ParseTimestampMicros(std::string_view text) {
  int64_t seconds = 0, nanos = 0;
  if (!ParseParts(text, &seconds, &nanos)) return std::nullopt;
  return seconds * 1000000 + nanos / 1000;
}

std::optional<int64_t> ParseTimestampNanos(std::string_view text) {
  int64_t seconds = 0, nanos = 0;
  if (!ParseParts(text, &seconds, &nanos)) return std::nullopt;
  int64_t out = 0;
  if (__builtin_mul_overflow(seconds, int64_t{1000000000}, &out) ||
      __builtin_add_overflow(out, nanos, &out)) {
    return std::nullopt;
  }
  return out;
}

std::string FormatTimestamp(int64_t value, int digits) {
  int64_t per_second = 1;
  for (int i = 0; i < digits; ++i) per_second *= 10;
  int64_t seconds = FloorDiv(value, per_second);
  int64_t frac = value - seconds * per_second;
  int64_t days = FloorDiv(seconds, 86400);
  int64_t sod = seconds - days * 86400;
  int64_t y = 0;
  int m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02d:%02d:%02d",
                        static_cast<long long>(y), m, d, static_cast<int>(sod / 3600),
                        static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (frac != 0) {
    std::snprintf(buf, sizeof(buf), ".%0*lld", digits, static_cast<long long>(frac));
    out += buf;
  }
  out += 'Z';
  return out;
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace cairn
