"""The change watcher against the emulator: events per change, watched fields, filters, restarts, 429, sharing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from airflow_provider_focus._compat import airflow_at_least
from airflow_provider_focus.api import model
from airflow_provider_focus.exceptions import FocusError, FocusWatcherError
from airflow_provider_focus.testing import EMULATOR_API_TOKEN, EMULATOR_EMAIL, FocusEmulator
from airflow_provider_focus.triggers.changes import STATE_KEY, FocusAreaChangesTrigger

pytestmark = pytest.mark.integration


class MemoryStateStore:
    """Stands in for Airflow's asset state store (one asset): a dict behind the async accessor methods."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.writes = 0

    async def aget(self, key: str, default: Any = None) -> Any:
        return json.loads(json.dumps(self.data.get(key, default)))

    async def aset(self, key: str, value: Any) -> None:
        self.data[key] = json.loads(json.dumps(value))
        self.writes += 1


@pytest.fixture
def no_retries(focus_emulator: FocusEmulator, focus_conn: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The emulator's connection with ``max_retries=0``: each failed call reaches the watcher, none is retried."""
    env = json.loads(focus_emulator.conn_env(focus_conn)["AIRFLOW_CONN_FOCUS_DEFAULT"])
    env["extra"] = json.dumps({"max_retries": 0})
    monkeypatch.setenv("AIRFLOW_CONN_FOCUS_DEFAULT", json.dumps(env))
    return focus_conn


def make(**kwargs: Any) -> FocusAreaChangesTrigger:
    kwargs.setdefault("poll_interval", 0.05)
    return FocusAreaChangesTrigger(focus_conn_id="focus_default", **kwargs)


def sweeps(fe: FocusEmulator) -> int:
    """Answered newest-first list calls (the baseline walk and each sweep start with one)."""
    return sum(
        1
        for r in fe.requests
        if r.path == "focus-areas" and r.query.get("sort") == "-updatedAt" and "cursor" not in r.query and r.status
    )


async def until(condition: Callable[[], bool], timeout: float = 20) -> None:
    async def wait() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), timeout)


async def watch(
    stream: AsyncIterator[TriggerEvent],
    fe: FocusEmulator,
    act: Callable[[], None],
    expected: int,
    settle_sweeps: int = 3,
) -> list[dict[str, Any]]:
    """Once the watch has swept twice, ``act``; collect events until ``expected`` came and a few more sweeps passed."""
    events: list[dict[str, Any]] = []

    async def consume() -> None:
        async for event in stream:
            events.append(event.payload)

    task = asyncio.ensure_future(consume())
    try:
        await until(lambda: sweeps(fe) >= 2)
        act()
        await until(lambda: len(events) >= expected)
        seen = sweeps(fe)
        await until(lambda: sweeps(fe) >= seen + settle_sweeps)
    finally:
        task.cancel()
        stopped, _ = await asyncio.wait({task}, timeout=10)
    # A cancelled trigger stops: a cancellation swallowed on the wire (asyncio.wait_for before Python 3.12) kept it
    # polling forever and hung this test.
    assert stopped, "the trigger went on polling after it was cancelled"
    return events


def test_serialize_round_trips_as_plain_json() -> None:
    trigger = make(parent_id="fa-0002", external_ids=("B", "A"), fields=("status",), poll_interval=30)

    classpath, kwargs = trigger.serialize()

    assert classpath == "airflow_provider_focus.triggers.changes.FocusAreaChangesTrigger"
    assert kwargs == {
        "focus_conn_id": "focus_default",
        "parent_id": "fa-0002",
        "name_contains": None,
        "external_ids": ["A", "B"],
        "fields": ["status"],
        "poll_interval": 30.0,
        "overlap_seconds": 60.0,
        "catch_up_seconds": 86400.0,
        "max_consecutive_failures": 5,
        "hook_params": {},
    }
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert FocusAreaChangesTrigger(**kwargs).serialize() == (classpath, kwargs)
    assert isinstance(trigger, BaseEventTrigger)


