"""``Report.raise_if_failed``: the operators' partial-failure rule, in one line of a ``@task``."""

from __future__ import annotations

import pytest

from airflow_provider_focus.api.client import FocusClient
from airflow_provider_focus.exceptions import FocusPartialFailure
from airflow_provider_focus.services import upsert_focus_areas
from airflow_provider_focus.services.report import FundImportReport
from tests.services.conftest import rec


def test_a_report_with_failures_raises_naming_how_many_and_the_first(emulator_client: FocusClient) -> None:
    report = upsert_focus_areas(emulator_client, [rec("NEW-A"), {"name": "no key"}, rec("NEW-B")], max_in_flight=1)

    with pytest.raises(FocusPartialFailure) as raised:
        report.raise_if_failed("focus areas")

    assert len(report.created) == 2
    assert str(raised.value).startswith("1 of 3 focus areas failed (2 applied). First: None: ")
    assert raised.value.report == report.as_dict()


def test_a_report_without_failures_does_not_raise(emulator_client: FocusClient) -> None:
    report = upsert_focus_areas(emulator_client, [rec("NEW-A")], max_in_flight=1)

    report.raise_if_failed()

    assert report.failed == []


def test_where_the_report_is_goes_into_the_message() -> None:
    report = FundImportReport(created=["c-1"])
    report.fail("COST-2", 1, "HTTP 400: amount must be positive")

    with pytest.raises(FocusPartialFailure, match=r"^1 of 2 cost items failed \(1 applied; it is in XCom\)\. First: "):
        report.raise_if_failed("cost items", where="it is in XCom")
