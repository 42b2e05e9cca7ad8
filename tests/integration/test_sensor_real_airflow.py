"""
The deferrable sensor in a real Airflow deployment: api-server, scheduler, dag-processor and triggerer as separate
processes (LocalExecutor on SQLite), the example DAG ``example_focus_wait``, and the emulator in this process.

Two runs at once: one focus area becomes COMPLETED (the run succeeds, XCom holds the status), the other CANCELLED
(the task fails). Both must first be ``deferred`` with a trigger row, that is, waiting in the triggerer and not
on a worker slot. Then a third DAG waits, deferred, for a status that never comes: its trigger ends the wait at the
sensor's timeout with a timeout event (the task fails with the trigger's message, not Airflow's deferral timeout).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_focus._compat import airflow_at_least
from airflow_provider_focus.testing import FocusEmulator
from tests.conftest import DAGS
from tests.slots import deployment_slot

pytestmark = [pytest.mark.integration, pytest.mark.airflow_processes]

DAG_ID = "example_focus_wait"
TASK_ID = "wait_for_focus_area"
TRIGGER_CLASSPATH = "airflow_provider_focus.triggers.focus.FocusAreaStatusTrigger"
PROCESSES = ("api-server", "scheduler", "dag-processor", "triggerer")
WAIT_SECONDS = 120

DEADLINE_DAG_ID = "focus_wait_deadline"
DEADLINE_TIMEOUT_SECONDS = 30
#: A DAG whose deferred sensor waits for a status that never comes, with a short timeout.
DEADLINE_DAG = f"""
from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_focus.sensors.focus import FocusAreaStatusSensor

