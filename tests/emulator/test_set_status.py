"""A focus area's status is read-only over the API; tests and DAG authors move it with set_status or the control API."""

from __future__ import annotations

import pytest
import requests

from airflow_provider_focus.testing import FocusEmulator
from airflow_provider_focus.testing.errors import ApiError
from tests.emulator.conftest import Api


def test_set_status_from_python_is_what_the_api_returns(site: Api, focus_emulator: FocusEmulator) -> None:
    before = site.get("focus-areas/fa-0004").json()

    changed = focus_emulator.set_status("fa-0004", "COMPLETED")

    after = site.get("focus-areas/fa-0004").json()
    assert before["status"] == "PENDING"
    assert changed["status"] == after["status"] == "COMPLETED"
    assert after["updatedAt"] >= before["updatedAt"]
    assert after["ancestors"] == before["ancestors"]


def test_set_status_refuses_unknown_status_and_focus_area(focus_emulator: FocusEmulator) -> None:
    with pytest.raises(ApiError) as unknown_status:
        focus_emulator.set_status("fa-0004", "DONE")
    assert unknown_status.value.status == 400
    with pytest.raises(ApiError) as unknown_id:
        focus_emulator.set_status("fa-9999", "COMPLETED")
    assert unknown_id.value.status == 404


def test_set_status_over_http(site: Api, focus_emulator: FocusEmulator) -> None:
    url = focus_emulator.url + "/_emulator/focus-areas/fa-0003/status"

    response = requests.post(url, json={"status": "CANCELLED"}, timeout=5)

    assert response.status_code == 200
    assert response.json()["status"] == "CANCELLED"
    assert site.get("focus-areas/fa-0003").json()["status"] == "CANCELLED"
    assert requests.post(url, json={"status": "nope"}, timeout=5).status_code == 400
    assert requests.post(url, timeout=5).status_code == 400
    missing = focus_emulator.url + "/_emulator/focus-areas/fa-9999/status"
    assert requests.post(missing, json={"status": "COMPLETED"}, timeout=5).status_code == 404
    assert [r.path for r in focus_emulator.requests] == ["focus-areas/fa-0003"]


def test_status_stays_read_only_over_the_api(site: Api) -> None:
    response = site.patch("focus-areas/fa-0004", json={"status": "COMPLETED"})
    assert response.status_code == 400
    assert site.get("focus-areas/fa-0004").json()["status"] == "PENDING"
