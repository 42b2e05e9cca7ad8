"""
Run Focus DAGs end to end in pytest, offline: a real Airflow metadata DB, ``dag.test()``, the Focus emulator.

Copy this file into the ``tests/`` folder of your Airflow project. The fixtures come with the provider's pytest
plugin: ``focus_airflow_db`` (a migrated, throw-away SQLite metadata DB; your DAGs are read from
``AIRFLOW__CORE__DAGS_FOLDER`` or ``dags/``), ``focus_emulator`` (a fresh emulator per test) and ``focus_conn``
(``focus_default`` points at it). The DAG ids are those of the provider's example DAGs: put yours.
"""

from __future__ import annotations

import pytest

try:
    from airflow.dag_processing.dagbag import DagBag  # Airflow 3.1+
except ImportError:
    from airflow.models.dagbag import DagBag  # Airflow 3.0


@pytest.fixture(scope="module")
def dagbag(focus_airflow_db):
    return DagBag(dag_folder=focus_airflow_db.dags_folder)


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}


def test_quickstart_lists_the_growth_focus_areas(dagbag, focus_emulator, focus_conn):
    focus_emulator.faults.rate_limit(count=1, retry_after=0.1)  # the first call gets a 429; the hook retries

    dag_run = dagbag.get_dag("example_focus_quickstart").test()

    assert dag_run.state == "success"
    calls = [(r.method, r.path, r.query.get("nameContains"), r.status) for r in focus_emulator.requests]
    assert calls == [("GET", "focus-areas", "growth", 429), ("GET", "focus-areas", "growth", 200)]


def test_wait_ends_when_the_focus_area_is_completed(dagbag, focus_emulator, focus_conn):
    focus_emulator.set_status("fa-0004", "COMPLETED")

    dag_run = dagbag.get_dag("example_focus_wait").test(run_conf={"focus_area_id": "fa-0004"})

    assert dag_run.state == "success"
