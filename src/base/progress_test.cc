#include "base/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace cairn {
namespace {

// Everything written to `f` so far.
std::string Contents(std::FILE* f) {
  std::fflush(f);
  long size = std::ftell(f);
  std::rewind(f);
  std::string out(static_cast<size_t>(size), '\0');
  size_t got = std::fread(out.data(), 1, out.size(), f);
  out.resize(got);
  return out;
}

TEST(ProgressTest, RendersBarPercentageAndCounts) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    Progress p("convert", 100, "rows", true, out);
    p.Add(30);
    p.Add(20);
    EXPECT_EQ(p.done(), 50);
    // A time before the start shows no elapsed seconds: 24 cells, half of them filled.
    EXPECT_EQ(p.Render(0), "convert: [############............]  50% 50 rows / 100 rows");
    p.Set(100);
    EXPECT_EQ(p.Render(0), "convert: [########################] 100% 100 rows / 100 rows");
  }
  std::fclose(out);
}

TEST(ProgressTest, ClampsPastTheTotal) {
  Progress p("x", 10, "rows", false, stderr);
  p.Set(25);
  EXPECT_EQ(p.Render(0), "x: [########################] 100% 25 rows / 10 rows");
}

TEST(ProgressTest, UnknownTotalShowsOnlyTheCount) {
  Progress p("scan", 0, "rows", false, stderr);
  p.Add(1234);
  EXPECT_EQ(p.Render(0), "scan: 1234 rows");
}

TEST(ProgressTest, BytesAreShownInMebibytes) {
  Progress p("read", 4 * 1024 * 1024, "bytes", false, stderr);
  p.Set(1024 * 1024);
  EXPECT_EQ(p.Render(0), "read: [######..................]  25% 1.0 MiB / 4.0 MiB");
}

TEST(ProgressTest, EnabledFinishDrawsTheFinalLineOnce) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    Progress p("copy", 4, "rows", true, out);
    p.Set(4);
    p.Finish();
    p.Finish();
  }
  std::string text = Contents(out);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  // Exactly one final line, whatever intermediate redraws happened.
  EXPECT_EQ(text.find('\n'), text.size() - 1);
  EXPECT_NE(text.find("copy: [########################] 100% 4 rows / 4 rows"), std::string::npos);
  std::fclose(out);
}

TEST(ProgressTest, DisabledWritesNothing) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    Progress p("quiet", 10, "rows", false, out);
    EXPECT_FALSE(p.enabled());
    for (int i = 0; i < 10; ++i) p.Add(1);
    p.Finish();
  }
  EXPECT_EQ(Contents(out), "");
  std::fclose(out);
}

}  // namespace
}  // namespace cairn
