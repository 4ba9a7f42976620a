// Tests of pipeline files, stage keys, the run cache and the local scheduler, on a fresh
// workspace per test (SQLite, or PostgreSQL when CAIRN_TEST_POSTGRES is set; see
// src/pipeline/CMakeLists.txt).

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/time.h"
#include "data/test_workspace.h"
#include "pipeline/hasher.h"
#include "pipeline/key.h"
#include "pipeline/outputs.h"
#include "pipeline/records.h"
#include "pipeline/runner.h"
#include "pipeline/spec.h"
#include "store/blob_store.h"

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

// Lines in a counter file: how many times a command ran.
int Count(const std::string& path) {
  const std::string text = ReadText(path);
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
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

std::string Sha256sum(const std::string& path) { return Shell("sha256sum " + path).substr(0, 64); }

// ---------------------------------------------------------------------------------------------
// Pipeline files

class SpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        (fs::temp_directory_path() / ("cairn_spec_test_" + std::to_string(NowMicros()))).string();
    fs::create_directories(dir_);
    WriteText(dir_ + "/raw.txt", "raw\n");
    WriteText(dir_ + "/params.yaml", "prep:\n  threshold: 0.5\ntrain:\n  lr: 0.1\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Loads `text` as pipeline.yaml and returns the error message (empty when it loads).
  std::string Error(const std::string& text) {
    WriteText(dir_ + "/pipeline.yaml", text);
    auto p = LoadPipeline(dir_ + "/pipeline.yaml");
    return p.ok() ? "" : p.status().message();
  }

  std::string dir_;
};

TEST_F(SpecTest, LoadsStagesEdgesParamsAndOrder) {
  WriteText(dir_ + "/pipeline.yaml",
            "pipeline: digits\n"
            "params: params.yaml\n"
            "stages:\n"
            "  train:\n"
            "    cmd: cat data/prepared > model.json\n"
            "    deps: [data/prepared/, ./train.py]\n"
            "    params: [train.lr]\n"
            "    outs: [model.json]\n"
            "  prepare:\n"
            "    cmd: cp raw.txt data/prepared --since ${start_time}\n"
            "    deps: raw.txt\n"
            "    params: [prep]\n"
            "    outs: [data/prepared]\n"
            "  report:\n"
            "    cairn: eval report 'a b' \"c\\\"d\"\n"
            "    needs: [train]\n");
  WriteText(dir_ + "/train.py", "");
  auto p = LoadPipeline(dir_ + "/pipeline.yaml");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->name, "digits");
  ASSERT_EQ(p->stages.size(), 3u);
  EXPECT_EQ(p->stages[0].deps, (std::vector<std::string>{"data/prepared", "train.py"}));
  EXPECT_EQ(p->stages[0].upstream, (std::vector<int>{1}));
  EXPECT_EQ(p->stages[2].upstream, (std::vector<int>{0}));
  EXPECT_EQ(p->stages[2].cairn_args, (std::vector<std::string>{"eval", "report", "a b", "c\"d"}));
  EXPECT_TRUE(p->stages[1].uses_window);
  EXPECT_FALSE(p->stages[0].uses_window);
  EXPECT_EQ(p->order, (std::vector<int>{1, 0, 2}));
  EXPECT_EQ(p->param_values.at("train.lr"), "0.1");
  EXPECT_EQ(p->param_values.at("prep"), "{\"threshold\":\"0.5\"}");
  EXPECT_EQ(p->stages[0].location, dir_ + "/pipeline.yaml:4");
}

TEST_F(SpecTest, CycleIsNamedStageByStage) {
  const std::string e = Error(
      "stages:\n"
      "  a:\n"
      "    cmd: x\n"
      "    needs: [c]\n"
      "  b:\n"
      "    cmd: x\n"
      "    needs: [a]\n"
      "  c:\n"
      "    cmd: x\n"
      "    needs: [b]\n");
  EXPECT_EQ(e,
            dir_ + "/pipeline.yaml:2: stages form a cycle (each needs the next): a -> c -> b -> a");
}

