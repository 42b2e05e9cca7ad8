"""
Event-driven scheduling in a real Airflow deployment (api-server, scheduler, dag-processor, triggerer as separate
processes, LocalExecutor on SQLite) with the example DAG ``example_focus_react`` and the emulator in this process.

Moving a focus area's status makes exactly one DAG run whose triggering asset event carries the change; moving a
field the watcher ignores makes none. After a triggerer restart, a status moved while it was down makes exactly one
more run, and the change fired before the restart is not fired again (the watch's state is in the asset's state
store).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_focus._compat import airflow_at_least
from airflow_provider_focus.testing import FocusEmulator
from tests.conftest import DAGS
from tests.integration.test_sensor_real_airflow import Deployment
from tests.slots import deployment_slot

pytestmark = [pytest.mark.integration, pytest.mark.airflow_processes]

DAG_ID = "example_focus_react"
TASK_ID = "react_to_status_change"
TRIGGER_CLASSPATH = "airflow_provider_focus.triggers.changes.FocusAreaChangesTrigger"


@pytest.fixture
def deployment(tmp_path: Path, focus_emulator: FocusEmulator) -> Iterator[Deployment]:
    airflow = Deployment(tmp_path / "airflow-home", focus_emulator)
    dags = airflow.home / "dags"
    for path in dags.iterdir():
        path.unlink()
    shutil.copy(DAGS / f"{DAG_ID}.py", dags)
    airflow.env.update(
        {
            "FOCUS_SITE": "emulator.test",
            "FOCUS_WATCH_POLL_SECONDS": "1",
        }
    )
    with deployment_slot():  # at most FOCUS_TEST_DEPLOYMENT_SLOTS deployments at once on the machine
        try:
            airflow.start()
            yield airflow
        except BaseException:
            print(airflow.log_tails())
            raise
        finally:
            airflow.stop()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def restart_triggerer(deployment: Deployment, while_down: Callable[[], Any]) -> None:
    """Stop the triggerer (SIGTERM, as a deployment would), run ``while_down``, start a new triggerer."""
    old = deployment.procs["triggerer"]
    os.killpg(old.pid, signal.SIGTERM)
    old.wait(timeout=60)
    while_down()
    log = (deployment.home / "triggerer.log").open("ab")
    deployment.procs["triggerer"] = subprocess.Popen(
        [deployment.airflow, "triggerer"],
        env=deployment.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def runs(deployment: Deployment) -> list[tuple[str, str | None]]:
    return deployment.query("SELECT run_id, state FROM dag_run WHERE dag_id = ? ORDER BY id", DAG_ID)


def sweeps(emulator: FocusEmulator) -> int:
    return sum(1 for r in emulator.requests if r.path == "focus-areas" and r.query.get("sort") == "-updatedAt")


def test_a_status_change_runs_the_dag_once_with_the_change_and_an_ignored_field_runs_nothing(
    deployment: Deployment, focus_emulator: FocusEmulator
) -> None:
    started = time.monotonic()
    try:
        deployment.wait_for(
            "the DAG to be parsed", lambda: deployment.query("SELECT 1 FROM dag WHERE dag_id = ?", DAG_ID)
        )
        api = f"http://127.0.0.1:{deployment.env['AIRFLOW__API__PORT']}/api/v2/monitor/health"
        deployment.wait_for("the api-server to answer", lambda: _answers(api))
        deployment.cli("dags", "unpause", DAG_ID)
        deployment.wait_for(
            "the watcher's trigger to be created",
            lambda: deployment.query("SELECT id FROM trigger WHERE classpath = ?", TRIGGER_CLASSPATH),
        )
        # The triggerer has read the statuses (baseline) and swept at least twice since: it is watching.
        focus_emulator.clear_requests()
        deployment.wait_for("the triggerer to sweep", lambda: sweeps(focus_emulator) >= 3)

        focus_emulator.store.update_focus_area("fa-0001", {"description": "ignored by the watcher"}, None)
        focus_emulator.set_status("fa-0004", "AT_RISK")
        deployment.wait_for("one DAG run", lambda: runs(deployment))
        deployment.wait_for("the run to finish", lambda: runs(deployment)[0][1] in ("success", "failed"))
        # Let the watcher sweep a few more times: nothing else may start a run.
        seen = sweeps(focus_emulator)
        deployment.wait_for("three more sweeps", lambda: sweeps(focus_emulator) >= seen + 3)

        assert [state for _, state in runs(deployment)] == ["success"]
        (run_id, _) = runs(deployment)[0]
        extras = deployment.query(
            "SELECT e.extra FROM asset_event e JOIN dagrun_asset_event l ON l.event_id = e.id "
            "JOIN dag_run r ON r.id = l.dag_run_id WHERE r.dag_id = ? AND r.run_id = ?",
            DAG_ID,
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
            DAG_ID,
            run_id,
            TASK_ID,
        )
        (returned,) = [json.loads(value) for (value,) in xcom]
        assert returned[0]["changes"]["status"]["new"] == "AT_RISK"
        assert deployment.query("SELECT count(*) FROM asset_event") == [(1,)]

        # A triggerer restart: a change made while it is down fires once; the change fired before does not again.
        restart_triggerer(deployment, lambda: focus_emulator.set_status("fa-0006", "COMPLETED"))
        fired_before = [("fa-0004", {"status": {"old": "PENDING", "new": "AT_RISK"}})]
        if airflow_at_least("3.3"):  # the watch's state is kept in the asset's state store
            deployment.wait_for("a second DAG run", lambda: len(runs(deployment)) >= 2)
            deployment.wait_for("the second run to finish", lambda: runs(deployment)[1][1] in ("success", "failed"))
            expected = [*fired_before, ("fa-0006", {"status": {"old": "OFF_TRACK", "new": "COMPLETED"}})]
        else:  # no state store: the restarted watch starts afresh (documented), the change while down is not fired
            expected = fired_before
        focus_emulator.clear_requests()
        deployment.wait_for("the restarted triggerer to sweep", lambda: sweeps(focus_emulator) >= 3)

        assert [state for _, state in runs(deployment)] == ["success"] * len(expected)
        payloads = [json.loads(extra)["payload"] for (extra,) in deployment.query("SELECT extra FROM asset_event")]
        assert [(p["focus_area_id"], p["changes"]) for p in payloads] == expected
        assert not {r.method for r in focus_emulator.requests} - {"GET"}
    except BaseException:
        print(deployment.log_tails())
        raise
    finally:
        print(f"real Airflow watcher test took {time.monotonic() - started:.1f} s")
