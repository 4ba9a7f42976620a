// Tests of the model registry and gated promotion on a fresh workspace per test (SQLite, or
// PostgreSQL when CAIRN_TEST_POSTGRES is set; see src/track/CMakeLists.txt). Evaluation
// results come from the metric engine run on tiny CSVs whose metrics are worked out by hand
// in the comments; every id the tests check is one the test itself created.

#include "track/registry.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/hash.h"
#include "data/datasets.h"
#include "data/snapshots.h"
#include "data/test_workspace.h"
#include "metrics/driver.h"
#include "metrics/evaluation.h"
#include "metrics/metric.h"
#include "track/artifacts.h"
#include "track/gate.h"
#include "track/runs.h"

namespace cairn::track {
namespace {

using data::testing::TestWorkspace;

// Labels and predictions of the digits 1 and 7, sliced by stroke.
//
// kPerfect: every row right. f1_macro = 1, recall[7] = 1 overall and in both slices.
constexpr std::string_view kPerfect =
    "label,pred,stroke\n"
    "7,7,thin\n7,7,thin\n7,7,thick\n7,7,thick\n"
    "1,1,thin\n1,1,thin\n1,1,thick\n1,1,thick\n";
// kThickMiss: one thick 7 predicted as 1.
//   class 7: TP 3, FN 1, FP 0 -> recall 3/4 = 0.75, precision 1, F1 = 2*0.75/1.75 = 6/7
//   class 1: TP 4, FN 0, FP 1 -> recall 1, precision 4/5, F1 = 2*0.8/1.8 = 8/9
//   f1_macro = (6/7 + 8/9) / 2 = 55/63 = 0.873015873...
//   stroke=thin: all right -> recall[7] = 1; stroke=thick: 7s 1 of 2 right -> recall[7] = 0.5
constexpr std::string_view kThickMiss =
    "label,pred,stroke\n"
    "7,7,thin\n7,7,thin\n7,7,thick\n7,1,thick\n"
    "1,1,thin\n1,1,thin\n1,1,thick\n1,1,thick\n";

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tw_.status().ok()) << tw_.status().ToString();
    ASSERT_TRUE(data::CreateDataset(ws(), "digits", "").ok());
    // Two commits of four keys each; snapshot A as of both, snapshot B another seed.
    for (int c = 0; c < 2; ++c) {
      std::string text;
      for (int k = 0; k < 4; ++k) {
        const std::string key = "k" + std::to_string(c * 4 + k);
        text.append("{\"key\":\"").append(key).append("\",\"frame\":\"f/").append(key);
        text.append("\",\"captured_at\":\"2024-01-0").append(std::to_string(c + 1));
        text.append("T00:00:00Z\"}\n");
      }
      data::IngestOptions o;
      o.path = File("batch" + std::to_string(c) + ".jsonl", text);
      o.message = "batch " + std::to_string(c);
      auto r = data::Ingest(ws(), "digits", o);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      commits_.push_back(r->commit_id);
    }
    snapshot_a_ = Snapshot(1);
    snapshot_b_ = Snapshot(2);
    ASSERT_NE(snapshot_a_.id, snapshot_b_.id);
    StartOptions o;
    o.name = "train";
    o.snapshot = snapshot_a_.id;
    o.params = {{"lr", "0.1"}, {"epochs", "3"}};
    o.capture_environment = false;
    auto run = StartRun(ws(), o);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    run_ = run->id;
    ASSERT_TRUE(LogArtifactBytes(ws(), run_, "model.bin", "weights").ok());
  }

  data::Workspace& ws() { return tw_.ws(); }

  std::string File(const std::string& name, std::string_view text) {
    std::string path = tw_.dir() + "/" + name;
    EXPECT_TRUE(WriteStringToFile(path, text).ok());
    return path;
  }

  data::SnapshotInfo Snapshot(uint64_t seed) {
    data::SnapshotOptions o;
    o.splits = {{"train", 0.5}, {"test", 0.5}};
    o.seed = seed;
    auto s = data::CreateSnapshot(ws(), "digits", o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : data::SnapshotInfo{};
  }

  int64_t Register() {
    RegisterOptions o;
    o.run = run_;
    o.artifact = "model.bin";
    auto v = RegisterModel(ws(), "digits", o);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? v->version : 0;
  }

  // The result JSON of the metric engine on `csv`.
  std::string Evaluate(const std::string& name, std::string_view csv) {
    const std::string path = File(name + ".csv", csv);
    auto plan = metrics::MakePlan(metrics::BuiltinMetrics(), {"f1_macro", "recall"});
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    metrics::EvaluationOptions eo;
    eo.label_column = "label";
    eo.prediction_column = "pred";
    eo.slicings = {{"stroke"}};
    auto eval = metrics::Evaluation::Make(eo, std::move(*plan));
    EXPECT_TRUE(eval.ok()) << eval.status().ToString();
    metrics::EvaluateFilesOptions fo;
    fo.inputs = {path};
    fo.threads = 1;
    std::vector<metrics::EvaluationResult::Input> inputs;
    EXPECT_TRUE(metrics::EvaluateFiles(fo, &*eval, &inputs).ok());
    auto result = eval->Finish();
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    result->inputs = inputs;
    return metrics::EvaluationResultToJson(*result);
  }

  void AddEval(int64_t version, std::string_view csv, const data::SnapshotInfo& snap,
               const std::string& split = "test") {
    EvaluationOptions o;
    o.snapshot = snap.id.substr(0, 10);
    o.split = split;
    auto e = AddEvaluation(ws(), "digits", version, Evaluate("v" + std::to_string(version), csv),
                           "result.json", o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(e->snapshot_id, snap.id);
  }

  GateSpec Gate(const std::string& yaml) {
    auto spec = ParseGateSpec(yaml, "gate.yaml");
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    return spec.ok() ? *spec : GateSpec{};
  }

  Promotion MustPromote(int64_t version, const std::string& alias,
                        const std::optional<GateSpec>& gate) {
    PromoteOptions o;
    o.alias = alias;
    o.actor = "tester";
    o.gate = gate;
    auto p = Promote(ws(), "digits", version, o);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : Promotion{};
  }

  TestWorkspace tw_;
  std::vector<std::string> commits_;
  data::SnapshotInfo snapshot_a_;
  data::SnapshotInfo snapshot_b_;
  std::string run_;
};

TEST(ModelNamesTest, ChecksModelAndAliasNames) {
  EXPECT_TRUE(CheckModelName("digits-v2.cnn_1").ok());
  for (const char* bad : {"", "-x", ".x", "a b", "a/b"}) {
    EXPECT_EQ(CheckModelName(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(CheckAliasName("production").ok());
  EXPECT_TRUE(CheckAliasName("canary_2-eu").ok());
  for (const char* bad : {"", "3", "v3", "a.b", "a b"}) {
    EXPECT_EQ(CheckAliasName(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST_F(RegistryTest, VersionsCountFromOneAndPointAtTheArtifact) {
  for (int64_t want = 1; want <= 3; ++want) EXPECT_EQ(Register(), want);
  auto m = GetModel(ws(), "digits");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->versions.size(), 3u);
  EXPECT_EQ(m->versions[2].run_id, run_);
  EXPECT_EQ(m->versions[2].blob_id, Sha256Hex("weights"));
  EXPECT_EQ(m->versions[2].size, 7);

  // --file logs the file as the artifact first.
  RegisterOptions o;
  o.run = run_.substr(0, 6);
  o.artifact = "best/model.pt";
  o.file = File("m.pt", "best weights");
  o.actor = "alice";
  auto v = RegisterModel(ws(), "digits", o);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->version, 4);
  EXPECT_EQ(v->created_by, "alice");
  EXPECT_EQ(v->blob_id, Sha256Hex("best weights"));

  const std::string dest = tw_.dir() + "/out/model.pt";
  auto exported = ExportModel(ws(), "digits", "v4", dest);
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  EXPECT_EQ(*ReadFileToString(dest), "best weights");
}

TEST_F(RegistryTest, UnknownNamesGiveClearErrors) {
  RegisterOptions o;
  o.run = run_;
  o.artifact = "missing.bin";
  auto v = RegisterModel(ws(), "digits", o);
  EXPECT_EQ(v.status().code(), StatusCode::kNotFound);
  EXPECT_NE(v.status().message().find("no artifact 'missing.bin'"), std::string::npos)
      << v.status().message();
  o.run = "ffffffff";
  o.artifact = "model.bin";
  EXPECT_EQ(RegisterModel(ws(), "digits", o).status().code(), StatusCode::kNotFound);
  // Nothing was created by the failures.
  EXPECT_EQ(GetModel(ws(), "digits").status().code(), StatusCode::kNotFound);

  Register();
  auto missing = ResolveModelVersion(ws(), "digits", "7");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("versions 1 to 1"), std::string::npos)
      << missing.status().message();
  EXPECT_EQ(ResolveModelVersion(ws(), "digits", "production").status().code(),
            StatusCode::kNotFound);
  auto nomodel = GetModel(ws(), "letters");
  EXPECT_NE(nomodel.status().message().find("no model 'letters'; models: digits"),
            std::string::npos)
      << nomodel.status().message();

  EvaluationOptions eo;
  eo.snapshot = snapshot_a_.id;
  eo.split = "validation";
  auto e = AddEvaluation(ws(), "digits", 1, Evaluate("p", kPerfect), "r.json", eo);
  EXPECT_EQ(e.status().code(), StatusCode::kNotFound);
  EXPECT_NE(e.status().message().find("no split 'validation' (splits: train, test)"),
            std::string::npos)
      << e.status().message();
  eo.split = "test";
  eo.snapshot = "abcdef0123";
  EXPECT_EQ(AddEvaluation(ws(), "digits", 1, Evaluate("p", kPerfect), "r.json", eo).status().code(),
            StatusCode::kNotFound);
  eo.snapshot = snapshot_a_.id;
  auto bad = AddEvaluation(ws(), "digits", 1, "{\"task\": 3}", "r.json", eo);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AddEvaluation(ws(), "digits", 2, Evaluate("p", kPerfect), "r.json", eo).status().code(),
            StatusCode::kNotFound);
}

TEST_F(RegistryTest, ParallelRegistrationsGetOneToTwenty) {
  // 20 processes, each with its own connection, register at once.
  constexpr int kWriters = 20;
  std::vector<pid_t> children;
  for (int i = 0; i < kWriters; ++i) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto other = tw_.OpenAnother();
      if (!other.ok()) _exit(3);
      RegisterOptions o;
      o.run = run_;
      o.artifact = "model.bin";
      o.actor = "writer" + std::to_string(i);
      _exit(RegisterModel(**other, "digits", o).ok() ? 0 : 4);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  auto m = GetModel(ws(), "digits");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->versions.size(), static_cast<size_t>(kWriters));
  std::set<std::string> actors;
  for (int i = 0; i < kWriters; ++i) {
    EXPECT_EQ(m->versions[static_cast<size_t>(i)].version, i + 1);
    actors.insert(m->versions[static_cast<size_t>(i)].created_by);
  }
  EXPECT_EQ(actors.size(), static_cast<size_t>(kWriters));
}

TEST_F(RegistryTest, RegistrationKilledInsideItsTransactionLeavesNoGap) {
  EXPECT_EQ(Register(), 1);
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(pipe_fds[0]);
    dup2(pipe_fds[1], STDERR_FILENO);
    setenv(std::string(kRegisterPauseEnv).c_str(), "20000", 1);
    auto other = tw_.OpenAnother();
    if (!other.ok()) _exit(3);
    RegisterOptions o;
    o.run = run_;
    o.artifact = "model.bin";
    _exit(RegisterModel(**other, "digits", o).ok() ? 0 : 4);
  }
  close(pipe_fds[1]);
  // The pause announces itself on standard error once the version row is written.
  std::string seen;
  char buf[256];
  while (seen.find("inside the registering transaction") == std::string::npos) {
    const ssize_t n = read(pipe_fds[0], buf, sizeof buf);
    ASSERT_GT(n, 0) << "the child ended without pausing: " << seen;
    seen.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(seen.find("version 2"), std::string::npos) << seen;
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  close(pipe_fds[0]);

  auto m = GetModel(ws(), "digits");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->versions.size(), 1u);
  EXPECT_EQ(Register(), 2);
}

TEST_F(RegistryTest, PromotionWithoutGateMovesAndIsRecorded) {
  Register();
  Register();
  Promotion p = MustPromote(1, "production", std::nullopt);
  EXPECT_TRUE(p.moved);
  EXPECT_FALSE(p.from_version);
  p = MustPromote(2, "production", std::nullopt);
  EXPECT_TRUE(p.moved);
  EXPECT_EQ(p.from_version, 1);
  auto got = ResolveModelVersion(ws(), "digits", "production");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->version, 2);
  auto h = AliasHistory(ws(), "digits", "production");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].seq, 1);
  EXPECT_FALSE((*h)[0].from_version);
  EXPECT_EQ((*h)[1].from_version, 1);
  EXPECT_EQ((*h)[1].to_version, 2);
  EXPECT_EQ((*h)[1].actor, "tester");
  EXPECT_TRUE((*h)[1].gate.empty());
}