TEST_F(SpecTest, CycleThroughOutputsIsFound) {
  const std::string e = Error(
      "stages:\n"
      "  a:\n"
      "    cmd: x\n"
      "    deps: [b.out]\n"
      "    outs: [a.out]\n"
      "  b:\n"
      "    cmd: x\n"
      "    deps: [a.out]\n"
      "    outs: [b.out]\n");
  EXPECT_EQ(e, dir_ + "/pipeline.yaml:2: stages form a cycle (each needs the next): a -> b -> a");
}

TEST_F(SpecTest, UnknownStageInNeeds) {
  const std::string e = Error(
      "stages:\n"
      "  a:\n"
      "    cmd: x\n"
      "    needs: [nope]\n");
  EXPECT_EQ(e, dir_ + "/pipeline.yaml:4: 'stages.a.needs[0]': unknown stage 'nope'");
}

TEST_F(SpecTest, TwoStagesWithTheSameOutput) {
  const std::string e = Error(
      "stages:\n"
      "  a:\n"
      "    cmd: x\n"
      "    outs: [model.json]\n"
      "  b:\n"
      "    cmd: y\n"
      "    outs:\n"
      "      - ./model.json\n");
  EXPECT_EQ(e, dir_ +
                   "/pipeline.yaml:8: stage 'b': output 'model.json' is also an output of stage "
                   "'a' (" +
                   dir_ + "/pipeline.yaml:2)");
  const std::string nested = Error(
      "stages:\n"
      "  a:\n"
      "    cmd: x\n"
      "    outs: [data]\n"
      "  b:\n"
      "    cmd: y\n"
      "    outs: [data/x]\n");
  EXPECT_NE(nested.find("pipeline.yaml:7: stage 'b': output 'data/x' overlaps an output of stage "
                        "'a'"),
            std::string::npos)
      << nested;
}

TEST_F(SpecTest, MissingDependencyThatNoStageProduces) {
  const std::string e = Error(
      "stages:\n"
      "  a:\n"
      "    cmd: x\n"
      "    deps:\n"
      "      - raw.txt\n"
      "      - missing.csv\n");
  EXPECT_EQ(e, dir_ +
                   "/pipeline.yaml:6: 'stages.a.deps[1]': dependency 'missing.csv' does not "
                   "exist and no stage produces it");
  // Produced by a stage (or inside a produced directory): fine.
  EXPECT_EQ(Error("stages:\n"
                  "  a:\n"
                  "    cmd: x\n"
                  "    deps: [gen/part.csv]\n"
                  "  b:\n"
                  "    cmd: y\n"
                  "    outs: [gen]\n"),
            "");
}

TEST_F(SpecTest, UnknownParamsKey) {
  const std::string e = Error(
      "stages:\n"
      "  a:\n"
      "    cmd: x\n"
      "    params: [train.lr, train.momentum]\n");
  EXPECT_EQ(e, dir_ +
                   "/pipeline.yaml:4: 'stages.a.params[1]': params key 'train.momentum' is not "
                   "in params.yaml");
}

TEST_F(SpecTest, UnknownFields) {
  EXPECT_EQ(Error("stages:\n"
                  "  a:\n"
                  "    cmd: x\n"
                  "    dependencies: [raw.txt]\n"),
            dir_ +
                "/pipeline.yaml:4: unknown key 'dependencies' in 'stages.a'; expected one of: "
                "cmd, cairn, deps, params, outs, needs, subscribe, shards, reduce");
  EXPECT_EQ(Error("pipeline: p\n"
                  "stage:\n"
                  "  a:\n"
                  "    cmd: x\n"),
            dir_ +
                "/pipeline.yaml:2: unknown key 'stage' in the document; expected one of: "
                "pipeline, params, stages, schedule");
}

