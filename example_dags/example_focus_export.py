"""
Export every focus area to JSON Lines each night, one file per day.

The file goes to ``<export_base>/<date>/focus_areas.jsonl``, the date of the run (``dag_run.run_after``, which every
run has: a manual run has no logical date, so ``{{ ds }}`` would fail there). ``export_base`` is a DAG param whose
default comes from the ``FOCUS_EXPORT_BASE`` environment variable (a local path or an object storage URL such as
``s3://bucket/focus``), else ``file:///tmp/focus-export``. The export streams page by page and appears under its
final name only once complete.
"""

from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import dag

from airflow_provider_focus.operators.focus import FocusListFocusAreasOperator

EXPORT_BASE = os.environ.get("FOCUS_EXPORT_BASE", "file:///tmp/focus-export")


@dag(
    dag_id="example_focus_export",
    schedule="0 2 * * *",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    params={"export_base": EXPORT_BASE},
    tags=["example", "focus"],
    doc_md=__doc__,
)
def example_focus_export() -> None:
    # [START howto_operator_focus_export]
    FocusListFocusAreasOperator(
        task_id="export_focus_areas",
        sort="name",
        output_path="{{ params.export_base }}/{{ dag_run.run_after.strftime('%Y-%m-%d') }}/focus_areas.jsonl",
    )
    # [END howto_operator_focus_export]


example_focus_export()
