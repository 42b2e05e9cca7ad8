"""``FocusHook.wait_for_focus_area`` and its async twin against the emulator: the sensor's wait, for a ``@task``."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from airflow_provider_focus.exceptions import (
    FocusAreaStatusError,
    FocusError,
    FocusNotFoundError,
    FocusWaitTimeoutError,
)
from airflow_provider_focus.hooks.focus import FocusHook
from airflow_provider_focus.testing import FocusEmulator

pytestmark = pytest.mark.integration


def later(seconds: float, action) -> threading.Timer:  # type: ignore[no-untyped-def]
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


def test_returns_the_focus_area_once_its_status_is_one_waited_for(focus_emulator: FocusEmulator, focus_conn: str):
    later(0.3, lambda: focus_emulator.set_status("fa-0004", "COMPLETED"))

    focus_area = FocusHook().wait_for_focus_area(
        "fa-0004", statuses=["completed"], failure_statuses=["CANCELLED"], timeout=20, poll_interval=0.05
    )

    assert (focus_area["id"], focus_area["status"]) == ("fa-0004", "COMPLETED")
    reads = [r for r in focus_emulator.requests if r.path == "focus-areas/fa-0004"]
    assert len(reads) >= 2


def test_a_failure_status_raises_saying_which(focus_emulator: FocusEmulator, focus_conn: str):
    focus_emulator.set_status("fa-0004", "CANCELLED")

    with pytest.raises(FocusAreaStatusError) as raised:
        FocusHook().wait_for_focus_area(
            "fa-0004", statuses=["COMPLETED"], failure_statuses=["CANCELLED"], timeout=20, poll_interval=0.05
        )

    assert isinstance(raised.value, FocusError)
    assert str(raised.value) == "Focus area fa-0004 has status CANCELLED, one of the failure statuses CANCELLED."


def test_the_deadline_raises_saying_what_was_last_seen(focus_emulator: FocusEmulator, focus_conn: str):
    started = time.monotonic()

    with pytest.raises(FocusWaitTimeoutError) as raised:
        FocusHook().wait_for_focus_area("fa-0004", statuses=["COMPLETED"], timeout=0.3, poll_interval=0.05)

    assert time.monotonic() - started < 10
    assert str(raised.value).startswith("Timed out waiting for focus area fa-0004 for COMPLETED at ")
    assert str(raised.value).endswith("; its last status was PENDING.")
    assert (raised.value.focus_area_id, raised.value.status) == ("fa-0004", "PENDING")


def test_by_external_id_a_focus_area_that_does_not_exist_yet_is_waited_for(
    focus_emulator: FocusEmulator, focus_conn: str
):
    def create() -> None:
        focus_emulator.store.create_focus_area(
            {"name": "New", "focusAreaTypeId": "fat-project", "externalId": "NEW-1"}, "acct"
        )

    later(0.3, create)

    focus_area = FocusHook().wait_for_focus_area(external_id="NEW-1", statuses=["*"], timeout=20, poll_interval=0.05)

    assert focus_area["externalId"] == "NEW-1"


def test_an_error_no_waiting_cures_is_raised_as_it_is(focus_emulator: FocusEmulator, focus_conn: str):
    with pytest.raises(FocusNotFoundError):
        FocusHook().wait_for_focus_area("fa-9999", statuses=["COMPLETED"], timeout=20, poll_interval=0.05)


def test_errors_waiting_may_cure_do_not_end_the_wait(
    focus_emulator: FocusEmulator, focus_conn: str, monkeypatch: pytest.MonkeyPatch
):
    hook = FocusHook()
    hook.client._sleep = lambda _seconds: None  # the client's own retries, not slept
    focus_emulator.faults.server_error(count=12, status=502, path="focus-areas/fa-0004")
    focus_emulator.set_status("fa-0004", "COMPLETED")

    focus_area = hook.wait_for_focus_area("fa-0004", statuses=["COMPLETED"], timeout=20, poll_interval=0.01)

    assert focus_area["status"] == "COMPLETED"
    assert sum(1 for r in focus_emulator.requests if r.status == 502) == 12


def test_the_async_twin_waits_the_same_way(focus_emulator: FocusEmulator, focus_conn: str):
    async def wait() -> dict:
        hook = FocusHook()
        try:
            asyncio.get_running_loop().call_later(0.3, focus_emulator.set_status, "fa-0004", "COMPLETED")
            return await hook.await_for_focus_area("fa-0004", statuses=["COMPLETED"], timeout=20, poll_interval=0.05)
        finally:
            await hook.aclose()

    async def time_out() -> None:
        hook = FocusHook()
        try:
            await hook.await_for_focus_area("fa-0006", statuses=["COMPLETED"], timeout=0.2, poll_interval=0.05)
        finally:
            await hook.aclose()

    assert asyncio.run(wait())["status"] == "COMPLETED"
    with pytest.raises(FocusWaitTimeoutError, match="its last status was OFF_TRACK"):
        asyncio.run(time_out())


def test_bad_arguments_are_refused_before_any_read(focus_emulator: FocusEmulator, focus_conn: str):
    hook = FocusHook()
    with pytest.raises(FocusError, match="exactly one of focus_area_id and external_id"):
        hook.wait_for_focus_area(statuses=["COMPLETED"], timeout=1)
    with pytest.raises(FocusError, match="lists of statuses"):
        hook.wait_for_focus_area("fa-0004", statuses="COMPLETED", timeout=1)
    assert focus_emulator.requests == []