TEST_F(SpecTest, OtherMistakes) {
  EXPECT_EQ(Error("stages:\n"
                  "  a:\n"
                  "    deps: [raw.txt]\n"),
            dir_ +
                "/pipeline.yaml:2: stage 'a' needs exactly one of 'cmd' (a shell command) and "
                "'cairn' (a built-in step)");
  EXPECT_EQ(Error("stages:\n"
                  "  a:\n"
                  "    cmd: x\n"
                  "    outs: [../elsewhere]\n"),
            dir_ +
                "/pipeline.yaml:4: 'stages.a.outs[0]': output '../elsewhere' is not inside the "
                "pipeline's directory");
  EXPECT_EQ(Error("stages:\n"
                  "  a:\n"
                  "    cmd: x\n"
                  "    outs: [o]\n"
                  "    deps: [o/x]\n"),
            dir_ + "/pipeline.yaml:5: 'stages.a.deps[0]': stage 'a' reads its own output 'o'");
  EXPECT_EQ(Error("stages:\n"
                  "  a:\n"
                  "    cairn: snapshot create 'x\n"),
            dir_ + "/pipeline.yaml:3: 'stages.a.cairn': unterminated ' quote");
}

TEST(SplitWordsTest, QuotesAndEscapes) {
  auto w = SplitWords("  a 'b c'\"d\\\"e\" f\\ g  ");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*w, (std::vector<std::string>{"a", "b cd\"e", "f g"}));
  EXPECT_FALSE(SplitWords("\"open").ok());
  EXPECT_FALSE(SplitWords("x\\").ok());
}

// ---------------------------------------------------------------------------------------------
// Keys and hashes

TEST(KeyTest, InputsTextIsTabSeparatedAndEscaped) {
  std::vector<KeyInput> in = {{"cmd", "", "echo a\tb\nc\\d"}, {"param", "train.lr", "0.1"}};
  EXPECT_EQ(InputsText(in), "cmd\t\techo a\\tb\\nc\\\\d\nparam\ttrain.lr\t0.1\n");
  auto back = ParseInputsText(InputsText(in));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, in);
  // The key is the SHA-256 of that text, as sha256sum computes it.
  const std::string dir = fs::temp_directory_path().string();
  const std::string path = dir + "/cairn_key_test_" + std::to_string(NowMicros());
  WriteText(path, InputsText(in));
  EXPECT_EQ(StageKey(in), Sha256sum(path));
  fs::remove(path);
}

TEST(KeyTest, DescribeChangesNamesEachDifference) {
  std::vector<KeyInput> before = {
      {"cmd", "", "a"}, {"param", "lr", "0.1"}, {"dep", "x.csv", "h1"}, {"upstream", "prep", "k1"}};
  std::vector<KeyInput> now = {{"cmd", "", "b"},
                               {"param", "lr", "0.1"},
                               {"param", "wd", "0"},
                               {"dep", "x.csv", "h2"},
                               {"upstream", "prep", "k2"}};
  EXPECT_EQ(DescribeChanges(before, now),
            (std::vector<std::string>{"cmd", "new param wd", "input x.csv", "upstream prep"}));
  EXPECT_EQ(DescribeChanges(now, before),
            (std::vector<std::string>{"cmd", "input x.csv", "upstream prep", "removed param wd"}));
}

TEST(KeyTest, WindowIsTemplatedInIso8601) {
  Window w{*ParseTimestampMicros("2024-05-01T00:00:00Z"),
           *ParseTimestampMicros("2024-05-02T12:30:00Z")};
  auto t = ApplyWindow("a ${start_time} b ${end_time} ${HOME} $x", w, "stage");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "a 2024-05-01T00:00:00Z b 2024-05-02T12:30:00Z ${HOME} $x");
  auto missing = ApplyWindow("x ${end_time}", std::nullopt, "p.yaml:3: stage 'a'");
  EXPECT_EQ(missing.status().message(),
            "p.yaml:3: stage 'a' uses ${end_time}: give the window with --start-time and "
            "--end-time");
}

