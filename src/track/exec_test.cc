// Tests of running a command as a tracked run, on a fresh workspace per test (SQLite, or
// PostgreSQL when CAIRN_TEST_POSTGRES is set; see src/track/CMakeLists.txt). Commands are
// small /bin/sh scripts whose output is known byte for byte.

#include "track/exec.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/hash.h"
#include "data/test_workspace.h"
#include "track/artifacts.h"

namespace cairn::track {
namespace {

using data::testing::TestWorkspace;

std::vector<MetricPoint> Points(std::string_view line) {
  auto parsed = ParseMetricLine(line, 1);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(parsed.ok() && parsed->has_value()) << line;
  return parsed.ok() && parsed->has_value() ? **parsed : std::vector<MetricPoint>{};
}

std::string LineError(std::string_view line, int64_t number) {
  auto parsed = ParseMetricLine(line, number);
  EXPECT_FALSE(parsed.ok()) << line;
  return parsed.ok() ? std::string() : parsed.status().message();
}

TEST(ParseMetricLineTest, ReadsPairsAndOneStepForAll) {
  std::vector<MetricPoint> p = Points("cairn:metric loss=0.31 acc=0.9 step=3");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].key, "loss");
  EXPECT_EQ(p[0].value, 0.31);
  EXPECT_EQ(p[0].step, 3);
  EXPECT_EQ(p[1].key, "acc");
  EXPECT_EQ(p[1].value, 0.9);
  EXPECT_EQ(p[1].step, 3);
  // The step may come first; it defaults to 0; extra spaces and a '\r' are ignored.
  p = Points("cairn:metric step=-2  val/f1=1e-3 \r");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].key, "val/f1");
  EXPECT_EQ(p[0].value, 0.001);
  EXPECT_EQ(p[0].step, -2);
  p = Points("cairn:metric n=42");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].value, 42.0);
  EXPECT_EQ(p[0].step, 0);
}

TEST(ParseMetricLineTest, OtherLinesAreNotMetricLines) {
  for (const char* line : {"", "epoch 3 loss=0.31", " cairn:metric loss=1", "cairn:metricx=1",
                           "cairn:metrics loss=1", "CAIRN:METRIC loss=1"}) {
    auto parsed = ParseMetricLine(line, 1);
    ASSERT_TRUE(parsed.ok()) << line;
    EXPECT_FALSE(parsed->has_value()) << line;
  }
}

TEST(ParseMetricLineTest, MalformedLinesNameTheLineAndThePair) {
  EXPECT_EQ(LineError("cairn:metric loss=high", 12),
            "line 12: 'loss=high': the value must be a finite number");
  EXPECT_EQ(LineError("cairn:metric loss=nan", 1),
            "line 1: 'loss=nan': the value must be a finite number");
  EXPECT_EQ(LineError("cairn:metric loss=inf", 1),
            "line 1: 'loss=inf': the value must be a finite number");
  EXPECT_EQ(LineError("cairn:metric loss=", 1),
            "line 1: 'loss=': the value must be a finite number");
  EXPECT_EQ(LineError("cairn:metric loss=1 step=1.5", 2),
            "line 2: 'step=1.5': the step must be an integer");
  EXPECT_EQ(LineError("cairn:metric loss=1 step=1 step=2", 3), "line 3: step given twice");
  EXPECT_EQ(LineError("cairn:metric loss=1 loss=2", 4), "line 4: metric 'loss' given twice");
  EXPECT_EQ(LineError("cairn:metric step=1", 5),
            "line 5: a metric line needs at least one KEY=VALUE");
  EXPECT_EQ(LineError("cairn:metric ", 6), "line 6: a metric line needs at least one KEY=VALUE");
  EXPECT_NE(LineError("cairn:metric loss", 7).find("line 7: metric 'loss': expected KEY=VALUE"),
            std::string::npos);
  EXPECT_NE(LineError("cairn:metric 1x=2", 8).find("line 8: "), std::string::npos);
}

