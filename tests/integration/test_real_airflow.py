"""
One real Airflow deployment per suite (see :mod:`tests.integration.real_airflow`), with the emulator in this process,
proving in turn:

- **the connection form's Test button** against the real API server. The connection list's Test button posts the
  stored connection back to ``POST /api/v2/connections/test`` with ``port: Number(port)``, that is ``0`` for a stored
  empty port. Airflow 3.3.2 compares that with the stored ``NULL``, calls it another destination and answers 400 for
  every connection type. A Focus connection that stores its port (443, or the emulator's) is tested;
  ``docs/connections.md`` says so.
- **the deferrable sensor** (example DAG ``example_focus_wait``): two runs at once, one focus area becomes COMPLETED
  (the run succeeds, XCom holds the status), the other CANCELLED (the task fails). Both must first be ``deferred``
  with a trigger row, that is, waiting in the triggerer and not on a worker slot. A third DAG, started with them,
  waits deferred for a status that never comes: its trigger ends the wait at the sensor's timeout with a timeout
  event (the task fails with the trigger's message, not Airflow's deferral timeout).
- **event-driven scheduling** (example DAG ``example_focus_react``): moving a focus area's status makes exactly one
  DAG run whose triggering asset event carries the change; moving a field the watcher ignores makes none. After a
  triggerer restart, a status moved while it was down makes exactly one more run on 3.3+ (the watch's state is in
  the asset's state store), and the change fired before the restart is not fired again.
- **review before write** (example DAG ``example_focus_review_upsert``, Airflow 3.1+ human-in-the-loop): two runs
  wait for a reviewer with the upsert's dry run; a "Reject" given through the REST API ends its run with nothing
  sent to Focus, an "Approve" applies the upsert. On 3.1 and 3.2 the answer reaches the task through the HITL trigger
  on the real triggerer (which ``dag.test()`` cannot serve there), on 3.3+ through the REST API's own resume.

The tests share the deployment, so they run in this order on one pytest-xdist worker (``xdist_group``; ``make test``
runs ``--dist loadgroup``); each resets the emulator's store first.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import airflow
import httpx
import pytest

from airflow_provider_focus._compat import AIRFLOW_VERSION, airflow_at_least
from airflow_provider_focus.testing import FocusEmulator
from tests.conftest import DAGS
from tests.integration.real_airflow import Deployment
from tests.slots import deployment_slot

pytestmark = [pytest.mark.integration, pytest.mark.airflow_processes, pytest.mark.xdist_group("real_airflow")]

WAIT_DAG_ID = "example_focus_wait"
WAIT_TASK_ID = "wait_for_focus_area"
STATUS_TRIGGER = "airflow_provider_focus.triggers.focus.FocusAreaStatusTrigger"

REACT_DAG_ID = "example_focus_react"
REACT_TASK_ID = "react_to_status_change"
CHANGES_TRIGGER = "airflow_provider_focus.triggers.changes.FocusAreaChangesTrigger"

REVIEW_DAG_ID = "example_focus_review_upsert"
#: The file the review example previews and applies (it reads it next to its DAG file).
REVIEW_DATA = "data/focus_areas.csv"

DEADLINE_DAG_ID = "focus_wait_deadline"
DEADLINE_TIMEOUT_SECONDS = 30
#: A DAG whose deferred sensor waits for a status that never comes, with a short timeout.
DEADLINE_DAG = f"""
from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_focus.sensors.focus import FocusAreaStatusSensor

with DAG("{DEADLINE_DAG_ID}", schedule=None, start_date=datetime(2025, 1, 1), catchup=False):
    FocusAreaStatusSensor(
        task_id="{WAIT_TASK_ID}",
        focus_area_id="fa-0005",
        target_statuses=["completed"],
        deferrable=True,
        poll_interval=2,
        timeout={DEADLINE_TIMEOUT_SECONDS},
    )