def stored_as_an_asset_watcher(trigger: FocusAreaChangesTrigger) -> dict[str, Any]:
    """Return the keyword arguments the triggerer gives back, stored the way the installed Airflow stores a watcher."""
    from airflow.models.trigger import Trigger

    try:  # Airflow 3.2+
        from airflow.serialization.encoders import encode_trigger
    except ImportError:  # Airflow 3.0, 3.1
        from airflow.serialization.serialized_objects import _encode_trigger as encode_trigger

    kwargs = encode_trigger(trigger)["kwargs"]
    return dict(Trigger._decrypt_kwargs(Trigger.encrypt_kwargs(kwargs)))


def test_hook_params_survive_airflows_storage_of_an_asset_watcher() -> None:
    # Airflow 3.2.2 gave them back still wrapped ({"Encoding.VAR": {...}, "Encoding.TYPE": "dict"}), and the
    # watcher failed every start with "FocusHook.__init__() got an unexpected keyword argument 'Encoding.VAR'".
    trigger = make(hook_params={"timeout": 5, "max_retries": 1})

    restored = FocusAreaChangesTrigger(**stored_as_an_asset_watcher(trigger))

    assert restored.hook_params == {"timeout": 5, "max_retries": 1}
    assert restored.serialize() == trigger.serialize()


@pytest.mark.parametrize("wrapped", ["__var", "Encoding.VAR"])
def test_hook_params_wrapped_by_airflows_serializer_are_unwrapped(wrapped: str) -> None:
    kind = wrapped.replace("VAR", "TYPE").replace("__var", "__type")

    trigger = make(hook_params={wrapped: {"timeout": 5}, kind: "dict"})

    assert trigger.hook_params == {"timeout": 5}
    assert make(hook_params={"timeout": 5, kind: "dict"}).hook_params == {"timeout": 5, kind: "dict"}  # not a wrap


def test_a_status_change_fires_once_with_old_and_new_and_an_ignored_field_fires_nothing(
    focus_emulator: FocusEmulator, focus_conn: str
) -> None:
    def act() -> None:
        focus_emulator.store.update_focus_area("fa-0001", {"description": "not watched"}, None)
        focus_emulator.set_status("fa-0004", "AT_RISK")

    events = asyncio.run(watch(make(fields=["status"]).run(), focus_emulator, act, expected=1))

    assert len(events) == 1
    event = events[0]
    assert event["focus_area_id"] == "fa-0004"
    assert event["changes"] == {"status": {"old": "PENDING", "new": "AT_RISK"}}
    assert event["updated_at"].startswith(focus_emulator.store.focus_area("fa-0004")["updatedAt"][:19])  # type: ignore[index]
    assert event["focus_area"]["status"] == "AT_RISK"


def test_without_fields_every_change_fires_once(focus_emulator: FocusEmulator, focus_conn: str) -> None:
    def act() -> None:
        focus_emulator.store.update_focus_area("fa-0001", {"description": "changed"}, None)
        focus_emulator.set_status("fa-0006", "ON_TRACK")

    events = asyncio.run(watch(make().run(), focus_emulator, act, expected=2))

    assert sorted(event["focus_area_id"] for event in events) == ["fa-0001", "fa-0006"]
    assert all(event["changes"] is None for event in events)


def test_external_ids_and_parent_filter(focus_emulator: FocusEmulator, focus_conn: str) -> None:
    def act() -> None:
        focus_emulator.set_status("fa-0003", "PAUSED")  # PRJ-001, not watched
        focus_emulator.set_status("fa-0004", "PAUSED")  # PRJ-002
        focus_emulator.set_status("fa-0001", "PAUSED")  # STRAT-001, not a child of fa-0002

    trigger = make(parent_id="fa-0002", external_ids=["PRJ-002", "STRAT-001"], fields=["status"])
    events = asyncio.run(watch(trigger.run(), focus_emulator, act, expected=1))

    assert [event["focus_area_id"] for event in events] == ["fa-0004"]


