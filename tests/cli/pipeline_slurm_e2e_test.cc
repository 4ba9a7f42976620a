// End-to-end tests of `cairn pipeline run --executor slurm` on the one-node cluster that
// scripts/slurm-test-cluster.sh starts (ctest fixture, label slurm; SLURM_CONF names it):
// the same outputs as a local run, failures and their downstream jobs, a second run that
// submits nothing, and SIGINT cancelling the submitted jobs. Skipped when Slurm is not
// installed.

#include <signal.h>
#include <unistd.h>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "e2e_util.h"

namespace cairn::test {
namespace {

// Four stages; `split` runs as three shards plus a reduce. Every command writes with tools
// whose output the test recomputes independently.
constexpr std::string_view kPipeline = R"yaml(pipeline: sharded
stages:
  prepare:
    cmd: tr a-z A-Z < in.txt > prepared.txt
    deps: [in.txt]
    outs: [prepared.txt]
  split:
    cmd: mkdir -p parts && awk -v s="$CAIRN_SHARD" -v n="$CAIRN_SHARDS" 'NR % n == s' prepared.txt > "parts/$CAIRN_SHARD" && echo "shard $CAIRN_SHARD of $CAIRN_SHARDS on ${SLURM_JOB_ID:-no job}"
    shards: 3
    reduce: cat parts/0 parts/1 parts/2 > joined.txt && rm -r parts
    deps: [prepared.txt]
    outs: [joined.txt]
  count:
    cmd: wc -l < joined.txt > count.txt
    deps: [joined.txt]
    outs: [count.txt]
  report:
    cmd: sha256sum joined.txt count.txt > report.txt
    deps: [count.txt, joined.txt]
    outs: [report.txt]
)yaml";

const std::vector<std::string> kOutputs = {"prepared.txt", "joined.txt", "count.txt", "report.txt"};

class PipelineSlurmTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    const char* conf = std::getenv("SLURM_CONF");
    if (conf == nullptr || !fs::exists(conf) || Shell("sbatch --version").exit_code != 0) {
      GTEST_SKIP() << "no Slurm test cluster (install slurm-wlm and munge, and run through "
                      "ctest, whose fixture starts scripts/slurm-test-cluster.sh)";
    }
  }

  // A project directory with its own workspace.
  std::string Project(const std::string& name, std::string_view pipeline) {
    std::string dir = Tmp(name);
    fs::create_directories(dir);
    EXPECT_EQ(Run({"init", dir}).exit_code, 0);
    std::ofstream(dir + "/pipeline.yaml") << pipeline;
    std::ofstream(dir + "/in.txt") << "a\nb\nc\nd\ne\nf\ng\n";
    return dir;
  }

  RunResult Cairn(const std::string& dir, const std::vector<std::string>& args) {
    std::string cmd = "cd " + Quote(dir) + " && CAIRN_HOME=" + Quote(dir) + " CAIRN_PROGRESS=0 " +
                      Quote(CAIRN_BINARY);
    for (const auto& a : args) cmd += " " + Quote(a);
    return Shell(cmd);
  }

  RunResult Slurm(const std::string& dir) {
    return Cairn(dir, {"pipeline", "run", "--executor", "slurm", "--slurm-poll-ms", "100"});
  }

  // sha256sum's digests of the outputs.
  std::string Sums(const std::string& dir) {
    std::string cmd = "cd " + Quote(dir) + " && sha256sum";
    for (const auto& o : kOutputs) cmd += " " + o;
    return Shell(cmd).out;
  }

  // The jobs slurmctld knows (finished ones included: MinJobAge is an hour).
  int JobCount() { return std::stoi(Shell("squeue -h --states=all -o %i | wc -l").out); }

  // A field of `scontrol show job ID`.
  std::string JobField(const std::string& id, const std::string& field) {
    const std::string out = Shell("scontrol -o show job " + id).out;
    std::smatch m;
    if (!std::regex_search(out, m, std::regex("(^| )" + field + "=([^ \n]*)"))) return "";
    return m[2];
  }

  // The run id in `pipeline run`'s summary line.
  static std::string RunId(const std::string& out) {
    std::smatch m;
    return std::regex_search(out, m, std::regex(": run ([0-9a-f]{32}) ")) ? std::string(m[1]) : "";
  }

  // stage -> the job id printed when it was submitted.
  static std::map<std::string, std::string> Submitted(const std::string& err) {
    std::map<std::string, std::string> jobs;
    const std::regex re("(^|\n)([a-z]+): Slurm job ([0-9]+) submitted");
    for (auto it = std::sregex_iterator(err.begin(), err.end(), re); it != std::sregex_iterator();
         ++it) {
      jobs.emplace((*it)[2], (*it)[3]);  // the first: the job or array, not the reduce
    }
    return jobs;
  }
};

