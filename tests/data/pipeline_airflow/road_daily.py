# Airflow DAG of the cairn pipeline road_daily (pipeline.yaml), written by
# `cairn pipeline export-airflow`; export it again after changing the pipeline.
# Each task runs one stage with `cairn pipeline run-task` in its own pod, for the run's
# data interval [start, end) in UTC.
import datetime

from airflow import DAG
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.timetables.interval import CronDataIntervalTimetable

with DAG(
    dag_id="road_daily",
    schedule=CronDataIntervalTimetable("0 3 * * *", timezone="UTC"),
    start_date=datetime.datetime(2024, 1, 1, 0, 0, 0, tzinfo=datetime.timezone.utc),
    catchup=False,
    max_active_runs=1,
    tags=["cairn"],
) as dag:
    tasks = {}
    tasks["extract"] = KubernetesPodOperator(
        task_id="extract",
        name="road-daily-extract",
        namespace="ml-pipelines",
        image="registry.example/cairn:1.2",
        cmds=["cairn"],
        arguments=[
            "pipeline",
            "run-task",
            "extract",
            "/project/pipeline.yaml",
            "--start-time={{ data_interval_start | ts }}",
            "--end-time={{ data_interval_end | ts }}",
        ],
        on_finish_action="delete_pod",
        get_logs=True,
    )
    tasks["features.v2"] = KubernetesPodOperator(
        task_id="features.v2",
        name="road-daily-features-v2",
        namespace="ml-pipelines",
        image="registry.example/cairn:1.2",
        cmds=["cairn"],
        arguments=[
            "pipeline",
            "run-task",
            "features.v2",
            "/project/pipeline.yaml",
            "--start-time={{ data_interval_start | ts }}",
            "--end-time={{ data_interval_end | ts }}",
        ],
        on_finish_action="delete_pod",
        get_logs=True,
    )
    tasks["Labels-QA"] = KubernetesPodOperator(
        task_id="Labels-QA",
        name="road-daily-labels-qa",
        namespace="ml-pipelines",
        image="registry.example/cairn:1.2",
        cmds=["cairn"],
        arguments=[
            "pipeline",
            "run-task",
            "Labels-QA",
            "/project/pipeline.yaml",
            "--start-time={{ data_interval_start | ts }}",
            "--end-time={{ data_interval_end | ts }}",
        ],
        on_finish_action="delete_pod",
        get_logs=True,
    )
    tasks["train"] = KubernetesPodOperator(
        task_id="train",
        name="road-daily-train",
        namespace="ml-pipelines",
        image="registry.example/cairn:1.2",
        cmds=["cairn"],
        arguments=[
            "pipeline",
            "run-task",
            "train",
            "/project/pipeline.yaml",
            "--start-time={{ data_interval_start | ts }}",
            "--end-time={{ data_interval_end | ts }}",
        ],
        on_finish_action="delete_pod",
        get_logs=True,
    )
    tasks["extract"] >> tasks["features.v2"]
    tasks["extract"] >> tasks["Labels-QA"]
    tasks["features.v2"] >> tasks["train"]
    tasks["Labels-QA"] >> tasks["train"]
