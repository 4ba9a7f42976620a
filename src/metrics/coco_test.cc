// COCO box evaluation: every case in tests/metrics/coco/ against the numbers pycocotools
// computes for it (expected.json: the 12 stats, per-category AP, every cell of the precision
// and recall arrays, PR curves), compared bit for bit; hand-computed IoUs; bad input.

#include "metrics/coco.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "base/file.h"
#include "table/io.h"
#include "table/table.h"

namespace cairn::metrics {
namespace {

namespace dom = simdjson::dom;
namespace fs = std::filesystem;

std::string CaseDir(const std::string& name) { return std::string(CAIRN_COCO_CASES) + "/" + name; }

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(CAIRN_COCO_CASES)) {
    if (fs::exists(entry.path() / "expected.json")) names.push_back(entry.path().filename());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<double> Doubles(dom::element arr) {
  std::vector<double> out;
  for (dom::element v : dom::array(arr)) out.push_back(double(v));
  return out;
}

// Bitwise equality (so -0.0 != 0.0 would show; NaN never occurs).
bool Same(double a, double b) { return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b); }

template <typename Container>
bool SameBits(const Container& a, const Container& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), Same);
}

// Compares two arrays cell by cell and reports the number of differing cells and the first few.
void ExpectSameArray(const std::string& what, const std::vector<double>& expected,
                     const std::vector<double>& actual) {
  ASSERT_EQ(expected.size(), actual.size()) << what;
  int64_t differ = 0;
  std::string first;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (Same(expected[i], actual[i])) continue;
    if (++differ <= 5) {
      char buf[160];
      std::snprintf(buf, sizeof(buf), "\n  [%zu] pycocotools %.17g, cairn %.17g", i, expected[i],
                    actual[i]);
      first += buf;
    }
  }
  EXPECT_EQ(differ, 0) << what << ": " << differ << " of " << expected.size() << " cells differ"
                       << first;
}

CocoEvalResult Evaluate(const std::string& name, int threads) {
  auto gt = LoadCocoGroundTruth(CaseDir(name) + "/gt.json");
  EXPECT_TRUE(gt.ok()) << gt.status().ToString();
  auto dt = LoadCocoDetections(CaseDir(name) + "/dt.json");
  EXPECT_TRUE(dt.ok()) << dt.status().ToString();
  CocoEvalOptions options;
  options.num_threads = threads;
  auto result = EvaluateCocoBoxes(*gt, *dt, options);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return std::move(result).value();
}

void ExpectMatchesPycocotools(const std::string& name, const CocoEvalResult& r) {
  SCOPED_TRACE(name);
  dom::parser parser;
  dom::element e = parser.load(CaseDir(name) + "/expected.json").value();
  ExpectSameArray("iou_thresholds", Doubles(e["iou_thresholds"]),
                  std::vector<double>(r.iou_thresholds.begin(), r.iou_thresholds.end()));
  ExpectSameArray("recall_thresholds", Doubles(e["recall_thresholds"]),
                  std::vector<double>(r.recall_thresholds.begin(), r.recall_thresholds.end()));
  std::vector<int64_t> cat_ids;
  for (dom::element v : dom::array(e["category_ids"])) cat_ids.push_back(int64_t(v));
  ASSERT_EQ(cat_ids.size(), r.categories.size());
  for (size_t k = 0; k < cat_ids.size(); ++k) EXPECT_EQ(cat_ids[k], r.categories[k].id);
  ASSERT_EQ(int64_t(e["image_ids"].get_array().size()), r.images);

  std::vector<double> stats = Doubles(e["stats"]);
  ASSERT_EQ(stats.size(), 12u);
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_TRUE(Same(stats[i], r.stats[i]))
        << CocoStatNames()[i] << ": pycocotools " << stats[i] << ", cairn " << r.stats[i];
  }
  EXPECT_EQ(std::string(std::string_view(e["summary"])), CocoSummaryText(r));
  ExpectSameArray("precision", Doubles(e["precision"]), r.precision);
  ExpectSameArray("recall", Doubles(e["recall"]), r.recall);

  for (size_t k = 0; k < cat_ids.size(); ++k) {
    std::string key = std::to_string(cat_ids[k]);
    dom::element pc = e["per_category"][key];
    EXPECT_TRUE(Same(double(pc["AP"]), r.category_ap[k])) << "AP of category " << key;
    EXPECT_TRUE(Same(double(pc["AP50"]), r.category_ap50[k])) << "AP50 of category " << key;
    dom::element curve;
    if (e["pr_iou50"][key].get(curve) == simdjson::SUCCESS) {
      ExpectSameArray("pr_iou50 of " + key, Doubles(curve), r.PrCurve(static_cast<int>(k), false));
      ExpectSameArray("pr_mean of " + key, Doubles(e["pr_mean"][key]),
                      r.PrCurve(static_cast<int>(k), true));
    } else {
      EXPECT_EQ(r.category_ap[k], -1) << "category " << key << " has no ground truth";
    }
  }
}

