"""
Wait, in the triggerer, until a focus area is completed; fail if it is cancelled.

The sensor checks once on a worker, then defers: the triggerer polls the focus area and the worker slot stays free.
Trigger it with ``{"focus_area_id": "..."}`` as the run's conf; the default is a focus area of the emulator's demo seed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag

from airflow_provider_focus.sensors.focus import FocusAreaStatusSensor


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


example_focus_wait()
