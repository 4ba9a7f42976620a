// Tests of run tracking on a fresh workspace per test (SQLite, or PostgreSQL when
// CAIRN_TEST_POSTGRES is set; see src/track/CMakeLists.txt).

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "data/test_workspace.h"
#include "track/runs.h"

namespace cairn::track {
namespace {

using data::testing::TestWorkspace;

StartOptions Quick(std::string name) {
  StartOptions o;
  o.name = std::move(name);
  o.capture_environment = false;
  return o;
}

// The ids of `t`'s rows, in order.
std::vector<std::string> Ids(const table::Table& t) {
  std::vector<std::string> ids;
  const table::Column* id = t.ColumnByName("id");
  for (int64_t i = 0; i < t.num_rows(); ++i) ids.emplace_back(id->String(i));
  return ids;
}

// A process id that no longer exists: a child that has exited and been reaped.
int64_t DeadPid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  return child;
}

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

class TrackTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(tw_.status().ok()) << tw_.status().ToString(); }
  data::Workspace& ws() { return tw_.ws(); }
  std::string Start(const std::string& name, const std::vector<KeyValue>& params = {},
                    const std::vector<KeyValue>& tags = {}) {
    StartOptions o = Quick(name);
    o.params = params;
    o.tags = tags;
    auto run = StartRun(ws(), o);
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    return run.ok() ? run->id : "";
  }
  TestWorkspace tw_;
};

TEST(ParseKeyValueTest, SplitsAtTheFirstEqualsAndChecksTheKey) {
  auto kv = ParseKeyValue("param", "opt=a=b");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "opt");
  EXPECT_EQ(kv->second, "a=b");
  auto missing = ParseKeyValue("param", "lr");
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().message(), "param 'lr': expected KEY=VALUE");
  EXPECT_EQ(ParseKeyValue("tag", "=x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseKeyValue("tag", "9lives=x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseKeyValue("tag", "a b=x").status().code(), StatusCode::kInvalidArgument);
}

TEST(InferParamTypeTest, IntegersFloatsAndTheRest) {
  EXPECT_EQ(InferParamType("32"), "int64");
  EXPECT_EQ(InferParamType("-7"), "int64");
  EXPECT_EQ(InferParamType("0.01"), "float64");
  EXPECT_EQ(InferParamType("1e-3"), "float64");
  EXPECT_EQ(InferParamType("99999999999999999999"), "float64");  // beyond int64
  EXPECT_EQ(InferParamType("nan"), "string");
  EXPECT_EQ(InferParamType("inf"), "string");
  EXPECT_EQ(InferParamType("0x10"), "string");
  EXPECT_EQ(InferParamType("adam"), "string");
  EXPECT_EQ(InferParamType(""), "string");
  EXPECT_EQ(InferParamType(" 3"), "string");
}

TEST(ParseMetricLinesTest, ReadsPointsAndNamesFileAndLine) {
  auto points = ParseMetricLines(
      "{\"key\": \"loss\", \"value\": 0.5, \"step\": 1}\n\n{\"value\": 2, \"key\": \"acc\"}\n",
      "m.jsonl");
  ASSERT_TRUE(points.ok()) << points.status().ToString();
  ASSERT_EQ(points->size(), 2u);
  EXPECT_EQ((*points)[0].key, "loss");
  EXPECT_EQ((*points)[0].step, 1);
  EXPECT_EQ((*points)[0].value, 0.5);
  EXPECT_EQ((*points)[1].key, "acc");
  EXPECT_EQ((*points)[1].step, 0);
  EXPECT_EQ((*points)[1].value, 2.0);

  auto bad_value = ParseMetricLines(
      "{\"key\": \"a\", \"value\": 1}\n{\"key\": \"a\", \"value\": "
      "\"x\"}\n",
      "m.jsonl");
  EXPECT_EQ(bad_value.status().message(), "m.jsonl:2: 'value' must be a finite number");
  EXPECT_EQ(ParseMetricLines("{\"key\": \"a\"}", "f").status().message(), "f:1: missing 'value'");
  EXPECT_EQ(ParseMetricLines("[1]", "f").status().message(), "f:1: expected a JSON object");
  EXPECT_EQ(
      ParseMetricLines("{\"key\": \"a\", \"value\": 1, \"step\": 1.5}", "f").status().message(),
      "f:1: 'step' must be an integer");
  EXPECT_EQ(
      ParseMetricLines("{\"key\": \"a\", \"value\": 1, \"epoch\": 1}", "f").status().message(),
      "f:1: unknown field 'epoch' (expected key, value, step)");
}