TEST(CocoGoldenTest, EveryCaseMatchesPycocotoolsBitForBit) {
  std::vector<std::string> names = CaseNames();
  ASSERT_GE(names.size(), 9u);
  for (const std::string& name : names) ExpectMatchesPycocotools(name, Evaluate(name, 1));
}

TEST(CocoGoldenTest, ResultDoesNotDependOnThreadCount) {
  for (const std::string& name : {std::string("random_medium"), std::string("many_dets")}) {
    CocoEvalResult one = Evaluate(name, 1);
    for (int threads : {2, 3, 8}) {
      CocoEvalResult many = Evaluate(name, threads);
      EXPECT_TRUE(SameBits(one.precision, many.precision))
          << name << " with " << threads << " threads";
      EXPECT_TRUE(SameBits(one.recall, many.recall));
      EXPECT_TRUE(SameBits(one.stats, many.stats));
    }
  }
}

// The random case as tables (Parquet ground truth, CSV detections): images without ground
// truth are rows with a null category_id. The numbers must still be pycocotools'.
TEST(CocoGoldenTest, TablesGiveTheSameNumbers) {
  auto gt = LoadCocoGroundTruth(CaseDir("random_medium") + "/gt.json");
  ASSERT_TRUE(gt.ok());
  auto dt = LoadCocoDetections(CaseDir("random_medium") + "/dt.json");
  ASSERT_TRUE(dt.ok());

  table::Column image(table::DataType::Int64()), category(table::DataType::Int64());
  table::Column x(table::DataType::Float64()), y(table::DataType::Float64());
  table::Column w(table::DataType::Float64()), h(table::DataType::Float64());
  table::Column area(table::DataType::Float64()), crowd(table::DataType::Bool());
  table::Column id(table::DataType::Int64());
  std::map<int64_t, int> objects;
  for (const CocoGroundTruth& a : gt->annotations) ++objects[a.image_id];
  for (const CocoGroundTruth& a : gt->annotations) {
    image.AppendInt(a.image_id);
    category.AppendInt(a.category_id);
    x.AppendDouble(a.box.x);
    y.AppendDouble(a.box.y);
    w.AppendDouble(a.box.w);
    h.AppendDouble(a.box.h);
    area.AppendDouble(a.area);
    crowd.AppendBool(a.crowd);
    id.AppendInt(a.id);
  }
  for (int64_t img : gt->image_ids) {
    if (objects.count(img) != 0) continue;
    image.AppendInt(img);
    category.AppendNull();
    for (table::Column* c : {&x, &y, &w, &h, &area}) c->AppendNull();
    crowd.AppendNull();
    id.AppendNull();
  }
  table::Schema gt_schema({{"image_id", table::DataType::Int64(), false},
                           {"category_id", table::DataType::Int64(), true},
                           {"x", table::DataType::Float64(), true},
                           {"y", table::DataType::Float64(), true},
                           {"w", table::DataType::Float64(), true},
                           {"h", table::DataType::Float64(), true},
                           {"area", table::DataType::Float64(), true},
                           {"iscrowd", table::DataType::Bool(), true},
                           {"id", table::DataType::Int64(), true}});
  auto gt_table = table::Table::Make(gt_schema, {image, category, x, y, w, h, area, crowd, id});
  ASSERT_TRUE(gt_table.ok()) << gt_table.status().ToString();

  std::string dt_csv = "image_id,category_id,x,y,w,h,score\n";
  for (const CocoDetection& d : *dt) {
    dt_csv += std::to_string(d.image_id) + "," + std::to_string(d.category_id) + "," +
              table::FormatDouble(d.box.x) + "," + table::FormatDouble(d.box.y) + "," +
              table::FormatDouble(d.box.w) + "," + table::FormatDouble(d.box.h) + "," +
              table::FormatDouble(d.score) + "\n";
  }
  fs::path dir = fs::temp_directory_path() / ("cairn_coco_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string gt_path = (dir / "gt.parquet").string();
  std::string dt_path = (dir / "dt.csv").string();
  ASSERT_TRUE(table::WriteTable(gt_path, *gt_table).ok());
  ASSERT_TRUE(WriteStringToFile(dt_path, dt_csv).ok());

  auto gt2 = LoadCocoGroundTruthTable(gt_path);
  ASSERT_TRUE(gt2.ok()) << gt2.status().ToString();
  auto dt2 = LoadCocoDetectionsTable(dt_path);
  ASSERT_TRUE(dt2.ok()) << dt2.status().ToString();
  fs::remove_all(dir);
  EXPECT_EQ(gt2->image_ids.size(), gt->image_ids.size());
  auto result = EvaluateCocoBoxes(*gt2, *dt2);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ExpectMatchesPycocotools("random_medium", *result);
}

// One image, one object, one detection with IoU 0.64: it matches at the IoU thresholds 0.5,
// 0.55 and 0.6 only, so precision is 1 at every recall threshold for those 3 of 10
// thresholds and 0 for the rest: AP = 303/1010 = 0.3, AP50 = 1, AP75 = 0, AR = 0.3. (A
// precision of 1 is 1 / (1 + eps) in pycocotools, one float step below 1.)
TEST(CocoEvalTest, HandComputedSingleMatch) {
  CocoDataset gt;
  gt.image_ids = {1};
  gt.categories = {{1, "a"}};
  gt.annotations = {{1, 1, 1, Box{0, 0, 10, 10}, 100, false}};
  // [0, 0, 8, 8] inside [0, 0, 10, 10]: 64 / 100.
  std::vector<CocoDetection> dt = {{1, 1, Box{0, 0, 8, 8}, 0.9}};
  auto r = EvaluateCocoBoxes(gt, dt);
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->stats[0], 0.3);
  EXPECT_EQ(r->Precision(0, 0, 0, 0, 2), 1.0 / (1.0 + 2.220446049250313e-16));
  EXPECT_LT(r->Precision(0, 0, 0, 0, 2), 1.0);
  EXPECT_EQ(r->Precision(3, 0, 0, 0, 2), 0.0);
  EXPECT_DOUBLE_EQ(r->stats[1], 1.0);
  EXPECT_EQ(r->stats[2], 0.0);
  EXPECT_DOUBLE_EQ(r->stats[3], 0.3);  // area 100 is small
  EXPECT_EQ(r->stats[4], -1.0);        // no medium object
  EXPECT_EQ(r->stats[5], -1.0);
  EXPECT_DOUBLE_EQ(r->stats[6], 0.3);
  EXPECT_DOUBLE_EQ(r->stats[8], 0.3);
  EXPECT_EQ(r->Recall(2, 0, 0, 2), 1.0);
  EXPECT_EQ(r->Recall(3, 0, 0, 2), 0.0);
  EXPECT_DOUBLE_EQ(r->category_ap50[0], 1.0);
}