"""


@pytest.fixture(scope="module")
def emulator() -> Iterator[FocusEmulator]:
    """The emulator of the module's deployment (its port is in the deployment's connection)."""
    with FocusEmulator(seed="demo") as focus:
        yield focus


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, emulator: FocusEmulator, airflow_db: Path
) -> Iterator[Deployment]:
    dag_files = {f"{dag_id}.py": (DAGS / f"{dag_id}.py").read_text() for dag_id in (WAIT_DAG_ID, REACT_DAG_ID)}
    dag_files[f"{DEADLINE_DAG_ID}.py"] = DEADLINE_DAG
    if airflow_at_least("3.1"):  # the review example defines its DAG on 3.1+ (human-in-the-loop) only
        dag_files[f"{REVIEW_DAG_ID}.py"] = (DAGS / f"{REVIEW_DAG_ID}.py").read_text()
        dag_files[REVIEW_DATA] = (DAGS / REVIEW_DATA).read_text()
    airflow_deployment = Deployment(
        tmp_path_factory.mktemp("real-airflow") / "airflow-home",
        emulator,
        dag_files,
        migrated_db=airflow_db / "airflow.db",
        env={"FOCUS_SITE": "emulator.test", "FOCUS_WATCH_POLL_SECONDS": "1"},  # example_focus_react's settings
    )
    started = time.monotonic()
    try:
        # The start is CPU-bound for tens of seconds (four processes import Airflow; the api-server builds its
        # apps): deployments start one at a time on the machine (FOCUS_TEST_DEPLOYMENT_SLOTS), then mostly wait
        # on each other's deadlines and polls, so another suite's deployment may start beside a running one.
        with deployment_slot():
            airflow_deployment.start()
            airflow_deployment.wait_until_serving()
        yield airflow_deployment
    except BaseException:
        print(airflow_deployment.log_tails())  # the processes' logs are the only clue when a start fails
        raise
    finally:
        stopping = time.monotonic()
        airflow_deployment.stop()
        ended = time.monotonic()
        print(f"real Airflow deployment lived {ended - started:.1f} s, stopped in {ended - stopping:.1f} s")  # budget


@pytest.fixture
def focus(emulator: FocusEmulator, deployment: Deployment, request: pytest.FixtureRequest) -> Iterator[FocusEmulator]:
    """The module's emulator, reset to the demo seed; the deployment's logs are printed when the test fails."""
    emulator.reset()
    failed_before = request.session.testsfailed
    started = time.monotonic()
    yield emulator
    print(f"real Airflow test took {time.monotonic() - started:.1f} s")
    if request.session.testsfailed > failed_before:  # the processes' logs are the only clue when a run hangs
        print(deployment.log_tails())


# --- The connection form's Test button ---------------------------------------------------------------------------


def create_connection(api: httpx.Client, **fields: object) -> None:
    answer = api.post("/api/v2/connections", json={"conn_type": "atlassian_focus", **fields})
    assert answer.status_code == 201, answer.text


def press_test_button(api: httpx.Client, connection_id: str) -> httpx.Response:
    """Post what the connection list's Test button of Airflow 3.3 posts for a stored connection."""
    stored = api.get(f"/api/v2/connections/{connection_id}").json()
    body = {
        "conn_type": stored["conn_type"],
        "connection_id": stored["connection_id"],
        "description": stored.get("description") or "",
        "extra": stored.get("extra") or "{}",
        "host": stored.get("host") or "",
        "login": stored.get("login") or "",
        "password": stored.get("password") or "",
        "port": int(stored.get("port") or 0),  # Number(null) is 0 in the UI
        "schema": stored.get("schema") or "",
    }
    return api.post("/api/v2/connections/test", json=body)


