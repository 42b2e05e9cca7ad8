"""The trigger against the emulator: one event per run, errors as events, every auth mode, no secrets."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from airflow.triggers.base import TriggerEvent

from airflow_provider_focus.testing import EMULATOR_API_TOKEN, FocusEmulator
from airflow_provider_focus.triggers.focus import FocusAreaStatusTrigger


def make_trigger(focus_area_id: str = "fa-0004", **kwargs: Any) -> FocusAreaStatusTrigger:
    return FocusAreaStatusTrigger(
        focus_conn_id=kwargs.pop("focus_conn_id", "focus_default"),
        focus_area_id=focus_area_id,
        target_statuses=kwargs.pop("target_statuses", ["COMPLETED"]),
        failure_statuses=kwargs.pop("failure_statuses", ["CANCELLED"]),
        poll_interval=kwargs.pop("poll_interval", 0.05),
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
    trigger = make_trigger(target_statuses=("COMPLETED", "PAUSED"), poll_interval=30)
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_focus.triggers.focus.FocusAreaStatusTrigger"
    assert kwargs == {
        "focus_conn_id": "focus_default",
        "focus_area_id": "fa-0004",
        "target_statuses": ["COMPLETED", "PAUSED"],
        "failure_statuses": ["CANCELLED"],
        "poll_interval": 30.0,
    }
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert FocusAreaStatusTrigger(**kwargs).serialize() == (classpath, kwargs)


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


def test_429_storm_that_outlasts_the_retries_yields_an_error_event(focus_emulator, monkeypatch):
    use_emulator(monkeypatch, focus_emulator, max_retries=2)
    focus_emulator.faults.rate_limit(count=None, retry_after=0)
    (event,) = collect(make_trigger())
    assert event.payload["status"] == "error"
    assert "HTTP 429" in event.payload["message"]
    assert [r.status for r in focus_emulator.requests] == [429, 429, 429]


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