TEST(CocoEvalTest, SummaryTextHasPycocotoolsLayout) {
  CocoEvalResult r;
  r.stats = {0.5, 0.75, 0.25, -1, 0.1234, 0.9995, 0, 1, 0.5, 0.5, 0.5, 0.5};
  std::string text = CocoSummaryText(r);
  EXPECT_EQ(text.substr(0, text.find('\n') + 1),
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.500\n");
  EXPECT_NE(text.find(" Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] "
                      "= 0.750\n"),
            std::string::npos);
  EXPECT_NE(text.find(" Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] "
                      "= -1.000\n"),
            std::string::npos);
  EXPECT_NE(text.find(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] "
                      "= 0.000\n"),
            std::string::npos);
  EXPECT_NE(text.find("area=medium | maxDets=100 ] = 0.123\n"), std::string::npos);
}

// ---- geometry, checked by hand ----

TEST(BoxIouTest, HandComputed) {
  // Overlap 5x5 = 25, union 100 + 100 - 25 = 175.
  EXPECT_DOUBLE_EQ(BoxIou({0, 0, 10, 10}, {5, 5, 10, 10}, false), 25.0 / 175.0);
  // Crowd: the union is the detection's area, 100.
  EXPECT_DOUBLE_EQ(BoxIou({0, 0, 10, 10}, {5, 5, 10, 10}, true), 0.25);
  // A detection inside a crowd region has IoU 1.
  EXPECT_EQ(BoxIou({10, 10, 5, 5}, {0, 0, 100, 100}, true), 1.0);
  // Identical boxes.
  EXPECT_EQ(BoxIou({1.5, 2.5, 3, 4}, {1.5, 2.5, 3, 4}, false), 1.0);
  // Touching along an edge or disjoint: 0.
  EXPECT_EQ(BoxIou({0, 0, 10, 10}, {10, 0, 10, 10}, false), 0.0);
  EXPECT_EQ(BoxIou({0, 0, 10, 10}, {50, 50, 10, 10}, false), 0.0);
  // Contained: 4 / 16.
  EXPECT_DOUBLE_EQ(BoxIou({1, 1, 2, 2}, {0, 0, 4, 4}, false), 0.25);
  // Zero-size detection: 0.
  EXPECT_EQ(BoxIou({1, 1, 0, 2}, {0, 0, 4, 4}, false), 0.0);
}