def test_the_test_button_works_for_a_focus_connection_that_stores_its_port(
    deployment: Deployment, focus: FocusEmulator
) -> None:
    api = deployment.api
    conn = focus.connection()
    credentials = {"login": conn.login, "password": conn.password}
    create_connection(api, connection_id="focus_port", host="127.0.0.1", port=focus.port, **credentials)
    create_connection(api, connection_id="focus_no_port", host=focus.url, **credentials)

    answer = press_test_button(api, "focus_port")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "status": True,
        "message": f"Connected to Focus at {focus.url}/gateway/api/focus/v1 (api_token).",
    }

    answer = press_test_button(api, "focus_no_port")
    if airflow.__version__ == "3.3.2":  # the upstream problem docs/connections.md describes
        assert answer.status_code == 400, answer.text
        assert "The host or port to test differs from the stored connection" in answer.text
    else:  # versions without the check test it, the port field's 0 dropped by the URI
        assert answer.status_code in (200, 400), answer.text

    typo = {"cloudid": "x"}
    create_connection(
        api, connection_id="focus_typo", host="127.0.0.1", port=focus.port, extra=json.dumps(typo), **credentials
    )
    answer = press_test_button(api, "focus_typo")
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["status"] is True
    assert result["message"].endswith("extra 'cloudid' is unknown and ignored; did you mean 'cloud_id'?")