TEST_F(RegistryTest, GatesPassFailAndRecordEveryAttempt) {
  for (int i = 0; i < 5; ++i) Register();
  AddEval(1, kPerfect, snapshot_a_);
  AddEval(2, kPerfect, snapshot_a_);
  AddEval(3, kThickMiss, snapshot_a_);

  // No holder yet: the floor 55/63 = 0.873 >= 0.9 fails; the max_drop rule passes with no
  // baseline.
  Promotion p = MustPromote(3, "production",
                            Gate("rules:\n  - f1_macro >= 0.9\n  - max_drop f1_macro 0.005\n"));
  EXPECT_FALSE(p.moved);
  ASSERT_TRUE(p.gate && p.gate->result);
  EXPECT_TRUE(p.gate->no_baseline);
  EXPECT_FALSE(p.gate->result->rules[0].passed);
  EXPECT_NEAR(*p.gate->result->rules[0].checks[0].candidate, 55.0 / 63.0, 1e-12);
  EXPECT_TRUE(p.gate->result->rules[1].passed);
  EXPECT_FALSE(p.gate->result->rules[1].checks[0].baseline);

  // No holder, floor met: version 1 becomes production.
  p = MustPromote(1, "production", Gate("rules:\n  - f1_macro >= 0.8\n"));
  EXPECT_TRUE(p.moved) << p.reason;

  // Version 2 equals the baseline (f1_macro 1 vs 1, recall[7] 1 vs 1 in every slice): passes.
  const std::string all_rules =
      "split: test\nrules:\n  - f1_macro >= 0.8\n  - max_drop f1_macro 0.005\n"
      "  - max_drop recall[7] 0.02 by stroke\n";
  p = MustPromote(2, "production", Gate(all_rules));
  EXPECT_TRUE(p.moved) << p.reason;
  EXPECT_EQ(p.from_version, 1);
  ASSERT_EQ(p.gate->result->rules[2].checks.size(), 2u);
  EXPECT_EQ(p.gate->baseline->version, 1);

  // Version 3 against the holder, version 2: f1_macro drops 1 - 55/63 = 8/63 = 0.127.
  p = MustPromote(3, "production", Gate("rules:\n  - max_drop f1_macro 0.1\n"));
  EXPECT_FALSE(p.moved);
  const metrics::GateCheck& overall = p.gate->result->rules[0].checks[0];
  EXPECT_EQ(*overall.baseline, 1.0);
  EXPECT_NEAR(*overall.candidate, 55.0 / 63.0, 1e-12);
  EXPECT_NEAR(*GateLimit(p.gate->result->rules[0].rule, overall), 0.9, 1e-12);
  // ... which a tolerance of 0.13 allows.
  p = MustPromote(3, "production", Gate("rules:\n  - max_drop f1_macro 0.13\n"));
  EXPECT_TRUE(p.moved) << p.reason;
  ASSERT_TRUE(MustPromote(2, "production", std::nullopt).moved);

  // By slice: recall[7] drops 0.25 overall (within 0.3) but 0.5 on thick strokes.
  p = MustPromote(3, "production",
                  Gate("rules:\n  - max_drop recall[7] 0.3\n"
                       "  - max_drop recall[7] 0.3 by stroke\n"));
  EXPECT_FALSE(p.moved);
  EXPECT_TRUE(p.gate->result->rules[0].passed);
  EXPECT_NEAR(*p.gate->result->rules[0].checks[0].candidate, 0.75, 1e-12);
  const auto& by = p.gate->result->rules[1].checks;
  ASSERT_EQ(by.size(), 2u);
  EXPECT_EQ(by[0].slice, "thick");
  EXPECT_FALSE(by[0].passed);
  EXPECT_EQ(*by[0].candidate, 0.5);
  EXPECT_EQ(*by[0].baseline, 1.0);
  EXPECT_EQ(by[1].slice, "thin");
  EXPECT_TRUE(by[1].passed);

  // Version 4 is evaluated on snapshot B only; the holder (2) has no evaluation there.
  AddEval(4, kPerfect, snapshot_b_);
  p = MustPromote(4, "production", Gate("rules:\n  - f1_macro >= 0.5\n"));
  EXPECT_FALSE(p.moved);
  EXPECT_NE(p.reason.find("version 2 (the holder of 'production') has no evaluation on split "
                          "'test' of snapshot " +
                          snapshot_b_.id),
            std::string::npos)
      << p.reason;
  EXPECT_NE(p.reason.find("cairn model add-eval digits 2 RESULT.json --snapshot " + snapshot_b_.id +
                          " --split test"),
            std::string::npos)
      << p.reason;

  // A rule naming a metric the evaluations lack.
  p = MustPromote(2, "candidate", Gate("rules:\n  - accuracy >= 0.5\n"));
  EXPECT_FALSE(p.moved);
  EXPECT_TRUE(p.gate_error);
  EXPECT_NE(p.reason.find("accuracy"), std::string::npos) << p.reason;

  // Version 5 has no evaluation at all.
  p = MustPromote(5, "candidate", Gate("rules:\n  - f1_macro >= 0.5\n"));
  EXPECT_FALSE(p.moved);
  EXPECT_NE(p.reason.find("has no evaluation on split 'test'"), std::string::npos) << p.reason;

  auto h = AliasHistory(ws(), "digits");
  ASSERT_TRUE(h.ok());
  // refused 3, moved 1, moved 2, refused 3, moved 3, moved 2, refused 3, refused 4,
  // refused 2 (candidate), refused 5 (candidate).
  const std::vector<std::pair<int64_t, bool>> want = {{3, false}, {1, true}, {2, true},  {3, false},
                                                      {3, true},  {2, true}, {3, false}, {4, false},
                                                      {2, false}, {5, false}};
  ASSERT_EQ(h->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*h)[i].seq, static_cast<int64_t>(i) + 1);
    EXPECT_EQ((*h)[i].to_version, want[i].first) << i;
    EXPECT_EQ((*h)[i].moved, want[i].second) << i;
  }
  EXPECT_EQ((*h)[3].from_version, 2);
  EXPECT_EQ((*h)[3].gate_passed, false);
  EXPECT_NE((*h)[3].gate.find("\"limit\":0.9"), std::string::npos) << (*h)[3].gate;
  EXPECT_EQ((*h)[7].gate_passed, std::nullopt);
  EXPECT_NE((*h)[7].reason.find("baseline is missing"), std::string::npos);
  auto production = AliasHistory(ws(), "digits", "production");
  ASSERT_TRUE(production.ok());
  EXPECT_EQ(production->size(), 8u);
  auto holder = AliasHolder(ws(), "digits", "production");
  ASSERT_TRUE(holder.ok());
  EXPECT_EQ(*holder, 2);
}

