"""
One test (or more) per difference between the provider's old model and Atlassian's reference (issue 15, points 1-13).

Each runs against the emulator (a real HTTP server) through the hook, the services or the operators where users
meet the behaviour; the docs points read the docs and the docstrings.
"""

from __future__ import annotations

import inspect
import logging
from pathlib import Path

import pytest

from airflow_provider_focus.api import fund_shapes, model
from airflow_provider_focus.exceptions import FocusValidationError
from airflow_provider_focus.hooks.focus import FocusHook
from airflow_provider_focus.testing import EMULATOR_API_TOKEN, EMULATOR_EMAIL, FocusEmulator
from tests.emulator.conftest import Api

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def site(focus_emulator: FocusEmulator) -> Api:
    return Api(focus_emulator.site_api_root, (EMULATOR_EMAIL, EMULATOR_API_TOKEN))


@pytest.fixture
def hook(focus_conn: str) -> FocusHook:
    return FocusHook(focus_conn_id=focus_conn)


# 1. GET funds/cost-item/{id} answers externalCostItemId, costSubtypeId, investmentCategoryId


def test_1_the_cost_item_answer_uses_the_answer_names_and_the_hook_reads_them(hook: FocusHook) -> None:
    item = hook.get_cost_item("cost-0001")
    assert set(item) == set(model.COST_ITEM_ANSWER_FIELDS)
    assert item["externalCostItemId"] == "COST-001"
    assert item["costSubtypeId"] == "LABOR_INTERNAL"
    assert item["investmentCategoryId"] == "ic-grow"
    assert item["expenditureType"] == "OPEX"


def test_1_an_answer_in_the_request_names_is_still_read() -> None:
    read = fund_shapes.read_cost_item(
        {"costItemId": "c", "costItemExternalId": "C-1", "costSubtypeKey": "S", "investmentCategoryKey": "RUN"}
    )
    assert (read["externalCostItemId"], read["costSubtypeId"], read["investmentCategoryId"]) == ("C-1", "S", "RUN")


# 2. GET funds/benefit-item/{id} answers benefitItemId, externalBenefitItemId, focusAreaId, name


def test_2_the_benefit_item_answer_has_exactly_the_documented_names(hook: FocusHook) -> None:
    item = hook.get_benefit_item("benefit-0001")
    assert item == {
        "benefitItemId": "benefit-0001",
        "externalBenefitItemId": "BEN-001",
        "focusAreaId": "fa-0003",
        "name": "Higher trial conversion",
    }
    assert fund_shapes.read_benefit_item({"benefitItemExternalId": "B"})["externalBenefitItemId"] == "B"


# 3. PATCH funds/cost-item/{id}: the only supported field is externalCostItemId


def test_3_a_cost_item_patch_sets_externalcostitemid_and_nothing_else(site: Api, hook: FocusHook) -> None:
    assert hook.update_cost_item("cost-0001", {"externalCostItemId": "C-9"})["externalCostItemId"] == "C-9"
    for field, value in (("name", "x"), ("costType", "SOFTWARE"), ("costPeriodValues", [])):
        refused = site.patch("funds/cost-item/cost-0001", params={"updateMask": field}, json={field: value})
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["type"] == "FORMAT_INVALID"
        assert "externalCostItemId" in refused.json()["errors"][0]["message"]


# 4. PATCH funds/benefit-item/{id}: the only supported field is externalId


def test_4_a_benefit_item_patch_sets_externalid_and_nothing_else(site: Api, hook: FocusHook) -> None:
    assert hook.update_benefit_item("benefit-0001", {"externalId": "B-9"})["externalBenefitItemId"] == "B-9"
    refused = site.patch("funds/benefit-item/benefit-0001", params={"updateMask": "name"}, json={"name": "x"})
    assert refused.status_code == 400
    assert "externalId" in refused.json()["errors"][0]["message"]


# 5. The benefit bulk request names the type benefitTypeKey


def test_5_benefittypekey_is_accepted_and_the_deprecated_benefittype_is_mapped_with_a_warning(
    focus_emulator: FocusEmulator, hook: FocusHook, site: Api, caplog: pytest.LogCaptureFixture
) -> None:
    item = {"benefitItemExternalId": "B-2", "name": "Savings", "focusAreaId": "fa-0006"}
    documented = site.post(model.BENEFIT_ITEM_BULK, json={"items": [{**item, "benefitTypeKey": "COST_SAVINGS"}]})
    assert documented.json()["errors"] == []
    refused = site.post(model.BENEFIT_ITEM_BULK, json={"items": [{**item, "benefitType": "COST_SAVINGS"}]})
    assert "[benefitType]" in refused.json()["errors"][0]["message"]

    with caplog.at_level(logging.WARNING):
        report = hook.import_benefit_items([{**item, "benefitItemExternalId": "B-3", "benefitType": "REVENUE"}])
    assert report.failed == []
    assert "'benefitType' is deprecated" in caplog.text
    stored = {b["benefitItemExternalId"]: b for b in focus_emulator.store.benefit_items()}
    assert stored["B-3"]["benefitTypeKey"] == "REVENUE"


