"""
A deadline for one awaitable that never swallows the caller's cancellation.

``asyncio.wait_for`` before Python 3.12 returns the inner result when the inner awaitable finishes in the same
loop iteration as the caller is cancelled: the cancellation is lost. A trigger the triggerer cancelled in that
instant (its DAG was paused, its task cleared, its watcher removed) would then poll on forever. :func:`within`
runs the awaitable as a task and waits for it with ``asyncio.wait``, which lets a cancellation through: the
caller's cancellation always wins, and the inner task is cancelled with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

_Result = TypeVar("_Result")


async def within(coro: Coroutine[Any, Any, _Result], seconds: float, *, what: str = "The call") -> _Result:
    """
    Return what ``coro`` returns, or raise ``asyncio.TimeoutError`` when it has not finished after ``seconds``.

    The error says what was cut short and after how long (``what`` did not finish within ... s), never nothing.

    On a timeout the inner task is cancelled and awaited (its connections are given back) before the error is
    raised. When the caller is cancelled, the inner task is cancelled too and the cancellation propagates, even
    if the inner task had just finished.

    :param coro: the coroutine to run.
    :param seconds: the deadline, in seconds from now.
    :param what: what ``coro`` does, for the error's message (``"The read of focus area fa-1"``).
    """
    task = asyncio.ensure_future(coro)
    try:
        done, _ = await asyncio.wait({task}, timeout=max(seconds, 0.0))
    except BaseException:
        task.cancel()
        task.add_done_callback(_retrieve)
        raise
    if not done:
        task.cancel()
        try:
            await asyncio.wait({task})  # a cancellation of the caller here propagates (asyncio.wait lets it through)
        except BaseException:
            task.add_done_callback(_retrieve)
            raise
        _retrieve(task)
        if task.cancelled() or task.exception() is not None:
            raise asyncio.TimeoutError(f"{what} did not finish within {max(seconds, 0.0):.1f} s")
    return task.result()


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a discarded task's exception as seen (no "exception was never retrieved" warning)."""
    if not task.cancelled():
        task.exception()
