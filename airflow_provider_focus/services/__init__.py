"""
Domain logic free of Airflow: the focus-area upsert, the fund imports and the change feed (:mod:`.changes`), over
an API client passed in.

Nothing in this package imports Airflow, so a script, a test or any scheduler can use it with a
:class:`~airflow_provider_focus.api.client.FocusClient`; in Airflow, :class:`~airflow_provider_focus.hooks.focus.
FocusHook` exposes the same entry points (``upsert_focus_areas``, ``import_cost_items``, ``import_benefit_items``)
and the operators are thin wrappers around them.
"""

from __future__ import annotations

from airflow_provider_focus.services.fund_imports import BENEFIT_ITEMS, COST_ITEMS, FundKind, import_fund_items
from airflow_provider_focus.services.records import format_of, iter_records
from airflow_provider_focus.services.report import FailedRecord, FundImportReport, Report, UpsertReport
from airflow_provider_focus.services.upsert import UpsertOptions, upsert_focus_areas

__all__ = [
    "BENEFIT_ITEMS",
    "COST_ITEMS",
    "FailedRecord",
    "FundImportReport",
    "FundKind",
    "Report",
    "UpsertOptions",
    "UpsertReport",
    "format_of",
    "import_fund_items",
    "iter_records",
    "upsert_focus_areas",
]
