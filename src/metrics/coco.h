#pragma once

// COCO object detection evaluation (bounding boxes), computed exactly like pycocotools'
// COCOeval (evaluate + accumulate + summarize): the same precision and recall arrays, cell
// for cell and bit for bit, and the same 12 summary numbers. docs/metrics.md lists the
// semantics followed, quirks included.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cairn::metrics {

/// An axis-aligned box in COCO's layout: top-left corner (x, y), width w and height h, in
/// pixels. No "+1 pixel" convention: the box covers [x, x + w) x [y, y + h).
struct Box {
  double x = 0;
  double y = 0;
  double w = 0;
  double h = 0;
};

/// Intersection over union of a detection box and a ground truth box, computed with the
/// same operations in the same order as pycocotools (bbIou), so the result is bit-identical.
/// For a crowd ground truth (`gt_crowd`) the union is the detection's area alone, so a
/// detection inside a crowd region has IoU 1. Boxes that do not overlap, or touch only along
/// an edge, give 0. Sizes must be non-negative and finite.
double BoxIou(const Box& dt, const Box& gt, bool gt_crowd);

/// A point of a polygon.
struct Point {
  double x = 0;
  double y = 0;
};

/// Area of a simple polygon (shoelace formula), always >= 0; 0 for fewer than 3 points.
double PolygonArea(const std::vector<Point>& polygon);

/// Intersection over union of two convex polygons given as point lists (either winding
/// order; the last point connects back to the first). The intersection is found by clipping
/// `a` with every edge of `b` (Sutherland-Hodgman), the areas by the shoelace formula. Returns
/// 0 when the union has no area (degenerate polygons, fewer than 3 points). For a polygon
/// that is not convex the result is not the IoU.
double ConvexPolygonIou(const std::vector<Point>& a, const std::vector<Point>& b);

/// A category of the ground truth.
struct CocoCategory {
  int64_t id = 0;
  std::string name;
};

/// One ground truth object.
struct CocoGroundTruth {
  int64_t id = 0;  // the annotation id (pycocotools' quirk: id 0 never counts as a match)
  int64_t image_id = 0;
  int64_t category_id = 0;
  Box box;
  /// The annotation's `area` (a mask area in COCO files); it decides the area range, even
  /// for box evaluation.
  double area = 0;
  /// A crowd region: ignored, may absorb any number of detections.
  bool crowd = false;
};

/// One detection. Its id is its position in the input plus 1, its area w * h.
struct CocoDetection {
  int64_t image_id = 0;
  int64_t category_id = 0;
  Box box;
  double score = 0;
};

/// The ground truth of a COCO evaluation.
struct CocoDataset {
  std::vector<int64_t> image_ids;        // every evaluated image, in input order, no duplicates
  std::vector<CocoCategory> categories;  // in input order, no duplicate ids
  std::vector<CocoGroundTruth> annotations;
};

/// Parses a COCO instances document (`images`, `categories`, `annotations` with `id`,
/// `image_id`, `category_id`, `bbox`, `area` and optional `iscrowd`, default 0; other keys,
/// segmentations included, are skipped). `name` is used in error messages. Errors
/// (kCorrupt): malformed JSON; a missing field or one of the wrong type, naming the array and
/// index ("gt.json: annotations[17] (id 903): field 'bbox': expected an array of 4 numbers");
/// NaN, infinite or negative sizes or area; duplicate image, category or annotation ids; an
/// annotation whose image is not listed.
Result<CocoDataset> ParseCocoGroundTruth(std::string_view json, std::string_view name);
/// Reads and parses a COCO instances file (see ParseCocoGroundTruth).
Result<CocoDataset> LoadCocoGroundTruth(const std::string& path);

/// Parses a COCO results document: an array of {image_id, category_id, bbox, score} (other
/// keys skipped). Errors (kCorrupt): malformed JSON, a missing or mistyped field naming the
/// index ("dt.json: detections[5]: field 'score': expected a number"), NaN, infinite or
/// negative sizes, a non-finite score.
Result<std::vector<CocoDetection>> ParseCocoDetections(std::string_view json,
                                                       std::string_view name);
/// Reads and parses a COCO results file (see ParseCocoDetections).
Result<std::vector<CocoDetection>> LoadCocoDetections(const std::string& path);

/// Reads ground truth from a table file (CSV, JSON Lines or Parquet) with columns image_id,
/// category_id (int64), x, y, w, h (numbers), and optionally area (default w * h), iscrowd
/// (bool or int64, default 0) and id (int64, default the row number). A row whose category_id
/// is null declares an image without objects. Images are the image ids of the table,
/// categories its category ids (named by their id). Errors name the file, row and column.
Result<CocoDataset> LoadCocoGroundTruthTable(const std::string& path);
/// Reads detections from a table file with columns image_id, category_id (int64), x, y, w,
/// h and score (numbers). Errors name the file, row and column.
Result<std::vector<CocoDetection>> LoadCocoDetectionsTable(const std::string& path);

/// How an evaluation error names an input: the file, and whether its items are table rows
/// ("dt.csv: row 18") or elements of a JSON array ("dt.json: detections[17]").
struct CocoSource {
  std::string name;
  bool table = false;
};

