"""Imports an exported DAG file against the stub `airflow` package next to this script and
checks it: usage: check_dag.py DAG_FILE PIPELINE_FILE START END EDGES...

EDGES are `upstream>downstream` pairs (the pipeline's edges, written by the test); START and
END are ISO 8601 times of a data interval whose rendered task arguments are checked.
"""

import datetime
import importlib.util
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import airflow  # noqa: E402
from airflow.timetables.interval import CronDataIntervalTimetable  # noqa: E402


def main():
    dag_file, pipeline_file, start, end = sys.argv[1:5]
    expected_edges = {tuple(e.split(">")) for e in sys.argv[5:]}
    spec = importlib.util.spec_from_file_location("exported_dag", dag_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert len(airflow.DAGS) == 1, airflow.DAGS
    dag = airflow.DAGS[0]
    assert isinstance(dag.schedule, CronDataIntervalTimetable), dag.schedule
    assert dag.schedule.timezone == "UTC", dag.schedule.timezone
    assert isinstance(dag.catchup, bool), dag.catchup
    assert dag.max_active_runs == 1, dag.max_active_runs
    assert dag.start_date.tzinfo is not None, dag.start_date
    assert dag.edges == expected_edges, (sorted(dag.edges), sorted(expected_edges))
    context = {
        "data_interval_start": datetime.datetime.fromisoformat(start),
        "data_interval_end": datetime.datetime.fromisoformat(end),
    }
    for task_id, task in dag.tasks.items():
        assert task.on_finish_action == "delete_pod", task.on_finish_action
        args = task.render_arguments(context)
        assert args[:4] == ["pipeline", "run-task", task_id, pipeline_file], args
        assert "--start-time=" + start in args, args
        assert "--end-time=" + end in args, args
    print("ok", dag.dag_id, len(dag.tasks), "tasks", len(dag.edges), "edges")


main()
