"""Fixtures of the transfer tests: a real SQLite database behind an Airflow connection, and a task context."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.operators.conftest import FakeTI

#: The connection id of the test's SQLite database.
SQLITE_CONN_ID = "plans_db"

#: The table FocusToSqlOperator writes to (the documented columns, ``id`` the primary key).
FOCUS_AREAS_DDL = """
CREATE TABLE focus_areas (
    id TEXT PRIMARY KEY, external_id TEXT, name TEXT, focus_area_type_id TEXT, parent_id TEXT,
    owner_account_id TEXT, status TEXT, description TEXT, target_date TEXT, draft BOOLEAN,
    created_at TEXT, updated_at TEXT, data TEXT
)
"""


@pytest.fixture
def sqlite_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sqlite3.Connection]:
    """A SQLite database file made for the test, reachable as the Airflow connection ``plans_db``."""
    path = tmp_path / "plans.db"
    monkeypatch.setenv(f"AIRFLOW_CONN_{SQLITE_CONN_ID.upper()}", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    connection = sqlite3.connect(path)
    yield connection
    connection.close()


@pytest.fixture
def context() -> dict[str, Any]:
    return {"ti": FakeTI(), "ds": "2025-03-01", "params": {}}
