"""
The upsert never drops a difference it cannot write: it lists it under ``not_updatable`` (issue 15), on the emulator.

[DOC: support article "Use the Focus public REST API"] an update changes name, owner, external id or description
only; [DOC: api-group-focus-areas/] a create sets status PENDING, draft false and no target date.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from airflow_provider_focus.hooks.focus import FocusHook
from airflow_provider_focus.operators._batch import NOT_UPDATABLE_WARNED
from airflow_provider_focus.operators.focus import FocusUpsertFocusAreasOperator
from airflow_provider_focus.services.options import UpsertOptions
from airflow_provider_focus.services.upsert import NOT_UPDATABLE_LOGGED
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


def seed_projects(hook: FocusHook, count: int) -> list[dict[str, Any]]:
    """Create ``count`` projects (status PENDING); return records asking each for a status the API cannot set."""
    new = [{"externalId": f"N-{n:03d}", "name": f"New {n}", "focusAreaTypeId": "fat-project"} for n in range(count)]
    assert len(hook.upsert_focus_areas(new).created) == count
    return [{**record, "status": "COMPLETED"} for record in new]


def test_the_upsert_logs_the_first_ones_and_counts_the_rest(
    focus_emulator: FocusEmulator, focus_conn: str, caplog: pytest.LogCaptureFixture
) -> None:
    hook = FocusHook(focus_conn_id=focus_conn)
    records = seed_projects(hook, NOT_UPDATABLE_LOGGED + 5)

    with caplog.at_level(logging.INFO, logger="airflow_provider_focus.services.upsert"):
        report = hook.upsert_focus_areas(records, UpsertOptions(max_listed=3))

    lines = [r.getMessage() for r in caplog.records if "the API cannot write" in r.getMessage()]
    assert len(lines) == NOT_UPDATABLE_LOGGED + 1  # 100,000 such records once wrote 100,000 lines
    assert lines[0] == "N-000 differs from Focus in status, which the API cannot write"
    assert lines[-1] == (
        "... and 5 more records differ from Focus in fields the API cannot write (not logged one by one); "
        "the report lists the first 3"
    )
    assert (report.not_updatable_count, len(report.not_updatable)) == (NOT_UPDATABLE_LOGGED + 5, 3)


def test_the_warning_counts_every_record_and_names_the_first_ones(
    focus_emulator: FocusEmulator, focus_conn: str, context: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    records = seed_projects(FocusHook(focus_conn_id=focus_conn), NOT_UPDATABLE_WARNED + 2)
    recorder = record_log(monkeypatch, FocusUpsertFocusAreasOperator)
    op = FocusUpsertFocusAreasOperator(
        task_id="upsert", records=records, focus_conn_id=focus_conn, options=UpsertOptions(max_listed=21)
    )

    result = op.execute(context)

    assert result["counts"]["not_updatable"] == NOT_UPDATABLE_WARNED + 2
    (warning,) = [message for message in recorder.messages("warning") if "cannot write" in message]
    assert warning.startswith(f"{NOT_UPDATABLE_WARNED + 2} record(s) differ")  # the count, not the list's length
    assert warning.count(": status") == NOT_UPDATABLE_WARNED
    assert warning.endswith("; and 2 more")


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
