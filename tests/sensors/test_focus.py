"""The sensor: argument checks, poke, deferral, resumption; the same result and message deferred or not."""

from __future__ import annotations

import asyncio
import io
import json
import time
from datetime import timedelta
from typing import Any

import pytest
import structlog
from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    TaskDeferred,
)

from airflow_provider_focus.exceptions import FocusAreaStatusError, FocusConfigError, FocusError, FocusWaitError
from airflow_provider_focus.links import FOCUS_AREA_ID_ATTR
from airflow_provider_focus.sensors.focus import DEFERRAL_BACKSTOP_SECONDS, FocusAreaExistsSensor, FocusAreaStatusSensor
from airflow_provider_focus.triggers.focus import FocusAreaStatusTrigger

BACKSTOP = timedelta(seconds=DEFERRAL_BACKSTOP_SECONDS)


def sensor(**kwargs) -> FocusAreaStatusSensor:
    kwargs.setdefault("task_id", "wait")
    kwargs.setdefault("focus_area_id", "fa-0004")
    return FocusAreaStatusSensor(**kwargs)


# --- arguments ------------------------------------------------------------------------------------------------


def test_defaults_and_templated_fields():
    task = sensor()
    assert task.target_statuses == ("COMPLETED",)
    assert task.failure_statuses == ("CANCELLED",)
    assert task.focus_conn_id == "focus_default"
    assert task.deferrable is False
    assert task.poll_interval == task.poke_interval == 60
    assert set(task.template_fields) >= {"focus_conn_id", "focus_area_id", "target_statuses", "failure_statuses"}
    assert [link.name for link in task.operator_extra_links] == ["View in Focus"]
    assert sensor(poll_interval=5, poke_interval=9).poke_interval == 9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target_statuses": []}, "at least one status"),
        ({"target_statuses": ["COMPLETED"], "failure_statuses": ["COMPLETED"]}, "both a target and a failure"),
        ({"focus_area_id": ""}, "focus_area_id"),
    ],
)
def test_bad_arguments_are_refused_at_parse_time(kwargs, message):
    with pytest.raises(FocusConfigError, match=message):
        sensor(**kwargs)


class RecordingLogger:
    """Stands in for a task's ``self.log``: keeps ``(level, message)`` with the %-arguments applied."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str]] = []

    def __getattr__(self, level: str) -> Any:
        def record(message: str, *args: Any, **_kwargs: Any) -> None:
            self.records.append((level, message % args if args else message))

        return record

    def messages(self, level: str) -> list[str]:
        return [message for recorded, message in self.records if recorded == level]


@pytest.fixture
def sensor_log(monkeypatch: pytest.MonkeyPatch) -> RecordingLogger:
    """
    Replace the sensor's ``self.log`` with a recorder.

    Asserting on captured stdout flakes: whether (and where) a task logger prints depends on the logging
    configuration earlier tests left behind, and the SDK caches each task's logger on first use.
    """
    recorder = RecordingLogger()
    monkeypatch.setattr(FocusAreaStatusSensor, "log", property(lambda _self: recorder))
    return recorder


@pytest.fixture
def logs_printed_elsewhere() -> Any:
    """Send structlog's output away from stdout for one test, as the logging state of an earlier test may."""
    saved = structlog.get_config()
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(file=io.StringIO()), cache_logger_on_first_use=False
    )
    yield
    structlog.configure(**saved)


def test_statuses_outside_the_model_are_allowed_with_a_warning(
    focus_emulator, focus_conn, sensor_log, logs_printed_elsewhere
):
    task = sensor(target_statuses=["DONE"], failure_statuses=["ABANDONED"], deferrable=True)
    with pytest.raises(TaskDeferred):
        task.execute({})
    (warning,) = [message for message in sensor_log.messages("warning") if "Waiting on statuses" in message]
    assert warning.startswith("Waiting on statuses ABANDONED, DONE that this provider does not know")
    assert "it knows PENDING, ON_TRACK" in warning


def test_known_statuses_make_no_warning(focus_emulator, focus_conn, sensor_log):
    focus_emulator.set_status("fa-0004", "COMPLETED")
    assert sensor(deferrable=True).execute({}) == "COMPLETED"
    assert [message for message in sensor_log.messages("warning") if "Waiting on statuses" in message] == []
    assert any("COMPLETED" in message for message in sensor_log.messages("info"))


