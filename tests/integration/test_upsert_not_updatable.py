"""
The upsert never drops a difference it cannot write: it lists it under ``not_updatable`` (issue 15), on the emulator.

[DOC: support article "Use the Focus public REST API"] an update changes name, owner, external id or description
only; [DOC: api-group-focus-areas/] a create sets status PENDING, draft false and no target date.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_focus.hooks.focus import FocusHook
from airflow_provider_focus.operators.focus import FocusUpsertFocusAreasOperator
from airflow_provider_focus.testing import FocusEmulator
from tests.operators.conftest import record_log

pytestmark = pytest.mark.integration


def writes(emulator: FocusEmulator) -> list[Any]:
    return [request for request in emulator.requests if request.method in ("POST", "PATCH")]


def test_a_status_that_differs_makes_no_call_and_is_listed(focus_emulator: FocusEmulator, focus_conn: str) -> None:
    # PRJ-001 is AT_RISK in the demo seed; the API cannot set a status
    focus_emulator.clear_requests()
    report = FocusHook(focus_conn_id=focus_conn).upsert_focus_areas([{"externalId": "PRJ-001", "status": "COMPLETED"}])

    assert report.as_dict() == {
        "created": [],
        "updated": [],
        "unchanged": 1,
        "failed": [],
        "not_updatable": [{"externalId": "PRJ-001", "fields": ["status"]}],
        "counts": {"created": 0, "updated": 0, "unchanged": 1, "failed": 0, "not_updatable": 1},
    }
    assert writes(focus_emulator) == []


def test_an_equal_status_or_a_create_default_is_not_listed(focus_emulator: FocusEmulator, focus_conn: str) -> None:
    records = [
        {"externalId": "PRJ-001", "status": "AT_RISK", "draft": False},
        {"externalId": "N-1", "name": "New", "focusAreaTypeId": "fat-project", "status": "PENDING", "draft": False},
    ]
    report = FocusHook(focus_conn_id=focus_conn).upsert_focus_areas(records)

    assert (report.unchanged, len(report.created), report.not_updatable, report.failed) == (1, 1, [], [])
    created = focus_emulator.store.focus_area(report.created[0])
    assert (created["status"], created["draft"], created["targetDate"]) == ("PENDING", False, None)


def test_the_writable_part_is_applied_and_the_rest_listed(focus_emulator: FocusEmulator, focus_conn: str) -> None:
    focus_emulator.clear_requests()
    record = {"externalId": "PRJ-002", "description": "new", "draft": True, "status": "PAUSED"}
    report = FocusHook(focus_conn_id=focus_conn).upsert_focus_areas([record])

    assert report.updated == ["fa-0004"]
    assert [entry.as_dict() for entry in report.not_updatable] == [
        {"externalId": "PRJ-002", "fields": ["draft", "status"]}
    ]
    (patch,) = writes(focus_emulator)
    assert patch.query["updateMask"] == "description"
    assert patch.body == {"description": "new"}


def test_a_dry_run_lists_the_same(focus_emulator: FocusEmulator, focus_conn: str) -> None:
    record = {"externalId": "PRJ-002", "parentExternalId": "PRG-002"}
    report = FocusHook(focus_conn_id=focus_conn).upsert_focus_areas([record], dry_run=True)

    assert report.as_dict()["not_updatable"] == [{"externalId": "PRJ-002", "fields": ["parentId"]}]
    assert report.unchanged == 1


def test_the_operator_logs_it_once_and_succeeds(
    focus_emulator: FocusEmulator, focus_conn: str, context: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = record_log(monkeypatch, FocusUpsertFocusAreasOperator)
    records = [
        {"externalId": "PRJ-001", "status": "COMPLETED"},
        {"externalId": "PRJ-002", "targetDate": "2026-06-30"},
    ]
    op = FocusUpsertFocusAreasOperator(task_id="upsert", records=records, focus_conn_id=focus_conn)

    result = op.execute(context)

    assert result["failed"] == []
    assert [entry["externalId"] for entry in result["not_updatable"]] == ["PRJ-001", "PRJ-002"] or [
        entry["externalId"] for entry in result["not_updatable"]
    ] == ["PRJ-002", "PRJ-001"]
    warnings = [message for message in recorder.messages("warning") if "cannot write" in message]
    assert len(warnings) == 1
    assert "PRJ-001: status" in warnings[0]
    assert "PRJ-002: targetDate" in warnings[0]


def test_a_site_that_accepts_more_can_name_the_fields(requests_mock: Any) -> None:
    """[MODEL] ``extra_updatable_fields`` sends a parent change to a site that takes it."""
    from airflow_provider_focus.api.client import FocusClient
    from airflow_provider_focus.api.connection import read_connection
    from airflow_provider_focus.services.upsert import upsert_focus_areas

    api = "https://acme.atlassian.net/gateway/api/focus/v1"
    existing = [
        {"id": "fa-1", "externalId": "P", "name": "P", "focusAreaTypeId": "t", "parentId": None},
        {"id": "fa-2", "externalId": "K", "name": "K", "focusAreaTypeId": "t", "parentId": None},
    ]
    requests_mock.get(f"{api}/focus-areas", json={"values": existing, "last": True})
    requests_mock.patch(f"{api}/focus-areas/fa-2", json={**existing[1], "parentId": "fa-1"})
    config = read_connection(
        host="acme.atlassian.net", port=None, login="r@example.com", password="s", extra={"max_retries": 0}
    ).config
    client = FocusClient(config)
    records = [{"externalId": "K", "parentExternalId": "P"}]

    assert upsert_focus_areas(client, records).not_updatable[0].fields == ("parentId",)
    assert not any(r.method == "PATCH" for r in requests_mock.request_history)
    report = upsert_focus_areas(client, records, extra_updatable_fields={"parentId"})
    assert (report.updated, report.not_updatable) == (["fa-2"], [])
    assert requests_mock.last_request.qs["updatemask"] == ["parentid"]