TEST(HasherTest, FileAndDirectoryHashesMatchSha256sum) {
  const std::string dir =
      (fs::temp_directory_path() / ("cairn_hash_test_" + std::to_string(NowMicros()))).string();
  WriteText(dir + "/d/b.txt", "bee\n");
  WriteText(dir + "/d/sub/a.txt", "a\n");
  WriteText(dir + "/f.txt", "hello\n");
  auto hasher = MakeDirectHasher(2);
  auto f = hasher->Hash(dir + "/f.txt");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, PathHash::Kind::kFile);
  EXPECT_EQ(f->hash, Sha256sum(dir + "/f.txt"));
  auto d = hasher->Hash(dir + "/d");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kind, PathHash::Kind::kDirectory);
  ASSERT_EQ(d->files.size(), 2u);
  EXPECT_EQ(d->files[0].path, "b.txt");
  EXPECT_EQ(d->files[1].path, "sub/a.txt");
  // The directory hash: SHA-256 over "PATH\0HASH\n" per file, sorted by path.
  const std::string expected = Shell("cd " + dir + "/d && { printf 'b.txt\\0%s\\n' $(sha256sum " +
                                     "b.txt | cut -c1-64); printf 'sub/a.txt\\0%s\\n' " +
                                     "$(sha256sum sub/a.txt | cut -c1-64); } | sha256sum")
                                   .substr(0, 64);
  EXPECT_EQ(d->hash, expected);
  EXPECT_EQ(d->size, 6);
  auto missing = hasher->Hash(dir + "/nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->kind, PathHash::Kind::kMissing);
  // A rewritten file is hashed again, not served from the in-memory cache.
  WriteText(dir + "/f.txt", "changed content\n");
  auto again = hasher->Hash(dir + "/f.txt");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->hash, Sha256sum(dir + "/f.txt"));
  fs::remove_all(dir);
}

// ---------------------------------------------------------------------------------------------
// Running pipelines

// Four stages of shell commands; each appends a line to counts/<stage> (not an output) when
// its command runs.
//
//   a: in.txt, param pa -> a.out
//   b: a.out, param pb  -> b.out
//   c: in.txt, param pc -> cdir/ (a directory)
//   d: b.out, cdir      -> d.out
constexpr std::string_view kPipeline = R"yaml(pipeline: four
params: params.yaml
stages:
  a:
    cmd: echo x >> counts/a && printf '%s-a' "$(cat in.txt)" > a.out
    deps: [in.txt]
    params: [pa]
    outs: [a.out]
  b:
    cmd: echo x >> counts/b && { cat a.out; echo -b; } > b.out
    deps: [a.out]
    params: [pb]
    outs: [b.out]
  c:
    cmd: echo x >> counts/c && mkdir -p cdir/sub && echo one > cdir/1.txt && echo two > cdir/sub/2.txt
    deps: [in.txt]
    params: [pc]
    outs: [cdir]
  d:
    cmd: echo x >> counts/d && cat b.out cdir/1.txt cdir/sub/2.txt > d.out
    deps: [b.out, cdir]
    outs: [d.out]
)yaml";

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tw_.status().ok()) << tw_.status().ToString();
    dir_ = tw_.dir() + "/project";
    WriteText(dir_ + "/in.txt", "hello");
    WriteText(dir_ + "/params.yaml", "pa: 1\npb: 2\npc: 3\n");
    fs::create_directories(dir_ + "/counts");
    WriteFile(std::string(kPipeline));
  }

  void WriteFile(const std::string& text) { WriteText(dir_ + "/pipeline.yaml", text); }

  Pipeline Load() {
    auto p = LoadPipeline(dir_ + "/pipeline.yaml");
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : Pipeline{};
  }

  RunReport Run(const RunOptions& o = {}) {
    Pipeline p = Load();
    auto ex = MakeLocalExecutor(2, nullptr);
    auto r = RunPipeline(tw_.ws(), p, *ex, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : RunReport{};
  }

  // Stage -> status name.
  static std::map<std::string, std::string> Statuses(const RunReport& r) {
    std::map<std::string, std::string> m;
    for (const auto& s : r.stages) m[s.stage] = std::string(StageStatusName(s.status));
    return m;
  }

  static std::set<std::string> WithStatus(const RunReport& r, StageStatus status) {
    std::set<std::string> out;
    for (const auto& s : r.stages) {
      if (s.status == status) out.insert(s.stage);
    }
    return out;
  }

  std::map<std::string, std::string> States(const std::optional<Window>& w = std::nullopt) {
    auto states = PipelineStatus(tw_.ws(), Load(), w);
    EXPECT_TRUE(states.ok()) << states.status().ToString();
    std::map<std::string, std::string> m;
    if (!states.ok()) return m;
    for (const auto& s : *states) {
      m[s.stage] = std::string(StageStateName(s.kind)) + (s.reason.empty() ? "" : ": ") + s.reason;
    }
    return m;
  }

  int Counter(const std::string& stage) { return Count(dir_ + "/counts/" + stage); }

  TestWorkspace tw_;
  std::string dir_;
};

