from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_focus.hooks.focus import FocusHook

SITE = "https://acme.atlassian.net"
API = f"{SITE}/gateway/api/focus/v1"
CLOUD_ID = "a436116f-02ce-4520-8fbb-7301462a1674"
CLOUD_API = f"https://api.atlassian.com/focus/cloud/{CLOUD_ID}/v1"
EMAIL = "robot@example.com"
TOKEN = "s3cret-api-token-value"


@pytest.fixture
def set_connection(monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Store a Focus connection in an ``AIRFLOW_CONN_*`` variable (JSON form) and return its id."""

    def _set(conn_id: str = "focus_default", **fields: Any) -> str:
        fields.setdefault("conn_type", "atlassian_focus")
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))
        return conn_id

    return _set


@pytest.fixture
def hook(set_connection: Callable[..., str]) -> FocusHook:
    """A hook on a site connection with an API token, no sleeping between retries."""
    set_connection(host="acme.atlassian.net", login=EMAIL, password=TOKEN, extra={"max_retries": 3})
    focus_hook = FocusHook()
    focus_hook.client._sleep = lambda _seconds: None
    return focus_hook


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def wire_log():
    """
    Record what the provider's own loggers emit, whatever logging state earlier tests left behind.

    Airflow's logging setup may disable existing loggers or stop their propagation, which makes ``caplog`` see
    nothing; a handler on the package logger, enabled for the test, does not depend on that.
    """
    logger = logging.getLogger("airflow_provider_focus")
    handler = _Records()
    saved = (logger.level, logger.disabled)
    children = [
        child
        for name, child in logging.root.manager.loggerDict.items()
        if name.startswith("airflow_provider_focus.") and isinstance(child, logging.Logger)
    ]
    disabled_children = [child for child in children if child.disabled]
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.disabled = False
    for child in disabled_children:
        child.disabled = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.disabled = saved[1]
        for child in disabled_children:
            child.disabled = True
