"""Run ``example_focus_wait_for_external_id`` with ``dag.test()`` against the emulator on a real SQLite metadata DB."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration


def xcom(dag_run: Any, task_id: str) -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = (
            session.query(XComModel)
            .filter_by(dag_id=dag_run.dag_id, run_id=dag_run.run_id, task_id=task_id, key="return_value")
            .one()
        )
        return XComModel.deserialize_value(row)


def test_example_focus_wait_dags_import(dagbag):
    assert dagbag.import_errors == {}
    assert {"example_focus_wait", "example_focus_wait_for_external_id", "example_focus_wait_in_a_task"} <= set(
        dagbag.dag_ids
    )


@pytest.mark.dag_test
def test_waits_for_an_external_id_then_its_status(dagbag, focus_env):
    focus_env.set_status("fa-0004", "COMPLETED")
    dag_run = dagbag.get_dag("example_focus_wait_for_external_id").test(run_conf={"external_id": "PRJ-002"})
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success", states
    assert xcom(dag_run, "wait_until_planned") == "fa-0004"
    assert xcom(dag_run, "wait_until_completed") == "COMPLETED"
    searches = [r for r in focus_env.requests if r.path == "focus-areas"]
    assert {r.query.get("externalId") for r in searches} == {"PRJ-002"}


@pytest.mark.dag_test
def test_a_task_waits_with_the_hook_and_gets_the_focus_area(dagbag, focus_env):
    focus_env.set_status("fa-0004", "COMPLETED")
    dag_run = dagbag.get_dag("example_focus_wait_in_a_task").test(run_conf={"external_id": "PRJ-002"})
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success", states
    assert xcom(dag_run, "wait_then_report") == {
        "id": "fa-0004",
        "name": focus_env.store.focus_area("fa-0004")["name"],
        "status": "COMPLETED",
    }
