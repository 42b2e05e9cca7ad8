"""The pytest plugin: where ``focus_airflow_db`` finds the DAGs, what it sets, and that it stays cheap to load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from airflow_provider_focus.testing.pytest_plugin import airflow_test_env, find_dags_folder


def test_dags_folder_comes_from_the_environment_first(tmp_path):
    (tmp_path / "dags").mkdir()
    environ = {"AIRFLOW__CORE__DAGS_FOLDER": "/srv/airflow/dags"}
    assert find_dags_folder(tmp_path, tmp_path, environ) == Path("/srv/airflow/dags")


def test_dags_folder_is_dags_in_the_rootdir_then_in_the_current_directory(tmp_path):
    root, cwd = tmp_path / "root", tmp_path / "cwd"
    (cwd / "dags").mkdir(parents=True)
    root.mkdir()
    assert find_dags_folder(root, cwd, {}) == cwd / "dags"
    (root / "dags").mkdir()
    assert find_dags_folder(root, cwd, {}) == root / "dags"
    assert find_dags_folder(root, cwd, {"AIRFLOW__CORE__DAGS_FOLDER": ""}) == root / "dags"


def test_no_dags_folder_is_none(tmp_path):
    assert find_dags_folder(tmp_path, tmp_path, {}) is None


def test_the_environment_keeps_everything_in_the_temporary_home(tmp_path):
    env = airflow_test_env(tmp_path / "home", tmp_path / "dags")
    assert env["AIRFLOW_HOME"] == str(tmp_path / "home")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{tmp_path / 'home' / 'airflow.db'}"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(tmp_path / "dags")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"].startswith(str(tmp_path / "home"))


def test_loading_the_plugin_imports_neither_airflow_nor_the_emulator():
    code = (
        "import sys, airflow_provider_focus.testing.pytest_plugin\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'airflow', 'requests', 'httpx'}"
        " or m.startswith('airflow_provider_focus.testing.emulator')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
