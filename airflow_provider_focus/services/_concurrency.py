"""Run at most ``max_in_flight`` calls at a time and hand their outcomes back, one by one, to the calling thread."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Tag = TypeVar("Tag")


@dataclass
class Outcome(Generic[Tag]):
    """
    What one call came to.

    :param tag: what the caller submitted it with.
    :param value: its return value (``None`` when it raised).
    :param error: the exception it raised, if any.
    """

    tag: Tag
    value: Any = None
    error: Exception | None = None


class BoundedRunner(Generic[Tag]):
    """
    Run calls on up to ``max_in_flight`` worker threads; with 1, run each at once on the calling thread.

    Only the calling thread submits and collects, so the caller's bookkeeping needs no lock; the calls themselves
    must be safe to run side by side.

    :param max_in_flight: how many calls may run at the same time.
    """

    def __init__(self, max_in_flight: int) -> None:
        self.max_in_flight = max_in_flight
        #: How many calls may be in flight now (at most ``max_in_flight``): a batch lowers it to slow down.
        self.limit = max_in_flight
        self._pool = ThreadPoolExecutor(max_in_flight, thread_name_prefix="focus") if max_in_flight > 1 else None
        self._running: dict[Future[Any], Tag] = {}
        self._finished: deque[Outcome[Tag]] = deque()

    def __enter__(self) -> BoundedRunner[Tag]:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    @property
    def busy(self) -> bool:
        """Whether an outcome is still to be collected."""
        return bool(self._running or self._finished)

    @property
    def full(self) -> bool:
        """Whether as many calls are in flight (or uncollected) as allowed now."""
        return len(self._running) + len(self._finished) >= self.limit

    def submit(self, tag: Tag, call: Callable[..., Any], *args: Any) -> None:
        """
        Start a call (the caller checks :attr:`full` first).

        :param tag: returned with its outcome.
        :param call: the function to run.
        :param args: its arguments.
        """
        if self._pool is None:
            self._finished.append(_run(tag, call, *args))
        else:
            self._running[self._pool.submit(call, *args)] = tag

    def next_outcome(self) -> Outcome[Tag]:
        """Wait for a call to finish and return its outcome (the earliest submitted among those finished)."""
        if not self._finished:
            done, _ = wait(self._running, return_when=FIRST_COMPLETED)
            for future in [future for future in self._running if future in done]:
                tag = self._running.pop(future)
                error = future.exception()
                if error is not None and not isinstance(error, Exception):
                    raise error  # KeyboardInterrupt, SystemExit: stop, do not report
                self._finished.append(Outcome(tag, None if error else future.result(), error))
        return self._finished.popleft()


def _run(tag: Tag, call: Callable[..., Any], *args: Any) -> Outcome[Tag]:
    try:
        return Outcome(tag, call(*args))
    except Exception as error:
        return Outcome(tag, error=error)
