#pragma once

// Cron expressions: the five fields of crontab(5) (minute, hour, day of month, month, day of
// week) evaluated in UTC, and the fire times they describe (docs/pipelines.md, "Schedules").

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace cairn::pipeline {

/// A parsed cron expression. Copyable, immutable, thread-compatible.
///
/// Each field is `*`, a value, a range `a-b`, any of these with a step (`*/15`, `1-31/2`,
/// `5/10` meaning 5 to the field's maximum in steps of 10), or a comma-separated list of
/// them. Months may be written JAN-DEC and days of week SUN-SAT (any case); day of week 0
/// and 7 are both Sunday. The macros @yearly (@annually), @monthly, @weekly, @daily
/// (@midnight) and @hourly stand for their five-field forms.
///
/// As in cron, when both day of month and day of week are restricted (neither field starts
/// with `*`) a day matches if either matches; otherwise both must.
class CronSchedule {
 public:
  /// A schedule that never fires (Next and Previous return nullopt); see Parse.
  CronSchedule() = default;

  /// Parses `text`. kInvalidArgument naming the field and the problem ("cron '0 25 * * *':
  /// hour: 25 is out of range 0-23"); also for an expression that never fires (`0 0 30 2 *`).
  static Result<CronSchedule> Parse(std::string_view text);

  /// The first fire time strictly after `after` (microseconds since the epoch, UTC): a whole
  /// minute. nullopt if there is none within the next 400 years (only for expressions Parse
  /// refuses, or times near the end of the representable range).
  std::optional<int64_t> Next(int64_t after) const;

  /// The last fire time strictly before `before`, or nullopt if there is none within the
  /// previous 400 years.
  std::optional<int64_t> Previous(int64_t before) const;

  /// The expression as given.
  const std::string& text() const { return text_; }

 private:
  // Whether the day (days since the epoch) matches day of month, month and day of week.
  bool DayMatches(int64_t days) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // bit 0 unused
  std::bitset<13> months_;         // bit 0 unused
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool dom_star_ = false;
  bool dow_star_ = false;
};

}  // namespace cairn::pipeline
