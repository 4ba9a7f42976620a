"""A stand-in for the parts of Airflow that a DAG exported by cairn imports.

It records the DAG, its tasks and their edges so that check_dag.py can inspect them; it
accepts only the arguments current Airflow (2.x and 3.x) accepts, so a DAG that relies on a
removed spelling fails here as it would there.
"""

DAGS = []
_CURRENT = []


class DAG:
    def __init__(self, dag_id, *, schedule, start_date, catchup, max_active_runs, tags=None):
        self.dag_id = dag_id
        self.schedule = schedule
        self.start_date = start_date
        self.catchup = catchup
        self.max_active_runs = max_active_runs
        self.tags = tags or []
        self.tasks = {}
        self.edges = set()
        DAGS.append(self)

    def __enter__(self):
        _CURRENT.append(self)
        return self

    def __exit__(self, *exc):
        _CURRENT.pop()
        return False


def current_dag():
    if not _CURRENT:
        raise RuntimeError("operator created outside of a DAG context")
    return _CURRENT[-1]
