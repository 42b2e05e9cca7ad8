"""The upsert against the emulator: idempotent, and exact under 429s, 5xx and lost responses."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from airflow_provider_focus.operators.focus import FocusUpsertFocusAreasOperator
from airflow_provider_focus.testing.constants import EMULATOR_ACCOUNT_ID
from tests.integration.conftest import FakeTI, emulator_conn_env

pytestmark = pytest.mark.integration

SEEDED = 6


def hierarchy(description: str = "v1") -> list[dict[str, Any]]:
    """3 strategies x 4 programs x 4 projects = 63 records, children listed before their parents."""
    records: list[dict[str, Any]] = []
    for s in range(3):
        strategy = f"S{s}"
        for p in range(4):
            program = f"{strategy}-P{p}"
            for j in range(4):
                records.append(
                    {
                        "externalId": f"{program}-J{j}",
                        "parentExternalId": program,
                        "name": f"Project {program}-{j}",
                        "focusAreaTypeId": "fat-project",
                        "description": description,
                    }
                )
            records.append(
                {
                    "externalId": program,
                    "parentExternalId": strategy,
                    "name": f"Program {program}",
                    "focusAreaTypeId": "fat-program",
                }
            )
        records.append({"externalId": strategy, "name": f"Strategy {s}", "focusAreaTypeId": "fat-strategy"})
    return records


def upsert(records: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    op = FocusUpsertFocusAreasOperator(task_id="upsert", records=records, **kwargs)
    op.hook.client._sleep = lambda _seconds: None  # the waits are the client's business, tested elsewhere
    return op.execute({"ti": FakeTI()})


def writes(emulator: Any) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emulator.requests if r.method in ("POST", "PATCH")]


def assert_store_matches(emulator: Any, records: list[dict[str, Any]]) -> None:
    areas = emulator.store.focus_areas()
    counts = Counter(fa["externalId"] for fa in areas)
    assert len(areas) == SEEDED + len(records)
    assert [key for key, n in counts.items() if n > 1] == []
    by_key = {fa["externalId"]: fa for fa in areas}
    for record in records:
        stored = by_key[record["externalId"]]
        if "parentExternalId" in record:
            assert stored["parentId"] == by_key[record["parentExternalId"]]["id"]
        assert stored["description"] == record.get("description")


def test_second_run_makes_no_write(focus_env):
    records = hierarchy()
    first = upsert(records)
    assert len(first["created"]) == 63
    assert (first["updated"], first["unchanged"], first["failed"]) == ([], 0, [])
    assert_store_matches(focus_env, records)

    focus_env.clear_requests()
    second = upsert(records)
    assert second == {
        "created": [],
        "updated": [],
        "unchanged": 63,
        "failed": [],
        "not_updatable": [],
        "counts": {"created": 0, "updated": 0, "unchanged": 63, "failed": 0, "not_updatable": 0},
    }
    assert writes(focus_env) == []
    # one paginated scan of 69 focus areas at 100 a page
    assert [(r.method, r.path) for r in focus_env.requests] == [("GET", "focus-areas")]


def test_only_changed_fields_are_patched(focus_env):
    records = hierarchy()
    upsert(records)
    changed = hierarchy(description="v2")
    focus_env.clear_requests()
    report = upsert(changed)
    assert (len(report["updated"]), report["unchanged"], report["created"]) == (48, 15, [])
    patches = [r for r in focus_env.requests if r.method == "PATCH"]
    assert len(patches) == 48
    assert {r.query["updateMask"] for r in patches} == {"description"}
    assert all(r.body == {"description": "v2"} for r in patches)


def test_nothing_lost_or_duplicated_under_faults(focus_env, monkeypatch):
    fe = focus_env
    # The storm below may put all eleven POST faults on one create, plus the look-ups they cause; a call has one
    # retry budget (the look-ups included), so the connection gives it room for the whole storm.
    for name, value in emulator_conn_env(fe, max_retries=20).items():
        monkeypatch.setenv(name, value)
    records = hierarchy()
    faults = [
        fe.faults.rate_limit(count=4, retry_after=0, path="focus-areas", method="POST"),
        fe.faults.server_error(count=2, status=500, path="focus-areas", method="POST"),
        fe.faults.server_error(count=2, status=503, path="focus-areas", method="GET"),
        fe.faults.drop_after(count=3, path="focus-areas", method="POST"),
        fe.faults.drop_before(count=2, path="focus-areas", method="POST"),
    ]
    report = upsert(records)
    assert [fault.applied for fault in faults] == [4, 2, 2, 3, 2]
    assert report["failed"] == []
    assert (report["updated"], report["unchanged"]) == ([], 0)
    assert len(report["created"]) == len(set(report["created"])) == 63
    assert_store_matches(fe, records)
    assert sorted(report["created"]) == sorted(
        fa["id"] for fa in fe.store.focus_areas() if fa["externalId"] in {r["externalId"] for r in records}
    )

    # updates under lost responses, 5xx and 429: PATCH is retried by the wire
    changed = hierarchy(description="v2")
    patch_faults = [
        fe.faults.drop_after(count=2, path="focus-areas/", method="PATCH"),
        fe.faults.server_error(count=1, status=502, path="focus-areas/", method="PATCH"),
        fe.faults.rate_limit(count=2, retry_after=0, path="focus-areas/", method="PATCH"),
    ]
    report = upsert(changed)
    assert [fault.applied for fault in patch_faults] == [2, 1, 2]
    assert (len(report["updated"]), report["unchanged"], report["created"], report["failed"]) == (48, 15, [], [])
    assert_store_matches(fe, changed)

    fe.clear_requests()
    assert upsert(changed) == {
        "created": [],
        "updated": [],
        "unchanged": 63,
        "failed": [],
        "not_updatable": [],
        "counts": {"created": 0, "updated": 0, "unchanged": 63, "failed": 0, "not_updatable": 0},
    }
    assert writes(fe) == []


def test_a_rate_limit_that_outlives_the_retries_is_reported_and_the_rest_applied(focus_env, monkeypatch):
    fe = focus_env
    for name, value in emulator_conn_env(fe, max_retries=1, rate_limit_budget=0).items():
        monkeypatch.setenv(name, value)
    records = hierarchy()
    fault = fe.faults.rate_limit(count=2, retry_after=0, path="focus-areas", method="POST")
    report = upsert(records, fail_on_error=False, max_in_flight=1)  # "the first record applied" needs an order
    assert fault.applied == 2
    # the first record applied is the first strategy; its children then fail because their parent failed
    assert report["failed"][0]["externalId"] == "S0"
    assert "HTTP 429" in report["failed"][0]["error"]
    failed = {entry["externalId"] for entry in report["failed"]}
    assert failed == {"S0"} | {r["externalId"] for r in records if r["externalId"].startswith("S0-")}
    assert len(report["created"]) == 63 - 21
    assert len(fe.store.focus_areas()) == SEEDED + 42

    fe.clear_requests()
    again = upsert(records)
    assert (len(again["created"]), again["unchanged"], again["failed"]) == (21, 42, [])
    assert_store_matches(fe, records)


def test_blank_cells_are_not_given_and_a_second_run_writes_nothing(focus_env):
    """A CSV's empty cells ("" or spaces) neither reach Focus on create nor blank a field on the next run."""
    records = [
        {
            "externalId": "B1",
            "name": "Blank cells",
            "focusAreaTypeId": "fat-program",
            "description": "",
            "ownerAccountId": "",
            "targetDate": " ",
            "parentExternalId": "",
        },
        {
            "externalId": "B2",
            "name": "Child",
            "focusAreaTypeId": "fat-project",
            "description": "kept",
            "ownerAccountId": "   ",
            "parentExternalId": "B1",
        },
    ]
    first = upsert(records)
    assert (len(first["created"]), first["failed"]) == (2, [])
    posts = [r.body for r in focus_env.requests if r.method == "POST"]
    assert all(value.strip() for body in posts for value in body.values())
    by_key = {fa["externalId"]: fa for fa in focus_env.store.focus_areas()}
    assert by_key["B1"]["ownerAccountId"] == by_key["B2"]["ownerAccountId"] == EMULATOR_ACCOUNT_ID
    assert (by_key["B1"]["description"], by_key["B1"]["targetDate"]) == (None, None)
    assert by_key["B2"]["parentId"] == by_key["B1"]["id"]
    before = focus_env.store.focus_areas()

    focus_env.clear_requests()
    second = upsert(records)
    assert second == {
        "created": [],
        "updated": [],
        "unchanged": 2,
        "failed": [],
        "not_updatable": [],
        "counts": {"created": 0, "updated": 0, "unchanged": 2, "failed": 0, "not_updatable": 0},
    }
    assert writes(focus_env) == []
    assert focus_env.store.focus_areas() == before
