"""
Wait, in the triggerer, for focus areas: until one is completed (fail if it is cancelled), or until a planning team
has created one with a given external id.

Each sensor checks once on a worker, then defers: the triggerer polls the focus area and the worker slot stays free.
The trigger keeps the sensor's deadline itself, so the wait ends at ``timeout`` even under ``airflow dags test``.
Trigger ``example_focus_wait`` with ``{"focus_area_id": "..."}`` as the run's conf, and
``example_focus_wait_for_external_id`` with ``{"external_id": "..."}``; the defaults are focus areas of the
emulator's demo seed. ``example_focus_wait_in_a_task`` waits in a ``@task`` with the hook's ``wait_for_focus_area``
(the sensor's wait, on the worker) and goes on with the focus area it returns.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import dag, task

from airflow_provider_focus.hooks.focus import FocusHook
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


@dag(
    dag_id="example_focus_wait_in_a_task",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    params={"external_id": "PRJ-002"},
    tags=["example", "focus"],
    doc_md=__doc__,
)
def example_focus_wait_in_a_task() -> None:
    # [START howto_hook_wait_for_focus_area]
    @task
    def wait_then_report(params: Any = None) -> dict[str, Any]:
        """Wait until the focus area is completed (fail if cancelled), then use what the wait returns."""
        focus_area = FocusHook().wait_for_focus_area(
            external_id=params["external_id"],
            statuses=["COMPLETED"],
            failure_statuses=["CANCELLED"],
            timeout=timedelta(hours=1),
            poll_interval=timedelta(seconds=30),
        )
        return {"id": focus_area["id"], "name": focus_area["name"], "status": focus_area["status"]}

    # [END howto_hook_wait_for_focus_area]
    wait_then_report()


example_focus_wait()
example_focus_wait_for_external_id()
example_focus_wait_in_a_task()
