"""A dry run logs its first planned changes of each kind and counts the rest: a long input makes a short task log."""

from __future__ import annotations

import logging
import re

from airflow_provider_focus.services import upsert_focus_areas
from airflow_provider_focus.services.upsert import DRY_RUN_LOGGED
from tests.services.conftest import rec

LOGGER = "airflow_provider_focus.services.upsert"


def test_a_dry_run_of_many_records_logs_the_first_changes_and_counts_the_rest(emulator_client, caplog):
    existing = [rec(f"DL-{n}", description="before") for n in range(30)]
    assert upsert_focus_areas(emulator_client, existing, max_in_flight=2).created_count == 30
    records = [rec(f"DL-{n}", description="after") for n in range(100)]  # 30 updates, then 70 creates
    caplog.set_level(logging.INFO, logger=LOGGER)
    report = upsert_focus_areas(emulator_client, records, dry_run=True, max_in_flight=2, max_listed=50)
    assert (report.updated_count, report.created_count, report.failed) == (30, 70, [])
    lines = [entry.getMessage() for entry in caplog.records if entry.name == LOGGER]
    creates = [line for line in lines if line.startswith("Would create")]
    updates = [line for line in lines if line.startswith("Would update")]
    assert (len(creates), len(updates)) == (DRY_RUN_LOGGED, DRY_RUN_LOGGED)
    summaries = [line for line in lines if line.startswith("... and")]
    assert summaries == [
        f"... and {70 - DRY_RUN_LOGGED} more creates (dry run, not logged one by one); the report lists the first 50",
        f"... and {30 - DRY_RUN_LOGGED} more updates (dry run, not logged one by one); the report lists every one",
    ]
    assert len(lines) <= 2 * DRY_RUN_LOGGED + len(summaries) + 5  # the run's start, end and progress lines
    assert all(re.fullmatch(r"Would create DL-\d+ \(DL-\d+\)", line) for line in creates)


def test_a_short_dry_run_logs_every_change_and_no_summary(emulator_client, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    report = upsert_focus_areas(emulator_client, [rec(f"DS-{n}") for n in range(5)], dry_run=True)
    assert report.created_count == 5
    lines = [entry.getMessage() for entry in caplog.records if entry.name == LOGGER]
    assert sum(line.startswith("Would create") for line in lines) == 5
    assert not any(line.startswith("... and") for line in lines)
