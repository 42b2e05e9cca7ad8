"""The upsert service on its own: order, failures, the report, streaming and concurrency."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.services import upsert_focus_areas
from tests.services.conftest import API, focus_area, page, rec

KEY = "externalId"
PARENT = "parentExternalId"


def keys_of(report_entries: list[Any]) -> list[Any]:
    return [entry.key for entry in report_entries]


# --- order and planning (dry runs: the report lists new focus areas by key, in the order they were handled) ---------


def test_parents_go_before_children_and_input_order_holds_otherwise(client, requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([focus_area("fa-9", "EXISTING")]))
    report = upsert_focus_areas(
        client, [rec("C", "B"), rec("A"), rec("B", "A"), rec("D", "EXISTING")], dry_run=True, max_in_flight=1
    )
    # C names B, which comes later: C waits for B, B for A; D's parent is already in Focus.
    assert report.created == ["A", "B", "C", "D"]
    assert report.failed == []


def test_cycles_missing_keys_and_duplicates_are_failures_of_those_records(client, requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    records = [rec("A", "B"), rec("B", "A"), rec("C", "A"), {"name": "no key"}, rec("E"), rec("E"), "junk"]
    report = upsert_focus_areas(client, records, dry_run=True, max_in_flight=1)
    assert report.created == ["E"]
    by_key = {entry.key: entry for entry in report.failed}
    assert "cycle: A -> B -> A" in by_key["A"].error
    assert "cycle: B -> A -> B" in by_key["B"].error
    assert "ancestor is in a parent cycle" in by_key["C"].error
    assert "more than once" in by_key["E"].error
    assert by_key["E"].index == 5
    unkeyed = [entry for entry in report.failed if entry.key is None]
    assert [entry.index for entry in unkeyed] == [3, 6]
    assert "record 3 has no 'externalId' (key='externalId' names the external id)" in unkeyed[0].error
    assert "record 6 is not an object: str" in unkeyed[1].error


def test_a_record_without_the_key_names_the_key_argument(client, requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    report = upsert_focus_areas(client, [{"externalId": "X", "name": "x"}], key="code", dry_run=True)
    (failure,) = report.failed
    assert (failure.key, failure.index) == (None, 0)
    assert "key='code'" in failure.error


def test_a_repeated_key_fails_every_later_copy_saying_the_first_was_applied(client, requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    requests_mock.post(f"{API}/focus-areas", json=focus_area("fa-7", "BAD-7"), status_code=201)
    report = upsert_focus_areas(client, [rec("BAD-7"), rec("OK"), rec("BAD-7"), rec("BAD-7", description="x")])
    assert report.created == ["fa-7", "fa-7"]  # BAD-7 (first copy) and OK, as the mock answers both with fa-7
    assert [(entry.key, entry.index) for entry in report.failed] == [("BAD-7", 2), ("BAD-7", 3)]
    for entry in report.failed:
        assert "appears more than once in the input: the first (record 0) was applied, this copy was skipped" in (
            entry.error
        )
    assert sum(1 for r in requests_mock.request_history if r.method == "POST") == 2


def test_a_repeated_key_whose_first_copy_failed_says_so(client, requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    requests_mock.post(f"{API}/focus-areas", status_code=400, json={"errors": [{"type": "INVALID", "message": "no"}]})
    report = upsert_focus_areas(client, [rec("A"), rec("A")])
    assert [entry.index for entry in report.failed] == [0, 1]
    assert "the first (record 0) failed" in report.failed[1].error


def test_report_entries_carry_key_index_and_error(client, requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    report = upsert_focus_areas(client, [rec("A"), rec("ORPHAN", "NOWHERE")], dry_run=True)
    assert report.as_dict() == {
        "created": ["A"],
        "updated": [],
        "unchanged": 0,
        "failed": [
            {"externalId": "ORPHAN", "index": 1, "error": "its parent 'NOWHERE' is neither in the input nor in Focus"}
        ],
        "dry_run": True,
        "not_updatable": [],
        "counts": {"created": 1, "updated": 0, "unchanged": 0, "failed": 1, "not_updatable": 0},
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": "a", "parent_key": "a"}, "different"),
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"max_in_flight": 1000}, "at most"),
        ({"scan_threshold": True}, "scan_threshold"),
    ],
)
def test_arguments_that_cannot_work_are_refused(client, kwargs, message):
    with pytest.raises(FocusConfigError, match=message):
        upsert_focus_areas(client, [], **kwargs)


def test_records_must_be_an_iterable_of_records(client):
    with pytest.raises(FocusConfigError, match="iterable of dicts"):
        upsert_focus_areas(client, {"externalId": "A"})


# --- streaming ---------------------------------------------------------------------------------------------------


def test_records_are_read_as_they_are_needed_not_all_at_first(client, requests_mock):
    pulled = []

    def records():
        for n in range(200):
            pulled.append(n)
            yield rec(f"K{n:03d}")

    requests_mock.get(f"{API}/focus-areas", json=page([]))
    pulled_at_post: list[int] = []

    def created(request, _context):
        pulled_at_post.append(len(pulled))
        return focus_area(f"fa-{len(pulled_at_post)}", request.json()["externalId"])

    requests_mock.post(f"{API}/focus-areas", json=created, status_code=201)
    report = upsert_focus_areas(client, records(), scan_threshold=25, max_in_flight=1)
    assert len(report.created) == 200
    # the first 25 decide between a scan and look-ups; after that, one record is read per write
    assert pulled_at_post[0] == 25
    assert pulled_at_post[-1] == 200
    assert all(pulled <= max(n + 1, 25) for n, pulled in enumerate(pulled_at_post))


# --- concurrency -------------------------------------------------------------------------------------------------


class SlowFocus:
    """Stands in for the API client (requests-mock serialises calls): every create takes 50 ms."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.most = 0
        self.concurrent_calls = 1
        self.events: list[tuple[str, str]] = []
        self.bodies: list[dict[str, Any]] = []

    def paginate(self, _path: str, **_kwargs: Any) -> list[dict[str, Any]]:
        return []

    def allow_concurrent_calls(self, count: int) -> None:
        self.concurrent_calls = count

    def create_reconciled(self, _path: str, body: dict[str, Any], *, find_existing: Any) -> dict[str, Any]:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
            self.events.append(("start", body["externalId"]))
            self.bodies.append(body)
        time.sleep(0.05)
        with self.lock:
            self.now -= 1
            self.events.append(("end", body["externalId"]))
        return {"id": f"fa-{body['externalId']}", **body}


