#include "metrics/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace cairn::metrics {
namespace {

// Checks that every element of `html` is closed in order (void elements and `/>` excepted)
// and that attribute quotes are balanced; returns the first problem or "".
std::string CheckWellFormed(const std::string& html) {
  static const std::vector<std::string> kVoid = {"meta",  "br",   "hr",  "img",
                                                 "input", "link", "col", "wbr"};
  std::vector<std::string> open;
  size_t i = 0;
  while ((i = html.find('<', i)) != std::string::npos) {
    if (html.compare(i, 9, "<!DOCTYPE") == 0) {
      i = html.find('>', i);
      continue;
    }
    size_t end = i + 1;
    char quote = 0;
    while (end < html.size() && (quote != 0 || html[end] != '>')) {
      if (quote == 0 && (html[end] == '"' || html[end] == '\'')) {
        quote = html[end];
      } else if (quote != 0 && html[end] == quote) {
        quote = 0;
      } else if (quote == 0 && html[end] == '<') {
        return "'<' inside a tag at " + std::to_string(end);
      }
      ++end;
    }
    if (end >= html.size()) return "unterminated tag at " + std::to_string(i);
    std::string tag = html.substr(i + 1, end - i - 1);
    bool closing = !tag.empty() && tag[0] == '/';
    bool self_closing = !tag.empty() && tag.back() == '/';
    size_t name_start = closing ? 1 : 0;
    size_t name_end = name_start;
    while (name_end < tag.size() &&
           (std::isalnum(static_cast<unsigned char>(tag[name_end])) != 0 || tag[name_end] == '-')) {
      ++name_end;
    }
    std::string name = tag.substr(name_start, name_end - name_start);
    if (name.empty()) return "empty tag name at " + std::to_string(i);
    if (closing) {
      if (open.empty() || open.back() != name) {
        return "</" + name + "> at " + std::to_string(i) + " closes " +
               (open.empty() ? "nothing" : "<" + open.back() + ">");
      }
      open.pop_back();
    } else if (!self_closing && std::find(kVoid.begin(), kVoid.end(), name) == kVoid.end()) {
      open.push_back(name);
      if (name == "script" || name == "style") {
        // Raw text up to the closing tag.
        size_t close = html.find("</" + name + ">", end);
        if (close == std::string::npos) return "unclosed <" + name + ">";
        end = close - 1;
      }
    }
    i = end + 1;
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  return "";
}

size_t Occurrences(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t i = haystack.find(needle); i != std::string::npos; i = haystack.find(needle, i + 1)) {
    ++n;
  }
  return n;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

constexpr char kEvil[] = "<script>alert(1)</script>";

EvaluationResult Sample() {
  EvaluationResult r;
  r.cairn_version = "0.1.0";
  r.task = "multiclass";
  r.inputs = {{"preds/val.parquet", 2048, "0123456789abcdef0123456789abcdef"}};
  r.classes = {"bike", "car", kEvil};
  r.rows = 12;
  double nan = std::numeric_limits<double>::quiet_NaN();
  r.overall = {
      {"accuracy", MetricValue::Number(5.0 / 6.0)},
      {"f1_macro", MetricValue::Number(0.5)},
      {"cohen_kappa", MetricValue::Null("undefined: all one class")},
      {"precision[bike]", MetricValue::Number(0.25)},
      {"precision[car]", MetricValue::Number(1)},
      {std::string("precision[") + kEvil + "]", MetricValue::Number(0.75)},
      {"support[bike]", MetricValue::Count(4)},
      {"confusion_matrix", MetricValue::Matrix({{3, 1, 0}, {0, 4, 0}, {0, 1, 3}})},
      {"pr_curve[car]", MetricValue::Curve({{"recall", {0, 0.5, 1}}, {"precision", {1, 1, 0.5}}})},
      {"calibration",
       MetricValue::Curve(
           {{"bin_lower", {0, 0.5}}, {"confidence", {0.25, nan}}, {"accuracy", {0.5, nan}}})}};
  EvaluationResult::Slicing weather;
  weather.columns = {"weather"};
  weather.slices = {{{"rain"}, 4, {{"accuracy", MetricValue::Number(0.5)}}},
                    {{"\"><img src=x>"}, 8, {{"accuracy", MetricValue::Null("no rows")}}}};
  EvaluationResult::Slicing two;
  two.columns = {"weather", "time"};
  two.slices = {{{"rain", "night"}, 2, {{"accuracy", MetricValue::Number(0.25)}}},
                {{"rain", "day"}, 2, {{"accuracy", MetricValue::Number(0.75)}}},
                {{"sun", "day"}, 8, {{"accuracy", MetricValue::Null("one class")}}}};
  r.slicings = {weather, two};
  return r;
}

ReportOptions Options() {
  ReportOptions o;
  o.title = "val <report>";
  o.generated_at = "2024-05-01T12:00:00Z";
  o.source = "result.json";
  return o;
}

TEST(ReportTest, HtmlEscapeReplacesEveryMarkupCharacter) {
  EXPECT_EQ(HtmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(HtmlEscape("plain \xC3\xA9"), "plain \xC3\xA9");
}

TEST(ReportTest, PageIsWellFormedAndSelfContained) {
  std::string html = RenderHtmlReport(Sample(), Options());
  EXPECT_EQ(CheckWellFormed(html), "");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(Lower(html).find("http"), std::string::npos);
  EXPECT_EQ(html.find(" src=\""), std::string::npos);  // no external resource
  EXPECT_EQ(Lower(html).find("url("), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  // Only in-page links.
  for (size_t i = html.find("href=\""); i != std::string::npos; i = html.find("href=\"", i + 1)) {
    EXPECT_EQ(html[i + 6], '#') << html.substr(i, 40);
  }
}

TEST(ReportTest, NamesFromTheDataAreEscaped) {
  std::string html = RenderHtmlReport(Sample(), Options());
  // Our own script tag is the only one.
  EXPECT_EQ(Occurrences(html, "<script"), 1u);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&quot;&gt;&lt;img src=x&gt;"), std::string::npos);
  EXPECT_NE(html.find("<title>val &lt;report&gt;</title>"), std::string::npos);
}

TEST(ReportTest, HeaderAndTablesShowTheResult) {
  std::string html = RenderHtmlReport(Sample(), Options());
  EXPECT_NE(html.find("<dt>cairn</dt><dd>0.1.0</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>task</dt><dd>multiclass</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>rows</dt><dd>12</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>made</dt><dd>2024-05-01T12:00:00Z</dd>"), std::string::npos);
  EXPECT_NE(html.find("preds/val.parquet"), std::string::npos);
  EXPECT_NE(html.find("2.0 KiB"), std::string::npos);  // 2048 bytes
  EXPECT_NE(html.find("0123456789abcdef0123456789abcdef"), std::string::npos);
  // 5/6 shown to four decimals, exactly on hover.
  EXPECT_NE(html.find("<td>accuracy</td><td class=\"num\" "
                      "title=\"0.8333333333333334\">0.8333</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"null\" title=\"undefined: all one class\">null</td>"),
            std::string::npos);
  // The per-class table: class bike, precision 0.25, support 4.
  EXPECT_NE(html.find("<th>class</th><th>precision</th><th>support</th>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>bike</td><td class=\"num\" title=\"0.25\">0.25"
                      "</td><td class=\"num\" title=\"4\">4</td></tr>"),
            std::string::npos);
  // The slice table of weather lists both slices with their rows.
  EXPECT_NE(html.find("<tr><td>rain</td><td class=\"num\" title=\"4\">4</td>"), std::string::npos);
}

TEST(ReportTest, ChartsAreDrawnFromTheValues) {
  std::string html = RenderHtmlReport(Sample(), Options());
  // Bar of accuracy 0.5 on weather=rain: 360 px plot for [0, 1], so 180 px wide, from x=170.
  EXPECT_NE(html.find("<rect class=\"bar\" x=\"170.0\" y=\"27.0\" width=\"180.0\""),
            std::string::npos);
  // The other slice is null, shown as text with its reason.
  EXPECT_NE(html.find("<g><title>no rows</title><text class=\"null-text\""), std::string::npos);
  // Confusion matrix: label car predicted car is 4 of 4 (the darkest blue), bike->car 1 of 4.
  EXPECT_NE(html.find("<title>label car, predicted car: 4 (100.0% of label car)</title>"),
            std::string::npos);
  EXPECT_NE(html.find("fill=\"#08306b\"/><text class=\"cell-text dark\""), std::string::npos);
  EXPECT_NE(html.find("<title>label bike, predicted car: 1 (25.0% of label bike)</title>"),
            std::string::npos);
  // Heatmap of weather x time: rows rain, sun; columns day, night (sorted); sun|night absent.
  EXPECT_NE(html.find("<title>weather=rain, time=night (2 rows): accuracy = 0.25</title>"),
            std::string::npos);
  EXPECT_NE(html.find("<title>weather=sun, time=day (8 rows): one class</title>"),
            std::string::npos);
  EXPECT_EQ(html.find("weather=sun, time=night"), std::string::npos);
  // PR curve: plot 340 x 280 at (52, 12); (recall 0.5, precision 1) -> (222, 12).
  EXPECT_NE(html.find("d=\"M52.0 12.0 L222.0 12.0 L392.0 152.0 \""), std::string::npos);
  // Reliability diagram: the empty bin ends the line after one point; the diagonal is drawn.
  EXPECT_NE(html.find("d=\"M137.0 152.0 \""), std::string::npos);
  EXPECT_NE(html.find("class=\"diagonal\""), std::string::npos);
  EXPECT_NE(html.find("Reliability diagram"), std::string::npos);
}

TEST(ReportTest, ComparisonHighlightsRegressionsFirst) {
  EvaluationResult baseline = Sample();
  EvaluationResult candidate = Sample();
  candidate.overall[0].second = MetricValue::Number(0.9);  // accuracy improves
  candidate.overall[1].second = MetricValue::Number(0.4);  // f1_macro regresses
  candidate.slicings[0].slices[0].outputs[0].second = MetricValue::Number(0.25);
  auto comparison = CompareEvaluations(baseline, candidate);
  ASSERT_TRUE(comparison.ok()) << comparison.status().ToString();
  std::vector<GateRule> rules = {std::move(ParseGateRule("f1_macro >= 0.45")).value(),
                                 std::move(ParseGateRule("accuracy >= 0.8")).value()};
  auto gate = EvaluateGate(rules, &baseline, candidate);
  ASSERT_TRUE(gate.ok()) << gate.status().ToString();
  ReportOptions options = Options();
  std::string html = RenderHtmlComparison(*comparison, options, &*gate);
  EXPECT_EQ(CheckWellFormed(html), "");
  EXPECT_EQ(Lower(html).find("http"), std::string::npos);
  EXPECT_EQ(Occurrences(html, "<script"), 1u);
  EXPECT_NE(html.find("<div class=\"banner bad\">2 regressions</div>"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"banner bad\">gate failed</div>"), std::string::npos);
  EXPECT_NE(html.find("<code>f1_macro &gt;= 0.45</code>"), std::string::npos);
  size_t changes = html.find("<section id=\"changes\">");
  size_t regressed =
      html.find("<tr class=\"regressed\"><td>overall</td><td>f1_macro</td>", changes);
  size_t improved = html.find("<tr class=\"improved\"><td>overall</td><td>accuracy</td>", changes);
  ASSERT_NE(regressed, std::string::npos);
  ASSERT_NE(improved, std::string::npos);
  EXPECT_LT(regressed, improved);
  EXPECT_NE(html.find("<tr class=\"regressed\"><td>weather=rain</td><td>accuracy</td>"),
            std::string::npos);
  // f1_macro 0.5 -> 0.4: delta -0.1.
  EXPECT_NE(html.find("title=\"-0.09999999999999998\">-0.1</td>"), std::string::npos);
}

}  // namespace
}  // namespace cairn::metrics
