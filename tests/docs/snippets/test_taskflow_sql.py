"""The SQL tasks shown in ``docs/taskflow.md``: their functions run against the emulator and a SQLite file."""

from __future__ import annotations

# [START taskflow_sql_transfers]
from contextlib import closing
from typing import Any

from airflow.providers.common.compat.sdk import BaseHook
from airflow.sdk import task

from airflow_provider_focus.hooks.focus import FocusHook
from airflow_provider_focus.services.columns import COLUMN_NAMES, row_of


@task
def plans_to_focus(conn_id: str) -> dict[str, Any]:
    """Upsert the rows of a query as focus areas, 1,000 rows fetched at a time; the column names are the fields."""
    database = BaseHook.get_connection(conn_id).get_hook()
    with closing(database.get_conn()) as conn, closing(conn.cursor()) as cursor:
        cursor.execute('SELECT code AS "externalId", title AS name, kind AS "focusAreaTypeId" FROM plans')
        names = [column[0] for column in cursor.description]
        batches = iter(lambda: cursor.fetchmany(1000), [])
        rows = (dict(zip(names, row, strict=True)) for batch in batches for row in batch)
        report = FocusHook().upsert_focus_areas(rows, key="externalId")
    return report.as_dict()


@task
def focus_to_table(conn_id: str) -> int:
    """Write every focus area as a row of the documented columns (replacing the stored row of the same id)."""
    database = BaseHook.get_connection(conn_id).get_hook()
    rows = [row_of(focus_area) for focus_area in FocusHook().list_focus_areas()]
    database.insert_rows("focus_areas", rows, target_fields=list(COLUMN_NAMES), replace=True, executemany=True)
    return len(rows)


# [END taskflow_sql_transfers]

import json  # noqa: E402
import sqlite3  # noqa: E402

from tests.transfers.conftest import FOCUS_AREAS_DDL  # noqa: E402


def test_the_sql_tasks_move_focus_areas_both_ways(focus_emulator, focus_conn, tmp_path, monkeypatch):
    path = tmp_path / "plans.db"
    monkeypatch.setenv("AIRFLOW_CONN_PLANS", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE plans (code TEXT, title TEXT, kind TEXT)")
        db.executemany(
            "INSERT INTO plans VALUES (?, ?, ?)", [("T-1", "One", "fat-strategy"), ("T-2", "Two", "fat-strategy")]
        )
        db.execute(FOCUS_AREAS_DDL)
        db.commit()
    assert len(plans_to_focus.function("plans")["created"]) == 2
    assert plans_to_focus.function("plans")["unchanged"] == 2
    count = focus_to_table.function("plans")
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT COUNT(*) FROM focus_areas").fetchone() == (count,)
        assert db.execute("SELECT name FROM focus_areas WHERE external_id = 'T-2'").fetchone() == ("Two",)