TEST_F(TrackTest, StartRecordsParamsTagsAndARandomId) {
  const std::string a =
      Start("resnet", {{"lr", "0.01"}, {"batch", "32"}}, {{"team", "perception"}});
  const std::string b = Start("resnet");
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  auto run = GetRun(ws(), a.substr(0, 8));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->id, a);
  EXPECT_EQ(run->name, "resnet");
  EXPECT_EQ(run->status, RunStatus::kRunning);
  EXPECT_EQ(run->pid, static_cast<int64_t>(getpid()));
  ASSERT_EQ(run->params.size(), 2u);
  EXPECT_EQ(run->params[0].key, "batch");
  EXPECT_EQ(run->params[0].type, "int64");
  EXPECT_EQ(run->params[1].key, "lr");
  EXPECT_EQ(run->params[1].value, "0.01");
  EXPECT_EQ(run->params[1].type, "float64");
  ASSERT_EQ(run->tags.size(), 1u);
  EXPECT_EQ(run->tags[0], (KeyValue{"team", "perception"}));
}

TEST_F(TrackTest, ParamsAreImmutable) {
  const std::string id = Start("r", {{"lr", "0.01"}});
  EXPECT_TRUE(SetParams(ws(), id, {{"lr", "0.01"}}).ok());
  Status changed = SetParams(ws(), id, {{"epochs", "10"}, {"lr", "0.02"}});
  EXPECT_EQ(changed.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(changed.message().find("param 'lr' is already '0.01'"), std::string::npos)
      << changed.ToString();
  EXPECT_NE(changed.message().find("'0.02'"), std::string::npos);
  auto run = GetRun(ws(), id);
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->params.size(), 1u);  // "epochs" was not written either
  EXPECT_EQ(run->params[0].value, "0.01");
  EXPECT_EQ(SetParams(ws(), id, {{"x", "1"}, {"x", "2"}}).code(), StatusCode::kInvalidArgument);
}

TEST_F(TrackTest, TagsMayChange) {
  const std::string id = Start("r", {}, {{"team", "a"}});
  ASSERT_TRUE(SetTags(ws(), id, {{"team", "b"}, {"stage", "dev"}}).ok());
  auto run = GetRun(ws(), id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->tags, (std::vector<KeyValue>{{"stage", "dev"}, {"team", "b"}}));
}

TEST_F(TrackTest, MetricSeriesComeBackInStepOrder) {
  const std::string id = Start("r");
  ASSERT_TRUE(LogMetrics(ws(), id, {{"loss", 3, 0.3, 0}, {"acc", 1, 0.6, 0}}).ok());
  ASSERT_TRUE(LogMetrics(ws(), id, {{"loss", 1, 0.9, 0}, {"loss", 2, 0.5, 0}}).ok());
  Status nan = LogMetrics(ws(), id, {{"loss", 4, 0.1, 0}, {"loss", 5, std::nan(""), 0}});
  EXPECT_EQ(nan.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(nan.message(), "metric 'loss' at step 5: value must be finite");
  EXPECT_EQ(LogMetrics(ws(), id, {{"loss", 6, HUGE_VAL, 0}}).code(), StatusCode::kInvalidArgument);
  auto run = GetRun(ws(), id);
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->metrics.size(), 4u);  // nothing of the rejected batches
  EXPECT_EQ(run->metrics[0].key, "acc");
  std::vector<std::pair<int64_t, double>> loss;
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(run->metrics[i].key, "loss");
    loss.emplace_back(run->metrics[i].step, run->metrics[i].value);
  }
  EXPECT_EQ(loss, (std::vector<std::pair<int64_t, double>>{{1, 0.9}, {2, 0.5}, {3, 0.3}}));
}

