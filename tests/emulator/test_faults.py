from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from airflow_provider_focus.api import model
from airflow_provider_focus.testing import FocusEmulator
from tests.emulator.conftest import Api, bearer


def test_rate_limit_hits_exactly_the_next_n_requests(site: Api, focus_emulator: FocusEmulator) -> None:
    fault = focus_emulator.faults.rate_limit(count=2, retry_after=7)

    statuses = [site.get("focus-areas").status_code for _ in range(3)]

    assert statuses == [429, 429, 200]
    limited = site.get("focus-areas")
    assert limited.status_code == 200
    assert fault.applied == 2
    assert focus_emulator.faults.active() == []
    assert [r.fault for r in focus_emulator.requests] == ["rate_limit", "rate_limit", None, None]
    assert [r.status for r in focus_emulator.requests] == [429, 429, 200, 200]


def test_rate_limit_response_carries_retry_after_and_error_body(site: Api, focus_emulator: FocusEmulator) -> None:
    focus_emulator.faults.rate_limit(count=1, retry_after=3)

    response = site.get("focus-areas")

    assert response.status_code == 429
    assert response.headers[model.RETRY_AFTER_HEADER] == "3"
    assert response.headers[model.RATE_LIMIT_RESET_HEADER].endswith("Z")
    assert response.json()["errors"][0]["type"] == "RATE_LIMITED"
    assert response.headers["Atl-Traceid"]


def test_path_and_method_filters(site: Api, focus_emulator: FocusEmulator) -> None:
    focus_emulator.faults.rate_limit(count=None, path="organizations")
    focus_emulator.faults.server_error(count=None, status=502, method="POST", path=re.compile(r"^focus-areas$"))

    assert site.get("focus-areas").status_code == 200
    assert site.get("focus-areas/fa-0001").status_code == 200
    assert site.get("organizations").status_code == 429
    assert site.post("focus-areas", json={"name": "x", "focusAreaTypeId": "fat-project"}).status_code == 502
    assert site.patch("focus-areas/fa-0001", json={"name": "x"}).status_code == 200
    assert focus_emulator.store.counts()["focusAreas"] == 6


def test_faults_skip_the_token_endpoint_unless_asked(focus_emulator: FocusEmulator) -> None:
    focus_emulator.faults.server_error(count=1)
    grant = {
        "grant_type": "client_credentials",
        "client_id": "emulator-client-id",
        "client_secret": "emulator-client-secret",
    }

    assert requests.post(focus_emulator.token_url, json=grant, timeout=5).status_code == 200
    focus_emulator.faults.clear()
    focus_emulator.faults.rate_limit(count=1, root="token")
    assert requests.post(focus_emulator.token_url, json=grant, timeout=5).status_code == 429
    assert requests.post(focus_emulator.token_url, json=grant, timeout=5).status_code == 200


def test_server_error_has_an_html_body_and_optional_retry_after(site: Api, focus_emulator: FocusEmulator) -> None:
    focus_emulator.faults.server_error(count=1, status=503, retry_after=2)
    focus_emulator.faults.server_error(count=1, status=500)

    first = site.get("focus-areas")
    second = site.get("focus-areas")

    assert first.status_code == 503
    assert first.headers["Content-Type"].startswith("text/html")
    assert "<html>" in first.text
    assert first.headers["Retry-After"] == "2"
    assert second.status_code == 500
    assert "Retry-After" not in second.headers
    assert site.get("focus-areas").status_code == 200


def test_latency(site: Api, focus_emulator: FocusEmulator) -> None:
    fault = focus_emulator.faults.latency(0.2, count=1)

    started = time.perf_counter()
    assert site.get("focus-areas").status_code == 200
    slow = time.perf_counter() - started
    site.get("focus-areas")

    assert slow >= 0.2
    assert (fault.applied, fault.remaining) == (1, 0)  # the second request was not delayed
    assert focus_emulator.requests[0].fault is None


def test_latency_combines_with_another_fault(site: Api, focus_emulator: FocusEmulator) -> None:
    focus_emulator.faults.latency(0.1, count=1)
    focus_emulator.faults.rate_limit(count=1)

    started = time.perf_counter()
    assert site.get("focus-areas").status_code == 429
    assert time.perf_counter() - started >= 0.1