TEST_F(RunnerTest, FirstRunRunsAllSecondSkipsAll) {
  RunReport first = Run();
  EXPECT_EQ(first.run.status, "succeeded");
  EXPECT_EQ(Statuses(first), (std::map<std::string, std::string>{
                                 {"a", "ran"}, {"b", "ran"}, {"c", "ran"}, {"d", "ran"}}));
  for (const auto& s : first.stages) EXPECT_EQ(s.reason, "never ran") << s.stage;
  EXPECT_EQ(ReadText(dir_ + "/d.out"), "hello-a-b\none\ntwo\n");
  EXPECT_EQ(
      States(),
      (std::map<std::string, std::string>{
          {"a", "up to date"}, {"b", "up to date"}, {"c", "up to date"}, {"d", "up to date"}}));
  RunReport second = Run();
  EXPECT_EQ(Statuses(second),
            (std::map<std::string, std::string>{
                {"a", "skipped"}, {"b", "skipped"}, {"c", "skipped"}, {"d", "skipped"}}));
  for (const char* s : {"a", "b", "c", "d"}) EXPECT_EQ(Counter(s), 1) << s;
  // Both runs are recorded, each with four stages.
  auto runs = ListPipelineRuns(tw_.ws().catalog(), "four", 10);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  auto stages = ListStageRuns(tw_.ws().catalog(), (*runs)[0].id);
  ASSERT_TRUE(stages.ok());
  EXPECT_EQ(stages->size(), 4u);
}

TEST_F(RunnerTest, ChangedParamRerunsExactlyTheStagesDownstream) {
  Run();
  WriteText(dir_ + "/params.yaml", "pa: 1\npb: 2\npc: 30\n");
  EXPECT_EQ(States(),
            (std::map<std::string, std::string>{{"a", "up to date"},
                                                {"b", "up to date"},
                                                {"c", "would run: changed: param pc"},
                                                {"d", "would run: upstream 'c' would run"}}));
  RunReport r = Run();
  EXPECT_EQ(WithStatus(r, StageStatus::kRan), (std::set<std::string>{"c", "d"}));
  EXPECT_EQ(WithStatus(r, StageStatus::kSkipped), (std::set<std::string>{"a", "b"}));
  WriteText(dir_ + "/params.yaml", "pa: 10\npb: 2\npc: 30\n");
  r = Run();
  EXPECT_EQ(WithStatus(r, StageStatus::kRan), (std::set<std::string>{"a", "b", "d"}));
  EXPECT_EQ(WithStatus(r, StageStatus::kSkipped), (std::set<std::string>{"c"}));
  EXPECT_EQ(Counter("a"), 2);
  EXPECT_EQ(Counter("b"), 2);
  EXPECT_EQ(Counter("c"), 2);
  EXPECT_EQ(Counter("d"), 3);
  // Back to the first values: every key was completed before, so nothing runs; outputs
  // that differ from the first run's come back from the run cache.
  WriteText(dir_ + "/params.yaml", "pa: 1\npb: 2\npc: 3\n");
  r = Run();
  EXPECT_TRUE(WithStatus(r, StageStatus::kRan).empty());
  EXPECT_EQ(Counter("d"), 3);
}

TEST_F(RunnerTest, ChangedInputAndCommandAreNamed) {
  Run();
  WriteText(dir_ + "/in.txt", "bye");
  std::string text(kPipeline);
  text.replace(text.find("echo -b"), 7, "echo -B");
  WriteFile(text);
  auto states = States();
  EXPECT_EQ(states["a"], "would run: changed: input in.txt");
  EXPECT_EQ(states["b"], "would run: upstream 'a' would run");
  EXPECT_EQ(states["c"], "would run: changed: input in.txt");
  RunReport r = Run();
  std::map<std::string, std::string> reasons;
  for (const auto& s : r.stages) reasons[s.stage] = s.reason;
  EXPECT_EQ(reasons["b"], "changed: cmd, input a.out, upstream a");
  EXPECT_EQ(ReadText(dir_ + "/d.out"), "bye-a-B\none\ntwo\n");
}

