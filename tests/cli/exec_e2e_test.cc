// End-to-end tests of `cairn exec`: a workspace in a scratch directory, commands that are
// small /bin/sh scripts whose output is known byte for byte, and cairn exec killed mid-run.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e_util.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in a header

namespace cairn::test {
namespace {

const std::string kCairn = CAIRN_BINARY;

class ExecCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ASSERT_EQ(Run({"init", dir_}).exit_code, 0);
  }
  // Runs the binary inside the workspace.
  RunResult In(const std::vector<std::string>& args) {
    std::string cmd = "cd " + Quote(dir_) + " && CAIRN_PROGRESS=0 " + Quote(kCairn);
    for (const auto& a : args) cmd += " " + Quote(a);
    return Shell(cmd);
  }
  // `cairn exec FLAGS -- /bin/sh -c SCRIPT` inside the workspace.
  RunResult Exec(const std::vector<std::string>& flags, const std::string& script) {
    std::vector<std::string> args = {"exec"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"--", "/bin/sh", "-c", script});
    return In(args);
  }
  // The run id from the "run <id>" line cairn exec prints first on stderr.
  static std::string RunIdOf(const RunResult& r) {
    EXPECT_TRUE(r.err.starts_with("run ")) << r.err;
    return r.err.size() >= 36 ? r.err.substr(4, 32) : std::string();
  }
  simdjson::dom::element Show(const std::string& run) {
    show_ = In({"run", "show", run, "--json"});
    EXPECT_EQ(show_.exit_code, 0) << show_.err;
    return ParseJson(parser_, show_.out);
  }
  // Starts cairn exec in the workspace as a child of this test, output to files.
  pid_t Spawn(const std::vector<std::string>& args) {
    std::vector<std::string> all = {kCairn};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    argv.reserve(all.size() + 1);
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, Tmp("spawned.out").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, Tmp("spawned.err").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addchdir_np(&actions, dir_.c_str());
    pid_t pid = -1;
    EXPECT_EQ(posix_spawn(&pid, kCairn.c_str(), &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
  }
  // Waits up to 10 s for `done`.
  template <typename F>
  static bool WaitFor(F done) {
    for (int i = 0; i < 1000; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  // True while `pid` is a live process (a zombie counts as gone).
  static bool Alive(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const size_t paren = line.rfind(')');
    return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
  }

  simdjson::dom::parser parser_;
  RunResult show_;
};

TEST_F(ExecCliTest, SnapshotSplitsAndWorkspaceReachTheCommand) {
  // 20 records with distinct keys: the splits of the snapshot hold 20 rows together.
  {
    std::ofstream records(Tmp("records.jsonl"));
    for (int i = 1; i <= 20; ++i) {
      records << "{\"key\":\"k" << i << "\",\"frame\":\"f" << i
              << "\",\"captured_at\":\"2021-06-03T10:00:00Z\"}\n";
    }
  }
  ASSERT_EQ(In({"dataset", "create", "cams"}).exit_code, 0);
  ASSERT_EQ(In({"ingest", "cams", "--from", Tmp("records.jsonl")}).exit_code, 0);
  RunResult snap = In(
      {"snapshot", "create", "cams", "--split", "train=0.7,val-hard=0.3", "--seed", "1", "--json"});
  ASSERT_EQ(snap.exit_code, 0) << snap.err;
  const std::string snapshot(ParseJson(parser_, snap.out)["id"].get_string().value());

  // The command copies the split files out, records its environment and logs a metric with
  // `cairn run log` from another directory (the workspace comes from CAIRN_HOME).
  const std::string script =
      "cp \"$CAIRN_SPLIT_TRAIN\" train.parquet && cp \"$CAIRN_SPLIT_VAL_HARD\" val.parquet && "
      "printf '%s\\n' \"$CAIRN_RUN_ID\" \"$CAIRN_SNAPSHOT\" \"$CAIRN_WORKSPACE\" > env.txt && "
      "test -f \"$CAIRN_METRICS_FILE\" && cd / && " +
      Quote(kCairn) + " run log \"$CAIRN_RUN_ID\" -m inner=7 >/dev/null";
  RunResult r = Exec({"--snapshot", snapshot.substr(0, 8), "--name", "train", "--param", "lr=0.1",
                      "--tag", "team=perception", "--run-id-file", Tmp("rid")},
                     script);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string run = RunIdOf(r);
  EXPECT_EQ(ReadFile(Tmp("rid")), run + "\n");
  EXPECT_EQ(ReadFile(Tmp("env.txt")), run + "\n" + snapshot + "\n" + dir_ + "\n");

  int64_t total = 0;
  for (const auto& [split, file] : {std::pair<std::string, std::string>{"train", "train.parquet"},
                                    {"val-hard", "val.parquet"}}) {
    RunResult stats = In({"table", "stats", Tmp(file), "--json"});
    ASSERT_EQ(stats.exit_code, 0) << stats.err;
    auto doc = ParseJson(parser_, stats.out);
    const int64_t rows = doc["rows"].get_int64();
    // The key list of the same split, one line per key.
    ASSERT_EQ(
        In({"snapshot", "export", snapshot, "--split", split, "-o", Tmp(split + ".txt")}).exit_code,
        0);
    const std::string keys = ReadFile(Tmp(split + ".txt"));
    EXPECT_EQ(rows, std::count(keys.begin(), keys.end(), '\n')) << split;
    EXPECT_GT(rows, 0) << split;
    total += rows;
  }
  EXPECT_EQ(total, 20);

  auto doc = Show(run);
  EXPECT_EQ(std::string_view(doc["status"].get_string()), "finished");
  EXPECT_EQ(int64_t(doc["exit_code"].get_int64()), 0);
  EXPECT_EQ(std::string_view(doc["snapshot_id"].get_string()), snapshot);
  EXPECT_EQ(std::string_view(doc["name"].get_string()), "train");
  EXPECT_EQ(std::string_view(doc["params"]["lr"]["value"].get_string()), "0.1");
  EXPECT_EQ(std::string_view(doc["tags"]["team"].get_string()), "perception");
  EXPECT_EQ(double(doc["metrics"]["inner"].at(0)["value"].get_double()), 7.0);
}

TEST_F(ExecCliTest, OutputIsPassedThroughCapturedAndReadForMetrics) {
  const std::string script =
      "echo 'epoch 1'; echo 'cairn:metric loss=0.5 acc=0.75 step=1'; echo 'to stderr' >&2; "
      "echo 'cairn:metric loss=high'; "
      "echo '{\"key\": \"val_f1\", \"value\": 0.625, \"step\": 2}' >> \"$CAIRN_METRICS_FILE\"; "
      "printf 'cairn:metric loss=0.25 step=2\\nno newline at the end'";
  const std::string want_out =
      "epoch 1\ncairn:metric loss=0.5 acc=0.75 step=1\ncairn:metric loss=high\n"
      "cairn:metric loss=0.25 step=2\nno newline at the end";
  RunResult r = Exec({}, script);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, want_out);
  EXPECT_TRUE(Contains(r.err, "to stderr\n")) << r.err;
  EXPECT_TRUE(Contains(r.err,
                       "cairn exec: warning: stdout line 3: 'loss=high': the value must "
                       "be a finite number, ignored"))
      << r.err;
  const std::string run = RunIdOf(r);

  ASSERT_EQ(In({"run", "get", run, "stdout.txt", "-o", Tmp("got/stdout.txt")}).exit_code, 0);
  EXPECT_EQ(ReadFile(Tmp("got/stdout.txt")), want_out);
  ASSERT_EQ(In({"run", "get", run, "stderr.txt", "-o", Tmp("got/stderr.txt")}).exit_code, 0);
  EXPECT_EQ(ReadFile(Tmp("got/stderr.txt")), "to stderr\n");

  auto doc = Show(run);
  auto loss = doc["metrics"]["loss"].get_array();
  ASSERT_EQ(loss.size(), 2u);
  EXPECT_EQ(double(loss.at(0)["value"].get_double()), 0.5);
  EXPECT_EQ(int64_t(loss.at(0)["step"].get_int64()), 1);
  EXPECT_EQ(double(loss.at(1)["value"].get_double()), 0.25);
  EXPECT_EQ(int64_t(loss.at(1)["step"].get_int64()), 2);
  EXPECT_EQ(double(doc["metrics"]["acc"].at(0)["value"].get_double()), 0.75);
  EXPECT_EQ(double(doc["metrics"]["val_f1"].at(0)["value"].get_double()), 0.625);
  EXPECT_EQ(int64_t(doc["metrics"]["val_f1"].at(0)["step"].get_int64()), 2);
  // The artifacts are part of `run show`.
  EXPECT_EQ(doc["artifacts"].get_array().size(), 2u);
}

TEST_F(ExecCliTest, MetricsShowWhileTheCommandRuns) {
  // The command logs a point, then waits (up to 10 s) until `cairn run show` lists it.
  const std::string script =
      "echo 'cairn:metric progress=1'; i=0; while [ $i -lt 100 ]; do "
      "if " +
      Quote(kCairn) +
      " run show \"$CAIRN_RUN_ID\" | grep -q '^progress '; then "
      "echo seen > seen.txt; exit 0; fi; sleep 0.1; i=$((i+1)); done; exit 9";
  RunResult r = Exec({}, script);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(Tmp("seen.txt")), "seen\n");
}

TEST_F(ExecCliTest, OutputsAreStoredAsArtifacts) {
  RunResult r = Exec({"--output", "model.bin", "-o", "ckpt"},
                     "mkdir -p ckpt/sub && printf 'weights' > model.bin && printf a > ckpt/a.txt "
                     "&& printf bb > ckpt/sub/b.txt");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string run = RunIdOf(r);
  RunResult list = In({"run", "artifacts", run, "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto rows = ParseJson(parser_, list.out).get_array();
  std::vector<std::string> names;
  for (auto row : rows) names.emplace_back(std::string_view(row["name"].get_string()));
  const std::vector<std::string> want = {"ckpt/a.txt", "ckpt/sub/b.txt", "model.bin", "stderr.txt",
                                         "stdout.txt"};
  EXPECT_EQ(names, want);
  // SHA-256 and size of the bytes written, from sha256sum.
  EXPECT_EQ(std::string_view(rows.at(2)["sha256"].get_string()),
            "9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c");
  EXPECT_EQ(int64_t(rows.at(2)["size"].get_int64()), 7);
  EXPECT_EQ(std::string_view(rows.at(1)["sha256"].get_string()),
            "3b64db95cb55c763391c707108489ae18b4112d783300de38e033b4c98c3deaf");
}

TEST_F(ExecCliTest, ExitCodesSignalsAndFailures) {
  RunResult r = Exec({}, "exit 3");
  EXPECT_EQ(r.exit_code, 3);
  auto doc = Show(RunIdOf(r));
  EXPECT_EQ(std::string_view(doc["status"].get_string()), "failed");
  EXPECT_EQ(int64_t(doc["exit_code"].get_int64()), 3);

  r = Exec({}, "kill -KILL $$");
  EXPECT_EQ(r.exit_code, 137);
  doc = Show(RunIdOf(r));
  EXPECT_EQ(int64_t(doc["exit_code"].get_int64()), 137);

  r = Exec({"--output", "missing.bin"}, "true");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "cairn exec: error: output 'missing.bin' does not exist")) << r.err;
  doc = Show(RunIdOf(r));
  EXPECT_EQ(std::string_view(doc["status"].get_string()), "failed");
  EXPECT_EQ(std::string_view(doc["tags"]["exec.error"].get_string()),
            "output 'missing.bin' does not exist");

  r = In({"exec", "--", "cairn-no-such-command-xyz", "--flag"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_TRUE(Contains(r.err, "cannot run 'cairn-no-such-command-xyz': No such file or directory"))
      << r.err;
  doc = Show(RunIdOf(r));
  EXPECT_EQ(std::string_view(doc["status"].get_string()), "failed");
  EXPECT_EQ(int64_t(doc["exit_code"].get_int64()), 127);

  // Refused before anything runs: no run is left behind.
  RunResult list = In({"run", "list", "--json"});
  const size_t runs_before = ParseJson(parser_, list.out).get_array().size();
  r = Exec({"--snapshot", "beef"}, "touch ran.txt");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "no snapshot 'beef'")) << r.err;
  r = Exec({"--output", "/abs/model.bin"}, "touch ran.txt");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "must be a relative path")) << r.err;
  EXPECT_EQ(In({"exec"}).exit_code, 2);
  EXPECT_FALSE(fs::exists(Tmp("ran.txt")));
  list = In({"run", "list", "--json"});
  EXPECT_EQ(ParseJson(parser_, list.out).get_array().size(), runs_before);
}

