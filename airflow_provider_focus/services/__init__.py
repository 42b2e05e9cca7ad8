"""
Domain logic free of Airflow: the focus-area upsert, the fund imports and the change feed (:mod:`.changes`), over
an API client passed in.

Nothing in this package imports Airflow, so a script, a test or any scheduler can use it with a
:class:`~airflow_provider_focus.api.client.FocusClient`; in Airflow, :class:`~airflow_provider_focus.hooks.focus.
FocusHook` exposes the same entry points (``upsert_focus_areas``, ``import_cost_items``, ``import_benefit_items``)
and the operators are thin wrappers around them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_focus._lazy import lazy_attributes

if TYPE_CHECKING:
    from airflow_provider_focus.services.fund_imports import BENEFIT_ITEMS, COST_ITEMS, FundKind, import_fund_items
    from airflow_provider_focus.services.options import UpsertOptions
    from airflow_provider_focus.services.records import BadRecord, format_of, iter_records, read_records
    from airflow_provider_focus.services.report import FailedRecord, FundImportReport, Report, UpsertReport
    from airflow_provider_focus.services.upsert import upsert_focus_areas

# Each name is imported from its module when first used: importing one service (or the defaults an operator shows
# in its signature) does not import the others.
__getattr__ = lazy_attributes(
    __name__,
    {
        "BENEFIT_ITEMS": f"{__name__}.fund_imports",
        "COST_ITEMS": f"{__name__}.fund_imports",
        "FundKind": f"{__name__}.fund_imports",
        "import_fund_items": f"{__name__}.fund_imports",
        "BadRecord": f"{__name__}.records",
        "format_of": f"{__name__}.records",
        "iter_records": f"{__name__}.records",
        "read_records": f"{__name__}.records",
        "FailedRecord": f"{__name__}.report",
        "FundImportReport": f"{__name__}.report",
        "Report": f"{__name__}.report",
        "UpsertReport": f"{__name__}.report",
        "UpsertOptions": f"{__name__}.options",
        "upsert_focus_areas": f"{__name__}.upsert",
    },
)

__all__ = [
    "BENEFIT_ITEMS",
    "COST_ITEMS",
    "BadRecord",
    "FailedRecord",
    "FundImportReport",
    "FundKind",
    "Report",
    "UpsertOptions",
    "UpsertReport",
    "format_of",
    "import_fund_items",
    "iter_records",
    "read_records",
    "upsert_focus_areas",
]
