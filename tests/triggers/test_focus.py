"""The trigger against the emulator: one event per run, errors as events, every auth mode, no secrets."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from airflow.triggers.base import TriggerEvent

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.testing import EMULATOR_API_TOKEN, FocusEmulator
from airflow_provider_focus.triggers.focus import FocusAreaStatusTrigger


def make_trigger(focus_area_id: str | None = "fa-0004", **kwargs: Any) -> FocusAreaStatusTrigger:
    return FocusAreaStatusTrigger(
        focus_conn_id=kwargs.pop("focus_conn_id", "focus_default"),
        focus_area_id=focus_area_id,
        target_statuses=kwargs.pop("target_statuses", ["COMPLETED"]),
        failure_statuses=kwargs.pop("failure_statuses", ["CANCELLED"]),
        poll_interval=kwargs.pop("poll_interval", 0.05),
        **kwargs,
    )


def use_emulator(
    monkeypatch: pytest.MonkeyPatch, emulator: FocusEmulator, auth_type: str = "api_token", **extra: Any
) -> None:
    ((name, value),) = emulator.conn_env("focus_default", auth_type=auth_type).items()
    conn = json.loads(value)
    current = conn.get("extra") or {}
    conn["extra"] = json.dumps({**(json.loads(current) if isinstance(current, str) else current), **extra})
    monkeypatch.setenv(name, json.dumps(conn))


def polled(emulator: FocusEmulator, path: str = "focus-areas/fa-0004") -> Any:
    """A condition: the trigger has read the focus area at least once (an answered GET)."""
    return lambda: any(r.path == path and r.status == 200 for r in emulator.requests)


def collect(trigger: FocusAreaStatusTrigger, *, then: Any = None, once: Any = None) -> list[TriggerEvent]:
    """
    Run the trigger to its end; with ``then``, call it as soon as ``once()`` holds (never on a timer).

    Waiting on what the emulator saw, not on the clock, keeps the test exact on a loaded machine.
    """

    async def go() -> list[TriggerEvent]:
        async def later() -> None:
            while not once():
                await asyncio.sleep(0.005)
            then()

        side = asyncio.ensure_future(later()) if then else None
        events = [event async for event in trigger.run()]
        if side:
            await side
        return events

    return asyncio.run(asyncio.wait_for(go(), timeout=30))


def test_serialize_returns_the_classpath_and_every_kwarg_as_plain_json():
    trigger = make_trigger(target_statuses=("COMPLETED", "PAUSED"), poll_interval=30, end_time=1_800_000_000)
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_focus.triggers.focus.FocusAreaStatusTrigger"
    assert kwargs == {
        "focus_conn_id": "focus_default",
        "focus_area_id": "fa-0004",
        "external_id": None,
        "target_statuses": ["COMPLETED", "PAUSED"],
        "failure_statuses": ["CANCELLED"],
        "poll_interval": 30.0,
        "end_time": 1_800_000_000.0,
        "hook_params": {},
    }
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert FocusAreaStatusTrigger(**kwargs).serialize() == (classpath, kwargs)
    by_external_id = make_trigger(None, external_id="PRJ-002").serialize()[1]
    assert (by_external_id["focus_area_id"], by_external_id["external_id"], by_external_id["end_time"]) == (
        None,
        "PRJ-002",
        None,
    )


def test_a_trigger_deferred_by_an_earlier_version_still_loads():
    old_kwargs = {
        "focus_conn_id": "focus_default",
        "focus_area_id": "fa-0004",
        "target_statuses": ["COMPLETED"],
        "failure_statuses": ["CANCELLED"],
        "poll_interval": 60.0,
    }
    assert FocusAreaStatusTrigger(**old_kwargs).end_time is None


def test_exactly_one_of_id_and_external_id():
    with pytest.raises(FocusConfigError, match="exactly one"):
        make_trigger(None)
    with pytest.raises(FocusConfigError, match="exactly one"):
        make_trigger("fa-0004", external_id="PRJ-002")


def test_waits_until_the_status_is_a_target_and_yields_one_success_event(focus_emulator, monkeypatch):
    use_emulator(monkeypatch, focus_emulator)
    events = collect(
        make_trigger(poll_interval=0.2),  # a wide gap between polls for the status change to land in
        then=lambda: focus_emulator.set_status("fa-0004", "COMPLETED"),
        once=polled(focus_emulator),
    )
    assert [event.payload for event in events] == [
        {
            "status": "success",
            "focus_area_id": "fa-0004",
            "focus_area_status": "COMPLETED",
            "message": "Focus area fa-0004 reached status COMPLETED.",
        }
    ]
    polls = [r for r in focus_emulator.requests if r.path == "focus-areas/fa-0004"]
    assert len(polls) >= 2
    assert {r.method for r in focus_emulator.requests} == {"GET"}
    assert len({r.client_port for r in polls}) == 1  # one keep-alive connection for every poll


def test_failure_status_yields_a_failure_event(focus_emulator, monkeypatch):
    use_emulator(monkeypatch, focus_emulator)
    focus_emulator.set_status("fa-0004", "CANCELLED")
    (event,) = collect(make_trigger())
    assert event.payload == {
        "status": "failure",
        "focus_area_id": "fa-0004",
        "focus_area_status": "CANCELLED",
        "message": "Focus area fa-0004 has status CANCELLED, one of the failure statuses CANCELLED.",
    }


def test_unknown_focus_area_yields_an_error_event(focus_emulator, monkeypatch):
    use_emulator(monkeypatch, focus_emulator)
    (event,) = collect(make_trigger("fa-9999"))
    assert event.payload["status"] == "error"
    assert event.payload["focus_area_status"] is None
    assert "fa-9999" in event.payload["message"]
    assert "HTTP 404" in event.payload["message"]


def test_429_storm_that_outlasts_the_retries_keeps_polling_until_the_deadline(focus_emulator, monkeypatch):
    # Used to end the wait with an error event after the client's retries; waiting may cure a 429.
    use_emulator(monkeypatch, focus_emulator, max_retries=1, rate_limit_budget=0)  # 429s spend attempts
    focus_emulator.faults.rate_limit(count=None, retry_after=0)
    (event,) = collect(make_trigger(poll_interval=0.05, end_time=time.time() + 1.0))
    assert event.payload["status"] == "timeout"
    assert event.payload["focus_area_status"] is None
    assert event.payload["message"].startswith("Timed out waiting for focus area fa-0004 for COMPLETED at ")
    assert "; it could not be read, every read failed (the last error: " in event.payload["message"]
    assert "HTTP 429" in event.payload["message"]
    assert len(focus_emulator.requests) > 2  # more than one read's worth of attempts
    assert {r.status for r in focus_emulator.requests} == {429}


@pytest.mark.parametrize(
    "fault",
    [
        lambda fe: fe.faults.server_error(count=3, status=500),
        lambda fe: fe.faults.server_error(count=3, status=503),
        lambda fe: fe.faults.drop_before(count=3),
        lambda fe: fe.faults.malformed_json(count=3),
    ],
)
def test_transient_errors_after_the_retries_keep_polling_until_the_status_arrives(focus_emulator, monkeypatch, fault):
    use_emulator(monkeypatch, focus_emulator, max_retries=0)
    focus_emulator.set_status("fa-0004", "COMPLETED")
    fault(focus_emulator)
    (event,) = collect(make_trigger(poll_interval=0.01, end_time=time.time() + 30))
    assert event.payload["status"] == "success"
    assert len([r for r in focus_emulator.requests if r.path == "focus-areas/fa-0004"]) >= 3


def test_deadline_ends_the_wait_with_a_timeout_event_and_the_last_status(focus_emulator, monkeypatch):
    use_emulator(monkeypatch, focus_emulator)
    started = time.monotonic()
    (event,) = collect(make_trigger(poll_interval=0.2, end_time=time.time() + 0.5))
    assert 0.5 <= time.monotonic() - started < 10
    assert event.payload["status"] == "timeout"
    assert event.payload["focus_area_id"] == "fa-0004"
    assert event.payload["focus_area_status"] == "PENDING"
    assert event.payload["message"].endswith("; its last status was PENDING.")
    # a read at the deadline itself, not only before it
    assert len([r for r in focus_emulator.requests if r.path == "focus-areas/fa-0004"]) >= 3


def test_deadline_already_passed_reads_once_then_times_out(focus_emulator, monkeypatch):
    use_emulator(monkeypatch, focus_emulator)
    (event,) = collect(make_trigger(poll_interval=60, end_time=time.time() - 5))
    assert event.payload["status"] == "timeout"
    assert len(focus_emulator.requests) == 1


def test_deadline_beats_a_target_status_only_if_it_is_not_seen(focus_emulator, monkeypatch):
    use_emulator(monkeypatch, focus_emulator)
    focus_emulator.set_status("fa-0004", "COMPLETED")
    (event,) = collect(make_trigger(end_time=time.time() - 5))
    assert event.payload["status"] == "success"


def test_a_read_hanging_past_the_deadline_is_cut_short(focus_emulator, monkeypatch):
    monkeypatch.setattr("airflow_provider_focus.waiting.READ_GRACE_SECONDS", 0.2)
    use_emulator(monkeypatch, focus_emulator, timeout=30)
    focus_emulator.faults.latency(5)
    started = time.monotonic()
    (event,) = collect(make_trigger(end_time=time.time() + 0.3))
    assert time.monotonic() - started < 4
    assert event.payload["status"] == "timeout"


def test_statuses_are_compared_ignoring_case(focus_emulator, monkeypatch):
    use_emulator(monkeypatch, focus_emulator)
    focus_emulator.set_status("fa-0004", "COMPLETED")
    (event,) = collect(make_trigger(target_statuses=["completed"], end_time=time.time() + 30))
    assert event.payload["status"] == "success"
    focus_emulator.set_status("fa-0004", "CANCELLED")
    (event,) = collect(make_trigger(failure_statuses=["cancelled"], end_time=time.time() + 30))
    assert event.payload["status"] == "failure"


def test_waits_for_an_external_id_until_the_focus_area_exists(focus_emulator, monkeypatch):
    use_emulator(monkeypatch, focus_emulator)
    created: list[str] = []

    def create() -> None:
        body = {"name": "Planned", "focusAreaTypeId": "fat-project", "externalId": "NEW-1"}
        created.append(focus_emulator.store.create_focus_area(body, "planner")["id"])

    trigger = make_trigger(None, external_id="NEW-1", target_statuses=["*"], failure_statuses=[], poll_interval=0.2)
    (event,) = collect(trigger, then=create, once=polled(focus_emulator, "focus-areas"))
    assert event.payload == {
        "status": "success",
        "focus_area_id": created[0],
        "focus_area_status": "PENDING",
        "message": "Focus area with external id 'NEW-1' exists (status PENDING).",
    }
    assert {r.query.get("externalId") for r in focus_emulator.requests} == {"NEW-1"}


def test_waits_for_an_external_id_to_reach_a_status(focus_emulator, monkeypatch):
    use_emulator(monkeypatch, focus_emulator)
    focus_emulator.set_status("fa-0004", "PAUSED")
    (event,) = collect(make_trigger(None, external_id="PRJ-002", target_statuses=["paused"]))
    assert (event.payload["status"], event.payload["focus_area_id"]) == ("success", "fa-0004")
    assert event.payload["message"] == "Focus area with external id 'PRJ-002' reached status PAUSED."


def test_external_id_never_created_times_out(focus_emulator, monkeypatch):
    use_emulator(monkeypatch, focus_emulator)
    trigger = make_trigger(None, external_id="NEVER", target_statuses=["*"], end_time=time.time() + 0.3)
    (event,) = collect(trigger)
    assert event.payload["status"] == "timeout"
    assert event.payload["focus_area_id"] is None
    assert event.payload["message"].endswith("to exist at " + event.payload["message"].split(" at ")[1])
    assert "no focus area had that external id" in event.payload["message"]


@pytest.mark.parametrize("missing_first", [False, True], ids=["failing from the start", "missing, then failing"])
def test_an_external_id_wait_whose_reads_fail_says_so(focus_emulator, monkeypatch, missing_first):
    # Used to say "no focus area had that external id" when the reads had failed.
    use_emulator(monkeypatch, focus_emulator, max_retries=0, rate_limit_budget=0)
    trigger = make_trigger(None, external_id="NEVER", target_statuses=["*"], poll_interval=0.05)
    trigger.end_time = time.time() + 1.0

    def storm() -> None:
        focus_emulator.faults.rate_limit(count=None, retry_after=0, path="focus-areas")

    def answered() -> bool:
        return any(r.path == "focus-areas" and r.status == 200 for r in focus_emulator.requests)

    if missing_first:
        (event,) = collect(trigger, then=storm, once=answered)
    else:
        storm()
        (event,) = collect(trigger)
    message = event.payload["message"]
    assert event.payload["status"] == "timeout"
    assert "no focus area had that external id" not in message
    assert "HTTP 429" in message
    assert ("the reads failed (the last error: " in message) is missing_first
    assert ("every read failed (the last error: " in message) is not missing_first


def test_logs_a_line_when_the_status_changes_not_on_every_poll(focus_emulator, monkeypatch):
    use_emulator(monkeypatch, focus_emulator, max_retries=0)
    lines: list[tuple[str, str]] = []

    class Recorder:
        def __getattr__(self, level: str) -> Any:
            return lambda message, *args, **_: lines.append((level, message % args))

    monkeypatch.setattr(FocusAreaStatusTrigger, "log", property(lambda _self: Recorder()))
    steps = iter(
        [
            lambda: focus_emulator.set_status("fa-0004", "ON_TRACK"),
            lambda: focus_emulator.faults.server_error(count=2, status=500),
            lambda: focus_emulator.set_status("fa-0004", "COMPLETED"),
        ]
    )

    def reads() -> int:
        return len([r for r in focus_emulator.requests if r.path == "focus-areas/fa-0004"])

    async def go() -> list[TriggerEvent]:
        async def script() -> None:
            # five polls per state: PENDING, ON_TRACK, two failed reads, then COMPLETED
            for step in steps:
                seen = reads()
                while reads() < seen + 5:
                    await asyncio.sleep(0.005)
                step()

        side = asyncio.ensure_future(script())
        events = [event async for event in make_trigger(poll_interval=0.01, end_time=time.time() + 30).run()]
        await side
        return events

    (event,) = asyncio.run(asyncio.wait_for(go(), timeout=30))
    assert event.payload["status"] == "success"
    assert reads() >= 15
    assert [level for level, _ in lines] == ["info", "info", "warning", "info"], lines
    assert lines[0][1] == "Focus area fa-0004 is PENDING; waiting for COMPLETED"
    assert lines[1][1] == "Focus area fa-0004 is ON_TRACK; waiting for COMPLETED"
    assert lines[2][1].startswith("Could not read focus area fa-0004 (Focus API GET focus-areas/fa-0004 failed with")
    assert lines[3][1] == "Focus area fa-0004 is ON_TRACK; waiting for COMPLETED"


def test_rate_limit_that_ends_within_the_retries_is_invisible(focus_emulator, monkeypatch):
    use_emulator(monkeypatch, focus_emulator)
    focus_emulator.set_status("fa-0004", "COMPLETED")
    focus_emulator.faults.rate_limit(count=2, retry_after=0)
    (event,) = collect(make_trigger())
    assert event.payload["status"] == "success"


@pytest.mark.parametrize(
    ("auth_type", "mode"),
    [("api_token", "site"), ("api_token", "cloud"), ("oauth2_client_credentials", "cloud"), ("oauth2_token", "cloud")],
)
def test_every_auth_mode(focus_emulator, monkeypatch, auth_type, mode):
    ((name, value),) = focus_emulator.conn_env("focus_default", auth_type=auth_type, mode=mode).items()
    monkeypatch.setenv(name, value)
    focus_emulator.set_status("fa-0004", "COMPLETED")
    (event,) = collect(make_trigger())
    assert event.payload["status"] == "success"
    roots = {r.root for r in focus_emulator.requests}
    assert roots == ({"token", mode} if auth_type == "oauth2_client_credentials" else {mode})


def test_client_credentials_token_expiring_between_polls_is_fetched_again(focus_emulator, monkeypatch):
    use_emulator(monkeypatch, focus_emulator, auth_type="oauth2_client_credentials")

    def expire_then_complete() -> None:
        focus_emulator.expire_tokens()
        focus_emulator.set_status("fa-0004", "COMPLETED")

    (event,) = collect(make_trigger(poll_interval=0.2), then=expire_then_complete, once=polled(focus_emulator))
    assert event.payload["status"] == "success"
    assert [r.status for r in focus_emulator.requests if r.root == "token"] == [200, 200]


def test_triggers_of_one_connection_share_one_access_token_and_one_refresh(focus_emulator, monkeypatch):
    # A triggerer holds many waits on one connection: they share one client, so one token request serves them all,
    # and after the token expires the first 401 fetches one new token for everyone (not one per trigger).
    use_emulator(monkeypatch, focus_emulator, auth_type="oauth2_client_credentials")
    waits = 20

    def token_requests() -> list[int]:
        return [r.status for r in focus_emulator.requests if r.root == "token"]

    async def go() -> list[TriggerEvent]:
        triggers = [make_trigger(poll_interval=0.1) for _ in range(waits)]
        runs = [asyncio.ensure_future(_events(trigger)) for trigger in triggers]
        while sum(r.path == "focus-areas/fa-0004" and r.status == 200 for r in focus_emulator.requests) < waits:
            await asyncio.sleep(0.005)
        focus_emulator.expire_tokens()
        while sum(r.status == 401 for r in focus_emulator.requests) < 1:
            await asyncio.sleep(0.005)
        while sum(r.path == "focus-areas/fa-0004" and r.status == 200 for r in focus_emulator.requests) < 3 * waits:
            await asyncio.sleep(0.005)
        focus_emulator.set_status("fa-0004", "COMPLETED")
        return [event for events in await asyncio.gather(*runs) for event in events]

    events = asyncio.run(go())
    assert [event.payload["status"] for event in events] == ["success"] * waits
    assert token_requests() == [200, 200]


async def _events(trigger: FocusAreaStatusTrigger) -> list[TriggerEvent]:
    return [event async for event in trigger.run()]


def test_rejected_credentials_yield_an_error_event_without_the_secret(focus_emulator, monkeypatch):
    ((name, value),) = focus_emulator.conn_env("focus_default").items()
    conn = json.loads(value)
    conn["password"] = "wrong-" + EMULATOR_API_TOKEN
    monkeypatch.setenv(name, json.dumps(conn))
    (event,) = collect(make_trigger())
    assert event.payload["status"] == "error"
    assert "HTTP 401" in event.payload["message"]
    assert EMULATOR_API_TOKEN not in json.dumps(event.payload)


def test_missing_connection_yields_an_error_event():
    (event,) = collect(make_trigger(focus_conn_id="focus_nowhere"))
    assert event.payload["status"] == "error"
    assert "focus_nowhere" in event.payload["message"]
