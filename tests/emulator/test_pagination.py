from __future__ import annotations

from airflow_provider_focus.api import model
from airflow_provider_focus.testing import EMULATOR_API_TOKEN, EMULATOR_EMAIL, FocusEmulator
from tests.emulator.conftest import Api, error_types


def make_focus_areas(fe: FocusEmulator, count: int) -> None:
    for number in range(count):
        fe.store.create_focus_area({"name": f"Bulk {number:03d}", "focusAreaTypeId": "fat-project"}, "acct")


def test_default_page_size_and_cap(site: Api, focus_emulator: FocusEmulator) -> None:
    make_focus_areas(focus_emulator, model.MAX_PAGE_SIZE + 20)

    default = site.get("focus-areas").json()
    capped = site.get("focus-areas", params={"limit": "1000"}).json()

    assert len(default["values"]) == model.DEFAULT_PAGE_SIZE
    assert len(capped["values"]) == model.MAX_PAGE_SIZE
    assert capped["totalCount"] == model.MAX_PAGE_SIZE + 26
    assert capped["last"] is False
    assert capped["nextPageCursor"]


def test_cursor_walk_visits_every_item_once(site: Api, focus_emulator: FocusEmulator) -> None:
    make_focus_areas(focus_emulator, 11)
    seen: list[str] = []
    cursors: list[str] = []
    params = {"limit": "4", "nameContains": "bulk"}

    while True:
        page = site.get("focus-areas", params=params).json()
        seen += [item["id"] for item in page["values"]]
        if page["last"]:
            assert "nextPageCursor" not in page
            break
        cursors.append(page["nextPageCursor"])
        params["cursor"] = page["nextPageCursor"]

    assert len(seen) == 11
    assert len(set(seen)) == 11
    assert len(cursors) == 2
    assert [r.query.get("cursor") for r in focus_emulator.requests] == [None, *cursors]


def test_page_cap_is_configurable() -> None:
    with FocusEmulator(page_cap=2) as fe:
        api = Api(fe.site_api_root, (EMULATOR_EMAIL, EMULATOR_API_TOKEN))
        page = api.get("focus-areas", params={"limit": "50"}).json()
        assert len(page["values"]) == 2
        second = api.get("focus-areas", params={"cursor": page["nextPageCursor"]}).json()
        assert [v["id"] for v in second["values"]] == ["fa-0003", "fa-0004"]


def test_bad_cursor_is_400(site: Api) -> None:
    response = site.get("focus-areas", params={"cursor": "garbage"})

    assert response.status_code == 400
    assert error_types(response) == ["INVALID_CURSOR"]


def test_cursor_of_another_listing_is_400(site: Api) -> None:
    cursor = site.get("focus-areas", params={"limit": "2"}).json()["nextPageCursor"]

    other_filter = site.get("focus-areas", params={"limit": "2", "cursor": cursor, "parentId": "fa-0002"})
    other_resource = site.get("organizations", params={"limit": "2", "cursor": cursor})

    assert error_types(other_filter) == ["INVALID_CURSOR"]
    assert error_types(other_resource) == ["INVALID_CURSOR"]
    assert site.get("focus-areas", params={"limit": "3", "cursor": cursor}).status_code == 200


def test_bad_limit_is_400(site: Api) -> None:
    for value in ("0", "-1", "ten"):
        response = site.get("focus-areas", params={"limit": value})
        assert response.status_code == 400
        assert error_types(response) == ["FORMAT_INVALID"]
