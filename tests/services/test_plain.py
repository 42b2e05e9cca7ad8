"""One converter for every reader: a database cell and a Parquet value become the same JSON-able field."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

import pytest

from airflow_provider_focus.services._plain import plain
from airflow_provider_focus.services.upsert import upsert_focus_areas
from airflow_provider_focus.transfers._sql import _fetch
from tests.services.conftest import API, page


class _Cursor:
    """A DB-API cursor's ``fetchmany`` over fixed rows (what psycopg gives for a jsonb and a numeric column)."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = rows

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        taken, self._rows = self._rows[:size], self._rows[size:]
        return taken


def test_a_json_column_holding_dates_is_converted_like_a_date_column():
    # chosen behaviour: the converter walks into dicts and lists, so a date inside a JSON (or struct, or array)
    # column becomes ISO 8601 text, as a date column does; before, a SQL row kept the date object and the record
    # failed with "data.due is a date, which JSON cannot hold" while the same value from Parquet was sent
    row = ("X-1", {"due": dt.date(2026, 1, 2), "spent": [decimal.Decimal("2.50"), decimal.Decimal("3")]}, None)
    records = list(_fetch(_Cursor([row, ("X-2", None, dt.datetime(2026, 1, 2, 3, 4))]), ["k", "data", "at"], 1))
    assert records == [
        {"k": "X-1", "data": {"due": "2026-01-02", "spent": [2.5, 3]}, "at": None},
        {"k": "X-2", "data": None, "at": "2026-01-02T03:04:00"},
    ]
    assert plain({"due": dt.date(2026, 1, 2)}) == {"due": "2026-01-02"}  # the Parquet reader's converter is this one
    assert plain(memoryview(b"ab")) == b"ab"
    assert plain((1, dt.time(3, 4))) == [1, "03:04:00"]


@pytest.mark.parametrize("text", ["Infinity", "-Infinity", "NaN"])
def test_a_decimal_with_no_number_fails_its_record_not_the_run(text, client, requests_mock):
    value = plain(decimal.Decimal(text))  # was OverflowError for an infinity: the whole transfer stopped
    assert isinstance(value, float)
    assert not math.isfinite(value)
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    rows = list(
        _fetch(
            _Cursor([("A", "a", "fat-project", decimal.Decimal(text)), ("B", "b", "fat-project", 1)]),
            ["externalId", "name", "focusAreaTypeId", "budget"],
            10,
        )
    )
    report = upsert_focus_areas(client, rows, dry_run=True, max_in_flight=1)
    assert report.created == ["B"]
    assert [entry.key for entry in report.failed] == ["A"]
    assert "budget" in report.failed[0].error