TEST(ConvexPolygonIouTest, HandComputed) {
  std::vector<Point> square = {{0, 0}, {2, 0}, {2, 2}, {0, 2}};
  EXPECT_DOUBLE_EQ(PolygonArea(square), 4.0);
  EXPECT_EQ(ConvexPolygonIou(square, square), 1.0);
  // Unit squares offset by half: 0.5 / 1.5.
  std::vector<Point> a = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  std::vector<Point> b = {{0.5, 0}, {1.5, 0}, {1.5, 1}, {0.5, 1}};
  EXPECT_DOUBLE_EQ(ConvexPolygonIou(a, b), 1.0 / 3.0);
  // A triangle of area 2 inside the square of area 4, either winding order.
  std::vector<Point> tri = {{0, 0}, {2, 0}, {0, 2}};
  std::vector<Point> tri_cw = {{0, 0}, {0, 2}, {2, 0}};
  EXPECT_DOUBLE_EQ(ConvexPolygonIou(tri, square), 0.5);
  EXPECT_DOUBLE_EQ(ConvexPolygonIou(square, tri_cw), 0.5);
  // A diamond (area 2) inscribed in the square.
  std::vector<Point> diamond = {{1, 0}, {2, 1}, {1, 2}, {0, 1}};
  EXPECT_DOUBLE_EQ(ConvexPolygonIou(diamond, square), 0.5);
  // Triangle (1,1) (3,1) (1,3), area 2, overlaps the square in [1,2]^2: 1 / (4 + 2 - 1).
  std::vector<Point> tri2 = {{1, 1}, {3, 1}, {1, 3}};
  EXPECT_DOUBLE_EQ(ConvexPolygonIou(square, tri2), 0.2);
  EXPECT_DOUBLE_EQ(ConvexPolygonIou(tri2, square), 0.2);
  // Disjoint, and degenerate polygons.
  std::vector<Point> far = {{10, 10}, {11, 10}, {11, 11}};
  EXPECT_EQ(ConvexPolygonIou(square, far), 0.0);
  EXPECT_EQ(ConvexPolygonIou(square, {{0, 0}, {1, 1}}), 0.0);
  EXPECT_EQ(ConvexPolygonIou({{0, 0}, {1, 1}, {2, 2}}, {{0, 0}, {1, 1}, {2, 2}}), 0.0);
  // Rectangles as polygons agree with BoxIou: 25 / 175.
  std::vector<Point> r1 = {{0, 0}, {10, 0}, {10, 10}, {0, 10}};
  std::vector<Point> r2 = {{5, 5}, {15, 5}, {15, 15}, {5, 15}};
  EXPECT_DOUBLE_EQ(ConvexPolygonIou(r1, r2), 25.0 / 175.0);
}

