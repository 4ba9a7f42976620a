#include "base/yaml.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>

#include "base/file.h"

namespace cairn {
namespace {

YamlDocument MustParse(std::string_view text) {
  Result<YamlDocument> doc = ParseYaml(text, "spec.yaml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  if (!doc.ok()) return {};
  return std::move(doc).value();
}

std::string ParseError(std::string_view text) {
  Result<YamlDocument> doc = ParseYaml(text, "spec.yaml");
  EXPECT_FALSE(doc.ok()) << "parsed: " << text;
  if (doc.ok()) return "";
  EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  return doc.status().message();
}

TEST(YamlTest, BlockMapKeepsDocumentOrderLinesAndColumns) {
  YamlDocument doc = MustParse(
      "# an evaluation spec\n"
      "name: nightly\n"
      "\n"
      "metrics:\n"
      "  f2: 5 * p\n"
      "  car_gap: recall[car] - recall[bus]   # a comment\n"
      "rows: 12\n");
  EXPECT_EQ(doc.file, "spec.yaml");
  const YamlNode& root = doc.root;
  ASSERT_TRUE(root.IsMap());
  EXPECT_EQ(root.line(), 2);
  ASSERT_EQ(root.entries().size(), 3u);
  EXPECT_EQ(root.entries()[0].key.text(), "name");
  EXPECT_EQ(root.entries()[1].key.text(), "metrics");
  EXPECT_EQ(root.entries()[2].key.text(), "rows");
  EXPECT_EQ(root.entries()[2].key.line(), 7);
  EXPECT_EQ(root.entries()[2].key.column(), 1);

  const YamlNode* metrics = root.Get("metrics");
  ASSERT_NE(metrics, nullptr);
  EXPECT_TRUE(metrics->IsMap());
  EXPECT_EQ(metrics->line(), 5);
  EXPECT_EQ(metrics->column(), 3);
  EXPECT_EQ(metrics->Path(), "metrics");
  ASSERT_EQ(metrics->entries().size(), 2u);
  const YamlNode& gap = metrics->entries()[1].value;
  EXPECT_EQ(gap.text(), "recall[car] - recall[bus]");
  EXPECT_FALSE(gap.quoted());
  EXPECT_EQ(gap.line(), 6);
  EXPECT_EQ(gap.column(), 12);
  EXPECT_EQ(gap.Path(), "metrics.car_gap");
  EXPECT_EQ(gap.file(), "spec.yaml");
  EXPECT_EQ(gap.Location(), "spec.yaml:6");
  EXPECT_EQ(*root.Get("name")->AsString(), "nightly");
  EXPECT_EQ(*root.Get("rows")->AsInt64(), 12);
  EXPECT_EQ(root.Get("missing"), nullptr);
}

TEST(YamlTest, SequencesBlockAndFlow) {
  YamlDocument doc = MustParse(
      "gates:\n"
      "  - metric: accuracy\n"
      "    min: 0.9\n"
      "  - metric: f1_macro\n"
      "    min: 0.8\n"
      "slices: [weather, 'time of day', \"camera\"]\n"
      "point: {x: 1, y: -2}\n"
      "empty_list: []\n"
      "empty_map: {}\n");
  const YamlNode* gates = doc.root.Get("gates");
  ASSERT_NE(gates, nullptr);
  ASSERT_TRUE(gates->IsSequence());
  ASSERT_EQ(gates->items().size(), 2u);
  const YamlNode& second = gates->items()[1];
  EXPECT_EQ(second.line(), 4);
  EXPECT_EQ(second.column(), 5);
  EXPECT_EQ(second.Path(), "gates[1]");
  EXPECT_EQ(second.Get("min")->Path(), "gates[1].min");
  EXPECT_DOUBLE_EQ(*second.Get("min")->AsDouble(), 0.8);

  const YamlNode* slices = doc.root.Get("slices");
  ASSERT_EQ(slices->items().size(), 3u);
  EXPECT_EQ(slices->items()[0].text(), "weather");
  EXPECT_FALSE(slices->items()[0].quoted());
  EXPECT_EQ(slices->items()[1].text(), "time of day");
  EXPECT_TRUE(slices->items()[1].quoted());
  EXPECT_EQ(slices->items()[2].text(), "camera");
  EXPECT_TRUE(slices->items()[2].quoted());
  EXPECT_EQ(slices->items()[1].line(), 6);
  EXPECT_EQ(slices->items()[1].column(), 19);

  const YamlNode* point = doc.root.Get("point");
  ASSERT_TRUE(point->IsMap());
  EXPECT_EQ(*point->Get("y")->AsInt64(), -2);
  EXPECT_TRUE(doc.root.Get("empty_list")->IsSequence());
  EXPECT_TRUE(doc.root.Get("empty_list")->items().empty());
  EXPECT_TRUE(doc.root.Get("empty_map")->IsMap());
  EXPECT_TRUE(doc.root.Get("empty_map")->entries().empty());
}

TEST(YamlTest, BlockScalarsAreQuotedStrings) {
  YamlDocument doc = MustParse(
      "literal: |\n"
      "  line one\n"
      "  line two\n"
      "folded: >\n"
      "  one\n"
      "  two\n"
      "stripped: |-\n"
      "  123\n"
      "after: x\n");
  const YamlNode* literal = doc.root.Get("literal");
  EXPECT_EQ(literal->text(), "line one\nline two\n");
  EXPECT_TRUE(literal->quoted());
  EXPECT_EQ(doc.root.Get("folded")->text(), "one two\n");
  const YamlNode* stripped = doc.root.Get("stripped");
  EXPECT_EQ(stripped->text(), "123");
  // A block scalar is a string even when it looks like a number.
  EXPECT_FALSE(stripped->AsInt64().ok());
  EXPECT_EQ(*stripped->AsString(), "123");
  EXPECT_EQ(doc.root.Get("after")->line(), 9);
}

TEST(YamlTest, QuotingAndEscapes) {
  YamlDocument doc = MustParse(
      "a: 'it''s'\n"
      "b: \"tab\\there \\u00e9\"\n"
      "c: \"5\"\n"
      "d: '# not a comment'\n"
      "e: plain # comment\n"
      "f: \"null\"\n"
      "g: !!str 7\n");
  EXPECT_EQ(doc.root.Get("a")->text(), "it's");
  EXPECT_EQ(doc.root.Get("b")->text(), "tab\there \xc3\xa9");
  EXPECT_EQ(doc.root.Get("d")->text(), "# not a comment");
  EXPECT_EQ(doc.root.Get("e")->text(), "plain");
  const YamlNode* quoted_null = doc.root.Get("f");
  EXPECT_TRUE(quoted_null->IsScalar());
  EXPECT_EQ(*quoted_null->AsString(), "null");
  EXPECT_TRUE(doc.root.Get("g")->quoted());
  EXPECT_EQ(doc.root.Get("c")->AsInt64().status().message(),
            "spec.yaml:3: 'c': expected an integer, got the string '5' (quoted values are "
            "strings)");
}

TEST(YamlTest, NullForms) {
  YamlDocument doc = MustParse("a:\nb: ~\nc: null\nd: Null\ne: NULL\nf: nul\n");
  for (const char* key : {"a", "b", "c", "d", "e"}) {
    ASSERT_NE(doc.root.Get(key), nullptr) << key;
    EXPECT_TRUE(doc.root.Get(key)->IsNull()) << key;
  }
  EXPECT_TRUE(doc.root.Get("f")->IsScalar());
  EXPECT_EQ(doc.root.Get("a")->line(), 1);
  EXPECT_EQ(doc.root.Get("a")->AsString().status().message(),
            "spec.yaml:1: 'a': expected a string, got an empty value");
  EXPECT_EQ(doc.root.Get("c")->AsInt64().status().message(),
            "spec.yaml:3: 'c': expected an integer, got null");
}

TEST(YamlTest, EmptyInputIsANullDocument) {
  for (std::string_view text : {"", "# only a comment\n", "---\n", "---\n...\n"}) {
    YamlDocument doc = MustParse(text);
    EXPECT_TRUE(doc.root.IsNull()) << text;
    EXPECT_EQ(doc.root.file(), "spec.yaml");
  }
  YamlDocument doc = MustParse("");
  EXPECT_EQ(doc.root.Require("name").status().message(),
            "spec.yaml:1: expected a map (key: value lines), got an empty value");
}

TEST(YamlTest, Integers) {
  YamlDocument doc = MustParse(
      "a: 0\nb: -17\nc: +42\nd: 0x1F\ne: 0o17\nf: 9223372036854775807\n"
      "g: -9223372036854775808\nh: 9223372036854775808\ni: 1.5\nj: 12abc\nk: 1_000\nl: -0x1\n");
  const YamlNode& r = doc.root;
  EXPECT_EQ(*r.Get("a")->AsInt64(), 0);
  EXPECT_EQ(*r.Get("b")->AsInt64(), -17);
  EXPECT_EQ(*r.Get("c")->AsInt64(), 42);
  EXPECT_EQ(*r.Get("d")->AsInt64(), 31);
  EXPECT_EQ(*r.Get("e")->AsInt64(), 15);
  EXPECT_EQ(*r.Get("f")->AsInt64(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(*r.Get("g")->AsInt64(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r.Get("h")->AsInt64().status().message(),
            "spec.yaml:8: 'h': integer '9223372036854775808' is out of range (-2^63 to 2^63-1)");
  EXPECT_EQ(r.Get("i")->AsInt64().status().message(),
            "spec.yaml:9: 'i': expected an integer, got '1.5'");
  EXPECT_EQ(r.Get("j")->AsInt64().status().message(),
            "spec.yaml:10: 'j': expected an integer, got '12abc'");
  // YAML 1.1's digit separators and signed hex are not core schema integers.
  EXPECT_FALSE(r.Get("k")->AsInt64().ok());
  EXPECT_FALSE(r.Get("l")->AsInt64().ok());
}

TEST(YamlTest, Doubles) {
  YamlDocument doc = MustParse(
      "a: 0.5\nb: -2\nc: .5\nd: 2.\ne: 1e3\nf: -1.25E-2\ng: +3.0\nh: 0x10\n"
      "i: .inf\nj: -.Inf\nk: .NaN\nl: 1e999\nm: abc\nn: 1.2.3\no: e3\np: '0.5'\nq: .\n");
  const YamlNode& r = doc.root;
  EXPECT_EQ(*r.Get("a")->AsDouble(), 0.5);
  EXPECT_EQ(*r.Get("b")->AsDouble(), -2.0);
  EXPECT_EQ(*r.Get("c")->AsDouble(), 0.5);
  EXPECT_EQ(*r.Get("d")->AsDouble(), 2.0);
  EXPECT_EQ(*r.Get("e")->AsDouble(), 1000.0);
  EXPECT_EQ(*r.Get("f")->AsDouble(), -0.0125);
  EXPECT_EQ(*r.Get("g")->AsDouble(), 3.0);
  EXPECT_EQ(*r.Get("h")->AsDouble(), 16.0);
  EXPECT_EQ(r.Get("i")->AsDouble().status().message(),
            "spec.yaml:9: 'i': expected a finite number, got '.inf'");
  EXPECT_EQ(*r.Get("i")->AsDouble(/*allow_infinity=*/true),
            std::numeric_limits<double>::infinity());
  EXPECT_EQ(*r.Get("j")->AsDouble(true), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(r.Get("k")->AsDouble(true).status().message(),
            "spec.yaml:11: 'k': expected a number, got '.NaN' (not a number)");
  EXPECT_EQ(r.Get("l")->AsDouble().status().message(),
            "spec.yaml:12: 'l': number '1e999' is out of the range of a double");
  EXPECT_EQ(r.Get("m")->AsDouble().status().message(),
            "spec.yaml:13: 'm': expected a number, got 'abc'");
  EXPECT_FALSE(r.Get("n")->AsDouble().ok());
  EXPECT_FALSE(r.Get("o")->AsDouble().ok());
  EXPECT_EQ(r.Get("p")->AsDouble().status().message(),
            "spec.yaml:16: 'p': expected a number, got the string '0.5' (quoted values are "
            "strings)");
  EXPECT_FALSE(r.Get("q")->AsDouble().ok());
}

TEST(YamlTest, Bools) {
  YamlDocument doc = MustParse("a: true\nb: False\nc: TRUE\nd: yes\ne: 'true'\nf: [1]\ng: on\n");
  const YamlNode& r = doc.root;
  EXPECT_TRUE(*r.Get("a")->AsBool());
  EXPECT_FALSE(*r.Get("b")->AsBool());
  EXPECT_TRUE(*r.Get("c")->AsBool());
  EXPECT_EQ(r.Get("d")->AsBool().status().message(),
            "spec.yaml:4: 'd': expected true or false, got 'yes'");
  EXPECT_FALSE(r.Get("e")->AsBool().ok());
  EXPECT_EQ(r.Get("f")->AsBool().status().message(),
            "spec.yaml:6: 'f': expected true or false, got a sequence");
  EXPECT_FALSE(r.Get("g")->AsBool().ok());
  // A plain `yes` is an ordinary string in the core schema.
  EXPECT_EQ(*r.Get("d")->AsString(), "yes");
}

TEST(YamlTest, KindMismatchMessages) {
  YamlDocument doc = MustParse("a: {x: 1}\nb:\n  - 1\nc: 3\n");
  EXPECT_EQ(doc.root.Get("a")->AsString().status().message(),
            "spec.yaml:1: 'a': expected a string, got a map");
  EXPECT_EQ(doc.root.Get("b")->AsDouble().status().message(),
            "spec.yaml:3: 'b': expected a number, got a sequence");
  EXPECT_EQ(doc.root.Get("c")->ExpectMap().message(),
            "spec.yaml:4: 'c': expected a map (key: value lines), got '3'");
  EXPECT_EQ(doc.root.Get("a")->ExpectSequence().message(),
            "spec.yaml:1: 'a': expected a sequence (- item lines or [a, b]), got a map");
  EXPECT_TRUE(doc.root.Get("b")->ExpectSequence().ok());
  EXPECT_EQ(doc.root.Get("a")->Error("threshold must be below 1").message(),
            "spec.yaml:1: 'a': threshold must be below 1");
  EXPECT_EQ(doc.root.Error("bad spec").message(), "spec.yaml:1: bad spec");
}

TEST(YamlTest, RequireNamesParentAndKey) {
  YamlDocument doc = MustParse(
      "name: x\n"
      "metrics:\n"
      "  f2: a\n"
      "gates:\n"
      "  - metric: accuracy\n");
  Result<const YamlNode*> name = doc.root.Require("name");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ((*name)->text(), "x");
  EXPECT_EQ(doc.root.Require("task").status().message(), "spec.yaml:1: the document has no 'task'");
  EXPECT_EQ(doc.root.Get("metrics")->Require("f1").status().message(),
            "spec.yaml:3: 'metrics' has no 'f1'");
  const YamlNode& gate = doc.root.Get("gates")->items()[0];
  EXPECT_EQ(gate.Require("min").status().message(), "spec.yaml:5: 'gates[0]' has no 'min'");
  EXPECT_EQ(doc.root.Get("gates")->Require("min").status().message(),
            "spec.yaml:5: 'gates': expected a map (key: value lines), got a sequence");
}

TEST(YamlTest, CheckKeysNamesTheUnknownKeyAndItsLine) {
  YamlDocument doc = MustParse(
      "name: x\n"
      "metrics:\n"
      "  a: 1\n"
      "  x: 2\n"
      "  b: 3\n"
      "extra: 1\n");
  const YamlNode* metrics = doc.root.Get("metrics");
  EXPECT_TRUE(metrics->CheckKeys({"a", "b", "x"}).ok());
  EXPECT_EQ(metrics->CheckKeys({"a", "b", "c"}).message(),
            "spec.yaml:4: unknown key 'x' in 'metrics'; expected one of: a, b, c");
  EXPECT_EQ(doc.root.CheckKeys({"name", "metrics"}).message(),
            "spec.yaml:6: unknown key 'extra' in the document; expected one of: name, metrics");
  EXPECT_EQ(metrics->CheckKeys({}).message(),
            "spec.yaml:3: unknown key 'a' in 'metrics'; expected no keys");
  EXPECT_EQ(doc.root.Get("name")->CheckKeys({"a"}).message(),
            "spec.yaml:1: 'name': expected a map (key: value lines), got 'x'");
}

TEST(YamlTest, DuplicateKeysNameBothLines) {
  EXPECT_EQ(ParseError("a: 1\nmetrics:\n  f2: x\n  g: y\n  f2: z\n"),
            "spec.yaml:5: duplicate key 'f2' in 'metrics' (first at line 3)");
  EXPECT_EQ(ParseError("a: 1\nb: 2\na: 3\n"),
            "spec.yaml:3: duplicate key 'a' in the document (first at line 1)");
  EXPECT_EQ(ParseError("x: {a: 1, a: 2}\n"),
            "spec.yaml:1: duplicate key 'a' in 'x' (first at line 1)");
  // A quoted key and a plain key with the same text are the same key.
  EXPECT_EQ(ParseError("a: 1\n'a': 2\n"),
            "spec.yaml:2: duplicate key 'a' in the document (first at line 1)");
}

TEST(YamlTest, SyntaxErrorsGiveFileLineColumn) {
  EXPECT_EQ(ParseError("a: 1\nb: [1, 2\n"),
            "spec.yaml:3:1: did not find expected ',' or ']' (while parsing a flow sequence that "
            "starts at line 2, column 4)");
  EXPECT_EQ(ParseError("a: 1\n b: 2\n"),
            "spec.yaml:2:3: mapping values are not allowed in this context");
  EXPECT_EQ(ParseError("a:\n  - 1\n  b: 2\n"),
            "spec.yaml:3:3: did not find expected '-' indicator (while parsing a block "
            "collection that starts at line 2, column 3)");
  EXPECT_EQ(ParseError("a: 'open\n"),
            "spec.yaml:2:1: found unexpected end of stream (while scanning a quoted scalar that "
            "starts at line 1, column 4)");
  EXPECT_EQ(ParseError("a: \"\\q\"\n"),
            "spec.yaml:1:5: found unknown escape character (while parsing a quoted scalar that "
            "starts at line 1, column 4)");
  EXPECT_EQ(ParseError("a:\tb\n\t- c\n"),
            "spec.yaml:2:1: found a tab character that violates indentation (while scanning a "
            "plain scalar that starts at line 1, column 4)");
}

TEST(YamlTest, InvalidUtf8IsAReaderErrorWithPosition) {
  EXPECT_EQ(ParseError("a: 1\nb: \xff\n"),
            "spec.yaml:2:4: invalid leading UTF-8 octet (byte or character 0xff)");
  EXPECT_EQ(ParseError(std::string_view("a: 1\nb: x\0y\n", 11)),
            "spec.yaml:2:5: control characters are not allowed (byte or character 0x00)");
}

TEST(YamlTest, MultipleDocumentsAreRejected) {
  EXPECT_EQ(ParseError("a: 1\n---\nb: 2\n"),
            "spec.yaml:2: a second document ('---'); a file holds exactly one document");
  EXPECT_EQ(ParseError("--- 1\n--- 2\n"),
            "spec.yaml:2: a second document ('---'); a file holds exactly one document");
  YamlDocument doc = MustParse("---\na: 1\n...\n");
  EXPECT_EQ(*doc.root.Get("a")->AsInt64(), 1);
}

TEST(YamlTest, AliasesResolveToCopies) {
  YamlDocument doc = MustParse(
      "defaults: &d\n"
      "  min: 0.5\n"
      "  max: 1\n"
      "first: &m 3\n"
      "gates:\n"
      "  - *d\n"
      "  - {min: *m}\n"
      "value: &m 7\n"
      "again: *m\n");
  const YamlNode& gate = doc.root.Get("gates")->items()[0];
  ASSERT_TRUE(gate.IsMap());
  EXPECT_EQ(*gate.Get("min")->AsDouble(), 0.5);
  // Positions are those of the anchored node; paths are those of the place of the alias.
  EXPECT_EQ(gate.Get("min")->line(), 2);
  EXPECT_EQ(gate.Get("min")->Path(), "gates[0].min");
  EXPECT_EQ(gate.Path(), "gates[0]");
  EXPECT_EQ(*doc.root.Get("gates")->items()[1].Get("min")->AsInt64(), 3);
  // An anchor defined again later replaces the earlier one.
  EXPECT_EQ(*doc.root.Get("again")->AsInt64(), 7);
  EXPECT_EQ(doc.root.Get("again")->Path(), "again");
}

TEST(YamlTest, AliasErrors) {
  EXPECT_EQ(ParseError("a: *nope\n"), "spec.yaml:1: alias '*nope' has no anchor '&nope' before it");
  EXPECT_EQ(ParseError("a: &x [1, *x]\n"),
            "spec.yaml:1: alias '*x' refers to a node that contains it");
  EXPECT_EQ(ParseError("k: &k {a: 1}\n*k : 2\n"),
            "spec.yaml:2: a key must be a plain value, not a map");
  // a<i> (line i+1) has 2^(i+2)-1 nodes and copies two of a<i-1>; after line 14 the copies
  // total 2^16-8-2*13 = 65502 nodes, and line 15 adds 2 * 32767 > 100000.
  std::string laughs = "a0: &a0 [x, x]\n";
  for (int i = 1; i <= 20; ++i) {
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" +
              std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + "]\n";
  }
  EXPECT_EQ(ParseError(laughs), "spec.yaml:15: aliases expand to more than 100000 nodes");
}

TEST(YamlTest, UnsupportedConstructs) {
  EXPECT_EQ(ParseError("? [a, b]\n: 1\n"),
            "spec.yaml:1: a key must be a plain value, not a sequence");
  EXPECT_EQ(ParseError("base: &b {a: 1}\nx:\n  <<: *b\n"),
            "spec.yaml:3: merge keys ('<<') are not supported; repeat the entries");
  EXPECT_EQ(ParseError("a: !foo 1\n"),
            "spec.yaml:1: tags are not supported ('!foo'); write plain values");
  EXPECT_EQ(ParseError("a: !!int 1\n"),
            "spec.yaml:1: tags are not supported ('tag:yaml.org,2002:int'); write plain values");
  std::string deep(300, '[');
  EXPECT_EQ(ParseError(deep), "spec.yaml:1: nested more than 200 levels deep");
}

TEST(YamlTest, ParseYamlFileUsesThePathInMessages) {
  std::string path = (std::filesystem::temp_directory_path() / "cairn_yaml_test.yaml").string();
  ASSERT_TRUE(WriteStringToFile(path, "a: 1\na: 2\n").ok());
  Result<YamlDocument> doc = ParseYamlFile(path);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message(),
            path + ":2: duplicate key 'a' in the document (first at line 1)");
  ASSERT_TRUE(WriteStringToFile(path, "a: 1\n").ok());
  doc = ParseYamlFile(path);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->root.Get("a")->Location(), path + ":1");
  std::filesystem::remove(path);
  EXPECT_EQ(ParseYamlFile(path).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace cairn
