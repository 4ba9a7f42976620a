#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/compare.h"
#include "metrics/result.h"

namespace cairn::metrics {

/// What a report shows besides the result itself.
struct ReportOptions {
  /// The page title and first heading.
  std::string title = "cairn evaluation";
  /// When the report was made, shown in the header (e.g. "2024-05-01T12:00:00Z"); the caller
  /// passes it so that the same inputs render the same bytes. Empty: not shown.
  std::string generated_at;
  /// Where the result came from (a file name), shown in the header. Empty: not shown.
  std::string source;
  /// Metrics charted per slice (bar charts of 1-D slicings, heatmaps of 2-D slicings). Empty:
  /// the first present of accuracy, balanced_accuracy, f1_macro, roc_auc, average_precision,
  /// log_loss, mse, mae and r2, then other overall numbers, up to `max_headline_metrics`.
  std::vector<std::string> headline_metrics;
  size_t max_headline_metrics = 4;
  /// Slices shown per bar chart (the table lists them all).
  size_t max_chart_slices = 60;
};

/// One self-contained HTML page for `result`: inline CSS and SVG and a few lines of inline
/// script (sortable tables), nothing fetched from anywhere. It shows the header (title, cairn
/// version, task, rows, classes, inputs with sizes and hashes, `generated_at`), the overall
/// metrics and a per-class table, the confusion matrix as a heatmap, curves (precision-recall,
/// ROC, reliability diagram, others by their first two series) as line charts, and for each
/// slicing a table of slices by metrics plus bar charts of the headline metrics (one
/// column) or heatmaps of them (two columns: rows = first column's values, columns = the
/// second's). Null values show "null" with their reason as a tooltip. All text is escaped.
std::string RenderHtmlReport(const EvaluationResult& result, const ReportOptions& options);

/// One self-contained HTML page for a comparison: a summary (regressions, improvements, ...),
/// the gate's rules and checks when `gate` is given, every changed metric with regressions
/// first and highlighted, slices whose row counts differ or that only one side has, and all
/// compared metrics in a collapsed table.
std::string RenderHtmlComparison(const Comparison& comparison, const ReportOptions& options,
                                 const GateResult* gate = nullptr);

/// `text` with &, <, >, " and ' replaced by character references, for HTML text and
/// attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace cairn::metrics