TEST_F(TrackTest, EndRunOnce) {
  const std::string id = Start("r");
  ASSERT_TRUE(EndRun(ws(), id, RunStatus::kFailed, 3).ok());
  auto run = GetRun(ws(), id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kFailed);
  EXPECT_EQ(run->exit_code, 3);
  EXPECT_TRUE(run->ended_at.has_value());
  EXPECT_EQ(EndRun(ws(), id, RunStatus::kFinished, std::nullopt).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(EndRun(ws(), Start("s"), RunStatus::kRunning, std::nullopt).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(TrackTest, UnknownRunAndSnapshot) {
  EXPECT_EQ(GetRun(ws(), "0123456789abcdef").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(GetRun(ws(), "xyz!").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(GetRun(ws(), "ab").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SetParams(ws(), "abcdabcd", {{"a", "1"}}).code(), StatusCode::kNotFound);
  StartOptions o = Quick("r");
  o.snapshot = "deadbeef";
  auto run = StartRun(ws(), o);
  EXPECT_EQ(run.status().code(), StatusCode::kNotFound);
  EXPECT_NE(run.status().message().find("no snapshot 'deadbeef'"), std::string::npos);

  const std::string snap(64, 'c');
  auto& c = ws().catalog();
  ASSERT_TRUE(c.Execute("INSERT INTO datasets (name, created_at) VALUES ('d', 1)").ok());
  ASSERT_TRUE(c.Execute("INSERT INTO snapshots (id, dataset, definition, created_at) VALUES (?, "
                        "'d', '{}', 1)",
                        {catalog::Value::Text(snap)})
                  .ok());
  o.snapshot = "cccc";
  run = StartRun(ws(), o);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->snapshot_id, snap);
}

TEST_F(TrackTest, StaleRunningRunsAreMarkedFailed) {
  StartOptions o = Quick("dead");
  o.pid = DeadPid();
  auto dead = StartRun(ws(), o);
  ASSERT_TRUE(dead.ok()) << dead.status().ToString();
  // StartRun read the run back, which already found its process gone.
  EXPECT_EQ(dead->status, RunStatus::kFailed);
  EXPECT_TRUE(dead->ended_at.has_value());
  const std::string alive = Start("alive");
  StartOptions unwatched = Quick("unwatched");
  unwatched.pid = -1;
  auto none = StartRun(ws(), unwatched);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->pid, 0);
  o.name = "elsewhere";
  auto other = StartRun(ws(), o);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(ws().catalog()
                  .Execute("UPDATE runs SET host = 'another-host', status = 'running' WHERE id = ?",
                           {catalog::Value::Text(other->id)})
                  .ok());
  auto list = ListRuns(ws(), {"status = 'running'", "name", 0});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(Ids(*list), (std::vector<std::string>{alive, other->id, none->id}));
  auto stored = ws().catalog().Query("SELECT status FROM runs WHERE id = ?",
                                     {catalog::Value::Text(dead->id)});
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->rows[0][0].bytes(), "failed");
}

TEST_F(TrackTest, ListFiltersAndSorts) {
  const std::string r1 = Start("r1", {{"lr", "0.1"}, {"batch", "32"}}, {{"team", "perception"}});
  const std::string r2 = Start("r2", {{"lr", "0.01"}, {"batch", "64"}}, {{"team", "planning"}});
  const std::string r3 = Start("r3", {{"lr", "0.05"}, {"batch", "32"}});
  const std::string r4 = Start("r4", {{"lr", "0.001"}}, {{"team", "perception"}});
  ASSERT_TRUE(LogMetrics(ws(), r1, {{"val_f1", 1, 0.5, 0}, {"val_f1", 2, 0.7, 0}}).ok());
  ASSERT_TRUE(LogMetrics(ws(), r2, {{"val_f1", 1, 0.85, 0}}).ok());
  // The latest value is the one at the highest step, not the one logged last.
  ASSERT_TRUE(LogMetrics(ws(), r3, {{"val_f1", 5, 0.9, 0}}).ok());
  ASSERT_TRUE(LogMetrics(ws(), r3, {{"val_f1", 3, 0.95, 0}}).ok());

  auto all = ListRuns(ws(), {});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->num_rows(), 4);
  EXPECT_EQ(all->schema().field(all->schema().num_fields() - 1).name, "tags.team");
  EXPECT_EQ(all->ColumnByName("params.lr")->type(), table::DataType::Float64());
  EXPECT_EQ(all->ColumnByName("params.batch")->type(), table::DataType::Int64());
  EXPECT_EQ(all->ColumnByName("metrics.val_f1")->type(), table::DataType::Float64());

  auto list = ListRuns(ws(), {"params.lr < 0.1 and metrics.val_f1 > 0.8", "-metrics.val_f1", 0});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(Ids(*list), (std::vector<std::string>{r3, r2}));
  list = ListRuns(ws(), {"", "metrics.val_f1", 0});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(Ids(*list), (std::vector<std::string>{r1, r2, r3, r4}));  // null last
  list = ListRuns(ws(), {"", "-metrics.val_f1", 0});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(Ids(*list), (std::vector<std::string>{r3, r2, r1, r4}));  // null last
  list = ListRuns(ws(), {"tags.team = 'perception'", "params.lr", 0});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(Ids(*list), (std::vector<std::string>{r4, r1}));
  list = ListRuns(ws(), {"params.batch = 32", "-params.lr", 1});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(Ids(*list), (std::vector<std::string>{r1}));
  list = ListRuns(ws(), {"", "-name", 2});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(Ids(*list), (std::vector<std::string>{r4, r3}));

  EXPECT_EQ(ListRuns(ws(), {"params.momentum > 1", "", 0}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ListRuns(ws(), {"", "metrics.nope", 0}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ListRuns(ws(), {"params.lr <", "", 0}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TrackTest, ParamColumnTypeComesFromEveryRun) {
  Start("a", {{"opt", "3"}, {"warmup", "1"}});
  Start("b", {{"opt", "adam"}, {"warmup", "0.5"}});
  auto all = ListRuns(ws(), {"", "name", 0});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->ColumnByName("params.opt")->type(), table::DataType::String());
  const table::Column* warmup = all->ColumnByName("params.warmup");
  EXPECT_EQ(warmup->type(), table::DataType::Float64());
  EXPECT_EQ(warmup->Double(0), 1.0);
  EXPECT_EQ(warmup->Double(1), 0.5);
}

TEST(CaptureEnvironmentTest, RecordsGitStateAndVariables) {
  if (Shell("git --version 2>/dev/null").empty()) GTEST_SKIP() << "git is not installed";
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("cairn_track_git_" + std::to_string(getpid())))
          .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/a.txt") << "one\n";
  const std::string git = "git -C '" + dir + "' -c user.name=t -c user.email=t@example.com ";
  Shell(git + "init -q && " + git + "add a.txt && " + git + "commit -q -m one");
  const std::string head = Shell(git + "rev-parse HEAD");
  ASSERT_EQ(head.size(), 41u);
  setenv("CAIRN_CATALOG", "postgresql://me:secret@db/cairn", 1);
  auto env = CaptureEnvironment(dir);
  auto get = [&](const std::string& key) {
    for (const auto& [k, v] : env) {
      if (k == key) return v;
    }
    return std::string("<absent>");
  };
  EXPECT_EQ(get("git_commit"), head.substr(0, 40));
  EXPECT_EQ(get("git_dirty"), "false");
  EXPECT_EQ(get("git_diff_sha256"), "<absent>");
  EXPECT_EQ(get("env.CAIRN_CATALOG"), "postgresql://me:***@db/cairn");
  EXPECT_NE(get("os"), "<absent>");
  EXPECT_NE(get("cairn_version"), "<absent>");
  // Library versions as the Debian packages that provide them state (3.40.1-2 -> 3.40.1).
  for (const auto& [key, package] :
       {std::pair<std::string, std::string>{"lib.sqlite", "libsqlite3-0"},
        {"lib.zstd", "libzstd1"}}) {
    const std::string version = Shell("dpkg-query -W -f='${Version}' " + package);
    if (version.empty()) continue;  // not a Debian system
    const std::string upstream = version.substr(0, version.find_first_of("-+~"));
    EXPECT_EQ(get(key), upstream) << key;
  }
  EXPECT_NE(get("lib.openssl"), "<absent>");

  std::ofstream(dir + "/a.txt") << "two\n";
  env = CaptureEnvironment(dir);
  EXPECT_EQ(get("git_dirty"), "true");
  // The digest sha256sum gives for the same diff.
  const std::string expected = Shell(git + "diff HEAD | sha256sum").substr(0, 64);
  EXPECT_EQ(get("git_diff_sha256"), expected);
  unsetenv("CAIRN_CATALOG");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cairn::track