def test_writes_overlap_up_to_max_in_flight_and_children_wait_for_their_parent():
    focus = SlowFocus()
    records = [rec(f"P{p}-C{c}", f"P{p}") for p in range(2) for c in range(6)] + [rec("P0"), rec("P1")]
    report = upsert_focus_areas(focus, records, max_in_flight=4)

    assert (len(report.created), report.failed) == (14, [])
    assert 2 <= focus.most <= 4
    assert focus.concurrent_calls >= 4  # the upsert asked the client for a connection per write in flight
    children = [body for body in focus.bodies if "-" in body["externalId"]]
    assert len(children) == 12
    for body in children:
        parent = body["externalId"].split("-")[0]
        assert body["parentId"] == f"fa-{parent}"
        assert focus.events.index(("end", parent)) < focus.events.index(("start", body["externalId"]))


def test_one_in_flight_sends_one_write_at_a_time():
    focus = SlowFocus()
    upsert_focus_areas(focus, [rec(f"K{n}") for n in range(6)], max_in_flight=1)
    assert focus.most == 1


def test_exactly_once_under_faults_with_writes_in_flight(emulator, emulator_client):
    fe = emulator
    records = [rec(f"G{g}", name=f"G{g}", focusAreaTypeId="fat-program") for g in range(4)]
    records += [rec(f"G{g}-{c}", f"G{g}") for g in range(4) for c in range(10)]
    faults = [
        fe.faults.drop_after(count=4, path="focus-areas", method="POST"),
        fe.faults.server_error(count=3, status=500, path="focus-areas", method="POST"),
        fe.faults.rate_limit(count=3, retry_after=0, path="focus-areas", method="POST"),
    ]
    report = upsert_focus_areas(emulator_client, records, max_in_flight=8)
    assert [fault.applied for fault in faults] == [4, 3, 3]
    assert (len(report.created), report.failed) == (44, [])
    stored = [fa for fa in fe.store.focus_areas() if fa["externalId"] and fa["externalId"].startswith("G")]
    assert Counter(fa["externalId"] for fa in stored).most_common(1)[0][1] == 1
    assert sorted(report.created) == sorted(fa["id"] for fa in stored)
    by_key = {fa["externalId"]: fa for fa in stored}
    assert all(by_key[f"G{g}-{c}"]["parentId"] == by_key[f"G{g}"]["id"] for g in range(4) for c in range(10))

    again = upsert_focus_areas(emulator_client, records, max_in_flight=8)
    assert again.as_dict() == {
        "created": [],
        "updated": [],
        "unchanged": 44,
        "failed": [],
        "not_updatable": [],
        "counts": {"created": 0, "updated": 0, "unchanged": 44, "failed": 0, "not_updatable": 0},
    }


def test_the_pool_keeps_a_connection_per_thread(client):
    client.allow_concurrent_calls(16)
    adapter = client.session.get_adapter("https://acme.atlassian.net")
    assert adapter.poolmanager.connection_pool_kw["maxsize"] == 16


def test_the_options_come_as_one_value_and_keyword_arguments_replace_its_fields(client, requests_mock):
    from airflow_provider_focus.services import UpsertOptions

    requests_mock.get(f"{API}/focus-areas", json=page([]))
    records = [{"code": "A", "name": "A", "focusAreaTypeId": "fat-project"}]
    report = upsert_focus_areas(client, records, UpsertOptions(key="code", dry_run=False), dry_run=True)
    assert (report.created, report.dry_run) == (["A"], True)
    with pytest.raises(FocusConfigError, match="options must be an UpsertOptions"):
        upsert_focus_areas(client, records, {"key": "code"})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        upsert_focus_areas(client, records, no_such_option=1)
