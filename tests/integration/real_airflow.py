"""
A real Airflow deployment for the tests that need one: api-server, scheduler, dag-processor and triggerer as separate
processes (LocalExecutor on SQLite), each in its own process group with its log in a file, one AIRFLOW_HOME.

Starting a deployment costs tens of seconds of CPU on 2 cores, so ``tests/integration/test_real_airflow.py`` starts
one per suite and proves every real-deployment point on it: the connection form's Test button, the deferrable
sensor, the sensor's deadline and the event-driven watcher.
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
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from airflow_provider_focus.testing import FocusEmulator

PROCESSES = ("api-server", "scheduler", "dag-processor", "triggerer")
#: How long one wait (a start, a parse, a run) may take before the test fails with the processes' logs.
WAIT_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def group_alive(pgid: int) -> bool:
    """Return whether any process of a process group is still alive."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Deployment:
    """
    Four Airflow processes sharing one AIRFLOW_HOME, with the emulator's connection as ``focus_default``.

    :param home: the AIRFLOW_HOME to create.
    :param emulator: the emulator the deployment's ``focus_default`` connection points at.
    :param dag_files: the files to put in the DAGs folder (DAG files, and data files they read): path in the
        folder to text.
    :param migrated_db: a migrated SQLite metadata DB to start from (a copy), instead of ``airflow db migrate``.
    :param env: more environment variables for every process.
    """

    def __init__(
        self,
        home: Path,
        emulator: FocusEmulator,
        dag_files: Mapping[str, str],
        *,
        migrated_db: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.home = home
        self.db = home / "airflow.db"
        self.airflow = str(Path(sys.executable).with_name("airflow"))
        self.migrated_db = migrated_db
        dags = home / "dags"
        dags.mkdir(parents=True)
        for name, source in dag_files.items():
            (dags / name).parent.mkdir(parents=True, exist_ok=True)  # a data file a DAG reads: data/plan.csv
            (dags / name).write_text(source)
        self.port = free_port()
        self.admin_password = secrets.token_urlsafe(12)
        passwords = home / "passwords.json"
        passwords.write_text(json.dumps({"admin": self.admin_password}))
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
            **emulator.conn_env("focus_default"),
            "AIRFLOW_HOME": str(home),
            # One key for every process: started at once, each would write an airflow.cfg with a key of its own,
            # and the triggerer could not decrypt the triggers the workers stored ("Trigger runner failed").
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__OPENLINEAGE__DISABLED": "True",  # see tests/conftest.py
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.port}/execution/",
            # On a loaded machine the api-server's first answers take tens of seconds; the default 5 s timeout made
            # workers give up before their task started ("finished with state failed ... state attribute is queued").
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.db}",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            # One uvicorn worker: the default four each import the whole API at start (Airflow 3.0.6's died
            # silently at start here), and one serves a test's few requests.
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            # The simple auth manager's admin (for the REST API) and the connection form's Test button.
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
            # The log servers of the triggerer and the worker listen on fixed ports by default (8794, 8793):
            # free ones, so that no other process on the machine can make a deployment fail to start.
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            **(env or {}),
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.execution_api = f"{self.base_url}/execution/"
        self._api: httpx.Client | None = None

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [self.airflow, *args], env=self.env, capture_output=True, text=True, timeout=WAIT_SECONDS
        )
        assert result.returncode == 0, f"airflow {' '.join(args)}: {result.stderr[-2000:]}"
        return result.stdout

    def start(self) -> None:
        """Copy the migrated DB (or migrate one), then start the four processes; it does not wait for them to answer."""
        if self.migrated_db is not None:
            shutil.copy(self.migrated_db, self.db)
        else:
            self.cli("db", "migrate")
        for name in PROCESSES:
            self.start_process(name)

    def start_process(self, name: str) -> None:
        """Start (or start again) one of :data:`PROCESSES`, appending to its log."""
        log = (self.home / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            [self.airflow, name], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop_process(self, name: str, timeout: float = 60) -> None:
        """
        Stop one process as a deployment would (SIGTERM to its group) and wait for the whole group to end.

        A child that outlives its parent (the log server) would keep its port, and a new process of the same name
        would find it taken.
        """
        proc = self.procs[name]
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
        deadline = time.monotonic() + 15
        while group_alive(proc.pid):
            if time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(0.1)

    def stop(self) -> None:
        if self._api is not None:
            self._api.close()
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
            exit_code = self.procs[name].poll() if name in self.procs else "not started"
            parts.append(f"----- {name} (exit {exit_code}) -----\n" + "\n".join(text))
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
        started = time.monotonic()
        deadline = started + WAIT_SECONDS
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                assert proc.poll() is None, f"airflow {name} exited with {proc.returncode} while waiting for {what}"
            if result := check():
                print(f"waited {time.monotonic() - started:5.1f} s for {what}")  # shown with the logs of a failure
                return result
            time.sleep(0.5)
        raise AssertionError(f"Timed out after {WAIT_SECONDS} s waiting for {what}")

    def wait_for_parsed(self, dag_ids: Iterable[str]) -> None:
        for dag_id in dag_ids:
            self.wait_for(
                f"{dag_id} to be parsed", lambda d=dag_id: self.query("SELECT 1 FROM dag WHERE dag_id = ?", d)
            )

    def execution_api_answers(self) -> bool:
        """Return whether the Execution API answers its health check (its first answer warms the api-server up)."""
        try:
            with urllib.request.urlopen(self.execution_api + "health", timeout=60) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def wait_until_serving(self) -> None:
        """Wait until the REST API gives a token and the Execution API answers: the start's heavy part is over."""
        assert self.api is not None
        self.wait_for("the Execution API to answer", self.execution_api_answers)

    @property
    def api(self) -> httpx.Client:
        """An HTTP client of the REST API, signed in as the simple auth manager's admin (waits for the api-server)."""
        if self._api is None:
            client = httpx.Client(base_url=self.base_url, timeout=30)
            credentials = {"username": "admin", "password": self.admin_password}

            def token() -> str | None:
                try:
                    answer = client.post("/auth/token", json=credentials)
                except httpx.TransportError:
                    return None
                return str(answer.json()["access_token"]) if answer.status_code == 201 else None

            client.headers["Authorization"] = f"Bearer {self.wait_for('the api-server to give a token', token)}"
            self._api = client
        return self._api

    def unpause(self, dag_id: str) -> None:
        """Unpause a DAG through the REST API, as the UI's toggle does."""
        answer = self.api.patch(f"/api/v2/dags/{dag_id}", json={"is_paused": False})
        assert answer.status_code == 200, f"unpausing {dag_id}: {answer.status_code} {answer.text[:500]}"

    def reparse(self, dag_id: str) -> None:
        """
        Ask the dag-processor to parse a DAG's file now, through the REST API (the UI's Reparse button).

        An asset watcher's trigger is created when the file of its unpaused DAG is next parsed: every 30 s
        (``min_file_process_interval``), so 15 s of waiting on average after an unpause.
        """
        details = self.api.get(f"/api/v2/dags/{dag_id}/details")
        assert details.status_code == 200, f"reading {dag_id}: {details.status_code} {details.text[:500]}"
        answer = self.api.put(f"/api/v2/parseDagFile/{details.json()['file_token']}")
        assert answer.status_code == 201, f"reparsing {dag_id}: {answer.status_code} {answer.text[:500]}"

    def trigger(self, dag_id: str, run_id: str, conf: Mapping[str, Any] | None = None) -> None:
        """
        Trigger a DAG run through the REST API, as the UI's Trigger button does.

        The REST API spares the ``airflow dags trigger`` process: each CLI call imported all of Airflow (about 8 s
        of CPU on this machine, more than the run it started).
        """
        body = {"dag_run_id": run_id, "logical_date": None, "conf": dict(conf or {})}
        answer = self.api.post(f"/api/v2/dags/{dag_id}/dagRuns", json=body)
        assert answer.status_code == 200, f"triggering {dag_id}: {answer.status_code} {answer.text[:500]}"

    def task_state(self, run_id: str, dag_id: str, task_id: str) -> tuple[str | None, int | None]:
        rows = self.query(
            "SELECT state, trigger_id FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ?",
            dag_id,
            run_id,
            task_id,
        )
        return rows[0] if rows else (None, None)

    def run_state(self, run_id: str, dag_id: str) -> str | None:
        rows = self.query("SELECT state FROM dag_run WHERE dag_id = ? AND run_id = ?", dag_id, run_id)
        return rows[0][0] if rows else None