/// Options of a COCO evaluation. The parameters are pycocotools' defaults for boxes.
struct CocoEvalOptions {
  /// Threads for the per-(image, category) matching and the per-category accumulation;
  /// 0 = all hardware threads. The result is the same for any number.
  int num_threads = 0;
  /// Names of the inputs in error messages.
  CocoSource ground_truth{"ground truth"};
  CocoSource detections{"detections"};
};

/// The outcome of a COCO box evaluation, laid out like pycocotools' `eval` dictionary.
struct CocoEvalResult {
  static constexpr int kNumIouThresholds = 10;      // T: 0.5, 0.55, ..., 0.95
  static constexpr int kNumRecallThresholds = 101;  // R: 0, 0.01, ..., 1
  static constexpr int kNumAreaRanges = 4;          // A: all, small, medium, large
  static constexpr int kNumMaxDets = 3;             // M: 1, 10, 100

  /// numpy.linspace(0.5, 0.95, 10) and numpy.linspace(0, 1, 101), bit for bit.
  std::array<double, kNumIouThresholds> iou_thresholds{};
  std::array<double, kNumRecallThresholds> recall_thresholds{};
  std::array<int, kNumMaxDets> max_dets{1, 10, 100};

  /// The K axis: the ground truth's categories sorted by id.
  std::vector<CocoCategory> categories;
  /// Non-crowd ground truths of each category (same order).
  std::vector<int64_t> category_gt_count;
  int64_t images = 0;
  int64_t ground_truths = 0;
  int64_t detections = 0;
  /// Detections whose category is not among the ground truth's categories: pycocotools
  /// skips them, and so does this evaluation (they are counted here).
  int64_t skipped_detections = 0;

  /// precision[T][R][K][A][M] in C order; -1 where the category has no ground truth in the
  /// area range.
  std::vector<double> precision;
  /// recall[T][K][A][M] in C order; -1 likewise.
  std::vector<double> recall;

  /// AP, AP50, AP75, AP_small, AP_medium, AP_large, AR_1, AR_10, AR_100, AR_small,
  /// AR_medium, AR_large: pycocotools' `stats`, -1 when no cell is defined.
  std::array<double, 12> stats{};
  /// Per category (K order): the mean of precision over IoU thresholds and recall
  /// thresholds (area all, maxDets 100), and the same at IoU 0.5; -1 without ground truth.
  std::vector<double> category_ap;
  std::vector<double> category_ap50;

  double Precision(int t, int r, int k, int a, int m) const {
    return precision[static_cast<size_t>(
        (((t * kNumRecallThresholds + r) * static_cast<int64_t>(categories.size()) + k) *
             kNumAreaRanges +
         a) *
            kNumMaxDets +
        m)];
  }
  double Recall(int t, int k, int a, int m) const {
    return recall[static_cast<size_t>(
        ((t * static_cast<int64_t>(categories.size()) + k) * kNumAreaRanges + a) * kNumMaxDets +
        m)];
  }
  /// The precision of category k at the 101 recall thresholds, area all, maxDets 100: at
  /// IoU 0.5 (`mean_over_iou` false) or the mean over the 10 IoU thresholds (summed in
  /// threshold order, then divided by 10, like numpy's mean over that axis).
  std::vector<double> PrCurve(int k, bool mean_over_iou) const;
};

/// The names of the 12 summary numbers, in `stats` order ("AP", "AP50", ..., "AR_large").
const std::array<std::string_view, 12>& CocoStatNames();

/// Evaluates detections against ground truth like pycocotools' COCOeval with iouType
/// "bbox" and default parameters. Errors (kInvalidArgument): a detection or annotation on
/// an image that is not in the ground truth ("detections[12]: image_id 99 is not an image
/// of the ground truth"), a non-finite or negative size, a non-finite score. Thread-safe.
Result<CocoEvalResult> EvaluateCocoBoxes(const CocoDataset& gt,
                                         const std::vector<CocoDetection>& detections,
                                         const CocoEvalOptions& options = {});

/// The 12 summary lines exactly as pycocotools' summarize() prints them
/// (" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.370").
std::string CocoSummaryText(const CocoEvalResult& result);

/// The result as one JSON document, numbers in shortest round-trip form:
///
///   {"images": 5000, "categories": 80, "ground_truths": 36781, "detections": 435000,
///    "skipped_detections": 0,
///    "stats": {"AP": 0.37, "AP50": ..., "AR_large": ...},
///    "per_category": {"person": {"id": 1, "ground_truths": 11004, "AP": .., "AP50": ..}},
///    "pr_curves": {"recall": [0, 0.01, ..., 1],
///                  "iou=0.50": {"person": [101 precisions]},
///                  "iou=0.50:0.95": {"person": [...]}}}
///
/// Categories are keyed by name (by "name#id" when a name is empty or repeated); pr_curves
/// holds only categories with ground truth. -1 marks a value without ground truth, as in
/// pycocotools. With `include_arrays`, the document also holds "shape" ([T, R, K, A, M]),
/// "precision" and "recall": the full arrays flattened in C order, like numpy's ravel() of
/// pycocotools' eval["precision"] and eval["recall"].
std::string CocoResultToJson(const CocoEvalResult& result, bool include_arrays = false);

}  // namespace cairn::metrics
