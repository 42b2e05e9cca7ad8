"""
What verifying creates costs: the upsert of ``BENCH_VERIFY_RECORDS`` (default 2,000) new focus areas with
``verify_creates=True`` (the default: each create is followed by a GET of its external id, so that two writers at
once converge) against the same upsert with ``verify_creates=False``, in the same process, on a fresh emulator
each time. Prints requests and time for both, and the ratios. ``BENCH_VERIFY_LATENCY`` (seconds, default 0) makes
the emulator answer every request that much later, as a distant API would.
"""

from __future__ import annotations

import os
import time
from typing import Any

from airflow_provider_focus.api.client import FocusClient
from airflow_provider_focus.services import upsert_focus_areas
from airflow_provider_focus.testing import FocusEmulator
from benchmarks._upsert_setup import check_created_once, emulator_and_client, group_records

RECORDS = int(os.environ.get("BENCH_VERIFY_RECORDS", "2000"))
LATENCY = float(os.environ.get("BENCH_VERIFY_LATENCY", "0"))


def _run(fe: FocusEmulator, client: FocusClient, records: list[dict[str, Any]], verify: bool) -> tuple[float, int]:
    fe.reset(seed="empty")  # clears faults and the request log too
    if LATENCY:
        fe.faults.latency(LATENCY)
    started = time.perf_counter()
    report = upsert_focus_areas(client, records, verify_creates=verify)
    elapsed = time.perf_counter() - started
    check_created_once(fe, report, records)
    return elapsed, len([r for r in fe.requests if r.root in ("site", "cloud")])


def main() -> None:
    """Create the records without, then with verification, and print requests, times and ratios."""
    records = group_records(RECORDS, "V")
    with emulator_and_client() as (fe, client):
        plain, plain_requests = _run(fe, client, records, False)
        verified, verified_requests = _run(fe, client, records, True)
    print(
        f"upsert {len(records)} new focus areas, {LATENCY * 1000:.0f} ms a request: "
        f"verify_creates=False {plain:.1f} s, {plain_requests} requests; "
        f"verify_creates=True {verified:.1f} s, {verified_requests} requests; "
        f"ratio {verified / plain:.2f} in time, {verified_requests / plain_requests:.2f} in requests"
    )


if __name__ == "__main__":
    main()