TEST_F(RegistryTest, PromotionRefusedWhenTheAliasMovesDuringTheGate) {
  for (int i = 0; i < 3; ++i) Register();
  AddEval(1, kPerfect, snapshot_a_);
  AddEval(3, kPerfect, snapshot_a_);
  ASSERT_TRUE(MustPromote(1, "production", std::nullopt).moved);
  PromoteOptions o;
  o.alias = "production";
  o.gate = Gate("rules:\n  - max_drop f1_macro 0\n");
  o.before_write = [&] {
    auto other = tw_.OpenAnother();
    ASSERT_TRUE(other.ok());
    PromoteOptions plain;
    plain.alias = "production";
    auto moved = Promote(**other, "digits", 2, plain);
    ASSERT_TRUE(moved.ok() && moved->moved);
  };
  auto p = Promote(ws(), "digits", 3, o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->moved);
  EXPECT_NE(p->reason.find("moved from version 1 to version 2"), std::string::npos) << p->reason;
  EXPECT_EQ(*AliasHolder(ws(), "digits", "production"), 2);
  auto h = AliasHistory(ws(), "digits");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 3u);
  EXPECT_TRUE((*h)[1].moved);
  EXPECT_FALSE((*h)[2].moved);
  EXPECT_EQ((*h)[2].to_version, 3);
}

