"""The one core: one retry budget per call (look-ups included), token refresh under threads, typed records."""

from __future__ import annotations

import threading

import pytest

from airflow_provider_focus.api.auth import TokenCache
from airflow_provider_focus.api.client import FocusClient
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.exceptions import FocusConfigError, FocusServerError
from tests.unit.conftest import API, CLOUD_API, CLOUD_ID

FA = f"{API}/focus-areas"
TOKEN_URL = "https://auth.atlassian.com/oauth/token"


def test_a_reconciled_create_and_its_look_ups_share_one_budget(hook, requests_mock):
    requests_mock.post(FA, status_code=502, text="<html>bad gateway</html>")
    requests_mock.get(FA, json={"values": [], "last": True})
    with pytest.raises(FocusServerError):
        hook.create_focus_area(name="n", focus_area_type_id="t", externalId="X-1")
    methods = [r.method for r in requests_mock.request_history]
    # max_retries=3: four attempts in all, POSTs and look-ups together (it was up to (3+1)^2 before)
    assert methods == ["POST", "GET", "POST", "GET"]


def test_a_record_with_nan_names_the_record_and_field_and_sends_nothing(hook, requests_mock):
    items = [{"costItemExternalId": "a", "amount": 1.0}, {"costItemExternalId": "b", "amount": float("nan")}]
    with pytest.raises(FocusConfigError, match=r"items\[1\]\.amount is nan") as excinfo:
        hook.bulk_import_cost_items(items)
    assert "nothing was sent" in str(excinfo.value)
    assert requests_mock.call_count == 0


def test_a_nan_record_fails_alone_in_a_fund_import(hook, requests_mock):
    requests_mock.post(f"{API}/funds/cost-item/bulk", json={"results": [{"index": 0, "costItemId": "1"}], "errors": []})
    items = [{"costItemExternalId": "a", "amount": 1.0}, {"costItemExternalId": "b", "amount": float("nan")}]
    report = hook.import_cost_items(items).as_dict()
    assert [(f["externalId"], f["error"]) for f in report["failed"]] == [
        ("b", "item 1: amount is nan, which JSON cannot hold; it was not sent")
    ]
    assert [r.json() for r in requests_mock.request_history] == [{"items": [items[0]]}]


def test_a_401_forgets_only_the_token_it_answered():
    now = [0.0]
    cache = TokenCache(lambda: now[0])
    cache.store("old", 3600)
    cache.invalidate("stale-from-another-thread")
    assert cache.current() == "old"
    cache.invalidate("old")
    assert cache.current() is None


def test_twenty_threads_after_one_expiry_fetch_one_token(requests_mock):
    config = FocusClientConfig.from_connection_fields(
        host=None,
        login="client-id",
        password="client-secret",
        extra={"auth_type": "oauth2_client_credentials", "cloud_id": CLOUD_ID, "max_retries": 2},
    )
    client = FocusClient(config, sleep=lambda _s: None)
    issued: list[str] = []
    lock = threading.Lock()

    def token(_request, _context):
        with lock:
            issued.append(f"t{len(issued)}")
            return {"access_token": issued[-1], "expires_in": 3600}

    def focus_areas(request, context):
        # only the newest token is valid: every request with an older one gets a 401
        if request.headers["Authorization"] != f"Bearer {issued[-1]}":
            context.status_code = 401
            return {"code": 401, "message": "expired"}
        return {"values": [], "last": True}

    requests_mock.post(TOKEN_URL, json=token)
    requests_mock.get(f"{CLOUD_API}/focus-areas", json=focus_areas)
    client.request("GET", "focus-areas")
    issued.append("t-server-side-rotation")  # the cached t0 is now rejected: one expiry for everybody
    start = threading.Barrier(20)
    failures: list[BaseException] = []

    def work() -> None:
        start.wait()
        try:
            client.request("GET", "focus-areas")
        except BaseException as err:
            failures.append(err)

    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    assert issued == ["t0", "t-server-side-rotation", "t2"]  # one new token for twenty threads


def test_twenty_tasks_after_one_expiry_fetch_one_token():
    import asyncio

    import httpx

    from airflow_provider_focus.api.async_client import AsyncFocusClient

    config = FocusClientConfig.from_connection_fields(
        host=None,
        login="client-id",
        password="client-secret",
        extra={"auth_type": "oauth2_client_credentials", "cloud_id": CLOUD_ID, "max_retries": 2},
    )
    issued: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            issued.append(f"t{len(issued)}")
            return httpx.Response(200, json={"access_token": issued[-1], "expires_in": 3600})
        if request.headers["Authorization"] != f"Bearer {issued[-1]}":
            return httpx.Response(401, json={"code": 401, "message": "expired"})
        return httpx.Response(200, json={"values": [], "last": True})

    async def go() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
        async with AsyncFocusClient(config, http=http) as client:
            await client.request("GET", "focus-areas")
            issued.append("t-server-side-rotation")
            await asyncio.gather(*(client.request("GET", "focus-areas") for _ in range(20)))
        await http.aclose()

    asyncio.run(go())
    assert issued == ["t0", "t-server-side-rotation", "t2"]