def test_after_a_restart_it_neither_replays_nor_misses(focus_emulator: FocusEmulator, focus_conn: str) -> None:
    store = MemoryStateStore()
    first = make(fields=["status"])
    first.asset_state_store = store  # type: ignore[assignment]
    before = asyncio.run(watch(first.run(), focus_emulator, lambda: focus_emulator.set_status("fa-0004", "AT_RISK"), 1))
    saved = store.data[STATE_KEY]
    focus_emulator.set_status("fa-0006", "COMPLETED")  # while no triggerer runs
    focus_emulator.clear_requests()

    second = make(fields=["status"])
    second.asset_state_store = store  # type: ignore[assignment]
    after = asyncio.run(watch(second.run(), focus_emulator, lambda: None, expected=1))

    assert [e["focus_area_id"] for e in before] == ["fa-0004"]
    assert [(e["focus_area_id"], e["changes"]) for e in after] == [
        ("fa-0006", {"status": {"old": "OFF_TRACK", "new": "COMPLETED"}})
    ]
    assert saved["values"]["fa-0004"] == {"status": "AT_RISK"}
    assert set(saved) == {"watermark", "recent", "values", "fields"}
    # The restart caught up from the saved watermark (a walk with a since checks the sort order once), instead of
    # a fresh baseline walk of every focus area (no since, no check).
    # The two requests may go over two pooled connections, so the emulator may log them in either order.
    first_calls = [r.query.get("sort") for r in focus_emulator.requests if r.path == "focus-areas"][:2]
    assert sorted(first_calls) == ["-updatedAt", "updatedAt"]


def test_a_persistent_429_delays_the_sweep_and_the_watch_goes_on(
    focus_emulator: FocusEmulator, no_retries: str
) -> None:
    def act() -> None:
        focus_emulator.faults.rate_limit(count=2, retry_after=0.3, path="focus-areas")
        focus_emulator.set_status("fa-0005", "AT_RISK")

    events = asyncio.run(watch(make(fields=["status"]).run(), focus_emulator, act, expected=1))

    assert [event["focus_area_id"] for event in events] == ["fa-0005"]
    assert sum(1 for r in focus_emulator.requests if r.status == 429) == 2


def test_before_airflow_3_3_each_trigger_sweeps_alone() -> None:
    # The triggerer shares a sweep only where BaseEventTrigger has shared streams (Airflow 3.3+); before, it calls
    # run(), which sweeps on its own (the other tests drive run()).
    has_shared_streams = hasattr(BaseEventTrigger, "shared_stream_key")
    assert has_shared_streams == airflow_at_least("3.3")


class FirstPull:
    """A shared stream that notes when its trigger first asks it for a sweep (the trigger's resume is over then)."""

    def __init__(self, stream: AsyncIterator[Any]) -> None:
        self.stream = stream
        self.pulled = False

    def __aiter__(self) -> FirstPull:
        return self

    async def __anext__(self) -> Any:
        self.pulled = True
        return await self.stream.__anext__()