TEST_F(RegistryTest, HtmlReportShowsTheVerdictAndRules) {
  Register();
  Register();
  AddEval(1, kPerfect, snapshot_a_);
  AddEval(2, kThickMiss, snapshot_a_);
  ASSERT_TRUE(MustPromote(1, "production", std::nullopt).moved);
  Promotion p = MustPromote(2, "production", Gate("rules:\n  - max_drop f1_macro 0.1\n"));
  const std::string html = RenderPromotionHtml(p, "2024-05-01T00:00:00Z");
  EXPECT_NE(html.find("NO SHIP"), std::string::npos);
  EXPECT_NE(html.find("max_drop f1_macro 0.1"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">0.9</td>"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
}

TEST(GateSpecTest, ParsesRulesAndNamesFileLineAndField) {
  auto spec = ParseGateSpec(
      "split: val\nrules:\n  - f1_macro >= 0.8\n"
      "  - max_drop recall[7] 0.02 by stroke\n",
      "g.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->split, "val");
  ASSERT_EQ(spec->rules.size(), 2u);
  EXPECT_EQ(spec->rules[1].kind, metrics::GateRule::Kind::kMaxDrop);
  EXPECT_EQ(spec->rules[1].metric, "recall[7]");
  EXPECT_EQ(spec->rules[1].by, "stroke");
  EXPECT_EQ(ParseGateSpec("rules:\n  - f1_macro >= 0.8\n", "g.yaml")->split, "test");

  auto bad_rule = ParseGateSpec("rules:\n  - f1_macro >= 0.8\n  - f1_macro >= lots\n", "g.yaml");
  ASSERT_FALSE(bad_rule.ok());
  EXPECT_EQ(bad_rule.status().message().rfind("g.yaml:3: 'rules[1]'", 0), 0u)
      << bad_rule.status().message();
  auto unknown = ParseGateSpec("rules:\n  - f1_macro >= 0.8\nthreshold: 3\n", "g.yaml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message().rfind("g.yaml:3:", 0), 0u) << unknown.status().message();
  auto syntax = ParseGateSpec("rules: [f1_macro >= 0.8\n", "g.yaml");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().message().rfind("g.yaml:", 0), 0u) << syntax.status().message();
  auto empty = ParseGateSpec("rules: []\n", "g.yaml");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message().rfind("g.yaml:1:", 0), 0u) << empty.status().message();
}

TEST_F(RegistryTest, LineageFollowsRunSnapshotAndCommits) {
  Register();
  auto l = GetLineage(ws(), "digits", "1");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(l->run.id, run_);
  ASSERT_EQ(l->run.params.size(), 2u);
  EXPECT_EQ(l->run.params[0].key, "epochs");
  ASSERT_TRUE(l->snapshot);
  EXPECT_EQ(l->snapshot->id, snapshot_a_.id);
  EXPECT_EQ(l->snapshot->dataset, "digits");
  EXPECT_EQ(l->snapshot->seed, 1u);
  ASSERT_EQ(l->snapshot->splits.size(), 2u);
  EXPECT_EQ(l->snapshot->splits[0].rows + l->snapshot->splits[1].rows, 8);
  ASSERT_EQ(l->commits.size(), 2u);
  EXPECT_EQ(l->commits[0].id, commits_[0]);
  EXPECT_EQ(l->commits[1].id, commits_[1]);
  ASSERT_TRUE(MustPromote(1, "production", std::nullopt).moved);
  auto by_alias = GetLineage(ws(), "digits", "production");
  ASSERT_TRUE(by_alias.ok());
  EXPECT_EQ(by_alias->version.version, 1);
}

}  // namespace
}  // namespace cairn::track
