"""
The wire against a real loopback server that misbehaves: every call bounded, every answer typed, no credential
sent to a second origin -- the same for the sync (requests) and the async (httpx) client.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from typing import Any

import pytest

from airflow_provider_focus.api.async_client import AsyncFocusClient
from airflow_provider_focus.api.calls import EXPECT_CREATED, EXPECT_OBJECT
from airflow_provider_focus.api.client import FocusClient
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.exceptions import (
    FocusAuthError,
    FocusConfigError,
    FocusConnectionError,
    FocusError,
    FocusRedirectError,
    FocusResponseError,
)
from tests.unit import rogue
from tests.unit.conftest import CLOUD_ID

TRANSPORTS = ["sync", "async"]
EMAIL = "robot@example.com"
API_TOKEN = "api-token-SECRET-1"
ACCESS_TOKEN = "access-token-SECRET-2"
CLIENT_SECRET = "client-secret-SECRET-3"
ISSUED_TOKEN = "issued-token-SECRET-4"
SECRETS = (API_TOKEN, ACCESS_TOKEN, CLIENT_SECRET, ISSUED_TOKEN)
AUTH_TYPES = ["api_token", "oauth2_token", "oauth2_client_credentials"]


def config_for(server: rogue.Rogue, auth_type: str = "api_token", **extra: Any) -> FocusClientConfig:
    """A configuration whose API root (and token endpoint) is the rogue server."""
    fields: dict[str, Any] = {"base_url": f"{server.url}/v1", "timeout": 1.0, "max_retries": 1, **extra}
    login: str | None = EMAIL
    password = API_TOKEN
    if auth_type != "api_token":
        fields.update(auth_type=auth_type, cloud_id=CLOUD_ID)
        fields.setdefault("token_url", f"{server.url}/oauth/token")
        login, password = (
            ("client-id", CLIENT_SECRET) if auth_type == "oauth2_client_credentials" else (None, ACCESS_TOKEN)
        )
    return FocusClientConfig.from_connection_fields(host=None, login=login, password=password, extra=fields)


def call(transport: str, config: FocusClientConfig, method: str = "GET", path: str = "focus-areas/1", **kwargs: Any):
    """Make one call with the chosen client (no waits between attempts); return its value or raise its error."""
    if transport == "sync":
        client = FocusClient(config, sleep=lambda _s: None)
        try:
            return client.request(method, path, **kwargs)
        finally:
            client.close()

    async def no_wait(_seconds: float) -> None:
        return None

    async def go() -> Any:
        async with AsyncFocusClient(config, sleep=no_wait) as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


def with_token(api: rogue.Behaviour) -> rogue.Behaviour:
    """Answer the token endpoint properly and everything else with ``api``."""
    token = rogue.answer(200, json.dumps({"access_token": ISSUED_TOKEN, "expires_in": 3600}).encode())

    def behave(conn: socket.socket, seen: rogue.Seen) -> None:
        (token if seen.path.startswith("/oauth/token") else api)(conn, seen)

    return behave


def graph_text(error: BaseException) -> str:
    """Everything an exception's graph holds, as text: messages, args, attributes, causes and contexts."""
    texts: list[str] = []
    seen: set[int] = set()
    pending: list[Any] = [error]
    while pending:
        item = pending.pop()
        if id(item) in seen or item is None:
            continue
        seen.add(id(item))
        if isinstance(item, BaseException):
            texts.append(f"{type(item).__name__}: {item}")
            pending.extend([item.__cause__, item.__context__, *item.args, *vars(item).values()])
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple, set)):
            pending.extend(item)
        elif isinstance(item, bytes):
            texts.append(item.decode("latin-1"))
        else:
            texts.append(repr(item) if not isinstance(item, str) else item)
    return "\n".join(texts)


def assert_no_secret(error: BaseException) -> None:
    text = graph_text(error)
    for secret in SECRETS:
        assert secret not in text


