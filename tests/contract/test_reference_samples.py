"""
The contract: Atlassian's own samples, kept as data files, each naming the reference page it was read on.

Every sample request is accepted by the emulator, every sample answer is read by the provider's parsers, and the
emulator answers with exactly the documented field names. A sample's ``"<string>"`` placeholders are filled with
values of the emulator's demo seed (the reference's values are placeholders, not data), and the generator's
rendering of an empty map, ``{"empty": true}``, is read as the empty map it stands for.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_focus.api import fund_shapes, model
from airflow_provider_focus.api.pages import Pager
from airflow_provider_focus.testing import EMULATOR_API_TOKEN, EMULATOR_EMAIL, FocusEmulator
from tests.emulator.conftest import Api

SAMPLES = Path(__file__).parent / "samples"
REFERENCE = "https://developer.atlassian.com/cloud/focus/rest/"
PLACEHOLDER = "<string>"

#: Seed values for the placeholders, by field name (the demo seed's cost-0001 and benefit-0001 on fa-0003).
FILL: dict[str, Any] = {
    "focusAreaId": "fa-0003",
    "focusAreaExternalId": "PRJ-001",
    "costItemId": "cost-0001",
    "costItemExternalId": "COST-001",
    "benefitItemId": "benefit-0001",
    "benefitItemExternalId": "BEN-001",
    "name": "Filled from the reference's sample",
    "costType": "LABOR",
    "costSubtypeKey": "LABOR_INTERNAL",
    "investmentCategoryKey": "GROW",
    "benefitTypeKey": "REVENUE",
    # inside expenditureType
    "id": "exp-opex",
    "key": "OPEX",
    "displayName": "Operating expense",
}


def load(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def samples(kind: str) -> list[str]:
    return sorted(path.name for path in SAMPLES.glob("*.json") if load(path.name)["kind"] == kind)


def fill(value: Any, field: str | None = None) -> Any:
    """Replace the sample's placeholders with seed values, field by field."""
    if isinstance(value, dict):
        if value == {"empty": True}:
            return {}
        return {name: fill(inner, name) for name, inner in value.items()}
    if isinstance(value, list):
        return [fill(inner, field) for inner in value]
    if value == PLACEHOLDER:
        assert field in FILL, f"no seed value for the placeholder of {field!r}"
        return FILL[field]
    return value


@pytest.fixture
def site(focus_emulator: FocusEmulator) -> Api:
    return Api(focus_emulator.site_api_root, (EMULATOR_EMAIL, EMULATOR_API_TOKEN))


def test_there_are_samples_of_both_kinds_and_each_names_its_page() -> None:
    assert len(samples("request")) >= 2
    assert len(samples("answer")) >= 5
    for path in SAMPLES.glob("*.json"):
        sample = load(path.name)
        assert sample["source"].startswith(REFERENCE), path.name
        assert {"operation", "method", "path", "kind", "body"} <= set(sample), path.name


@pytest.mark.parametrize("name", samples("request"))
@pytest.mark.parametrize("with_ids", [True, False], ids=["matched-by-id", "created"])
def test_every_sample_request_is_accepted_by_the_emulator(site: Api, name: str, with_ids: bool) -> None:
    sample = load(name)
    body = fill(sample["body"])
    if not with_ids:  # the same item without its id and external id: the bulk endpoint creates it
        for item in body[model.BULK_ITEMS]:
            for field in (model.COST_ITEM_ID, model.COST_ITEM_EXTERNAL_ID):
                item.pop(field, None)
            for field in (model.BENEFIT_ITEM_ID, model.BENEFIT_ITEM_EXTERNAL_ID):
                item.pop(field, None)

    response = site.request(sample["method"], sample["path"], json=body)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer[model.BULK_ERRORS] == []
    assert [result[model.BULK_CREATED] for result in answer[model.BULK_RESULTS]] == [not with_ids]


@pytest.mark.parametrize("name", samples("request"))
def test_the_provider_sends_a_sample_request_unchanged(name: str) -> None:
    body = load(name)["body"]
    for item in body[model.BULK_ITEMS]:
        to_request = (
            fund_shapes.cost_item_request if model.COST_PERIOD_VALUES in item else fund_shapes.benefit_item_request
        )
        assert to_request(item) == (item, [])


def test_the_cost_item_answer_is_read_by_its_documented_names() -> None:
    answer = load("cost_item_get_answer.json")["body"]
    read = fund_shapes.read_cost_item(answer)
    assert read == answer
    assert set(model.COST_ITEM_ANSWER_FIELDS) == set(answer)


def test_the_benefit_item_answer_is_read_by_its_documented_names() -> None:
    answer = load("benefit_item_get_answer.json")["body"]
    assert fund_shapes.read_benefit_item(answer) == answer
    assert set(model.BENEFIT_ITEM_ANSWER_FIELDS) == set(answer)


def test_the_investment_category_answer_is_read_as_one_object() -> None:
    answer = load("investment_category_answer.json")["body"]
    categories, shape = fund_shapes.read_investment_categories(model.INVESTMENT_CATEGORIES, lambda query: answer)
    assert (categories, shape) == ([answer], fund_shapes.SHAPE_OBJECT)


@pytest.mark.parametrize(
    "name", ["focus_areas_list_answer.json", "organizations_list_answer.json", "cost_subtypes_list_answer.json"]
)
def test_the_paginated_envelope_is_read_by_the_pager(name: str) -> None:
    sample = load(name)
    pager = Pager(sample["path"])
    assert pager.next_query() is not None
    assert pager.take(sample["body"]) == [{}]
    assert pager.next_query() is None  # "last": true ends the walk


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("cost_item_get_answer.json", "funds/cost-item/cost-0001"),
        ("benefit_item_get_answer.json", "funds/benefit-item/benefit-0001"),
    ],
)
def test_the_emulator_answers_a_fund_item_with_exactly_the_documented_names(site: Api, name: str, path: str) -> None:
    answer = site.get(path).json()
    assert set(answer) == set(load(name)["body"])


def test_the_emulator_serves_investment_categories_with_exactly_the_documented_names(site: Api) -> None:
    documented = set(load("investment_category_answer.json")["body"])
    entries = site.get(model.INVESTMENT_CATEGORIES).json()[model.PAGE_VALUES]
    assert entries
    assert all(set(entry) == documented for entry in entries)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("focus_areas_list_answer.json", {"limit": "2"}),
        ("organizations_list_answer.json", {"limit": "1"}),
        ("cost_subtypes_list_answer.json", {"limit": "1"}),
    ],
)
def test_the_emulator_pages_carry_only_the_documented_envelope_names(site: Api, name: str, params: dict) -> None:
    sample = load(name)
    documented = set(sample["body"])
    first = site.get(sample["path"], params=params).json()
    assert set(first) == documented  # a page with more to come names every field of the sample
    last = site.get(sample["path"], params={"limit": "100"}).json()
    assert {"values", "last", "totalCount"} <= set(last) <= documented


def test_a_bulk_item_with_a_field_the_reference_does_not_show_is_refused(site: Api) -> None:
    item = fill(copy.deepcopy(load("cost_item_bulk_request.json")["body"][model.BULK_ITEMS][0]))
    item["colour"] = "red"
    answer = site.post(model.COST_ITEM_BULK, json={"items": [item]}).json()
    assert [error["type"] for error in answer[model.BULK_ERRORS]] == ["FORMAT_INVALID"]
    assert "[colour]" in answer[model.BULK_ERRORS][0]["message"]