TEST(OutputArtifactNameTest, RelativePathsOnly) {
  EXPECT_EQ(*OutputArtifactName("model.bin"), "model.bin");
  EXPECT_EQ(*OutputArtifactName("./ckpt/"), "ckpt");
  EXPECT_EQ(*OutputArtifactName("out//a/./b"), "out/a/b");
  for (const char* bad :
       {"", "/tmp/x", "../x", "a/../../x", ".", "./", "stdout.txt", "./stderr.txt", "sp ace"}) {
    EXPECT_EQ(OutputArtifactName(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(SplitVariableTest, UpperCasesAndReplacesDashes) {
  EXPECT_EQ(SplitVariable("train"), "CAIRN_SPLIT_TRAIN");
  EXPECT_EQ(SplitVariable("val-hard_2"), "CAIRN_SPLIT_VAL_HARD_2");
}

class ExecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ws_.status().ok()) << ws_.status().ToString();
    out_path_ = ws_.dir() + "/passed_stdout";
    err_path_ = ws_.dir() + "/passed_stderr";
  }

  // Runs `script` with /bin/sh in the workspace directory; our own stdout and stderr go to
  // files read by Passed().
  ExecResult Exec(const std::string& script, std::vector<std::string> outputs = {}) {
    const int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ExecOptions o;
    o.run.name = "exec-test";
    o.run.capture_environment = false;
    o.command = {"/bin/sh", "-c", script};
    o.outputs = std::move(outputs);
    o.stdout_fd = out;
    o.stderr_fd = err;
    o.flush_interval_ms = 50;
    o.temp_root = ws_.dir();
    // The command and its outputs are relative to the current directory.
    const auto cwd = std::filesystem::current_path();
    std::filesystem::current_path(ws_.dir());
    auto r = track::Exec(ws_.ws(), o);
    std::filesystem::current_path(cwd);
    ::close(out);
    ::close(err);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ExecResult{};
  }

  std::string PassedOut() { return *ReadFileToString(out_path_); }
  std::string PassedErr() { return *ReadFileToString(err_path_); }

  TestWorkspace ws_;
  std::string out_path_;
  std::string err_path_;
};

TEST_F(ExecTest, PassesThroughAndCapturesOutputByteForByte) {
  // Output without a final newline, bytes that are not UTF-8 and interleaved streams.
  const ExecResult r = Exec("printf 'one\\ntwo\\377'; printf 'warn\\n' >&2; printf 'three'");
  EXPECT_EQ(r.status, RunStatus::kFinished);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.process_exit_code, 0);
  EXPECT_EQ(PassedOut(), "one\ntwo\377three");
  EXPECT_EQ(*ReadArtifact(ws_.ws(), r.run_id, "stdout.txt"), "one\ntwo\377three");
  EXPECT_EQ(*ReadArtifact(ws_.ws(), r.run_id, "stderr.txt"), "warn\n");
  // Our own stderr has the run line and the summary around what the command wrote.
  const std::string err = PassedErr();
  EXPECT_TRUE(err.starts_with("run " + r.run_id + "\n")) << err;
  EXPECT_NE(err.find("warn\n"), std::string::npos) << err;
  EXPECT_NE(err.find("run " + r.run_id.substr(0, 12) + " finished (exit code 0)"),
            std::string::npos)
      << err;
  auto run = GetRun(ws_.ws(), r.run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kFinished);
  EXPECT_EQ(run->exit_code, 0);
  EXPECT_EQ(run->pid, static_cast<int64_t>(::getpid()));
}

TEST_F(ExecTest, LogsMetricLinesAndTheMetricsFile) {
  const ExecResult r = Exec(
      "echo 'cairn:metric loss=0.5 step=1'; "
      "echo '{\"key\": \"val_f1\", \"value\": 0.25, \"step\": 1}' >> \"$CAIRN_METRICS_FILE\"; "
      "echo 'cairn:metric loss=oops'; "
      "echo 'not json' >> \"$CAIRN_METRICS_FILE\"; "
      "echo 'cairn:metric loss=0.25 acc=0.75 step=2'; "
      // The last line of the metrics file has no newline: it is read at the end.
      "printf '{\"key\": \"val_f1\", \"value\": 0.5, \"step\": 2}' >> \"$CAIRN_METRICS_FILE\"");
  EXPECT_EQ(r.status, RunStatus::kFinished);
  EXPECT_EQ(r.metric_points, 5);
  EXPECT_EQ(r.warnings, 2);
  const std::string err = PassedErr();
  EXPECT_NE(err.find("warning: stdout line 2: 'loss=oops': the value must be a finite number"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("warning: CAIRN_METRICS_FILE:2: expected a JSON object"), std::string::npos)
      << err;
  // Metric lines are passed through and captured like any other line.
  EXPECT_NE(PassedOut().find("cairn:metric loss=oops\n"), std::string::npos);
  auto run = GetRun(ws_.ws(), r.run_id);
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->metrics.size(), 5u);
  EXPECT_EQ(run->metrics[0].key, "acc");
  EXPECT_EQ(run->metrics[0].value, 0.75);
  EXPECT_EQ(run->metrics[0].step, 2);
  EXPECT_EQ(run->metrics[1].key, "loss");
  EXPECT_EQ(run->metrics[1].value, 0.5);
  EXPECT_EQ(run->metrics[2].value, 0.25);
  EXPECT_EQ(run->metrics[2].step, 2);
  EXPECT_EQ(run->metrics[3].key, "val_f1");
  EXPECT_EQ(run->metrics[3].value, 0.25);
  EXPECT_EQ(run->metrics[4].value, 0.5);
  EXPECT_EQ(run->metrics[4].step, 2);
}

