// Tests of cron expressions: fire times worked out by hand from a calendar (2024-01-01 was a
// Monday, 2024-09-01 a Sunday, 2024-10-01 a Tuesday, 2024-07-01 a Monday).

#include "pipeline/cron.h"

#include <gtest/gtest.h>

#include <string>

#include "base/time.h"

namespace cairn::pipeline {
namespace {

int64_t T(const char* text) {
  auto t = ParseTimestampMicros(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(0);
}

// The next fire time after `after`, formatted, or "none".
std::string Next(const char* expr, const char* after) {
  auto c = CronSchedule::Parse(expr);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  if (!c.ok()) return "parse error";
  auto n = c->Next(T(after));
  return n ? FormatTimestamp(*n, 6) : "none";
}

std::string Previous(const char* expr, const char* before) {
  auto c = CronSchedule::Parse(expr);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  if (!c.ok()) return "parse error";
  auto n = c->Previous(T(before));
  return n ? FormatTimestamp(*n, 6) : "none";
}

std::string ParseError(const char* expr) {
  auto c = CronSchedule::Parse(expr);
  return c.ok() ? "" : c.status().message();
}

TEST(CronTest, DailyFiresStrictlyAfter) {
  EXPECT_EQ(Next("0 3 * * *", "2024-01-01T00:00:00Z"), "2024-01-01T03:00:00Z");
  EXPECT_EQ(Next("0 3 * * *", "2024-01-01T03:00:00Z"), "2024-01-02T03:00:00Z");
  EXPECT_EQ(Next("0 3 * * *", "2024-01-01T02:59:59.999999Z"), "2024-01-01T03:00:00Z");
  EXPECT_EQ(Next("0 3 * * *", "2023-12-31T03:00:01Z"), "2024-01-01T03:00:00Z");
}

TEST(CronTest, StepsRangesAndLists) {
  EXPECT_EQ(Next("*/15 * * * *", "2024-03-10T10:07:30Z"), "2024-03-10T10:15:00Z");
  EXPECT_EQ(Next("*/15 * * * *", "2024-03-10T23:45:00Z"), "2024-03-11T00:00:00Z");
  EXPECT_EQ(Next("5-20/5 1-3 * * *", "2024-01-01T00:00:00Z"), "2024-01-01T01:05:00Z");
  EXPECT_EQ(Next("5-20/5 1-3 * * *", "2024-01-01T01:20:00Z"), "2024-01-01T02:05:00Z");
  EXPECT_EQ(Next("5-20/5 1-3 * * *", "2024-01-01T03:20:00Z"), "2024-01-02T01:05:00Z");
  // a/n: from a to the maximum in steps of n (5, 25, 45).
  EXPECT_EQ(Next("5/20 * * * *", "2024-01-01T00:05:00Z"), "2024-01-01T00:25:00Z");
  EXPECT_EQ(Next("5/20 * * * *", "2024-01-01T00:45:00Z"), "2024-01-01T01:05:00Z");
  EXPECT_EQ(Next("0,30 9,17 * * *", "2024-01-01T09:30:00Z"), "2024-01-01T17:00:00Z");
}

TEST(CronTest, MonthEndsAndLeapDays) {
  EXPECT_EQ(Next("0 0 31 * *", "2024-04-01T00:00:00Z"), "2024-05-31T00:00:00Z");
  EXPECT_EQ(Next("0 0 29 2 *", "2023-03-01T00:00:00Z"), "2024-02-29T00:00:00Z");
  EXPECT_EQ(Next("0 0 29 2 *", "2024-03-01T00:00:00Z"), "2028-02-29T00:00:00Z");
  // Across a year end.
  EXPECT_EQ(Next("0 0 1 1 *", "2024-06-15T12:00:00Z"), "2025-01-01T00:00:00Z");
}

TEST(CronTest, DayOfMonthOrDayOfWeekWhenBothAreRestricted) {
  // The 13th or any Friday. October 2024: Fridays 4, 11, 18, 25; the 13th is a Sunday.
  EXPECT_EQ(Next("0 0 13 * 5", "2024-10-11T00:00:00Z"), "2024-10-13T00:00:00Z");
  EXPECT_EQ(Next("0 0 13 * 5", "2024-10-13T00:00:00Z"), "2024-10-18T00:00:00Z");
  // September 2024: Friday the 6th comes first.
  EXPECT_EQ(Next("0 0 13 * 5", "2024-09-01T00:00:00Z"), "2024-09-06T00:00:00Z");
}

TEST(CronTest, DayOfMonthAndDayOfWeekWhenOneStartsWithStar) {
  // Only the 13th.
  EXPECT_EQ(Next("0 0 13 * *", "2024-10-11T00:00:00Z"), "2024-10-13T00:00:00Z");
  // Only Fridays.
  EXPECT_EQ(Next("0 0 * * 5", "2024-10-11T00:00:00Z"), "2024-10-18T00:00:00Z");
  // */10 starts with '*': days 1, 11, 21, 31 that are also Mondays: 2024-10-21.
  EXPECT_EQ(Next("0 0 */10 * 1", "2024-10-01T00:00:00Z"), "2024-10-21T00:00:00Z");
}

TEST(CronTest, NamesAndSundayAsSeven) {
  // Weekdays of January and July: 2024-07-01 is a Monday.
  EXPECT_EQ(Next("30 8 * JAN,jul mon-fri", "2024-06-30T12:00:00Z"), "2024-07-01T08:30:00Z");
  // 2024-07-05 is a Friday; the next weekday of July after it is Monday the 8th.
  EXPECT_EQ(Next("30 8 * JAN,jul mon-fri", "2024-07-05T09:00:00Z"), "2024-07-08T08:30:00Z");
  // After July: January 2025 (2025-01-01 is a Wednesday).
  EXPECT_EQ(Next("30 8 * JAN,jul mon-fri", "2024-07-31T09:00:00Z"), "2025-01-01T08:30:00Z");
  EXPECT_EQ(Next("0 12 * * 7", "2024-09-01T13:00:00Z"), "2024-09-08T12:00:00Z");
  EXPECT_EQ(Next("0 12 * * 0", "2024-09-01T11:00:00Z"), "2024-09-01T12:00:00Z");
  EXPECT_EQ(Next("0 12 * * SUN", "2024-09-01T11:00:00Z"), "2024-09-01T12:00:00Z");
}

TEST(CronTest, Macros) {
  // 2024-10-02 is a Wednesday; the next Sunday is the 6th.
  EXPECT_EQ(Next("@weekly", "2024-10-02T10:00:00Z"), "2024-10-06T00:00:00Z");
  EXPECT_EQ(Next("@daily", "2024-10-02T10:00:00Z"), "2024-10-03T00:00:00Z");
  EXPECT_EQ(Next("@hourly", "2024-10-02T10:00:00Z"), "2024-10-02T11:00:00Z");
  EXPECT_EQ(Next("@monthly", "2024-10-02T10:00:00Z"), "2024-11-01T00:00:00Z");
  EXPECT_EQ(Next("@yearly", "2024-10-02T10:00:00Z"), "2025-01-01T00:00:00Z");
}

TEST(CronTest, PreviousFiresStrictlyBefore) {
  EXPECT_EQ(Previous("0 3 * * *", "2024-01-02T03:00:00Z"), "2024-01-01T03:00:00Z");
  EXPECT_EQ(Previous("0 3 * * *", "2024-01-02T03:00:00.000001Z"), "2024-01-02T03:00:00Z");
  EXPECT_EQ(Previous("0 0 29 2 *", "2028-02-28T00:00:00Z"), "2024-02-29T00:00:00Z");
  EXPECT_EQ(Previous("0 0 13 * 5", "2024-10-18T00:00:00Z"), "2024-10-13T00:00:00Z");
  EXPECT_EQ(Previous("*/15 * * * *", "2024-03-11T00:00:00Z"), "2024-03-10T23:45:00Z");
  // Before the epoch.
  EXPECT_EQ(Previous("0 0 1 1 *", "1970-01-01T00:00:00Z"), "1969-01-01T00:00:00Z");
}

TEST(CronTest, NextAndPreviousAreInverse) {
  auto c = CronSchedule::Parse("7 */5 1-10 * MON");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  int64_t t = T("2024-01-01T00:00:00Z");
  for (int i = 0; i < 200; ++i) {
    auto n = c->Next(t);
    ASSERT_TRUE(n.has_value());
    auto back = c->Previous(*n);
    if (i > 0) {
      EXPECT_EQ(back, t);
    }
    t = *n;
  }
}

TEST(CronTest, ErrorsNameTheField) {
  EXPECT_EQ(ParseError("0 25 * * *"), "cron '0 25 * * *': hour: 25 is out of range 0-23");
  EXPECT_EQ(ParseError("* * *"),
            "cron '* * *': expected 5 fields (minute hour day-of-month month day-of-week), got 3");
  EXPECT_EQ(ParseError("0 0 30 2 *"), "cron '0 0 30 2 *': never fires (no such date)");
  EXPECT_EQ(ParseError("5-1 * * * *"), "cron '5-1 * * * *': minute: range '5-1' runs backwards");
  EXPECT_EQ(ParseError("*/0 * * * *"), "cron '*/0 * * * *': minute: step: 0 is out of range 1-60");
  EXPECT_EQ(ParseError("0 0 * FOO *"), "cron '0 0 * FOO *': month: 'FOO' is not a number or name");
  EXPECT_EQ(ParseError("0 0 1,,2 * *"),
            "cron '0 0 1,,2 * *': day of month: empty list item in '1,,2'");
  EXPECT_EQ(ParseError("0 0 0 * *"), "cron '0 0 0 * *': day of month: 0 is out of range 1-31");
  EXPECT_EQ(ParseError("0 0 * * 8"), "cron '0 0 * * 8': day of week: 8 is out of range 0-7");
  EXPECT_NE(ParseError("@every"), "");
  EXPECT_EQ(ParseError("1x * * * *"), "cron '1x * * * *': minute: '1x' is not a number");
}

}  // namespace
}  // namespace cairn::pipeline