def test_templates_pass_until_rendered():
    task = sensor(focus_area_id="{{ params.id }}", target_statuses="{{ params.s }}", failure_statuses=["{{ x }}"])
    assert task.focus_area_id == "{{ params.id }}"
    assert sensor(target_statuses="PAUSED", failure_statuses=()).target_statuses == "PAUSED"


# --- poke mode ------------------------------------------------------------------------------------------------


def test_poke_is_done_with_the_status_on_a_target(focus_emulator, focus_conn):
    focus_emulator.set_status("fa-0004", "PAUSED")
    result = sensor(target_statuses=["COMPLETED", "PAUSED"]).poke({})
    assert result.is_done
    assert result.xcom_value == "PAUSED"


def test_poke_is_not_done_on_another_status(focus_emulator, focus_conn):
    assert not sensor().poke({})


def test_poke_raises_a_non_retried_failure_on_a_failure_status(focus_emulator, focus_conn):
    focus_emulator.set_status("fa-0004", "CANCELLED")
    with pytest.raises(FocusAreaStatusError, match="fa-0004 has status CANCELLED") as caught:
        sensor().poke({})
    assert isinstance(caught.value, AirflowFailException)


def test_poke_lets_api_errors_through(focus_emulator, focus_conn):
    with pytest.raises(FocusError, match="HTTP 404"):
        sensor(focus_area_id="fa-9999").poke({})


def test_execute_in_poke_mode_returns_the_final_status_and_sets_the_link(focus_emulator, focus_conn):
    focus_emulator.set_status("fa-0004", "COMPLETED")
    task = sensor()
    assert task.execute({}) == "COMPLETED"
    assert getattr(task, FOCUS_AREA_ID_ATTR) == "fa-0004"


# --- deferrable mode --------------------------------------------------------------------------------------------


def test_deferrable_returns_at_once_when_the_status_is_already_a_target(focus_emulator, focus_conn):
    focus_emulator.set_status("fa-0004", "COMPLETED")
    assert sensor(deferrable=True).execute({}) == "COMPLETED"


def test_deferrable_fails_at_once_on_a_failure_status(focus_emulator, focus_conn):
    focus_emulator.set_status("fa-0004", "CANCELLED")
    with pytest.raises(FocusAreaStatusError):
        sensor(deferrable=True).execute({})


def test_deferrable_defers_to_the_trigger_with_the_sensor_timeout(focus_emulator, focus_conn):
    task = sensor(deferrable=True, poll_interval=15, timeout=600, target_statuses=["COMPLETED", "PAUSED"])
    before = time.time()
    with pytest.raises(TaskDeferred) as deferred:
        task.execute({})
    after = time.time()
    trigger = deferred.value.trigger
    assert isinstance(trigger, FocusAreaStatusTrigger)
    kwargs = trigger.serialize()[1]
    end_time = kwargs.pop("end_time")
    assert kwargs == {
        "focus_conn_id": "focus_default",
        "focus_area_id": "fa-0004",
        "external_id": None,
        "target_statuses": ["COMPLETED", "PAUSED"],
        "failure_statuses": ["CANCELLED"],
        "poll_interval": 15.0,
        "hook_params": {},
    }
    # The trigger carries the sensor's deadline; Airflow's deferral timeout only backs it up.
    assert before + 600 <= end_time <= after + 600
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.timeout == timedelta(seconds=600) + BACKSTOP
    assert getattr(task, FOCUS_AREA_ID_ATTR) == "fa-0004"


@pytest.mark.parametrize(
    ("execution_timeout", "timeout", "expected"),
    [(timedelta(minutes=5), 7 * 24 * 3600, timedelta(minutes=5)), (timedelta(hours=1), 60, timedelta(seconds=60))],
)
def test_deferral_timeout_is_the_lower_of_both_limits_as_on_the_worker(
    focus_emulator, focus_conn, execution_timeout, timeout, expected
):
    before = time.time()
    with pytest.raises(TaskDeferred) as deferred:
        sensor(deferrable=True, execution_timeout=execution_timeout, timeout=timeout).execute({})
    end_time = deferred.value.trigger.end_time
    assert before + expected.total_seconds() <= end_time <= time.time() + expected.total_seconds()
    assert deferred.value.timeout == expected + BACKSTOP


