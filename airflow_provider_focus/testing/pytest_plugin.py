"""
Pytest plugin of the Focus emulator (registered through the ``pytest11`` entry point).

Fixtures:

* ``focus_emulator`` -- a fresh, started :class:`~airflow_provider_focus.testing.FocusEmulator` per test,
  seeded with ``"demo"``; stopped after the test.
* ``focus_conn`` -- sets ``AIRFLOW_CONN_FOCUS_DEFAULT`` (through ``monkeypatch``) to the emulator's site
  connection with the default API token, and returns the connection id ``"focus_default"``.

This module is imported into every pytest run of anyone who installs the provider, so it imports nothing
heavy: the emulator is imported inside the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow_provider_focus.testing.emulator import FocusEmulator

#: Connection id the ``focus_conn`` fixture sets up.
FOCUS_CONN_ID = "focus_default"


@pytest.fixture
def focus_emulator() -> Iterator[FocusEmulator]:
    """Start a Focus emulator with the demo seed on a free loopback port; stop it after the test."""
    from airflow_provider_focus.testing.emulator import FocusEmulator

    with FocusEmulator(seed="demo") as emulator:
        yield emulator


@pytest.fixture
def focus_conn(focus_emulator: FocusEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point ``AIRFLOW_CONN_FOCUS_DEFAULT`` at the emulator (site root, API token) and return the conn id."""
    for name, value in focus_emulator.conn_env(FOCUS_CONN_ID).items():
        monkeypatch.setenv(name, value)
    return FOCUS_CONN_ID