// ---- bad input ----

std::string GtError(std::string_view json) {
  auto r = ParseCocoGroundTruth(json, "gt.json");
  return r.ok() ? "ok" : r.status().message();
}

std::string DtError(std::string_view json) {
  auto r = ParseCocoDetections(json, "dt.json");
  return r.ok() ? "ok" : r.status().message();
}

constexpr std::string_view kGtHead = R"({"images": [{"id": 1}], "categories": [{"id": 1}], )";

TEST(CocoLoadTest, MalformedGroundTruthNamesFileIndexAndField) {
  EXPECT_NE(GtError("{\"images\": [").find("gt.json: not valid JSON"), std::string::npos);
  EXPECT_EQ(GtError("[]"),
            "gt.json: expected a COCO instances object with 'images', 'categories' and "
            "'annotations', got an array");
  EXPECT_EQ(GtError(R"({"images": [], "categories": []})"),
            "gt.json: missing top-level field 'annotations'");
  EXPECT_EQ(GtError(R"({"images": {}, "categories": [], "annotations": []})"),
            "gt.json: top-level field 'images': expected an array, got an object");
  EXPECT_EQ(GtError(R"({"images": [{"id": 1}, {"id": "2"}], "categories": [], "annotations": []})"),
            "gt.json: images[1]: field 'id': expected an integer, got a string");
  EXPECT_EQ(GtError(R"({"images": [{"id": 1}, {"id": 1}], "categories": [], "annotations": []})"),
            "gt.json: images[1]: duplicate image id 1");
  EXPECT_EQ(
      GtError(
          std::string(kGtHead) +
          R"("annotations": [{"id": 5, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}]})"),
      "gt.json: annotations[0] (id 5): missing field 'area'");
  EXPECT_EQ(
      GtError(
          std::string(kGtHead) +
          R"("annotations": [{"id": 5, "image_id": 1, "category_id": 1, "area": 1, "bbox": [0, 0, 1]}]})"),
      "gt.json: annotations[0] (id 5): field 'bbox': expected an array of 4 numbers [x, y, "
      "w, h], got an array");
  EXPECT_EQ(
      GtError(
          std::string(kGtHead) +
          R"("annotations": [{"id": 5, "image_id": 1, "category_id": 1, "area": 1, "bbox": [0, 0, -1, 1]}]})"),
      "gt.json: annotations[0] (id 5): field 'bbox': negative size -1 x 1");
  EXPECT_EQ(
      GtError(
          std::string(kGtHead) +
          R"("annotations": [{"id": 5, "image_id": 1, "category_id": 1, "area": -2, "bbox": [0, 0, 1, 1]}]})"),
      "gt.json: annotations[0] (id 5): field 'area': expected a finite non-negative "
      "number, got -2");
  EXPECT_EQ(
      GtError(
          std::string(kGtHead) +
          R"("annotations": [{"id": 5, "image_id": 1, "category_id": 1, "area": 1, "bbox": [0, 0, 1, 1], "iscrowd": "no"}]})"),
      "gt.json: annotations[0] (id 5): field 'iscrowd': expected 0, 1, false or true, got "
      "a string");
  EXPECT_EQ(
      GtError(
          std::string(kGtHead) +
          R"("annotations": [{"image_id": 1, "category_id": 1, "area": 1, "bbox": [0, 0, 1, 1]}]})"),
      "gt.json: annotations[0]: missing field 'id'");
  EXPECT_EQ(
      GtError(
          std::string(kGtHead) +
          R"("annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 1, "bbox": [0, 0, 1, 1]},
                                       {"id": 1, "image_id": 1, "category_id": 1, "area": 1, "bbox": [0, 0, 1, 1]}]})"),
      "gt.json: annotations[1] (id 1): duplicate annotation id 1");
  EXPECT_EQ(
      GtError(
          std::string(kGtHead) +
          R"("annotations": [{"id": 4, "image_id": 2, "category_id": 1, "area": 1, "bbox": [0, 0, 1, 1]}]})"),
      "gt.json: annotations[0] (id 4): image_id 2 is not in 'images'");
}