def test_deferred_and_poke_mode_end_with_the_same_value_and_message(focus_emulator, focus_conn):
    task = sensor(deferrable=True, poll_interval=0.05)
    with pytest.raises(TaskDeferred) as deferred:
        task.execute({})
    focus_emulator.set_status("fa-0004", "CANCELLED")

    async def run():
        return [event async for event in deferred.value.trigger.run()]

    (event,) = asyncio.run(run())
    with pytest.raises(FocusAreaStatusError) as from_trigger:
        task.execute_complete({}, event.payload)
    with pytest.raises(FocusAreaStatusError) as from_poke:
        sensor().execute({})
    assert str(from_trigger.value) == str(from_poke.value)


# --- execute_complete -------------------------------------------------------------------------------------------


def event(status, focus_area_status=None, message="m"):
    return {"status": status, "focus_area_id": "fa-0004", "focus_area_status": focus_area_status, "message": message}


def test_execute_complete_success_returns_the_status_and_sets_the_link():
    task = sensor()
    assert task.execute_complete({}, event("success", "COMPLETED")) == "COMPLETED"
    assert getattr(task, FOCUS_AREA_ID_ATTR) == "fa-0004"


def test_execute_complete_failure_raises_the_events_message():
    with pytest.raises(FocusAreaStatusError, match=r"^gone$"):
        sensor().execute_complete({}, event("failure", "CANCELLED", "gone"))


def test_execute_complete_error_raises_the_events_message():
    with pytest.raises(FocusError, match="HTTP 429") as caught:
        sensor().execute_complete({}, event("error", message="Focus API GET x failed with HTTP 429."))
    assert not isinstance(caught.value, FocusAreaStatusError)
    assert isinstance(caught.value, FocusWaitError)


@pytest.mark.parametrize("bad", [None, {}, {"status": "bogus"}, "success"])
def test_execute_complete_rejects_a_missing_or_unknown_event(bad):
    with pytest.raises(FocusError, match="unexpected event"):
        sensor().execute_complete({}, bad)


@pytest.mark.parametrize("rendered", ["PAUSED", "COMPLETED, PAUSED", '["COMPLETED", "PAUSED"]'])
def test_rendered_status_strings_are_parsed_as_lists(focus_emulator, focus_conn, rendered):
    focus_emulator.set_status("fa-0004", "PAUSED")
    task = sensor(target_statuses="{{ params.s }}", failure_statuses="{{ params.f }}")
    task.render_template_fields({"params": {"s": rendered, "f": "CANCELLED,OFF_TRACK"}})
    assert isinstance(task.target_statuses, str)
    result = task.poke({})
    assert result.is_done
    assert result.xcom_value == "PAUSED"


def test_rendered_statuses_of_the_wrong_shape_are_refused(focus_emulator, focus_conn):
    task = sensor(target_statuses="{{ params.s | tojson }}")
    task.render_template_fields({"params": {"s": {"COMPLETED": 1}}})
    with pytest.raises(FocusConfigError, match="target_statuses must be a list"):
        task.poke({})


# --- the same outcome deferred or not: soft_fail, never_fail, silent_fail, intervals --------------------------


@pytest.mark.parametrize("flag", ["soft_fail", "never_fail"])
@pytest.mark.parametrize("deferrable", [False, True])
def test_failure_status_is_skipped_with_soft_or_never_fail_in_both_modes(focus_emulator, focus_conn, flag, deferrable):
    from airflow.providers.common.compat.sdk import AirflowSkipException

    focus_emulator.set_status("fa-0004", "CANCELLED")
    with pytest.raises(AirflowSkipException):
        sensor(deferrable=deferrable, **{flag: True}).execute({})


