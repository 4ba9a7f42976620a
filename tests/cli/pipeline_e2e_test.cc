// End-to-end tests of `cairn pipeline`: runs, status, logs, an interrupted run resumed,
// built-in steps and bad pipeline files, through the binary.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "e2e_util.h"

namespace cairn::test {
namespace {

class PipelineE2eTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    project_ = Tmp("project");
    fs::create_directories(project_ + "/counts");
    ASSERT_EQ(Run({"init", dir_}).exit_code, 0);
  }

  void Write(const std::string& rel, const std::string& text) {
    const std::string path = project_ + "/" + rel;
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }

  // Runs cairn in the project directory, on the test's workspace.
  RunResult Cairn(const std::vector<std::string>& args) {
    std::string cmd = "cd " + Quote(project_) + " && CAIRN_HOME=" + Quote(dir_) +
                      " CAIRN_PROGRESS=0 " + Quote(CAIRN_BINARY);
    for (const auto& a : args) cmd += " " + Quote(a);
    return Shell(cmd);
  }

  int Count(const std::string& stage) {
    const std::string text = ReadFile(project_ + "/counts/" + stage);
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }

  std::string project_;
};

constexpr std::string_view kThreeStages = R"yaml(pipeline: three
stages:
  prepare:
    cmd: echo x >> counts/prepare && tr a-z A-Z < in.txt > prepared.txt && echo prepared
    deps: [in.txt]
    params: [prep.upper]
    outs: [prepared.txt]
  train:
    cmd: echo x >> counts/train && cat prepared.txt prepared.txt > model.txt
    deps: [prepared.txt]
    params: [train.lr]
    outs: [model.txt]
  report:
    cmd: echo x >> counts/report && wc -l < model.txt > report.txt
    deps: [model.txt]
    outs: [report.txt]
)yaml";

