"""
Pytest plugin of the Focus emulator (registered through the ``pytest11`` entry point).

Fixtures:

* ``focus_emulator`` -- a fresh, started :class:`~airflow_provider_focus.testing.emulator.FocusEmulator` per test,
  seeded with ``"demo"``; stopped after the test.
* ``focus_conn`` -- sets ``AIRFLOW_CONN_FOCUS_DEFAULT`` (through ``monkeypatch``) to the emulator's site
  connection with the default API token, and returns the connection id ``"focus_default"``.
* ``focus_airflow_db`` -- a migrated, throw-away Airflow metadata database (SQLite in its own ``AIRFLOW_HOME``)
  for the whole test session, so that ``dag.test()`` runs in a test; see :class:`AirflowTestDB`.

This module is imported into every pytest run of anyone who installs the provider, so it imports nothing
heavy: the emulator and Airflow are imported inside the fixtures that need them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow_provider_focus.testing.emulator import FocusEmulator

#: Connection id the ``focus_conn`` fixture sets up.
FOCUS_CONN_ID = "focus_default"


@pytest.fixture
def focus_emulator() -> Iterator[FocusEmulator]:
    """Start a Focus emulator with the demo seed on a free loopback port; stop it after the test."""
    from airflow_provider_focus.testing.emulator import FocusEmulator

    with FocusEmulator(seed="demo") as emulator:
        yield emulator


@pytest.fixture
def focus_conn(focus_emulator: FocusEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point ``AIRFLOW_CONN_FOCUS_DEFAULT`` at the emulator (site root, API token) and return the conn id."""
    for name, value in focus_emulator.conn_env(FOCUS_CONN_ID).items():
        monkeypatch.setenv(name, value)
    return FOCUS_CONN_ID


@dataclass(frozen=True)
class AirflowTestDB:
    """
    The throw-away Airflow metadata database of the ``focus_airflow_db`` fixture.

    :param home: the temporary ``AIRFLOW_HOME`` (removed by pytest like any ``tmp_path``).
    :param sql_alchemy_conn: the SQLAlchemy URL of the SQLite database inside ``home``.
    :param dags_folder: the DAGs folder Airflow reads (``[core] dags_folder``); ``dag.test()`` runs only DAGs
        found there.
    """

    home: Path
    sql_alchemy_conn: str
    dags_folder: Path


def airflow_test_env(home: Path, dags_folder: Path) -> dict[str, str]:
    """
    Return the environment that points Airflow at a SQLite metadata database in ``home``.

    :param home: the directory to use as ``AIRFLOW_HOME``.
    :param dags_folder: the DAGs folder (``dag.test()`` runs only DAGs found in it).
    """
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
    }


def find_dags_folder(rootpath: Path, cwd: Path, environ: Mapping[str, str]) -> Path | None:
    """
    Return the DAGs folder of a project: ``AIRFLOW__CORE__DAGS_FOLDER`` if set, else ``dags/`` in ``rootpath``
    or in ``cwd`` if it is a directory, else ``None``.

    :param rootpath: pytest's rootdir.
    :param cwd: the current directory.
    :param environ: the environment.
    """
    configured = environ.get("AIRFLOW__CORE__DAGS_FOLDER")
    if configured:
        return Path(configured)
    for candidate in (rootpath / "dags", cwd / "dags"):
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def focus_dags_folder(pytestconfig: pytest.Config) -> Path:
    """
    Return the folder of the DAGs under test: ``AIRFLOW__CORE__DAGS_FOLDER`` if set, else ``dags/`` in pytest's
    rootdir or in the current directory. Override this fixture in a ``conftest.py`` to name another folder.
    """
    found = find_dags_folder(Path(pytestconfig.rootpath), Path.cwd(), os.environ)
    if found is None:
        pytest.fail(
            f"focus_airflow_db: no DAGs folder found (no AIRFLOW__CORE__DAGS_FOLDER, no dags/ in "
            f"{pytestconfig.rootpath} or {Path.cwd()}); set AIRFLOW__CORE__DAGS_FOLDER or override the "
            "focus_dags_folder fixture in conftest.py",
            pytrace=False,
        )
    return found


def _point_airflow_at_configured_db() -> None:
    """Make an already imported Airflow re-read its folders and database from the environment."""
    from airflow import settings

    settings.configure_vars()
    settings.configure_adapters()  # SQLite's date adapters, missing if Airflow started on another database
    settings.reconfigure_orm()


@pytest.fixture(scope="session")
def focus_airflow_db(tmp_path_factory: pytest.TempPathFactory, focus_dags_folder: Path) -> Iterator[AirflowTestDB]:
    """
    Give the test session a migrated, throw-away Airflow metadata database (SQLite in its own ``AIRFLOW_HOME``).

    Works whether or not Airflow was imported before (a test module that imports a DAG or ``DagBag`` imports
    Airflow while pytest collects it): the settings go into the environment and an imported Airflow rebuilds
    its engine from them. When the session ends, the environment is restored and an Airflow that was imported
    before goes back to its own database.
    """
    home = tmp_path_factory.mktemp("airflow-home")
    env = airflow_test_env(home, Path(focus_dags_folder).resolve())
    airflow_was_imported = "airflow.settings" in sys.modules
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        if airflow_was_imported:
            _point_airflow_at_configured_db()
        from airflow.utils.db import initdb

        initdb()
        try:
            yield AirflowTestDB(
                home=home,
                sql_alchemy_conn=env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"],
                dags_folder=Path(env["AIRFLOW__CORE__DAGS_FOLDER"]),
            )
        finally:
            from airflow import settings

            settings.dispose_orm()
    if airflow_was_imported:
        _point_airflow_at_configured_db()
