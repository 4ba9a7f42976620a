#include "files/pointer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace cairn::files {
namespace {

const std::string kHex(64, 'a');

TEST(PointerTest, DirectoryPointerRoundTrips) {
  Pointer p;
  p.kind = PointerKind::kDirectory;
  p.sha256 = kHex;
  p.size = 1234;
  p.files = 7;
  auto back = ParsePointer(FormatPointer(p), "x.cairn");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->kind, PointerKind::kDirectory);
  EXPECT_EQ(back->sha256, kHex);
  EXPECT_EQ(back->size, 1234);
  EXPECT_EQ(back->files, 7);
}

TEST(PointerTest, ExecutableFilePointerRoundTrips) {
  auto p = ParsePointer("cairn: 1\ntype: file\nsha256: " + kHex + "\nsize: 5\nexecutable: true\n",
                        "f.cairn");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->executable);
  EXPECT_EQ(ParsePointer(FormatPointer(*p), "f.cairn")->executable, true);
}

TEST(PointerTest, BadFieldNamesFileLineAndField) {
  auto p = ParsePointer("# comment\ncairn: 1\ntype: file\nsha256: xyz\nsize: 5\n", "d/a.cairn");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(p.status().message(),
            "d/a.cairn:4: field 'sha256': expected 64 lowercase hex characters, got 'xyz'");
}

TEST(PointerTest, NegativeSizeUnknownFieldAndMissingFieldAreErrors) {
  auto neg = ParsePointer("cairn: 1\ntype: file\nsha256: " + kHex + "\nsize: -1\n", "a.cairn");
  EXPECT_EQ(neg.status().message(),
            "a.cairn:4: field 'size': expected a non-negative integer, got '-1'");
  auto unknown = ParsePointer("cairn: 1\ncolour: red\n", "a.cairn");
  EXPECT_EQ(unknown.status().message(), "a.cairn:2: field 'colour': unknown field");
  auto missing =
      ParsePointer("cairn: 1\ntype: directory\nsha256: " + kHex + "\nsize: 1\n", "a.cairn");
  EXPECT_EQ(missing.status().message(), "a.cairn: missing field 'files'");
  auto no_colon = ParsePointer("cairn 1\n", "a.cairn");
  EXPECT_EQ(no_colon.status().message(), "a.cairn:1: expected 'field: value', got 'cairn 1'");
  auto twice = ParsePointer("cairn: 1\ncairn: 1\n", "a.cairn");
  EXPECT_EQ(twice.status().message(), "a.cairn:2: field 'cairn': given twice");
}

TEST(PointerTest, PathLessOrdersComponentByComponent) {
  // Byte order would put "a.b" (0x2e) before "a/x" (0x2f); component order puts the
  // directory "a" and its files first.
  std::vector<std::string> paths = {"a.b", "a/x", "a", "a0", "a/x/y", "b"};
  std::sort(paths.begin(), paths.end(), PathLess);
  EXPECT_EQ(paths, (std::vector<std::string>{"a", "a/x", "a/x/y", "a.b", "a0", "b"}));
}

TEST(PointerTest, ManifestRoundTripsAndRejectsDisorder) {
  std::vector<ManifestEntry> entries = {{"a/b c", kHex, 3, false}, {"a.txt", kHex, 0, true}};
  const std::string text = FormatManifest(entries);
  EXPECT_EQ(text, "cairn-manifest 1\n" + kHex + " 3 - a/b c\n" + kHex + " 0 x a.txt\n");
  auto back = ParseManifest(text, "m");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 2U);
  EXPECT_EQ((*back)[0].path, "a/b c");
  EXPECT_TRUE((*back)[1].executable);
  auto disorder = ParseManifest("cairn-manifest 1\n" + kHex + " 0 x b\n" + kHex + " 1 - a\n", "m");
  EXPECT_EQ(disorder.status().message(), "m:3: field 'path': 'a' is out of order or repeated");
  auto bad_size = ParseManifest("cairn-manifest 1\n" + kHex + " z - a\n", "m");
  EXPECT_EQ(bad_size.status().message(),
            "m:2: field 'size': expected a non-negative integer and a space");
}

}  // namespace
}  // namespace cairn::files