# --- every call bounded --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "behaviour",
    [rogue.trickle(every=0.05), rogue.trickle_headers(every=0.05), rogue.stall(30)],
    ids=["trickle", "trickle_headers", "stall"],  # stable ids: xdist workers must collect the same names
)
def test_a_trickling_or_stalled_server_cannot_hold_a_call_past_its_bound(transport, behaviour):
    with rogue.rogue_server(behaviour) as server:
        config = config_for(server, timeout=0.5, max_retries=1)
        started = time.monotonic()
        with pytest.raises(FocusConnectionError) as excinfo:
            call(transport, config)
        elapsed = time.monotonic() - started
    # two attempts of 0.5 s each; without the deadline one attempt would last 50 s (trickle) or 30 s (stall)
    assert elapsed < (1 + 1) * 0.5 + 2.0
    assert excinfo.value.timed_out
    assert len(server.seen) == 2


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_trickling_tls_handshake_cannot_hold_a_call_past_its_bound(transport):
    # The handshake happens before the request is written: the deadline must already watch the new socket.
    with rogue.tls_trickle_server(every=0.05) as server:
        https_root = f"https://127.0.0.1:{server.port}/v1"
        config = FocusClientConfig.from_connection_fields(
            host=None,
            login=EMAIL,
            password=API_TOKEN,
            extra={"base_url": https_root, "timeout": 0.5, "max_retries": 1},
        )
        started = time.monotonic()
        with pytest.raises(FocusConnectionError) as excinfo:
            call(transport, config)
        elapsed = time.monotonic() - started
    # two attempts of 0.5 s; bounded per read only, one attempt would last 16384 x 0.05 s
    assert elapsed < (1 + 1) * 0.5 + 2.0
    assert not excinfo.value.may_have_taken_effect  # the handshake never finished: nothing was sent
    assert "The request was not sent" in str(excinfo.value)
    assert_no_secret(excinfo.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_create_whose_tls_handshake_timed_out_is_sent_again_not_reported_as_maybe_applied(transport):
    # A POST may be repeated only when it surely never left. A handshake that times out is such a case, so the
    # create is tried again (a second connection) instead of ending as "no answer; it may have taken effect".
    with rogue.tls_trickle_server(every=0.05) as server:
        config = FocusClientConfig.from_connection_fields(
            host=None,
            login=EMAIL,
            password=API_TOKEN,
            extra={"base_url": f"https://127.0.0.1:{server.port}/v1", "timeout": 0.5, "max_retries": 1},
        )
        with pytest.raises(FocusConnectionError) as excinfo:
            call(transport, config, "POST", "focus-areas", json={"name": "x"})
        accepted = server.accepted
    assert accepted == 2
    assert not excinfo.value.may_have_taken_effect
    assert not excinfo.value.timed_out


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_token_fetch_counts_against_the_attempt_deadline(transport):
    def behave(conn: socket.socket, seen: rogue.Seen) -> None:
        if seen.path.startswith("/oauth/token"):
            rogue.trickle(every=0.05)(conn, seen)

    with rogue.rogue_server(behave) as server:
        config = config_for(server, "oauth2_client_credentials", timeout=0.5, max_retries=1)
        started = time.monotonic()
        with pytest.raises(FocusConnectionError, match="token endpoint") as excinfo:
            call(transport, config)
        assert time.monotonic() - started < 2 * 0.5 + 2.0
    assert_no_secret(excinfo.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("behaviour", "error"),
    [
        (rogue.cut_short(), FocusConnectionError),  # a body shorter than its Content-Length
        (rogue.close_without_answer(), FocusConnectionError),
        (rogue.close_after_headers(), FocusResponseError),  # an empty 200 where JSON is expected
        (rogue.answer(200, b""), FocusResponseError),
        (rogue.answer(204, b""), FocusResponseError),  # the caller needs an object
        (rogue.answer(200, b"null"), FocusResponseError),
        (rogue.answer(200, b"[]"), FocusResponseError),
        (rogue.answer(200, b"[" * 100_000 + b"]" * 100_000), FocusResponseError),
        (rogue.answer(200, b'{"id": "x"'), FocusResponseError),
    ],
    ids=[
        "short-body",
        "no-answer",
        "headers-then-close",
        "empty-200",
        "empty-204",
        "null",
        "empty-list",
        "100k-deep",
        "cut-json",
    ],
)
def test_an_answer_cut_short_or_of_the_wrong_shape_is_an_error_never_none(transport, behaviour, error):
    with rogue.rogue_server(behaviour) as server, pytest.raises(error):
        call(transport, config_for(server), expect=EXPECT_OBJECT)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_create_answered_without_an_id_is_an_error(transport):
    with rogue.rogue_server(rogue.answer(201, b'{"name": "x"}')) as server:
        with pytest.raises(FocusResponseError, match="'id'"):
            call(transport, config_for(server), "POST", "focus-areas", json={"name": "x"}, expect=EXPECT_CREATED)
        assert len(server.seen) == 1  # a POST is not sent again


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_body_larger_than_the_cap_is_not_read(transport):
    big = b'{"values": ["' + b"x" * 3_000_000 + b'"]}'
    with rogue.rogue_server(rogue.answer(200, big)) as server:
        config = config_for(server, max_response_bytes="1000000")  # the connection's extra, as a form sends it
        assert config.max_response_bytes == 1_000_000
        with pytest.raises(FocusResponseError, match="max_response_bytes"):
            call(transport, config)
        assert call(transport, config_for(server, max_response_bytes=4_000_000))["values"][0][:3] == "xxx"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_long_error_message_is_cut(transport):
    body = json.dumps({"errors": [{"type": "T" * 10_000, "message": "m" * 1_000_000}] * 8}).encode()
    with rogue.rogue_server(rogue.answer(400, body)) as server, pytest.raises(FocusError) as excinfo:
        call(transport, config_for(server))
    assert len(str(excinfo.value)) < 3000


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_error_body_in_any_charset_is_read(transport):
    body = "Erreur: accès refusé".encode("utf-16")
    for charset in ("utf-16", "x-no-such-charset", "base64"):
        headers = {"Content-Type": f"text/plain; charset={charset}"}
        with rogue.rogue_server(rogue.answer(400, body, headers)) as server, pytest.raises(FocusError):
            call(transport, config_for(server))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_connection_refused_keeps_its_meaning(transport):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = FocusClientConfig.from_connection_fields(
        host=None, login=EMAIL, password=API_TOKEN, extra={"base_url": f"http://127.0.0.1:{port}/v1", "max_retries": 0}
    )
    with pytest.raises(FocusConnectionError, match="Connection refused") as excinfo:
        call(transport, config)
    assert not excinfo.value.may_have_taken_effect
    assert_no_secret(excinfo.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_unknown_host_is_classified_alike(transport):
    config = FocusClientConfig.from_connection_fields(
        host="acme-does-not-exist.invalid", login=EMAIL, password=API_TOKEN, extra={"max_retries": 3}
    )
    with pytest.raises(FocusConnectionError, match="could not be resolved") as excinfo:
        call(transport, config)
    assert not excinfo.value.transient


# --- every answer typed ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("body", "where"),
    [
        (
            {
                "items": [
                    {"costItemExternalId": "a", "amount": 1.0},
                    {"costItemExternalId": "b", "amount": float("nan")},
                ]
            },
            "items[1].amount",
        ),
        ({"items": [{"when": object()}]}, "items[0].when"),
        ({"name": float("inf")}, "name"),
    ],
)
def test_a_record_json_cannot_hold_is_refused_naming_its_field_and_nothing_is_sent(transport, body, where):
    with rogue.rogue_server(rogue.answer()) as server:
        with pytest.raises(FocusConfigError, match=re.escape(where)):
            call(transport, config_for(server), "POST", "funds/cost-item/bulk", json=body)
        assert server.seen == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_body_nested_too_deep_is_refused_before_sending(transport):
    deep: Any = 1
    for _ in range(100_000):
        deep = [deep]
    with rogue.rogue_server(rogue.answer()) as server:
        with pytest.raises(FocusConfigError, match="nested more than"):
            call(transport, config_for(server), "POST", "focus-areas", json={"items": [deep]})
        assert server.seen == []


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "path", ["focus-areas/%2E%2E/funds", "focus-areas/%2e%2E", "focus-areas/.%2E/x", "a/%252E%252E"]
)
def test_encoded_dot_segments_cannot_reach_another_endpoint(transport, path):
    with rogue.rogue_server(rogue.answer()) as server:
        with pytest.raises(FocusConfigError, match=re.escape("'..'")):
            call(transport, config_for(server), "GET", path)
        assert server.seen == []


