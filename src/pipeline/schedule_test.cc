// Tests of due windows, window claims, subscriptions and the schedule loop, on a fresh
// workspace per test (SQLite, or PostgreSQL when CAIRN_TEST_POSTGRES is set; see
// src/pipeline/CMakeLists.txt). Expected windows and commit lists are worked out by hand.

#include "pipeline/schedule.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/time.h"
#include "data/test_workspace.h"
#include "pipeline/subscriptions.h"

namespace cairn::pipeline {
namespace {

namespace fs = std::filesystem;
using catalog::Value;
using data::testing::TestWorkspace;

int64_t T(const char* text) { return ParseTimestampMicros(text).value_or(-1); }

std::string W(const Window& w) {
  return FormatTimestamp(w.start, 6) + ".." + FormatTimestamp(w.end, 6);
}

std::vector<std::string> Names(const std::vector<Window>& ws) {
  std::vector<std::string> out;
  out.reserve(ws.size());
  for (const Window& w : ws) out.push_back(W(w));
  return out;
}

ScheduleSpec Spec(const char* cron, bool catchup, const char* start) {
  ScheduleSpec s;
  auto c = CronSchedule::Parse(cron);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  if (c.ok()) s.cron = *c;
  s.catchup = catchup;
  if (start != nullptr) s.start = T(start);
  return s;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(DueWindowsTest, CatchupRunsEveryCompleteWindowSinceStart) {
  const ScheduleSpec s = Spec("0 3 * * *", true, "2024-01-01T00:00:00Z");
  EXPECT_EQ(Names(DueWindows(s, T("2024-01-04T12:00:00Z"))),
            (std::vector<std::string>{"2024-01-01T03:00:00Z..2024-01-02T03:00:00Z",
                                      "2024-01-02T03:00:00Z..2024-01-03T03:00:00Z",
                                      "2024-01-03T03:00:00Z..2024-01-04T03:00:00Z"}));
  // A window is due at its end, not before.
  EXPECT_EQ(DueWindows(s, T("2024-01-02T03:00:00Z")).size(), 1u);
  EXPECT_EQ(DueWindows(s, T("2024-01-02T02:59:59Z")).size(), 0u);
  // until cuts windows that end after it.
  EXPECT_EQ(DueWindows(s, T("2024-01-04T12:00:00Z"), T("2024-01-03T03:00:00Z")).size(), 2u);
  EXPECT_EQ(DueWindows(s, T("2024-01-04T12:00:00Z"), std::nullopt, 1).size(), 1u);
}

TEST(DueWindowsTest, WithoutCatchupOnlyTheLatest) {
  const ScheduleSpec s = Spec("0 3 * * *", false, nullptr);
  EXPECT_EQ(Names(DueWindows(s, T("2024-01-04T12:00:00Z"))),
            (std::vector<std::string>{"2024-01-03T03:00:00Z..2024-01-04T03:00:00Z"}));
  // A start after the latest window's start: nothing yet.
  const ScheduleSpec late = Spec("0 3 * * *", false, "2024-01-03T04:00:00Z");
  EXPECT_TRUE(DueWindows(late, T("2024-01-04T12:00:00Z")).empty());
  EXPECT_EQ(DueWindows(late, T("2024-01-05T03:00:00Z")).size(), 1u);
}

TEST(DueWindowsTest, WindowNoneGivesFireTimes) {
  ScheduleSpec s = Spec("0 */6 * * *", true, "2024-01-01T00:00:00Z");
  s.window = ScheduleSpec::WindowKind::kNone;
  EXPECT_EQ(Names(DueWindows(s, T("2024-01-01T12:30:00Z"))),
            (std::vector<std::string>{"2024-01-01T00:00:00Z..2024-01-01T00:00:00Z",
                                      "2024-01-01T06:00:00Z..2024-01-01T06:00:00Z",
                                      "2024-01-01T12:00:00Z..2024-01-01T12:00:00Z"}));
}

class ScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tw_.status().ok()) << tw_.status().ToString();
    dir_ = tw_.dir() + "/project";
    fs::create_directories(dir_);
  }

  catalog::Connection& conn() { return tw_.ws().catalog(); }

  void WriteFile(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ + "/" + rel, std::ios::binary) << text;
  }

  Pipeline Load(const std::string& text) {
    WriteFile("pipeline.yaml", text);
    auto p = LoadPipeline(dir_ + "/pipeline.yaml");
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(*p) : Pipeline{};
  }

  // Adds a commit to `dataset` (created on first use) straight into the catalog.
  void AddCommit(const std::string& dataset, int64_t sequence, const std::string& id) {
    (void)conn().Execute("INSERT INTO datasets (name, created_at) VALUES (?, 0)",
                         {Value::Text(dataset)});
    auto st = conn().Execute(
        "INSERT INTO commits (id, dataset, sequence, created_at, row_count) VALUES (?, ?, ?, 0, "
        "1)",
        {Value::Text(id), Value::Text(dataset), Value::Int64(sequence)});
    ASSERT_TRUE(st.ok()) << st.status().ToString();
  }

  RunReport Run(const Pipeline& p) {
    auto ex = MakeLocalExecutor(1, nullptr);
    auto r = RunPipeline(tw_.ws(), p, *ex, RunOptions{});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(*r) : RunReport{};
  }

  TestWorkspace tw_;
  std::string dir_;
};

