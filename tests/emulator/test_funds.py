from __future__ import annotations

import pytest

from airflow_provider_focus.api import model
from airflow_provider_focus.testing import FocusEmulator
from tests.emulator.conftest import Api, error_types

PERIODS = [{"financialVersionType": "ACTUAL", "timePeriodToAmount": {"2025-03": 1200.5}}]


@pytest.mark.parametrize(
    ("resource", "keys"),
    [
        (model.COST_TYPES, ["LABOR", "SOFTWARE", "SERVICES"]),
        (model.COST_SUBTYPES, ["LABOR_INTERNAL", "LABOR_CONTRACTOR", "SOFTWARE_LICENSES", "SOFTWARE_CLOUD"]),
        (model.BENEFIT_TYPES, ["REVENUE", "COST_SAVINGS", "RISK_REDUCTION"]),
        (model.INVESTMENT_CATEGORIES, ["RUN", "GROW", "TRANSFORM"]),
    ],
)
def test_lookup_lists_are_paginated(site: Api, resource: str, keys: list[str]) -> None:
    page = site.get(resource).json()
    assert [entry["key"] for entry in page["values"]] == keys
    assert page["totalCount"] == len(keys)

    first = site.get(resource, params={"limit": "1"}).json()
    second = site.get(resource, params={"limit": "1", "cursor": first["nextPageCursor"]}).json()
    assert [first["values"][0]["key"], second["values"][0]["key"]] == keys[:2]


def test_cost_bulk_creates_updates_and_reports_errors(site: Api, focus_emulator: FocusEmulator) -> None:
    items = [
        {
            "costItemExternalId": "C-1",
            "name": "Licences",
            "focusAreaExternalId": "PRJ-002",
            "costType": "SOFTWARE",
            "costPeriodValues": PERIODS,
        },
        {"costItemExternalId": "COST-001", "name": "Renamed salaries"},
        {"costItemId": "cost-0001", "investmentCategoryKey": "RUN"},
        {"name": "No focus area", "costType": "LABOR"},
        {"costItemExternalId": "C-2", "name": "Bad type", "focusAreaId": "fa-0003", "costType": "TRAVEL"},
        {"costItemExternalId": "C-3", "focusAreaId": "fa-0003", "costType": "LABOR"},
        {"costItemId": "cost-9999", "name": "Ghost"},
        {"name": "Bad periods", "focusAreaId": "fa-0003", "costType": "LABOR", "costPeriodValues": [{"x": 1}]},
        {"name": "Unknown FA", "focusAreaExternalId": "NOPE", "costType": "LABOR"},
        "not an object",
    ]

    response = site.post(model.COST_ITEM_BULK, json={"items": items})

    assert response.status_code == 200
    body = response.json()
    assert body["results"] == [
        {"index": 0, "costItemId": "cost-0002", "costItemExternalId": "C-1", "created": True},
        {"index": 1, "costItemId": "cost-0001", "costItemExternalId": "COST-001", "created": False},
        {"index": 2, "costItemId": "cost-0001", "costItemExternalId": "COST-001", "created": False},
    ]
    errors = {error["index"]: error for error in body["errors"]}
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9]
    assert errors[3]["type"] == "REQUIRED_FIELD_MISSING"
    assert errors[4]["type"] == "FORMAT_INVALID"
    assert errors[4]["costItemExternalId"] == "C-2"
    assert errors[5]["type"] == "REQUIRED_FIELD_MISSING"
    assert "[name]" in errors[5]["message"]
    assert errors[6]["type"] == "NOT_FOUND"
    assert errors[6]["costItemId"] == "cost-9999"
    assert "costPeriodValues" in errors[7]["message"]
    assert "focusAreaExternalId" in errors[8]["message"]
    assert focus_emulator.store.counts()["costItems"] == 2

    created = site.get("funds/cost-item/cost-0002").json()
    assert created["focusAreaId"] == "fa-0004"
    assert created["externalCostItemId"] == "C-1"
    assert focus_emulator.store.cost_items()[1]["costPeriodValues"] == PERIODS  # stored, not in the answer [DOC]
    updated = site.get("funds/cost-item/cost-0001").json()
    assert updated["name"] == "Renamed salaries"
    assert updated["investmentCategoryId"] == "ic-run"
    assert updated["costType"] == "LABOR"


def test_cost_bulk_rejects_a_bad_envelope(site: Api) -> None:
    assert error_types(site.post(model.COST_ITEM_BULK, json={})) == ["REQUIRED_FIELD_MISSING"]
    assert error_types(site.post(model.COST_ITEM_BULK, json={"items": {}})) == ["FORMAT_INVALID"]


