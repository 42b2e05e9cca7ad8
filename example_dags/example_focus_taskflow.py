"""
Upsert focus areas from a CSV file with TaskFlow: a ``@task`` calls ``FocusHook().upsert_focus_areas(...)``.

Everything the upsert operator does is on the hook, so a ``@task`` can do it too and decide itself what a failed
record means. The CSV ships with the example under ``data/`` and is read as a stream (header row = field names,
empty cells = not given). The focus-area type ids are those of the Focus emulator's demo seed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.sdk import dag, task

from airflow_provider_focus.hooks.focus import FocusHook
from airflow_provider_focus.services.records import read_records

DATA = Path(__file__).parent / "data"


@dag(
    dag_id="example_focus_taskflow",
    # One run at a time: two runs writing the same focus areas at once would race (the upsert converges, but a
    # writer kept apart costs nothing). Across DAGs that write the same focus areas, give their writing tasks a
    # one-slot pool as well: ``airflow pools set focus_writes 1 "Writes to Focus"`` and ``pool="focus_writes"``.
    max_active_runs=1,
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["example", "focus"],
    doc_md=__doc__,
)
def example_focus_taskflow() -> None:
    # [START howto_hook_focus_upsert_taskflow]
    @task
    def upsert_focus_areas(csv_path: str) -> dict[str, Any]:
        """Upsert the CSV's focus areas (parents first, up to 4 writes at a time) and return the report."""
        # a path or an open file; a BOM is stripped, the delimiter sniffed, a bad row becomes a failed record
        records = read_records(csv_path, key="externalId")
        report = FocusHook().upsert_focus_areas(records, key="externalId", max_in_flight=4)
        report.raise_if_failed("focus areas")  # as the operator does: FocusPartialFailure naming the first
        return report.as_dict()

    # [END howto_hook_focus_upsert_taskflow]
    upsert_focus_areas(str(DATA / "focus_areas.csv"))


example_focus_taskflow()