with DAG("{DEADLINE_DAG_ID}", schedule=None, start_date=datetime(2025, 1, 1), catchup=False):
    FocusAreaStatusSensor(
        task_id="{TASK_ID}",
        focus_area_id="fa-0005",
        target_statuses=["completed"],
        deferrable=True,
        poll_interval=2,
        timeout={DEADLINE_TIMEOUT_SECONDS},
    )
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Deployment:
    """Four Airflow processes sharing one AIRFLOW_HOME; each in its own process group, logs in files."""

    def __init__(self, home: Path, emulator: FocusEmulator) -> None:
        self.home = home
        self.db = home / "airflow.db"
        self.airflow = str(Path(sys.executable).with_name("airflow"))
        dags = home / "dags"
        dags.mkdir(parents=True)
        shutil.copy(DAGS / f"{DAG_ID}.py", dags)
        (dags / f"{DEADLINE_DAG_ID}.py").write_text(DEADLINE_DAG)
        port = free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
            **emulator.conn_env("focus_default"),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__OPENLINEAGE__DISABLED": "True",  # see tests/conftest.py
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            # On a loaded machine the api-server's first answers take tens of seconds; the default 5 s timeout made
            # workers give up before their task started ("finished with state failed ... state attribute is queued").
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.db}",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
            # The log servers of the triggerer and the worker listen on fixed ports by default (8794, 8793):
            # free ones, so that no other process on the machine can make a deployment fail to start.
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        }
        if not airflow_at_least("3.1"):
            # Airflow 3.0.6's uvicorn workers (four by default) died silently at start here; one runs in-process.
            self.env["AIRFLOW__API__WORKERS"] = "1"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.execution_api = f"http://127.0.0.1:{port}/execution/"

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [self.airflow, *args], env=self.env, capture_output=True, text=True, timeout=WAIT_SECONDS
        )
        assert result.returncode == 0, f"airflow {' '.join(args)}: {result.stderr[-2000:]}"
        return result.stdout

    def start(self) -> None:
        self.cli("db", "migrate")
        for name in PROCESSES:
            log = (self.home / f"{name}.log").open("wb")
            self.procs[name] = subprocess.Popen(
                [self.airflow, name], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)

    def log_tails(self, lines: int = 40) -> str:
        parts = []
        for name in PROCESSES:
            path = self.home / f"{name}.log"
            text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
            parts.append(f"----- {name} (exit {self.procs[name].poll()}) -----\n" + "\n".join(text))
        for path in sorted((self.home / "logs").rglob("*.log")) if (self.home / "logs").exists() else []:
            parts.append(f"----- {path.relative_to(self.home)} -----\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the metadata DB; a locked DB is waited for (bounded), a DB not migrated yet reads as empty."""
        if not self.db.exists():
            return []
        deadline = time.monotonic() + 20
        while True:
            with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5) as db:
                try:
                    return db.execute(sql, params).fetchall()
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) and "busy" not in str(error):
                        return []  # not migrated yet
                    if time.monotonic() > deadline:
                        raise
            time.sleep(0.1)

    def wait_for(self, what: str, check: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                assert proc.poll() is None, f"airflow {name} exited with {proc.returncode} while waiting for {what}"
            if result := check():
                return result
            time.sleep(0.5)
        raise AssertionError(f"Timed out after {WAIT_SECONDS} s waiting for {what}")

    def execution_api_answers(self) -> bool:
        """Return whether the Execution API answers its health check (its first answer warms the api-server up)."""
        try:
            with urllib.request.urlopen(self.execution_api + "health", timeout=60) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def task_state(self, run_id: str, dag_id: str = DAG_ID) -> tuple[str | None, int | None]:
        rows = self.query(
            "SELECT state, trigger_id FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ?",
            dag_id,
            run_id,
            TASK_ID,
        )
        return rows[0] if rows else (None, None)

    def run_state(self, run_id: str, dag_id: str = DAG_ID) -> str | None:
        rows = self.query("SELECT state FROM dag_run WHERE dag_id = ? AND run_id = ?", dag_id, run_id)
        return rows[0][0] if rows else None


@pytest.fixture
def deployment(tmp_path: Path, focus_emulator: FocusEmulator) -> Iterator[Deployment]:
    airflow = Deployment(tmp_path / "airflow-home", focus_emulator)
    with deployment_slot():  # at most FOCUS_TEST_DEPLOYMENT_SLOTS deployments at once on the machine
        try:
            airflow.start()
            yield airflow
        except BaseException:
            print(airflow.log_tails())  # the processes' logs are the only clue when a start fails
            raise
        finally:
            airflow.stop()


def test_sensor_defers_to_the_triggerer_and_ends_with_the_focus_area_status(
    deployment: Deployment, focus_emulator: FocusEmulator
) -> None:
    started = time.monotonic()
    deferred_at: float | None = None
    try:
        for dag_id in (DAG_ID, DEADLINE_DAG_ID):
            deployment.wait_for(
                f"{dag_id} to be parsed", lambda d=dag_id: deployment.query("SELECT 1 FROM dag WHERE dag_id = ?", d)
            )
            deployment.cli("dags", "unpause", dag_id)
        deployment.wait_for("the Execution API to answer", deployment.execution_api_answers)
        runs = {"completes": ("fa-0004", "COMPLETED"), "is_cancelled": ("fa-0006", "CANCELLED")}
        for run_id, (focus_area_id, _) in runs.items():
            deployment.cli(
                "dags", "trigger", DAG_ID, "--run-id", run_id, "--conf", json.dumps({"focus_area_id": focus_area_id})
            )

        for run_id in runs:
            deployment.wait_for(f"{run_id} to be deferred", lambda r=run_id: deployment.task_state(r)[0] == "deferred")
        deferred_at = time.monotonic()
        triggers = deployment.query(
            "SELECT t.id, t.classpath, t.kwargs FROM trigger t JOIN task_instance ti ON ti.trigger_id = t.id "
            "WHERE ti.dag_id = ? AND ti.state = 'deferred'",
            DAG_ID,
        )
        assert len(triggers) == 2, triggers
        assert {row[1] for row in triggers} == {TRIGGER_CLASSPATH}
        assert deployment.query("SELECT count(*) FROM task_instance WHERE state = 'running'") == [(0,)]
        focus_emulator.clear_requests()  # the workers' first pokes are in the log; what comes now is the triggerer
        deployment.wait_for(
            "the triggerer to poll both focus areas",
            lambda: {"focus-areas/fa-0004", "focus-areas/fa-0006"} <= {r.path for r in focus_emulator.requests},
        )
        assert deployment.query("SELECT count(*) FROM task_instance WHERE state = 'running'") == [(0,)]

        for focus_area_id, status in runs.values():
            focus_emulator.set_status(focus_area_id, status)
        for run_id in runs:
            deployment.wait_for(
                f"{run_id} to finish", lambda r=run_id: deployment.run_state(r) in ("success", "failed")
            )

        assert deployment.run_state("completes") == "success"
        assert deployment.task_state("completes")[0] == "success"
        xcom = deployment.query(
            "SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND key = 'return_value'",
            DAG_ID,
            "completes",
            TASK_ID,
        )
        assert [json.loads(value) for (value,) in xcom] == ["COMPLETED"]
        assert deployment.run_state("is_cancelled") == "failed"
        assert deployment.task_state("is_cancelled")[0] == "failed"
        task_logs = (deployment.home / "logs").rglob(f"dag_id={DAG_ID}/run_id=is_cancelled/**/*.log")
        assert any("fa-0006 has status CANCELLED" in path.read_text() for path in task_logs)
        assert not {r.method for r in focus_emulator.requests} - {"GET"}

        # Then a third run (not at the same time: the deployment shares 2 cores with other work): its trigger ends
        # the wait itself at the sensor's timeout.
        deployment.cli("dags", "trigger", DEADLINE_DAG_ID, "--run-id", "times_out")
        deadline_trigger = deployment.wait_for(
            "times_out to be deferred",
            lambda: (
                deployment.task_state("times_out", DEADLINE_DAG_ID)[0] == "deferred"
                and deployment.task_state("times_out", DEADLINE_DAG_ID)[1]
            ),
        )
        deployment.wait_for(
            "times_out to finish", lambda: deployment.run_state("times_out", DEADLINE_DAG_ID) in ("success", "failed")
        )
        assert deadline_trigger
        assert deployment.task_state("times_out", DEADLINE_DAG_ID)[0] == "failed"
        deadline_logs = (deployment.home / "logs").rglob(f"dag_id={DEADLINE_DAG_ID}/run_id=times_out/**/*.log")
        message = "Timed out waiting for focus area fa-0005 for completed at "
        assert any(
            message in text and "its last status was ON_TRACK" in text
            for text in (path.read_text() for path in deadline_logs)
        )
    except BaseException:
        print(deployment.log_tails())  # the processes' logs are the only clue when a run hangs
        raise
    finally:
        phases = f"deferred after {deferred_at - started:.1f} s, " if deferred_at else "never deferred, "
        print(f"real Airflow: {phases}ended after {time.monotonic() - started:.1f} s")  # for the suite's budget
