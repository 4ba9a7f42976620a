#include "pipeline/cron.h"

#include <array>
#include <cctype>
#include <vector>

#include "base/time.h"

namespace cairn::pipeline {

namespace {

constexpr int64_t kMicrosPerMinute = 60'000'000;
constexpr int64_t kMinutesPerDay = 1440;
constexpr int64_t kSearchDays = 400 * 366;

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDayNames = {"sun", "mon", "tue", "wed",
                                                       "thu", "fri", "sat"};

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  const std::string_view* names;  // names[i] is the value min + i; null when none
  size_t name_count;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// One value of a field: a number or (where the field has them) a name.
Result<int> ParseValue(std::string_view text, const FieldSpec& f) {
  if (text.empty()) return Status::InvalidArgument("empty value");
  if (std::isdigit(static_cast<unsigned char>(text[0])) != 0) {
    int v = 0;
    for (char c : text) {
      if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
        return Status::InvalidArgument("'" + std::string(text) + "' is not a number");
      }
      v = v * 10 + (c - '0');
      if (v > 1000) break;
    }
    if (v < f.min || v > f.max) {
      return Status::InvalidArgument(std::string(text) + " is out of range " +
                                     std::to_string(f.min) + "-" + std::to_string(f.max));
    }
    return v;
  }
  const std::string lower = Lower(text);
  for (size_t i = 0; f.names != nullptr && i < f.name_count; ++i) {
    if (lower == f.names[i]) return f.min + static_cast<int>(i);
  }
  return Status::InvalidArgument("'" + std::string(text) + "' is not a " +
                                 (f.names != nullptr ? "number or name" : "number"));
}

// Parses one field into the values it allows; `star` is set when it starts with '*'.
Result<std::vector<bool>> ParseField(std::string_view text, const FieldSpec& f, bool* star) {
  std::vector<bool> allowed(static_cast<size_t>(f.max) + 1, false);
  *star = !text.empty() && text[0] == '*';
  if (text.empty()) return Status::InvalidArgument("empty field");
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = text.substr(pos, comma - pos);
    if (item.empty())
      return Status::InvalidArgument("empty list item in '" + std::string(text) + "'");
    std::string_view base = item;
    int step = 1;
    bool has_step = false;
    if (const size_t slash = item.find('/'); slash != std::string_view::npos) {
      base = item.substr(0, slash);
      const std::string_view step_text = item.substr(slash + 1);
      FieldSpec step_spec{f.name, 1, f.max - f.min + 1, nullptr, 0};
      auto s = ParseValue(step_text, step_spec);
      if (!s.ok()) return Status::InvalidArgument("step: " + s.status().message());
      step = *s;
      has_step = true;
    }
    int lo = f.min;
    int hi = f.max;
    if (base == "*") {
      // Every value.
    } else if (const size_t dash = base.find('-'); dash != std::string_view::npos) {
      CAIRN_ASSIGN_OR_RETURN(lo, ParseValue(base.substr(0, dash), f));
      CAIRN_ASSIGN_OR_RETURN(hi, ParseValue(base.substr(dash + 1), f));
      if (lo > hi) {
        return Status::InvalidArgument("range '" + std::string(base) + "' runs backwards");
      }
    } else {
      CAIRN_ASSIGN_OR_RETURN(lo, ParseValue(base, f));
      hi = has_step ? f.max : lo;
    }
    for (int v = lo; v <= hi; v += step) allowed[static_cast<size_t>(v)] = true;
    pos = comma + 1;
  }
  return allowed;
}

