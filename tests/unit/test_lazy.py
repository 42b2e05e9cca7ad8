"""Imports an event loop needs but must not run itself: ``import_off_loop``."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from airflow_provider_focus import _lazy
from airflow_provider_focus._lazy import import_off_loop


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> threading.Event:
    """A ``threading.Event`` that test modules (written into ``tmp_path``, on ``sys.path``) wait on while importing."""
    event = threading.Event()
    monkeypatch.setattr(sys, "focus_test_gate", event, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    return event


def _write_module(tmp_path: Path, name: str, body: str) -> str:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body))
    sys.modules.pop(name, None)
    return name


def test_a_module_imports_in_a_worker_thread_while_the_loop_runs_on(gate: threading.Event, tmp_path: Path) -> None:
    # The module can finish only after a coroutine on the loop has opened the gate: were it imported on the loop,
    # the gate would stay shut and the import would time out.
    name = _write_module(
        tmp_path,
        "focus_lazy_gated",
        """
        import sys, threading
        OPENED = sys.focus_test_gate.wait(10)
        THREAD = threading.current_thread()
        """,
    )

    async def main() -> object:
        importing = asyncio.create_task(import_off_loop(name))
        await asyncio.sleep(0.05)
        gate.set()
        return await importing

    try:
        module = asyncio.run(main())
        assert module.OPENED is True  # type: ignore[attr-defined]
        assert module.THREAD is not threading.main_thread()  # type: ignore[attr-defined]
    finally:
        sys.modules.pop(name, None)


def test_a_module_another_thread_is_still_importing_is_waited_for_not_used_half_made(
    gate: threading.Event, tmp_path: Path
) -> None:
    name = _write_module(
        tmp_path,
        "focus_lazy_half",
        """
        import sys
        FIRST = 1
        sys.focus_test_gate.wait(10)
        LAST = 2
        """,
    )
    importer = threading.Thread(target=__import__, args=(name,))
    importer.start()
    try:
        while name not in sys.modules:  # the other thread is inside the module, waiting at the gate
            threading.Event().wait(0.01)

        async def main() -> object:
            importing = asyncio.create_task(import_off_loop(name))
            await asyncio.sleep(0.05)
            assert not importing.done()  # half made: waited for
            gate.set()
            return await importing

        module = asyncio.run(main())
        assert module.LAST == 2  # type: ignore[attr-defined]
    finally:
        gate.set()
        importer.join(10)
        sys.modules.pop(name, None)


def test_a_module_already_imported_is_returned_without_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_thread(*args: object, **kwargs: object) -> None:
        raise AssertionError("no worker thread is needed for a module already imported")

    monkeypatch.setattr(_lazy.asyncio, "to_thread", no_thread)
    assert asyncio.run(import_off_loop("json")) is sys.modules["json"]
