"""
Seed data of the emulator.

``"demo"``: three focus-area types (strategy > program > project), six focus areas with external ids, two
organization types, three organizations, one cost item and one benefit item, and the funds lookup lists.
``"empty"``: the types and lookup lists only.

The ids below are fixed and documented in ``docs/testing.md``; tests may rely on them.
"""

from __future__ import annotations

import copy
from typing import Any

from airflow_provider_focus.api import model
from airflow_provider_focus.testing.constants import EMULATOR_ACCOUNT_ID, SEED_DEMO, SEED_EMPTY, SEEDS

# Focus-area types. There is no endpoint for them; ``level`` 1 is the top of the hierarchy and a parent's type
# must have a smaller level than its child's.
TYPE_STRATEGY = "fat-strategy"
TYPE_PROGRAM = "fat-program"
TYPE_PROJECT = "fat-project"

ORG_TYPE_DIVISION = "orgtype-division"
ORG_TYPE_TEAM = "orgtype-team"

_SEED_TIME = "2025-01-06T09:00:{:02d}.000Z"

FOCUS_AREA_TYPES: list[dict[str, Any]] = [
    {"id": TYPE_STRATEGY, "name": "Strategy", "level": 1},
    {"id": TYPE_PROGRAM, "name": "Program", "level": 2},
    {"id": TYPE_PROJECT, "name": "Project", "level": 3},
]
ORGANIZATION_TYPES: list[dict[str, Any]] = [
    {"id": ORG_TYPE_DIVISION, "name": "Division"},
    {"id": ORG_TYPE_TEAM, "name": "Team"},
]
COST_TYPES: list[dict[str, Any]] = [
    {model.LOOKUP_KEY: "LABOR", model.LOOKUP_NAME: "Labor"},
    {model.LOOKUP_KEY: "SOFTWARE", model.LOOKUP_NAME: "Software"},
    {model.LOOKUP_KEY: "SERVICES", model.LOOKUP_NAME: "Services"},
]
COST_SUBTYPES: list[dict[str, Any]] = [
    {model.LOOKUP_KEY: "LABOR_INTERNAL", model.LOOKUP_NAME: "Internal staff", model.COST_TYPE: "LABOR"},
    {model.LOOKUP_KEY: "LABOR_CONTRACTOR", model.LOOKUP_NAME: "Contractors", model.COST_TYPE: "LABOR"},
    {model.LOOKUP_KEY: "SOFTWARE_LICENSES", model.LOOKUP_NAME: "Licenses", model.COST_TYPE: "SOFTWARE"},
    {model.LOOKUP_KEY: "SOFTWARE_CLOUD", model.LOOKUP_NAME: "Cloud hosting", model.COST_TYPE: "SOFTWARE"},
]
BENEFIT_TYPES: list[dict[str, Any]] = [
    {model.LOOKUP_KEY: "REVENUE", model.LOOKUP_NAME: "Revenue"},
    {model.LOOKUP_KEY: "COST_SAVINGS", model.LOOKUP_NAME: "Cost savings"},
    {model.LOOKUP_KEY: "RISK_REDUCTION", model.LOOKUP_NAME: "Risk reduction"},
]
#: [DOC: api-group-investment-categories/] an investment category is ``{investmentCategoryId, key}``.
INVESTMENT_CATEGORIES: list[dict[str, Any]] = [
    {model.INVESTMENT_CATEGORY_ID: "ic-run", model.LOOKUP_KEY: "RUN"},
    {model.INVESTMENT_CATEGORY_ID: "ic-grow", model.LOOKUP_KEY: "GROW"},
    {model.INVESTMENT_CATEGORY_ID: "ic-transform", model.LOOKUP_KEY: "TRANSFORM"},
]

# (id, name, type, externalId, parentId, status)
_DEMO_FOCUS_AREAS = [
    ("fa-0001", "Customer growth", TYPE_STRATEGY, "STRAT-001", None, "ON_TRACK"),
    ("fa-0002", "Self-serve onboarding", TYPE_PROGRAM, "PRG-001", "fa-0001", "ON_TRACK"),
    ("fa-0003", "Signup funnel redesign", TYPE_PROJECT, "PRJ-001", "fa-0002", "AT_RISK"),
    ("fa-0004", "Trial-to-paid nudges", TYPE_PROJECT, "PRJ-002", "fa-0002", "PENDING"),
    ("fa-0005", "Operational excellence", TYPE_STRATEGY, "STRAT-002", None, "ON_TRACK"),
    ("fa-0006", "Cloud cost reduction", TYPE_PROGRAM, "PRG-002", "fa-0005", "OFF_TRACK"),
]
# (id, name, type, externalId, parentId)
_DEMO_ORGANIZATIONS = [
    ("org-0001", "Engineering", ORG_TYPE_DIVISION, "ORG-ENG", None),
    ("org-0002", "Platform team", ORG_TYPE_TEAM, "ORG-PLAT", "org-0001"),
    ("org-0003", "Marketing", ORG_TYPE_DIVISION, "ORG-MKT", None),
]


