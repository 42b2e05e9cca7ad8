"""The upsert against hostile input and a hostile server: long parent cycles and chains, values that cannot be sent."""

from __future__ import annotations

import time

import pytest

from airflow_provider_focus.services import upsert_focus_areas
from airflow_provider_focus.services._cycles import MAX_NAMED, cycle_messages
from tests.services.conftest import API, page, rec

N = 10_000


def test_a_long_cycle_is_reported_in_linear_time_with_bounded_messages(client, requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    records = [rec(f"K{n}", f"K{(n + 1) % N}") for n in range(N)]  # one cycle through every record
    started = time.monotonic()
    report = upsert_focus_areas(client, records, dry_run=True)
    elapsed = time.monotonic() - started
    assert len(report.failed) == N
    assert elapsed < 3.0  # was cubic: 1,600 records took 38 s
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
    report = upsert_focus_areas(client, records, dry_run=True)
    assert time.monotonic() - started < 3.0
    by_key = {entry.key: entry.error for entry in report.failed}
    assert by_key["C0"] == "an ancestor is in a parent cycle: X -> Y -> X"
    assert by_key["X"] == "its parents form a cycle: X -> Y -> X"
    assert by_key["Y"] == "its parents form a cycle: Y -> X -> Y"


def test_a_long_chain_given_children_first_resolves_in_linear_time(client, requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    records = [rec(f"C{n}", f"C{n - 1}" if n else None) for n in reversed(range(N))]
    started = time.monotonic()
    report = upsert_focus_areas(client, records, dry_run=True)
    assert time.monotonic() - started < 5.0
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
