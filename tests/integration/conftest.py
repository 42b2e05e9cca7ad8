"""
Integration fixtures: a real SQLite metadata DB in a temporary AIRFLOW_HOME, migrated once per session.

The environment is set when this module is imported, before Airflow reads its configuration (pytest collects
``tests/integration`` before the other test folders). If Airflow was imported earlier (a run that names other folders
first), its configuration and ORM are pointed at the temporary home as well.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_focus.testing import FocusEmulator

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "example_dags"
_HOME = Path(tempfile.mkdtemp(prefix="focus-it-airflow-home-"))
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
_ENV = {
    "AIRFLOW_HOME": str(_HOME),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME / 'airflow.db'}",
    "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
}
os.environ.update(_ENV)
if "airflow.settings" in sys.modules:  # pragma: no cover - depends on the order pytest was given
    from airflow import settings
    from airflow.configuration import conf

    conf.set("database", "sql_alchemy_conn", _ENV["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    conf.set("core", "dags_folder", _ENV["AIRFLOW__CORE__DAGS_FOLDER"])
    settings.configure_vars()
    settings.reconfigure_orm()


class FakeTI:
    """Records what an operator pushes to XCom when it is executed directly."""

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Run ``airflow db migrate`` once, on SQLite in the temporary AIRFLOW_HOME (removed when pytest exits)."""
    airflow_cli = str(Path(sys.executable).with_name("airflow"))
    result = subprocess.run(
        [airflow_cli, "db", "migrate"], env={**os.environ, **_ENV}, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return _HOME


@pytest.fixture(scope="session")
def dagbag(airflow_db: Path) -> Any:
    """The example DAGs, parsed once."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def emulator_conn_env(emulator: FocusEmulator, **extra: Any) -> dict[str, str]:
    """Return the ``AIRFLOW_CONN_FOCUS_DEFAULT`` of the emulator, with extra connection extras merged in."""
    ((name, value),) = emulator.conn_env("focus_default").items()
    conn = json.loads(value)
    conn["extra"] = {**json.loads(conn.get("extra") or "{}"), **extra}
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
