"""Integration fixtures: the real SQLite metadata DB of the test session (see ``tests/conftest.py``), migrated once."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import AIRFLOW_ENV, AIRFLOW_HOME, DAGS

if TYPE_CHECKING:
    from airflow_provider_focus.testing import FocusEmulator


class FakeTI:
    """Records what an operator pushes to XCom when it is executed directly."""

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def own_airflow_db(tmp_path: Path, migrated_home: Path) -> dict[str, str]:
    """
    Return the environment for a subprocess that runs Airflow on a metadata DB of its own.

    The DB is a copy of the session's migrated one, in ``tmp_path``: a subprocess (``dag.test()`` in a fresh
    process) must not write the SQLite file this pytest worker holds open. With the worker's own DB shared, one
    matrix run found it "malformed".

    :param tmp_path: the test's temporary folder.
    :param migrated_home: the AIRFLOW_HOME the ``airflow_db`` fixture migrated.
    """
    home = tmp_path / "airflow-home"
    home.mkdir()
    shutil.copy(migrated_home / "airflow.db", home / "airflow.db")
    return {"AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}"}


def reuse_in_process_execution_api() -> None:
    """
    Make ``dag.test()`` build Airflow's in-process Execution API once per process, as Airflow 3.3 does.

    Before 3.3, ``dag.test()`` builds a new ``InProcessExecutionAPI`` for every task it runs: a FastAPI app whose
    Cadwyn versioning generates every API version's routers (about 1 s of CPU), and an event-loop thread. Airflow 3.3
    caches it (apache/airflow#65235, ``functools.lru_cache`` on ``in_process_api_server``); this applies the same
    cache to the older releases in the test process, so the matrix suites spend their time on the provider instead
    of rebuilding Airflow's app for each task. The tasks still run through the real Execution API.
    """
    from airflow.sdk.execution_time import supervisor

    build = supervisor.in_process_api_server
    if not hasattr(build, "cache_clear"):  # Airflow 3.3+ caches it already
        supervisor.in_process_api_server = functools.lru_cache(maxsize=1)(build)  # type: ignore[assignment]


@pytest.fixture(scope="session")
def airflow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """
    A migrated SQLite metadata DB in the temporary AIRFLOW_HOME (removed when pytest exits).

    ``airflow db migrate`` costs about 10 s of CPU. Under pytest-xdist the first worker that needs the DB migrates one
    for the run, in the folder the run's workers share, and each worker copies it into its own AIRFLOW_HOME (a SQLite
    file written by several processes was once found "malformed").
    """
    reuse_in_process_execution_api()
    worker_id = os.environ.get("PYTEST_XDIST_WORKER")
    if worker_id is None:  # no xdist: migrate in place
        migrate_airflow_db(AIRFLOW_HOME)
        return AIRFLOW_HOME
    shared = tmp_path_factory.getbasetemp().parent / "migrated-airflow-home"  # this run's, whatever the worker
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or when a worker dies
        if not (shared / "airflow.db").exists():
            staging = shared.with_name(f"{shared.name}.{worker_id}")
            staging.mkdir()
            migrate_airflow_db(staging)
            staging.rename(shared)
    shutil.copy(shared / "airflow.db", AIRFLOW_HOME / "airflow.db")
    return AIRFLOW_HOME


def migrate_airflow_db(home: Path) -> None:
    """Run ``airflow db migrate`` on a SQLite DB in ``home`` (the session's configuration otherwise)."""
    airflow_cli = str(Path(sys.executable).with_name("airflow"))
    env = {
        **os.environ,
        **AIRFLOW_ENV,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
    }
    result = subprocess.run([airflow_cli, "db", "migrate"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="session")
def dagbag(airflow_db: Path) -> Any:
    """The example DAGs, parsed once."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 3.0, 3.1
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    return DagBag(dag_folder=str(DAGS))


def emulator_conn_env(emulator: FocusEmulator, **extra: Any) -> dict[str, str]:
    """Return the ``AIRFLOW_CONN_FOCUS_DEFAULT`` of the emulator, with extra connection extras merged in."""
    ((name, value),) = emulator.conn_env("focus_default").items()
    conn = json.loads(value)
    current = conn.get("extra") or {}
    conn["extra"] = {**(json.loads(current) if isinstance(current, str) else current), **extra}
    return {name: json.dumps(conn)}


@pytest.fixture
def focus_env(focus_emulator: FocusEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FocusEmulator:
    """Point ``focus_default`` at a fresh demo emulator and exports at ``tmp_path``; return the emulator."""
    for name, value in emulator_conn_env(focus_emulator).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FOCUS_EXPORT_BASE", f"file://{tmp_path / 'export'}")
    return focus_emulator


@pytest.fixture
def context() -> dict[str, Any]:
    return {"ti": FakeTI()}
