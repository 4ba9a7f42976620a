#include "cli/flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cairn::cli {
namespace {

std::vector<FlagSpec> Specs() {
  return {{"rows", 'n', true, false, "N", "rows"},
          {"where", 0, true, true, "FILTER", "filter"},
          {"no-header", 0, false, false, "", "no header"},
          {"json", 0, false, false, "", "json"}};
}

Result<ParsedArgs> Parse(const std::vector<std::string>& args) { return ParseFlags(Specs(), args); }

TEST(ParseFlagsTest, LongFlagsWithSeparateAndInlineValues) {
  auto a = Parse({"--rows", "5", "file.csv", "--where=id > 3"});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->Get("rows"), "5");
  EXPECT_EQ(a->Get("where"), "id > 3");
  EXPECT_EQ(a->positionals(), std::vector<std::string>{"file.csv"});
}

TEST(ParseFlagsTest, ShortFlagWithSeparateOrAttachedValue) {
  EXPECT_EQ(Parse({"-n", "7"})->Get("rows"), "7");
  EXPECT_EQ(Parse({"-n7"})->Get("rows"), "7");
}

TEST(ParseFlagsTest, RepeatedFlagsKeepEveryValueInOrder) {
  auto a = Parse({"--where", "a = 1", "x", "--where", "b < 2"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->GetAll("where"), (std::vector<std::string>{"a = 1", "b < 2"}));
  EXPECT_TRUE(a->GetAll("rows").empty());
}

TEST(ParseFlagsTest, LastValueWinsForSingleFlags) {
  EXPECT_EQ(Parse({"-n", "1", "--rows=2"})->Get("rows"), "2");
}

TEST(ParseFlagsTest, SwitchesTakeNoValue) {
  auto a = Parse({"--no-header", "f"});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->Has("no-header"));
  EXPECT_FALSE(a->Has("json"));
  auto bad = Parse({"--no-header=yes"});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "flag '--no-header' takes no value");
}

TEST(ParseFlagsTest, DoubleDashEndsFlagsAndLoneDashIsPositional) {
  auto a = Parse({"-", "--", "--rows", "-n"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->positionals(), (std::vector<std::string>{"-", "--rows", "-n"}));
  EXPECT_FALSE(a->Has("rows"));
}

TEST(ParseFlagsTest, UnknownFlagAndMissingValueAreErrors) {
  EXPECT_EQ(Parse({"--nope"}).status().message(), "unknown flag '--nope'");
  EXPECT_EQ(Parse({"-x"}).status().message(), "unknown flag '-x'");
  EXPECT_EQ(Parse({"--rows"}).status().message(), "flag '--rows' needs a value (N)");
}

TEST(ParseIntFlagTest, RangeAndSyntax) {
  EXPECT_EQ(*ParseIntFlag("threads", "4", 0, 8), 4);
  EXPECT_EQ(ParseIntFlag("threads", "9", 0, 8).status().message(),
            "--threads: expected an integer from 0 to 8, got '9'");
  EXPECT_FALSE(ParseIntFlag("threads", "4x", 0, 8).ok());
  EXPECT_FALSE(ParseIntFlag("threads", "", 0, 8).ok());
  EXPECT_FALSE(ParseIntFlag("threads", "-1", 0, 8).ok());
}

TEST(ParseCharFlagTest, TabSpellingsAndSingleCharacters) {
  EXPECT_EQ(*ParseCharFlag("delimiter", "\\t"), '\t');
  EXPECT_EQ(*ParseCharFlag("delimiter", "tab"), '\t');
  EXPECT_EQ(*ParseCharFlag("delimiter", ";"), ';');
  EXPECT_FALSE(ParseCharFlag("delimiter", ";;").ok());
  EXPECT_FALSE(ParseCharFlag("delimiter", "").ok());
}

TEST(SplitListTest, TrimsAndRejectsEmptyNames) {
  EXPECT_EQ(*SplitList("columns", "a, b ,c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(SplitList("columns", "a,,b").ok());
  EXPECT_FALSE(SplitList("columns", "").ok());
}

TEST(FormatFlagHelpTest, AlignsHelpText) {
  std::vector<FlagSpec> specs = {{"rows", 'n', true, false, "N", "rows to show"},
                                 {"where", 0, true, true, "FILTER", "keep rows"}};
  EXPECT_EQ(FormatFlagHelp(specs),
            "  -n, --rows N        rows to show\n"
            "      --where FILTER  keep rows (repeatable)\n");
}

}  // namespace
}  // namespace cairn::cli