TEST(CocoLoadTest, MalformedDetectionsNameFileIndexAndField) {
  EXPECT_NE(DtError("[{").find("dt.json: not valid JSON"), std::string::npos);
  EXPECT_EQ(DtError("{}"),
            "dt.json: expected a COCO results array of {image_id, category_id, bbox, score}, got "
            "an object");
  EXPECT_EQ(DtError(R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}, 3])"),
            "dt.json: detections[1]: expected an object, got an integer");
  EXPECT_EQ(DtError(R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}])"),
            "dt.json: detections[0]: missing field 'score'");
  EXPECT_EQ(DtError(R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": "0.5"}])"),
            "dt.json: detections[0]: field 'score': expected a number, got a string");
  EXPECT_EQ(DtError(R"([{"image_id": 1.5, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}])"),
            "dt.json: detections[0]: field 'image_id': expected an integer, got a number");
  EXPECT_EQ(DtError(R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, null], "score": 1}])"),
            "dt.json: detections[0]: field 'bbox': expected an array of 4 numbers [x, y, w, h], "
            "element 3 is null");
  EXPECT_EQ(DtError(R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, -0.5], "score": 1}])"),
            "dt.json: detections[0]: field 'bbox': negative size 1 x -0.5");
  EXPECT_EQ(DtError("[]"), "ok");
}

TEST(CocoEvalTest, UnknownImageIsAnError) {
  CocoDataset gt;
  gt.image_ids = {1, 2};
  gt.categories = {{1, "a"}};
  std::vector<CocoDetection> dt = {{1, 1, Box{0, 0, 1, 1}, 0.5}, {7, 1, Box{0, 0, 1, 1}, 0.5}};
  CocoEvalOptions options;
  options.detections = {"dt.json", false};
  auto r = EvaluateCocoBoxes(gt, dt, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "dt.json: detections[1]: image_id 7 is not an image of the ground truth");
  options.detections = {"dt.csv", true};
  r = EvaluateCocoBoxes(gt, dt, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "dt.csv: row 2: image_id 7 is not an image of the ground truth");

  gt.annotations = {{1, 3, 1, Box{0, 0, 1, 1}, 1, false}};
  r = EvaluateCocoBoxes(gt, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "ground truth: annotations[0]: image_id 3 is not an image of the ground truth");
}

TEST(CocoEvalTest, NanOrNegativeSizesAreErrors) {
  CocoDataset gt;
  gt.image_ids = {1};
  gt.categories = {{1, "a"}};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto r = EvaluateCocoBoxes(gt, {{1, 1, Box{0, 0, nan, 1}, 0.5}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      r.status().message(),
      "detections: detections[0]: box [0, 0, nan, 1] has a non-finite value or a negative size");
  r = EvaluateCocoBoxes(gt, {{1, 1, Box{0, 0, 1, 1}, nan}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "detections: detections[0]: score is not a finite number");
  gt.annotations = {{1, 1, 1, Box{0, 0, 1, -1}, 1, false}};
  r = EvaluateCocoBoxes(gt, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      r.status().message(),
      "ground truth: annotations[0]: box [0, 0, 1, -1] has a non-finite value or a negative size");
}

TEST(CocoLoadTest, TableErrorsNameFileRowAndColumn) {
  fs::path dir = fs::temp_directory_path() / ("cairn_coco_bad_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string path = (dir / "dt.csv").string();
  ASSERT_TRUE(WriteStringToFile(path, "image_id,category_id,x,y,w,h\n1,1,0,0,1,1\n").ok());
  auto r = LoadCocoDetectionsTable(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), path + ": missing column 'score'");
  ASSERT_TRUE(WriteStringToFile(
                  path, "image_id,category_id,x,y,w,h,score\n1,1,0,0,1,1,0.5\n1,1,0,0,-3,1,0.5\n")
                  .ok());
  r = LoadCocoDetectionsTable(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), path + ": row 2: column 'w': negative width -3");
  ASSERT_TRUE(WriteStringToFile(
                  path, "image_id,category_id,x,y,w,h,score\n1,1,0,0,1,1,0.5\n1,,0,0,3,1,0.5\n")
                  .ok());
  r = LoadCocoDetectionsTable(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), path + ": row 2: column 'category_id': null");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cairn::metrics
