// End-to-end tests of `cairn pipeline schedule`, subscriptions and `export-airflow` through
// the binary: two schedulers racing on the same windows (SQLite, or PostgreSQL when
// CAIRN_TEST_POSTGRES names a server), a daemon woken by a new commit, and an exported DAG
// checked against its golden file, Python's compiler and a stub `airflow` package.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/time.h"
#include "catalog/catalog.h"
#include "e2e_util.h"

namespace cairn::test {
namespace {

class ScheduleE2eTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    project_ = Tmp("project");
    fs::create_directories(project_);
    if (const char* pg = std::getenv("CAIRN_TEST_POSTGRES"); pg != nullptr && *pg != '\0') {
      admin_uri_ = pg;
      auto admin = catalog::Connect(admin_uri_);
      ASSERT_TRUE(admin.ok()) << admin.status().ToString();
      database_ = "cairn_sched_" + std::to_string(::getpid()) + "_" +
                  std::to_string(NowMicros() % 1000000000);
      ASSERT_TRUE((*admin)->Execute("CREATE DATABASE " + database_).ok());
      const std::string base = admin_uri_.substr(0, admin_uri_.find('?'));
      env_ = "CAIRN_CATALOG=" + Quote(base.substr(0, base.rfind('/') + 1) + database_) + " ";
    }
    ASSERT_EQ(Shell(env_ + Quote(CAIRN_BINARY) + " init " + Quote(dir_)).exit_code, 0);
  }

  void TearDown() override {
    if (!database_.empty()) {
      auto admin = catalog::Connect(admin_uri_);
      if (admin.ok()) (void)(*admin)->Execute("DROP DATABASE " + database_ + " WITH (FORCE)");
    }
    CliTest::TearDown();
  }

  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(project_ + "/" + rel, std::ios::binary) << text;
  }

  // The shell command line running cairn in the project directory on the test's workspace.
  std::string Line(const std::vector<std::string>& args) {
    std::string cmd = "cd " + Quote(project_) + " && " + env_ + "CAIRN_HOME=" + Quote(dir_) +
                      " CAIRN_PROGRESS=0 " + Quote(CAIRN_BINARY);
    for (const auto& a : args) cmd += " " + Quote(a);
    return cmd;
  }

  RunResult Cairn(const std::vector<std::string>& args) { return Shell(Line(args)); }

  std::string project_;
  std::string env_;
  std::string admin_uri_;
  std::string database_;
};

