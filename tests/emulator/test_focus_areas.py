from __future__ import annotations

import pytest

from airflow_provider_focus.api import model
from airflow_provider_focus.testing import EMULATOR_ACCOUNT_ID, FocusEmulator
from tests.emulator.conftest import Api, error_types


def names(response) -> list[str]:
    return [item["name"] for item in response.json()["values"]]


def test_list_returns_the_demo_hierarchy_in_the_envelope(site: Api) -> None:
    response = site.get("focus-areas")

    assert response.status_code == 200
    assert response.headers["Atl-Traceid"]
    page = response.json()
    assert page["totalCount"] == 6
    assert page["last"] is True
    assert "nextPageCursor" not in page
    assert [item["id"] for item in page["values"]] == [f"fa-000{n}" for n in range(1, 7)]
    assert "ancestors" not in page["values"][0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"nameContains": "CLOUD"}, ["Cloud cost reduction"]),
        ({"nameContains": "Re"}, ["Signup funnel redesign", "Cloud cost reduction"]),
        ({"externalId": "PRJ-002"}, ["Trial-to-paid nudges"]),
        ({"externalId": "prj-002"}, []),
        ({"parentId": "fa-0002"}, ["Signup funnel redesign", "Trial-to-paid nudges"]),
        ({"parentId": "fa-0002", "sort": "-name"}, ["Trial-to-paid nudges", "Signup funnel redesign"]),
        ({"sort": "name", "limit": "2"}, ["Cloud cost reduction", "Customer growth"]),
    ],
)
def test_list_filters_and_sorts(site: Api, query: dict[str, str], expected: list[str]) -> None:
    assert names(site.get("focus-areas", params=query)) == expected


def test_sort_by_updated_at_follows_updates(site: Api) -> None:
    site.patch("focus-areas/fa-0004", json={"description": "touched"}).raise_for_status()

    assert names(site.get("focus-areas", params={"sort": "-updatedAt", "limit": "1"})) == ["Trial-to-paid nudges"]
    assert names(site.get("focus-areas", params={"sort": "updatedAt"}))[-1] == "Trial-to-paid nudges"


def test_unknown_sort_is_400(site: Api) -> None:
    response = site.get("focus-areas", params={"sort": "status"})

    assert response.status_code == 400
    assert error_types(response) == ["FORMAT_INVALID"]
    assert "sort" in response.json()["errors"][0]["message"]


def test_get_one_has_ancestors_root_first(site: Api) -> None:
    response = site.get("focus-areas/fa-0003")

    assert response.status_code == 200
    body = response.json()
    assert body["externalId"] == "PRJ-001"
    assert body["ancestors"] == [
        {"id": "fa-0001", "name": "Customer growth"},
        {"id": "fa-0002", "name": "Self-serve onboarding"},
    ]
    assert site.get("focus-areas/fa-0001").json()["ancestors"] == []


def test_unknown_focus_area_is_404_with_error_body(site: Api) -> None:
    response = site.get("focus-areas/fa-9999")

    assert response.status_code == 404
    assert error_types(response) == ["NOT_FOUND"]


def test_create_defaults(site: Api, focus_emulator: FocusEmulator) -> None:
    response = site.post(
        "focus-areas",
        json={"name": "New project", "focusAreaTypeId": "fat-project", "parentId": "fa-0006", "externalId": "X-1"},
    )

    assert response.status_code == 201
    created = response.json()
    assert created["id"] == "fa-0007"
    assert created["status"] == "PENDING"
    assert created["draft"] is False
    assert created["ownerAccountId"] == EMULATOR_ACCOUNT_ID
    assert [a["id"] for a in created["ancestors"]] == ["fa-0005", "fa-0006"]
    assert created["createdAt"].endswith("Z")
    assert focus_emulator.store.counts()["focusAreas"] == 7
    assert site.get("focus-areas/fa-0007").json()["name"] == "New project"


def test_create_keeps_an_explicit_owner_and_allows_top_level(site: Api) -> None:
    created = site.post(
        "focus-areas", json={"name": "Top", "focusAreaTypeId": "fat-program", "ownerAccountId": "someone"}
    ).json()

    assert created["ownerAccountId"] == "someone"
    assert created["parentId"] is None


def test_duplicate_external_ids_are_accepted_and_visible(site: Api) -> None:
    body = {"name": "Dup", "focusAreaTypeId": "fat-project", "externalId": "PRJ-001"}

    assert site.post("focus-areas", json=body).status_code == 201
    matches = site.get("focus-areas", params={"externalId": "PRJ-001"}).json()

    assert matches["totalCount"] == 2