std::string_view Macro(std::string_view text) {
  if (text == "@yearly" || text == "@annually") return "0 0 1 1 *";
  if (text == "@monthly") return "0 0 1 * *";
  if (text == "@weekly") return "0 0 * * 0";
  if (text == "@daily" || text == "@midnight") return "0 0 * * *";
  if (text == "@hourly") return "0 * * * *";
  return {};
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view text) {
  CronSchedule c;
  c.text_ = std::string(text);
  const std::string where = "cron '" + std::string(text) + "'";
  std::string_view expr = text;
  if (!expr.empty() && expr[0] == '@') {
    expr = Macro(Lower(text));
    if (expr.empty()) {
      return Status::InvalidArgument(where +
                                     ": unknown macro; expected @yearly, @annually, @monthly, "
                                     "@weekly, @daily, @midnight or @hourly");
    }
  }
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (pos < expr.size()) {
    while (pos < expr.size() && (expr[pos] == ' ' || expr[pos] == '\t')) ++pos;
    if (pos >= expr.size()) break;
    size_t end = pos;
    while (end < expr.size() && expr[end] != ' ' && expr[end] != '\t') ++end;
    fields.push_back(expr.substr(pos, end - pos));
    pos = end;
  }
  if (fields.size() != 5) {
    return Status::InvalidArgument(where + ": expected 5 fields (minute hour day-of-month month " +
                                   "day-of-week), got " + std::to_string(fields.size()));
  }
  const std::array<FieldSpec, 5> specs = {{
      {"minute", 0, 59, nullptr, 0},
      {"hour", 0, 23, nullptr, 0},
      {"day of month", 1, 31, nullptr, 0},
      {"month", 1, 12, kMonthNames.data(), kMonthNames.size()},
      {"day of week", 0, 7, kDayNames.data(), kDayNames.size()},
  }};
  std::array<std::vector<bool>, 5> allowed;
  std::array<bool, 5> star = {};
  for (size_t i = 0; i < 5; ++i) {
    bool s = false;
    auto a = ParseField(fields[i], specs[i], &s);
    if (!a.ok()) {
      return Status::InvalidArgument(where + ": " + std::string(specs[i].name) + ": " +
                                     a.status().message());
    }
    allowed[i] = std::move(*a);
    star[i] = s;
  }
  for (size_t v = 0; v < 60; ++v) c.minutes_[v] = allowed[0][v];
  for (size_t v = 0; v < 24; ++v) c.hours_[v] = allowed[1][v];
  for (size_t v = 1; v <= 31; ++v) c.days_of_month_[v] = allowed[2][v];
  for (size_t v = 1; v <= 12; ++v) c.months_[v] = allowed[3][v];
  for (size_t v = 0; v <= 7; ++v) {
    if (allowed[4][v]) c.days_of_week_[v % 7] = true;
  }
  c.dom_star_ = star[2];
  c.dow_star_ = star[4];
  if (!c.Next(0)) return Status::InvalidArgument(where + ": never fires (no such date)");
  return c;
}

bool CronSchedule::DayMatches(int64_t days) const {
  int64_t year = 0;
  int month = 0;
  int day = 0;
  CivilFromDays(days, &year, &month, &day);
  if (!months_[static_cast<size_t>(month)]) return false;
  const auto weekday = static_cast<size_t>(((days % 7) + 11) % 7);  // 1970-01-01: Thursday
  const bool dom = days_of_month_[static_cast<size_t>(day)];
  const bool dow = days_of_week_[weekday];
  if (dom_star_ || dow_star_) return dom && dow;
  return dom || dow;
}

std::optional<int64_t> CronSchedule::Next(int64_t after) const {
  const int64_t first = FloorDiv(after, kMicrosPerMinute) + 1;
  int64_t day = FloorDiv(first, kMinutesPerDay);
  int64_t minute_of_day = first - day * kMinutesPerDay;
  for (int64_t n = 0; n < kSearchDays; ++n, ++day, minute_of_day = 0) {
    if (!DayMatches(day)) continue;
    for (int64_t m = minute_of_day; m < kMinutesPerDay; ++m) {
      if (hours_[static_cast<size_t>(m / 60)] && minutes_[static_cast<size_t>(m % 60)]) {
        return (day * kMinutesPerDay + m) * kMicrosPerMinute;
      }
    }
  }
  return std::nullopt;
}

std::optional<int64_t> CronSchedule::Previous(int64_t before) const {
  const int64_t last = FloorDiv(before - 1, kMicrosPerMinute);
  int64_t day = FloorDiv(last, kMinutesPerDay);
  int64_t minute_of_day = last - day * kMinutesPerDay;
  for (int64_t n = 0; n < kSearchDays; ++n, --day, minute_of_day = kMinutesPerDay - 1) {
    if (!DayMatches(day)) continue;
    for (int64_t m = minute_of_day; m >= 0; --m) {
      if (hours_[static_cast<size_t>(m / 60)] && minutes_[static_cast<size_t>(m % 60)]) {
        return (day * kMinutesPerDay + m) * kMicrosPerMinute;
      }
    }
  }
  return std::nullopt;
}

}  // namespace cairn::pipeline
