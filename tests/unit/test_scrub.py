"""
A server that echoes the credential back -- in an error body, a header, a redirect, a token endpoint's error, a
bulk answer -- never gets it into an exception, a report or XCom: server text is scrubbed, then cut short.
"""

from __future__ import annotations

import base64
import json
import socket
from typing import Any
from urllib.parse import quote

import pytest

from airflow_provider_focus.api.client import FocusClient
from airflow_provider_focus.api.errors import cut
from airflow_provider_focus.api.scrub import REDACTED, Scrubber
from airflow_provider_focus.exceptions import FocusApiError, FocusError
from airflow_provider_focus.services.fund_imports import COST_ITEMS, import_fund_items
from airflow_provider_focus.services.upsert import upsert_focus_areas
from tests.unit import rogue
from tests.unit.test_wire_bounds import AUTH_TYPES, SECRETS, TRANSPORTS, assert_no_secret, call, config_for, graph_text


def credential_of(seen: rogue.Seen) -> str:
    """The secret a request carries: the API token inside a Basic value, a bearer token, or a client secret."""
    authorization = seen.headers.get("authorization", "")
    if authorization.startswith("Basic "):
        return base64.b64decode(authorization[6:]).decode().split(":", 1)[1]
    if authorization.startswith("Bearer "):
        return authorization[7:]
    if seen.body:
        return str(json.loads(seen.body).get("client_secret", ""))
    return ""


def echoes(seen: rogue.Seen) -> str:
    """Every spelling of the request's credential a careless server might put in what it answers."""
    secret = credential_of(seen)
    escaped = "".join(f"\\u{ord(ch):04x}" for ch in secret)  # JSON-escaped: json.loads turns it back
    return (
        f"header {seen.headers.get('authorization', '')!r}, raw {secret}, url {quote(secret, safe='')}, "
        f"json {escaped}, body {seen.body.decode(errors='replace')}"
    )


def echoing(status: int, *, where: str = "errors", pad: int = 0) -> rogue.Behaviour:
    """Answer every request with ``status`` and its credential echoed in ``where``."""

    def behave(conn: socket.socket, seen: rogue.Seen) -> None:
        text = "x" * pad + echoes(seen)
        headers = {"X-Request-Id": credential_of(seen)}
        if where == "errors":
            body = '{"errors": [{"type": "BAD_' + credential_of(seen) + '", "message": "' + text + '"}]}'
        elif where == "gateway":
            body = json.dumps({"code": 401, "message": text})
        elif where == "oauth":
            body = json.dumps({"error": credential_of(seen), "error_description": text})
        else:  # plain text, as an edge proxy answers
            body = f"<html>{text}</html>"
        if 300 <= status < 400:
            headers["Location"] = f"https://evil.example/{quote(credential_of(seen))}/{credential_of(seen)}"
        rogue.answer(status, body.encode(), headers)(conn, seen)

    return behave


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("auth_type", AUTH_TYPES)
@pytest.mark.parametrize(
    ("status", "where"),
    [(400, "errors"), (401, "gateway"), (404, "oauth"), (502, "text"), (200, "text"), (302, "text"), (429, "errors")],
)
def test_an_echoing_api_puts_no_secret_in_the_error(transport, auth_type, status, where):
    def behave(conn: socket.socket, seen: rogue.Seen) -> None:
        if seen.path.startswith("/oauth/token"):
            token = {"access_token": "issued-token-SECRET-4", "expires_in": 3600}
            rogue.answer(200, json.dumps(token).encode())(conn, seen)
        else:
            echoing(status, where=where)(conn, seen)

    with rogue.rogue_server(behave) as server, pytest.raises(FocusError) as excinfo:
        call(transport, config_for(server, auth_type, max_retries=0))
    assert_no_secret(excinfo.value)
    assert REDACTED in graph_text(excinfo.value)  # the echo was there, and scrubbed


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("status", "where"), [(401, "oauth"), (400, "errors"), (503, "text"), (307, "text")])
def test_a_token_endpoint_that_echoes_the_client_secret_puts_it_nowhere(transport, status, where):
    with rogue.rogue_server(echoing(status, where=where)) as server, pytest.raises(FocusError) as excinfo:
        call(transport, config_for(server, "oauth2_client_credentials", max_retries=0))
    assert_no_secret(excinfo.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_server_text_is_cut_to_a_bounded_length_after_scrubbing(transport):
    # 100 kB of server text with the secret at the very end of what is kept: neither it nor a part of it survives.
    with rogue.rogue_server(echoing(400, pad=100_000)) as server, pytest.raises(FocusApiError) as excinfo:
        call(transport, config_for(server, max_retries=0))
    assert len(str(excinfo.value)) < 2_000
    assert_no_secret(excinfo.value)


def test_a_secret_straddling_the_cut_leaves_no_part_of_itself():
    scrub = Scrubber(["SECRET-TOKEN-123456"])
    text = "x" * 290 + "SECRET-TOKEN-123456" + "y" * 50
    kept = cut(text, 300, scrub=scrub)
    assert "SECRET" not in kept
    assert "SECRET-TOKEN-123456"[:10] not in kept


def sync_client(server: rogue.Rogue, **extra: Any) -> FocusClient:
    return FocusClient(config_for(server, max_retries=0, **extra), sleep=lambda _s: None)


def test_an_upsert_report_holds_no_echoed_secret(caplog):
    with rogue.rogue_server(echoing(400)) as server:
        client = sync_client(server)
        try:
            report = upsert_focus_areas(client, [{"externalId": "k1", "name": "A", "focusAreaTypeId": "t"}])
        finally:
            client.close()
    text = json.dumps(report.as_dict()) + caplog.text
    assert report.failed
    assert REDACTED in text
    for secret in SECRETS:
        assert secret not in text


def test_a_fund_import_report_holds_no_echoed_secret():
    def behave(conn: socket.socket, seen: rogue.Seen) -> None:
        message = "x" * 5_000 + echoes(seen)
        answer = {"results": [], "errors": [{"index": 0, "type": "BAD", "message": message}]}
        rogue.answer(200, json.dumps(answer).encode())(conn, seen)

    with rogue.rogue_server(behave) as server:
        client = sync_client(server)
        try:
            item = {"focusAreaId": "fa-1", "costItemExternalId": "c1", "name": "n"}
            report = import_fund_items(client, COST_ITEMS, [item])
        finally:
            client.close()
    text = json.dumps(report.as_dict())
    assert report.failed
    assert len(report.failed[0].error) < 1_000
    for secret in SECRETS:
        assert secret not in text