@pytest.mark.parametrize(
    ("body", "error_type", "field"),
    [
        ({"focusAreaTypeId": "fat-project"}, "REQUIRED_FIELD_MISSING", "name"),
        ({"name": "  ", "focusAreaTypeId": "fat-project"}, "REQUIRED_FIELD_MISSING", "name"),
        ({"name": "x"}, "REQUIRED_FIELD_MISSING", "focusAreaTypeId"),
        ({"name": "x", "focusAreaTypeId": "fat-nope"}, "FORMAT_INVALID", "focusAreaTypeId"),
        ({"name": 5, "focusAreaTypeId": "fat-project"}, "FORMAT_INVALID", "name"),
        ({"name": "x", "focusAreaTypeId": "fat-project", "parentId": "fa-9999"}, "FORMAT_INVALID", "parentId"),
        ({"name": "x", "focusAreaTypeId": "fat-strategy", "parentId": "fa-0001"}, "FORMAT_INVALID", "parentId"),
        ({"name": "x", "focusAreaTypeId": "fat-program", "parentId": "fa-0002"}, "FORMAT_INVALID", "parentId"),
        ({"name": "x", "focusAreaTypeId": "fat-project", "status": "ON_TRACK"}, "FIELD_READ_ONLY", "status"),
        ({"name": "x", "focusAreaTypeId": "fat-project", "colour": "red"}, "FORMAT_INVALID", "colour"),
        ({"name": "x", "focusAreaTypeId": "fat-project", "targetDate": "soon"}, "FORMAT_INVALID", "targetDate"),
        ({"name": "x", "focusAreaTypeId": "fat-project", "ownerAccountId": ""}, "FORMAT_INVALID", "ownerAccountId"),
        ({"name": "x", "focusAreaTypeId": "fat-project", "ownerAccountId": " "}, "FORMAT_INVALID", "ownerAccountId"),
    ],
)
def test_create_validation(site: Api, focus_emulator: FocusEmulator, body: dict, error_type: str, field: str) -> None:
    response = site.post("focus-areas", json=body)

    assert response.status_code == 400
    assert error_types(response) == [error_type]
    assert f"[{field}]" in response.json()["errors"][0]["message"]
    assert focus_emulator.store.counts()["focusAreas"] == 6


def test_create_rejects_bodies_that_are_not_objects(site: Api) -> None:
    assert site.post("focus-areas", json=["x"]).status_code == 400
    broken = site.post("focus-areas", data="{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
    assert error_types(broken) == ["FORMAT_INVALID"]


def test_patch_with_update_mask_sets_listed_clears_absent_and_keeps_unlisted(site: Api) -> None:
    response = site.patch(
        "focus-areas/fa-0004",
        params={"updateMask": "name,description"},
        json={"name": "Renamed", "externalId": "IGNORED"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Renamed"
    assert body["description"] is None
    assert body["externalId"] == "PRJ-002"
    assert body["updatedAt"] > body["createdAt"]


def test_patch_without_mask_updates_the_keys_present(site: Api) -> None:
    body = site.patch("focus-areas/fa-0004", json={"externalId": "NEW-1", "ownerAccountId": "acc-2"}).json()

    assert body["externalId"] == "NEW-1"
    assert body["ownerAccountId"] == "acc-2"
    assert body["name"] == "Trial-to-paid nudges"
    assert body["description"] == "Demo focus area 'Trial-to-paid nudges'."


@pytest.mark.parametrize(
    ("mask", "body"),
    [("parentId", {"parentId": "fa-0006"}), ("parentId", {}), ("targetDate", {"targetDate": "2026-03-31"})],
)
def test_patch_refuses_a_parent_or_a_target_date(site: Api, mask: str, body: dict) -> None:
    # [DOC: support article] an update changes name, owner, external id or description only
    response = site.patch("focus-areas/fa-0004", params={"updateMask": mask}, json=body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["type"] == "FORMAT_INVALID"
    assert site.get("focus-areas/fa-0004").json()["parentId"] == "fa-0002"


@pytest.mark.parametrize(
    ("mask", "body", "error_type"),
    [
        ("status", {"status": "AT_RISK"}, "FIELD_READ_ONLY"),
        (None, {"id": "fa-1"}, "FIELD_READ_ONLY"),
        ("focusAreaTypeId", {"focusAreaTypeId": "fat-program"}, "FORMAT_INVALID"),
        ("name", {}, "REQUIRED_FIELD_MISSING"),
        (None, {"name": None}, "REQUIRED_FIELD_MISSING"),
        ("ownerAccountId", {"ownerAccountId": ""}, "FORMAT_INVALID"),
        (None, {"ownerAccountId": "  "}, "FORMAT_INVALID"),
    ],
)
def test_patch_validation(site: Api, mask: str | None, body: dict, error_type: str) -> None:
    params = {"updateMask": mask} if mask else {}
    response = site.patch("focus-areas/fa-0004", params=params, json=body)

    assert response.status_code == 400
    assert error_types(response) == [error_type]
    assert site.get("focus-areas/fa-0004").json()["name"] == "Trial-to-paid nudges"


def test_an_owner_is_cleared_with_null_and_kept_as_sent_otherwise(site: Api) -> None:
    assert site.patch("focus-areas/fa-0004", json={"ownerAccountId": "someone"}).json()["ownerAccountId"] == "someone"
    cleared = site.patch("focus-areas/fa-0004", params={"updateMask": "ownerAccountId"}, json={})
    assert cleared.json()["ownerAccountId"] is None


def test_patch_unknown_is_404(site: Api) -> None:
    assert site.patch("focus-areas/fa-9999", json={"name": "x"}).status_code == 404


def test_unknown_route_and_method(site: Api) -> None:
    missing = site.get("nothing-here")
    assert missing.status_code == 404
    assert error_types(missing) == ["NOT_FOUND"]
    assert site.delete("focus-areas/fa-0001").status_code == 405


def test_web_page_of_a_focus_area(focus_emulator: FocusEmulator) -> None:
    import requests

    page = requests.get(focus_emulator.focus_area_url("fa-0003"), timeout=5)

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Signup funnel redesign" in page.text
    assert "Customer growth" in page.text
    assert requests.get(focus_emulator.url + model.FOCUS_AREA_WEB_PATH.format(focus_area_id="nope")).status_code == 404


def test_empty_seed_has_types_but_no_focus_areas() -> None:
    with FocusEmulator(seed="empty") as fe:
        api = Api(fe.site_api_root, ("emulator@example.com", "emulator-api-token"))
        assert api.get("focus-areas").json()["totalCount"] == 0
        assert api.get("funds/cost-type").json()["totalCount"] == 3
        created = api.post("focus-areas", json={"name": "First", "focusAreaTypeId": "fat-strategy"})
        assert created.json()["id"] == "fa-0001"
