"""
Export only the focus areas that changed since the last successful export: a full load first, increments after.

The watermark (the newest ``updatedAt`` exported so far) lives in the Airflow Variable ``focus_export_watermark``.
The first run finds none and exports every focus area; each later run exports what changed since the watermark
(plus a 60 s overlap: load the files by id) and, once the file is complete, stores the new watermark. Nothing here
depends on a logical date, so manual runs (``airflow dags trigger``, which have none) work like scheduled ones.

Files go to ``<export_base>/focus_areas/<run_id>.jsonl``; ``export_base`` defaults to the ``FOCUS_EXPORT_BASE``
environment variable, else ``file:///tmp/focus-export``. The param ``full_load`` forces a full export.

Each export announces the asset ``focus_areas_export``: a DAG scheduled on it reads, from the event's ``extra``,
the file (``path``), how many focus areas it holds (``count``) and the range of changes it covers (``since``, the
``watermark``, ``full_load``).
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from airflow.sdk import Asset, Variable, dag, task

from airflow_provider_focus.operators.focus import FocusListFocusAreasOperator

EXPORT_BASE = os.environ.get("FOCUS_EXPORT_BASE", "file:///tmp/focus-export")
WATERMARK_VARIABLE = "focus_export_watermark"
#: The asset each export announces; its events' extra say which file holds which range of changes.
FOCUS_AREAS_EXPORT = Asset("focus_areas_export")


@task
def store_watermark(result: dict[str, Any]) -> str | None:
    """Keep the new watermark for the next run, now that the file is complete."""
    watermark = result.get("watermark")
    if watermark:
        Variable.set(WATERMARK_VARIABLE, watermark)
    return watermark


@dag(
    dag_id="example_focus_incremental_export",
    schedule="@hourly",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    params={"export_base": EXPORT_BASE, "full_load": False},
    tags=["example", "focus"],
    doc_md=__doc__,
)
def example_focus_incremental_export() -> None:
    # [START howto_operator_focus_incremental_export]
    export = FocusListFocusAreasOperator(
        task_id="export_changed_focus_areas",
        updated_since=("{{ '' if params.full_load else var.value.get('" + WATERMARK_VARIABLE + "', '') }}"),
        output_path="{{ params.export_base }}/focus_areas/{{ run_id | replace(':', '-') | replace('+', '_') }}.jsonl",
        outlets=[FOCUS_AREAS_EXPORT],  # its event's extra: path, count, since, watermark, full_load
    )
    store_watermark(export.output)  # type: ignore[arg-type]
    # [END howto_operator_focus_incremental_export]


example_focus_incremental_export()
