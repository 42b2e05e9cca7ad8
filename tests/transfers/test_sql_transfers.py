"""
SQL to Focus and back, on a real SQLite database (through the SQLite provider) and the emulator.

10,000 focus areas go from a table into Focus and from Focus into a table; the second run of each writes nothing.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from airflow_provider_focus.exceptions import FocusConfigError, FocusPartialFailure
from airflow_provider_focus.services.columns import COLUMN_NAMES
from airflow_provider_focus.testing import FocusEmulator
from airflow_provider_focus.transfers.focus_to_sql import FocusToSqlOperator
from airflow_provider_focus.transfers.sql_to_focus import SqlToFocusOperator
from tests.operators.conftest import record_log
from tests.transfers.conftest import FOCUS_AREAS_DDL, SQLITE_CONN_ID

PLANS_SQL = (
    'SELECT code AS "externalId", title AS name, kind AS "focusAreaTypeId", parent AS "parentExternalId", '
    "note AS description FROM plans ORDER BY code"
)


def make_plans(db: sqlite3.Connection, programs: int, projects_each: int) -> int:
    """A plans table: programs under the demo seed's strategy, projects under the programs."""
    db.execute("CREATE TABLE plans (code TEXT, title TEXT, kind TEXT, parent TEXT, note TEXT)")
    rows: list[tuple[Any, ...]] = []
    for program in range(programs):
        code = f"P{program:03d}"
        rows.append((code, f"Program {program}", "fat-program", "STRAT-001", None))
        rows.extend(
            (f"{code}-{n:03d}", f"Project {program}.{n}", "fat-project", code, f"note {n}")
            for n in range(projects_each)
        )
    db.executemany("INSERT INTO plans VALUES (?, ?, ?, ?, ?)", rows)
    db.commit()
    return len(rows)


