"""The deadline of one awaitable: a result, a timeout, and a cancellation of the caller that is never lost."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest

from airflow_provider_focus.api.deadline import within


def test_returns_the_result_before_the_deadline() -> None:
    async def quick() -> int:
        await asyncio.sleep(0)
        return 7

    assert asyncio.run(within(quick(), 5)) == 7


def test_raises_timeout_and_cancels_the_inner_task() -> None:
    cancelled = []

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def scenario() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await within(slow(), 0.02)

    asyncio.run(scenario())
    assert cancelled == [True]


def test_the_inner_error_propagates() -> None:
    async def broken() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        asyncio.run(within(broken(), 5))


def test_a_cancellation_arriving_as_the_inner_result_does_is_not_swallowed() -> None:
    # asyncio.wait_for (Python < 3.12) returns the result here and the caller's cancellation is lost: a cancelled
    # trigger would poll on forever (seen as a hung watcher test).
    async def scenario() -> None:
        answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def inner() -> int:
            return await answer

        outer = asyncio.ensure_future(within(inner(), 5))
        for _ in range(3):  # let outer start and the inner task wait on the answer
            await asyncio.sleep(0)
        answer.set_result(1)  # the inner task is woken ...
        await asyncio.sleep(0)  # ... and finishes, which wakes outer in the next iteration ...
        outer.cancel()  # ... where the cancellation arrives too
        with pytest.raises(asyncio.CancelledError):
            await outer

    asyncio.run(scenario())


def test_a_cancelled_caller_cancels_the_inner_task_without_a_warning() -> None:
    state = []

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            state.append("cancelled")
            raise

    async def scenario() -> None:
        outer = asyncio.ensure_future(within(slow(), 5))
        await asyncio.sleep(0.01)
        outer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await outer
        await asyncio.sleep(0.01)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        asyncio.run(scenario())
        gc.collect()
    assert state == ["cancelled"]


def test_a_timeout_says_what_was_cut_short_and_after_how_long() -> None:
    async def scenario() -> str:
        with pytest.raises(asyncio.TimeoutError) as caught:
            await within(asyncio.sleep(30), 0.02, what="The read of focus area fa-1")
        return str(caught.value)

    assert asyncio.run(scenario()) == "The read of focus area fa-1 did not finish within 0.0 s"


def test_a_wait_whose_last_read_was_cut_at_the_deadline_says_so(set_connection, monkeypatch) -> None:
    """A trigger's wait ends with what timed out, not ``TimeoutError:`` and nothing."""
    from airflow_provider_focus import waiting
    from airflow_provider_focus.hooks.focus import FocusHook
    from tests.unit.rogue import rogue_server, stall

    monkeypatch.setattr(waiting, "READ_GRACE_SECONDS", 0.1)
    with rogue_server(stall(5.0)) as server:
        set_connection(login="a@example.com", password="token-x", extra={"base_url": f"{server.url}/v1", "timeout": 30})
        hook = FocusHook()
        wait = hook.focus_area_wait("fa-1", statuses=["DONE"], timeout=0.2, poll_interval=0.05)

        async def follow() -> waiting.WaitOutcome:
            try:
                return await hook.afollow_focus_area_wait(wait)
            finally:
                await hook.aclose()

        outcome = asyncio.run(follow())
    assert outcome.result == waiting.TIMEOUT
    assert "The read of focus area fa-1, cut short at the wait's deadline plus a grace, did not finish within" in (
        outcome.message
    )
    assert "TimeoutError: )" not in outcome.message
