// Tests of sharded stages (parsing, keys, the local executor's shard processes), of the
// scheduler with an executor that takes whole graphs at once (as the Slurm executor does),
// and of the Slurm executor's parsing helpers. The Slurm executor against a real cluster is
// tested end to end in tests/cli/pipeline_slurm_e2e_test.cc.

#include "pipeline/slurm_executor.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "data/test_workspace.h"
#include "pipeline/executor.h"
#include "pipeline/runner.h"
#include "pipeline/spec.h"

namespace cairn::pipeline {
namespace {

namespace fs = std::filesystem;
using data::testing::TestWorkspace;

void WriteText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command and returns its standard output (an independent tool's answer).
std::string Shell(const std::string& command) {
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

// An executor that, like a batch scheduler, accepts a task before the tasks it comes after
// have finished and holds it until they succeeded (running it on a local executor). Tasks of
// the stages in `late` report their end only after a delay, so that their downstream tasks
// report first.
class AheadExecutor final : public Executor {
 public:
  explicit AheadExecutor(std::set<std::string> late)
      : local_(MakeLocalExecutor(4, nullptr)), late_(std::move(late)) {}

  int slots() const override { return 8; }
  bool SubmitsAhead() const override { return true; }
  void Cancel(const std::string& stage) override {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_.insert(stage);
    cv_.notify_all();
  }

  TaskResult Run(const Task& task) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!task.after.empty()) ++ahead_;
      cv_.wait(lock, [&] {
        if (cancelled_.count(task.stage) != 0) return true;
        for (const std::string& a : task.after) {
          if (ok_.count(a) == 0) return false;
        }
        return true;
      });
      bool run = cancelled_.count(task.stage) == 0;
      for (const std::string& a : task.after) run = run && ok_[a];
      if (!run) {
        ok_[task.stage] = false;
        cv_.notify_all();
        TaskResult r;
        r.status = Status::IOError("cancelled");
        return r;
      }
    }
    TaskResult r = local_->Run(task);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ok_[task.stage] = r.status.ok() && r.exit_code == 0;
      cv_.notify_all();
    }
    if (late_.count(task.stage) != 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return r;
  }

  // How many tasks were handed over with `after` (before their upstream tasks finished).
  int ahead() {
    std::lock_guard<std::mutex> lock(mu_);
    return ahead_;
  }

 private:
  std::unique_ptr<Executor> local_;
  std::set<std::string> late_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, bool> ok_;
  std::set<std::string> cancelled_;
  int ahead_ = 0;
};

// A four-stage pipeline with a sharded stage: each shard keeps every shards-th line of the
// input (its number = shard), the reduce sorts them together.
constexpr std::string_view kSharded = R"yaml(stages:
  prepare:
    cmd: tr a-z A-Z < in.txt > prepared.txt
    deps: [in.txt]
    outs: [prepared.txt]
  split:
    cmd: mkdir -p parts && awk -v s="$CAIRN_SHARD" -v n="$CAIRN_SHARDS" 'NR % n == s' prepared.txt > "parts/$CAIRN_SHARD" && echo "shard $CAIRN_SHARD of $CAIRN_SHARDS"
    shards: 3
    reduce: cat parts/0 parts/1 parts/2 > joined.txt && rm -r parts && echo reduced
    deps: [prepared.txt]
    outs: [joined.txt]
  count:
    cmd: wc -l < joined.txt > count.txt
    deps: [joined.txt]
    outs: [count.txt]
  report:
    cmd: cat count.txt joined.txt > report.txt
    deps: [count.txt, joined.txt]
    outs: [report.txt]
)yaml";

class ShardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tw_.status().ok()) << tw_.status().ToString();
    dir_ = tw_.dir() + "/project";
    WriteText(dir_ + "/in.txt", "a\nb\nc\nd\ne\nf\ng\n");
    WriteText(dir_ + "/pipeline.yaml", std::string(kSharded));
  }

  Result<Pipeline> Load() { return LoadPipeline(dir_ + "/pipeline.yaml"); }

  RunReport Run(Executor& ex) {
    auto p = Load();
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (!p.ok()) return {};
    auto r = RunPipeline(tw_.ws(), *p, ex, {});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : RunReport{};
  }

  static std::map<std::string, std::string> Statuses(const RunReport& r) {
    std::map<std::string, std::string> m;
    for (const auto& s : r.stages) {
      m[s.stage] =
          std::string(StageStatusName(s.status)) + (s.reason.empty() ? "" : ": ") + s.reason;
    }
    return m;
  }

  std::string Error(const std::string& yaml) {
    WriteText(dir_ + "/pipeline.yaml", yaml);
    auto p = Load();
    return p.ok() ? "" : p.status().message();
  }

  TestWorkspace tw_;
  std::string dir_;
};

TEST_F(ShardTest, ShardsAndReduceAreParsed) {
  auto p = Load();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const Stage& split = p->stages[static_cast<size_t>(p->Find("split"))];
  EXPECT_EQ(split.shards, 3);
  EXPECT_EQ(split.reduce,
            "cat parts/0 parts/1 parts/2 > joined.txt && rm -r parts && echo reduced");
  EXPECT_EQ(p->stages[0].shards, 0);
}

TEST_F(ShardTest, BadShardsAreRefusedWithTheirLine) {
  EXPECT_EQ(Error("stages:\n  a:\n    cmd: x\n    shards: 0\n"),
            dir_ +
                "/pipeline.yaml:4: 'stages.a.shards': shards must be a whole number from 1 to "
                "100000, not '0'");
  EXPECT_EQ(Error("stages:\n  a:\n    cmd: x\n    shards: two\n"),
            dir_ +
                "/pipeline.yaml:4: 'stages.a.shards': shards must be a whole number from 1 to "
                "100000, not 'two'");
  EXPECT_EQ(Error("stages:\n  a:\n    cmd: x\n    reduce: cat parts/*\n"),
            dir_ + "/pipeline.yaml:4: 'stages.a.reduce': 'reduce' needs 'shards'");
}

TEST_F(ShardTest, LocalShardsRunAsProcessesThenTheReduce) {
  auto ex = MakeLocalExecutor(2, nullptr);
  RunReport r = Run(*ex);
  ASSERT_EQ(r.run.status, "succeeded");
  // What the same shards give when computed by awk and sort directly, shard by shard.
  const std::string expected =
      Shell("cd " + dir_ + " && for s in 0 1 2; do tr a-z A-Z < in.txt | awk -v s=$s -v n=3 " +
            "'NR % n == s'; done");
  EXPECT_EQ(expected, "C\nF\nA\nD\nG\nB\nE\n");
  EXPECT_EQ(ReadText(dir_ + "/joined.txt"), expected);
  EXPECT_EQ(ReadText(dir_ + "/count.txt"), "7\n");
  EXPECT_FALSE(fs::exists(dir_ + "/parts"));
  // The log holds the shards' output in shard order, then the reduce's.
  std::string log;
  for (const auto& s : r.stages) {
    if (s.stage == "split") log = tw_.ws().blobs().GetBlob(s.stdout_blob).value_or("");
  }
  EXPECT_EQ(log, "shard 0 of 3\nshard 1 of 3\nshard 2 of 3\nreduced\n");
}

TEST_F(ShardTest, ShardCountIsPartOfTheKey) {
  auto ex = MakeLocalExecutor(2, nullptr);
  Run(*ex);
  std::string text(kSharded);
  text.replace(text.find("shards: 3"), 9, "shards: 4");
  text.replace(text.find("cat parts/0 parts/1 parts/2"), 27, "cat parts/0 parts/1 parts/2 parts/3");
  WriteText(dir_ + "/pipeline.yaml", text);
  auto states = PipelineStatus(tw_.ws(), *Load(), std::nullopt);
  ASSERT_TRUE(states.ok()) << states.status().ToString();
  EXPECT_EQ((*states)[1].reason, "changed: shards, reduce");
}

TEST_F(ShardTest, FailedShardIsNamedAndTheReduceDoesNotRun) {
  std::string text(kSharded);
  text.replace(text.find("&& echo \"shard"), 0, "&& test \"$CAIRN_SHARD\" != 1 ");
  WriteText(dir_ + "/pipeline.yaml", text);
  auto ex = MakeLocalExecutor(2, nullptr);
  RunReport r = Run(*ex);
  EXPECT_EQ(r.failed_stage, "split");
  EXPECT_EQ(Statuses(r)["split"], "failed: shard 1: exit status 1");
  EXPECT_FALSE(fs::exists(dir_ + "/joined.txt"));
}

