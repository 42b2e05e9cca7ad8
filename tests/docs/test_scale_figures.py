"""
The requests each task sends, as ``docs/scale.md`` quotes them for sizing pools: counted on the emulator's log.

The operators run directly (``execute``) against a real emulator over a real socket; the figures are exact
counts, not timings, so they hold on any machine.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_focus.operators.focus import (
    FocusCreateFocusAreaOperator,
    FocusImportCostItemsOperator,
    FocusListFocusAreasOperator,
    FocusUpsertFocusAreasOperator,
)
from airflow_provider_focus.sensors.focus import FocusAreaStatusSensor

pytestmark = pytest.mark.integration

NEW = 250  # focus areas the upsert creates, on top of the demo seed's 6


class _TI:
    def xcom_push(self, key: str, value: Any) -> None:
        pass


def counted(fe: Any, run: Any) -> dict[str, int]:
    fe.clear_requests()
    run()
    counts: dict[str, int] = {}
    for request in fe.requests:
        counts[request.method] = counts.get(request.method, 0) + 1
    return counts


def records() -> list[dict[str, Any]]:
    return [
        {"externalId": f"SCALE-{i:04d}", "name": f"Scale {i}", "focusAreaTypeId": "fat-project", "parentId": "fa-0002"}
        for i in range(NEW)
    ]


def test_requests_per_task(focus_emulator, focus_conn, tmp_path):
    fe = focus_emulator
    context: dict[str, Any] = {"ti": _TI(), "params": {}}

    upsert = FocusUpsertFocusAreasOperator(task_id="upsert", records=records())
    # one scan page, one POST each, and one GET each verifying the create by its external id
    assert counted(fe, lambda: upsert.execute(context)) == {"GET": 1 + NEW, "POST": NEW}
    assert counted(fe, lambda: upsert.execute(context)) == {"GET": 3}  # a re-run: the scan only (256 at 100 a page)

    export = FocusListFocusAreasOperator(task_id="export", output_path=str(tmp_path / "fa.jsonl"))
    assert counted(fe, lambda: export.execute(context)) == {"GET": 3}

    create = FocusCreateFocusAreaOperator(
        task_id="create", name="One more", focus_area_type_id="fat-project", fields={"externalId": "SCALE-X"}
    )
    assert counted(fe, lambda: create.execute(context)) == {"POST": 1}

    items = [
        {"costItemExternalId": f"COST-S{i}", "focusAreaExternalId": "SCALE-0001", "name": "c", "costType": "LABOR"}
        for i in range(NEW)
    ]
    imports = FocusImportCostItemsOperator(task_id="costs", items=items)  # chunk_size 100
    assert counted(fe, lambda: imports.execute(context)) == {"POST": 3}

    sensor = FocusAreaStatusSensor(task_id="wait", focus_area_id="fa-0004", poll_interval=60)
    assert counted(fe, lambda: sensor.poke(context)) == {"GET": 1}