# 6. The cost bulk request shows expenditureType as an object {id, order, key, name, displayName}


def test_6_expendituretype_is_an_object_in_the_request_and_a_string_is_mapped(
    hook: FocusHook, site: Api, caplog: pytest.LogCaptureFixture
) -> None:
    item = {"costItemExternalId": "C-2", "name": "Cloud", "focusAreaId": "fa-0006", "costType": "SOFTWARE"}
    as_object = {**item, "expenditureType": {"key": "CAPEX", "name": "Capital", "order": 1}}
    assert site.post(model.COST_ITEM_BULK, json={"items": [as_object]}).json()["errors"] == []
    as_string = site.post(model.COST_ITEM_BULK, json={"items": [{**item, "expenditureType": "OPEX"}]}).json()
    assert "[expenditureType]" in as_string["errors"][0]["message"]

    with caplog.at_level(logging.WARNING):
        report = hook.import_cost_items([{**item, "costItemExternalId": "C-3", "expenditureType": "OPEX"}])
    assert report.failed == []
    assert "expenditureType given as a string" in caplog.text
    assert hook.get_cost_item(report.created[0])["expenditureType"] == "OPEX"
    raw = hook.bulk_import_cost_items([{**item, "costItemExternalId": "C-4", "expenditureType": "CAPEX"}])
    assert raw["errors"] == []


def test_7_a_reset_serves_investment_categories_as_a_page_again(focus_emulator: FocusEmulator, site: Api) -> None:
    focus_emulator.store.investment_category_shape = "object"
    focus_emulator.reset()
    assert "values" in site.get(model.INVESTMENT_CATEGORIES).json()


# 7. funds/investment-category answers {investmentCategoryId, key}, maybe without a page envelope


@pytest.mark.parametrize("shape", ["page", "list", "object"])
def test_7_investment_categories_are_read_whatever_shape_they_come_in(
    focus_emulator: FocusEmulator, hook: FocusHook, shape: str, caplog: pytest.LogCaptureFixture
) -> None:
    focus_emulator.store.investment_category_shape = shape
    with caplog.at_level(logging.INFO):
        categories = hook.list_investment_categories()
    expected = ["RUN", "GROW", "TRANSFORM"] if shape != "object" else ["RUN"]
    assert [category["key"] for category in categories] == expected
    assert all(set(category) == {"investmentCategoryId", "key"} for category in categories)
    assert f"answered with a {shape}" in caplog.text


def test_7_a_paginated_investment_category_answer_is_followed_to_its_end() -> None:
    pages = {
        None: {"values": [{"investmentCategoryId": "1", "key": "A"}], "last": False, "nextPageCursor": "n"},
        "n": {"values": [{"investmentCategoryId": "2", "key": "B"}], "last": True},
    }
    categories, shape = fund_shapes.read_investment_categories("p", lambda query: pages[query.get("cursor")])
    assert ([c["key"] for c in categories], shape) == (["A", "B"], "page")


# 8. Creating an organization is listed under organizations-read-scope


def test_8_creating_an_organization_needs_only_the_read_scope(focus_emulator: FocusEmulator) -> None:
    assert "organizations-write-scope" not in model.Scope.ALL
    assert model.required_scope("POST", "organizations") == model.Scope.ORGANIZATIONS_READ
    focus_emulator.add_user("orgs@example.com", "t", scopes=[model.Scope.ORGANIZATIONS_READ])
    api = Api(focus_emulator.site_api_root, ("orgs@example.com", "t"))
    created = api.post("organizations", json={"name": "Data", "organizationTypeId": "orgtype-team"})
    assert created.status_code == 201


# 9. The organization's parent field is parentOrganizationId


def test_9_the_hook_sends_parentorganizationid_and_maps_the_deprecated_parentid(
    hook: FocusHook, site: Api, caplog: pytest.LogCaptureFixture
) -> None:
    documented = hook.create_organization(
        name="Data", organization_type_id="orgtype-team", parentOrganizationId="org-0001"
    )
    assert documented["parentId"] == "org-0001"  # [MODEL] the answer's name of the parent
    with caplog.at_level(logging.WARNING):
        mapped = hook.create_organization(name="Ops", organization_type_id="orgtype-team", parentId="org-0003")
    assert mapped["parentId"] == "org-0003"
    assert "'parentId' is deprecated" in caplog.text
    body = {"name": "X", "organizationTypeId": "orgtype-team", "parentId": "org-0001"}
    assert site.post("organizations", json=body).status_code == 400


