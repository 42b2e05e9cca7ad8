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


def test_callers_that_come_while_a_module_imports_share_one_thread_job_and_go_on_one_per_turn(
    gate: threading.Event, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A triggerer's restart: hundreds of triggers ask for the same module while its first import runs. One thread
    # job imports it (not one each, whose threads take the interpreter lock from the loop), and the callers go on
    # one per turn of the loop (not all in the turn the import ends, which held the loop for tens of ms).
    name = _write_module(tmp_path, "focus_lazy_shared", "import sys\nsys.focus_test_gate.wait(10)\n")
    jobs: list[str] = []
    real_import = _lazy.importlib.import_module

    def counted(module: str) -> object:
        jobs.append(module)
        return real_import(module)

    monkeypatch.setattr(_lazy.importlib, "import_module", counted)

    async def main() -> list[int]:
        turns = 0
        counting = True

        async def count_turns() -> None:
            nonlocal turns
            while counting:
                turns += 1
                await asyncio.sleep(0)

        counter = asyncio.ensure_future(count_turns())
        seen: list[int] = []

        async def caller() -> None:
            await import_off_loop(name)
            seen.append(turns)

        callers = [asyncio.ensure_future(caller()) for _ in range(20)]
        await asyncio.sleep(0.05)
        gate.set()
        await asyncio.gather(*callers)
        counting = False
        await counter
        return seen

    try:
        seen = asyncio.run(main())
    finally:
        sys.modules.pop(name, None)
    assert jobs == [name]
    assert len(seen) == 20
    assert len(set(seen)) == 20  # each went on in a turn of its own


def test_a_failed_thread_call_is_raised_to_its_callers_and_run_again_by_the_next() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first call fails")
        return "done"

    async def main() -> str:
        callers = (_lazy.in_thread_once("flaky", flaky) for _ in range(3))
        results = await asyncio.gather(*callers, return_exceptions=True)
        assert all(isinstance(result, RuntimeError) for result in results)
        return await _lazy.in_thread_once("flaky", flaky)

    assert asyncio.run(main()) == "done"
    assert len(calls) == 2


def test_a_cancelled_caller_does_not_cancel_the_call_the_others_wait_for() -> None:
    release = threading.Event()

    async def main() -> str:
        first = asyncio.ensure_future(_lazy.in_thread_once("slow", lambda: release.wait(10) and "done"))
        second = asyncio.ensure_future(_lazy.in_thread_once("slow", lambda: "not run"))
        await asyncio.sleep(0.01)
        first.cancel()
        await asyncio.sleep(0.01)
        release.set()
        return await second

    assert asyncio.run(main()) == "done"
