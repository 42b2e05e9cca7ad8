"""The TaskFlow example: a ``@task`` calling ``FocusHook().upsert_focus_areas(...)``, run with ``dag.test()``."""

from __future__ import annotations

import pytest

from tests.integration.test_example_dags import run, writes, xcom

pytestmark = pytest.mark.integration


@pytest.mark.dag_test
def test_example_focus_taskflow_upserts_and_a_second_run_writes_nothing(dagbag, focus_env):
    fe = focus_env
    first = run(dagbag, "example_focus_taskflow")
    report = xcom(first, "upsert_focus_areas")
    assert (len(report["created"]), len(report["updated"]), report["unchanged"]) == (7, 1, 0)
    assert report["failed"] == []
    areas = {fa["externalId"]: fa for fa in fe.store.focus_areas()}
    assert len(areas) == 6 + 7
    assert areas["PRJ-101"]["parentId"] == areas["PRG-101"]["id"]
    assert areas["PRG-101"]["parentId"] == areas["STRAT-101"]["id"]
    assert areas["PRG-102"]["parentId"] == areas["STRAT-001"]["id"]

    fe.clear_requests()
    second = run(dagbag, "example_focus_taskflow")
    assert xcom(second, "upsert_focus_areas") == {
        "created": [],
        "updated": [],
        "unchanged": 8,
        "failed": [],
        "not_updatable": [],
        "counts": {"created": 0, "updated": 0, "unchanged": 8, "failed": 0, "not_updatable": 0},
    }
    assert writes(fe, "focus-areas") == []
