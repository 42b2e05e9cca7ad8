"""
Domain logic free of Airflow: the focus-area upsert, the fund imports and the change feed (:mod:`.changes`), over
an API client passed in.

Nothing in this package imports Airflow, so a script, a test or any scheduler can use it with a
:class:`~airflow_provider_focus.api.client.FocusClient`; in Airflow, :class:`~airflow_provider_focus.hooks.focus.
FocusHook` exposes the same entry points (``upsert_focus_areas``, ``import_cost_items``, ``import_benefit_items``)
and the operators are thin wrappers around them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_focus.services.fund_imports import BENEFIT_ITEMS, COST_ITEMS, FundKind, import_fund_items
    from airflow_provider_focus.services.records import format_of, iter_records
    from airflow_provider_focus.services.report import FailedRecord, FundImportReport, Report, UpsertReport
    from airflow_provider_focus.services.upsert import UpsertOptions, upsert_focus_areas

# Each name is imported from its module when first used: importing one service (or the defaults an operator shows
# in its signature) does not import the others.
_HOMES = {
    "BENEFIT_ITEMS": "fund_imports",
    "COST_ITEMS": "fund_imports",
    "FundKind": "fund_imports",
    "import_fund_items": "fund_imports",
    "format_of": "records",
    "iter_records": "records",
    "FailedRecord": "report",
    "FundImportReport": "report",
    "Report": "report",
    "UpsertReport": "report",
    "UpsertOptions": "upsert",
    "upsert_focus_areas": "upsert",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


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
