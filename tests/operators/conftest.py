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