TEST_F(PipelineE2eTest, RunSkipStatusAndRestore) {
  Write("in.txt", "abc\n");
  Write("params.yaml", "prep:\n  upper: true\ntrain:\n  lr: 0.1\n");
  Write("pipeline.yaml", std::string(kThreeStages));
  RunResult first = Cairn({"pipeline", "run"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(Contains(first.out, "prepare: ran")) << first.out;
  EXPECT_TRUE(Contains(first.out, "3 ran, 0 skipped")) << first.out;
  // Command output is shown live with the stage's name.
  EXPECT_TRUE(Contains(first.err, "prepare | prepared")) << first.err;
  EXPECT_EQ(ReadFile(project_ + "/model.txt"), "ABC\nABC\n");
  EXPECT_EQ(ReadFile(project_ + "/report.txt"), "2\n");

  RunResult status = Cairn({"pipeline", "status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  simdjson::dom::parser parser;
  auto doc = ParseJson(parser, status.out);
  int up_to_date = 0;
  for (auto s : doc["stages"].get_array()) {
    if (std::string_view(s["state"].get_string()) == "up to date") ++up_to_date;
  }
  EXPECT_EQ(up_to_date, 3);

  RunResult second = Cairn({"pipeline", "run"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(Contains(second.out, "0 ran, 3 skipped")) << second.out;

  // A changed param: exactly train and report run again.
  Write("params.yaml", "prep:\n  upper: true\ntrain:\n  lr: 0.2\n");
  RunResult why = Cairn({"pipeline", "status"});
  EXPECT_TRUE(Contains(why.out, "changed: param train.lr")) << why.out;
  EXPECT_TRUE(Contains(why.out, "upstream 'train' would run")) << why.out;
  RunResult third = Cairn({"pipeline", "run", "--json"});
  ASSERT_EQ(third.exit_code, 0) << third.err;
  auto report = ParseJson(parser, third.out);
  std::vector<std::string> ran;
  for (auto s : report["stages"].get_array()) {
    if (std::string_view(s["status"].get_string()) == "ran") {
      ran.emplace_back(std::string_view(s["stage"].get_string()));
    }
  }
  std::sort(ran.begin(), ran.end());
  EXPECT_EQ(ran, (std::vector<std::string>{"report", "train"}));
  EXPECT_EQ(Count("prepare"), 1);
  EXPECT_EQ(Count("train"), 2);

  // A deleted output comes back from the run cache; the command does not run.
  fs::remove(project_ + "/model.txt");
  RunResult restore = Cairn({"pipeline", "run"});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_TRUE(Contains(restore.out, "train: restored")) << restore.out;
  EXPECT_EQ(Count("train"), 2);
  EXPECT_EQ(ReadFile(project_ + "/model.txt"), "ABC\nABC\n");

  RunResult runs = Cairn({"pipeline", "show-runs"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  EXPECT_TRUE(Contains(runs.out, "3 ran")) << runs.out;
  EXPECT_TRUE(Contains(runs.out, "1 restored, 2 skipped")) << runs.out;

  // gc keeps the cached outputs and logs.
  RunResult gc = Cairn({"gc", "--grace", "0"});
  ASSERT_EQ(gc.exit_code, 0) << gc.err;
  fs::remove(project_ + "/model.txt");
  RunResult after_gc = Cairn({"pipeline", "run"});
  EXPECT_TRUE(Contains(after_gc.out, "train: restored")) << after_gc.out;
}

TEST_F(PipelineE2eTest, FailingStageExitsOneAndNamesItsLog) {
  Write("pipeline.yaml",
        "stages:\n"
        "  first:\n"
        "    cmd: echo fine > first.txt\n"
        "    outs: [first.txt]\n"
        "  broken:\n"
        "    cmd: echo 'something went wrong' >&2; exit 4\n"
        "    deps: [first.txt]\n"
        "    outs: [broken.txt]\n"
        "  after:\n"
        "    cmd: echo x >> counts/after\n"
        "    deps: [broken.txt]\n");
  RunResult r = Cairn({"pipeline", "run"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err,
                       "cairn: error: stage 'broken' failed (exit status 4); its log: "
                       "cairn pipeline log "))
      << r.err;
  EXPECT_TRUE(Contains(r.out, "after: not-run (upstream 'broken' failed)")) << r.out;
  EXPECT_EQ(Count("after"), 0);
  const size_t at = r.err.find("cairn pipeline log ") + 19;
  const std::string run_id = r.err.substr(at, 12);
  RunResult log = Cairn({"pipeline", "log", run_id, "--stage", "broken"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_TRUE(Contains(log.out, "== broken: failed (exit status 4)")) << log.out;
  EXPECT_TRUE(Contains(log.out, "-- stderr\nsomething went wrong\n")) << log.out;
  RunResult runs = Cairn({"pipeline", "show-runs", "--json"});
  simdjson::dom::parser parser;
  auto doc = ParseJson(parser, runs.out);
  EXPECT_EQ(std::string_view(doc.at(0)["status"].get_string()), "failed");
}

TEST_F(PipelineE2eTest, InterruptedRunResumesSkippingFinishedStages) {
  Write("pipeline.yaml",
        "stages:\n"
        "  fast:\n"
        "    cmd: echo x >> counts/fast && echo quick > fast.txt\n"
        "    outs: [fast.txt]\n"
        "  slow:\n"
        "    cmd: echo x >> counts/slow && echo $$ > slow.pid && "
        "{ [ -f resume ] || sleep 30; } && cat fast.txt > slow.txt\n"
        "    deps: [fast.txt]\n"
        "    outs: [slow.txt]\n");
  RunResult bg = Shell("cd " + Quote(project_) + " && CAIRN_HOME=" + Quote(dir_) + " " +
                       Quote(CAIRN_BINARY) + " pipeline run >run.out 2>run.err & echo $!");
  const pid_t pid = static_cast<pid_t>(std::stol(bg.out));
  // Wait until the slow stage's command is running, then kill cairn without warning.
  for (int i = 0; i < 200 && !fs::exists(project_ + "/slow.pid"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(fs::exists(project_ + "/slow.pid"));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  const pid_t stage_pid = static_cast<pid_t>(std::stol(ReadFile(project_ + "/slow.pid")));
  ::kill(stage_pid, SIGKILL);
  for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  RunResult runs = Cairn({"pipeline", "show-runs"});
  EXPECT_TRUE(Contains(runs.out, "interrupted")) << runs.out;
  EXPECT_TRUE(Contains(runs.out, "1 ran")) << runs.out;
  Write("resume", "");
  RunResult resumed = Cairn({"pipeline", "run"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_TRUE(Contains(resumed.out, "fast: skipped (up to date)")) << resumed.out;
  EXPECT_TRUE(Contains(resumed.out, "slow: ran")) << resumed.out;
  EXPECT_EQ(Count("fast"), 1);
  EXPECT_EQ(Count("slow"), 2);
  EXPECT_EQ(ReadFile(project_ + "/slow.txt"), "quick\n");
}

TEST_F(PipelineE2eTest, BuiltInStepsKeyOnTheDatasetState) {
  fs::copy_file(std::string(CAIRN_SOURCE_DIR) + "/examples/frames.csv", project_ + "/frames.csv");
  Write("pipeline.yaml",
        "stages:\n"
        "  create:\n"
        "    cairn: dataset create road\n"
        "  ingest:\n"
        "    cairn: ingest road --from frames.csv\n"
        "    needs: [create]\n"
        "  snapshot:\n"
        "    cairn: snapshot create road --split train=0.8,test=0.2 --seed 7\n"
        "    needs: [ingest]\n");
  RunResult r = Cairn({"pipeline", "run", "--jobs", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_TRUE(Contains(r.out, "3 ran")) << r.out;
  RunResult list = Cairn({"snapshot", "list", "--json"});
  simdjson::dom::parser parser;
  auto snaps = ParseJson(parser, list.out);
  EXPECT_EQ(snaps.get_array().size(), 1u);
  RunResult again = Cairn({"pipeline", "run"});
  EXPECT_TRUE(Contains(again.out, "0 ran, 3 skipped")) << again.out;
  // New data in the dataset changes the snapshot step's key.
  fs::copy_file(std::string(CAIRN_SOURCE_DIR) + "/examples/relabels.jsonl",
                project_ + "/relabels.jsonl");
  RunResult more = Cairn({"ingest", "road", "--from", "relabels.jsonl"});
  ASSERT_EQ(more.exit_code, 0) << more.err;
  RunResult status = Cairn({"pipeline", "status"});
  EXPECT_TRUE(Contains(status.out, "changed: state dataset road head")) << status.out;
}

TEST_F(PipelineE2eTest, RunTaskRunsOneStageOfAWindow) {
  Write("pipeline.yaml",
        "stages:\n"
        "  extract:\n"
        "    cmd: echo ${start_time} ${end_time} > extract.txt\n"
        "    outs: [extract.txt]\n"
        "  load:\n"
        "    cmd: cat extract.txt > load.txt\n"
        "    deps: [extract.txt]\n"
        "    outs: [load.txt]\n");
  const std::vector<std::string> window = {"--start-time", "2024-05-01", "--end-time",
                                           "2024-05-02T00:00:00Z"};
  std::vector<std::string> load = {"pipeline", "run-task", "load"};
  load.insert(load.end(), window.begin(), window.end());
  RunResult early = Cairn(load);
  EXPECT_EQ(early.exit_code, 1);
  EXPECT_TRUE(Contains(early.err, "upstream stage 'extract' is not complete")) << early.err;
  std::vector<std::string> extract = {"pipeline", "run-task", "extract"};
  extract.insert(extract.end(), window.begin(), window.end());
  ASSERT_EQ(Cairn(extract).exit_code, 0);
  RunResult r = Cairn(load);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(project_ + "/load.txt"), "2024-05-01T00:00:00Z 2024-05-02T00:00:00Z\n");
  RunResult usage = Cairn({"pipeline", "run", "--start-time", "2024-05-01"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_TRUE(Contains(usage.err, "--start-time and --end-time go together")) << usage.err;
}

TEST_F(PipelineE2eTest, BadFileNamesFileAndLine) {
  Write("pipeline.yaml",
        "stages:\n"
        "  a:\n"
        "    cmd: x\n"
        "    needs: [b]\n"
        "  b:\n"
        "    cmd: y\n"
        "    needs: [a]\n");
  RunResult r = Cairn({"pipeline", "status"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "cairn: error: pipeline.yaml:2: stages form a cycle (each needs the next): a -> b -> "
            "a\n");
  RunResult missing = Cairn({"pipeline", "run", "nope.yaml"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(Contains(missing.err, "nope.yaml")) << missing.err;
}

}  // namespace
}  // namespace cairn::test
