"""
Memory of a batch read from a file: the services stream ``input_path``; the baseline loads the file into a list.

A JSON Lines file of ``BENCH_STREAM_RECORDS`` (default 100,000) records of about 1 KB each is written to a
temporary directory, then read three ways under ``tracemalloc``, against a stand-in client that answers at once
(this measures the provider's memory, not the server):

- baseline: the records loaded into a list, as ``input_path`` was read before (what any load-then-send costs);
- the fund import streaming the file (one chunk in memory);
- the upsert streaming the file (parents first, 10 programs and their projects).

What stays is the keys and ids seen so far and the report (every created id), about 100-200 bytes per record
whatever the record's size; the ratio against the baseline is printed.
"""

from __future__ import annotations

import json
import os
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from airflow_provider_focus.api import model
from airflow_provider_focus.services import COST_ITEMS, import_fund_items, iter_records, upsert_focus_areas

RECORDS = int(os.environ.get("BENCH_STREAM_RECORDS", "100000"))
PADDING = "x" * 900


class _InstantFocus:
    """Stands in for the API client: every write succeeds at once."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.count = 0

    def paginate(self, _path: str, **_kwargs: Any) -> list[dict[str, Any]]:
        return []

    def create_reconciled(self, _path: str, body: dict[str, Any], *, find_existing: Any) -> dict[str, Any]:
        self.count += 1
        return {model.FIELD_ID: f"fa-{self.count}"}

    def request(self, _method: str, _path: str, *, json: Any = None, **_kwargs: Any) -> dict[str, Any]:
        items = json[model.BULK_ITEMS]
        results = [{"index": n, "costItemId": f"c-{self.count + n}", "created": True} for n in range(len(items))]
        self.count += len(items)
        return {"results": results, "errors": []}


def _write(path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for n in range(RECORDS):
            group = f"G{n % 10}"
            record: dict[str, Any] = {
                "externalId": group if n < 10 else f"{group}-{n:07d}",
                "name": f"Record {n}",
                "focusAreaTypeId": "fat-program" if n < 10 else "fat-project",
                "description": PADDING,
                "costItemExternalId": f"C-{n:07d}",
                "focusAreaExternalId": group,
            }
            if n >= 10:
                record["parentExternalId"] = group
            handle.write(json.dumps(record) + "\n")


def _peak(run: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def _records(path: Path) -> Any:
    handle = path.open(encoding="utf-8", newline="")
    return handle, iter_records(handle, format="jsonl", source=str(path))


def _loaded(path: Path) -> int:
    handle, records = _records(path)
    with handle:
        return len(list(records))


def _fund_import(path: Path) -> None:
    handle, records = _records(path)
    with handle:
        report = import_fund_items(_InstantFocus(), COST_ITEMS, records)  # type: ignore[arg-type]
    assert len(report.created) == RECORDS, report.counts()


def _upsert(path: Path) -> None:
    handle, records = _records(path)
    with handle:
        report = upsert_focus_areas(_InstantFocus(), records, max_in_flight=1)  # type: ignore[arg-type]
    assert len(report.created) == RECORDS, report.counts()


def main() -> None:
    """Write the file, then print the peak memory of each way to read it."""
    with tempfile.TemporaryDirectory(prefix="focus-bench-") as directory:
        path = Path(directory) / "records.jsonl"
        _write(path)
        size = path.stat().st_size / 1e6
        baseline = _peak(lambda: _loaded(path))
        print(f"{RECORDS} records, {size:.0f} MB of JSON Lines; baseline (loaded into a list): peak {baseline:.0f} MB")
        for label, run in (("fund import, streamed", _fund_import), ("upsert, streamed", _upsert)):
            peak = _peak(lambda run=run: run(path))  # type: ignore[misc]
            print(
                f"{label:<24} peak {peak:6.1f} MB  ({peak * 1e6 / RECORDS:4.0f} bytes a record)   "
                f"baseline {baseline:6.0f} MB   ratio {peak / baseline:5.3f}"
            )


if __name__ == "__main__":
    main()
