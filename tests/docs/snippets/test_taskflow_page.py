"""The TaskFlow tasks shown in ``docs/taskflow.md``: their functions run against the emulator's demo seed."""

from __future__ import annotations

# [START taskflow_hook_services]
import logging
from typing import Any

from airflow.sdk import task

from airflow_provider_focus.hooks.focus import FocusHook

log = logging.getLogger(__name__)


@task
def preview_upsert(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Say what an upsert would change, writing nothing."""
    report = FocusHook().upsert_focus_areas(records, key="externalId", dry_run=True)
    log.info("The upsert would do: %s", report.counts())
    return report.as_dict()


@task
def import_costs(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Import cost items; a rejected item is logged, not fatal (the operator would fail the task)."""
    report = FocusHook().import_cost_items(items, chunk_size=100)
    for failure in report.failed:
        log.warning("Cost item %s (row %s) was rejected: %s", failure.key, failure.index, failure.error)
    return report.as_dict()


@task
def at_risk_focus_areas(parent_id: str) -> list[str]:
    """Return the external ids of the children of a focus area that are at risk."""
    children = FocusHook().list_focus_areas(parent_id=parent_id)
    return [fa["externalId"] for fa in children if fa["status"] == "AT_RISK"]


# [END taskflow_hook_services]


def test_preview_writes_nothing(focus_emulator, focus_conn):
    records = [
        {"externalId": "PRJ-001", "name": "Signup funnel redesign", "description": "new text"},
        {"externalId": "NEW-1", "name": "New one", "focusAreaTypeId": "fat-project", "parentExternalId": "PRG-001"},
    ]
    report = preview_upsert.function(records)
    assert report["dry_run"] is True
    assert report["created"] == ["NEW-1"]
    assert report["updated"] == ["fa-0003"]
    assert {r.method for r in focus_emulator.requests} == {"GET"}  # lookups by external id, no write


def test_import_costs_keeps_going_past_a_rejected_item(focus_emulator, focus_conn):
    items = [
        {"costItemExternalId": "C-1", "focusAreaExternalId": "PRJ-001", "name": "Run", "costType": "LABOR"},
        {"costItemExternalId": "C-2", "focusAreaExternalId": "PRJ-001", "name": "Bad", "costType": "NOPE"},
    ]
    report = import_costs.function(items)
    assert len(report["created"]) == 1
    assert [f["externalId"] for f in report["failed"]] == ["C-2"]


def test_at_risk_focus_areas(focus_emulator, focus_conn):
    assert at_risk_focus_areas.function("fa-0002") == ["PRJ-001"]