TEST_F(ExecCliTest, SigtermIsForwardedToTheCommand) {
  const std::string script =
      "trap 'echo got TERM; exit 5' TERM; touch ready; while true; do sleep 0.05; done";
  const pid_t pid = Spawn({"exec", "--run-id-file", Tmp("rid"), "--", "/bin/sh", "-c", script});
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitFor([&] { return fs::exists(Tmp("ready")); }));
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 5);
  EXPECT_EQ(ReadFile(Tmp("spawned.out")), "got TERM\n");
  const std::string run = ReadFile(Tmp("rid")).substr(0, 32);
  auto doc = Show(run);
  EXPECT_EQ(std::string_view(doc["status"].get_string()), "failed");
  EXPECT_EQ(int64_t(doc["exit_code"].get_int64()), 5);
}

TEST_F(ExecCliTest, KilledExecFailsTheRunAndTakesTheCommandWithIt) {
  const pid_t pid = Spawn({"exec", "--run-id-file", Tmp("rid"), "--", "/bin/sh", "-c",
                           "echo $$ > child.pid; exec sleep 30"});
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitFor([&] {
    const std::string child = ReadFile(Tmp("child.pid"));
    return fs::exists(Tmp("rid")) && child.ends_with("\n");
  }));
  const std::string run = ReadFile(Tmp("rid")).substr(0, 32);
  const pid_t child = std::stoi(ReadFile(Tmp("child.pid")));
  ASSERT_TRUE(WaitFor([&] {
    // `exec sleep` keeps the pid; wait until it is sleep that runs there.
    return ReadFile("/proc/" + std::to_string(child) + "/comm") == "sleep\n";
  }));
  auto doc = Show(run);
  EXPECT_EQ(std::string_view(doc["status"].get_string()), "running");

  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WaitFor([&] { return !Alive(child); })) << "the command outlived cairn exec";
  doc = Show(run);
  EXPECT_EQ(std::string_view(doc["status"].get_string()), "failed");
  RunResult verify = In({"store", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace cairn::test
