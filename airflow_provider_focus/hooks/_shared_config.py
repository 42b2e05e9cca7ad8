"""
One connection read for every hook of an event loop that starts within a few seconds (a triggerer's restart).

After a restart Airflow's triggerer starts every trigger at once. Each trigger's hook used to look its connection up
(a round trip to the supervisor or a secrets backend), read its extras and parse them: about 1 ms of the loop per
trigger, and the look-ups ended together, so their continuations ran back to back and held the loop for hundreds
of milliseconds. Here the first hook of a connection reads it and the others that start meanwhile (or within
:data:`SHARED_FOR` seconds) await that one read. A read that fails is not kept: the next hook reads again.
:func:`one_at_a_time` then lets the hooks that woke together go on one per turn of the loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

#: Seconds a connection read is shared by hooks that start after it (a longer-lived trigger keeps its own client).
SHARED_FOR = 5.0

_reads: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, tuple[float, asyncio.Future[Any]]]]
_reads = weakref.WeakKeyDictionary()
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


async def shared_read(key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
    """
    Return what ``read()`` returns, sharing one call among the callers of this loop with the same ``key``.

    The read runs in a task of its own, so a caller that is cancelled does not cancel the others' read.

    :param key: what identifies the read (the hook class and the connection id).
    :param read: the read itself.
    """
    loop = asyncio.get_running_loop()
    entries = _reads.setdefault(loop, {})
    now = loop.time()
    entry = entries.get(key)
    if entry is None or now - entry[0] > SHARED_FOR or _failed(entry[1]):
        task: asyncio.Future[Any] = asyncio.ensure_future(read())
        task.add_done_callback(_forget_failure(entries, key))
        entries[key] = entry = (now, task)
    result: T = await asyncio.shield(entry[1])
    return result


async def one_at_a_time() -> None:
    """
    Let hooks that woke together go on one per turn of the loop, not all in the same turn.

    Hundreds of hooks awaiting one read (or the shared pool's first TLS context) wake in the same turn of the loop;
    each then builds its client and sends its first request (a fraction of a millisecond). In a row that held the
    loop for hundreds of milliseconds; one per turn, the loop runs everything else between two of them.
    """
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Lock()
    async with gate:
        await asyncio.sleep(0)


def _failed(future: asyncio.Future[Any]) -> bool:
    return future.done() and (future.cancelled() or future.exception() is not None)


def _forget_failure(
    entries: dict[Hashable, tuple[float, asyncio.Future[Any]]], key: Hashable
) -> Callable[[asyncio.Future[Any]], None]:
    def done(future: asyncio.Future[Any]) -> None:
        if _failed(future):  # also marks the exception as retrieved: no "never retrieved" warning
            current = entries.get(key)
            if current is not None and current[1] is future:
                del entries[key]

    return done
