"""
The test file that ``docs/testing.md`` tells users to copy runs as it is, in a fresh project, as a new user runs it.

The project is built in a temporary folder (the example DAGs as its ``dags/``, the documented file as its only
test, no conftest of ours, no ``AIRFLOW_*`` variable, a fresh ``HOME``), and pytest runs there in a subprocess, so
Airflow is imported by the test module while pytest collects it, before any fixture runs (the case in which a
user got ``sqlite3.OperationalError: no such table: task_instance``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
USER_TEST_FILE = ROOT / "docs" / "examples" / "test_focus_dags.py"

# Not part of the user's project: records, after the session, which database Airflow's engine points at.
OBSERVER = """
import json, os

def pytest_sessionfinish(session):
    from airflow import settings
    with open(os.path.join(os.path.dirname(__file__), "observed.json"), "w") as handle:
        json.dump({"sql_alchemy_conn": settings.SQL_ALCHEMY_CONN, "engine": str(settings.engine.url)}, handle)
"""


def fresh_project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "example_dags", project / "dags", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "tests").mkdir()
    shutil.copy(USER_TEST_FILE, project / "tests" / USER_TEST_FILE.name)
    (project / "conftest.py").write_text(OBSERVER)
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8", "TMPDIR": str(tmp_path)}
    # Not the user's: our venv has the OpenLineage provider (a test dependency), which without a transport delays
    # every task's start under dag.test() by about 40 s on Airflow 3.3.2.
    env["AIRFLOW__OPENLINEAGE__DISABLED"] = "True"
    return project, env


@pytest.mark.integration
@pytest.mark.dag_test
@pytest.mark.slow
def test_the_documented_test_file_passes_in_a_fresh_project(tmp_path):
    project, env = fresh_project(tmp_path)

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "3 passed" in result.stdout
    default_db = Path(env["HOME"]) / "airflow" / "airflow.db"
    assert not default_db.exists()  # the runs went to the throw-away DB, not to ~/airflow
    observed = json.loads((project / "observed.json").read_text())
    # When the session ends, the engine is back on the database Airflow was configured with before.
    assert observed == {"sql_alchemy_conn": f"sqlite:///{default_db}", "engine": f"sqlite:///{default_db}"}
