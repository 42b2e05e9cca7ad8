"""Run every example DAG with ``dag.test()`` against the emulator on a real SQLite metadata DB."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_focus._compat import airflow_at_least

pytestmark = pytest.mark.integration

EXAMPLES = {
    "example_focus_import",
    "example_focus_export",
    "example_focus_lifecycle",
    "example_focus_incremental_export",
    "example_focus_react",
}


def writes(emulator: Any, prefix: str) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emulator.requests if r.method != "GET" and r.path.startswith(prefix)]


def activate_outlet_assets(dag: Any) -> None:
    """
    Mark the DAG's concrete outlet assets active, as a DAG processor would on Airflow 3.0.

    There, ``dag.test()`` registers no asset, and a task with a concrete outlet fails before it starts
    (``AirflowInactiveAssetInInletOrOutletException``); 3.1+ registers them itself.
    """
    from airflow.models.asset import AssetActive, AssetModel
    from airflow.sdk import Asset
    from airflow.utils.session import create_session

    with create_session() as session:
        outlets = {(o.name, o.uri): o for task in dag.tasks for o in task.outlets if isinstance(o, Asset)}
        for outlet in outlets.values():  # by name and URI: an Asset is unhashable on some releases
            model = session.query(AssetModel).filter_by(name=outlet.name, uri=outlet.uri).one_or_none()
            if model is None:
                model = AssetModel(name=outlet.name, uri=outlet.uri, group=outlet.group)
                session.add(model)
                session.flush()
            if session.query(AssetActive).filter_by(name=outlet.name, uri=outlet.uri).one_or_none() is None:
                session.add(AssetActive.for_asset(model))


def run(dagbag: Any, dag_id: str, **conf: Any) -> Any:
    dag = dagbag.get_dag(dag_id)
    if not airflow_at_least("3.1"):
        activate_outlet_assets(dag)
    dag_run = dag.test(run_conf=conf or None)
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success", states
    return dag_run


def xcom(dag_run: Any, task_id: str, key: str = "return_value") -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = (
            session.query(XComModel)
            .filter_by(dag_id=dag_run.dag_id, run_id=dag_run.run_id, task_id=task_id, key=key)
            .one()
        )
        return XComModel.deserialize_value(row)


def test_example_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) >= EXAMPLES
    for dag_id in EXAMPLES:
        assert "focus" in dagbag.get_dag(dag_id).tags


@pytest.mark.dag_test
def test_example_focus_import_is_idempotent(dagbag, focus_env):
    fe = focus_env
    first = run(dagbag, "example_focus_import")
    report = xcom(first, "upsert_focus_areas")
    assert len(report["created"]) == 7
    assert len(report["updated"]) == 1  # PRJ-001 (a demo-seed focus area) gets the CSV's description
    assert report["unchanged"] == 0
    assert report["failed"] == []
    costs = xcom(first, "import_cost_items")
    assert (len(costs["created"]), costs["updated"], costs["unchanged"], costs["failed"]) == (4, [], 0, [])
    areas = {fa["externalId"]: fa for fa in fe.store.focus_areas()}
    assert len(areas) == 6 + 7
    assert areas["PRJ-101"]["parentId"] == areas["PRG-101"]["id"]
    assert areas["PRG-102"]["parentId"] == areas["STRAT-001"]["id"]
    assert fe.store.counts()["costItems"] == 1 + 4

    fe.clear_requests()
    second = run(dagbag, "example_focus_import")
    assert xcom(second, "upsert_focus_areas") == {
        "created": [],
        "updated": [],
        "unchanged": 8,
        "failed": [],
        "not_updatable": [],
        "counts": {"created": 0, "updated": 0, "unchanged": 8, "failed": 0, "not_updatable": 0},
    }
    assert writes(fe, "focus-areas") == []
    assert xcom(second, "import_cost_items") == {
        "created": [],
        "updated": costs["created"],  # the same cost items, matched by external id
        "unchanged": 0,
        "failed": [],
        "counts": {"created": 0, "updated": len(costs["created"]), "unchanged": 0, "failed": 0},
    }
    assert fe.store.counts()["focusAreas"] == 13


@pytest.mark.dag_test
def test_example_focus_export_writes_json_lines(dagbag, focus_env, tmp_path):
    dag_run = run(dagbag, "example_focus_export", export_base=f"file://{tmp_path / 'export'}")
    result = xcom(dag_run, "export_focus_areas")
    ds = dag_run.run_after.strftime("%Y-%m-%d")  # the date of the run: manual runs have no logical date
    path = tmp_path / "export" / ds / "focus_areas.jsonl"
    assert result == {"path": f"file://{path}", "count": 6}
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(fa["externalId"] for fa in lines) == sorted(fa["externalId"] for fa in focus_env.store.focus_areas())
    assert [p.name for p in Path(path).parent.iterdir()] == ["focus_areas.jsonl"]


@pytest.mark.dag_test
def test_example_focus_lifecycle_and_its_links(dagbag, focus_env):
    dag_run = run(dagbag, "example_focus_lifecycle")
    focus_area_id = xcom(dag_run, "create_focus_area")
    stored = focus_env.store.focus_area(focus_area_id)
    assert stored["parentId"] == "fa-0002"
    assert stored["description"].startswith("Updated by example_focus_lifecycle")
    assert xcom(dag_run, "get_focus_area")["id"] == focus_area_id
    expected = f"{focus_env.url}/focus/focus-areas/{focus_area_id}"
    for task_id in ("create_focus_area", "update_focus_area", "get_focus_area"):
        assert xcom(dag_run, task_id, key="_link_FocusAreaLink") == expected
