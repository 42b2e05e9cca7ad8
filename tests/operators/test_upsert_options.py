"""The upsert's options travel as one ``UpsertOptions`` value: built from the arguments, or given as one."""

from __future__ import annotations

import pytest

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.hooks.focus import FocusHook
from airflow_provider_focus.operators.focus import FocusUpsertFocusAreasOperator
from airflow_provider_focus.services import UpsertOptions
from airflow_provider_focus.services.options import upsert_options
from airflow_provider_focus.transfers.sql_to_focus import SqlToFocusOperator
from tests.operators.conftest import API, focus_area, page

RECORDS = [{"code": "NEW", "name": "New", "focusAreaTypeId": "fat-project"}, {"code": "OLD", "name": "Renamed"}]


def test_the_operators_build_the_options_once_from_their_arguments():
    op = FocusUpsertFocusAreasOperator(
        task_id="u", records=[], key="code", dry_run=True, max_in_flight=2, extra_updatable_fields=["parentId"]
    )
    assert op.options == UpsertOptions(
        key="code", dry_run=True, max_in_flight=2, extra_updatable_fields=frozenset({"parentId"})
    )
    assert op.is_dry_run is True
    sql = SqlToFocusOperator(task_id="s", sql_conn_id="db", sql="SELECT 1", parent_key="up", log_every=7)
    assert sql.options == UpsertOptions(parent_key="up", log_every=7)


def test_an_operator_takes_the_options_as_one_value_and_applies_them(requests_mock, context):
    requests_mock.get(f"{API}/focus-areas", json=page([focus_area("fa-1", "OLD", name="Old")]))
    options = UpsertOptions(key="code", dry_run=True, scan_threshold=1)
    op = FocusUpsertFocusAreasOperator(task_id="u", records=RECORDS, options=options)
    assert op.options is options
    report = op.execute(context)
    assert (report["created"], report["updated"], report["dry_run"]) == (["NEW"], ["fa-1"], True)
    assert [r.method for r in requests_mock.request_history] == ["GET"]  # a dry run: nothing written


def test_options_and_a_differing_keyword_argument_at_once_are_refused():
    with pytest.raises(FocusConfigError, match=r"either as options=.*\(also given: dry_run, key\)"):
        FocusUpsertFocusAreasOperator(task_id="u", records=[], key="code", dry_run=True, options=UpsertOptions())
    with pytest.raises(FocusConfigError, match="options must be an UpsertOptions, got dict"):
        upsert_options({"dry_run": True})  # type: ignore[arg-type]
    # a keyword argument left at its default is no conflict
    assert upsert_options(UpsertOptions(key="code"), key="externalId", dry_run=False) == UpsertOptions(key="code")


def test_the_hook_takes_the_options_as_one_value(requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    report = FocusHook().upsert_focus_areas(RECORDS[:1], UpsertOptions(key="code", dry_run=True))
    assert (report.created, report.dry_run) == (["NEW"], True)
    with pytest.raises(FocusConfigError, match="not both"):
        FocusHook().upsert_focus_areas(RECORDS, UpsertOptions(key="code"), max_in_flight=3)
