"""
The smallest Focus DAG: list the focus areas whose name contains "growth", then log them.

Run it against the Focus emulator in five minutes: see ``docs/quickstart.md``.
"""

from __future__ import annotations

# [START quickstart_dag]
import logging
from datetime import datetime
from typing import Any

from airflow.sdk import dag, task

from airflow_provider_focus.operators.focus import FocusListFocusAreasOperator

log = logging.getLogger(__name__)


@dag(schedule=None, start_date=datetime(2025, 1, 1), catchup=False, tags=["example", "focus"])
def example_focus_quickstart() -> None:
    growth = FocusListFocusAreasOperator(task_id="list_growth_focus_areas", name_contains="growth")

    @task
    def report(focus_areas: list[dict[str, Any]]) -> int:
        for focus_area in focus_areas:
            log.info("%s %s: %s", focus_area["externalId"], focus_area["name"], focus_area["status"])
        return len(focus_areas)

    report(growth.output)


example_focus_quickstart()
# [END quickstart_dag]
