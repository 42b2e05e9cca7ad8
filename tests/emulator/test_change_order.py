"""``updatedAt`` moves on every change and lists sort by it with stable ties; keyset cursors survive changes."""

from __future__ import annotations

from typing import Any

import requests

from airflow_provider_focus.testing import FocusEmulator
from tests.emulator.conftest import Api


def walk(site: Api, params: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params = dict(params)
    while True:
        page = site.get("focus-areas", params=params).json()
        items += page["values"]
        if page["last"]:
            return items
        params["cursor"] = page["nextPageCursor"]


def test_status_change_moves_updated_at_and_the_focus_area_to_the_front(
    site: Api, focus_emulator: FocusEmulator
) -> None:
    before = site.get("focus-areas/fa-0004").json()["updatedAt"]

    focus_emulator.set_status("fa-0004", "AT_RISK")

    newest = site.get("focus-areas", params={"sort": "-updatedAt", "limit": "1"}).json()["values"][0]
    assert newest["id"] == "fa-0004"
    assert newest["updatedAt"] > before


def test_updated_at_strictly_increases_per_record_under_a_frozen_clock(
    site: Api, focus_emulator: FocusEmulator
) -> None:
    focus_emulator.set_clock(frozen_at="2030-01-01T00:00:00Z")

    first = focus_emulator.set_status("fa-0001", "AT_RISK")["updatedAt"]
    second = site.patch("focus-areas/fa-0001", json={"description": "x"}).json()["updatedAt"]
    other = focus_emulator.set_status("fa-0002", "AT_RISK")["updatedAt"]

    assert first == "2030-01-01T00:00:00.000Z"
    assert second == "2030-01-01T00:00:00.001Z"
    assert other == first  # two records may tie; one record never repeats a stamp


def test_ties_on_updated_at_come_in_a_stable_order_across_page_boundaries(
    site: Api, focus_emulator: FocusEmulator
) -> None:
    focus_emulator.set_clock(frozen_at="2030-01-01T00:00:00Z")
    for focus_area_id in ("fa-0005", "fa-0002", "fa-0006", "fa-0003", "fa-0001"):
        focus_emulator.set_status(focus_area_id, "PAUSED")

    walked = [item["id"] for item in walk(site, {"sort": "-updatedAt", "limit": "2"})]
    again = [item["id"] for item in walk(site, {"sort": "-updatedAt", "limit": "3"})]
    ascending = [item["id"] for item in walk(site, {"sort": "updatedAt", "limit": "2"})]

    # All five tie at 2030-01-01; ties come in creation order, reversed by a descending sort.
    assert walked == again == ["fa-0006", "fa-0005", "fa-0003", "fa-0002", "fa-0001", "fa-0004"]
    assert ascending == list(reversed(walked))


def test_a_keyset_cursor_is_not_shifted_by_a_change_during_the_walk(site: Api, focus_emulator: FocusEmulator) -> None:
    first = site.get("focus-areas", params={"sort": "-updatedAt", "limit": "2"}).json()
    focus_emulator.set_status("fa-0001", "PAUSED")  # fa-0001 (the oldest) moves to the front, behind the cursor

    rest = site.get("focus-areas", params={"sort": "-updatedAt", "limit": "10", "cursor": first["nextPageCursor"]})

    ids = [item["id"] for item in first["values"]] + [item["id"] for item in rest.json()["values"]]
    assert ids == ["fa-0006", "fa-0005", "fa-0004", "fa-0003", "fa-0002"]


def test_filters_combine_with_sort_and_keyset_cursors(site: Api, focus_emulator: FocusEmulator) -> None:
    focus_emulator.set_status("fa-0003", "PAUSED")

    children = walk(site, {"parentId": "fa-0002", "sort": "-updatedAt", "limit": "1"})
    by_name = walk(site, {"nameContains": "O", "sort": "name", "limit": "1"})
    by_external_id = walk(site, {"externalId": "PRJ-002", "parentId": "fa-0002"})

    assert [item["id"] for item in children] == ["fa-0003", "fa-0004"]
    assert [item["name"] for item in by_name] == [
        "Cloud cost reduction",
        "Customer growth",
        "Operational excellence",
        "Self-serve onboarding",
        "Trial-to-paid nudges",
    ]
    assert [item["id"] for item in by_external_id] == ["fa-0004"]
    page = site.get("focus-areas", params={"nameContains": "o", "limit": "1"}).json()
    assert page["totalCount"] == 5


def test_a_cursor_of_another_sort_is_refused(site: Api) -> None:
    cursor = site.get("focus-areas", params={"sort": "name", "limit": "1"}).json()["nextPageCursor"]

    response = site.get("focus-areas", params={"sort": "-updatedAt", "limit": "1", "cursor": cursor})

    assert response.status_code == 400


def test_a_server_that_ignores_sort_can_be_played(site: Api, focus_emulator: FocusEmulator) -> None:
    focus_emulator.set_status("fa-0004", "PAUSED")
    focus_emulator.ignore_query_parameter("sort")

    ignored = [item["id"] for item in walk(site, {"sort": "-updatedAt", "limit": "4"})]
    focus_emulator.ignore_query_parameter("sort", ignore=False)
    honoured = site.get("focus-areas", params={"sort": "-updatedAt", "limit": "1"}).json()["values"][0]["id"]

    assert ignored == ["fa-0001", "fa-0002", "fa-0003", "fa-0004", "fa-0005", "fa-0006"]
    assert honoured == "fa-0004"


def test_the_clock_over_the_control_api(site: Api, focus_emulator: FocusEmulator) -> None:
    url = focus_emulator.url + "/_emulator/clock"

    frozen = requests.post(url, json={"frozen_at": "2031-05-01T10:00:00Z"}, timeout=5)
    changed = focus_emulator.set_status("fa-0004", "PAUSED")
    bad = requests.post(url, json={"frozen_at": "yesterday"}, timeout=5)
    requests.post(url, json={}, timeout=5)

    assert frozen.status_code == 200
    assert changed["updatedAt"] == "2031-05-01T10:00:00.000Z"
    assert bad.status_code == 400
    assert focus_emulator.set_status("fa-0004", "AT_RISK")["updatedAt"] > "2031-05-01T10:00:00.000Z"
