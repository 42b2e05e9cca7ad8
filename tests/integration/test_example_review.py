"""
Review before write (Airflow 3.1+ human-in-the-loop): the example DAG shows the dry run to a reviewer, whose answer
is given by the test through Airflow's own response handler (what the "Required actions" page and the REST API
call), while ``dag.test()`` waits for it: on Airflow 3.3+, where the task waits in ``awaiting_input``. On 3.1 and
3.2 the task defers to ``HITLTrigger``, which ``dag.test()`` cannot serve (see the skip message): those need a real
triggerer.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from airflow_provider_focus._compat import AIRFLOW_VERSION, airflow_at_least
from tests.integration.test_example_dags import run, writes, xcom

pytestmark = [pytest.mark.integration, pytest.mark.dag_test]

DAG_ID = "example_focus_review_upsert"

log = logging.getLogger(__name__)


class Reviewer(threading.Thread):
    """
    Answers the first open human-in-the-loop request of the DAG's ``review`` task, as a user would.

    ``dag.test()`` holds SQLite's lock for most of each second while it waits: an answer that finds the database
    locked is tried again. If no answer could be given within ``PATIENCE`` seconds (or answering failed), the
    waiting task is failed, so that ``dag.test()`` returns and the test fails instead of waiting forever.
    """

    PATIENCE = 120.0

    def __init__(self, answer: str) -> None:
        super().__init__(daemon=True)
        self.answer = answer
        self.seen: dict[str, Any] = {}
        self.error: BaseException | str | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        from sqlalchemy.exc import OperationalError

        deadline = time.monotonic() + self.PATIENCE
        while not self.stop.is_set():
            try:
                if self._answer_open_request():
                    return
            except OperationalError as err:  # "database is locked": dag.test() holds it; try again
                log.info("The reviewer's answer must wait: %s", err)
            except BaseException as err:  # reported by the test, not lost in the thread
                self.error = err
                break
            if time.monotonic() > deadline:
                self.error = f"no answer could be given within {self.PATIENCE} s"
                break
            self.stop.wait(0.2)
        if not self.stop.is_set():
            self._fail_the_waiting_task()

    @staticmethod
    def _fail_the_waiting_task() -> None:
        from airflow.models.taskinstance import TaskInstance
        from airflow.utils.session import create_session

        for _ in range(50):
            try:
                with create_session() as session:
                    session.query(TaskInstance).filter(
                        TaskInstance.dag_id == DAG_ID,
                        TaskInstance.task_id == "review",
                        TaskInstance.state.in_(["awaiting_input", "deferred"]),  # 3.3+ / 3.1-3.2 (a trigger)
                    ).update({TaskInstance.state: "failed"}, synchronize_session=False)
                return
            except Exception:
                time.sleep(0.2)

    def _answer_open_request(self) -> bool:
        from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
        from airflow.api_fastapi.core_api.datamodels.hitl import UpdateHITLDetailPayload
        from airflow.api_fastapi.core_api.routes.public.hitl import update_hitl_detail
        from airflow.models.hitl import HITLDetail
        from airflow.models.taskinstance import TaskInstance
        from airflow.utils.session import create_session

        with create_session() as session:
            found = (
                session.query(HITLDetail, TaskInstance.run_id)
                .join(TaskInstance, TaskInstance.id == HITLDetail.ti_id)
                .filter(TaskInstance.dag_id == DAG_ID, TaskInstance.task_id == "review")
                .filter(HITLDetail.responded_at.is_(None))
                # Answer only once the task is parked: an answer recorded while it was still running (the request
                # is written before the task's state) was never applied, and dag.test() waited for ever.
                .filter(TaskInstance.state == "awaiting_input")
                .first()
            )
            if found is None:
                return False
            detail, run_id = found
            self.seen = {"subject": detail.subject, "body": detail.body, "options": list(detail.options)}
            update_hitl_detail(
                dag_id=DAG_ID,
                dag_run_id=run_id,
                task_id="review",
                update_hitl_detail_payload=UpdateHITLDetailPayload(chosen_options=[self.answer]),
                user=SimpleAuthManagerUser(username="reviewer", role="admin"),
                session=session,
                map_index=-1,
            )
        return True


def review_run(dagbag: Any, answer: str) -> tuple[Any, dict[str, Any]]:
    reviewer = Reviewer(answer)
    reviewer.start()
    try:
        dag_run = run(dagbag, DAG_ID)
    finally:
        reviewer.stop.set()
        reviewer.join(timeout=10)
    assert reviewer.error is None, reviewer.error
    return dag_run, reviewer.seen


def test_the_upsert_is_applied_only_after_the_reviewer_approves_its_dry_run(dagbag, focus_env):
    if not airflow_at_least("3.1"):
        pytest.skip(f"human-in-the-loop operators need Airflow 3.1; this is Airflow {AIRFLOW_VERSION}")
    if not airflow_at_least("3.3"):
        pytest.skip(
            f"dag.test() cannot wait for a human answer on Airflow {AIRFLOW_VERSION}: it runs the HITL trigger "
            "in-process, and its in-process supervisor leaves the trigger's GetHITLDetailResponse request unhandled "
            "(the task fails at once: 'NoneType' object has no attribute 'response_received'); Airflow 3.3 parks "
            "the task in awaiting_input, which dag.test() waits on"
        )
    before = len(focus_env.store.focus_areas())

    rejected, seen = review_run(dagbag, "Reject")
    assert seen["options"] == ["Approve", "Reject"]
    assert seen["body"].startswith("**7 to create, 1 to update, 0 unchanged, 0 that would fail**")
    assert "`PRJ-101`" in seen["body"]
    states = {ti.task_id: ti.state for ti in rejected.get_task_instances()}
    assert (states["preview"], states["review"], states["apply"]) == ("success", "success", "skipped")
    assert writes(focus_env, "focus-areas") == []  # neither the dry run nor the rejected apply wrote anything
    assert len(focus_env.store.focus_areas()) == before

    approved, seen = review_run(dagbag, "Approve")
    assert xcom(approved, "review")["chosen_options"] == ["Approve"]
    report = xcom(approved, "apply")
    assert (len(report["created"]), len(report["updated"]), report["failed"]) == (7, 1, [])
    assert len(focus_env.store.focus_areas()) == before + 7
