"""Fixtures of the service tests: an API client on requests-mock, or on a real emulator; no Airflow involved."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_focus.api.client import FocusClient
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.testing import FocusEmulator
from airflow_provider_focus.testing.constants import EMULATOR_API_TOKEN, EMULATOR_EMAIL

SITE = "https://acme.atlassian.net"
API = f"{SITE}/gateway/api/focus/v1"


def make_client(host: str, login: str, password: str, **extra: Any) -> FocusClient:
    config = FocusClientConfig.from_connection_fields(host=host, login=login, password=password, extra=extra)
    return FocusClient(config, sleep=lambda _seconds: None)


@pytest.fixture
def client() -> Iterator[FocusClient]:
    """A client of a site that requests-mock answers, with no retries."""
    focus = make_client("acme.atlassian.net", "robot@example.com", "s3cret", max_retries=0)
    yield focus
    focus.close()


@pytest.fixture
def emulator() -> Iterator[FocusEmulator]:
    """A fresh emulator with the demo seed, on a loopback port."""
    with FocusEmulator(seed="demo") as fe:
        yield fe


@pytest.fixture
def emulator_client(emulator: FocusEmulator) -> Iterator[FocusClient]:
    """A client of the emulator (retries on, waits skipped)."""
    focus = make_client(emulator.url, EMULATOR_EMAIL, EMULATOR_API_TOKEN)
    yield focus
    focus.close()


def page(values: list[dict[str, Any]]) -> dict[str, Any]:
    """One last page of the documented envelope."""
    return {"values": values, "nextPageCursor": None, "last": True}


def focus_area(fa_id: str, external_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": fa_id, "name": external_id, "focusAreaTypeId": "fat-project", "externalId": external_id, **fields}


def rec(external_id: str, parent: str | None = None, **fields: Any) -> dict[str, Any]:
    record = {"externalId": external_id, "name": external_id, "focusAreaTypeId": "fat-project", **fields}
    if parent is not None:
        record["parentExternalId"] = parent
    return record
