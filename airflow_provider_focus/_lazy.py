"""
Imports paid only when needed: names a package exports but imports on first use (a module ``__getattr__``, PEP
562), and modules an event loop needs but must not import itself (:func:`import_off_loop`).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


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
    return await asyncio.to_thread(importlib.import_module, name)
