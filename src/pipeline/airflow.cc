#include "pipeline/airflow.h"

#include <cstdio>
#include <vector>

#include "base/time.h"

namespace cairn::pipeline {

namespace {

// A Python string literal: double quotes, with backslash, quote and control characters
// escaped; other bytes as they are (the file is UTF-8).
std::string Py(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// A Kubernetes object name (DNS-1123 label) from a pipeline and stage name.
std::string PodName(std::string_view pipeline, std::string_view stage) {
  std::string out;
  for (std::string_view part : {pipeline, std::string_view("-"), stage}) {
    for (char c : part) {
      if (c >= 'A' && c <= 'Z') {
        out += static_cast<char>(c - 'A' + 'a');
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        out += c;
      } else {
        out += '-';
      }
    }
  }
  while (!out.empty() && out.front() == '-') out.erase(out.begin());
  if (out.size() > 50) out.resize(50);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "cairn-task" : out;
}

// datetime.datetime(Y, M, D, h, m, s, tzinfo=datetime.timezone.utc)
std::string PyDatetime(int64_t micros) {
  int64_t secs = micros / 1'000'000;
  if (micros % 1'000'000 < 0) --secs;
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t year = 0;
  int month = 0;
  int day = 0;
  CivilFromDays(days, &year, &month, &day);
  return "datetime.datetime(" + std::to_string(year) + ", " + std::to_string(month) + ", " +
         std::to_string(day) + ", " + std::to_string(rem / 3600) + ", " +
         std::to_string(rem % 3600 / 60) + ", " + std::to_string(rem % 60) +
         ", tzinfo=datetime.timezone.utc)";
}

}  // namespace

Result<std::string> ExportAirflowDag(const Pipeline& p, const AirflowOptions& options) {
  if (!p.schedule) {
    return Status::InvalidArgument(p.file + ": pipeline " + p.name +
                                   " has no 'schedule': an Airflow DAG needs its cron");
  }
  const ScheduleSpec& s = *p.schedule;
  const std::optional<int64_t> start = options.start ? options.start : s.start;
  if (!start) {
    return Status::InvalidArgument(s.location +
                                   ": the schedule has no 'start'; give the DAG's start date "
                                   "with --start");
  }
  const std::string dag_id = options.dag_id.empty() ? p.name : options.dag_id;
  const std::string file = options.pipeline_path.empty() ? p.file : options.pipeline_path;
  const bool windowed = s.window == ScheduleSpec::WindowKind::kPrevious;

  std::string py;
  py += "# Airflow DAG of the cairn pipeline " + p.name + " (" + p.file + "), written by\n";
  py += "# `cairn pipeline export-airflow`; export it again after changing the pipeline.\n";
  py += "# Each task runs one stage with `cairn pipeline run-task` in its own pod";
  py += windowed ? ", for the run's\n# data interval [start, end) in UTC.\n" : ".\n";
  py += "import datetime\n\n";
  py += "from airflow import DAG\n";
  py += "from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator\n";
  py += "from airflow.timetables.interval import CronDataIntervalTimetable\n\n";
  py += "with DAG(\n";
  py += "    dag_id=" + Py(dag_id) + ",\n";
  py += "    schedule=CronDataIntervalTimetable(" + Py(s.cron.text()) + ", timezone=\"UTC\"),\n";
  py += "    start_date=" + PyDatetime(*start) + ",\n";
  py += std::string("    catchup=") + (s.catchup ? "True" : "False") + ",\n";
  py += "    max_active_runs=1,\n";
  py += "    tags=[\"cairn\"],\n";
  py += ") as dag:\n";
  py += "    tasks = {}\n";
  for (int i : p.order) {
    const Stage& st = p.stages[static_cast<size_t>(i)];
    py += "    tasks[" + Py(st.name) + "] = KubernetesPodOperator(\n";
    py += "        task_id=" + Py(st.name) + ",\n";
    py += "        name=" + Py(PodName(p.name, st.name)) + ",\n";
    py += "        namespace=" + Py(options.ns) + ",\n";
    py += "        image=" + Py(options.image) + ",\n";
    py += "        cmds=[" + Py(options.cairn_binary) + "],\n";
    py += "        arguments=[\n";
    py += "            \"pipeline\",\n";
    py += "            \"run-task\",\n";
    py += "            " + Py(st.name) + ",\n";
    py += "            " + Py(file) + ",\n";
    if (windowed) {
      py += "            \"--start-time={{ data_interval_start | ts }}\",\n";
      py += "            \"--end-time={{ data_interval_end | ts }}\",\n";
    }
    py += "        ],\n";
    py += "        on_finish_action=\"delete_pod\",\n";
    py += "        get_logs=True,\n";
    py += "    )\n";
  }
  for (int i : p.order) {
    const Stage& st = p.stages[static_cast<size_t>(i)];
    for (int u : st.upstream) {
      py += "    tasks[" + Py(p.stages[static_cast<size_t>(u)].name) + "] >> tasks[" + Py(st.name) +
            "]\n";
    }
  }
  return py;
}

}  // namespace cairn::pipeline