TEST_F(RunnerTest, DeletedOutputsAreRestoredWithoutRunning) {
  Run();
  fs::remove(dir_ + "/b.out");
  fs::remove_all(dir_ + "/cdir");
  WriteText(dir_ + "/d.out", "edited by hand");
  EXPECT_EQ(States(), (std::map<std::string, std::string>{
                          {"a", "up to date"},
                          {"b", "would restore: outputs missing or changed: b.out"},
                          {"c", "would restore: outputs missing or changed: cdir"},
                          {"d", "would restore: outputs missing or changed: d.out"}}));
  RunReport r = Run();
  EXPECT_EQ(WithStatus(r, StageStatus::kRestored), (std::set<std::string>{"b", "c", "d"}));
  for (const char* s : {"a", "b", "c", "d"}) EXPECT_EQ(Counter(s), 1) << s;
  EXPECT_EQ(ReadText(dir_ + "/b.out"), "hello-a-b\n");
  EXPECT_EQ(ReadText(dir_ + "/cdir/1.txt"), "one\n");
  EXPECT_EQ(ReadText(dir_ + "/cdir/sub/2.txt"), "two\n");
  EXPECT_EQ(ReadText(dir_ + "/d.out"), "hello-a-b\none\ntwo\n");
  EXPECT_EQ(Statuses(Run()),
            (std::map<std::string, std::string>{
                {"a", "skipped"}, {"b", "skipped"}, {"c", "skipped"}, {"d", "skipped"}}));
}

TEST_F(RunnerTest, DamagedCacheObjectIsDetectedAndRecomputed) {
  Run();
  // Damage the stored copy of a.out ("hello-a") and of one file of cdir ("one\n").
  const std::string a_blob = Sha256sum(dir_ + "/a.out");
  const std::string one_blob = Sha256sum(dir_ + "/cdir/1.txt");
  ASSERT_TRUE(tw_.ws().objects().Put(store::BlobStore::KeyOf(a_blob), "hellO-a").ok());
  ASSERT_TRUE(tw_.ws().objects().Delete(store::BlobStore::KeyOf(one_blob)).ok());
  fs::remove(dir_ + "/a.out");
  fs::remove_all(dir_ + "/cdir");
  RunReport r = Run();
  std::map<std::string, StageOutcome> by;
  for (const auto& s : r.stages) by[s.stage] = s;
  EXPECT_EQ(by["a"].status, StageStatus::kRan);
  EXPECT_NE(by["a"].reason.find("blob " + a_blob + " is damaged"), std::string::npos)
      << by["a"].reason;
  EXPECT_EQ(by["c"].status, StageStatus::kRan);
  EXPECT_NE(by["c"].reason.find("blob " + one_blob + " is missing"), std::string::npos)
      << by["c"].reason;
  EXPECT_EQ(by["b"].status, StageStatus::kSkipped);
  EXPECT_EQ(Counter("a"), 2);
  EXPECT_EQ(Counter("c"), 2);
  EXPECT_EQ(ReadText(dir_ + "/a.out"), "hello-a");
  // The recomputation stored good copies again: a later restore works.
  fs::remove(dir_ + "/a.out");
  r = Run();
  EXPECT_EQ(WithStatus(r, StageStatus::kRestored), (std::set<std::string>{"a"}));
  EXPECT_EQ(ReadText(dir_ + "/a.out"), "hello-a");
}