def test_the_test_button_on_a_new_connection_names_no_random_id(deployment: Deployment, focus: FocusEmulator) -> None:
    answer = deployment.api.post(
        "/api/v2/connections/test",
        json={"connection_id": "focus_new", "conn_type": "atlassian_focus", "host": "acme.atlassian.net/wiki"},
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["status"] is False
    assert result["message"].startswith("The Focus connection's host has a path ('/wiki'); remove it.")


# --- The deferrable sensor ----------------------------------------------------------------------------------------


def test_sensor_defers_to_the_triggerer_and_ends_with_the_focus_area_status(
    deployment: Deployment, focus: FocusEmulator
) -> None:
    def state(run_id: str, dag_id: str = WAIT_DAG_ID) -> tuple[str | None, int | None]:
        return deployment.task_state(run_id, dag_id, WAIT_TASK_ID)

    def running(dag_id: str) -> int:
        return int(
            deployment.query("SELECT count(*) FROM task_instance WHERE state = 'running' AND dag_id = ?", dag_id)[0][0]
        )

    started = time.monotonic()
    deployment.wait_for_parsed((WAIT_DAG_ID, DEADLINE_DAG_ID))
    for dag_id in (WAIT_DAG_ID, DEADLINE_DAG_ID):
        deployment.unpause(dag_id)
    deployment.wait_for("the Execution API to answer", deployment.execution_api_answers)
    runs = {"completes": ("fa-0004", "COMPLETED"), "is_cancelled": ("fa-0006", "CANCELLED")}
    for run_id, (focus_area_id, _) in runs.items():
        deployment.trigger(WAIT_DAG_ID, run_id, {"focus_area_id": focus_area_id})
    # The deadline run starts with them: its trigger ends the wait itself at the sensor's timeout, while they wait.
    deployment.trigger(DEADLINE_DAG_ID, "times_out")

    for run_id in runs:
        deployment.wait_for(f"{run_id} to be deferred", lambda r=run_id: state(r)[0] == "deferred")
    deadline_trigger = deployment.wait_for(
        "times_out to be deferred",
        lambda: state("times_out", DEADLINE_DAG_ID)[0] == "deferred" and state("times_out", DEADLINE_DAG_ID)[1],
    )
    print(f"deferred after {time.monotonic() - started:.1f} s")
    triggers = deployment.query(
        "SELECT t.id, t.classpath, t.kwargs FROM trigger t JOIN task_instance ti ON ti.trigger_id = t.id "
        "WHERE ti.dag_id = ? AND ti.state = 'deferred'",
        WAIT_DAG_ID,
    )
    assert len(triggers) == 2, triggers
    assert {row[1] for row in triggers} == {STATUS_TRIGGER}
    assert running(WAIT_DAG_ID) == 0
    focus.clear_requests()  # the workers' first pokes are in the log; what comes now is the triggerer
    deployment.wait_for(
        "the triggerer to poll both focus areas",
        lambda: {"focus-areas/fa-0004", "focus-areas/fa-0006"} <= {r.path for r in focus.requests},
    )
    assert running(WAIT_DAG_ID) == 0

    for focus_area_id, status in runs.values():
        focus.set_status(focus_area_id, status)
    for run_id in runs:
        deployment.wait_for(
            f"{run_id} to finish", lambda r=run_id: deployment.run_state(r, WAIT_DAG_ID) in ("success", "failed")
        )

    assert deployment.run_state("completes", WAIT_DAG_ID) == "success"
    assert state("completes")[0] == "success"
    xcom = deployment.query(
        "SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND key = 'return_value'",
        WAIT_DAG_ID,
        "completes",
        WAIT_TASK_ID,
    )
    assert [json.loads(value) for (value,) in xcom] == ["COMPLETED"]
    assert deployment.run_state("is_cancelled", WAIT_DAG_ID) == "failed"
    assert state("is_cancelled")[0] == "failed"
    task_logs = (deployment.home / "logs").rglob(f"dag_id={WAIT_DAG_ID}/run_id=is_cancelled/**/*.log")
    assert any("fa-0006 has status CANCELLED" in path.read_text() for path in task_logs)
    assert not {r.method for r in focus.requests} - {"GET"}

    # The deadline run, deferred with the others: its trigger ends the wait at the sensor's timeout.
    deployment.wait_for(
        "times_out to finish", lambda: deployment.run_state("times_out", DEADLINE_DAG_ID) in ("success", "failed")
    )
    assert deadline_trigger
    assert state("times_out", DEADLINE_DAG_ID)[0] == "failed"
    deadline_logs = (deployment.home / "logs").rglob(f"dag_id={DEADLINE_DAG_ID}/run_id=times_out/**/*.log")
    message = "Timed out waiting for focus area fa-0005 for completed at "
    assert any(
        message in text and "its last status was ON_TRACK" in text
        for text in (path.read_text() for path in deadline_logs)
    )


# --- Event-driven scheduling: the change watcher ------------------------------------------------------------------


def react_runs(deployment: Deployment) -> list[tuple[str, str | None]]:
    return deployment.query("SELECT run_id, state FROM dag_run WHERE dag_id = ? ORDER BY id", REACT_DAG_ID)


def sweeps(emulator: FocusEmulator) -> int:
    return sum(1 for r in emulator.requests if r.path == "focus-areas" and r.query.get("sort") == "-updatedAt")


def test_a_status_change_runs_the_dag_once_with_the_change_and_an_ignored_field_runs_nothing(
    deployment: Deployment, focus: FocusEmulator
) -> None:
    deployment.wait_for_parsed((REACT_DAG_ID,))
    deployment.unpause(REACT_DAG_ID)
    deployment.reparse(REACT_DAG_ID)  # the watcher's trigger is created by the next parse of the file
    deployment.wait_for(
        "the watcher's trigger to be created",
        lambda: deployment.query("SELECT id FROM trigger WHERE classpath = ?", CHANGES_TRIGGER),
    )
    # The triggerer has read the statuses (baseline) and swept at least twice since: it is watching.
    focus.clear_requests()
    deployment.wait_for("the triggerer to sweep", lambda: sweeps(focus) >= 3)

    focus.store.update_focus_area("fa-0001", {"description": "ignored by the watcher"}, None)
    focus.set_status("fa-0004", "AT_RISK")
    deployment.wait_for("one DAG run", lambda: react_runs(deployment))
    deployment.wait_for("the run to finish", lambda: react_runs(deployment)[0][1] in ("success", "failed"))
    # Let the watcher sweep a few more times: nothing else may start a run.
    seen = sweeps(focus)
    deployment.wait_for("three more sweeps", lambda: sweeps(focus) >= seen + 3)

    assert [state for _, state in react_runs(deployment)] == ["success"]
    (run_id, _) = react_runs(deployment)[0]
    extras = deployment.query(
        "SELECT e.extra FROM asset_event e JOIN dagrun_asset_event l ON l.event_id = e.id "
        "JOIN dag_run r ON r.id = l.dag_run_id WHERE r.dag_id = ? AND r.run_id = ?",
        REACT_DAG_ID,
        run_id,
    )
    assert len(extras) == 1
    extra = json.loads(extras[0][0])
    assert extra["from_trigger"] is True
    change = extra["payload"]
    assert change["focus_area_id"] == "fa-0004"
    assert change["changes"] == {"status": {"old": "PENDING", "new": "AT_RISK"}}
    xcom = deployment.query(
        "SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND key = 'return_value'",
        REACT_DAG_ID,
        run_id,
        REACT_TASK_ID,
    )
    (returned,) = [json.loads(value) for (value,) in xcom]
    assert returned[0]["changes"]["status"]["new"] == "AT_RISK"
    assert deployment.query("SELECT count(*) FROM asset_event") == [(1,)]  # the sensor DAGs make none

    # A triggerer restart: a change made while it is down fires once; the change fired before does not again.
    deployment.stop_process("triggerer")
    focus.set_status("fa-0006", "COMPLETED")
    deployment.start_process("triggerer")
    fired_before = [("fa-0004", {"status": {"old": "PENDING", "new": "AT_RISK"}})]
    if airflow_at_least("3.3"):  # the watch's state is kept in the asset's state store
        deployment.wait_for("a second DAG run", lambda: len(react_runs(deployment)) >= 2)
        deployment.wait_for("the second run to finish", lambda: react_runs(deployment)[1][1] in ("success", "failed"))
        expected = [*fired_before, ("fa-0006", {"status": {"old": "OFF_TRACK", "new": "COMPLETED"}})]
    else:  # no state store: the restarted watch starts afresh (documented), the change while down is not fired
        expected = fired_before
    focus.clear_requests()
    deployment.wait_for("the restarted triggerer to sweep", lambda: sweeps(focus) >= 3)

    assert [state for _, state in react_runs(deployment)] == ["success"] * len(expected)
    payloads = [json.loads(extra)["payload"] for (extra,) in deployment.query("SELECT extra FROM asset_event")]
    assert [(p["focus_area_id"], p["changes"]) for p in payloads] == expected
    assert not {r.method for r in focus.requests} - {"GET"}


# --- Review before write: human-in-the-loop through the REST API -------------------------------------------------
# Last in the module: the approved run's upsert announces focus://.../focus-areas, and the watcher's test counts
# every asset event of the deployment.


def review_request(api: httpx.Client, run_id: str) -> dict[str, Any] | None:
    """Return the review task's human-in-the-loop request (``GET .../hitlDetails``), or ``None`` before it exists."""
    answer = api.get(f"/api/v2/dags/{REVIEW_DAG_ID}/dagRuns/{run_id}/taskInstances/review/-1/hitlDetails")
    if answer.status_code == 404:
        return None
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def respond(api: httpx.Client, run_id: str, option: str) -> None:
    """Answer the review as the "Required actions" page does: ``PATCH .../hitlDetails``."""
    answer = api.patch(
        f"/api/v2/dags/{REVIEW_DAG_ID}/dagRuns/{run_id}/taskInstances/review/-1/hitlDetails",
        json={"chosen_options": [option]},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["chosen_options"] == [option]


def scheduler_saw_the_wait(deployment: Deployment, run_id: str, waiting: str) -> bool:
    """
    Return whether the scheduler has handled the exit of the worker that parked the review task (its log says so).

    An answer given before that resumes the task (queued again, the same try) while the executor's "success" of
    that exit is still to come: the scheduler then takes the task for killed externally and fails it (seen on
    Airflow 3.3.2 with an answer 0.5 s after the park; the schedulers of 3.1 and 3.2 make the same check). A person
    never answers that fast; a script might.
    """
    log = (deployment.home / "scheduler.log").read_text(errors="replace")
    return any(
        "TaskInstance Finished:" in line and f"task_id=review, run_id={run_id}," in line and f"state={waiting}," in line
        for line in log.splitlines()
    )


def review_states(deployment: Deployment, run_id: str) -> tuple[str | None, ...]:
    return tuple(deployment.task_state(run_id, REVIEW_DAG_ID, task)[0] for task in ("preview", "review", "apply"))


@pytest.mark.skipif(  # a marker: skipped before its fixtures would start a deployment for nothing
    not airflow_at_least("3.1"),
    reason=f"human-in-the-loop operators need Airflow 3.1; this is Airflow {AIRFLOW_VERSION}",
)
def test_a_review_given_through_the_rest_api_applies_the_upsert_only_when_approved(
    deployment: Deployment, focus: FocusEmulator
) -> None:
    api = deployment.api
    before = len(focus.store.focus_areas())
    started = time.monotonic()
    deployment.wait_for_parsed((REVIEW_DAG_ID,))
    deployment.unpause(REVIEW_DAG_ID)
    for run_id in ("rejected", "approved"):  # both preview at once: one wait for the workers, not two
        deployment.trigger(REVIEW_DAG_ID, run_id)
    # Answer only a parked task: 3.3+ resumes one in awaiting_input; 3.1 and 3.2 defer it to HITLTrigger
    waiting = "awaiting_input" if airflow_at_least("3.3") else "deferred"

    def parked(run_id: str) -> dict[str, Any] | None:
        request = review_request(api, run_id)
        return request if request and request["task_instance"]["state"] == waiting else None

    requests = {
        run_id: deployment.wait_for(f"{run_id}'s review to wait for an answer", lambda r=run_id: parked(r))
        for run_id in ("rejected", "approved")
    }
    for run_id in requests:
        deployment.wait_for(
            f"the scheduler to see {run_id}'s review wait",
            lambda r=run_id: scheduler_saw_the_wait(deployment, r, waiting),
        )
    print(f"both reviews waiting after {time.monotonic() - started:.1f} s")
    for request in requests.values():
        assert request["subject"] == "Apply these changes to Focus?"
        assert request["options"] == ["Approve", "Reject"]
        assert request["body"].startswith("**7 to create, 1 to update, 0 unchanged, 0 that would fail**")
        assert "`PRJ-101`" in request["body"]
        assert request["response_received"] is False
    assert not {r.method for r in focus.requests} - {"GET"}  # the dry runs wrote nothing

    focus.clear_requests()
    respond(api, "rejected", "Reject")
    deployment.wait_for(
        "the rejected run to finish", lambda: deployment.run_state("rejected", REVIEW_DAG_ID) in ("success", "failed")
    )
    print(f"rejected run finished after {time.monotonic() - started:.1f} s")
    assert review_states(deployment, "rejected") == ("success", "success", "skipped")
    # after "Reject" nothing was written (the only reads are example_focus_react's watcher, unpaused before)
    assert not {r.method for r in focus.requests} - {"GET"}
    assert not [r for r in focus.requests if r.query.get("sort") != "-updatedAt"]
    assert review_request(api, "rejected")["chosen_options"] == ["Reject"]  # type: ignore[index]

    respond(api, "approved", "Approve")
    deployment.wait_for(
        "the approved run to finish", lambda: deployment.run_state("approved", REVIEW_DAG_ID) in ("success", "failed")
    )
    print(f"approved run finished after {time.monotonic() - started:.1f} s")
    assert review_states(deployment, "approved") == ("success", "success", "success")
    (report,) = [
        json.loads(value)
        for (value,) in deployment.query(
            "SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = 'apply' AND key = 'return_value'",
            REVIEW_DAG_ID,
            "approved",
        )
    ]
    assert (len(report["created"]), len(report["updated"]), report["failed"]) == (7, 1, [])
    writes = Counter((r.method, r.path.split("/")[0]) for r in focus.requests if r.method != "GET")
    assert writes == {("POST", "focus-areas"): 7, ("PATCH", "focus-areas"): 1}
    assert len(focus.store.focus_areas()) == before + 7
