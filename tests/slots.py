"""
Machine-wide slots for the heaviest tests: real Airflow deployments (four Airflow processes each).

``make test`` runs each suite with several pytest-xdist workers. Light tests share the two cores well; real
deployments do not: each one's start is CPU-bound for tens of seconds, and several starting together on 2 cores
pushed their scheduler and triggerer past the deadlines the tests assert (and Airflow 3.0.6's LocalExecutor once lost
a task). A deployment therefore takes one of ``FOCUS_TEST_DEPLOYMENT_SLOTS`` slots (default 1) while it starts, until
its APIs answer; then it mostly waits on polls and deadlines, and gives the slot to the next one. (Held for a
deployment's whole life, the slot made the four suites' deployments run one after another: 11 of CI's minutes.)
The slots are ``flock``-ed files in the system's temporary directory, so they are shared by every pytest process on the
machine, whatever its venv; a process that dies releases its slot with its file descriptors.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SLOTS_ENV = "FOCUS_TEST_DEPLOYMENT_SLOTS"
DEFAULT_SLOTS = 1
SLOT_DIR = Path(tempfile.gettempdir()) / "focus-provider-test-slots"
POLL_SECONDS = 0.5


def slot_count() -> int:
    """Return how many real deployments may run at once on this machine (at least one)."""
    try:
        return max(1, int(os.environ.get(SLOTS_ENV, DEFAULT_SLOTS)))
    except ValueError:
        return DEFAULT_SLOTS


@contextmanager
def deployment_slot(timeout: float = 600) -> Iterator[int]:
    """
    Hold one machine-wide deployment slot for the block; wait (bounded) until one is free.

    :param timeout: how long to wait for a free slot, in seconds, before failing the test.
    :return: the slot's number (for logs).
    """
    SLOT_DIR.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    while True:
        for number in range(slot_count()):
            handle = (SLOT_DIR / f"slot-{number}.lock").open("a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            try:
                yield number
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"no deployment slot came free in {timeout:.0f} s ({SLOT_DIR})")
        time.sleep(POLL_SECONDS)
