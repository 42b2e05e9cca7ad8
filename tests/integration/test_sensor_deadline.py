"""
Deferrable sensors under ``airflow dags test`` (that is, ``dag.test()``) end by themselves at their timeouts.

``dag.test()`` runs a deferred task's trigger in line and does not enforce the deferral timeout: a trigger without
its own deadline polled for 12 minutes past a 20 s timeout. The DAG runs in an ``airflow dags test`` process on a
real SQLite metadata DB of its own, against the emulator over a real socket; a process that has not ended by itself
after :data:`GUARD_SECONDS` is killed and the test fails.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_focus.testing import FocusEmulator
from tests.integration.conftest import own_airflow_db

pytestmark = [pytest.mark.integration, pytest.mark.dag_test]

#: A run that has not ended by itself after this many seconds is killed and the test fails.
GUARD_SECONDS = 240

DAG_ID = "focus_sensor_deadlines"

#: Three deferrable sensors whose focus area never reaches what they wait for; ``dag.test()`` runs them in turn.
DAG_SOURCE = f"""
from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_focus.sensors.focus import FocusAreaExistsSensor, FocusAreaStatusSensor

with DAG("{DAG_ID}", schedule=None, start_date=datetime(2025, 1, 1), catchup=False):
    FocusAreaStatusSensor(task_id="times_out", focus_area_id="fa-0004", deferrable=True, poll_interval=1, timeout=4)
    FocusAreaStatusSensor(
        task_id="soft_fail", focus_area_id="fa-0006", deferrable=True, poll_interval=1, timeout=3, soft_fail=True
    )
    FocusAreaExistsSensor(
        task_id="never_created",
        external_id="NOT-PLANNED-YET",
        deferrable=True,
        poll_interval=1,
        execution_timeout=timedelta(seconds=3),
    )
"""


def airflow_dags_test(tmp_path: Path, migrated: Path, emulator: FocusEmulator) -> tuple[dict[str, str], float, str]:
    """
    Run :data:`DAG_SOURCE` with ``airflow dags test`` in a fresh AIRFLOW_HOME, on a copy of a migrated DB.

    :return: the task states, the seconds the run took, and its whole output (stdout, then stderr).
    """
    own_db = own_airflow_db(tmp_path, migrated)
    db = Path(own_db["AIRFLOW_HOME"]) / "airflow.db"
    dags = db.parent / "dags"
    dags.mkdir()
    (dags / f"{DAG_ID}.py").write_text(DAG_SOURCE)
    airflow = str(Path(sys.executable).with_name("airflow"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
        **emulator.conn_env("focus_default"),
        **own_db,
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__OPENLINEAGE__DISABLED": "True",  # see tests/conftest.py
    }
    started = time.monotonic()
    try:
        result = subprocess.run(
            [airflow, "dags", "test", DAG_ID], env=env, capture_output=True, text=True, timeout=GUARD_SECONDS
        )
    except subprocess.TimeoutExpired as hung:
        raise AssertionError(
            f"airflow dags test still waiting after {GUARD_SECONDS} s: a sensor ignored its timeout"
        ) from hung
    elapsed = time.monotonic() - started
    with sqlite3.connect(db) as connection:
        states = dict(connection.execute("SELECT task_id, state FROM task_instance WHERE dag_id = ?", (DAG_ID,)))
    return states, elapsed, result.stdout + result.stderr


def reads(emulator: FocusEmulator, path: str) -> list[Any]:
    return [r for r in emulator.requests if r.path == path]


def test_deferred_sensors_end_at_their_timeouts_under_dag_test(tmp_path, airflow_db, focus_emulator):
    states, elapsed, whole_output = airflow_dags_test(tmp_path, airflow_db, focus_emulator)
    output = whole_output[-6000:]  # what a failed assertion shows
    assert states == {"times_out": "failed", "soft_fail": "skipped", "never_created": "failed"}, output
    assert elapsed >= 4 + 3 + 3
    # each: the worker's first poke, then the trigger's polls up to the deadline and one at it
    assert len(reads(focus_emulator, "focus-areas/fa-0004")) >= 4, output
    assert len(reads(focus_emulator, "focus-areas/fa-0006")) >= 3, output
    searches = reads(focus_emulator, "focus-areas")
    assert len(searches) >= 3, output
    assert {r.query.get("externalId") for r in searches} == {"NOT-PLANNED-YET"}
    # searched in the whole output: the first sensor's message is followed by the other two sensors' logs
    assert "Timed out waiting for focus area fa-0004 for COMPLETED" in whole_output, output