TEST_F(ScheduleTest, ClaimsAreExclusiveUntilTheHolderDies) {
  const Window w{T("2024-01-01T00:00:00Z"), T("2024-01-02T00:00:00Z")};
  ClaimOptions o;
  auto first = ClaimWindow(conn(), "p", w, o);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(*first);
  // Held by a live process (this one): not claimable.
  EXPECT_FALSE(ClaimWindow(conn(), "p", w, o).value_or(true));
  ASSERT_TRUE(HeartbeatClaim(conn(), "p", w).ok());
  ASSERT_TRUE(FinishClaim(conn(), "p", w, "failed", "run1").ok());
  EXPECT_FALSE(ClaimWindow(conn(), "p", w, o).value_or(true));
  o.retry_failed = true;
  EXPECT_TRUE(ClaimWindow(conn(), "p", w, o).value_or(false));
  ASSERT_TRUE(FinishClaim(conn(), "p", w, "succeeded", "run2").ok());
  EXPECT_FALSE(ClaimWindow(conn(), "p", w, o).value_or(true));
  auto claims = ListClaims(conn(), "p");
  ASSERT_TRUE(claims.ok());
  ASSERT_EQ(claims->size(), 1u);
  EXPECT_EQ((*claims)[0].status, "succeeded");
  EXPECT_EQ((*claims)[0].attempts, 2);
  EXPECT_EQ((*claims)[0].run_id, "run2");

  // A claim held by a process of this host that has exited is taken over.
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const Window dead{1, 2};
  ASSERT_TRUE(conn()
                  .Execute("INSERT INTO pipeline_schedule_claims (pipeline, window_start, "
                           "window_end, status, claimant, host, pid, claimed_at, heartbeat_at) "
                           "VALUES ('p', 1, 2, 'running', 'x', ?, ?, ?, ?)",
                           {Value::Text(host), Value::Int64(child), Value::Int64(NowMicros()),
                            Value::Int64(NowMicros())})
                  .ok());
  EXPECT_TRUE(ClaimWindow(conn(), "p", dead, ClaimOptions{}).value_or(false));
  // A claim of another host with a stale heartbeat is taken over; a fresh one is not.
  for (const auto& [start, age, expected] :
       {std::tuple{10, int64_t{600'000'000}, true}, std::tuple{20, int64_t{1'000'000}, false}}) {
    ASSERT_TRUE(conn()
                    .Execute("INSERT INTO pipeline_schedule_claims (pipeline, window_start, "
                             "window_end, status, claimant, host, pid, claimed_at, heartbeat_at) "
                             "VALUES ('p', ?, 99, 'running', 'x', 'elsewhere', 1, 0, ?)",
                             {Value::Int64(start), Value::Int64(NowMicros() - age)})
                    .ok());
    EXPECT_EQ(ClaimWindow(conn(), "p", Window{start, 99}, ClaimOptions{}).value_or(!expected),
              expected)
        << start;
  }
}

TEST_F(ScheduleTest, SubscribedStageGetsEachCommitOnceAndAgainAfterAFailure) {
  AddCommit("frames", 1, "c1");
  AddCommit("frames", 2, "c2");
  const Pipeline p = Load(
      "pipeline: sub\n"
      "stages:\n"
      "  consume:\n"
      "    subscribe: frames\n"
      "    cmd: test ! -e fail && echo \"${commits}|$CAIRN_COMMITS|${first_sequence}.."
      "${last_sequence}\" >> delivered.txt\n");
  RunReport first = Run(p);
  EXPECT_TRUE(first.failed_stage.empty());
  EXPECT_EQ(ReadText(dir_ + "/delivered.txt"), "c1 c2|c1 c2|1..2\n");
  // Nothing new: not run again.
  RunReport second = Run(p);
  ASSERT_EQ(second.stages.size(), 1u);
  EXPECT_EQ(second.stages[0].status, StageStatus::kSkipped);
  EXPECT_EQ(ReadText(dir_ + "/delivered.txt"), "c1 c2|c1 c2|1..2\n");

  // A failed stage keeps its position: the commit comes again.
  AddCommit("frames", 3, "c3");
  WriteFile("fail", "");
  RunReport failed = Run(p);
  EXPECT_EQ(failed.failed_stage, "consume");
  auto subs = ListSubscriptions(conn(), "sub");
  ASSERT_TRUE(subs.ok());
  ASSERT_EQ(subs->size(), 1u);
  EXPECT_EQ((*subs)[0].position, 2);
  EXPECT_EQ((*subs)[0].head, 3);
  fs::remove(dir_ + "/fail");
  RunReport retried = Run(p);
  EXPECT_TRUE(retried.failed_stage.empty());
  EXPECT_EQ(ReadText(dir_ + "/delivered.txt"), "c1 c2|c1 c2|1..2\nc3|c3|3..3\n");
  subs = ListSubscriptions(conn(), "sub");
  ASSERT_TRUE(subs.ok());
  EXPECT_EQ((*subs)[0].position, 3);
  EXPECT_EQ((*subs)[0].commits, std::vector<std::string>{"c3"});
}