def writes(emulator: FocusEmulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in emulator.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")]


@pytest.mark.scale
def test_10000_focus_areas_from_sql_into_focus_and_back_the_second_runs_write_nothing(
    focus_emulator, focus_conn, sqlite_db, context
):
    count = make_plans(sqlite_db, programs=100, projects_each=99)
    assert count == 10_000
    to_focus = SqlToFocusOperator(
        task_id="to_focus", sql_conn_id=SQLITE_CONN_ID, sql=PLANS_SQL, max_in_flight=4, fetch_size=500
    )
    first = to_focus.execute(context)
    assert (first["counts"]["created"], first["updated"], first["failed"]) == (10_000, [], [])
    assert (len(first["created"]), first["truncated"]) == (1000, True)  # the report lists the first 1,000

    focus_emulator.clear_requests()
    second = to_focus.execute(context)
    assert (second["created"], second["updated"], second["unchanged"], second["failed"]) == ([], [], 10_000, [])
    assert writes(focus_emulator) == []

    # an hour later one focus area changes: the export's watermark is that change (the creates are older)
    focus_emulator.set_clock(offset_seconds=3600)
    focus_emulator.set_status(first["created"][0], "AT_RISK")
    sqlite_db.execute(FOCUS_AREAS_DDL)
    sqlite_db.commit()
    to_sql = FocusToSqlOperator(task_id="to_sql", sql_conn_id=SQLITE_CONN_ID, table="focus_areas", batch_size=700)
    exported = to_sql.execute(context)
    total = exported["read"]
    assert total >= 10_000
    assert (exported["written"], exported["unchanged"]) == (total, 0)
    stored = sqlite_db.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM focus_areas").fetchone()
    assert stored == (total, total)
    program = sqlite_db.execute(
        "SELECT name, focus_area_type_id, parent_id, draft, description FROM focus_areas WHERE external_id = 'P042-007'"
    ).fetchone()
    assert program[:2] == ("Project 42.7", "fat-project")
    assert program[2] == sqlite_db.execute("SELECT id FROM focus_areas WHERE external_id = 'P042'").fetchone()[0]
    assert program[3:] == (0, "note 7")

    again = to_sql.execute(context)
    assert (again["read"], again["written"], again["unchanged"]) == (total, 0, total)

    # another hour later a change in Focus reaches the table; the incremental run reads only what changed since
    # the watermark (and, by the change feed's 60 s overlap, the change the watermark came from, left alone)
    focus_emulator.set_clock(offset_seconds=7200)
    focus_emulator.set_status(first["created"][5], "AT_RISK")
    incremental = FocusToSqlOperator(
        task_id="to_sql", sql_conn_id=SQLITE_CONN_ID, table="focus_areas", updated_since=exported["watermark"]
    )
    changed = incremental.execute(context)
    assert changed["written"] == 1
    assert (changed["read"], changed["unchanged"]) == (2, 1)
    assert context["ti"].pushed["watermark"] >= exported["watermark"]
    status = sqlite_db.execute("SELECT status FROM focus_areas WHERE id = ?", (first["created"][5],)).fetchone()
    assert status == ("AT_RISK",)
    assert incremental.execute(context)["written"] == 0


@pytest.mark.integration  # the SQL hook path on every Airflow version of the matrix (10,000 rows: the newest)
def test_bad_rows_are_failed_records_and_the_partial_failure_rule_applies(
    focus_emulator, focus_conn, sqlite_db, context
):
    sqlite_db.execute("CREATE TABLE plans (code TEXT, title TEXT, kind TEXT, parent TEXT, note TEXT)")
    sqlite_db.executemany(
        "INSERT INTO plans VALUES (?, ?, ?, ?, ?)",
        [
            ("S-1", "ok", "fat-program", "STRAT-001", None),
            (None, "no key", "fat-project", None, None),
            ("S-2", "blob", "fat-project", "S-1", b"\x00\x01"),
            ("S-3", "orphan", "fat-project", "NOPE", None),
        ],
    )
    sqlite_db.commit()
    op = SqlToFocusOperator(task_id="to_focus", sql_conn_id=SQLITE_CONN_ID, sql=PLANS_SQL)
    with pytest.raises(FocusPartialFailure, match="3 of 4 focus area records failed"):
        op.execute(context)
    report = context["ti"].pushed["report"]
    assert len(report["created"]) == 1
    errors = {entry["index"]: entry["error"] for entry in report["failed"]}
    assert "has no 'externalId'" in errors[0]
    assert errors[2] == "record 2: description is a bytes, which JSON cannot hold; it was not sent"
    assert "its parent 'NOPE' is neither in the input nor in Focus" in errors[3]

    tolerant = SqlToFocusOperator(task_id="to_focus", sql_conn_id=SQLITE_CONN_ID, sql=PLANS_SQL, fail_on_error=False)
    assert tolerant.execute(context)["unchanged"] == 1


def test_sql_to_focus_warns_of_records_with_fields_the_api_cannot_write(
    focus_emulator, focus_conn, sqlite_db, context, monkeypatch
):
    sqlite_db.execute('CREATE TABLE plans ("externalId" TEXT, status TEXT)')
    sqlite_db.execute("INSERT INTO plans VALUES ('PRJ-001', 'COMPLETED')")  # AT_RISK in the demo seed
    sqlite_db.commit()
    recorder = record_log(monkeypatch, SqlToFocusOperator)
    op = SqlToFocusOperator(task_id="to_focus", sql_conn_id=SQLITE_CONN_ID, sql="SELECT * FROM plans")

    assert op.execute(context)["not_updatable"] == [{"externalId": "PRJ-001", "fields": ["status"]}]
    (warning,) = [message for message in recorder.messages("warning") if "cannot write" in message]
    assert warning.endswith("(see not_updatable in the report): PRJ-001: status")


def test_cost_items_from_sql(focus_emulator, focus_conn, sqlite_db, context):
    sqlite_db.execute("CREATE TABLE costs (ext TEXT, fa TEXT, name TEXT, kind TEXT)")
    sqlite_db.executemany(
        "INSERT INTO costs VALUES (?, ?, ?, ?)",
        [("SC-1", "STRAT-001", "Licences", "LABOR"), ("SC-2", "STRAT-001", "Cloud", "LABOR")],
    )
    sqlite_db.commit()
    op = SqlToFocusOperator(
        task_id="costs",
        sql_conn_id=SQLITE_CONN_ID,
        sql='SELECT ext AS "costItemExternalId", fa AS "focusAreaExternalId", name, kind AS "costType" FROM costs '
        "WHERE ext LIKE ?",
        parameters=["SC-%"],
        target="cost_items",
    )
    assert len(op.execute(context)["created"]) == 2


def test_a_query_that_cannot_work_fails_before_anything_is_sent(focus_emulator, focus_conn, sqlite_db, context):
    focus_emulator.clear_requests()
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        SqlToFocusOperator(task_id="t", sql_conn_id=SQLITE_CONN_ID, sql="SELECT * FROM missing").execute(context)
    sqlite_db.execute("CREATE TABLE t (a TEXT)")
    with pytest.raises(FocusConfigError, match="returns the column 'a' more than once"):
        SqlToFocusOperator(task_id="t", sql_conn_id=SQLITE_CONN_ID, sql="SELECT a, a FROM t").execute(context)
    with pytest.raises(FocusConfigError, match="no rows to read: is it a SELECT"):
        SqlToFocusOperator(task_id="t", sql_conn_id=SQLITE_CONN_ID, sql="DELETE FROM t").execute(context)
    assert writes(focus_emulator) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": "organizations"}, "target='organizations' is not one of"),
        ({"fetch_size": 0}, "fetch_size"),
    ],
)
def test_sql_to_focus_arguments_are_checked_at_parse_time(kwargs, message):
    with pytest.raises(FocusConfigError, match=message):
        SqlToFocusOperator(task_id="t", sql_conn_id="db", sql="SELECT 1", **kwargs)


@pytest.mark.parametrize("table", ["focus areas", "t; DROP TABLE x", '"t"', ""])
def test_focus_to_sql_refuses_a_table_name_that_is_no_name(table):
    with pytest.raises(FocusConfigError):
        FocusToSqlOperator(task_id="t", sql_conn_id="db", table=table)


def test_the_columns_are_the_documented_ones():
    assert COLUMN_NAMES == (
        "id",
        "external_id",
        "name",
        "focus_area_type_id",
        "parent_id",
        "owner_account_id",
        "status",
        "description",
        "target_date",
        "draft",
        "created_at",
        "updated_at",
        "data",
    )