TEST_F(PipelineSlurmTest, SameOutputsAsALocalRunAndSecondRunSubmitsNothing) {
  const std::string on_slurm = Project("slurm", kPipeline);
  RunResult r = Slurm(on_slurm);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "4 ran, 0 skipped")) << r.out;
  // Job ids and states are shown while the run goes on.
  std::map<std::string, std::string> jobs = Submitted(r.err);
  ASSERT_EQ(jobs.size(), 4u) << r.err;
  for (const auto& [stage, id] : jobs) {
    EXPECT_EQ(JobField(id, "JobState"), "COMPLETED") << stage << " job " << id;
    std::string prefix = stage;
    prefix += ": Slurm job ";
    prefix += id;
    EXPECT_TRUE(Contains(r.err, prefix + " RUNNING") || Contains(r.err, prefix + "_")) << r.err;
  }
  // The shards ran as an array: three tasks of one job, each seeing its own job id.
  const std::string& array = jobs["split"];
  EXPECT_EQ(JobField(array + "_2", "ArrayTaskId"), "2");
  EXPECT_TRUE(Contains(r.err, "split[2] | shard 2 of 3 on ")) << r.err;
  // The reduce ran after the whole array.
  EXPECT_TRUE(Contains(r.err, "(reduce, after " + array + ")")) << r.err;

  // Independent answer: the same transformation by the shell tools, shard by shard.
  const std::string joined =
      Shell("cd " + Quote(on_slurm) +
            " && for s in 0 1 2; do tr a-z A-Z < in.txt | awk -v s=$s -v n=3 'NR % n == s'; done")
          .out;
  EXPECT_EQ(joined, "C\nF\nA\nD\nG\nB\nE\n");
  EXPECT_EQ(ReadFile(on_slurm + "/joined.txt"), joined);
  EXPECT_EQ(ReadFile(on_slurm + "/count.txt"), "7\n");

  const std::string local = Project("local", kPipeline);
  RunResult l = Cairn(local, {"pipeline", "run"});
  ASSERT_EQ(l.exit_code, 0) << l.err;
  EXPECT_FALSE(Contains(l.err, "Slurm job")) << l.err;
  EXPECT_EQ(Sums(local), Sums(on_slurm));
  EXPECT_FALSE(Sums(local).empty());

  // Nothing changed: every stage is skipped and no job is submitted.
  const int before = JobCount();
  RunResult again = Slurm(on_slurm);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(Contains(again.out, "0 ran, 4 skipped")) << again.out;
  EXPECT_FALSE(Contains(again.err, "Slurm job")) << again.err;
  EXPECT_EQ(JobCount(), before);
  // The log of the sharded stage holds the shards' output in order.
  RunResult log = Cairn(on_slurm, {"pipeline", "log", RunId(r.out), "--stage", "split"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_TRUE(std::regex_search(log.out, std::regex("shard 0 of 3 on [0-9]+\nshard 1 of 3 on "
                                                    "[0-9]+\nshard 2 of 3 on [0-9]+\n")))
      << log.out;
}

TEST_F(PipelineSlurmTest, FailedStageStopsItsDownstreamJobs) {
  const std::string dir = Project("failing", R"yaml(stages:
  a:
    cmd: echo a > a.txt
    outs: [a.txt]
  b:
    cmd: echo broken >&2; exit 3
    deps: [a.txt]
    outs: [b.txt]
  c:
    cmd: echo ran > c.txt
    deps: [b.txt]
    outs: [c.txt]
  d:
    cmd: echo ran > d.txt
    deps: [c.txt]
    outs: [d.txt]
)yaml");
  RunResult r = Slurm(dir);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  std::map<std::string, std::string> jobs = Submitted(r.err);
  ASSERT_EQ(jobs.size(), 4u) << r.err;
  // The error names the stage and its job; Slurm's own record agrees on the exit status.
  EXPECT_TRUE(Contains(
      r.err, "cairn: error: stage 'b' failed (Slurm job " + jobs["b"] + ": exit status 3)"))
      << r.err;
  EXPECT_EQ(JobField(jobs["b"], "ExitCode"), "3:0");
  EXPECT_TRUE(Contains(r.out, "c: not-run (upstream 'b' failed)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "d: not-run (upstream 'c' did not run)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "1 ran, 0 skipped, 0 restored, 1 failed, 2 not run")) << r.out;
  for (const std::string stage : {"c", "d"}) {
    // Cancelled by Slurm (kill-on-invalid-dep) or by cairn, whichever came first.
    EXPECT_EQ(JobField(jobs[stage], "JobState"), "CANCELLED") << stage;
    EXPECT_FALSE(fs::exists(fs::path(dir) / (stage + ".txt"))) << stage;
  }
  RunResult log = Cairn(dir, {"pipeline", "log", RunId(r.out), "--stage", "b"});
  EXPECT_TRUE(Contains(log.out, "-- stderr\nbroken\n")) << log.out << log.err;
}

TEST_F(PipelineSlurmTest, InterruptCancelsTheSubmittedJobs) {
  const std::string dir = Project("interrupted", R"yaml(stages:
  slow:
    cmd: sleep 60 && echo done > slow.txt
    outs: [slow.txt]
  after:
    cmd: cat slow.txt > after.txt
    deps: [slow.txt]
    outs: [after.txt]
)yaml");
  // Start the run, wait until its first job runs, then send SIGINT.
  const std::string err = Tmp("interrupted.err");
  RunResult r =
      Shell("cd " + Quote(dir) + " && (CAIRN_HOME=" + Quote(dir) + " " + Quote(CAIRN_BINARY) +
            " pipeline run --executor slurm --slurm-poll-ms 100 2>" + Quote(err) +
            " & pid=$!; for i in $(seq 200); do grep -q 'slow: Slurm job [0-9]* "
            "RUNNING' " +
            Quote(err) + " && break; sleep 0.1; done; kill -INT $pid; wait $pid)");
  const std::string text = ReadFile(err);
  EXPECT_EQ(r.exit_code, 1) << r.out << text;
  std::map<std::string, std::string> jobs = Submitted(text);
  ASSERT_EQ(jobs.size(), 2u) << text;
  EXPECT_TRUE(Contains(r.out, "slow: failed")) << r.out;
  EXPECT_TRUE(Contains(r.out, "(interrupted)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "after: not-run (upstream 'slow' failed)")) << r.out;
  for (const auto& [stage, id] : jobs) {
    EXPECT_EQ(JobField(id, "JobState"), "CANCELLED") << stage;
  }
}

}  // namespace
}  // namespace cairn::test