# 10. Focus areas: no target date on create; an update changes name, owner, external id or description only


def test_10_the_emulator_sets_no_target_date_on_create_and_refuses_other_updates(site: Api) -> None:
    create = {"name": "x", "focusAreaTypeId": "fat-project", "targetDate": "2026-01-31"}
    assert site.post("focus-areas", json=create).status_code == 400
    for mask, body in (("parentId", {"parentId": "fa-0006"}), ("targetDate", {"targetDate": "2026-01-31"})):
        assert site.patch("focus-areas/fa-0004", params={"updateMask": mask}, json=body).status_code == 400
    assert {"name", "ownerAccountId", "externalId", "description"} == model.UPDATABLE_FOCUS_AREA_FIELDS


def test_10_the_hook_warns_when_an_update_names_a_field_the_reference_does_not_list(
    hook: FocusHook, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), pytest.raises(FocusValidationError):
        hook.update_focus_area("fa-0004", {"targetDate": "2026-01-31"})
    assert "supports only description, externalId, name, ownerAccountId in an update; targetDate" in caplog.text


def test_10_the_upsert_sends_no_parent_or_target_date_change_and_lists_it(
    focus_emulator: FocusEmulator, hook: FocusHook
) -> None:
    records = [
        {"externalId": "PRJ-002", "parentExternalId": "PRG-002", "targetDate": "2026-06-30", "description": "new"},
        {"externalId": "NEW-1", "name": "New", "focusAreaTypeId": "fat-project", "targetDate": "2026-06-30"},
    ]
    focus_emulator.clear_requests()
    report = hook.upsert_focus_areas(records).as_dict()

    assert report["failed"] == []
    assert len(report["updated"]) == len(report["created"]) == 1
    assert report["not_updatable"] == [
        {"externalId": "PRJ-002", "fields": ["parentId", "targetDate"]},
        {"externalId": "NEW-1", "fields": ["targetDate"]},
    ] or report["not_updatable"] == [
        {"externalId": "NEW-1", "fields": ["targetDate"]},
        {"externalId": "PRJ-002", "fields": ["parentId", "targetDate"]},
    ]
    writes = [r for r in focus_emulator.requests if r.method in ("POST", "PATCH")]
    patch = next(r for r in writes if r.method == "PATCH")
    assert patch.query.get("updateMask") == "description"
    stored = focus_emulator.store.focus_area("fa-0004")
    assert (stored["parentId"], stored["description"]) == ("fa-0002", "new")


# 11. Sort: by name or last updated date


def test_11_there_is_no_sort_by_creation_date(site: Api) -> None:
    assert not any("createdAt" in value for value in model.SORT_VALUES)
    assert site.get("focus-areas", params={"sort": "createdAt"}).status_code == 400
    assert site.get("focus-areas", params={"sort": "-updatedAt"}).status_code == 200


# 12. Every funds endpoint is Experimental: the docs, the hook's and the operators' docstrings say so


def test_12_funds_are_marked_experimental_in_the_docs_the_hook_and_the_operators() -> None:
    from airflow_provider_focus.operators import funds as fund_operators

    page = (DOCS / "api-model.md").read_text(encoding="utf-8")
    assert any("Experimental" in line and "fund" in line.lower() for line in page.splitlines())
    fund_methods = [
        name
        for name, _ in inspect.getmembers(FocusHook, inspect.isfunction)
        if any(word in name for word in ("cost", "benefit", "investment"))
    ]
    assert len(fund_methods) >= 14
    for name in fund_methods:
        assert "Experimental" in (getattr(FocusHook, name).__doc__ or ""), name
    operators = [
        obj
        for _, obj in inspect.getmembers(fund_operators, inspect.isclass)
        if obj.__module__ == fund_operators.__name__ and not obj.__name__.startswith("_")
    ]
    assert operators
    for operator in operators:
        assert "Experimental" in (operator.__doc__ or ""), operator.__name__


# 13. The support article names "List cost items"


def test_13_list_cost_items_is_named_as_documented_by_the_support_article() -> None:
    page = (DOCS / "api-model.md").read_text(encoding="utf-8")
    line = next(line for line in page.splitlines() if "List cost items" in line)
    assert "support article" in line
    assert "undocumented" not in line.lower()
