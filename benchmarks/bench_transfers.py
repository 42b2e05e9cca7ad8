"""
Rows from SQL and from Parquet into the upsert (dry run): rows per second against the source's own read, and memory.

``BENCH_TRANSFER_ROWS`` (default 100,000) focus-area rows are written to a SQLite table and to a Parquet file (row
groups of 10,000), then each source is read four ways, timed, and again under ``tracemalloc`` at 10,000 rows and
at the full count:

- the source alone: ``sqlite3`` ``fetchmany`` / pyarrow ``iter_batches`` turned into dicts, nothing else;
- the provider's reader alone: ``SqlToFocusOperator``'s query stream (through the SQLite provider's hook) /
  ``read_records`` on the Parquet file (each record checked as the upsert needs it);
- the reader into the upsert, ``dry_run=True``, against a stand-in client that answers at once and holds no focus
  area (so this measures the provider, not a server, nor the opening scan of what Focus holds): what
  ``SqlToFocusOperator`` and ``FocusUpsertFocusAreasOperator(input_path=...)`` do minus the HTTP.

Times are the process's CPU time (best of three, the ways taking turns), so that other work on a shared machine
does not count; the header shows the load average. The reader's peak memory should not grow with the row count
(one fetch or one batch in memory); the upsert keeps, per record, its key, position and outcome in a compact table
(for repeated keys and parents named later): about 45 bytes a row; the report lists its first 1,000 entries.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import requests

RECORDS = int(os.environ.get("BENCH_TRANSFER_ROWS", "100000"))
SMALL = min(10_000, RECORDS)
QUERY = (
    'SELECT code AS "externalId", title AS name, kind AS "focusAreaTypeId", parent AS "parentExternalId", '
    "note AS description FROM plans ORDER BY rowid"
)


class _InstantFocus:
    """Stands in for the API client: no focus area exists yet (a dry run then only plans creates)."""

    def __init__(self) -> None:
        self.session = requests.Session()

    def paginate(self, _path: str, **_kwargs: Any) -> list[dict[str, Any]]:
        return []


def _rows(count: int) -> Iterator[tuple[str, str, str, str | None, str]]:
    for n in range(count):
        group = f"G{n % 10}"
        if n < 10:
            yield group, f"Program {n}", "fat-program", None, "a program"
        else:
            yield f"{group}-{n:07d}", f"Project {n}", "fat-project", group, f"Project number {n} of its program"


def _make_sqlite(path: Path, count: int) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE plans (code TEXT, title TEXT, kind TEXT, parent TEXT, note TEXT)")
        db.executemany("INSERT INTO plans VALUES (?, ?, ?, ?, ?)", _rows(count))
        db.commit()


def _make_parquet(path: Path, count: int) -> None:
    import pyarrow
    import pyarrow.parquet as pq

    names = ["externalId", "name", "focusAreaTypeId", "parentExternalId", "description"]
    with pq.ParquetWriter(path, pyarrow.schema([(name, pyarrow.string()) for name in names])) as writer:
        rows = _rows(count)
        while batch := [row for _, row in zip(range(10_000), rows, strict=False)]:
            writer.write_table(
                pyarrow.table({name: list(cells) for name, cells in zip(names, zip(*batch, strict=True), strict=True)})
            )


# --- the ways to read ---------------------------------------------------------------------------------------------


def _sqlite_alone(path: Path, limit: int) -> int:
    count = 0
    with closing(sqlite3.connect(path)) as db, closing(db.cursor()) as cursor:
        cursor.execute(f"{QUERY} LIMIT {limit}")
        names = [column[0] for column in cursor.description]
        while rows := cursor.fetchmany(1000):
            for row in rows:
                dict(zip(names, row, strict=True))
                count += 1
    return count


def _parquet_alone(path: Path, limit: int) -> int:
    import pyarrow.parquet as pq

    count = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
        for record in batch.to_pylist():
            {name: value for name, value in record.items() if value is not None}
            count += 1
            if count >= limit:
                return count
    return count


def _sql_records(limit: int) -> Any:
    from airflow_provider_focus.transfers._sql import db_hook, query_rows

    return query_rows(db_hook("bench_plans"), f"{QUERY} LIMIT {limit}", None, 1000)


class _ParquetRecords:
    """The records of the Parquet file of ``limit`` rows, read whole as the operator reads its ``input_path``."""

    def __init__(self, path: Callable[[int], Path], limit: int) -> None:
        self.path = path(limit)

    def __enter__(self) -> Iterator[Any]:
        from airflow_provider_focus.services.records import read_records

        return read_records(self.path, key="externalId")

    def __exit__(self, *_exc: object) -> None:
        return None


def _read_only(opener: Callable[[int], Any], limit: int) -> int:
    with opener(limit) as records:
        return sum(1 for _ in records)


def _upsert(opener: Callable[[int], Any], limit: int) -> int:
    from airflow_provider_focus.services import upsert_focus_areas

    with opener(limit) as records:
        report = upsert_focus_areas(_InstantFocus(), records, dry_run=True, max_in_flight=1)  # type: ignore[arg-type]
    assert report.created_count == limit, report.counts()
    assert not report.failed, report.failed[:3]
    return limit


def _timed(runs: list[Callable[[int], int]], limit: int) -> list[float]:
    """Return the best CPU time of each run, taking turns (a burst of load hits every run alike)."""
    best = [float("inf")] * len(runs)
    for _ in range(3):
        for index, run in enumerate(runs):
            started = time.process_time()
            assert run(limit) == limit
            best[index] = min(best[index], time.process_time() - started)
    return best


def _peak(run: Callable[[int], int], limit: int) -> float:
    tracemalloc.start()
    try:
        run(limit)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def main() -> None:
    """Make the sources, then print rows per second and peak memory of each way to read them."""
    import logging

    logging.getLogger("airflow_provider_focus").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="focus-bench-") as directory:
        database = Path(directory) / "plans.db"
        _make_sqlite(database, RECORDS)
        parquet = {count: Path(directory) / f"plans-{count}.parquet" for count in {SMALL, RECORDS}}
        for count, path in parquet.items():
            _make_parquet(path, count)
        os.environ["AIRFLOW_CONN_BENCH_PLANS"] = json.dumps({"conn_type": "sqlite", "host": str(database)})
        sources: dict[str, tuple[Callable[[int], int], Callable[[int], Any]]] = {
            "SQL (SQLite)": (lambda limit: _sqlite_alone(database, limit), _sql_records),
            "Parquet": (
                lambda limit: _parquet_alone(parquet[limit], limit),
                lambda limit: _ParquetRecords(parquet.__getitem__, limit),
            ),
        }
        print(
            f"{RECORDS:,} rows; rows/s of CPU time (best of 3) and peak traced memory at {SMALL:,} and {RECORDS:,} "
            f"rows; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        for name, (alone, opener) in sources.items():
            ways: dict[str, Callable[[int], int]] = {
                "source alone": alone,
                "provider's reader": lambda limit, opener=opener: _read_only(opener, limit),  # type: ignore[misc]
                "reader + upsert (dry run)": lambda limit, opener=opener: _upsert(opener, limit),  # type: ignore[misc]
            }
            times = dict(zip(ways, _timed(list(ways.values()), RECORDS), strict=True))
            base = times["source alone"]
            for label, run in ways.items():
                seconds = times[label]
                small, large = _peak(run, SMALL), _peak(run, RECORDS)
                print(
                    f"{name:<13} {label:<26} {RECORDS / seconds:>9,.0f} rows/s  +{(seconds / base - 1) * 100:5.0f} % "
                    f"of the source's time   peak {small:6.1f} MB at {SMALL:,}, {large:6.1f} MB at {RECORDS:,}"
                )


if __name__ == "__main__":
    main()
