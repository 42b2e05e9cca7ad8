"""
Export only the focus areas that changed since the last export: a full load first, increments after.

Each export announces the asset ``focus_areas_export``: its event's ``extra`` names the file (``path``), how many
focus areas it holds (``count``) and the range of changes it covers (``since``, the ``watermark``, ``full_load``).
That event is also where the next run starts: ``last_watermark`` reads the ``watermark`` of the asset's newest
event, and the export reads what changed since then (plus a 60 s overlap: load the files by id). Airflow records
the event with the export task's success, in one transaction, so the watermark and the announcement never part:
a run that fails announces nothing and moves no watermark (the next run exports its range again), and no
downstream DAG sees a file whose range the next run would not continue from. The first run finds no event and
exports every focus area. Nothing here depends on a logical date, so manual runs (``airflow dags trigger``, which
have none) work like scheduled ones; one run at a time, so that two runs never start from the same watermark.

Files go to ``<export_base>/focus_areas/<run_id>.jsonl``; ``export_base`` defaults to the ``FOCUS_EXPORT_BASE``
environment variable, else ``file:///tmp/focus-export``. The param ``full_load`` forces a full export.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from airflow.sdk import Asset, dag, task

from airflow_provider_focus.operators.focus import FocusListFocusAreasOperator

EXPORT_BASE = os.environ.get("FOCUS_EXPORT_BASE", "file:///tmp/focus-export")
#: The asset each export announces; its events' extra say which file holds which range of changes.
FOCUS_AREAS_EXPORT = Asset("focus_areas_export")


@task(inlets=[FOCUS_AREAS_EXPORT])
def last_watermark(**context: Any) -> str:
    """Return where this export starts: the watermark of the newest export's event (empty: a full load)."""
    if context["params"]["full_load"]:
        return ""
    events = context["inlet_events"][FOCUS_AREAS_EXPORT]
    # The newest event: Airflow 3.1+ fetches it alone; 3.0 has no limit() and returns every event, oldest first
    newest = list(events.ascending(False).limit(1)) if hasattr(events, "limit") else events[-1:]
    return str(newest[0].extra.get("watermark") or "") if newest else ""


@dag(
    dag_id="example_focus_incremental_export",
    schedule="@hourly",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    params={"export_base": EXPORT_BASE, "full_load": False},
    tags=["example", "focus"],
    doc_md=__doc__,
)
def example_focus_incremental_export() -> None:
    # [START howto_operator_focus_incremental_export]
    FocusListFocusAreasOperator(
        task_id="export_changed_focus_areas",
        updated_since=last_watermark(),  # the watermark in the newest event of FOCUS_AREAS_EXPORT
        output_path="{{ params.export_base }}/focus_areas/{{ run_id | replace(':', '-') | replace('+', '_') }}.jsonl",
        # its event's extra: path, count, since, watermark (where the next run starts), full_load
        outlets=[FOCUS_AREAS_EXPORT],
    )
    # [END howto_operator_focus_incremental_export]


example_focus_incremental_export()
