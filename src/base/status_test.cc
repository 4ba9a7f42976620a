#include "base/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/result.h"

namespace cairn {
namespace {

Status FailIf(bool fail) {
  if (fail) return Status::Corrupt("page 3: bad header");
  return Status::Ok();
}

Result<int> ParseDigit(char c) {
  if (c < '0' || c > '9') return Status::InvalidArgument(std::string("not a digit: ") + c);
  return c - '0';
}

// Uses both macros the way library code does; `steps` records how far it got.
Status AddDigits(const std::string& text, int* sum, int* steps) {
  *sum = 0;
  *steps = 0;
  for (char c : text) {
    CAIRN_ASSIGN_OR_RETURN(int d, ParseDigit(c));
    *sum += d;
    ++*steps;
  }
  CAIRN_RETURN_IF_ERROR(FailIf(*sum > 20));
  return Status::Ok();
}

Result<std::unique_ptr<int>> MakeBox(int v) { return std::make_unique<int>(v); }

Result<int> Unbox(int v) {
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<int> box, MakeBox(v));
  return *box + 1;
}

TEST(StatusTest, DefaultIsOkWithEmptyMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = Status::NotFound("labels.csv: cannot open");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "labels.csv: cannot open");
  EXPECT_EQ(s.ToString(), "not found: labels.csv: cannot open");
}

TEST(StatusTest, ConstructingWithOkCodeIsOk) {
  Status s(StatusCode::kOk, "ignored");
  EXPECT_TRUE(s.ok());
}

TEST(StatusTest, EveryCodeHasADistinctName) {
  EXPECT_EQ(StatusCodeName(StatusCode::kOk), "ok");
  EXPECT_EQ(StatusCodeName(StatusCode::kInvalidArgument), "invalid argument");
  EXPECT_EQ(StatusCodeName(StatusCode::kNotFound), "not found");
  EXPECT_EQ(StatusCodeName(StatusCode::kIOError), "I/O error");
  EXPECT_EQ(StatusCodeName(StatusCode::kCorrupt), "corrupt");
  EXPECT_EQ(StatusCodeName(StatusCode::kUnsupported), "unsupported");
  EXPECT_EQ(StatusCodeName(StatusCode::kAlreadyExists), "already exists");
  EXPECT_EQ(StatusCodeName(StatusCode::kInternal), "internal error");
}

TEST(StatusTest, WithPrefixPrependsLocationAndKeepsCode) {
  Status s = Status::InvalidArgument("cannot parse 'x' as int64").WithPrefix("a.csv:3");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "a.csv:3: cannot parse 'x' as int64");
  EXPECT_TRUE(Status::Ok().WithPrefix("a.csv").ok());
}

TEST(StatusTest, CopiesShareTheSameError) {
  Status a = Status::IOError("disk full");
  Status b = a;  // NOLINT(performance-unnecessary-copy-initialization): copying is the point
  EXPECT_EQ(b.code(), StatusCode::kIOError);
  EXPECT_EQ(b.message(), "disk full");
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<int> good = 42;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  EXPECT_TRUE(good.status().ok());
  Result<int> bad = Status::Unsupported("nested types");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(bad.value_or(-1), -1);
  EXPECT_EQ(good.value_or(-1), 42);
}

TEST(ResultTest, ResultFromOkStatusBecomesInternalError) {
  Result<int> r = Status::Ok();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(ResultTest, AssignOrReturnPropagatesTheFirstError) {
  int sum = 0, steps = 0;
  Status s = AddDigits("12x4", &sum, &steps);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "not a digit: x");
  EXPECT_EQ(steps, 2);  // stopped at the bad character
  EXPECT_EQ(sum, 3);
}

TEST(ResultTest, ReturnIfErrorPropagatesAndOkFallsThrough) {
  int sum = 0, steps = 0;
  EXPECT_TRUE(AddDigits("1234", &sum, &steps).ok());
  EXPECT_EQ(sum, 10);
  Status s = AddDigits("999", &sum, &steps);  // 27 > 20
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_EQ(s.message(), "page 3: bad header");
}

TEST(ResultTest, AssignOrReturnMovesMoveOnlyValues) {
  Result<int> r = Unbox(6);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 7);
}

}  // namespace
}  // namespace cairn
