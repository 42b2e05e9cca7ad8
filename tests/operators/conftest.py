from __future__ import annotations

import json
from typing import Any

import pytest

SITE = "https://acme.atlassian.net"
API = f"{SITE}/gateway/api/focus/v1"


class FakeTI:
    """Records what an operator pushes to XCom."""

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


@pytest.fixture(autouse=True)
def focus_connection(monkeypatch: pytest.MonkeyPatch) -> str:
    """A site connection with an API token and no retries (each test decides what the wire answers)."""
    conn = {
        "conn_type": "atlassian_focus",
        "host": "acme.atlassian.net",
        "login": "robot@example.com",
        "password": "s3cret",
        "extra": {"max_retries": 0},
    }
    monkeypatch.setenv("AIRFLOW_CONN_FOCUS_DEFAULT", json.dumps(conn))
    return "focus_default"


@pytest.fixture
def context() -> dict[str, Any]:
    return {"ti": FakeTI(), "ds": "2025-03-01", "params": {}}


def page(values: list[dict[str, Any]], next_cursor: str | None = None) -> dict[str, Any]:
    """Build one page of the documented envelope."""
    return {"values": values, "nextPageCursor": next_cursor, "last": next_cursor is None}


def focus_area(fa_id: str, external_id: str | None = None, **fields: Any) -> dict[str, Any]:
    record = {
        "id": fa_id,
        "name": fields.pop("name", f"Focus area {fa_id}"),
        "focusAreaTypeId": fields.pop("focusAreaTypeId", "fat-project"),
        "externalId": external_id,
        "parentId": fields.pop("parentId", None),
        "description": fields.pop("description", None),
        "status": "PENDING",
    }
    record.update(fields)
    return record


class RecordingLogger:
    """Stands in for a task's ``self.log``: keeps ``(level, message)`` with the %-arguments applied."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str]] = []

    def __getattr__(self, level: str) -> Any:
        def record(message: str, *args: Any, **_kwargs: Any) -> None:
            self.records.append((level, message % args if args else message))

        return record

    def messages(self, level: str) -> list[str]:
        return [message for recorded, message in self.records if recorded == level]


def record_log(monkeypatch: pytest.MonkeyPatch, operator_class: type) -> RecordingLogger:
    """
    Replace ``self.log`` of an operator class with a recorder for one test.

    Asserting on captured stdout flakes: whether (and where) a task logger prints depends on the logging
    configuration earlier tests left behind, and the SDK caches each task's logger on first use.
    """
    recorder = RecordingLogger()
    monkeypatch.setattr(operator_class, "log", property(lambda _self: recorder))
    return recorder