# --- secrets stay with their host ----------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("auth_type", AUTH_TYPES)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_no_credential_follows_a_redirect_to_another_origin(transport, auth_type, status, method):
    with rogue.rogue_server(rogue.answer()) as elsewhere:
        target = f"{elsewhere.url}/steal?x=1"
        with (
            rogue.rogue_server(with_token(rogue.redirect(status, target))) as server,
            pytest.raises(FocusRedirectError) as excinfo,
        ):
            call(transport, config_for(server, auth_type), method, "focus-areas", json={"name": "n"})
        assert elsewhere.seen == []
    assert excinfo.value.location == f"{elsewhere.url}/steal"  # named, without its query
    assert f"{elsewhere.url}/steal" in str(excinfo.value)
    assert_no_secret(excinfo.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_the_token_endpoint_redirect_is_not_followed_with_the_client_secret(transport, status):
    with rogue.rogue_server(rogue.answer()) as elsewhere:

        def behave(conn: socket.socket, seen: rogue.Seen) -> None:
            rogue.redirect(status, f"{elsewhere.url}/oauth/token")(conn, seen)

        with rogue.rogue_server(behave) as server, pytest.raises(FocusRedirectError) as excinfo:
            call(transport, config_for(server, "oauth2_client_credentials"))
        assert elsewhere.seen == []
    assert_no_secret(excinfo.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_redirect_without_location_is_an_error(transport):
    with (
        rogue.rogue_server(rogue.redirect(302, None)) as server,
        pytest.raises(FocusRedirectError, match="without a Location"),
    ):
        call(transport, config_for(server))


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "token_answer",
    [b"not json " + ISSUED_TOKEN.encode(), b'{"access_token": 42}', b"[" + ISSUED_TOKEN.encode()],
    ids=["text", "number", "broken-json"],
)
def test_a_garbled_token_answer_leaves_no_token_in_the_exception_graph(transport, token_answer):
    def behave(conn: socket.socket, seen: rogue.Seen) -> None:
        rogue.answer(200, token_answer)(conn, seen)

    with rogue.rogue_server(behave) as server, pytest.raises(FocusAuthError) as excinfo:
        call(transport, config_for(server, "oauth2_client_credentials"))
    assert excinfo.value.__context__ is None
    assert_no_secret(excinfo.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("auth_type", AUTH_TYPES)
@pytest.mark.parametrize(
    "behaviour",
    [rogue.close_without_answer(), rogue.cut_short(), rogue.stall(30), rogue.answer(500, b"<html>")],
    ids=["no-answer", "short", "stall", "500"],
)
def test_no_exception_graph_holds_a_credential(transport, auth_type, behaviour):
    with rogue.rogue_server(with_token(behaviour)) as server, pytest.raises(FocusError) as excinfo:
        call(transport, config_for(server, auth_type, timeout=0.3), "POST", "focus-areas", json={"name": "n"})
    assert_no_secret(excinfo.value)
