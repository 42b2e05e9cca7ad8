"""
Imports paid only when needed: names a package exports but imports on first use (a module ``__getattr__``, PEP
562), and modules an event loop needs but must not import itself (:func:`import_off_loop`).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import weakref
from collections.abc import Callable, Hashable, Mapping
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")

#: The thread calls in flight, by event loop and key, each with the lock its callers take turns on
#: (:func:`in_thread_once`).
_InFlight = tuple[asyncio.Future[Any], asyncio.Lock]
_in_flight: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, _InFlight]]
_in_flight = weakref.WeakKeyDictionary()


def lazy_attributes(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """
    Return a module ``__getattr__`` that imports each name from its module on first use and keeps it.

    :param package: the module the ``__getattr__`` belongs to (its ``__name__``).
    :param homes: each lazily exported name and the module that defines it.
    """

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        setattr(sys.modules[package], name, value)  # the next use is a plain attribute
        return value

    return __getattr__


async def import_off_loop(name: str) -> ModuleType:
    """
    Return the module ``name``, importing it in a worker thread if no thread has finished importing it yet.

    A triggerer runs every trigger on one event loop: a module imported there on first use (the hook, the HTTP
    stack) would stall every other trigger while it loads. A module another thread is still importing is waited for
    in a worker thread too (``import_module`` waits on the module's import lock), never half-used.

    :param name: the module's dotted name.
    """
    module = sys.modules.get(name)
    if module is not None and not getattr(getattr(module, "__spec__", None), "_initializing", False):
        return module
    imported: ModuleType = await in_thread_once(("import", name), importlib.import_module, name)
    return imported


async def in_thread_once(key: Hashable, func: Callable[..., T], *args: Any) -> T:
    """
    Return ``func(*args)``, run in a worker thread; callers on this event loop with the same ``key`` meanwhile share
    that one call, and go on one per turn of the loop when it ends.

    A thousand triggers that start together (a triggerer's restart) and each need the same blocking first step (an
    import, the SSL context) would otherwise queue a thousand thread jobs: their threads take the interpreter lock
    from the loop, and their completions, or one shared result, wake the triggers in one bunch that holds the loop
    for tens of milliseconds. Here one job runs, and its callers take turns on a lock: each turn of the loop lets
    one of them go on. A failed call is not kept: the next caller runs it again. The call runs in a task of its
    own, so a caller that is cancelled does not cancel the others' call.

    :param key: what identifies the call (callers with equal keys must want the same result).
    :param func: the blocking function.
    :param args: its arguments.
    """
    loop = asyncio.get_running_loop()
    running = _in_flight.get(loop)
    if running is None:
        running = _in_flight[loop] = {}
    entry = running.get(key)
    if entry is None:
        started: asyncio.Future[Any] = asyncio.ensure_future(asyncio.to_thread(func, *args))
        entry = running[key] = (started, asyncio.Lock())
        started.add_done_callback(_forget(running, key))
    call, turns = entry
    async with turns:  # released, a lock wakes one waiter, in the next turn of the loop
        result: T = await asyncio.shield(call)
    return result


def _forget(running: dict[Hashable, _InFlight], key: Hashable) -> Callable[[asyncio.Future[Any]], None]:
    def done(call: asyncio.Future[Any]) -> None:
        if not call.cancelled():
            call.exception()  # retrieved: no "exception was never retrieved" when every caller was cancelled
        entry = running.get(key)
        if entry is not None and entry[0] is call:
            del running[key]

    return done
