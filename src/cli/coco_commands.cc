// `cairn eval coco`: COCO box evaluation of detections against ground truth, with
// pycocotools' numbers.

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "base/file.h"
#include "cli/command.h"
#include "cli/output.h"
#include "metrics/coco.h"

namespace cairn::cli {
namespace {

std::string Fixed3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", v);
  return buf;
}

int RunEvalCoco(const Invocation& inv) {
  if (!inv.args.positionals().empty()) {
    return inv.UsageError("unexpected argument '" + inv.args.positionals()[0] + "'");
  }
  std::optional<std::string> gt_json = inv.args.Get("gt");
  std::optional<std::string> gt_table = inv.args.Get("gt-table");
  std::optional<std::string> dt_json = inv.args.Get("dt");
  std::optional<std::string> dt_table = inv.args.Get("dt-table");
  if (gt_json.has_value() == gt_table.has_value()) {
    return inv.UsageError("give the ground truth with exactly one of --gt and --gt-table");
  }
  if (dt_json.has_value() == dt_table.has_value()) {
    return inv.UsageError("give the detections with exactly one of --dt and --dt-table");
  }
  metrics::CocoEvalOptions options;
  if (auto v = inv.args.Get("threads")) {
    auto n = ParseIntFlag("threads", *v, 0, 1024);
    if (!n.ok()) return inv.UsageError(n.status().message());
    options.num_threads = static_cast<int>(*n);
  }
  options.ground_truth = {gt_json ? *gt_json : *gt_table, gt_table.has_value()};
  options.detections = {dt_json ? *dt_json : *dt_table, dt_table.has_value()};

  auto gt = gt_json ? metrics::LoadCocoGroundTruth(*gt_json)
                    : metrics::LoadCocoGroundTruthTable(*gt_table);
  if (!gt.ok()) return inv.Fail(gt.status());
  auto dt =
      dt_json ? metrics::LoadCocoDetections(*dt_json) : metrics::LoadCocoDetectionsTable(*dt_table);
  if (!dt.ok()) return inv.Fail(dt.status());
  auto result = metrics::EvaluateCocoBoxes(*gt, *dt, options);
  if (!result.ok()) return inv.Fail(result.status());

  std::string json = metrics::CocoResultToJson(*result, inv.args.Has("arrays"));
  if (auto out = inv.args.Get("out")) {
    Status s = WriteStringToFile(*out, json);
    if (!s.ok()) return inv.Fail(s);
  }
  if (inv.json) {
    Write(inv.out, json);
    return kExitOk;
  }
  std::string text = metrics::CocoSummaryText(*result);
  text += "\n" + std::to_string(result->images) + " images, " +
          std::to_string(result->categories.size()) + " categories, " +
          std::to_string(result->ground_truths) + " ground truths, " +
          std::to_string(result->detections) + " detections";
  if (result->skipped_detections > 0) {
    text += " (" + std::to_string(result->skipped_detections) +
            " more skipped: their category is not in the ground truth)";
  }
  text += "\n\n";
  std::vector<std::vector<std::string>> rows;
  for (size_t k = 0; k < result->categories.size(); ++k) {
    const metrics::CocoCategory& c = result->categories[k];
    bool has_gt = result->category_ap[k] > -1;
    rows.push_back({DisplayCell(c.name), std::to_string(c.id),
                    std::to_string(result->category_gt_count[k]),
                    has_gt ? Fixed3(result->category_ap[k]) : "-",
                    has_gt ? Fixed3(result->category_ap50[k]) : "-"});
  }
  text += FormatTextTable({"category", "id", "ground_truths", "AP", "AP50"}, rows);
  Write(inv.out, text);
  return kExitOk;
}

}  // namespace

std::vector<Command> CocoCommands() {
  std::vector<Command> commands;
  commands.push_back(
      {"eval",
       "coco",
       "evaluate object detections with COCO box metrics (pycocotools' numbers)",
       "",
       "Matches detections to ground truth boxes exactly as pycocotools' COCOeval does for "
       "iouType 'bbox' (IoU thresholds 0.5:0.05:0.95, 101 recall points, area ranges from the "
       "annotation 'area', maxDets 1/10/100, crowd regions) and prints the 12 summary numbers "
       "in pycocotools' layout, then AP and AP50 per category. --json prints the stats, the "
       "per-category AP and the precision-recall curves of each category. Ground truth is a "
       "COCO instances file (--gt) or a table with columns image_id, category_id, x, y, w, h "
       "[, area, iscrowd, id] (--gt-table); detections a COCO results file (--dt) or a table "
       "with columns image_id, category_id, x, y, w, h, score (--dt-table). A detection on an "
       "image that is not in the ground truth is an error.",
       {{"gt", 0, true, false, "FILE", "ground truth: COCO instances JSON"},
        {"dt", 0, true, false, "FILE", "detections: COCO results JSON"},
        {"gt-table", 0, true, false, "FILE", "ground truth as a table (CSV, JSON Lines, Parquet)"},
        {"dt-table", 0, true, false, "FILE", "detections as a table (CSV, JSON Lines, Parquet)"},
        {"threads", 0, true, false, "N", "threads to use (default 0: one per core)"},
        {"out", 0, true, false, "FILE", "write the JSON result to FILE"},
        {"arrays", 0, false, false, "", "JSON: add the full precision and recall arrays"}},
       RunEvalCoco});
  return commands;
}

}  // namespace cairn::cli
