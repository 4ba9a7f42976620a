#include "metrics/result_io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>

#include "table/io.h"

namespace cairn::metrics {
namespace {

// A document in the writer's exact layout, written by hand: numbers that need every digit,
// the extremes of double, -0, a count, a matrix, a curve with a missing point, null with a
// reason, null without one (a NaN number), and escaped slice keys in a two-column slicing.
constexpr std::string_view kDocument =
    R"({"cairn_version":"0.1.0","task":"multiclass",)"
    R"("inputs":[{"path":"preds.parquet","bytes":1234,"xxh3":"00ff"}],)"
    R"("classes":["bike","car","<script>"],"rows":10,)"
    R"("overall":{"accuracy":0.30000000000000004,"kappa":-0.0,"tiny":5e-324,)"
    R"("huge":1.7976931348623157e+308,"third":0.3333333333333333,"support[car]":4,)"
    R"("confusion_matrix":[[1,0,0],[2,3,0],[0,0,4]],)"
    R"("calibration":{"bin_lower":[0.0,0.5],"count":[3.0,0.0],"accuracy":[0.25,null]},)"
    R"("roc_auc":null,"nan_number":null,"null_reasons":{"roc_auc":"undefined: one class"}},)"
    R"("slices":{"weather":{"rain":{"rows":6,"accuracy":0.5},"sun":{"rows":4,"accuracy":1.0}},)"
    R"("weather,time":{"a\\|b|night":{"rows":1,"f1":null,"null_reasons":{"f1":"no rows"}},)"
    R"("c\\\\|day":{"rows":0}}}})";

const MetricValue* Find(const MetricOutputs& outputs, std::string_view key) {
  for (const auto& [k, v] : outputs) {
    if (k == key) return &v;
  }
  return nullptr;
}

TEST(ResultIoTest, HandWrittenDocumentRoundTripsByteForByte) {
  auto r = EvaluationResultFromJson(kDocument, "doc.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(EvaluationResultToJson(*r), kDocument);
}

TEST(ResultIoTest, ValuesAreParsedIntoTheirKinds) {
  auto r = EvaluationResultFromJson(kDocument, "doc.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cairn_version, "0.1.0");
  EXPECT_EQ(r->task, "multiclass");
  ASSERT_EQ(r->inputs.size(), 1u);
  EXPECT_EQ(r->inputs[0].path, "preds.parquet");
  EXPECT_EQ(r->inputs[0].bytes, 1234);
  EXPECT_EQ(r->inputs[0].xxh3, "00ff");
  EXPECT_EQ(r->classes, (std::vector<std::string>{"bike", "car", "<script>"}));
  EXPECT_EQ(r->rows, 10);

  const MetricOutputs& o = r->overall;
  ASSERT_EQ(o.size(), 10u);
  EXPECT_EQ(Find(o, "accuracy")->kind, MetricValue::Kind::kNumber);
  EXPECT_EQ(Find(o, "accuracy")->number, 0.1 + 0.2);  // 0.30000000000000004 exactly
  EXPECT_EQ(Find(o, "kappa")->kind, MetricValue::Kind::kNumber);
  EXPECT_EQ(Find(o, "kappa")->number, 0.0);
  EXPECT_TRUE(std::signbit(Find(o, "kappa")->number));
  EXPECT_EQ(Find(o, "tiny")->number, std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(Find(o, "huge")->number, std::numeric_limits<double>::max());
  EXPECT_EQ(Find(o, "third")->number, 1.0 / 3.0);
  EXPECT_EQ(Find(o, "support[car]")->kind, MetricValue::Kind::kCount);
  EXPECT_EQ(Find(o, "support[car]")->count, 4);
  EXPECT_EQ(Find(o, "confusion_matrix")->matrix,
            (std::vector<std::vector<int64_t>>{{1, 0, 0}, {2, 3, 0}, {0, 0, 4}}));
  const MetricValue* cal = Find(o, "calibration");
  ASSERT_EQ(cal->kind, MetricValue::Kind::kCurve);
  ASSERT_EQ(cal->curve.size(), 3u);
  EXPECT_EQ(cal->curve[0].name, "bin_lower");
  EXPECT_EQ(cal->curve[0].values, (std::vector<double>{0, 0.5}));
  EXPECT_EQ(cal->curve[1].values, (std::vector<double>{3, 0}));
  EXPECT_EQ(cal->curve[2].values[0], 0.25);
  EXPECT_TRUE(std::isnan(cal->curve[2].values[1]));
  EXPECT_EQ(Find(o, "roc_auc")->kind, MetricValue::Kind::kNull);
  EXPECT_EQ(Find(o, "roc_auc")->reason, "undefined: one class");
  EXPECT_EQ(Find(o, "nan_number")->kind, MetricValue::Kind::kNumber);
  EXPECT_TRUE(std::isnan(Find(o, "nan_number")->number));

  ASSERT_EQ(r->slicings.size(), 2u);
  EXPECT_EQ(r->slicings[0].columns, std::vector<std::string>{"weather"});
  ASSERT_EQ(r->slicings[0].slices.size(), 2u);
  EXPECT_EQ(r->slicings[0].slices[0].values, std::vector<std::string>{"rain"});
  EXPECT_EQ(r->slicings[0].slices[0].rows, 6);
  EXPECT_EQ(Find(r->slicings[0].slices[0].outputs, "accuracy")->number, 0.5);
  EXPECT_EQ(r->slicings[1].columns, (std::vector<std::string>{"weather", "time"}));
  ASSERT_EQ(r->slicings[1].slices.size(), 2u);
  EXPECT_EQ(r->slicings[1].slices[0].values, (std::vector<std::string>{"a|b", "night"}));
  EXPECT_EQ(Find(r->slicings[1].slices[0].outputs, "f1")->reason, "no rows");
  EXPECT_EQ(r->slicings[1].slices[1].values, (std::vector<std::string>{"c\\", "day"}));
  EXPECT_EQ(r->slicings[1].slices[1].rows, 0);
  EXPECT_TRUE(r->slicings[1].slices[1].outputs.empty());
}

TEST(ResultIoTest, ResultBuiltInCodeRoundTrips) {
  EvaluationResult r;
  r.cairn_version = "9.9.9";
  r.task = "binary";
  r.classes = {"neg", "pos"};
  r.rows = 3;
  r.overall = {{"accuracy", MetricValue::Number(2.0 / 3.0)},
               {"log_loss", MetricValue::Number(1e-17)},
               {"support[pos]", MetricValue::Count(-7)},
               {"pr_curve[pos]", MetricValue::Curve({{"recall", {1.0 / 7.0, 0.123456789}},
                                                     {"precision", {-2.5e-8, 6.02214076e23}}})},
               {"mcc", MetricValue::Null("zero \"variance\"\n")}};
  EvaluationResult::Slicing slicing;
  slicing.columns = {"camera"};
  slicing.slices.push_back({{"front \xc3\xa9"}, 2, {{"accuracy", MetricValue::Number(0.5)}}});
  r.slicings.push_back(slicing);
  std::string json = EvaluationResultToJson(r);
  auto back = EvaluationResultFromJson(json, "mem");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->overall, r.overall);
  EXPECT_EQ(back->slicings[0].slices[0].values, r.slicings[0].slices[0].values);
  EXPECT_EQ(back->slicings[0].slices[0].outputs, r.slicings[0].slices[0].outputs);
  EXPECT_EQ(EvaluationResultToJson(*back), json);
}

// Checks that parsing `json` fails with exactly `message`.
void ExpectError(std::string_view json, const std::string& message) {
  auto r = EvaluationResultFromJson(json, "res.json");
  ASSERT_FALSE(r.ok()) << json;
  EXPECT_EQ(r.status().message(), message) << json;
}

constexpr std::string_view kHead =
    R"({"cairn_version":"0.1.0","task":"binary","inputs":[],"classes":["a","b"],"rows":2,)";

TEST(ResultIoTest, ErrorsNameTheSourceAndThePath) {
  ExpectError(std::string(kHead) + R"("overall":{},"slices":{"w":{"x":{"rows":"2"}}}})",
              R"(res.json: $.slices.w.x.rows: expected a non-negative integer, got a string)");
  ExpectError(std::string(kHead) + R"("overall":{},"slices":{"w":{"x":{"acc":1}}}})",
              R"(res.json: $.slices.w.x: missing member 'rows')");
  ExpectError(std::string(kHead) + R"("overall":{"f1[a b]":"high"},"slices":{}})",
              R"(res.json: $.overall["f1[a b]"]: expected a number, a matrix, a curve or null, )"
              R"(got a string)");
  ExpectError(std::string(kHead) + R"("overall":{"cm":[[1,2],[3,0.5]]},"slices":{}})",
              R"(res.json: $.overall.cm[1][1]: expected an integer)");
  ExpectError(std::string(kHead) + R"("overall":{"pr":{"x":[1,2],"y":[1]}},"slices":{}})",
              R"(res.json: $.overall.pr.y: has 1 points, but 'x' has 2)");
  ExpectError(std::string(kHead) + R"("overall":{"pr":{"x":[true]}},"slices":{}})",
              R"(res.json: $.overall.pr.x[0]: expected a number or null, got a boolean)");
  ExpectError(
      std::string(kHead) + R"("overall":{"acc":0.5,"null_reasons":{"acc":"why"}},"slices":{}})",
      R"(res.json: $.overall.null_reasons.acc: a reason for a value that is not null)");
  ExpectError(std::string(kHead) + R"("overall":{"acc":1,"acc":2},"slices":{}})",
              R"(res.json: $.overall.acc: duplicate member)");
  ExpectError(std::string(kHead) + R"("overall":{},"slices":{},"extra":1})",
              R"(res.json: $.extra: unknown member)");
  ExpectError(std::string(kHead) + R"("overall":{}})", R"(res.json: $: missing member 'slices')");
  ExpectError(std::string(kHead) + R"("overall":{},"slices":{"w,t":{"x":{"rows":1}}}})",
              R"(res.json: $.slices["w,t"].x: slice key has 1 values for 2 columns)");
  ExpectError(std::string(kHead) + R"("overall":{},"slices":{"w":{"x\\":{"rows":1}}}})",
              R"(res.json: $.slices.w["x\\"]: malformed slice key (a '\' must escape '|' or '\'))");
  ExpectError(R"([1, 2])", "res.json: $: expected an object");
  ExpectError(std::string(kHead) + R"("rows":-1})", R"(res.json: $.rows: duplicate member)");
  ExpectError(R"({"rows":-1})", R"(res.json: $.rows: expected a non-negative integer)");
}

TEST(ResultIoTest, SyntaxErrorsNameLineAndColumn) {
  auto r = EvaluationResultFromJson(
      "{\"cairn_version\": \"0.1.0\",\n  \"classes\": [\"a\",, \"b\"]}", "x.json");
  ASSERT_FALSE(r.ok());
  // The second comma on line 2 is where the array goes wrong.
  EXPECT_EQ(r.status().message().rfind("x.json:2:", 0), 0u) << r.status().message();
  EXPECT_NE(r.status().message().find("invalid JSON at $.classes[1]"), std::string::npos)
      << r.status().message();

  auto trailing =
      EvaluationResultFromJson(std::string(kHead) + R"("overall":{},"slices":{}} {})", "t.json");
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.status().message().rfind("t.json:", 0), 0u) << trailing.status().message();

  // A document that ends early is reported at its end.
  std::string cut = std::string(kHead) + R"("overall":{"a":)";
  auto truncated = EvaluationResultFromJson(cut, "u.json");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().message().rfind(
                "u.json:1:" + std::to_string(cut.size() + 1) + ": invalid JSON at $: ", 0),
            0u)
      << truncated.status().message();
  EXPECT_FALSE(EvaluationResultFromJson("", "e.json").ok());
}

TEST(ResultIoTest, ReadEvaluationResultNamesAMissingFile) {
  auto r = ReadEvaluationResult("/nonexistent/dir/result.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/dir/result.json"), std::string::npos);
}

TEST(ResultIoTest, LongTableHasOneRowPerScalarAndMatrixCell) {
  auto r = EvaluationResultFromJson(kDocument, "doc.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  table::Table t = EvaluationResultToLongTable(*r);
  // Overall: 5 numbers + 1 count + 9 matrix cells + 2 nulls (the curve is left out);
  // weather: 1 + 1; weather,time: 1 (the second slice has no outputs).
  ASSERT_EQ(t.num_rows(), 17 + 2 + 1);
  ASSERT_EQ(t.num_columns(), 6);
  const table::Column& slicing = t.column(0);
  const table::Column& slice = t.column(1);
  const table::Column& rows = t.column(2);
  const table::Column& metric = t.column(3);
  const table::Column& value = t.column(4);
  const table::Column& reason = t.column(5);
  EXPECT_EQ(slicing.String(0), "");
  EXPECT_EQ(slice.String(0), "");
  EXPECT_EQ(rows.Int(0), 10);
  EXPECT_EQ(metric.String(0), "accuracy");
  EXPECT_EQ(value.Double(0), 0.1 + 0.2);
  EXPECT_TRUE(reason.IsNull(0));
  EXPECT_EQ(metric.String(5), "support[car]");
  EXPECT_EQ(value.Double(5), 4.0);
  // Row 6 onwards: the matrix, row-major, named label,prediction.
  EXPECT_EQ(metric.String(6), "confusion_matrix[bike,bike]");
  EXPECT_EQ(value.Double(6), 1.0);
  EXPECT_EQ(metric.String(9), "confusion_matrix[car,bike]");
  EXPECT_EQ(value.Double(9), 2.0);
  EXPECT_EQ(metric.String(14), "confusion_matrix[<script>,<script>]");
  EXPECT_EQ(value.Double(14), 4.0);
  EXPECT_EQ(metric.String(15), "roc_auc");
  EXPECT_TRUE(value.IsNull(15));
  EXPECT_EQ(reason.String(15), "undefined: one class");
  EXPECT_EQ(metric.String(16), "nan_number");
  EXPECT_TRUE(value.IsNull(16));
  EXPECT_EQ(reason.String(16), "not a number");
  EXPECT_EQ(slicing.String(17), "weather");
  EXPECT_EQ(slice.String(17), "rain");
  EXPECT_EQ(rows.Int(17), 6);
  EXPECT_EQ(value.Double(18), 1.0);
  EXPECT_EQ(slicing.String(19), "weather,time");
  EXPECT_EQ(slice.String(19), "a\\|b|night");
  EXPECT_EQ(metric.String(19), "f1");
  EXPECT_EQ(reason.String(19), "no rows");
}

TEST(ResultIoTest, LongTableWithAnUnnamedMatrixUsesIndices) {
  EvaluationResult r;
  r.classes = {"a"};
  r.overall = {{"m", MetricValue::Matrix({{1, 2}, {3, 4}})}};
  table::Table t = EvaluationResultToLongTable(r);
  ASSERT_EQ(t.num_rows(), 4);
  EXPECT_EQ(t.column(3).String(1), "m[0,1]");
  EXPECT_EQ(t.column(4).Double(1), 2.0);
  EXPECT_EQ(t.column(3).String(2), "m[1,0]");
}

TEST(ResultIoTest, LongTableFilesReadBackEqual) {
  auto r = EvaluationResultFromJson(kDocument, "doc.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  table::Table expected = EvaluationResultToLongTable(*r);
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("cairn_result_io_test_" + std::to_string(::getpid())))
                        .string();
  std::filesystem::create_directories(dir);
  for (std::string ext : {"parquet", "jsonl"}) {
    std::string path = dir;
    path += "/long." + ext;
    ASSERT_TRUE(WriteLongTable(*r, path).ok()) << path;
    auto back = table::ReadTable(path);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_TRUE(back->Equals(expected)) << ext;
  }
  std::string csv = dir + "/long.csv";
  ASSERT_TRUE(WriteLongTable(*r, csv).ok());
  auto back = table::ReadTable(csv);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->num_rows(), expected.num_rows());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cairn::metrics