TEST_F(ScheduleTest, DeliveredCommitsAreInTheKey) {
  AddCommit("frames", 1, "c1");
  const Pipeline p = Load(
      "pipeline: keyed\n"
      "stages:\n"
      "  consume:\n"
      "    subscribe: frames\n"
      "    cmd: echo run >> runs.txt\n");
  RunReport a = Run(p);
  AddCommit("frames", 2, "c2");
  RunReport b = Run(p);
  ASSERT_EQ(a.stages.size(), 1u);
  ASSERT_EQ(b.stages.size(), 1u);
  EXPECT_EQ(b.stages[0].status, StageStatus::kRan);
  EXPECT_NE(a.stages[0].key, b.stages[0].key);
  EXPECT_EQ(ReadText(dir_ + "/runs.txt"), "run\nrun\n");
}

TEST_F(ScheduleTest, LoopRunsDueWindowsOnceWithAFakeClock) {
  const Pipeline p = Load(
      "pipeline: daily\n"
      "schedule:\n"
      "  cron: 0 0 * * *\n"
      "  catchup: true\n"
      "  start: 2024-01-01T00:00:00Z\n"
      "stages:\n"
      "  a:\n"
      "    cmd: echo ${start_time} ${end_time} >> windows.txt\n");
  auto ex = MakeLocalExecutor(1, nullptr);
  ScheduleOptions o;
  o.once = true;
  o.now = [] { return T("2024-01-04T00:30:00Z"); };
  auto r = RunSchedule(tw_.ws(), {p}, *ex, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->runs, 3);
  EXPECT_EQ(ReadText(dir_ + "/windows.txt"),
            "2024-01-01T00:00:00Z 2024-01-02T00:00:00Z\n"
            "2024-01-02T00:00:00Z 2024-01-03T00:00:00Z\n"
            "2024-01-03T00:00:00Z 2024-01-04T00:00:00Z\n");
  // Run to a later time, sleeping on the fake clock until each fire time: one more window
  // per day, and the done ones are not run again.
  int64_t now = T("2024-01-04T00:30:00Z");
  std::vector<int64_t> slept;
  o.once = false;
  o.until = T("2024-01-06T00:00:00Z");
  o.now = [&now] { return now; };
  o.sleep = [&](int64_t micros) {
    slept.push_back(micros);
    now += micros;
  };
  r = RunSchedule(tw_.ws(), {p}, *ex, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->runs, 2);
  EXPECT_EQ(slept, (std::vector<int64_t>{int64_t{23} * 3600 * 1'000'000 + 30 * 60 * 1'000'000,
                                         int64_t{24} * 3600 * 1'000'000}));
  const std::string windows = ReadText(dir_ + "/windows.txt");
  EXPECT_EQ(std::count(windows.begin(), windows.end(), '\n'), 5);
  EXPECT_TRUE(windows.ends_with("2024-01-05T00:00:00Z 2024-01-06T00:00:00Z\n")) << windows;
}

TEST_F(ScheduleTest, NewCommitsTriggerAPipelineWithoutSchedule) {
  const Pipeline p = Load(
      "pipeline: on_commit\n"
      "stages:\n"
      "  consume:\n"
      "    subscribe: frames\n"
      "    cmd: echo $CAIRN_COMMITS >> delivered.txt\n");
  AddCommit("frames", 1, "c1");
  auto ex = MakeLocalExecutor(1, nullptr);
  ScheduleOptions o;
  o.once = true;
  auto r = RunSchedule(tw_.ws(), {p}, *ex, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->runs, 1);
  r = RunSchedule(tw_.ws(), {p}, *ex, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->runs, 0);
  AddCommit("frames", 2, "c2");
  r = RunSchedule(tw_.ws(), {p}, *ex, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->runs, 1);
  EXPECT_EQ(ReadText(dir_ + "/delivered.txt"), "c1\nc2\n");
}

TEST_F(ScheduleTest, PipelineWithNothingToTriggerItIsRefused) {
  const Pipeline p = Load("pipeline: idle\nstages:\n  a:\n    cmd: true\n");
  auto ex = MakeLocalExecutor(1, nullptr);
  ScheduleOptions o;
  o.once = true;
  auto r = RunSchedule(tw_.ws(), {p}, *ex, o);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cairn::pipeline
