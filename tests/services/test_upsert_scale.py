"""
An upsert of many records keeps little per record: its keys in a compact table (exact, whatever the hashes do) and a
report whose lists are bounded while its counts stay exact.
"""

from __future__ import annotations

import functools
import logging
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_focus.api import model
from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.services import upsert, upsert_focus_areas
from airflow_provider_focus.services._keys import FAILED, HAS_ID, PENDING, KeyTable
from tests.services.conftest import API, page, rec

#: Bytes a dry run may keep per record read: the compact key table holds ~45 (a dict of the keys and the report's
#: full lists held ~130).
MAX_BYTES_PER_RECORD = 70


def _colliding(_key: str) -> int:
    return 7  # every key hashes alike: only the stored bytes can tell them apart


def test_keys_whose_hashes_collide_stay_apart_and_a_repeat_is_found_exactly():
    table = KeyTable(digest=_colliding)
    keys = [f"K{n}" for n in range(3000)]  # past a few growths of the slot table
    assert [table.add(key, position) for position, key in enumerate(keys)] == list(range(3000))
    assert table.add("K1234", 9999) == -1 - 1234  # a repeat: the first record's entry
    assert table.position(1234) == 1234
    assert table.find("K2999") == 2999
    assert table.find("K3000") == -1
    assert table.key(17) == "K17"


def test_the_table_keeps_outcomes_and_ids_and_any_text_as_a_key():
    table = KeyTable()
    first, second, third = (table.add(key, n) for n, key in enumerate(["é-1", "\u4e2d", "x" * 300]))
    assert [table.state(entry) for entry in (first, second, third)] == [PENDING] * 3
    table.settle(second, HAS_ID, "fa-42")
    table.settle(first, FAILED)
    assert (table.state(first), table.state(second), table.id_of(second)) == (FAILED, HAS_ID, "fa-42")
    assert [table.key(entry) for entry in (first, second, third)] == ["é-1", "\u4e2d", "x" * 300]
    assert len(table) == 3


@pytest.fixture
def colliding_keys(monkeypatch):
    """Every upsert of the test keeps its keys in a table whose hashes all collide."""
    monkeypatch.setattr(upsert, "KeyTable", functools.partial(KeyTable, digest=_colliding))


def test_an_upsert_whose_key_hashes_collide_drops_no_record(client, requests_mock, colliding_keys):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    records = [rec("C", "B"), rec("A"), rec("B", "A"), rec("D", "B"), rec("A"), rec("E", "Z")]
    report = upsert_focus_areas(client, records, dry_run=True, max_in_flight=1)
    assert report.created == ["A", "B", "C", "D"]
    errors = {(entry.key, entry.index): entry.error for entry in report.failed}
    assert set(errors) == {("A", 4), ("E", 5)}
    assert "the first (record 1) was checked" in errors[("A", 4)]
    assert "'Z' is neither in the input nor in Focus" in errors[("E", 5)]


def test_parents_named_later_get_the_ids_focus_gave_them(emulator_client, colliding_keys):
    # C waits for P (named later); D comes after P was created and finds P's id in the key table
    records = [
        rec("SC-C", "SC-P", focusAreaTypeId="fat-program"),
        rec("SC-P", focusAreaTypeId="fat-strategy"),
        rec("SC-D", "SC-P", focusAreaTypeId="fat-program"),
        rec("SC-E", "SC-C"),
    ]
    report = upsert_focus_areas(emulator_client, records, max_in_flight=2)
    assert (report.created_count, report.failed) == (4, [])
    by_key = {
        found["externalId"]: found
        for found in emulator_client.paginate(model.FOCUS_AREAS)
        if str(found.get("externalId", "")).startswith("SC-")
    }
    parent_id = by_key["SC-P"]["id"]
    assert by_key["SC-C"]["parentId"] == by_key["SC-D"]["parentId"] == parent_id
    assert by_key["SC-E"]["parentId"] == by_key["SC-C"]["id"]


def test_the_report_lists_the_first_entries_and_counts_every_one(client, requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    records = [rec(f"K{n}") for n in range(30)] + [{"name": "no key"}] * 4
    report = upsert_focus_areas(client, records, dry_run=True, max_listed=10)
    assert report.created == [f"K{n}" for n in range(10)]
    assert [entry.index for entry in report.failed] == [30, 31, 32, 33]
    assert (report.created_count, report.failed_count, report.done, report.truncated) == (30, 4, 34, True)
    as_dict = report.as_dict()
    assert len(as_dict["created"]) == 10
    assert (as_dict["truncated"], as_dict["counts"]) == (
        True,
        {"created": 30, "updated": 0, "unchanged": 0, "failed": 4, "not_updatable": 0},
    )
    assert "30 created" in report.counts()


def test_the_report_is_bounded_by_default_and_lists_everything_when_told(client, requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    records = [rec(f"K{n}") for n in range(1005)]
    bounded = upsert_focus_areas(client, records, dry_run=True)
    assert (len(bounded.created), bounded.created_count, bounded.as_dict()["truncated"]) == (1000, 1005, True)
    full = upsert_focus_areas(client, records, dry_run=True, max_listed=None)
    assert (len(full.created), full.truncated) == (1005, False)
    assert "truncated" not in full.as_dict()
    # the counts are there whether or not a list was cut: an XCom consumer reads them the same way
    assert full.as_dict()["counts"] == {"created": 1005, "updated": 0, "unchanged": 0, "failed": 0, "not_updatable": 0}


def test_a_bad_bound_is_refused(client):
    with pytest.raises(FocusConfigError, match="max_listed"):
        upsert_focus_areas(client, [], max_listed=-1)


def _records(count: int) -> Iterator[dict[str, Any]]:
    for n in range(count):  # each record (and its key) made as it is read, as a file or a query gives them
        if n < 10:
            yield rec(f"G{n}")
        else:
            yield rec(f"G{n % 10}-{n:07d}", f"G{n % 10}", description=f"Project number {n} of its program")


def _peak(client: Any, count: int) -> int:
    tracemalloc.start()
    try:
        report = upsert_focus_areas(client, _records(count), dry_run=True, max_in_flight=1, scan_threshold=1)
        assert (report.created_count, report.failed) == (count, [])
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_dry_run_of_many_records_keeps_tens_of_bytes_a_record(client, requests_mock, caplog):
    caplog.set_level(logging.WARNING, logger="airflow_provider_focus")  # captured log records are not the upsert's
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    small, large = _peak(client, 5_000), _peak(client, 45_000)
    per_record = (large - small) / 40_000
    assert per_record < MAX_BYTES_PER_RECORD, f"{per_record:.0f} bytes kept per record"
