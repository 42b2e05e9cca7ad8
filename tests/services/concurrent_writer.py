"""
One writer of the concurrent-writers tests, run as its own process: upsert the shared records, write the report.

``python -m tests.services.concurrent_writer <emulator url> <report path> <start at (epoch seconds)>``
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from airflow_provider_focus.api.client import FocusClient
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.services import upsert_focus_areas
from airflow_provider_focus.testing.constants import EMULATOR_API_TOKEN, EMULATOR_EMAIL

PARENTS = 20
CHILDREN = 9


def records() -> list[dict[str, Any]]:
    """200 records: 20 programs, 9 projects under each (the same for every writer)."""
    rows: list[dict[str, Any]] = []
    for p in range(PARENTS):
        rows.append({"externalId": f"P{p}", "name": f"P{p}", "focusAreaTypeId": "fat-program"})
        rows += [
            {
                "externalId": f"P{p}-{c}",
                "name": f"P{p}-{c}",
                "focusAreaTypeId": "fat-project",
                "parentExternalId": f"P{p}",
            }
            for c in range(CHILDREN)
        ]
    return rows


def client_of(url: str, **extra: Any) -> FocusClient:
    config = FocusClientConfig.from_connection_fields(
        host=url, login=EMULATOR_EMAIL, password=EMULATOR_API_TOKEN, extra={"max_retries": 8, **extra}
    )
    return FocusClient(config)


def main(url: str, out: str, start_at: float) -> None:
    client = client_of(url)
    time.sleep(max(0.0, start_at - time.time()))
    try:
        report = upsert_focus_areas(client, records(), max_in_flight=4)
    finally:
        client.close()
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(report.as_dict(), handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
