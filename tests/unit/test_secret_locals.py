"""
No credential in a traceback that lists local variables (Airflow 3.0 prints a failed task's traceback that way).

Each request fails for real against a loopback server (an error status, a dropped or refused connection), through
the sync (requests) and the async (httpx) client, with Basic, a static bearer token and client credentials (the
token request failing, or the token issued and the API call failing). The traceback is then formatted as the
standard library (``capture_locals``), rich and structlog (``show_locals``) do, and searched for every secret.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from airflow_provider_focus.api.async_client import AsyncFocusClient
from airflow_provider_focus.api.client import FocusClient
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.api.secret import RequestHeaders, Secret
from airflow_provider_focus.exceptions import FocusError
from tests.unit.conftest import CLOUD_ID
from tests.unit.rogue import Seen, answer, close_without_answer, rogue_server

EMAIL = "canary@example.com"
API_TOKEN = "canary-api-token-7d3f91"
CLIENT_ID = "canary-client"
CLIENT_SECRET = "canary-client-secret-52ab7e"
ACCESS_TOKEN = "canary-access-token-c0ffee11"
BASIC = base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
SECRETS = (API_TOKEN, CLIENT_SECRET, ACCESS_TOKEN, BASIC)

TOKEN_ANSWER = json.dumps({"access_token": ACCESS_TOKEN, "expires_in": 3600}).encode()


def rendered(error: BaseException) -> dict[str, str]:
    """Format ``error``'s traceback with local variables, as the standard library, rich and structlog do."""
    texts = {
        "traceback": "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format()),
    }
    from rich.traceback import Traceback

    trace = Traceback.extract(type(error), error, error.__traceback__, show_locals=True, locals_max_string=10_000)
    texts["rich"] = "\n".join(
        f"{name} = {node.render(max_width=400)}"
        for stack in trace.stacks
        for frame in stack.frames
        for name, node in (frame.locals or {}).items()
    )
    from structlog.tracebacks import ExceptionDictTransformer

    as_dicts = ExceptionDictTransformer(show_locals=True, locals_max_string=10_000)(
        (type(error), error, error.__traceback__)
    )
    texts["structlog"] = json.dumps(as_dicts, default=repr)
    return texts


def assert_no_secret(error: BaseException) -> None:
    assert error.__traceback__ is not None
    for style, text in rendered(error).items():
        assert "locals" in text or "=" in text  # locals were captured
        leaked = [secret for secret in SECRETS if secret in text]
        assert not leaked, f"{style} traceback shows {leaked}:\n{text}"


def failure_of(call: Callable[[], Any]) -> FocusError:
    try:
        call()
    except FocusError as error:
        return error
    raise AssertionError("the call did not fail")


def async_failure_of(call: Callable[[], Awaitable[Any]]) -> FocusError:
    async def run() -> FocusError:
        try:
            await call()
        except FocusError as error:
            return error
        raise AssertionError("the call did not fail")

    return asyncio.run(run())


def routed(api: Callable[[socket.socket, Seen], None], token: Callable[[socket.socket, Seen], None]) -> Any:
    def behave(conn: socket.socket, seen: Seen) -> None:
        (token if seen.path.startswith("/token") else api)(conn, seen)

    return behave


@pytest.fixture
def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def config(auth_type: str, api_url: str, token_url: str) -> FocusClientConfig:
    extra: dict[str, Any] = {"base_url": f"{api_url}/v1", "max_retries": 0, "auth_type": auth_type, "timeout": 5}
    login, password = EMAIL, API_TOKEN
    if auth_type != "api_token":
        extra.update(cloud_id=CLOUD_ID, token_url=f"{token_url}/token")
        login, password = CLIENT_ID, CLIENT_SECRET if auth_type == "oauth2_client_credentials" else ACCESS_TOKEN
    return FocusClientConfig.from_connection_fields(host=None, login=login, password=password, extra=extra)


API_FAILURES = {
    "500": answer(500, b'{"errors": [{"message": "boom"}]}'),
    "401": answer(401, b'{"errors": [{"message": "no"}]}'),
    "dropped": close_without_answer(),
}


@pytest.mark.parametrize("failure", sorted(API_FAILURES))
@pytest.mark.parametrize("auth_type", ["api_token", "oauth2_token", "oauth2_client_credentials"])
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_failed_api_call_shows_no_credential_in_its_locals(flavour, auth_type, failure):
    with rogue_server(routed(API_FAILURES[failure], answer(200, TOKEN_ANSWER))) as server:
        settings = config(auth_type, server.url, server.url)
        if flavour == "sync":
            client = FocusClient(settings, sleep=lambda _s: None)
            error = failure_of(lambda: client.request("GET", "focus-areas"))
            client.close()
        else:

            async def call() -> Any:
                async with AsyncFocusClient(settings) as client:
                    return await client.request("GET", "focus-areas")

            error = async_failure_of(call)
        sent = [seen for seen in server.seen if not seen.path.startswith("/token")]
        assert sent
        assert "authorization" in sent[0].headers  # the credential did go out
    assert_no_secret(error)


