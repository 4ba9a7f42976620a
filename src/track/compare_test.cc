// Tests of CompareRuns on a fresh workspace per test (SQLite, or PostgreSQL when
// CAIRN_TEST_POSTGRES is set).

#include "track/compare.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data/test_workspace.h"

namespace cairn::track {
namespace {

using data::testing::TestWorkspace;

std::string Start(data::Workspace& ws, const std::vector<KeyValue>& params) {
  StartOptions o;
  o.params = params;
  o.pid = -1;
  o.capture_environment = false;
  auto run = StartRun(ws, o);
  EXPECT_TRUE(run.ok()) << run.status().ToString();
  return run.ok() ? run->id : std::string();
}

TEST(CompareRunsTest, AlignsParamsAndLatestMetricsByKey) {
  TestWorkspace t;
  ASSERT_TRUE(t.status().ok()) << t.status().ToString();
  data::Workspace& ws = t.ws();
  const std::string a = Start(ws, {{"lr", "0.01"}, {"batch", "32"}, {"optimizer", "adam"}});
  const std::string b = Start(ws, {{"lr", "0.1"}, {"batch", "32"}});
  // a: loss at steps 1 and 2 (latest 0.2); f1 the same in both. b: loss logged at step 2
  // twice, the later point (0.4) wins; no acc.
  ASSERT_TRUE(
      LogMetrics(ws, a,
                 {{"loss", 1, 0.5, 0}, {"loss", 2, 0.2, 0}, {"f1", 0, 0.8, 0}, {"acc", 0, 0.9, 0}})
          .ok());
  ASSERT_TRUE(LogMetrics(ws, b, {{"loss", 2, 0.3, 0}, {"f1", 0, 0.8, 0}}).ok());
  ASSERT_TRUE(LogMetrics(ws, b, {{"loss", 2, 0.4, 0}}).ok());
  ASSERT_TRUE(EndRun(ws, a, RunStatus::kFinished, 0).ok());

  auto c = CompareRuns(ws, {b.substr(0, 8), a});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->runs.size(), 2u);
  EXPECT_EQ(c->runs[0].id, b);
  EXPECT_EQ(c->runs[1].id, a);

  ASSERT_EQ(c->params.size(), 3u);
  EXPECT_EQ(c->params[0].key, "batch");
  EXPECT_FALSE(c->params[0].differs);
  EXPECT_EQ(c->params[1].key, "lr");
  EXPECT_TRUE(c->params[1].differs);
  EXPECT_EQ(c->params[1].values[0], "0.1");
  EXPECT_EQ(c->params[1].values[1], "0.01");
  EXPECT_EQ(c->params[2].key, "optimizer");
  EXPECT_TRUE(c->params[2].differs);
  EXPECT_FALSE(c->params[2].values[0].has_value());

  ASSERT_EQ(c->metrics.size(), 3u);
  EXPECT_EQ(c->metrics[0].key, "acc");
  EXPECT_TRUE(c->metrics[0].differs);
  EXPECT_FALSE(c->metrics[0].latest[0].has_value());
  EXPECT_EQ(c->metrics[1].key, "f1");
  EXPECT_FALSE(c->metrics[1].differs);
  EXPECT_EQ(c->metrics[2].key, "loss");
  EXPECT_TRUE(c->metrics[2].differs);
  EXPECT_EQ(c->metrics[2].latest[0]->value, 0.4);
  EXPECT_EQ(c->metrics[2].latest[0]->step, 2);
  EXPECT_EQ(c->metrics[2].latest[1]->value, 0.2);

  EXPECT_TRUE(RunDurationMicros(c->runs[1], std::nullopt).has_value());
  EXPECT_FALSE(RunDurationMicros(c->runs[0], std::nullopt).has_value());
  EXPECT_EQ(RunDurationMicros(c->runs[0], c->runs[0].created_at + 5), 5);
}

TEST(CompareRunsTest, NeedsTwoKnownRuns) {
  TestWorkspace t;
  ASSERT_TRUE(t.status().ok());
  const std::string a = Start(t.ws(), {});
  EXPECT_EQ(CompareRuns(t.ws(), {a}).status().code(), StatusCode::kInvalidArgument);
  auto unknown = CompareRuns(t.ws(), {a, "0123abcd"});
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("no run '0123abcd'"), std::string::npos);
}

}  // namespace
}  // namespace cairn::track
