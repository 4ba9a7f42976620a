// HTML reports. Everything is written into one string: CSS, SVG charts and a short script
// inline, no external resource. Charts are laid out here (fixed sizes, linear scales), so
// the page looks the same in every browser and prints.

#include "metrics/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "table/column.h"

namespace cairn::metrics {
namespace {

// ---------------------------------------------------------------------------------------------
// Text.

std::string Esc(std::string_view text) { return HtmlEscape(text); }

// Shortest round-trip form, for tooltips and sort keys.
std::string Full(double v) { return table::FormatDouble(v); }

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

// A number for display: integers as they are, other values to 4 decimals (trailing zeros
// dropped) or 3 significant digits when very small or large.
std::string Num(double v) {
  if (std::isnan(v)) return "null";
  double a = std::fabs(v);
  if (v == std::trunc(v) && a < 1e15) return Fixed(v, 0);
  char buf[64];
  if (a >= 1e-3 && a < 1e6) {
    std::snprintf(buf, sizeof(buf), "%.4f", v);
    std::string s = buf;
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s == "-0" ? "0" : s;
  }
  std::snprintf(buf, sizeof(buf), "%.3g", v);
  return buf;
}

std::string SignedNum(double v) { return (v > 0 ? "+" : "") + Num(v); }

// At most `n` code points of `s`, with "…" when cut (UTF-8 aware).
std::string Truncate(std::string_view s, size_t n) {
  size_t points = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (points == n) return std::string(s.substr(0, i)) + "\xE2\x80\xA6";
    ++points;
  }
  return std::string(s);
}

std::string HumanBytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  auto v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? std::to_string(bytes) + " B" : Fixed(v, 1) + " " + units[u];
}

// The number a scalar holds; false for nulls, NaN, matrices and curves.
bool ScalarOf(const MetricValue& v, double* out) {
  if (v.kind == MetricValue::Kind::kCount) {
    *out = static_cast<double>(v.count);
    return true;
  }
  if (v.kind == MetricValue::Kind::kNumber && !std::isnan(v.number)) {
    *out = v.number;
    return true;
  }
  return false;
}

bool IsScalarKind(const MetricValue& v) {
  return v.kind == MetricValue::Kind::kNumber || v.kind == MetricValue::Kind::kCount ||
         v.kind == MetricValue::Kind::kNull;
}

std::string NullReason(const MetricValue& v) {
  if (v.kind == MetricValue::Kind::kNull) return v.reason.empty() ? "null" : v.reason;
  return "not a number";
}

const MetricValue* Find(const MetricOutputs& outputs, std::string_view key) {
  for (const auto& [k, v] : outputs) {
    if (k == key) return &v;
  }
  return nullptr;
}

// A table cell for a value: numbers with a sort key and full precision on hover, nulls with
// their reason on hover.
void ValueCell(const MetricValue* v, std::string* out) {
  double x = 0;
  if (v == nullptr) {
    *out += "<td class=\"missing\"></td>";
  } else if (ScalarOf(*v, &x)) {
    *out += "<td class=\"num\" title=\"" + Full(x) + "\">" + Num(x) + "</td>";
  } else if (v->kind == MetricValue::Kind::kMatrix) {
    *out += "<td class=\"muted\">matrix " + std::to_string(v->matrix.size()) + "&times;" +
            std::to_string(v->matrix.empty() ? 0 : v->matrix[0].size()) + "</td>";
  } else if (v->kind == MetricValue::Kind::kCurve) {
    *out += "<td class=\"muted\">curve of " +
            std::to_string(v->curve.empty() ? 0 : v->curve[0].values.size()) + " points</td>";
  } else {
    *out += "<td class=\"null\" title=\"" + Esc(NullReason(*v)) + "\">null</td>";
  }
}

// ---------------------------------------------------------------------------------------------
// Colours and charts.

