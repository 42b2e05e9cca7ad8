"""
The Focus emulator: a real HTTP server on loopback that behaves like the Focus REST API v1.

Start it with :class:`FocusEmulator` (``with FocusEmulator() as fe: ...``), the ``focus_emulator`` pytest
fixture or the ``focus-emulator`` command. See ``docs/testing.md``.

This package is imported by the pytest plugin every time pytest starts, so it stays light: the server modules
are imported only when :class:`FocusEmulator` is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_focus._lazy import lazy_attributes
from airflow_provider_focus.testing.constants import (
    EMULATOR_ACCOUNT_ID,
    EMULATOR_API_TOKEN,
    EMULATOR_CLIENT_ID,
    EMULATOR_CLIENT_SECRET,
    EMULATOR_CLOUD_ID,
    EMULATOR_EMAIL,
)

if TYPE_CHECKING:
    from airflow_provider_focus.testing.emulator import FocusEmulator
    from airflow_provider_focus.testing.faults import FaultInjector
    from airflow_provider_focus.testing.records import RecordedRequest
    from airflow_provider_focus.testing.store import FocusStore

# The heavier emulator classes are imported on first use.
__getattr__ = lazy_attributes(
    __name__,
    {
        "FocusEmulator": "airflow_provider_focus.testing.emulator",
        "FaultInjector": "airflow_provider_focus.testing.faults",
        "RecordedRequest": "airflow_provider_focus.testing.records",
        "FocusStore": "airflow_provider_focus.testing.store",
    },
)


__all__ = [
    "EMULATOR_ACCOUNT_ID",
    "EMULATOR_API_TOKEN",
    "EMULATOR_CLIENT_ID",
    "EMULATOR_CLIENT_SECRET",
    "EMULATOR_CLOUD_ID",
    "EMULATOR_EMAIL",
    "FaultInjector",
    "FocusEmulator",
    "FocusStore",
    "RecordedRequest",
]
