from __future__ import annotations

import requests

from airflow_provider_focus.testing import FocusEmulator
from tests.emulator.conftest import Api


def test_faults_over_http(site: Api, focus_emulator: FocusEmulator) -> None:
    control = focus_emulator.url + "/_emulator/faults"

    added = requests.post(control, json={"kind": "rate_limit", "count": 1, "retry_after": 2, "path": "focus-areas"})
    assert added.status_code == 201
    assert added.json()["remaining"] == 1
    assert requests.get(control, timeout=5).json()["faults"][0]["kind"] == "rate_limit"
    assert site.get("focus-areas").status_code == 429
    assert requests.get(control, timeout=5).json()["faults"] == []

    regex = requests.post(control, json={"kind": "server_error", "count": None, "path_regex": "^funds/"}).json()
    assert site.get("funds/cost-type").status_code == 503
    assert requests.delete(f"{control}/{regex['id']}", timeout=5).status_code == 204
    assert site.get("funds/cost-type").status_code == 200
    assert requests.delete(f"{control}/{regex['id']}", timeout=5).status_code == 404

    requests.post(control, json={"kind": "drop_before", "count": 5}, timeout=5)
    assert requests.delete(control, timeout=5).status_code == 204
    assert site.get("focus-areas").status_code == 200
    assert requests.post(control, json={"kind": "explode"}, timeout=5).status_code == 400
    assert requests.post(control, json={"kind": "latency", "bogus": 1}, timeout=5).status_code == 400


def test_request_log_over_http_and_control_calls_are_not_logged(site: Api, focus_emulator: FocusEmulator) -> None:
    site.get("focus-areas", params={"limit": "2"})
    log_url = focus_emulator.url + "/_emulator/requests"

    records = requests.get(log_url, timeout=5).json()["requests"]

    assert len(records) == 1
    assert records[0]["method"] == "GET"
    assert records[0]["path"] == "focus-areas"
    assert records[0]["query"] == {"limit": "2"}
    assert records[0]["status"] == 200
    assert records[0]["auth_mode"] == "basic"
    assert records[0]["root"] == "site"
    assert requests.delete(log_url, timeout=5).status_code == 204
    assert focus_emulator.requests == []


def test_reset_over_http(site: Api, focus_emulator: FocusEmulator) -> None:
    site.post("focus-areas", json={"name": "x", "focusAreaTypeId": "fat-project"})
    focus_emulator.faults.rate_limit(count=None, path="organizations")

    response = requests.post(focus_emulator.url + "/_emulator/reset", json={"seed": "empty"}, timeout=5)

    assert response.json()["counts"]["focusAreas"] == 0
    assert focus_emulator.faults.active() == []
    assert focus_emulator.requests == []
    assert requests.post(focus_emulator.url + "/_emulator/reset", json={"seed": "huge"}, timeout=5).status_code == 400
    requests.post(focus_emulator.url + "/_emulator/reset", timeout=5)
    assert focus_emulator.store.counts()["focusAreas"] == 0


def test_tokens_info_and_state_over_http(focus_emulator: FocusEmulator) -> None:
    token = requests.post(focus_emulator.url + "/_emulator/tokens", json={}, timeout=5).json()["access_token"]
    response = requests.get(
        focus_emulator.cloud_api_root + "/focus-areas", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    info = requests.get(focus_emulator.url + "/_emulator", timeout=5).json()
    state = requests.get(focus_emulator.url + "/_emulator/state", timeout=5).json()

    assert response.status_code == 200
    assert info["cloudApiRoot"] == focus_emulator.cloud_api_root
    assert info["tokenUrl"] == focus_emulator.token_url
    assert sorted(state["focusAreas"]) == [f"fa-000{n}" for n in range(1, 7)]
    assert requests.get(focus_emulator.url + "/_emulator/nothing", timeout=5).status_code == 404


def test_python_reset_restores_the_seed(site: Api, focus_emulator: FocusEmulator) -> None:
    site.patch("focus-areas/fa-0001", json={"name": "Changed"})

    focus_emulator.reset()

    assert focus_emulator.store.focus_area("fa-0001")["name"] == "Customer growth"
    assert focus_emulator.store.focus_area("fa-9999") is None
