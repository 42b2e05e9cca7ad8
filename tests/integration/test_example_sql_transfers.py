"""The SQL transfer example DAGs, through ``dag.test()`` against the emulator and a SQLite file made by the test."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_example_dags import run, writes, xcom

pytestmark = [pytest.mark.integration, pytest.mark.dag_test]


@pytest.fixture
def plans_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "plans.db"
    monkeypatch.setenv("AIRFLOW_CONN_FOCUS_PLANS_DB", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    return path


def test_example_focus_sql_to_focus_upserts_the_table_and_a_second_run_writes_nothing(dagbag, focus_env, plans_db):
    first = run(dagbag, "example_focus_sql_to_focus")
    report = xcom(first, "plans_to_focus")
    assert (len(report["created"]), len(report["updated"]), report["failed"]) == (7, 1, [])
    areas = {fa["externalId"]: fa for fa in focus_env.store.focus_areas()}
    assert areas["PRJ-101"]["parentId"] == areas["PRG-101"]["id"]

    focus_env.clear_requests()
    second = run(dagbag, "example_focus_sql_to_focus")
    assert xcom(second, "plans_to_focus") == {
        "created": [],
        "updated": [],
        "unchanged": 8,
        "failed": [],
        "not_updatable": [],
        "counts": {"created": 0, "updated": 0, "unchanged": 8, "failed": 0, "not_updatable": 0},
    }
    assert writes(focus_env, "focus-areas") == []


def test_example_focus_to_sql_loads_the_table_then_only_what_changed(dagbag, focus_env, plans_db):
    first = run(dagbag, "example_focus_to_sql")
    loaded: dict[str, Any] = xcom(first, "to_warehouse")
    count = len(focus_env.store.focus_areas())
    assert (loaded["read"], loaded["written"], loaded["unchanged"]) == (count, count, 0)
    assert loaded["watermark"]
    with sqlite3.connect(plans_db) as db:
        names = dict(db.execute("SELECT external_id, name FROM focus_areas").fetchall())
    assert names["STRAT-001"] == "Customer growth"

    second = run(dagbag, "example_focus_to_sql")
    assert xcom(second, "to_warehouse")["written"] == 0