def test_triggers_of_one_sweep_share_it_and_each_applies_its_own_fields(
    focus_emulator: FocusEmulator, focus_conn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not airflow_at_least("3.3"):  # no shared streams: the triggerer calls run() for each (the tests above)
        assert not hasattr(BaseEventTrigger, "shared_stream_key")
        return
    from airflow.triggers.shared_stream import SharedStreamManager

    opened: list[dict[str, Any]] = []
    original = FocusAreaChangesTrigger.open_shared_stream.__func__  # type: ignore[attr-defined]

    def counting(cls: type[FocusAreaChangesTrigger], kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        opened.append(kwargs)
        return original(cls, kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(FocusAreaChangesTrigger, "open_shared_stream", classmethod(counting))

    status_watch = make(fields=["status"])
    any_watch = make()
    assert status_watch.shared_stream_key() == any_watch.shared_stream_key()
    resume = any_watch._resume

    async def slow_resume(*args: Any) -> Any:
        # As on a loaded machine: the shared loop sweeps several times before this trigger has its baseline.
        await asyncio.sleep(0.5)
        return await resume(*args)

    monkeypatch.setattr(any_watch, "_resume", slow_resume)
    assert make(parent_id="fa-0002").shared_stream_key() != any_watch.shared_stream_key()

    async def run_both() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        manager = SharedStreamManager()
        key = status_watch.shared_stream_key()
        shared = [
            FirstPull(manager.subscribe(trigger_id=number, trigger=trigger, key=key))
            for number, trigger in enumerate((status_watch, any_watch))
        ]
        streams = [
            trigger.filter_shared_stream(stream)
            for trigger, stream in zip((status_watch, any_watch), shared, strict=True)
        ]
        collected: list[list[dict[str, Any]]] = [[], []]

        async def consume(index: int) -> None:
            async for event in streams[index]:
                collected[index].append(event.payload)

        tasks = [asyncio.ensure_future(consume(index)) for index in (0, 1)]
        try:
            # Change only once both triggers have their baseline (each reads the shared sweeps only then) and the
            # shared loop has swept since: a change made while a baseline was being read would be in the baseline.
            await until(lambda: all(stream.pulled for stream in shared))
            resumed = sweeps(focus_emulator)
            await until(lambda: sweeps(focus_emulator) >= resumed + 2)
            focus_emulator.store.update_focus_area("fa-0001", {"description": "changed"}, None)
            focus_emulator.set_status("fa-0004", "AT_RISK")
            await until(lambda: len(collected[0]) >= 1 and len(collected[1]) >= 2)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for number in (0, 1):
                await manager.unsubscribe(number, key)
        return collected[0], collected[1]

    status_events, any_events = asyncio.run(asyncio.wait_for(run_both(), 30))

    assert [e["focus_area_id"] for e in status_events] == ["fa-0004"]
    assert sorted(e["focus_area_id"] for e in any_events) == ["fa-0001", "fa-0004"]
    assert len(opened) == 1  # one sweep loop for both triggers, not one each


async def until_it_ends(stream: AsyncIterator[TriggerEvent], timeout: float = 20) -> list[dict[str, Any]]:
    """Consume a watch until it ends (a watcher only ends by raising); return the events it fired."""
    events: list[dict[str, Any]] = []

    async def consume() -> None:
        async for event in stream:
            events.append(event.payload)

    await asyncio.wait_for(consume(), timeout)
    return events


@pytest.fixture
def trigger_log(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Callable[[], str]:
    """
    Return a function that gives the trigger's log lines so far as ``<level> <message>``, wherever Airflow wrote them.

    Airflow 3.1+ logs a trigger through structlog to the console (``... [error    ] <message> ...``); Airflow 3.0
    through the standard logging module (caplog).
    """

    def read() -> str:
        lines = [f"{r.levelname.lower()} {r.getMessage()}" for r in caplog.records]
        for line in capsys.readouterr().out.splitlines():
            for level in ("error", "warning", "info", "debug"):
                if f"[{level}" in line:
                    lines.append(f"{level} {line.split(']', 1)[-1].strip()}")
        return "\n".join(lines)

    return read


def test_revoked_credentials_end_the_watch_with_an_error_naming_the_fix(
    focus_emulator: FocusEmulator,
    focus_conn: str,
    trigger_log: Callable[[], str],
) -> None:
    trigger = make(fields=["status"], max_consecutive_failures=3)

    async def scenario() -> None:
        stream = trigger.run()
        task = asyncio.ensure_future(until_it_ends(stream))
        await until(lambda: sweeps(focus_emulator) >= 2)
        focus_emulator.add_user(EMULATOR_EMAIL, "a-revoked-token")  # the connection's API token no longer works
        await task

    with pytest.raises(FocusWatcherError) as raised:
        asyncio.run(scenario())

    assert raised.value.failures == 3
    assert "gave up after 3 failures in a row" in str(raised.value)
    assert "credentials were rejected" in str(raised.value)
    rejected = [r for r in focus_emulator.requests if r.status == 401]
    assert len(rejected) == 3  # one per try, then it ended: it does not poll silently forever
    logged = trigger_log()
    errors = [line for line in logged.splitlines() if "No retry cures this: fix the connection" in line]
    assert len(errors) == 2  # the third failure ends the watch
    assert all(line.startswith("error ") and "credentials were rejected" in line for line in errors)
    assert "Failure 1 of 3" in errors[0]
    assert "Failure 2 of 3" in errors[1]
    assert "a-revoked-token" not in logged
    assert EMULATOR_API_TOKEN not in logged


def test_a_missing_scope_at_start_ends_the_watch_with_an_error_naming_the_scope(
    focus_emulator: FocusEmulator,
    focus_conn: str,
    trigger_log: Callable[[], str],
) -> None:
    focus_emulator.add_user(EMULATOR_EMAIL, EMULATOR_API_TOKEN, scopes=[model.Scope.FUNDS_READ])

    with pytest.raises(FocusWatcherError) as raised:
        asyncio.run(until_it_ends(make(max_consecutive_failures=2).run()))

    assert "focus-areas-read-scope" in str(raised.value)
    assert [r.status for r in focus_emulator.requests if r.path == "focus-areas"] == [403, 403]
    assert "No retry cures this" in trigger_log()


def test_errors_waiting_may_cure_never_end_the_watch(focus_emulator: FocusEmulator, no_retries: str) -> None:
    def act() -> None:
        focus_emulator.faults.server_error(count=4, status=502, path="focus-areas")
        focus_emulator.set_status("fa-0005", "AT_RISK")

    events = asyncio.run(watch(make(fields=["status"], max_consecutive_failures=2).run(), focus_emulator, act, 1))

    assert [event["focus_area_id"] for event in events] == ["fa-0005"]
    assert sum(1 for r in focus_emulator.requests if r.status == 502) == 4


def test_max_consecutive_failures_must_be_positive() -> None:
    with pytest.raises(FocusError, match="max_consecutive_failures"):
        make(max_consecutive_failures=0)


def test_a_poll_sends_one_request_and_the_sort_check_goes_once_per_watch(
    focus_emulator: FocusEmulator, focus_conn: str
) -> None:
    async def poll_a_while() -> None:
        task = asyncio.ensure_future(until_it_ends(make(fields=["status"]).run()))
        await until(lambda: sweeps(focus_emulator) >= 8)
        task.cancel()
        await asyncio.wait({task}, timeout=10)

    asyncio.run(poll_a_while())

    calls = [(r.query.get("sort"), r.query.get("limit")) for r in focus_emulator.requests if r.path == "focus-areas"]
    polls = calls[1:]  # the first call is the start's full sweep (six focus areas: one page)
    assert calls[0] == ("-updatedAt", "100")
    assert polls.count(("updatedAt", "1")) == 1  # the sort check, with the first poll only
    assert len(polls) - 1 == polls.count(("-updatedAt", "100")) >= 7  # then one request per poll


def test_the_trigger_polls_through_the_hooks_feed_session_not_a_raw_client() -> None:
    # The hook is the one door: the watcher calls its (async) feed service and never drives a service with a client.
    import inspect

    from airflow_provider_focus.triggers import changes, focus

    for module in (changes, focus):
        source = inspect.getsource(module)
        assert "aget_client" not in source
        assert ".achanges(" not in source
        assert ".astart(" not in source
    assert "apoll_focus_area_feed" in inspect.getsource(changes)
