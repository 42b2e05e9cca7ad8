"""
Wait, in the triggerer, for focus areas: until one is completed (fail if it is cancelled), or until a planning team
has created one with a given external id.

Each sensor checks once on a worker, then defers: the triggerer polls the focus area and the worker slot stays free.
The trigger keeps the sensor's deadline itself, so the wait ends at ``timeout`` even under ``airflow dags test``.
Trigger ``example_focus_wait`` with ``{"focus_area_id": "..."}`` as the run's conf, and
``example_focus_wait_for_external_id`` with ``{"external_id": "..."}``; the defaults are focus areas of the
emulator's demo seed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag

from airflow_provider_focus.sensors.focus import FocusAreaExistsSensor, FocusAreaStatusSensor


@dag(
    dag_id="example_focus_wait",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    params={"focus_area_id": "fa-0004"},
    tags=["example", "focus"],
    doc_md=__doc__,
)
def example_focus_wait() -> None:
    # [START howto_sensor_focus_area_status]
    FocusAreaStatusSensor(
        task_id="wait_for_focus_area",
        focus_area_id="{{ params.focus_area_id }}",
        target_statuses=["COMPLETED"],
        failure_statuses=["CANCELLED"],
        deferrable=True,
        poll_interval=5,
        timeout=timedelta(days=7),
    )
    # [END howto_sensor_focus_area_status]


@dag(
    dag_id="example_focus_wait_for_external_id",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    params={"external_id": "PRJ-002"},
    tags=["example", "focus"],
    doc_md=__doc__,
)
def example_focus_wait_for_external_id() -> None:
    # [START howto_sensor_focus_area_exists]
    planned = FocusAreaExistsSensor(
        task_id="wait_until_planned",
        external_id="{{ params.external_id }}",
        deferrable=True,
        poll_interval=60,
        timeout=timedelta(days=3),
    )
    completed = FocusAreaStatusSensor(
        task_id="wait_until_completed",
        external_id="{{ params.external_id }}",
        target_statuses=["completed"],  # compared ignoring case
        deferrable=True,
        poll_interval=60,
        timeout=timedelta(days=30),
    )
    planned >> completed
    # [END howto_sensor_focus_area_exists]


example_focus_wait()
example_focus_wait_for_external_id()