def test_cost_item_patch_with_update_mask(site: Api) -> None:
    # [DOC] "supported fields are externalCostItemId"; listed but absent clears it
    response = site.patch(
        "funds/cost-item/cost-0001", params={"updateMask": "externalCostItemId"}, json={"externalCostItemId": "C-9"}
    )

    assert response.status_code == 200
    item = response.json()
    assert item["externalCostItemId"] == "C-9"
    assert item["name"] == "Funnel squad salaries"
    cleared = site.patch("funds/cost-item/cost-0001", params={"updateMask": "externalCostItemId"}, json={})
    assert cleared.json()["externalCostItemId"] is None


@pytest.mark.parametrize(
    ("mask", "body", "error_type"),
    [
        ("costItemId", {"costItemId": "x"}, "FORMAT_INVALID"),
        ("name", {"name": "Salaries"}, "FORMAT_INVALID"),
        ("costType", {"costType": "SOFTWARE"}, "FORMAT_INVALID"),
        ("costItemExternalId", {"costItemExternalId": "C-9"}, "FORMAT_INVALID"),
        ("focusAreaId", {}, "FORMAT_INVALID"),
        (None, {"colour": "red"}, "FORMAT_INVALID"),
        (None, {"costPeriodValues": [{"financialVersionType": "BUDGET", "timePeriodToAmount": {}}]}, "FORMAT_INVALID"),
        (
            None,
            {"costPeriodValues": [{"financialVersionType": "ACTUAL", "timePeriodToAmount": {"q": "1"}}]},
            "FORMAT_INVALID",
        ),
    ],
)
def test_cost_item_patch_validation(site: Api, mask: str | None, body: dict, error_type: str) -> None:
    response = site.patch("funds/cost-item/cost-0001", params={"updateMask": mask} if mask else {}, json=body)

    assert response.status_code == 400
    assert error_types(response) == [error_type]
    assert site.get("funds/cost-item/cost-0001").json()["name"] == "Funnel squad salaries"


def test_cost_item_delete(site: Api, focus_emulator: FocusEmulator) -> None:
    response = site.delete("funds/cost-item/cost-0001")

    assert response.status_code == 204
    assert response.content == b""
    assert site.get("funds/cost-item/cost-0001").status_code == 404
    assert site.delete("funds/cost-item/cost-0001").status_code == 404
    assert focus_emulator.store.cost_items() == []


def test_benefit_items_have_the_same_shape(site: Api, focus_emulator: FocusEmulator) -> None:
    body = site.post(
        model.BENEFIT_ITEM_BULK,
        json={
            "items": [
                {
                    "benefitItemExternalId": "B-2",
                    "name": "Savings",
                    "focusAreaId": "fa-0006",
                    "benefitTypeKey": "COST_SAVINGS",
                    "benefitPeriodValues": PERIODS,
                },
                {"benefitItemExternalId": "BEN-001", "benefitTypeKey": "RISK_REDUCTION"},
                {"benefitItemExternalId": "B-3", "name": "x", "focusAreaId": "fa-0006", "benefitTypeKey": "LABOR"},
            ]
        },
    ).json()

    assert [(r["benefitItemId"], r["created"]) for r in body["results"]] == [
        ("benefit-0002", True),
        ("benefit-0001", False),
    ]
    assert [(e["index"], e["benefitItemExternalId"], e["type"]) for e in body["errors"]] == [
        (2, "B-3", "FORMAT_INVALID")
    ]
    assert focus_emulator.store.benefit_items()[0]["benefitTypeKey"] == "RISK_REDUCTION"
    patched = site.patch(
        "funds/benefit-item/benefit-0002", params={"updateMask": "externalId"}, json={"externalId": "B-9"}
    )
    assert patched.json()["externalBenefitItemId"] == "B-9"
    refused = site.patch("funds/benefit-item/benefit-0002", params={"updateMask": "benefitPeriodValues"}, json={})
    assert refused.status_code == 400
    assert site.delete("funds/benefit-item/benefit-0002").status_code == 204
    assert [b["benefitItemId"] for b in focus_emulator.store.benefit_items()] == ["benefit-0001"]
    assert site.get("funds/benefit-item/benefit-0404").status_code == 404


def test_fund_scopes(focus_emulator: FocusEmulator) -> None:
    focus_emulator.add_user("funds@example.com", "t", scopes=[model.Scope.FUNDS_READ])
    api = Api(focus_emulator.site_api_root, ("funds@example.com", "t"))

    assert api.get("funds/cost-item/cost-0001").status_code == 200
    assert api.post(model.COST_ITEM_BULK, json={"items": []}).status_code == 403
    assert api.delete("funds/cost-item/cost-0001").status_code == 403
    assert focus_emulator.store.counts()["costItems"] == 1
