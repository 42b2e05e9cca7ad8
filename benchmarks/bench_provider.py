"""
What the provider's own layers cost on top of bare HTTP, against the Focus emulator.

Each figure is paired with a baseline measured in the same run, on the same emulator, with a bare
``requests.Session`` doing the least work that gets the same result:

- reading N focus areas page by page: ``FocusHook.list_focus_areas`` vs a hand-written cursor loop;
- upserting N new focus areas: ``FocusUpsertFocusAreasOperator`` vs N bare POSTs;
- upserting the same N again (nothing to change): the operator vs one bare paginated scan.

A ratio near 1 means the provider adds little to the HTTP round trips themselves.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import requests

from airflow_provider_focus.api import model
from airflow_provider_focus.testing import FocusEmulator
from airflow_provider_focus.testing.seed import TYPE_PROGRAM

RECORDS = int(os.environ.get("BENCH_RECORDS", "1000"))
#: One write at a time, like the bare baseline: this measures the layers, not concurrency (bench_upsert_concurrency).
ONE = {"max_in_flight": 1}


class _Ti:
    def xcom_push(self, key: str, value: Any) -> None:
        pass


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def _records(prefix: str) -> list[dict[str, Any]]:
    return [
        {"externalId": f"{prefix}-{i:05d}", "name": f"Bench {prefix} {i}", "focusAreaTypeId": TYPE_PROGRAM}
        for i in range(RECORDS)
    ]


def _raw_session(fe: FocusEmulator) -> requests.Session:
    session = requests.Session()
    session.auth = (fe.connection().login or "", fe.connection().password or "")
    return session


def _raw_scan(session: requests.Session, root: str) -> int:
    count, params = 0, {model.PARAM_LIMIT: model.MAX_PAGE_SIZE}
    while True:
        page = session.get(f"{root}/{model.FOCUS_AREAS}", params=params).json()
        count += len(page[model.PAGE_VALUES])
        if page.get(model.PAGE_LAST) or not page.get(model.PAGE_NEXT_CURSOR):
            return count
        params[model.PARAM_CURSOR] = page[model.PAGE_NEXT_CURSOR]


def _report(label: str, seconds: float, baseline: float, unit_count: int, unit: str) -> None:
    print(
        f"{label:<44} {seconds:7.3f} s  {unit_count / seconds:8.0f} {unit}/s   "
        f"baseline {baseline:7.3f} s   ratio {seconds / baseline:5.2f}"
    )


def main() -> None:
    """Run the three measurements and print them with their ratios."""
    from airflow_provider_focus.hooks.focus import FocusHook
    from airflow_provider_focus.operators.focus import FocusUpsertFocusAreasOperator

    with FocusEmulator(seed="empty") as fe:
        os.environ.update(fe.conn_env("focus_bench"))
        session = _raw_session(fe)
        root = fe.site_api_root

        # Upsert N new focus areas vs N bare POSTs (each into its own emulator state of the same size).
        raw_records = _records("RAW")
        raw, _ = _timed(lambda: [session.post(f"{root}/{model.FOCUS_AREAS}", json=r) for r in raw_records])
        op = FocusUpsertFocusAreasOperator(task_id="bench", records=_records("OP"), focus_conn_id="focus_bench", **ONE)
        created, report = _timed(lambda: op.execute({"ti": _Ti()}))
        assert len(report["created"]) == RECORDS, report
        _report(f"upsert {RECORDS} new (operator vs bare POSTs)", created, raw, RECORDS, "records")

        # The same records again: nothing to change vs one bare scan of everything.
        scan, total = _timed(lambda: _raw_scan(session, root))
        op = FocusUpsertFocusAreasOperator(task_id="bench", records=_records("OP"), focus_conn_id="focus_bench", **ONE)
        unchanged, report = _timed(lambda: op.execute({"ti": _Ti()}))
        assert report["unchanged"] == RECORDS, report
        _report(f"upsert {RECORDS} unchanged (operator vs bare scan)", unchanged, scan, RECORDS, "records")

        # Read everything page by page: the hook vs the bare cursor loop (best of five, the hook built first).
        hook = FocusHook("focus_bench")
        hook.get_conn()
        listed, count = min(
            _timed(lambda: sum(1 for _ in hook.list_focus_areas(page_size=model.MAX_PAGE_SIZE))) for _ in range(5)
        )
        assert count == total, (count, total)
        scan = min(_timed(lambda: _raw_scan(session, root))[0] for _ in range(5))
        _report(f"list {total} focus areas (hook vs bare loop)", listed, scan, total, "items")


if __name__ == "__main__":
    main()
