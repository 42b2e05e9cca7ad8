"""
Writes in flight: the upsert at ``max_in_flight=4`` against the same upsert sending one record after the other.

The emulator answers every request after 100 ms (its latency fault), as a distant API would. Each run creates
``BENCH_CONCURRENCY_RECORDS`` (default 2,000) new focus areas in 10 parent groups (a program and its projects) in
a fresh emulator state; the sequential run is the baseline, measured in the same process, and the ratio is
printed. Both runs must create every focus area exactly once, parents before children.
"""

from __future__ import annotations

import os
import time
from typing import Any

from airflow_provider_focus.api.client import FocusClient
from airflow_provider_focus.services import upsert_focus_areas
from airflow_provider_focus.testing import FocusEmulator
from benchmarks._upsert_setup import GROUPS, check_created_once, emulator_and_client, group_records

RECORDS = int(os.environ.get("BENCH_CONCURRENCY_RECORDS", "2000"))
LATENCY = 0.1
IN_FLIGHT = 4


def _run(fe: FocusEmulator, client: FocusClient, records: list[dict[str, Any]], max_in_flight: int) -> float:
    fe.reset(seed="empty")  # clears faults too
    fe.faults.latency(LATENCY)
    started = time.perf_counter()
    report = upsert_focus_areas(client, records, max_in_flight=max_in_flight)
    elapsed = time.perf_counter() - started
    check_created_once(fe, report, records)
    return elapsed


def main() -> None:
    """Create the records sequentially, then with writes in flight, and print both times and their ratio."""
    records = group_records(RECORDS, "G")
    with emulator_and_client() as (fe, client):
        sequential = _run(fe, client, records, 1)
        concurrent = _run(fe, client, records, IN_FLIGHT)
    print(
        f"upsert {len(records)} new in {GROUPS} groups, {LATENCY * 1000:.0f} ms a request: "
        f"max_in_flight={IN_FLIGHT} {concurrent:7.1f} s   baseline (max_in_flight=1) {sequential:7.1f} s   "
        f"ratio {concurrent / sequential:5.2f}"
    )


if __name__ == "__main__":
    main()