TEST_F(ExecTest, MetricsAreLoggedWhileTheCommandRuns) {
  // The first point is written within a flush interval (50 ms here) of being printed, well
  // before the command ends half a second later.
  const ExecResult r = Exec("echo 'cairn:metric a=1'; sleep 0.5; echo 'cairn:metric a=2'");
  auto run = GetRun(ws_.ws(), r.run_id);
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->metrics.size(), 2u);
  ASSERT_TRUE(run->ended_at.has_value());
  EXPECT_LT(run->metrics[0].logged_at + 300'000, *run->ended_at);
  EXPECT_LT(run->metrics[0].logged_at, run->metrics[1].logged_at);
}

TEST_F(ExecTest, ExitCodesAndSignals) {
  ExecResult r = Exec("exit 3");
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.process_exit_code, 3);
  EXPECT_EQ(GetRun(ws_.ws(), r.run_id)->exit_code, 3);
  r = Exec("kill -TERM $$");
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_EQ(r.exit_code, 128 + 15);
  EXPECT_EQ(r.process_exit_code, 128 + 15);
  EXPECT_EQ(GetRun(ws_.ws(), r.run_id)->exit_code, 143);
}

TEST_F(ExecTest, CommandNotFoundFailsWith127) {
  ExecOptions o;
  o.run.capture_environment = false;
  o.command = {"cairn-no-such-command-xyz", "arg"};
  const int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  o.stderr_fd = err;
  o.temp_root = ws_.dir();
  auto r = track::Exec(ws_.ws(), o);
  ::close(err);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, RunStatus::kFailed);
  EXPECT_EQ(r->exit_code, 127);
  EXPECT_EQ(r->process_exit_code, 127);
  EXPECT_NE(PassedErr().find("cannot run 'cairn-no-such-command-xyz': No such file or directory"),
            std::string::npos)
      << PassedErr();
  auto run = GetRun(ws_.ws(), r->run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 127);
  ASSERT_EQ(run->tags.size(), 1u);
  EXPECT_EQ(run->tags[0].first, "exec.error");
}

TEST_F(ExecTest, OutputsAreStoredAndAMissingOneFailsTheRun) {
  ExecResult r = Exec(
      "mkdir -p ckpt/sub && printf w1 > ckpt/a.bin && printf w2 > ckpt/sub/b.bin "
      "&& printf m > model.bin",
      {"model.bin", "./ckpt/"});
  EXPECT_EQ(r.status, RunStatus::kFinished) << PassedErr();
  const std::vector<std::string> want = {"model.bin", "ckpt/a.bin", "ckpt/sub/b.bin", "stdout.txt",
                                         "stderr.txt"};
  EXPECT_EQ(r.artifacts, want);
  auto a = GetArtifact(ws_.ws(), r.run_id, "ckpt/sub/b.bin");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->blob_id, Sha256Hex("w2"));
  EXPECT_EQ(a->size, 2);

  r = Exec("printf m > model.bin", {"model.bin", "missing.bin"});
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.process_exit_code, 1);
  EXPECT_EQ(r.error, "output 'missing.bin' does not exist");
  EXPECT_NE(PassedErr().find("cairn exec: error: output 'missing.bin' does not exist"),
            std::string::npos);
  auto run = GetRun(ws_.ws(), r.run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kFailed);
  ASSERT_EQ(run->tags.size(), 1u);
  EXPECT_EQ(run->tags[0].second, "output 'missing.bin' does not exist");
  // What did exist is stored all the same.
  EXPECT_TRUE(GetArtifact(ws_.ws(), r.run_id, "model.bin").ok());
}

TEST_F(ExecTest, EnvironmentOfTheCommand) {
  const ExecResult r = Exec(
      "echo \"$CAIRN_RUN_ID\"; echo \"$CAIRN_WORKSPACE\"; echo \"$CAIRN_HOME\"; "
      "test -f \"$CAIRN_METRICS_FILE\" && echo metrics-file; echo \"${CAIRN_SNAPSHOT-unset}\"");
  const std::string root = std::filesystem::absolute(ws_.ws().root()).lexically_normal().string();
  EXPECT_EQ(PassedOut(), r.run_id + "\n" + root + "\n" + root + "\nmetrics-file\nunset\n");
}

TEST_F(ExecTest, BadRequestsStartNoRun) {
  ExecOptions o;
  o.run.capture_environment = false;
  EXPECT_EQ(track::Exec(ws_.ws(), o).status().code(), StatusCode::kInvalidArgument);
  o.command = {"true"};
  o.run.snapshot = "beef";
  auto r = track::Exec(ws_.ws(), o);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("no snapshot 'beef'"), std::string::npos);
  o.run.snapshot.clear();
  o.outputs = {"/abs/model.bin"};
  EXPECT_EQ(track::Exec(ws_.ws(), o).status().code(), StatusCode::kInvalidArgument);
  auto runs = ListRuns(ws_.ws(), {});
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(runs->num_rows(), 0);
}

}  // namespace
}  // namespace cairn::track