def _lookups() -> dict[str, Any]:
    return {
        "focusAreaTypes": {t["id"]: dict(t) for t in FOCUS_AREA_TYPES},
        "organizationTypes": {t["id"]: dict(t) for t in ORGANIZATION_TYPES},
        "costTypes": copy.deepcopy(COST_TYPES),
        "costSubtypes": copy.deepcopy(COST_SUBTYPES),
        "benefitTypes": copy.deepcopy(BENEFIT_TYPES),
        "investmentCategories": copy.deepcopy(INVESTMENT_CATEGORIES),
    }


def _demo_objects() -> dict[str, Any]:
    focus_areas: dict[str, dict[str, Any]] = {}
    for second, (fa_id, name, type_id, external_id, parent_id, status) in enumerate(_DEMO_FOCUS_AREAS):
        stamp = _SEED_TIME.format(second)
        focus_areas[fa_id] = {
            model.FIELD_ID: fa_id,
            model.FIELD_NAME: name,
            model.FIELD_FOCUS_AREA_TYPE_ID: type_id,
            model.FIELD_EXTERNAL_ID: external_id,
            model.FIELD_PARENT_ID: parent_id,
            model.FIELD_OWNER_ACCOUNT_ID: EMULATOR_ACCOUNT_ID,
            model.FIELD_DESCRIPTION: f"Demo focus area {name!r}.",
            model.FIELD_STATUS: status,
            model.FIELD_DRAFT: False,
            model.FIELD_TARGET_DATE: None,
            model.FIELD_CREATED_AT: stamp,
            model.FIELD_UPDATED_AT: stamp,
        }
    organizations: dict[str, dict[str, Any]] = {}
    for second, (org_id, name, type_id, external_id, parent_id) in enumerate(_DEMO_ORGANIZATIONS):
        stamp = _SEED_TIME.format(10 + second)
        organizations[org_id] = {
            model.FIELD_ID: org_id,
            model.FIELD_NAME: name,
            model.FIELD_ORGANIZATION_TYPE_ID: type_id,
            model.FIELD_EXTERNAL_ID: external_id,
            model.FIELD_PARENT_ID: parent_id,
            model.FIELD_CREATED_AT: stamp,
            model.FIELD_UPDATED_AT: stamp,
        }
    stamp = _SEED_TIME.format(20)
    cost_items = {
        "cost-0001": {
            model.COST_ITEM_ID: "cost-0001",
            model.COST_ITEM_EXTERNAL_ID: "COST-001",
            model.FUND_FOCUS_AREA_ID: "fa-0003",
            model.FIELD_NAME: "Funnel squad salaries",
            model.COST_TYPE: "LABOR",
            model.COST_SUBTYPE_KEY: "LABOR_INTERNAL",
            model.EXPENDITURE_TYPE: "OPEX",
            model.INVESTMENT_CATEGORY_KEY: "GROW",
            model.COST_PERIOD_VALUES: [
                {
                    model.FINANCIAL_VERSION_TYPE: "FORECAST",
                    model.TIME_PERIOD_TO_AMOUNT: {"2025-01": 42000, "2025-02": 42000},
                }
            ],
            model.FIELD_CREATED_AT: stamp,
            model.FIELD_UPDATED_AT: stamp,
        }
    }
    benefit_items = {
        "benefit-0001": {
            model.BENEFIT_ITEM_ID: "benefit-0001",
            model.BENEFIT_ITEM_EXTERNAL_ID: "BEN-001",
            model.FUND_FOCUS_AREA_ID: "fa-0003",
            model.FIELD_NAME: "Higher trial conversion",
            model.BENEFIT_TYPE_KEY: "REVENUE",
            model.BENEFIT_PERIOD_VALUES: [
                {model.FINANCIAL_VERSION_TYPE: "FORECAST", model.TIME_PERIOD_TO_AMOUNT: {"2025-Q2": 150000}}
            ],
            model.FIELD_CREATED_AT: stamp,
            model.FIELD_UPDATED_AT: stamp,
        }
    }
    return {
        "focusAreas": focus_areas,
        "organizations": organizations,
        "costItems": cost_items,
        "benefitItems": benefit_items,
        "counters": {"fa": 6, "org": 3, "cost": 1, "benefit": 1},
    }


def seed_state(seed: str) -> dict[str, Any]:
    """
    Return a fresh, JSON-able store state for a seed.

    :param seed: ``"demo"`` or ``"empty"``.
    :raises ValueError: for an unknown seed.
    """
    if seed not in SEEDS:
        raise ValueError(f"Unknown seed {seed!r}; use one of {', '.join(SEEDS)}")
    state: dict[str, Any] = {
        "seed": seed,
        "focusAreas": {},
        "organizations": {},
        "costItems": {},
        "benefitItems": {},
        "counters": {"fa": 0, "org": 0, "cost": 0, "benefit": 0},
    }
    state.update(_lookups())
    if seed == SEED_DEMO:
        state.update(_demo_objects())
    elif seed != SEED_EMPTY:  # pragma: no cover - guarded above
        raise ValueError(seed)
    return state