// A sequential blue scale: t = 0 light, t = 1 dark.
std::string Blue(double t) {
  static constexpr int kStops[5][3] = {
      {247, 251, 255}, {198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}};
  t = std::clamp(std::isnan(t) ? 0.0 : t, 0.0, 1.0) * 4;
  int i = std::min(3, static_cast<int>(t));
  double f = t - i;
  char buf[16];
  int rgb[3];
  for (int c = 0; c < 3; ++c) {
    rgb[c] = static_cast<int>(std::lround(kStops[i][c] + f * (kStops[i + 1][c] - kStops[i][c])));
  }
  std::snprintf(buf, sizeof(buf), "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  return buf;
}

const char* SeriesColor(size_t i) {
  static constexpr const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                            "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return kColors[i % 10];
}

std::string Px(double v) { return Fixed(v, 1); }

// The value range of a chart: [0, 1] when every value lies in it, else the data's range
// stretched to include 0.
std::pair<double, double> Domain(const std::vector<double>& values) {
  double lo = 0;
  double hi = 1;
  bool unit = true;
  bool any = false;
  double mn = 0;
  double mx = 0;
  for (double v : values) {
    if (std::isnan(v)) continue;
    if (!any) mn = mx = v;
    any = true;
    mn = std::min(mn, v);
    mx = std::max(mx, v);
    unit = unit && v >= 0 && v <= 1;
  }
  if (any && !unit) {
    lo = std::min(0.0, mn);
    hi = std::max(0.0, mx);
    if (hi == lo) hi = lo + 1;
  }
  return {lo, hi};
}

struct HeatCell {
  bool present = false;    // false: no such cell (an empty combination of two slicings)
  bool has_value = false;  // false: null
  double value = 0;        // what the colour shows
  std::string text;        // the number written in the cell
  std::string tooltip;
};

void Heatmap(const std::vector<std::string>& row_labels, const std::vector<std::string>& col_labels,
             const std::vector<std::vector<HeatCell>>& cells, double lo, double hi,
             const std::string& row_title, const std::string& col_title, std::string* out) {
  size_t cols = std::max<size_t>(col_labels.size(), 1);
  double cell_w = std::clamp(900.0 / static_cast<double>(cols), 14.0, 64.0);
  double cell_h = cell_w < 40 ? std::max(14.0, cell_w) : 26.0;
  bool numbers = cell_w >= 40;
  size_t longest = 4;
  for (const auto& l : row_labels) longest = std::max(longest, std::min<size_t>(l.size(), 20));
  double left = 12 + 7.0 * static_cast<double>(longest);
  double top = 56;
  double width = left + cell_w * static_cast<double>(cols) + 10;
  double height = top + cell_h * static_cast<double>(row_labels.size()) + 10;
  *out += "<svg class=\"chart heatmap\" width=\"" + Px(width) + "\" height=\"" + Px(height) +
          "\" viewBox=\"0 0 " + Px(width) + " " + Px(height) + "\" role=\"img\">";
  *out += "<text class=\"axis-title\" x=\"" + Px(left) + "\" y=\"14\">" + Esc(col_title) +
          " \xE2\x86\x92</text>";
  *out += "<text class=\"axis-title\" x=\"4\" y=\"" + Px(top - 6) + "\">" + Esc(row_title) +
          " \xE2\x86\x93</text>";
  for (size_t c = 0; c < col_labels.size(); ++c) {
    double x = left + cell_w * (static_cast<double>(c) + 0.5);
    *out += "<text class=\"col-label\" x=\"" + Px(x) + "\" y=\"" + Px(top - 22) +
            "\" text-anchor=\"middle\"><title>" + Esc(col_labels[c]) + "</title>" +
            Esc(Truncate(col_labels[c], numbers ? 8 : 2)) + "</text>";
  }
  for (size_t r = 0; r < row_labels.size(); ++r) {
    double y = top + cell_h * static_cast<double>(r);
    *out += "<text class=\"row-label\" x=\"" + Px(left - 6) + "\" y=\"" + Px(y + cell_h * 0.68) +
            "\" text-anchor=\"end\"><title>" + Esc(row_labels[r]) + "</title>" +
            Esc(Truncate(row_labels[r], 20)) + "</text>";
    for (size_t c = 0; c < col_labels.size(); ++c) {
      const HeatCell& cell = cells[r][c];
      double x = left + cell_w * static_cast<double>(c);
      if (!cell.present) continue;
      double t = (cell.value - lo) / (hi - lo);
      std::string fill = cell.has_value ? Blue(t) : "#e8e8e8";
      *out += "<g><title>" + Esc(cell.tooltip) + "</title><rect x=\"" + Px(x) + "\" y=\"" + Px(y) +
              "\" width=\"" + Px(cell_w - 1) + "\" height=\"" + Px(cell_h - 1) + "\" fill=\"" +
              fill + "\"/>";
      if (numbers) {
        std::string cls = cell.has_value && t > 0.55 ? "cell-text dark" : "cell-text";
        *out += "<text class=\"" + cls + "\" x=\"" + Px(x + cell_w / 2) + "\" y=\"" +
                Px(y + cell_h * 0.68) + "\" text-anchor=\"middle\">" + Esc(cell.text) + "</text>";
      }
      *out += "</g>";
    }
  }
  *out += "</svg>";
}

struct Bar {
  std::string label;
  const MetricValue* value = nullptr;
};

void BarChart(const std::string& metric, const std::vector<Bar>& bars, size_t total,
              std::string* out) {
  std::vector<double> values;
  for (const Bar& b : bars) {
    double x = 0;
    if (b.value != nullptr && ScalarOf(*b.value, &x)) values.push_back(x);
  }
  std::pair<double, double> domain = Domain(values);
  double lo = domain.first;
  double hi = domain.second;
  double left = 170;
  double plot = 360;
  double row_h = 20;
  double top = 24;
  double width = left + plot + 70;
  double height = top + row_h * static_cast<double>(bars.size()) + 8;
  auto xpos = [&](double v) { return left + (v - lo) / (hi - lo) * plot; };
  *out += "<figure class=\"bars\"><svg class=\"chart\" width=\"" + Px(width) + "\" height=\"" +
          Px(height) + "\" viewBox=\"0 0 " + Px(width) + " " + Px(height) + "\" role=\"img\">";
  *out += "<text class=\"axis-title\" x=\"" + Px(left) + "\" y=\"14\">" + Esc(metric) + "</text>";
  *out += "<line class=\"axis\" x1=\"" + Px(xpos(0)) + "\" x2=\"" + Px(xpos(0)) + "\" y1=\"" +
          Px(top - 4) + "\" y2=\"" + Px(height - 4) + "\"/>";
  for (size_t i = 0; i < bars.size(); ++i) {
    double y = top + row_h * static_cast<double>(i);
    const Bar& b = bars[i];
    *out += "<g><title>" + Esc(b.label) + "</title><text class=\"row-label\" x=\"" + Px(left - 6) +
            "\" y=\"" + Px(y + 14) + "\" text-anchor=\"end\">" + Esc(Truncate(b.label, 24)) +
            "</text></g>";
    double x = 0;
    if (b.value != nullptr && ScalarOf(*b.value, &x)) {
      double x0 = xpos(std::min(0.0, x));
      double x1 = xpos(std::max(0.0, x));
      *out += "<g><title>" + Esc(b.label) + ": " + Full(x) + "</title><rect class=\"bar\" x=\"" +
              Px(x0) + "\" y=\"" + Px(y + 3) + "\" width=\"" + Px(std::max(0.5, x1 - x0)) +
              "\" height=\"" + Px(row_h - 6) + "\"/><text class=\"bar-value\" x=\"" + Px(x1 + 4) +
              "\" y=\"" + Px(y + 14) + "\">" + Num(x) + "</text></g>";
    } else {
      std::string reason = b.value == nullptr ? "not computed" : NullReason(*b.value);
      *out += "<g><title>" + Esc(reason) + "</title><text class=\"null-text\" x=\"" +
              Px(xpos(0) + 4) + "\" y=\"" + Px(y + 14) + "\">null</text></g>";
    }
  }
  *out += "</svg>";
  if (total > bars.size()) {
    *out += "<figcaption>the first " + std::to_string(bars.size()) + " of " +
            std::to_string(total) + " slices; the table lists all</figcaption>";
  }
  *out += "</figure>";
}

struct LineSeries {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
};

void LineChart(const std::string& title, const std::string& x_title, const std::string& y_title,
               const std::vector<LineSeries>& series, bool diagonal, std::string* out) {
  std::vector<double> xs;
  std::vector<double> ys;
  for (const auto& s : series) {
    xs.insert(xs.end(), s.x.begin(), s.x.end());
    ys.insert(ys.end(), s.y.begin(), s.y.end());
  }
  std::pair<double, double> x_domain = Domain(xs);
  std::pair<double, double> y_domain = Domain(ys);
  double x_lo = x_domain.first;
  double x_hi = x_domain.second;
  double y_lo = y_domain.first;
  double y_hi = y_domain.second;
  double left = 52;
  double top = 12;
  double plot_w = 340;
  double plot_h = 280;
  double width = left + plot_w + 16;
  double height = top + plot_h + 44;
  auto px = [&](double v) { return left + (v - x_lo) / (x_hi - x_lo) * plot_w; };
  auto py = [&](double v) { return top + plot_h - (v - y_lo) / (y_hi - y_lo) * plot_h; };
  *out += "<figure class=\"curve\"><figcaption>" + Esc(title) +
          "</figcaption><svg class=\"chart\" "
          "width=\"" +
          Px(width) + "\" height=\"" + Px(height) + "\" viewBox=\"0 0 " + Px(width) + " " +
          Px(height) + "\" role=\"img\">";
  for (int i = 0; i <= 4; ++i) {
    double fx = x_lo + (x_hi - x_lo) * i / 4;
    double fy = y_lo + (y_hi - y_lo) * i / 4;
    *out += "<line class=\"grid\" x1=\"" + Px(px(fx)) + "\" x2=\"" + Px(px(fx)) + "\" y1=\"" +
            Px(top) + "\" y2=\"" + Px(top + plot_h) + "\"/>";
    *out += "<line class=\"grid\" x1=\"" + Px(left) + "\" x2=\"" + Px(left + plot_w) + "\" y1=\"" +
            Px(py(fy)) + "\" y2=\"" + Px(py(fy)) + "\"/>";
    *out += "<text class=\"tick\" x=\"" + Px(px(fx)) + "\" y=\"" + Px(top + plot_h + 14) +
            "\" text-anchor=\"middle\">" + Num(fx) + "</text>";
    *out += "<text class=\"tick\" x=\"" + Px(left - 4) + "\" y=\"" + Px(py(fy) + 4) +
            "\" text-anchor=\"end\">" + Num(fy) + "</text>";
  }
  *out += "<rect class=\"frame\" x=\"" + Px(left) + "\" y=\"" + Px(top) + "\" width=\"" +
          Px(plot_w) + "\" height=\"" + Px(plot_h) + "\"/>";
  if (diagonal) {
    double lo = std::max(x_lo, y_lo);
    double hi = std::min(x_hi, y_hi);
    *out += "<line class=\"diagonal\" x1=\"" + Px(px(lo)) + "\" y1=\"" + Px(py(lo)) + "\" x2=\"" +
            Px(px(hi)) + "\" y2=\"" + Px(py(hi)) + "\"/>";
  }
  *out += "<text class=\"axis-title\" x=\"" + Px(left + plot_w / 2) + "\" y=\"" + Px(height - 6) +
          "\" text-anchor=\"middle\">" + Esc(x_title) + "</text>";
  *out += "<text class=\"axis-title\" transform=\"translate(12," + Px(top + plot_h / 2) +
          ") rotate(-90)\" text-anchor=\"middle\">" + Esc(y_title) + "</text>";
  for (size_t s = 0; s < series.size(); ++s) {
    std::string d;
    bool pen_down = false;
    size_t n = std::min(series[s].x.size(), series[s].y.size());
    for (size_t i = 0; i < n; ++i) {
      double x = series[s].x[i];
      double y = series[s].y[i];
      if (std::isnan(x) || std::isnan(y)) {
        pen_down = false;
        continue;
      }
      d += (pen_down ? "L" : "M") + Px(px(x)) + " " + Px(py(y)) + " ";
      pen_down = true;
    }
    *out += "<path class=\"line\" stroke=\"" + std::string(SeriesColor(s)) + "\" d=\"" + d +
            "\"><title>" + Esc(series[s].name) + "</title></path>";
    // Points as well, so that a curve of isolated points (a reliability diagram with empty
    // bins) stays visible.
    if (n <= 30) {
      for (size_t i = 0; i < n; ++i) {
        double x = series[s].x[i];
        double y = series[s].y[i];
        if (std::isnan(x) || std::isnan(y)) continue;
        *out += "<circle r=\"2.5\" fill=\"" + std::string(SeriesColor(s)) + "\" cx=\"" + Px(px(x)) +
                "\" cy=\"" + Px(py(y)) + "\"><title>" + Esc(series[s].name) + ": (" + Full(x) +
                ", " + Full(y) + ")</title></circle>";
      }
    }
  }
  *out += "</svg><div class=\"legend\">";
  for (size_t s = 0; s < series.size(); ++s) {
    *out += "<span><i style=\"background:" + std::string(SeriesColor(s)) + "\"></i>" +
            Esc(series[s].name) + "</span>";
  }
  *out += "</div></figure>";
}

// ---------------------------------------------------------------------------------------------
// Page.

constexpr std::string_view kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{background:#1d2330;color:#fff;padding:16px 28px}
header h1{margin:0 0 6px;font-size:22px}
header dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}
header dt{color:#a9b4c8}header dd{margin:0}
nav{padding:8px 28px;background:#eef1f5;border-bottom:1px solid #d9dee6}
nav a{margin-right:14px;color:#1f5fbf;text-decoration:none}
main{padding:8px 28px 40px}
section{margin:22px 0}
h2{font-size:18px;border-bottom:1px solid #d9dee6;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}
table{border-collapse:collapse;margin:6px 0;background:#fff}
th,td{border:1px solid #d9dee6;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5;position:sticky;top:0}
table.sortable th{cursor:pointer}
table.sortable th:after{content:" \2195";color:#9aa5b5}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.null,.null-text{color:#b0483a;font-style:italic;fill:#b0483a}
td.muted{color:#7a8599}
.scroll{overflow-x:auto;max-width:100%}
.charts{display:flex;flex-wrap:wrap;gap:18px}
figure{margin:0}
figcaption{font-weight:600;margin:4px 0}
svg.chart text{font-size:11px;fill:#1d2330}
svg.chart .axis-title{font-size:12px;font-weight:600}
svg.chart .cell-text.dark{fill:#fff}
svg.chart .bar{fill:#4a86c5}
svg.chart .axis{stroke:#555;stroke-width:1}
svg.chart .grid{stroke:#e4e8ee;stroke-width:1}
svg.chart .frame{fill:none;stroke:#9aa5b5}
svg.chart .diagonal{stroke:#9aa5b5;stroke-dasharray:4 3}
svg.chart .line{fill:none;stroke-width:1.8}
.legend span{display:inline-block;margin-right:12px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
.banner{padding:10px 14px;border-radius:4px;font-weight:600;margin:12px 0}
.banner.bad{background:#fbe3e0;color:#8a2a1e}.banner.good{background:#e1f3e4;color:#1e6b2c}
tr.regressed td,tr.became-null td,tr.failed td{background:#fbe3e0}
tr.improved td,tr.became-number td{background:#e7f5ea}
tr.within-tolerance td{background:#fff6dc}
.note{color:#5d6778}
)";

constexpr std::string_view kScript = R"(
document.querySelectorAll('table.sortable th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var col = Array.prototype.indexOf.call(th.parentNode.children, th);
    var dir = th.getAttribute('data-dir') === 'asc' ? 'desc' : 'asc';
    th.setAttribute('data-dir', dir);
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var p = a.cells[col], q = b.cells[col];
      // Number cells hold their exact value in the title.
      var u = p && p.className === 'num' ? p.title : null;
      var v = q && q.className === 'num' ? q.title : null;
      var r;
      if (u !== null && v !== null) r = parseFloat(u) - parseFloat(v);
      else if (u !== null) r = -1;
      else if (v !== null) r = 1;
      else r = (p ? p.textContent : '').localeCompare(q ? q.textContent : '');
      return dir === 'asc' ? r : -r;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
)";

void BeginPage(const std::string& title, std::string* out) {
  *out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      Esc(title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
}

void EndPage(std::string* out) {
  *out += "<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
}

void MetaRow(std::string_view term, const std::string& value_html, std::string* out) {
  *out += "<dt>" + Esc(term) + "</dt><dd>" + value_html + "</dd>";
}

void InputsTable(const std::vector<EvaluationResult::Input>& inputs, std::string* out) {
  if (inputs.empty()) return;
  *out +=
      "<div class=\"scroll\"><table><thead><tr><th>input</th><th>size</th><th>XXH3-128</th>"
      "</tr></thead><tbody>";
  for (const auto& in : inputs) {
    *out += "<tr><td>" + Esc(in.path) + "</td><td class=\"num\" title=\"" +
            std::to_string(in.bytes) + " bytes\">" + HumanBytes(in.bytes) + "</td><td><code>" +
            Esc(in.xxh3) + "</code></td></tr>";
  }
  *out += "</tbody></table></div>";
}

std::string ClassList(const std::vector<std::string>& classes) {
  std::string text = std::to_string(classes.size());
  if (classes.empty()) return text;
  text += ": ";
  for (size_t i = 0; i < classes.size() && i < 30; ++i) {
    if (i > 0) text += ", ";
    text += classes[i];
  }
  if (classes.size() > 30) text += ", \xE2\x80\xA6";
  return Esc(text);
}

std::vector<std::string> HeadlineMetrics(const EvaluationResult& r, const ReportOptions& o) {
  std::vector<std::string> out;
  auto usable = [&](const std::string& key) {
    if (std::find(out.begin(), out.end(), key) != out.end()) return false;
    const MetricValue* v = Find(r.overall, key);
    if (v != nullptr)
      return v->kind == MetricValue::Kind::kNumber || v->kind == MetricValue::Kind::kNull;
    for (const auto& s : r.slicings) {
      for (const auto& slice : s.slices) {
        if (Find(slice.outputs, key) != nullptr) return true;
      }
    }
    return false;
  };
  if (!o.headline_metrics.empty()) {
    for (const auto& m : o.headline_metrics) {
      if (usable(m)) out.push_back(m);
    }
    return out;
  }
  for (const char* m : {"accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "average_precision",
                        "log_loss", "mse", "mae", "r2"}) {
    if (out.size() < o.max_headline_metrics && usable(m)) out.emplace_back(m);
  }
  for (const auto& [key, value] : r.overall) {
    if (out.size() >= o.max_headline_metrics) break;
    if (value.kind == MetricValue::Kind::kNumber && usable(key)) out.push_back(key);
  }
  return out;
}

void OverallSection(const EvaluationResult& r, std::string* out) {
  *out +=
      "<section id=\"overall\"><h2>Overall</h2><div class=\"scroll\"><table class=\"sortable\">"
      "<thead><tr><th>metric</th><th>value</th></tr></thead><tbody>";
  for (const auto& [key, value] : r.overall) {
    if (!IsScalarKind(value)) continue;
    *out += "<tr><td>" + Esc(key) + "</td>";
    ValueCell(&value, out);
    *out += "</tr>";
  }
  *out += "</tbody></table></div>";

  // Per-class outputs (`precision[car]`) as a class-by-metric table.
  std::vector<std::string> bases;
  for (const auto& [key, value] : r.overall) {
    if (!IsScalarKind(value)) continue;
    for (const auto& cls : r.classes) {
      std::string suffix = "[" + cls + "]";
      if (key.size() > suffix.size() &&
          key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0) {
        std::string base = key.substr(0, key.size() - suffix.size());
        if (std::find(bases.begin(), bases.end(), base) == bases.end()) bases.push_back(base);
        break;
      }
    }
  }
  if (!bases.empty()) {
    *out +=
        "<h3>Per class</h3><div class=\"scroll\"><table class=\"sortable\"><thead><tr>"
        "<th>class</th>";
    for (const auto& b : bases) *out += "<th>" + Esc(b) + "</th>";
    *out += "</tr></thead><tbody>";
    for (const auto& cls : r.classes) {
      *out += "<tr><td>" + Esc(cls) + "</td>";
      for (const auto& b : bases) {
        std::string key = b;
        key += "[" + cls + "]";
        ValueCell(Find(r.overall, key), out);
      }
      *out += "</tr>";
    }
    *out += "</tbody></table></div>";
  }
  *out += "</section>\n";
}

void ConfusionSection(const std::string& key, const MetricValue& m,
                      const std::vector<std::string>& classes, std::string* out) {
  size_t n = m.matrix.size();
  bool named = n == classes.size();
  std::vector<std::string> labels;
  for (size_t i = 0; i < n; ++i) labels.push_back(named ? classes[i] : std::to_string(i));
  size_t cols = 0;
  for (const auto& row : m.matrix) cols = std::max(cols, row.size());
  std::vector<std::string> col_labels;
  for (size_t i = 0; i < cols; ++i) {
    col_labels.push_back(named && cols == classes.size() ? classes[i] : std::to_string(i));
  }
  std::vector<std::vector<HeatCell>> cells(n, std::vector<HeatCell>(cols));
  for (size_t r = 0; r < n; ++r) {
    int64_t total = 0;
    for (int64_t v : m.matrix[r]) total += v;
    for (size_t c = 0; c < m.matrix[r].size(); ++c) {
      HeatCell& cell = cells[r][c];
      int64_t v = m.matrix[r][c];
      cell.present = true;
      cell.has_value = true;
      cell.value = total == 0 ? 0 : static_cast<double>(v) / static_cast<double>(total);
      cell.text = std::to_string(v);
      cell.tooltip = "label " + labels[r] + ", predicted " + col_labels[c] + ": " +
                     std::to_string(v) + " (" + Fixed(100 * cell.value, 1) + "% of label " +
                     labels[r] + ")";
    }
  }
  *out += "<h3>" + Esc(key) +
          "</h3><p class=\"note\">Rows are labels, columns predictions; "
          "colour is the share of the row.</p><div class=\"scroll\">";
  Heatmap(labels, col_labels, cells, 0, 1, "label", "prediction", out);
  *out += "</div>";
}

// Which series of a curve are x and y, by the names the metrics use.
bool CurveAxes(const MetricValue& v, size_t* x, size_t* y, bool* diagonal) {
  auto index = [&](std::string_view name) -> size_t {
    for (size_t i = 0; i < v.curve.size(); ++i) {
      if (v.curve[i].name == name) return i;
    }
    return v.curve.size();
  };
  size_t n = v.curve.size();
  struct Pair {
    const char* x;
    const char* y;
    bool diagonal;
  };
  for (Pair p : {Pair{"recall", "precision", false}, Pair{"fpr", "tpr", true},
                 Pair{"confidence", "accuracy", true}}) {
    if (index(p.x) < n && index(p.y) < n) {
      *x = index(p.x);
      *y = index(p.y);
      *diagonal = p.diagonal;
      return true;
    }
  }
  if (n < 2) return false;
  *x = 0;
  *y = 1;
  *diagonal = false;
  return true;
}

void CurvesSection(const EvaluationResult& r, std::string* out) {
  // One chart per base name (pr_curve, roc_curve, calibration, ...), one series per key.
  std::vector<std::string> groups;
  for (const auto& [key, value] : r.overall) {
    if (value.kind != MetricValue::Kind::kCurve) continue;
    std::string base(MetricBaseName(key));
    if (std::find(groups.begin(), groups.end(), base) == groups.end()) groups.push_back(base);
  }
  if (groups.empty()) return;
  *out += "<section id=\"curves\"><h2>Curves</h2><div class=\"charts\">";
  for (const auto& group : groups) {
    std::vector<LineSeries> series;
    std::string x_title;
    std::string y_title;
    bool diagonal = false;
    for (const auto& [key, value] : r.overall) {
      if (value.kind != MetricValue::Kind::kCurve || MetricBaseName(key) != group) continue;
      size_t x = 0;
      size_t y = 0;
      if (!CurveAxes(value, &x, &y, &diagonal)) continue;
      x_title = value.curve[x].name;
      y_title = value.curve[y].name;
      series.push_back({key, value.curve[x].values, value.curve[y].values});
    }
    if (series.empty()) continue;
    std::string title = group == "pr_curve"      ? "Precision-recall"
                        : group == "roc_curve"   ? "ROC"
                        : group == "calibration" ? "Reliability diagram"
                                                 : group;
    LineChart(title, x_title, y_title, series, diagonal, out);
  }
  *out += "</div></section>\n";
}

// Sorts slice values as the evaluation does: numbers numerically, "null" last, else text.
bool ValueLess(const std::string& a, const std::string& b) {
  auto number = [](const std::string& s, double* v) {
    if (s.empty()) return false;
    char* end = nullptr;
    *v = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size();
  };
  if (a == "null" || b == "null") return a != "null" && b == "null";
  double x = 0;
  double y = 0;
  if (number(a, &x) && number(b, &y)) return x < y;
  return a < b;
}

std::string SlicingTitle(const EvaluationResult::Slicing& s) {
  std::string title;
  for (size_t i = 0; i < s.columns.size(); ++i) {
    if (i > 0) title += " \xC3\x97 ";
    title += s.columns[i];
  }
  return title;
}

void SlicingSection(const EvaluationResult& r, size_t index,
                    const std::vector<std::string>& headline, const ReportOptions& options,
                    std::string* out) {
  const EvaluationResult::Slicing& s = r.slicings[index];
  *out += "<section id=\"slicing-" + std::to_string(index) + "\"><h2>By " + Esc(SlicingTitle(s)) +
          "</h2><p class=\"note\">" + std::to_string(s.slices.size()) + " slices</p>";
  std::vector<std::string> metrics;
  for (const auto& slice : s.slices) {
    for (const auto& [key, value] : slice.outputs) {
      if (IsScalarKind(value) && std::find(metrics.begin(), metrics.end(), key) == metrics.end()) {
        metrics.push_back(key);
      }
    }
  }
  std::vector<std::string> charted;
  for (const auto& m : headline) {
    if (std::find(metrics.begin(), metrics.end(), m) != metrics.end()) charted.push_back(m);
  }

  if (s.columns.size() == 1 && !charted.empty()) {
    *out += "<div class=\"charts\">";
    for (const auto& m : charted) {
      std::vector<Bar> bars;
      for (const auto& slice : s.slices) {
        if (bars.size() >= options.max_chart_slices) break;
        bars.push_back({slice.values[0], Find(slice.outputs, m)});
      }
      BarChart(m, bars, s.slices.size(), out);
    }
    *out += "</div>";
  } else if (s.columns.size() == 2 && !charted.empty()) {
    std::vector<std::string> rows;
    std::vector<std::string> cols;
    for (const auto& slice : s.slices) {
      if (std::find(rows.begin(), rows.end(), slice.values[0]) == rows.end()) {
        rows.push_back(slice.values[0]);
      }
      if (std::find(cols.begin(), cols.end(), slice.values[1]) == cols.end()) {
        cols.push_back(slice.values[1]);
      }
    }
    std::stable_sort(cols.begin(), cols.end(), ValueLess);
    *out += "<div class=\"charts\">";
    for (const auto& m : charted) {
      std::vector<std::vector<HeatCell>> cells(rows.size(), std::vector<HeatCell>(cols.size()));
      std::vector<double> values;
      for (const auto& slice : s.slices) {
        size_t ri = static_cast<size_t>(std::find(rows.begin(), rows.end(), slice.values[0]) -
                                        rows.begin());
        size_t ci = static_cast<size_t>(std::find(cols.begin(), cols.end(), slice.values[1]) -
                                        cols.begin());
        HeatCell& cell = cells[ri][ci];
        const MetricValue* v = Find(slice.outputs, m);
        cell.present = true;
        std::string where = s.columns[0] + "=" + slice.values[0] + ", " + s.columns[1] + "=" +
                            slice.values[1] + " (" + std::to_string(slice.rows) + " rows)";
        double x = 0;
        if (v != nullptr && ScalarOf(*v, &x)) {
          cell.has_value = true;
          cell.value = x;
          cell.text = Num(x);
          cell.tooltip = where;
          cell.tooltip += ": " + m + " = " + Full(x);
          values.push_back(x);
        } else {
          cell.text = "null";
          cell.tooltip = where + ": " + (v == nullptr ? "not computed" : NullReason(*v));
        }
      }
      auto [lo, hi] = Domain(values);
      *out += "<figure><figcaption>" + Esc(m) + "</figcaption><div class=\"scroll\">";
      Heatmap(rows, cols, cells, lo, hi, s.columns[0], s.columns[1], out);
      *out += "</div></figure>";
    }
    *out += "</div>";
  }

  *out += "<div class=\"scroll\"><table class=\"sortable\"><thead><tr>";
  for (const auto& c : s.columns) *out += "<th>" + Esc(c) + "</th>";
  *out += "<th>rows</th>";
  for (const auto& m : metrics) *out += "<th>" + Esc(m) + "</th>";
  *out += "</tr></thead><tbody>";
  for (const auto& slice : s.slices) {
    *out += "<tr>";
    for (const auto& v : slice.values) *out += "<td>" + Esc(v) + "</td>";
    *out += "<td class=\"num\" title=\"" + std::to_string(slice.rows) + "\">" +
            std::to_string(slice.rows) + "</td>";
    for (const auto& m : metrics) ValueCell(Find(slice.outputs, m), out);
    *out += "</tr>";
  }
  *out += "</tbody></table></div></section>\n";
}

// ---------------------------------------------------------------------------------------------
// Comparison page.

std::string VerdictClass(Verdict v) {
  std::string name(VerdictName(v));
  std::replace(name.begin(), name.end(), ' ', '-');
  return name;
}

void OptionalCell(const std::optional<double>& v, const std::string& reason, bool present,
                  std::string* out) {
  if (!present) {
    *out += "<td class=\"missing\" title=\"absent\">&mdash;</td>";
  } else if (v) {
    *out += "<td class=\"num\" title=\"" + Full(*v) + "\">" + Num(*v) + "</td>";
  } else {
    *out += "<td class=\"null\" title=\"" + Esc(reason.empty() ? "null" : reason) + "\">null</td>";
  }
}

std::string SliceName(const std::string& slicing, const std::string& slice) {
  return slicing.empty() ? "overall" : slicing + "=" + slice;
}

void ComparisonRow(const MetricComparison& m, std::string* out) {
  *out += "<tr class=\"" + VerdictClass(m.verdict) + "\"><td>" +
          Esc(SliceName(m.slicing, m.slice)) + "</td><td>" + Esc(m.metric) + "</td>";
  OptionalCell(m.baseline, m.baseline_reason, m.verdict != Verdict::kOnlyInCandidate, out);
  OptionalCell(m.candidate, m.candidate_reason, m.verdict != Verdict::kOnlyInBaseline, out);
  if (m.baseline && m.candidate) {
    *out += "<td class=\"num\" title=\"" + Full(m.delta) + "\">" + SignedNum(m.delta) + "</td>";
  } else {
    *out += "<td></td>";
  }
  *out += "<td>" +
          std::string(m.is_count           ? "count"
                      : m.higher_is_better ? "higher"
                                           : "lower") +
          "</td><td>" + Esc(VerdictName(m.verdict)) + "</td></tr>";
}

constexpr std::string_view kComparisonHeader =
    "<thead><tr><th>slice</th><th>metric</th><th>baseline</th><th>candidate</th><th>delta</th>"
    "<th>better</th><th>verdict</th></tr></thead>";

void GateSection(const GateResult& gate, std::string* out) {
  *out += "<section id=\"gate\"><h2>Gate</h2><div class=\"banner " +
          std::string(gate.passed ? "good\">gate passed" : "bad\">gate failed") + "</div>";
  *out +=
      "<table><thead><tr><th>rule</th><th>result</th><th>slice</th><th>baseline</th>"
      "<th>candidate</th><th>note</th></tr></thead><tbody>";
  for (const GateRuleResult& rule : gate.rules) {
    for (size_t i = 0; i < rule.checks.size(); ++i) {
      const GateCheck& c = rule.checks[i];
      *out += std::string("<tr class=\"") + (c.passed ? "passed" : "failed") + "\">";
      if (i == 0) {
        std::string span = std::to_string(rule.checks.size());
        *out += "<td rowspan=\"" + span + "\"><code>" + Esc(rule.rule.ToString()) + "</code></td>";
        *out += "<td rowspan=\"" + span + "\">";
        *out += rule.passed ? "pass" : "<strong>fail</strong>";
        *out += "</td>";
      }
      *out += "<td>" + Esc(SliceName(c.slicing, c.slice)) + "</td>";
      OptionalCell(c.baseline, "", rule.rule.kind == GateRule::Kind::kMaxDrop, out);
      OptionalCell(c.candidate, "", true, out);
      *out += "<td>" + Esc(c.reason) + (c.passed ? "" : (c.reason.empty() ? "" : "; ")) +
              (c.passed ? "" : "failed") + "</td></tr>";
    }
  }
  *out += "</tbody></table></section>\n";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderHtmlReport(const EvaluationResult& result, const ReportOptions& options) {
  std::string out;
  BeginPage(options.title, &out);
  out += "<header><h1>" + Esc(options.title) + "</h1><dl>";
  MetaRow("cairn", Esc(result.cairn_version), &out);
  MetaRow("task", Esc(result.task), &out);
  MetaRow("rows", std::to_string(result.rows), &out);
  MetaRow("classes", ClassList(result.classes), &out);
  if (!options.source.empty()) MetaRow("result", Esc(options.source), &out);
  if (!options.generated_at.empty()) MetaRow("made", Esc(options.generated_at), &out);
  out += "</dl></header>\n<nav><a href=\"#overall\">Overall</a>";
  bool has_matrix = false;
  bool has_curve = false;
  for (const auto& [key, value] : result.overall) {
    has_matrix = has_matrix || value.kind == MetricValue::Kind::kMatrix;
    has_curve = has_curve || value.kind == MetricValue::Kind::kCurve;
  }
  if (has_matrix) out += "<a href=\"#confusion\">Confusion matrix</a>";
  if (has_curve) out += "<a href=\"#curves\">Curves</a>";
  for (size_t i = 0; i < result.slicings.size(); ++i) {
    out += "<a href=\"#slicing-" + std::to_string(i) + "\">By " +
           Esc(SlicingTitle(result.slicings[i])) + "</a>";
  }
  out += "</nav>\n<main>\n";
  if (!result.inputs.empty()) {
    out += "<section id=\"inputs\"><h2>Inputs</h2>";
    InputsTable(result.inputs, &out);
    out += "</section>\n";
  }
  OverallSection(result, &out);
  if (has_matrix) {
    out += "<section id=\"confusion\"><h2>Confusion matrix</h2>";
    for (const auto& [key, value] : result.overall) {
      if (value.kind == MetricValue::Kind::kMatrix) {
        ConfusionSection(key, value, result.classes, &out);
      }
    }
    out += "</section>\n";
  }
  CurvesSection(result, &out);
  std::vector<std::string> headline = HeadlineMetrics(result, options);
  for (size_t i = 0; i < result.slicings.size(); ++i) {
    SlicingSection(result, i, headline, options, &out);
  }
  out += "</main>\n";
  EndPage(&out);
  return out;
}

std::string RenderHtmlComparison(const Comparison& comparison, const ReportOptions& options,
                                 const GateResult* gate) {
  std::string out;
  BeginPage(options.title, &out);
  out += "<header><h1>" + Esc(options.title) + "</h1><dl>";
  MetaRow("task", Esc(comparison.task), &out);
  MetaRow("classes", ClassList(comparison.classes), &out);
  MetaRow("baseline", "cairn " + Esc(comparison.baseline_version), &out);
  MetaRow("candidate", "cairn " + Esc(comparison.candidate_version), &out);
  MetaRow("tolerance", Esc(Full(comparison.tolerance)), &out);
  if (!options.source.empty()) MetaRow("compared", Esc(options.source), &out);
  if (!options.generated_at.empty()) MetaRow("made", Esc(options.generated_at), &out);
  out += "</dl></header>\n<nav>";
  if (gate != nullptr) out += "<a href=\"#gate\">Gate</a>";
  out +=
      "<a href=\"#changes\">Changes</a><a href=\"#slices\">Slices</a>"
      "<a href=\"#all\">All metrics</a><a href=\"#inputs\">Inputs</a></nav>\n<main>\n";

  int64_t regressions = comparison.CountRegressions();
  out +=
      "<div class=\"banner " + std::string(regressions > 0 ? "bad" : "good") + "\">" +
      (regressions > 0 ? std::to_string(regressions) + " regression" + (regressions == 1 ? "" : "s")
                       : std::string("no regressions")) +
      "</div><p class=\"note\">";
  bool first = true;
  for (Verdict v : {Verdict::kRegressed, Verdict::kBecameNull, Verdict::kWithinTolerance,
                    Verdict::kImproved, Verdict::kBecameNumber, Verdict::kChanged,
                    Verdict::kUnchanged, Verdict::kOnlyInBaseline, Verdict::kOnlyInCandidate}) {
    int64_t n = comparison.Count(v);
    if (n == 0) continue;
    if (!first) out += " &middot; ";
    first = false;
    out += std::to_string(n) + " " + Esc(VerdictName(v));
  }
  out += "</p>\n";
  if (gate != nullptr) GateSection(*gate, &out);

  std::vector<const MetricComparison*> changes = comparison.Changes();
  out += "<section id=\"changes\"><h2>Changes</h2>";
  if (changes.empty()) {
    out += "<p>No metric changed.</p>";
  } else {
    out += "<div class=\"scroll\"><table class=\"sortable\">" + std::string(kComparisonHeader) +
           "<tbody>";
    for (const MetricComparison* m : changes) ComparisonRow(*m, &out);
    out += "</tbody></table></div>";
  }
  out += "</section>\n<section id=\"slices\"><h2>Slices</h2>";
  std::vector<const SliceComparison*> different = comparison.SlicesWithDifferentRows();
  for (const auto& name : comparison.slicings_only_in_baseline) {
    out += "<p>Slicing <code>" + Esc(name) + "</code> is only in the baseline.</p>";
  }
  for (const auto& name : comparison.slicings_only_in_candidate) {
    out += "<p>Slicing <code>" + Esc(name) + "</code> is only in the candidate.</p>";
  }
  if (different.empty()) {
    out += "<p>Every slice has the same rows on both sides.</p>";
  } else {
    out +=
        "<p class=\"note\">Slices whose row counts differ were not evaluated on the same "
        "data.</p><div class=\"scroll\"><table class=\"sortable\"><thead><tr><th>slice</th>"
        "<th>baseline rows</th><th>candidate rows</th></tr></thead><tbody>";
    for (const SliceComparison* s : different) {
      out += "<tr><td>" + Esc(SliceName(s->slicing, s->slice)) + "</td>";
      for (int64_t rows : {s->baseline_rows, s->candidate_rows}) {
        out += rows < 0 ? "<td class=\"missing\">absent</td>"
                        : "<td class=\"num\" title=\"" + std::to_string(rows) + "\">" +
                              std::to_string(rows) + "</td>";
      }
      out += "</tr>";
    }
    out += "</tbody></table></div>";
  }
  out += "</section>\n<section id=\"all\"><h2>All metrics</h2><details><summary>" +
         std::to_string(comparison.metrics.size()) +
         " compared values</summary><div class=\"scroll\"><table class=\"sortable\">" +
         std::string(kComparisonHeader) + "<tbody>";
  for (const MetricComparison& m : comparison.metrics) ComparisonRow(m, &out);
  out +=
      "</tbody></table></div></details></section>\n<section id=\"inputs\"><h2>Inputs</h2>"
      "<h3>Baseline</h3>";
  InputsTable(comparison.baseline_inputs, &out);
  out += "<h3>Candidate</h3>";
  InputsTable(comparison.candidate_inputs, &out);
  out += "</section>\n</main>\n";
  EndPage(&out);
  return out;
}

}  // namespace cairn::metrics