TEST_F(ScheduleE2eTest, TwoRacingSchedulersRunEachWindowOnce) {
  // Ten daily windows are due (2024-01-01 .. 2024-01-11); each run appends its window.
  Write("pipeline.yaml",
        "pipeline: race\n"
        "schedule:\n"
        "  cron: 0 0 * * *\n"
        "  catchup: true\n"
        "  start: 2024-01-01T00:00:00Z\n"
        "stages:\n"
        "  count:\n"
        "    cmd: echo ${start_time} >> counter.txt && sleep 0.05\n");
  const std::vector<std::string> args = {
      "pipeline", "schedule", "--once", "--until", "2024-01-11T00:00:00Z", "--json"};
  const std::string both = "(" + Line(args) + " > " + Quote(Tmp("a.json")) + " 2>" +
                           Quote(Tmp("a.err")) + " & " + Line(args) + " > " + Quote(Tmp("b.json")) +
                           " 2>" + Quote(Tmp("b.err")) + " & wait)";
  RunResult r = Shell(both);
  ASSERT_EQ(r.exit_code, 0) << ReadFile(Tmp("a.err")) << ReadFile(Tmp("b.err"));

  // Every window exactly once in the counter file.
  const std::string counter = ReadFile(project_ + "/counter.txt");
  std::map<std::string, int> seen;
  size_t pos = 0;
  while (pos < counter.size()) {
    const size_t end = counter.find('\n', pos);
    ++seen[counter.substr(pos, end - pos)];
    pos = end + 1;
  }
  ASSERT_EQ(seen.size(), 10u) << counter;
  for (int day = 1; day <= 10; ++day) {
    char expected[32];
    std::snprintf(expected, sizeof expected, "2024-01-%02dT00:00:00Z", day);
    EXPECT_EQ(seen[expected], 1) << expected << "\n" << counter;
  }
  // And exactly one pipeline run per window between the two schedulers.
  simdjson::dom::parser parser;
  int64_t runs = 0;
  for (const char* f : {"a.json", "b.json"}) {
    auto doc = ParseJson(parser, ReadFile(Tmp(f)));
    runs += int64_t(doc["runs"]);
  }
  EXPECT_EQ(runs, 10);
  RunResult list = Cairn({"pipeline", "show-runs", "--limit", "100", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  std::set<std::string> windows;
  size_t n = 0;
  for (auto run : ParseJson(parser, list.out).get_array()) {
    windows.insert(std::string(std::string_view(run["window"].get_string())));
    ++n;
  }
  EXPECT_EQ(n, 10u);
  EXPECT_EQ(windows.size(), 10u);

  // Run again: everything is settled.
  RunResult again = Cairn(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(int64_t(ParseJson(parser, again.out)["runs"]), 0);
}

TEST_F(ScheduleE2eTest, NewCommitTriggersTheDaemonAndIsDeliveredOnce) {
  Write("one.jsonl",
        "{\"key\":\"k1\",\"frame\":\"f1\",\"captured_at\":\"2021-06-03T10:00:00Z\"}\n");
  Write("two.jsonl",
        "{\"key\":\"k2\",\"frame\":\"f2\",\"captured_at\":\"2021-06-03T11:00:00Z\"}\n");
  ASSERT_EQ(Cairn({"dataset", "create", "frames"}).exit_code, 0);
  RunResult first = Cairn({"ingest", "frames", "--from", "one.jsonl", "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  simdjson::dom::parser parser;
  const std::string c1(ParseJson(parser, first.out)["commit"].get_string().value());
  Write("pipeline.yaml",
        "pipeline: on_commit\n"
        "stages:\n"
        "  consume:\n"
        "    subscribe: frames\n"
        "    cmd: echo \"$CAIRN_FIRST_SEQUENCE..$CAIRN_LAST_SEQUENCE ${commits}\" >> "
        "delivered.txt\n");
  const std::string until = FormatTimestamp(NowMicros() + 5'000'000, 6);
  const std::string daemon = Line({"pipeline", "schedule", "--poll", "1", "--until", until}) +
                             " > /dev/null 2> " + Quote(Tmp("daemon.err")) + " &";
  ASSERT_EQ(Shell(daemon).exit_code, 0);
  // Wait for the daemon to deliver the first commit, then publish a second one.
  for (int i = 0; i < 100 && ReadFile(project_ + "/delivered.txt").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  RunResult second = Cairn({"ingest", "frames", "--from", "two.jsonl", "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const std::string c2(ParseJson(parser, second.out)["commit"].get_string().value());
  const std::string expected = "1..1 " + c1 + "\n2..2 " + c2 + "\n";
  for (int i = 0; i < 100 && ReadFile(project_ + "/delivered.txt") != expected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(ReadFile(project_ + "/delivered.txt"), expected) << ReadFile(Tmp("daemon.err"));

  RunResult subs = Cairn({"pipeline", "subscriptions", "--json"});
  ASSERT_EQ(subs.exit_code, 0) << subs.err;
  auto list = ParseJson(parser, subs.out);
  ASSERT_EQ(list.get_array().size(), 1u);
  EXPECT_EQ(int64_t(list.at(0)["position"]), 2);
  EXPECT_EQ(int64_t(list.at(0)["pending"]), 0);
  EXPECT_EQ(std::string_view(list.at(0)["stage"].get_string()), "consume");
  // Let the daemon reach --until before the workspace is removed.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int i = 0; i < 100 && NowMicros() < *ParseTimestampMicros(until) + 1'500'000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

TEST_F(ScheduleE2eTest, ExportedAirflowDagMatchesGoldenAndImports) {
  const std::string data = std::string(CAIRN_TEST_DATA_DIR) + "/pipeline_airflow/";
  fs::copy_file(data + "pipeline.yaml", project_ + "/pipeline.yaml");
  RunResult r = Cairn({"pipeline", "export-airflow", "pipeline.yaml", "-o", "dags/road_daily.py",
                       "--image", "registry.example/cairn:1.2", "--namespace", "ml-pipelines",
                       "--pipeline-path", "/project/pipeline.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string dag = project_ + "/dags/road_daily.py";
  EXPECT_EQ(ReadFile(dag), ReadFile(data + "road_daily.py"));
  RunResult compiled = Shell("/usr/bin/python3 -m py_compile " + Quote(dag));
  EXPECT_EQ(compiled.exit_code, 0) << compiled.err;

  const std::string check = "/usr/bin/python3 -B " +
                            Quote(std::string(CAIRN_TEST_DATA_DIR) + "/airflow_stub/check_dag.py") +
                            " %s /project/pipeline.yaml 2024-01-01T03:00:00+00:00 "
                            "2024-01-02T03:00:00+00:00 'extract>features.v2' "
                            "'extract>Labels-QA' 'features.v2>train' 'Labels-QA>train'";
  auto run_check = [&](const std::string& file) {
    char buf[2048];
    std::snprintf(buf, sizeof buf, check.c_str(), Quote(file).c_str());
    return Shell(buf);
  };
  RunResult ok = run_check(dag);
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_TRUE(Contains(ok.out, "ok road_daily 4 tasks 4 edges")) << ok.out;

  // The check catches each of the version traps: a DAG written the old ways fails it.
  const std::string text = ReadFile(dag);
  const std::vector<std::pair<std::string, std::string>> traps = {
      {"operators.pod import", "operators.kubernetes_pod import"},
      {"on_finish_action=\"delete_pod\"", "is_delete_operator_pod=True"},
      {"{{ data_interval_start | ts }}", "{{ data_interval_start }}"},
      {"schedule=CronDataIntervalTimetable(\"0 3 * * *\", timezone=\"UTC\")",
       "schedule=\"0 3 * * *\""},
      {"    tasks[\"extract\"] >> tasks[\"Labels-QA\"]\n", ""},
  };
  for (const auto& [from, to] : traps) {
    std::string bad = text;
    const size_t at = bad.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    bad.replace(at, from.size(), to);
    const std::string path = Tmp("bad.py");
    std::ofstream(path, std::ios::binary) << bad;
    EXPECT_NE(run_check(path).exit_code, 0) << "not caught: " << to;
  }

  // Without a schedule there is nothing to export.
  Write("pipeline.yaml", "stages:\n  a:\n    cmd: true\n");
  RunResult none = Cairn({"pipeline", "export-airflow", "-o", "-"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_TRUE(Contains(none.err, "has no 'schedule'")) << none.err;
}

TEST_F(ScheduleE2eTest, BadScheduleNamesFileLineAndField) {
  Write("pipeline.yaml",
        "pipeline: bad\n"
        "schedule:\n"
        "  cron: 0 25 * * *\n"
        "stages:\n"
        "  a:\n"
        "    cmd: true\n");
  RunResult r = Cairn({"pipeline", "schedule", "--once"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err,
                       "pipeline.yaml:3: 'schedule.cron': cron '0 25 * * *': hour: 25 is "
                       "out of range 0-23"))
      << r.err;
  Write("pipeline.yaml",
        "schedule:\n"
        "  cron: '@daily'\n"
        "  catchup: true\n"
        "stages:\n"
        "  a:\n"
        "    cmd: true\n");
  r = Cairn({"pipeline", "schedule", "--once"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "'catchup: true' needs 'start'")) << r.err;
}

}  // namespace
}  // namespace cairn::test
