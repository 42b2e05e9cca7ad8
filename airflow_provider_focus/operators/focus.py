"""
Every Focus operator, importable from one module.

The operators live in small modules by resource (:mod:`.focus_areas`, :mod:`.upsert`, :mod:`.organizations`,
:mod:`.funds`); this module re-exports them.
"""

from __future__ import annotations

from airflow_provider_focus.exceptions import FocusPartialFailure
from airflow_provider_focus.operators.base import FocusBaseOperator
from airflow_provider_focus.operators.focus_areas import (
    FocusCreateFocusAreaOperator,
    FocusGetFocusAreaOperator,
    FocusListFocusAreasOperator,
    FocusUpdateFocusAreaOperator,
)
from airflow_provider_focus.operators.funds import (
    FocusDeleteBenefitItemOperator,
    FocusDeleteCostItemOperator,
    FocusImportBenefitItemsOperator,
    FocusImportCostItemsOperator,
)
from airflow_provider_focus.operators.organizations import (
    FocusCreateOrganizationOperator,
    FocusListOrganizationsOperator,
)
from airflow_provider_focus.operators.upsert import FocusUpsertFocusAreasOperator

__all__ = [
    "FocusBaseOperator",
    "FocusCreateFocusAreaOperator",
    "FocusCreateOrganizationOperator",
    "FocusDeleteBenefitItemOperator",
    "FocusDeleteCostItemOperator",
    "FocusGetFocusAreaOperator",
    "FocusImportBenefitItemsOperator",
    "FocusImportCostItemsOperator",
    "FocusListFocusAreasOperator",
    "FocusListOrganizationsOperator",
    "FocusPartialFailure",
    "FocusUpdateFocusAreaOperator",
    "FocusUpsertFocusAreasOperator",
]
