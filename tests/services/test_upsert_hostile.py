"""The upsert against hostile input and a hostile server: long parent cycles and chains, values that cannot be sent."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from airflow_provider_focus.api.client import FocusClient
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.services import upsert_focus_areas
from airflow_provider_focus.services._cycles import MAX_NAMED, cycle_messages
from airflow_provider_focus.testing import FocusEmulator
from airflow_provider_focus.testing.constants import EMULATOR_API_TOKEN, EMULATOR_EMAIL
from tests.services.conftest import API, page, rec

N = 10_000


def test_a_long_cycle_is_reported_in_linear_time_with_bounded_messages(client, requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    records = [rec(f"K{n}", f"K{(n + 1) % N}") for n in range(N)]  # one cycle through every record
    started = time.monotonic()
    report = upsert_focus_areas(client, records, dry_run=True, max_listed=None)  # every failure listed
    elapsed = time.monotonic() - started
    assert len(report.failed) == N
    assert elapsed < 20.0  # about 1 s on an idle machine; was cubic: 1,600 records took 38 s
    first = report.failed[0]
    assert first.key == "K0"
    assert first.error.startswith("its parents form a cycle: K0 -> K1 -> K2")
    assert f"({N} records in the cycle)" in first.error
    assert max(len(entry.error) for entry in report.failed) < 300


def test_a_long_chain_hanging_from_a_cycle_fails_in_linear_time(client, requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    chain = [rec(f"C{n}", f"C{n + 1}") for n in range(N)]  # each names the next one; the last names the cycle
    chain[-1] = rec(f"C{N - 1}", "X")
    records = [*chain, rec("X", "Y"), rec("Y", "X")]
    started = time.monotonic()
    report = upsert_focus_areas(client, records, dry_run=True, max_listed=None)  # every failure listed
    assert time.monotonic() - started < 20.0  # about 0.5 s on an idle machine
    by_key = {entry.key: entry.error for entry in report.failed}
    assert by_key["C0"] == "an ancestor is in a parent cycle: X -> Y -> X"
    assert by_key["X"] == "its parents form a cycle: X -> Y -> X"
    assert by_key["Y"] == "its parents form a cycle: Y -> X -> Y"


def test_a_long_chain_given_children_first_resolves_in_linear_time(client, requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    records = [rec(f"C{n}", f"C{n - 1}" if n else None) for n in reversed(range(N))]
    started = time.monotonic()
    report = upsert_focus_areas(client, records, dry_run=True)
    assert time.monotonic() - started < 20.0  # about 0.5 s on an idle machine
    assert report.failed == []
    assert report.created[:3] == ["C0", "C1", "C2"]


@pytest.mark.parametrize("size", [1, 2, MAX_NAMED, MAX_NAMED + 1])
def test_cycle_messages_name_each_cycle_from_its_record(size):
    keys = [f"K{n}" for n in range(size)]
    parent_of = {key: keys[(n + 1) % size] for n, key in enumerate(keys)}
    messages = cycle_messages(keys, parent_of)
    if size <= MAX_NAMED:
        assert messages["K0"] == "its parents form a cycle: " + " -> ".join([*keys, "K0"])
    else:
        assert messages["K0"].endswith(f"-> ... ({size} records in the cycle)")
    assert messages[keys[-1]].startswith(f"its parents form a cycle: {keys[-1]} -> K0")


# --- rate limits: budgeted in time, the run slows down instead of failing records ----------------------------------


def real_client(emulator: FocusEmulator, **extra: Any) -> FocusClient:
    """A client of the emulator that really waits between attempts."""
    config = FocusClientConfig.from_connection_fields(
        host=emulator.url, login=EMULATOR_EMAIL, password=EMULATOR_API_TOKEN, extra=extra
    )
    return FocusClient(config)


def test_a_429_burst_slows_the_run_down_and_fails_no_record(emulator, caplog):
    burst = emulator.faults.rate_limit(count=60, retry_after=0.05, path="focus-areas", method="POST")
    client = real_client(emulator)
    try:
        with caplog.at_level(logging.INFO, logger="airflow_provider_focus.services.upsert"):
            report = upsert_focus_areas(client, [rec(f"R{n}") for n in range(80)], max_in_flight=4)
    finally:
        client.close()
    assert burst.applied == 60
    assert (len(report.created), report.failed) == (80, [])
    assert "slowing down to 2 in flight" in caplog.text


def test_an_opening_scan_that_gives_up_still_returns_a_report(emulator):
    emulator.faults.rate_limit(count=None, retry_after=0.05, path="focus-areas", method="GET")
    client = real_client(emulator, max_retries=1, rate_limit_budget=1)
    try:
        started = time.monotonic()
        report = upsert_focus_areas(client, [rec(f"S{n}") for n in range(30)], scan_threshold=25)
    finally:
        client.close()
    assert time.monotonic() - started < 10
    assert (report.created, len(report.failed)) == ([], 30)
    assert [entry.index for entry in report.failed] == list(range(30))
    assert all("reading the existing focus areas failed" in entry.error for entry in report.failed)
    assert "HTTP 429" in report.failed[0].error


# --- values that cannot be sent: a failure of that record, named, never an exception out of the upsert ----------

BAD_VALUES = {
    "lone surrogate": (rec("S", name="a\ud800b"), "name holds a lone surrogate"),
    "surrogate in the key": (rec("S\udc00"), "externalId holds a lone surrogate"),
    "NaN": (rec("N", description=float("nan")), "description is nan"),
    "NaN key": ({"externalId": float("nan"), "name": "x", "focusAreaTypeId": "t"}, "externalId is a float"),
    "tuple field name": ({**rec("T"), ("a", "b"): 1}, "field named ('a', 'b') (tuple)"),
    "int field name": ({**rec("I"), 5: "x"}, "field named 5 (int)"),
    "huge string": (rec("H", description="x" * 200_000), "description is 200000 characters long"),
    "huge key": (rec("K" * 5000), "externalId is 5000 characters long"),
    "bytes": (rec("B", description=b"\xff"), "description is a bytes"),
    "parent object": (rec("P", parentExternalId=object()), "parentExternalId is a object"),
}


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry run", "real"])
@pytest.mark.parametrize("kind", list(BAD_VALUES))
def test_a_record_that_cannot_be_sent_fails_alone_and_is_named(client, requests_mock, kind, dry_run):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    posted = requests_mock.post(f"{API}/focus-areas", status_code=201, json={"id": "fa-ok"})
    bad, expected = BAD_VALUES[kind]
    report = upsert_focus_areas(client, [rec("BEFORE"), bad, rec("AFTER")], dry_run=dry_run, max_in_flight=1)
    assert len(report.created) == 2
    (failure,) = report.failed
    assert failure.index == 1
    assert expected in failure.error
    assert failure.error.startswith("record 1: ")
    assert len(failure.error) < 400
    assert failure.key is None or len(failure.key) <= 103
    json.dumps(report.as_dict()).encode("utf-8")  # the report (XCom) holds no lone surrogate either
    assert posted.call_count == (0 if dry_run else 2)


# --- duplicates left by an older version (or a killed writer): an opt-in repair -------------------------------------


def test_old_duplicates_fail_by_default_and_are_repaired_on_request(emulator, emulator_client):
    for name in ("first", "second", "third"):
        emulator_client.request(
            "POST", "focus-areas", json={"name": name, "focusAreaTypeId": "fat-program", "externalId": "DUP"}
        )
    records = [rec("DUP", name="kept", focusAreaTypeId="fat-program"), rec("DUP-1", "DUP")]
    failing = upsert_focus_areas(emulator_client, records)
    assert [entry.key for entry in failing.failed] == ["DUP", "DUP-1"]
    assert "repair_duplicates=True" in failing.failed[0].error

    report = upsert_focus_areas(emulator_client, records, repair_duplicates=True)
    assert report.failed == []
    holders = [fa for fa in emulator.store.focus_areas() if (fa["externalId"] or "").startswith("DUP")]
    by_key = {fa["externalId"]: fa for fa in holders}
    kept = by_key["DUP"]
    assert kept["name"] == "kept"  # the oldest ("first") kept the key and got the record's fields
    assert report.updated == [kept["id"]]
    assert by_key["DUP-1"]["parentId"] == kept["id"]
    assert sorted(entry["movedTo"] for entry in report.as_dict()["moved"]) == sorted(
        key for key in by_key if "~duplicate~" in key
    )
    assert len(report.moved) == 2
    assert all(entry["keptId"] == kept["id"] for entry in report.moved)
    assert upsert_focus_areas(emulator_client, records).as_dict() == {
        "created": [],
        "updated": [],
        "unchanged": 2,
        "failed": [],
        "not_updatable": [],
        "counts": {"created": 0, "updated": 0, "unchanged": 2, "failed": 0, "not_updatable": 0},
    }


def test_verification_can_be_turned_off_for_a_single_writer(emulator, emulator_client):
    emulator.clear_requests()
    report = upsert_focus_areas(emulator_client, [rec(f"V{n}") for n in range(5)], verify_creates=False)
    assert len(report.created) == 5
    gets = [r for r in emulator.requests if r.method == "GET" and "externalId" in r.query]
    assert len(gets) == 5  # the look-ups before the creates, no verification after them
