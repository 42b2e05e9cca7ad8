"""
The upsert's per-record cost: a dry run keeps little per record, and what it keeps still decides correctly.

A dry run of many records used to keep, per key, its position, its outcome and a made-up id; it now keeps the key
and its position, and makes the id of a focus area it would create only when a child asks for it.
"""

from __future__ import annotations

import logging
import tracemalloc
from collections.abc import Iterator
from typing import Any

from airflow_provider_focus.services import upsert_focus_areas
from airflow_provider_focus.services.upsert import DRY_RUN_ID
from tests.services.conftest import API, focus_area, page, rec

#: Bytes a dry run may keep per record read (the key, its position, the report's entry): about 130; it was 240.
MAX_BYTES_PER_RECORD = 160


def _records(count: int) -> Iterator[dict[str, Any]]:
    for n in range(count):
        if n < 10:
            yield {"externalId": f"G{n}", "name": f"Program {n}", "focusAreaTypeId": "fat-program"}
        else:
            yield {
                "externalId": f"G{n % 10}-{n:07d}",
                "name": f"Project {n}",
                "focusAreaTypeId": "fat-project",
                "parentExternalId": f"G{n % 10}",
                "description": f"Project number {n} of its program",
            }


def _peak(client: Any, count: int) -> int:
    tracemalloc.start()
    try:
        report = upsert_focus_areas(client, _records(count), dry_run=True, max_in_flight=1)
        assert (report.created_count, report.failed) == (count, [])
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_dry_run_keeps_little_per_record(emulator_client, caplog):
    caplog.set_level(logging.WARNING, logger="airflow_provider_focus")  # captured log records are not the upsert's
    small, large = _peak(emulator_client, 5_000), _peak(emulator_client, 25_000)
    per_record = (large - small) / 20_000
    assert per_record < MAX_BYTES_PER_RECORD, f"{per_record:.0f} bytes kept per record"


def test_a_child_of_a_focus_area_a_dry_run_would_create_sees_its_placeholder_id(client, requests_mock):
    # C exists under fa-1; the input moves it under P, which a dry run would create: the parent differs
    requests_mock.get(f"{API}/focus-areas", json=page([focus_area("fa-3", "C", parentId="fa-1")]))
    records = [rec("P"), rec("C", "P"), rec("P")]
    report = upsert_focus_areas(client, records, dry_run=True, max_in_flight=1, scan_threshold=1)
    assert report.created == ["P"]
    assert [(entry.key, entry.fields) for entry in report.not_updatable] == [("C", ("parentId",))]
    assert report.unchanged == 1
    assert [(entry.key, entry.index) for entry in report.failed] == [("P", 2)]
    assert "the first (record 0) was checked" in report.failed[0].error
    assert DRY_RUN_ID.format(external_id="P") == "(new:P)"


def test_a_child_after_its_parent_failed_fails_and_a_repeat_names_the_failed_first(client, requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    records = [rec("P", name=float("nan")), rec("C", "P"), rec("P")]
    report = upsert_focus_areas(client, records, dry_run=True, max_in_flight=1, scan_threshold=1)
    errors = {(entry.key, entry.index): entry.error for entry in report.failed}
    assert "its parent 'P' failed" in errors[("C", 1)]
    assert "the first (record 0) failed" in errors[("P", 2)]
    assert report.created == []