@pytest.mark.parametrize("deferrable", [False, True])
def test_api_error_is_skipped_with_never_fail_in_both_modes(focus_emulator, focus_conn, deferrable):
    from airflow.providers.common.compat.sdk import AirflowSkipException

    with pytest.raises(AirflowSkipException):
        sensor(focus_area_id="fa-9999", deferrable=deferrable, never_fail=True).execute({})


def test_api_error_with_silent_fail_keeps_poking_until_the_timeout(focus_emulator, focus_conn):
    # Airflow's own loop runs the first poke: silent_fail logs the 404 and pokes again, until the sensor's timeout.
    # (2 s, not less: a loaded machine, e.g. under xdist beside the matrix, once took 0.5 s for the first pokes)
    task = sensor(focus_area_id="fa-9999", deferrable=True, silent_fail=True, poll_interval=0.05, timeout=2)
    with pytest.raises(AirflowSensorTimeout):
        task.execute({})
    assert len([r for r in focus_emulator.requests if r.path == "focus-areas/fa-9999"]) >= 3


def resume(task: FocusAreaStatusSensor, event: dict[str, Any]) -> Any:
    """Resume a deferred sensor as Airflow's task runner does (with its soft_fail/never_fail handling)."""
    return task.resume_execution("execute_complete", {"event": event}, {})


@pytest.mark.integration  # resuming differs by Airflow release (3.0 skipped only with soft_fail): the matrix runs it
def test_error_event_follows_never_fail_and_soft_fail_and_never_defers_again(focus_emulator, focus_conn):
    event = {"status": "error", "focus_area_id": "fa-0004", "message": "Could not read: HTTP 401"}
    with pytest.raises(AirflowSkipException):
        resume(sensor(deferrable=True, never_fail=True), event)
    with pytest.raises(AirflowSkipException):
        resume(sensor(deferrable=True, soft_fail=True), event)
    # silent_fail used to defer again with a fresh full timeout after every error event: the wait never ended.
    with pytest.raises(FocusWaitError, match="HTTP 401"):
        resume(sensor(deferrable=True, silent_fail=True), event)
    with pytest.raises(FocusError, match="HTTP 401"):
        resume(sensor(deferrable=True), event)
    assert focus_emulator.requests == []


@pytest.mark.integration  # resuming differs by Airflow release (3.0 skipped only with soft_fail): the matrix runs it
def test_timeout_event_fails_without_retries_or_skips_with_soft_fail():
    event = {"status": "timeout", "focus_area_id": "fa-0004", "focus_area_status": "PENDING", "message": "late"}
    with pytest.raises(AirflowSensorTimeout, match=r"^late$"):
        resume(sensor(deferrable=True), event)
    with pytest.raises(AirflowSkipException):
        resume(sensor(deferrable=True, soft_fail=True), event)
    with pytest.raises(AirflowSkipException):
        resume(sensor(deferrable=True, never_fail=True), event)


def test_failure_event_is_skipped_with_soft_fail_when_resumed():
    with pytest.raises(FocusAreaStatusError):
        resume(sensor(deferrable=True), event("failure", "CANCELLED", "gone"))
    with pytest.raises(AirflowSkipException):
        resume(sensor(deferrable=True, soft_fail=True), event("failure", "CANCELLED", "gone"))


def test_poll_interval_as_timedelta_or_from_poke_interval(focus_emulator, focus_conn):
    assert sensor(poll_interval=timedelta(seconds=30)).poll_interval == 30.0
    assert sensor(poke_interval=10).poll_interval == 10.0
    with pytest.raises(TaskDeferred) as deferred:
        sensor(deferrable=True, poll_interval=timedelta(seconds=30)).execute({})
    assert deferred.value.trigger.serialize()[1]["poll_interval"] == 30.0
    with pytest.raises(FocusConfigError, match="poll_interval must be a positive number"):
        sensor(poll_interval=0)


# --- by external id, case-insensitive statuses, transient errors ----------------------------------------------