TEST_F(ShardTest, GraphHandedOverAtOnceGivesTheKeysOfALocalRun) {
  // Upstream tasks report their end late, so that downstream tasks finish first.
  AheadExecutor ahead({"prepare", "split"});
  RunReport r = Run(ahead);
  ASSERT_EQ(r.run.status, "succeeded");
  EXPECT_EQ(ahead.ahead(), 3);
  for (const auto& [stage, status] : Statuses(r)) {
    EXPECT_TRUE(status.starts_with("ran")) << stage << ": " << status;
  }
  EXPECT_EQ(ReadText(dir_ + "/report.txt"), "7\nC\nF\nA\nD\nG\nB\nE\n");
  // A local run finds every key complete: the keys computed after the jobs are the same.
  auto local = MakeLocalExecutor(2, nullptr);
  RunReport again = Run(*local);
  EXPECT_EQ(Statuses(again),
            (std::map<std::string, std::string>{{"prepare", "skipped: up to date"},
                                                {"split", "skipped: up to date"},
                                                {"count", "skipped: up to date"},
                                                {"report", "skipped: up to date"}}));
}

TEST_F(ShardTest, GraphHandedOverAtOnceStopsBelowAFailure) {
  std::string text(kSharded);
  // The command exits 0 without writing its declared output: only cairn sees the failure,
  // after the tasks downstream were handed over.
  text.replace(text.find("wc -l < joined.txt > count.txt"), 30, "true");
  WriteText(dir_ + "/pipeline.yaml", text);
  AheadExecutor ahead({});
  RunReport r = Run(ahead);
  EXPECT_EQ(r.failed_stage, "count");
  EXPECT_EQ(Statuses(r), (std::map<std::string, std::string>{
                             {"prepare", "ran: never ran"},
                             {"split", "ran: never ran"},
                             {"count", "failed: output 'count.txt' was not created"},
                             {"report", "not-run: upstream 'count' failed"}}));
  auto rows = tw_.ws().catalog().Query(
      "SELECT COUNT(*) FROM pipeline_cache WHERE stage IN ('count', 'report')");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->rows[0][0].int64(), 0);
}

TEST(SlurmHelpersTest, ShellQuoteSurvivesTheShell) {
  const std::string tricky = "it's a \"test\" $HOME `x` \\ ;|&\n end";
  EXPECT_EQ(Shell("printf %s " + ShellQuote(tricky)), tricky);
}

TEST(SlurmHelpersTest, ScontrolFieldsAreFoundByWholeKey) {
  const std::string line =
      "JobId=10 ArrayJobId=6 ArrayTaskId=2 JobName=a.sh JobState=FAILED "
      "Reason=NonZeroExitCode Dependency=(null) ExitCode=4:0 DerivedExitCode=0:0";
  EXPECT_EQ(ScontrolField(line, "JobId"), "10");
  EXPECT_EQ(ScontrolField(line, "ArrayJobId"), "6");
  EXPECT_EQ(ScontrolField(line, "JobState"), "FAILED");
  EXPECT_EQ(ScontrolField(line, "ExitCode"), "4:0");
  EXPECT_EQ(ScontrolField(line, "Reason"), "NonZeroExitCode");
  EXPECT_EQ(ScontrolField(line, "Partition"), "");
}

TEST(SlurmHelpersTest, MissingSbatchIsReported) {
  SlurmOptions o;
  o.sbatch = "/nonexistent/sbatch";
  o.job_dir = (fs::temp_directory_path() / "cairn_slurm_unused").string();
  auto ex = MakeSlurmExecutor(o);
  ASSERT_FALSE(ex.ok());
  EXPECT_EQ(ex.status().code(), StatusCode::kNotFound);
  EXPECT_NE(ex.status().message().find("/nonexistent/sbatch"), std::string::npos);
}

}  // namespace
}  // namespace cairn::pipeline