TEST_F(RunnerTest, FailedStageStopsDownstreamAndRecordsNoOutputs) {
  std::string text(kPipeline);
  const std::string b_cmd = "{ cat a.out; echo -b; } > b.out";
  text.replace(text.find(b_cmd), b_cmd.size(), "echo partial > b.out; exit 3");
  WriteFile(text);
  RunReport r = Run();
  EXPECT_EQ(r.run.status, "failed");
  EXPECT_EQ(r.failed_stage, "b");
  std::map<std::string, StageOutcome> by;
  for (const auto& s : r.stages) by[s.stage] = s;
  EXPECT_EQ(by["b"].status, StageStatus::kFailed);
  EXPECT_EQ(by["b"].exit_code, 3);
  EXPECT_EQ(by["b"].reason, "exit status 3");
  EXPECT_EQ(by["d"].status, StageStatus::kNotRun);
  EXPECT_EQ(by["d"].reason, "upstream 'b' failed");
  EXPECT_EQ(Counter("d"), 0);
  // Nothing is recorded for b in the run cache.
  auto rows = tw_.ws().catalog().Query("SELECT COUNT(*) FROM pipeline_cache WHERE stage = 'b'");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->rows[0][0].int64(), 0);
  auto recorded = tw_.ws().catalog().Query(
      "SELECT status, exit_code FROM pipeline_stage_runs WHERE stage = 'b'");
  ASSERT_TRUE(recorded.ok());
  ASSERT_EQ(recorded->rows.size(), 1u);
  EXPECT_EQ(recorded->rows[0][0].bytes(), "failed");
  EXPECT_EQ(recorded->rows[0][1].int64(), 3);
  // The failed stage's key is not complete: status still says it would run.
  EXPECT_EQ(States()["b"], "would run: never ran");
}

TEST_F(RunnerTest, FirstFailureStopsSchedulingNewStages) {
  // One stage fails at once; its independent sibling, later in the file, never starts with
  // one job slot.
  WriteFile(
      "stages:\n"
      "  bad:\n"
      "    cmd: exit 1\n"
      "  later:\n"
      "    cmd: echo x >> counts/later\n");
  Pipeline p = Load();
  auto ex = MakeLocalExecutor(1, nullptr);
  auto r = RunPipeline(tw_.ws(), p, *ex, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Statuses(*r),
            (std::map<std::string, std::string>{{"bad", "failed"}, {"later", "not-run"}}));
  EXPECT_EQ(r->stages.back().reason, "not started: stage 'bad' failed");
  EXPECT_EQ(Counter("later"), 0);
}

TEST_F(RunnerTest, IndependentStagesRunInParallel) {
  // Two stages that each wait for the other's marker file can only finish when they run at
  // the same time.
  WriteFile(
      "stages:\n"
      "  left:\n"
      "    cmd: touch left.ready; for i in $(seq 100); do [ -f right.ready ] && exit 0; sleep "
      "0.05; done; exit 1\n"
      "  right:\n"
      "    cmd: touch right.ready; for i in $(seq 100); do [ -f left.ready ] && exit 0; sleep "
      "0.05; done; exit 1\n");
  RunReport r = Run();
  EXPECT_EQ(Statuses(r), (std::map<std::string, std::string>{{"left", "ran"}, {"right", "ran"}}));
}

TEST_F(RunnerTest, WindowsGiveDistinctKeys) {
  WriteFile(
      "stages:\n"
      "  ingest:\n"
      "    cmd: echo ${start_time} ${end_time} >> counts/ingest && echo ${start_time} > w.txt\n"
      "    outs: [w.txt]\n"
      "  later:\n"
      "    cmd: cat w.txt > later.txt\n"
      "    deps: [w.txt]\n"
      "    outs: [later.txt]\n");
  const Window day1{*ParseTimestampMicros("2024-05-01"), *ParseTimestampMicros("2024-05-02")};
  const Window day2{*ParseTimestampMicros("2024-05-02"), *ParseTimestampMicros("2024-05-03")};
  RunOptions o1;
  o1.window = day1;
  RunOptions o2;
  o2.window = day2;
  RunReport r1 = Run(o1);
  RunReport r2 = Run(o2);
  ASSERT_EQ(r1.stages.size(), 2u);
  ASSERT_EQ(r2.stages.size(), 2u);
  EXPECT_NE(r1.stages[0].key, r2.stages[0].key);
  EXPECT_NE(r1.stages[1].key, r2.stages[1].key);
  EXPECT_EQ(ReadText(dir_ + "/counts/ingest"),
            "2024-05-01T00:00:00Z 2024-05-02T00:00:00Z\n"
            "2024-05-02T00:00:00Z 2024-05-03T00:00:00Z\n");
  // The first window again: its key is complete, its outputs come back from the cache.
  RunReport again = Run(o1);
  EXPECT_EQ(Statuses(again),
            (std::map<std::string, std::string>{{"ingest", "restored"}, {"later", "restored"}}));
  EXPECT_EQ(again.stages[0].key, r1.stages[0].key);
  EXPECT_EQ(ReadText(dir_ + "/w.txt"), "2024-05-01T00:00:00Z\n");
  EXPECT_EQ(Count(dir_ + "/counts/ingest"), 2);
  // Without a window the stage cannot run.
  RunReport none = Run();
  EXPECT_EQ(none.failed_stage, "ingest");
  EXPECT_NE(none.stages[0].reason.find("uses ${start_time}"), std::string::npos);
}

