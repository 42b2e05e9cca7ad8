from __future__ import annotations

import pytest

from tests.emulator.conftest import Api, error_types


def test_list_filters_and_sort(site: Api) -> None:
    page = site.get("organizations").json()
    assert [o["id"] for o in page["values"]] == ["org-0001", "org-0002", "org-0003"]
    assert page["totalCount"] == 3

    children = site.get("organizations", params={"parentId": "org-0001"}).json()["values"]
    assert [o["name"] for o in children] == ["Platform team"]
    by_name = site.get("organizations", params={"sort": "-name", "nameContains": "E"}).json()["values"]
    assert [o["name"] for o in by_name] == ["Platform team", "Marketing", "Engineering"]
    assert site.get("organizations", params={"sort": "size"}).status_code == 400


def test_create(site: Api) -> None:
    response = site.post(
        "organizations",
        json={
            "name": "Data team",
            "organizationTypeId": "orgtype-team",
            "parentOrganizationId": "org-0001",
            "externalId": "D",
        },
    )

    assert response.status_code == 201
    created = response.json()
    assert created["id"] == "org-0004"
    assert created["parentId"] == "org-0001"
    assert site.get("organizations", params={"nameContains": "data"}).json()["values"] == [created]


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        ({"organizationTypeId": "orgtype-team"}, "REQUIRED_FIELD_MISSING"),
        ({"name": "x"}, "REQUIRED_FIELD_MISSING"),
        ({"name": "x", "organizationTypeId": "orgtype-guild"}, "FORMAT_INVALID"),
        ({"name": "x", "organizationTypeId": "orgtype-team", "parentOrganizationId": "org-9"}, "FORMAT_INVALID"),
        # [DOC] the parent is parentOrganizationId: parentId is not a field of the request
        ({"name": "x", "organizationTypeId": "orgtype-team", "parentId": "org-0001"}, "FORMAT_INVALID"),
        ({"name": "x", "organizationTypeId": "orgtype-team", "id": "org-9"}, "FIELD_READ_ONLY"),
    ],
)
def test_create_validation(site: Api, body: dict, error_type: str) -> None:
    response = site.post("organizations", json=body)

    assert response.status_code == 400
    assert error_types(response) == [error_type]