@pytest.mark.parametrize("token_failure", ["500", "refused"])
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_failed_token_request_shows_no_client_secret_in_its_locals(flavour, token_failure, closed_port):
    with rogue_server(answer(500, b"{}")) as server:
        token_url = server.url if token_failure == "500" else f"http://127.0.0.1:{closed_port}"
        settings = config("oauth2_client_credentials", server.url, token_url)
        if flavour == "sync":
            client = FocusClient(settings, sleep=lambda _s: None)
            error = failure_of(lambda: client.request("GET", "focus-areas"))
        else:

            async def call() -> Any:
                async with AsyncFocusClient(settings) as client:
                    return await client.request("GET", "focus-areas")

            error = async_failure_of(call)
    assert "token" in str(error).lower()
    assert_no_secret(error)


def test_secret_and_headers_hide_the_credential_but_give_it_to_the_library():
    secret = Secret(API_TOKEN)
    headers = RequestHeaders({"Accept": "application/json"}, authorization=Secret(f"Basic {BASIC}"))
    for shown in (repr(secret), str(secret), repr(headers), str(headers), f"{secret}", f"{headers!r}"):
        assert API_TOKEN not in shown
        assert BASIC not in shown
    assert secret.reveal() == API_TOKEN
    assert dict(headers) == {"Accept": "application/json", "Authorization": f"Basic {BASIC}"}
    assert RequestHeaders({"Authorization": "Basic x"}).get("Authorization") is None  # only through the Secret


def test_the_test_module_itself_would_see_a_leak():
    """The check is not vacuous: a plain local holding the credential is found."""

    def leaky() -> None:
        headers = {"Authorization": f"Basic {BASIC}"}
        raise FocusError(f"failed with {len(headers)} headers")

    error = failure_of(leaky)
    texts = rendered(error)
    assert all(BASIC in text for text in texts.values()), sorted(texts)
    assert sys.version_info >= (3, 10)


def frames_showing_a_secret(error: BaseException) -> list[str]:
    """The provider's frames whose locals show a secret (a test's own frames may hold them, and do not count)."""
    stack = traceback.TracebackException.from_exception(error, capture_locals=True).stack
    return [
        f"{frame.name}: {name}"
        for frame in stack
        if "airflow_provider_focus" in frame.filename
        for name, value in (frame.locals or {}).items()
        if any(secret in value for secret in SECRETS)
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"password": f"{API_TOKEN} x", "login": EMAIL}, "contains a space"),
        ({"password": API_TOKEN}, "needs the Atlassian account email"),
        ({"password": API_TOKEN, "login": EMAIL, "extra": {"verify": "/no/such/bundle.pem"}}, "does not exist"),
    ],
)
def test_a_connection_refused_as_invalid_shows_no_password_in_its_locals(set_connection, fields, message):
    from airflow_provider_focus.hooks.focus import FocusHook

    set_connection(host="acme.atlassian.net", **fields)
    error = failure_of(lambda: FocusHook().config)
    assert message in str(error)
    assert frames_showing_a_secret(error) == []
    direct = {"host": "acme.atlassian.net", "login": None, "extra": None, **fields}
    error = failure_of(lambda: FocusClientConfig.from_connection_fields(**direct))
    assert frames_showing_a_secret(error) == []


def test_a_failed_hook_call_shows_no_credential_in_its_locals(set_connection):
    from airflow_provider_focus.hooks.focus import FocusHook

    with rogue_server(answer(500, b"{}")) as server:
        set_connection(login=EMAIL, password=API_TOKEN, extra={"base_url": f"{server.url}/v1", "max_retries": 0})
        hook = FocusHook()
        error = failure_of(lambda: hook.get_focus_area("fa-1"))
    assert_no_secret(error)


@pytest.mark.parametrize(
    "host",
    [
        f"{EMAIL}:{API_TOKEN}@acme.atlassian.net",
        f"https://{EMAIL}:{API_TOKEN}@acme.atlassian.net",
        f"https://{API_TOKEN}@acme.atlassian.net/path",
    ],
)
def test_a_host_that_carries_a_credential_shows_it_in_no_locals(set_connection, host):
    # A token pasted into the host field (user:token@site) is refused; the refusal's traceback must not show it.
    from airflow_provider_focus.hooks.focus import FocusHook

    set_connection(host=host, login=EMAIL, password="other-password")
    error = failure_of(lambda: FocusHook().config)
    assert "must not carry credentials" in str(error)
    assert frames_showing_a_secret(error) == []
    error = failure_of(lambda: FocusClientConfig.from_connection_fields(host=host, login=EMAIL, password="x", extra={}))
    assert frames_showing_a_secret(error) == []
