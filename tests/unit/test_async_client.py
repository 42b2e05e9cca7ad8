"""The async client makes the sync client's decisions: retries, waits, errors, auth, headers (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from airflow_provider_focus.api.async_client import USER_AGENT, AsyncFocusClient
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.exceptions import (
    FocusAuthError,
    FocusConnectionError,
    FocusError,
    FocusNotFoundError,
    FocusRateLimitError,
    FocusResponseError,
    FocusServerError,
)
from tests.unit.conftest import API, CLOUD_ID, EMAIL, TOKEN

TOKEN_URL = "https://auth.atlassian.com/oauth/token"
Handler = Callable[[httpx.Request], httpx.Response]


class Harness:
    """An async client on a MockTransport that answers from a script and records requests, waits and secrets."""

    def __init__(self, answers: list[Any], **fields: Any) -> None:
        extra = {"max_retries": 3, **fields.pop("extra", {})}
        config = FocusClientConfig.from_connection_fields(
            host=fields.pop("host", "acme.atlassian.net"),
            login=fields.pop("login", EMAIL),
            password=fields.pop("password", TOKEN),
            extra=extra,
        )
        self.answers = list(answers)
        self.sent: list[httpx.Request] = []
        self.waits: list[float] = []
        self.secrets: list[str] = []

        def handle(request: httpx.Request) -> httpx.Response:
            self.sent.append(request)
            answer = self.answers.pop(0)
            if isinstance(answer, BaseException):
                raise answer
            return answer(request) if callable(answer) else answer

        async def sleep(seconds: float) -> None:
            self.waits.append(seconds)

        async def sink(secret: str) -> None:
            self.secrets.append(secret)

        http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
        self.client = AsyncFocusClient(config, http=http, secret_sink=sink, sleep=sleep)

    def run(self, method: str = "GET", path: str = "focus-areas/fa-1", **kwargs: Any) -> Any:
        async def go() -> Any:
            async with self.client:
                return await self.client.request(method, path, **kwargs)

        return asyncio.run(go())


def ok(body: Any = None, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body if body is not None else {"id": "fa-1"})


def status(code: int, **headers: str) -> httpx.Response:
    return httpx.Response(code, json={"errors": [{"type": "X", "message": "m"}]}, headers=headers)


def test_get_sends_basic_auth_user_agent_and_query_and_decodes_json():
    h = Harness([ok({"values": []})])
    assert h.run("get", "/focus-areas/", params={"nameContains": "x", "sort": None}) == {"values": []}
    (sent,) = h.sent
    assert str(sent.url) == f"{API}/focus-areas?nameContains=x"
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    assert sent.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("airflow-provider-focus/")
    assert h.secrets == [base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()]


def test_post_sends_json_and_empty_body_is_none():
    h = Harness([httpx.Response(204)])
    assert h.run("POST", "focus-areas", json={"name": "n"}) is None
    assert json.loads(h.sent[0].content) == {"name": "n"}


def test_429_waits_as_told_then_succeeds():
    h = Harness([status(429, **{"Retry-After": "2"}), status(429, **{"Retry-After": "999"}), ok()])
    assert h.run() == {"id": "fa-1"}
    assert h.waits == [2.0, 60.0]  # capped at max_retry_wait


def test_429_storm_ends_in_rate_limit_error_after_max_retries():
    h = Harness([status(429, **{"Retry-After": "1"})] * 4, extra={"rate_limit_budget": 0})
    with pytest.raises(FocusRateLimitError, match="HTTP 429"):
        h.run()
    assert len(h.sent) == 4
    assert h.waits == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("method", "code", "attempts"),
    [("GET", 500, 4), ("POST", 500, 1), ("POST", 503, 4), ("GET", 404, 1), ("PATCH", 502, 4)],
)
def test_retry_decisions_follow_the_policy(method, code, attempts):
    h = Harness([status(code)] * 4)
    with pytest.raises((FocusServerError, FocusNotFoundError)):
        h.run(method, "focus-areas")
    assert len(h.sent) == attempts


def test_non_json_success_is_retried_for_get_and_then_raised():
    h = Harness([httpx.Response(200, text="<html>"), ok()])
    assert h.run() == {"id": "fa-1"}
    h = Harness([httpx.Response(200, text="<html>")] * 4)
    with pytest.raises(FocusResponseError, match="not valid JSON"):
        h.run()


def test_connection_never_made_is_retried_even_for_post():
    h = Harness([httpx.ConnectError("refused"), ok()])
    assert h.run("POST", "focus-areas", json={}) == {"id": "fa-1"}


def test_read_timeout_after_sending_is_not_retried_for_post_but_is_for_get():
    h = Harness([httpx.ReadTimeout("slow")])
    with pytest.raises(FocusConnectionError, match="may have taken effect"):
        h.run("POST", "focus-areas", json={})
    assert len(h.sent) == 1
    h = Harness([httpx.RemoteProtocolError("dropped"), ok()])
    assert h.run() == {"id": "fa-1"}


def test_unknown_host_is_not_retried():
    error = httpx.ConnectError("no host")
    error.__cause__ = socket.gaierror(-2, "Name or service not known")
    h = Harness([error])
    with pytest.raises(FocusConnectionError, match="could not be resolved") as caught:
        h.run()
    assert caught.value.transient is False
    assert len(h.sent) == 1


def test_delete_404_after_an_answerless_attempt_counts_as_done():
    h = Harness([httpx.ReadError("lost"), status(404)])
    assert h.run("DELETE", "funds/cost-item/c-1") is None


def cc_harness(answers: list[Any]) -> Harness:
    return Harness(
        answers,
        host=None,
        login="client-id",
        password="client-secret-value",
        extra={"cloud_id": CLOUD_ID, "auth_type": "oauth2_client_credentials"},
    )


def token(value: str) -> httpx.Response:
    return httpx.Response(200, json={"access_token": value, "expires_in": 3600, "token_type": "Bearer"})


def test_client_credentials_fetch_once_cache_and_refresh_once_after_401():
    h = cc_harness([token("at-1"), ok(), ok(), status(401), token("at-2"), ok()])

    async def go() -> None:
        async with h.client:
            for _ in range(3):
                await h.client.request("GET", "focus-areas/fa-1")

    asyncio.run(go())
    urls = [str(r.url) for r in h.sent]
    assert urls.count(TOKEN_URL) == 2
    assert json.loads(h.sent[0].content) == {
        "grant_type": "client_credentials",
        "client_id": "client-id",
        "client_secret": "client-secret-value",
    }
    assert "Authorization" not in h.sent[0].headers
    assert [r.headers.get("Authorization") for r in h.sent[1:4]] == ["Bearer at-1"] * 3
    assert h.sent[-1].headers["Authorization"] == "Bearer at-2"
    assert h.secrets == ["at-1", "at-2"]


def test_client_credentials_second_401_is_an_auth_error():
    h = cc_harness([token("at-1"), status(401), token("at-2"), status(401)])
    with pytest.raises(FocusAuthError, match="HTTP 401"):
        h.run()


def test_rejected_client_secret_is_an_auth_error_that_names_the_fix():
    h = cc_harness([httpx.Response(401, json={"error": "access_denied", "error_description": "bad secret"})])
    with pytest.raises(FocusAuthError, match="client id or secret was rejected"):
        h.run()


def test_static_bearer_token():
    h = Harness(
        [ok()], host=None, login=None, password="at-static", extra={"cloud_id": CLOUD_ID, "auth_type": "oauth2_token"}
    )
    h.run()
    assert h.sent[0].headers["Authorization"] == "Bearer at-static"


# --- pagination ------------------------------------------------------------------------------------------------


def pages(count: int, size: int = 2) -> Handler:
    """Answer ``GET focus-areas`` with ``count`` pages of ``size`` items, following the cursor."""

    def answer(request: httpx.Request) -> httpx.Response:
        cursor = int(request.url.params.get("cursor", "0"))
        last = cursor == count - 1
        body: dict[str, Any] = {"values": [{"id": f"{cursor}-{i}"} for i in range(size)], "last": last}
        if not last:
            body["nextPageCursor"] = str(cursor + 1)
        return httpx.Response(200, json=body)

    return answer


def collect(h: Harness, **kwargs: Any) -> list[Any]:
    async def go() -> list[Any]:
        async with h.client:
            return [item async for item in h.client.paginate("focus-areas", **kwargs)]

    return asyncio.run(go())


def test_paginate_is_lazy():
    h = Harness([pages(3)] * 3)

    async def go() -> None:
        async with h.client:
            items = h.client.paginate("focus-areas", page_size=2)
            assert h.sent == []
            assert await anext(items) == {"id": "0-0"}
            assert len(h.sent) == 1
            await anext(items)
            assert len(h.sent) == 1
            assert await anext(items) == {"id": "1-0"}
            assert len(h.sent) == 2
            assert h.sent[-1].url.params["cursor"] == "1"
            assert h.sent[-1].url.params["limit"] == "2"
            assert len([item async for item in items]) == 3
            assert len(h.sent) == 3

    asyncio.run(go())


def test_paginate_max_items_stops_early_and_shrinks_the_page():
    h = Harness([pages(5)] * 5)
    assert [i["id"] for i in collect(h, max_items=3, page_size=10)] == ["0-0", "0-1", "1-0"]
    assert len(h.sent) == 2
    assert h.sent[0].url.params["limit"] == "3"
    assert collect(Harness([]), max_items=0) == []


def test_paginate_stops_without_next_cursor_even_if_not_last():
    assert collect(Harness([ok({"values": [{"id": 1}], "last": False})])) == [{"id": 1}]


def test_paginate_refuses_a_cursor_loop():
    same = ok({"values": [{"id": 1}], "last": False, "nextPageCursor": "same"})
    with pytest.raises(FocusError, match="cursor 'same' twice"):
        collect(Harness([same, same, same]))


def test_paginate_rejects_a_body_that_is_not_a_page():
    with pytest.raises(FocusResponseError, match="'values'"):
        collect(Harness([httpx.Response(200, json=[1, 2])]))


def test_paginate_retries_a_page_like_any_call():
    h = Harness([status(503), pages(1)])
    assert collect(h) == [{"id": "0-0"}, {"id": "0-1"}]
    assert len(h.waits) == 1