def create_focus_area(emulator: Any, external_id: str) -> str:
    """Create a focus area on the emulator as a planning team would; return its id."""
    body = {"name": f"Planned {external_id}", "focusAreaTypeId": "fat-project", "externalId": external_id}
    return str(emulator.store.create_focus_area(body, "planner")["id"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"focus_area_id": None}, "exactly one of focus_area_id and external_id"),
        ({"external_id": "PRJ-002"}, "exactly one of focus_area_id and external_id"),
        ({"focus_area_id": None, "external_id": " "}, "external_id must be a non-empty string"),
        ({"target_statuses": ["completed"], "failure_statuses": ["COMPLETED"]}, "both a target and a failure"),
    ],
)
def test_bad_focus_area_arguments_are_refused_at_parse_time(kwargs, message):
    with pytest.raises(FocusConfigError, match=message):
        sensor(**kwargs)


@pytest.mark.parametrize("deferrable", [False, True])
def test_statuses_are_compared_ignoring_case(focus_emulator, focus_conn, sensor_log, deferrable):
    # ["completed"] used to wait forever on COMPLETED.
    focus_emulator.set_status("fa-0004", "COMPLETED")
    assert sensor(target_statuses=["completed"], deferrable=deferrable).execute({}) == "COMPLETED"
    focus_emulator.set_status("fa-0004", "CANCELLED")
    with pytest.raises(FocusAreaStatusError, match="has status CANCELLED"):
        sensor(failure_statuses=["Cancelled"], deferrable=deferrable).execute({})
    assert [message for message in sensor_log.messages("warning") if "Waiting on statuses" in message] == []


def test_waits_by_external_id_and_links_the_focus_area_it_found(focus_emulator, focus_conn):
    focus_emulator.set_status("fa-0004", "COMPLETED")
    task = sensor(focus_area_id=None, external_id="PRJ-002")
    assert task.execute({}) == "COMPLETED"
    assert getattr(task, FOCUS_AREA_ID_ATTR) == "fa-0004"


def test_external_id_that_does_not_exist_yet_is_waited_for(focus_emulator, focus_conn, sensor_log):
    task = FocusAreaExistsSensor(task_id="wait", external_id="NEW-1", poll_interval=0.01)
    assert not task.poke({})
    assert not task.poke({})
    new_id = create_focus_area(focus_emulator, "NEW-1")
    result = task.poke({})
    assert result.is_done
    assert result.xcom_value == new_id  # the exists sensor returns the id a downstream task needs
    assert getattr(task, FOCUS_AREA_ID_ATTR) == new_id
    assert sensor_log.messages("info") == [
        "No focus area with external id 'NEW-1' yet; waiting for it",  # once, not per poke
        "Focus area with external id 'NEW-1' exists (status PENDING).",
    ]


def test_exists_sensor_defers_by_external_id_with_any_status(focus_emulator, focus_conn):
    with pytest.raises(TaskDeferred) as deferred:
        FocusAreaExistsSensor(task_id="wait", external_id="NEW-1", deferrable=True, timeout=60).execute({})
    kwargs = deferred.value.trigger.serialize()[1]
    assert (kwargs["focus_area_id"], kwargs["external_id"], kwargs["target_statuses"]) == (None, "NEW-1", ["*"])
    assert kwargs["failure_statuses"] == []
    new_id = create_focus_area(focus_emulator, "NEW-1")

    async def run():
        return [event async for event in deferred.value.trigger.run()]

    (event,) = asyncio.run(run())
    task = FocusAreaExistsSensor(task_id="wait", external_id="NEW-1", deferrable=True)
    assert task.execute_complete({}, event.payload) == new_id
    assert getattr(task, FOCUS_AREA_ID_ATTR) == new_id


def test_transient_errors_after_the_clients_retries_do_not_end_a_poke_wait(focus_emulator, monkeypatch, sensor_log):
    for name, value in focus_emulator.conn_env("focus_default").items():
        monkeypatch.setenv(name, json.dumps({**json.loads(value), "extra": {"max_retries": 0}}))
    focus_emulator.faults.server_error(count=2, status=502)
    task = sensor(poll_interval=0.01)
    assert not task.poke({})
    assert not task.poke({})
    focus_emulator.set_status("fa-0004", "COMPLETED")
    assert task.poke({}).xcom_value == "COMPLETED"
    (warning,) = sensor_log.messages("warning")  # two failed pokes, one line
    assert warning.startswith(
        "Could not read focus area fa-0004 (Focus API GET focus-areas/fa-0004 failed with HTTP 502"
    )