TEST_F(RunnerTest, SelectedStageRunsWithItsUpstreamOnly) {
  RunOptions o;
  o.stages = {"b"};
  RunReport r = Run(o);
  EXPECT_EQ(Statuses(r), (std::map<std::string, std::string>{{"a", "ran"}, {"b", "ran"}}));
  EXPECT_EQ(Counter("c"), 0);
  RunOptions bad;
  bad.stages = {"nope"};
  Pipeline p = Load();
  auto ex = MakeLocalExecutor(1, nullptr);
  EXPECT_EQ(RunPipeline(tw_.ws(), p, *ex, bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RunnerTest, ForceRerunsTheNamedStageOnly) {
  Run();
  RunOptions o;
  o.stages = {"b"};
  o.force = true;
  RunReport r = Run(o);
  EXPECT_EQ(Statuses(r), (std::map<std::string, std::string>{{"a", "skipped"}, {"b", "ran"}}));
  EXPECT_EQ(r.stages[1].reason, "forced");
  EXPECT_EQ(Counter("b"), 2);
  EXPECT_EQ(Counter("a"), 1);
}

TEST_F(RunnerTest, RunTaskNeedsCompleteUpstreamAndRestoresItsOutputs) {
  RunOptions task;
  task.stages = {"d"};
  task.only_named = true;
  Pipeline p = Load();
  auto ex = MakeLocalExecutor(1, nullptr);
  auto early = RunPipeline(tw_.ws(), p, *ex, task);
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.status().message().find("upstream stage 'a' is not complete"), std::string::npos)
      << early.status().ToString();
  Run();
  fs::remove(dir_ + "/b.out");
  fs::remove(dir_ + "/d.out");
  RunReport r = Run(task);
  EXPECT_EQ(Statuses(r),
            (std::map<std::string, std::string>{{"b", "restored"}, {"d", "restored"}}));
  EXPECT_EQ(Counter("d"), 1);
  task.force = true;
  r = Run(task);
  EXPECT_EQ(Statuses(r), (std::map<std::string, std::string>{{"d", "ran"}}));
  EXPECT_EQ(Counter("d"), 2);
}

TEST_F(RunnerTest, LogsAreCapturedAndStored) {
  WriteFile(
      "stages:\n"
      "  talk:\n"
      "    cmd: echo out1; echo err1 >&2; printf 'no newline'\n");
  std::vector<std::string> lines;
  Pipeline p = Load();
  auto ex = MakeLocalExecutor(1, [&](std::string_view stage, bool is_err, std::string_view line) {
    lines.push_back(std::string(stage) + (is_err ? " E " : " O ") + std::string(line));
  });
  auto r = RunPipeline(tw_.ws(), p, *ex, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"talk E err1", "talk O no newline", "talk O out1"}));
  auto out = tw_.ws().blobs().GetBlob(r->stages[0].stdout_blob);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "out1\nno newline");
  auto err = tw_.ws().blobs().GetBlob(r->stages[0].stderr_blob);
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(*err, "err1\n");
}

TEST_F(RunnerTest, MissingDeclaredOutputFailsTheStage) {
  WriteFile(
      "stages:\n"
      "  lazy:\n"
      "    cmd: 'true'\n"
      "    outs: [never.txt]\n");
  RunReport r = Run();
  ASSERT_EQ(r.stages.size(), 1u);
  EXPECT_EQ(r.stages[0].status, StageStatus::kFailed);
  EXPECT_EQ(r.stages[0].reason, "output 'never.txt' was not created");
}

}  // namespace
}  // namespace cairn::pipeline