def test_drop_before_does_not_apply_the_write(site: Api, focus_emulator: FocusEmulator) -> None:
    focus_emulator.faults.drop_before(count=1)

    with pytest.raises(requests.ConnectionError):
        site.post("focus-areas", json={"name": "Lost", "focusAreaTypeId": "fat-project"})

    assert focus_emulator.store.counts()["focusAreas"] == 6
    record = focus_emulator.requests[-1]
    assert (record.method, record.path, record.status, record.fault) == ("POST", "focus-areas", None, "drop_before")
    assert record.body == {"name": "Lost", "focusAreaTypeId": "fat-project"}
    assert site.get("focus-areas").status_code == 200


def test_drop_after_applies_the_write_but_loses_the_answer(site: Api, focus_emulator: FocusEmulator) -> None:
    focus_emulator.faults.drop_after(count=1, method="POST")

    with pytest.raises(requests.ConnectionError):
        site.post("focus-areas", json={"name": "Ghost write", "focusAreaTypeId": "fat-project"})

    assert [fa["name"] for fa in focus_emulator.store.focus_areas()][-1] == "Ghost write"
    assert focus_emulator.requests[-1].status is None
    assert focus_emulator.requests[-1].fault == "drop_after"
    retry = site.post("focus-areas", json={"name": "Ghost write", "focusAreaTypeId": "fat-project"})
    assert retry.status_code == 201
    assert site.get("focus-areas", params={"nameContains": "ghost"}).json()["totalCount"] == 2


def test_malformed_json_is_a_200_with_a_truncated_body(site: Api, focus_emulator: FocusEmulator) -> None:
    focus_emulator.faults.malformed_json(count=1)

    response = site.get("focus-areas")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(requests.JSONDecodeError):
        response.json()
    assert len(response.content) == int(response.headers["Content-Length"])
    assert site.get("focus-areas").json()["totalCount"] == 6


def test_token_bucket(site: Api, focus_emulator: FocusEmulator) -> None:
    fault = focus_emulator.faults.token_bucket(rate=10, burst=3)

    statuses = [site.get("focus-areas").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = site.get("focus-areas")
    assert refused.headers["Retry-After"] == "1"
    time.sleep(0.15)
    assert site.get("focus-areas").status_code == 200
    assert fault.applied == 2
    assert focus_emulator.requests[3].fault == "token_bucket"


def test_faults_are_counted_exactly_under_concurrency(focus_emulator: FocusEmulator) -> None:
    focus_emulator.faults.rate_limit(count=25)
    root = focus_emulator.site_api_root
    local = threading.local()

    def call(_: int) -> int:
        if not hasattr(local, "api"):
            local.api = Api(root, ("emulator@example.com", "emulator-api-token"))
        return local.api.get("focus-areas/fa-0001").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(call, range(100)))

    assert statuses.count(429) == 25
    assert statuses.count(200) == 75
    assert len(focus_emulator.requests) == 100


def test_faults_apply_on_the_cloud_root_with_bearer(focus_emulator: FocusEmulator) -> None:
    focus_emulator.faults.rate_limit(count=1, path="funds/")
    api = bearer(focus_emulator, focus_emulator.issue_token())

    assert api.get("focus-areas").status_code == 200
    assert api.get("funds/cost-type").status_code == 429
    assert api.get("funds/cost-type").status_code == 200


def test_invalid_fault_arguments(focus_emulator: FocusEmulator) -> None:
    with pytest.raises(ValueError, match="count"):
        focus_emulator.faults.rate_limit(count=0)
    with pytest.raises(ValueError, match="5xx"):
        focus_emulator.faults.server_error(status=429)
    with pytest.raises(ValueError, match="rate"):
        focus_emulator.faults.token_bucket(rate=0, burst=1)


def test_rate_limit_can_ask_for_no_wait(site: Api, focus_emulator: FocusEmulator) -> None:
    focus_emulator.faults.rate_limit(count=1, retry_after=0)

    limited = site.get("focus-areas")

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "0"
