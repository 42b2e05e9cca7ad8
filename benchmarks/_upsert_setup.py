"""What the upsert benchmarks share: records in parent groups, an emulator with a client, and the exactly-once check."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from airflow_provider_focus.api.client import FocusClient
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.services.report import UpsertReport
from airflow_provider_focus.testing import FocusEmulator
from airflow_provider_focus.testing.constants import EMULATOR_API_TOKEN, EMULATOR_EMAIL
from airflow_provider_focus.testing.seed import TYPE_PROGRAM, TYPE_PROJECT

#: Parent groups (a program and its projects) the records come in.
GROUPS = 10


def group_records(count: int, prefix: str) -> list[dict[str, Any]]:
    """
    Return ``count`` new focus-area records in :data:`GROUPS` groups: a program, then its projects naming it.

    :param count: how many records (a multiple of :data:`GROUPS` gives exactly that many).
    :param prefix: the external ids' prefix (``G00``, ``G00-0000``, ...).
    """
    per_group = count // GROUPS
    records: list[dict[str, Any]] = []
    for group in range(GROUPS):
        parent = f"{prefix}{group:02d}"
        records.append({"externalId": parent, "name": f"Program {group}", "focusAreaTypeId": TYPE_PROGRAM})
        records += [
            {
                "externalId": f"{parent}-{n:04d}",
                "parentExternalId": parent,
                "name": f"Project {group}-{n}",
                "focusAreaTypeId": TYPE_PROJECT,
            }
            for n in range(per_group - 1)
        ]
    return records


@contextmanager
def emulator_and_client() -> Iterator[tuple[FocusEmulator, FocusClient]]:
    """Yield an emulator with no focus areas and a client of it (retries on, waits real)."""
    with FocusEmulator(seed="empty") as fe:
        config = FocusClientConfig.from_connection_fields(
            host=fe.url, login=EMULATOR_EMAIL, password=EMULATOR_API_TOKEN, extra={}
        )
        client = FocusClient(config)
        try:
            yield fe, client
        finally:
            client.close()


def check_created_once(fe: FocusEmulator, report: UpsertReport, records: list[dict[str, Any]]) -> None:
    """
    Fail unless every record was created, each external id exactly once, each child under its parent.

    :param fe: the emulator the upsert wrote to.
    :param report: the upsert's report.
    :param records: the records it was given.
    """
    stored = fe.store.focus_areas()
    assert (len(report.created), report.failed) == (len(records), []), report.counts()
    assert max(Counter(fa["externalId"] for fa in stored).values()) == 1
    by_key = {fa["externalId"]: fa for fa in stored}
    assert all(
        by_key[r["parentExternalId"]]["id"] == by_key[r["externalId"]]["parentId"]
        for r in records
        if "parentExternalId" in r
    )
