from __future__ import annotations

import base64
import socket

import pytest
import requests
import requests_mock as rm
from urllib3.exceptions import ProtocolError

from airflow_provider_focus.api.client import USER_AGENT, FocusClient, resource_path
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.exceptions import (
    FocusAuthError,
    FocusConfigError,
    FocusConnectionError,
    FocusError,
    FocusNotFoundError,
    FocusRateLimitError,
    FocusResponseError,
    FocusServerError,
    FocusUncertainWriteError,
    FocusValidationError,
)
from tests.unit.conftest import API, CLOUD_API, CLOUD_ID, EMAIL, TOKEN

FA = f"{API}/focus-areas"


def make_client(**extra) -> tuple[FocusClient, list[float]]:
    extra.setdefault("max_retries", 3)
    config = FocusClientConfig.from_connection_fields(
        host=extra.pop("host", "acme.atlassian.net"),
        login=extra.pop("login", EMAIL),
        password=extra.pop("password", TOKEN),
        extra=extra,
    )
    waits: list[float] = []
    return FocusClient(config, sleep=waits.append), waits


@pytest.fixture
def client_and_waits():
    return make_client()


@pytest.fixture
def client(client_and_waits):
    return client_and_waits[0]


# --- requests, headers, decoding ---------------------------------------------------------------------------


def test_request_sends_basic_auth_user_agent_and_query(client, requests_mock):
    requests_mock.get(FA, json={"values": []})
    assert client.request("GET", "focus-areas", params={"nameContains": "x", "sort": None}) == {"values": []}
    sent = requests_mock.last_request
    assert sent.qs == {"namecontains": ["x"]}
    assert sent.headers["User-Agent"] == USER_AGENT
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()


def test_empty_and_204_bodies_decode_to_none(client, requests_mock):
    requests_mock.delete(f"{API}/funds/cost-item/1", status_code=204)
    assert client.request("DELETE", "funds/cost-item/1") is None


def test_resource_path_encodes_ids():
    assert resource_path("focus-areas", "a/b?c") == "focus-areas/a%2Fb%3Fc"
    assert resource_path("focus-areas", 42) == "focus-areas/42"
    for bad in ("..", ".", "", " "):
        with pytest.raises(FocusConfigError):
            resource_path("focus-areas", bad)


def test_paths_must_stay_below_the_api_root(client):
    for bad in ("https://evil.example/x", "//evil.example/x", "focus-areas/../../admin"):
        with pytest.raises(FocusConfigError):
            client.request("GET", bad)


# --- retry decisions ------------------------------------------------------------------------------------------


def test_get_is_retried_on_500_with_growing_jittered_backoff(client_and_waits, requests_mock):
    client, waits = client_and_waits
    requests_mock.get(FA, [{"status_code": 500, "text": "boom"}] * 3 + [{"json": {"ok": 1}}])
    assert client.request("GET", "focus-areas") == {"ok": 1}
    assert requests_mock.call_count == 4
    assert len(waits) == 3
    for attempt, wait in enumerate(waits, start=1):
        assert 0 <= wait <= 0.5 * 2 ** (attempt - 1)


def test_429_waits_what_the_server_asks(client_and_waits, requests_mock):
    client, waits = client_and_waits
    requests_mock.get(FA, [{"status_code": 429, "headers": {"Retry-After": "7"}}, {"json": {}}])
    client.request("GET", "focus-areas")
    assert waits == [7.0]


def test_retry_after_is_capped():
    client, waits = make_client(max_retry_wait=2)
    with rm.Mocker() as mocker:
        mocker.get(FA, [{"status_code": 503, "headers": {"Retry-After": "3600"}}, {"json": {}}])
        client.request("GET", "focus-areas")
    assert waits == [2.0]


def test_429_storm_ends_in_rate_limit_error_after_the_budget(requests_mock):
    client, waits = make_client(rate_limit_budget=0)  # 429s count as attempts, as every other failure
    requests_mock.get(FA, status_code=429, headers={"Retry-After": "1"})
    with pytest.raises(FocusRateLimitError) as excinfo:
        client.request("GET", "focus-areas")
    assert requests_mock.call_count == 4  # 1 + max_retries
    assert waits == [1.0, 1.0, 1.0]
    assert excinfo.value.retry_after == 1
    assert "max_retries" in str(excinfo.value)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_client_errors_are_never_retried(client, requests_mock, status):
    requests_mock.get(FA, status_code=status, json={"errors": [{"type": "X", "message": "no"}]})
    with pytest.raises((FocusValidationError, FocusAuthError, FocusNotFoundError)):
        client.request("GET", "focus-areas")
    assert requests_mock.call_count == 1


def test_post_is_not_retried_on_500(client, requests_mock):
    requests_mock.post(FA, status_code=500, text="<html>oops</html>")
    with pytest.raises(FocusServerError, match="oops"):
        client.request("POST", "focus-areas", json={"name": "x"})
    assert requests_mock.call_count == 1


@pytest.mark.parametrize("status", [429, 503])
def test_post_is_retried_when_the_server_says_it_did_nothing(client, requests_mock, status):
    requests_mock.post(FA, [{"status_code": status}, {"status_code": 201, "json": {"id": "1"}}])
    assert client.request("POST", "focus-areas", json={"name": "x"}) == {"id": "1"}
    assert requests_mock.call_count == 2


def test_post_timeout_after_sending_is_not_retried(client, requests_mock):
    requests_mock.post(FA, exc=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(FocusConnectionError, match="may have taken effect") as excinfo:
        client.request("POST", "focus-areas", json={"name": "x"})
    assert excinfo.value.may_have_taken_effect is True
    assert requests_mock.call_count == 1


def test_post_dropped_connection_is_not_retried(client, requests_mock):
    dropped = requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))
    requests_mock.post(FA, exc=dropped)
    with pytest.raises(FocusConnectionError):
        client.request("POST", "focus-areas", json={"name": "x"})
    assert requests_mock.call_count == 1


def test_get_timeout_is_retried(client, requests_mock):
    requests_mock.get(FA, [{"exc": requests.exceptions.ReadTimeout}, {"json": {"ok": True}}])
    assert client.request("GET", "focus-areas") == {"ok": True}


def test_post_connect_timeout_is_retried(client, requests_mock):
    requests_mock.post(FA, [{"exc": requests.exceptions.ConnectTimeout}, {"status_code": 201, "json": {"id": "9"}}])
    assert client.request("POST", "focus-areas", json={}) == {"id": "9"}


def test_idempotent_flag_lets_a_keyed_post_retry(client, requests_mock):
    requests_mock.post(f"{API}/funds/cost-item/bulk", [{"status_code": 502}, {"json": {"results": []}}])
    assert client.request("POST", "funds/cost-item/bulk", json={}, idempotent=True) == {"results": []}


def test_malformed_json_is_retried_for_get_not_for_post(client, requests_mock):
    requests_mock.get(FA, [{"text": '{"values": [', "status_code": 200}, {"json": {"values": []}}])
    assert client.request("GET", "focus-areas") == {"values": []}
    requests_mock.post(FA, text='{"id": ', status_code=201)
    with pytest.raises(FocusResponseError, match="not valid JSON"):
        client.request("POST", "focus-areas", json={})
    assert requests_mock.call_count == 3


def test_refused_connection_on_a_real_socket_is_retried_then_explained():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client, waits = make_client(host=f"http://127.0.0.1:{port}", max_retries=2)
    with pytest.raises(FocusConnectionError, match="could not connect") as excinfo:
        client.request("POST", "focus-areas", json={"name": "x"})
    assert excinfo.value.may_have_taken_effect is False
    assert len(waits) == 2


def test_unknown_host_is_not_retried_and_says_what_to_check():
    client, waits = make_client(host="focus-provider-test.invalid")
    with pytest.raises(FocusConnectionError, match=r"could not be resolved.*host") as excinfo:
        client.request("GET", "focus-areas")
    assert excinfo.value.transient is False
    assert waits == []


def test_delete_whose_answer_was_lost_counts_as_done(client, requests_mock):
    dropped = requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))
    requests_mock.delete(f"{API}/funds/cost-item/7", [{"exc": dropped}, {"status_code": 404, "json": {}}])
    assert client.request("DELETE", "funds/cost-item/7") is None
    requests_mock.delete(f"{API}/funds/cost-item/8", status_code=404, json={})
    with pytest.raises(FocusNotFoundError):
        client.request("DELETE", "funds/cost-item/8")


def test_retries_are_logged_with_attempt_and_wait(client, requests_mock, wire_log):
    requests_mock.get(FA, [{"status_code": 502}, {"status_code": 429, "headers": {"Retry-After": "2"}}, {"json": {}}])
    client.request("GET", "focus-areas")
    assert "Focus API GET focus-areas failed (HTTP 502); retry 1 of 3 in " in wire_log.text
    assert "Focus API GET focus-areas was rate-limited (HTTP 429, attempt 2); trying again in 2.0 s" in wire_log.text


# --- reconciled creates ----------------------------------------------------------------------------------------


def test_create_reconciled_returns_what_the_lost_create_made(client, requests_mock):
    requests_mock.post(FA, exc=requests.exceptions.ReadTimeout)
    existing = {"id": "fa-1", "externalId": "X-1"}
    assert client.create_reconciled("focus-areas", {"externalId": "X-1"}, find_existing=lambda: existing) == existing
    assert requests_mock.call_count == 1


def test_create_reconciled_sends_again_when_nothing_was_made(client_and_waits, requests_mock):
    client, waits = client_and_waits
    requests_mock.post(FA, [{"status_code": 502}, {"status_code": 201, "json": {"id": "fa-2"}}])
    lookups = []
    result = client.create_reconciled("focus-areas", {"externalId": "X-2"}, find_existing=lambda: lookups.append(1))
    assert result == {"id": "fa-2"}
    assert lookups == [1]
    assert requests_mock.call_count == 2
    assert len(waits) == 1


@pytest.mark.parametrize(
    "failure", [{"exc": requests.exceptions.ReadTimeout}, {"status_code": 504, "text": "<html>gateway</html>"}]
)
def test_create_that_may_still_be_running_is_never_sent_twice(client_and_waits, requests_mock, failure):
    client, waits = client_and_waits
    requests_mock.post(FA, [failure, {"status_code": 201, "json": {"id": "dup"}}])
    lookups = []
    with pytest.raises(FocusUncertainWriteError, match="not sent again") as excinfo:
        client.create_reconciled("focus-areas", {"externalId": "X-4"}, find_existing=lambda: lookups.append(1))
    assert requests_mock.call_count == 1
    assert lookups == [1]
    assert waits == [client.config.timeout]  # one timeout to settle before the look-up
    assert isinstance(excinfo.value.__cause__, (FocusConnectionError, FocusServerError))


def test_create_reconciled_keeps_the_ambiguous_error_when_the_lookup_fails(client, requests_mock):
    requests_mock.post(FA, exc=requests.exceptions.ReadTimeout)

    def lookup_fails():
        raise FocusServerError(status_code=500, method="GET", path="focus-areas")

    with pytest.raises(FocusConnectionError, match="may have taken effect") as excinfo:
        client.create_reconciled("focus-areas", {"externalId": "X-3"}, find_existing=lookup_fails)
    assert isinstance(excinfo.value.__cause__, FocusServerError)


def test_create_reconciled_does_not_hide_validation_errors(client, requests_mock):
    requests_mock.post(FA, status_code=400, json={"errors": [{"type": "FORMAT_INVALID", "message": "bad"}]})
    with pytest.raises(FocusValidationError):
        client.create_reconciled("focus-areas", {}, find_existing=lambda: pytest.fail("must not look up"))


# --- pagination ------------------------------------------------------------------------------------------------


def register_pages(requests_mock, pages: int, size: int = 2):
    def answer(request, context):
        cursor = int(request.qs.get("cursor", ["0"])[0])
        last = cursor == pages - 1
        body = {"values": [{"id": f"{cursor}-{i}"} for i in range(size)], "last": last, "totalCount": pages * size}
        if not last:
            body["nextPageCursor"] = str(cursor + 1)
        return body

    requests_mock.get(FA, json=answer)


def test_paginate_is_lazy(client, requests_mock):
    register_pages(requests_mock, pages=3)
    items = client.paginate("focus-areas", page_size=2)
    assert requests_mock.call_count == 0
    assert next(items) == {"id": "0-0"}
    assert requests_mock.call_count == 1
    next(items)
    assert requests_mock.call_count == 1
    assert next(items) == {"id": "1-0"}
    assert requests_mock.call_count == 2
    assert requests_mock.last_request.qs["cursor"] == ["1"]
    assert requests_mock.last_request.qs["limit"] == ["2"]
    assert len(list(items)) == 3
    assert requests_mock.call_count == 3


def test_paginate_max_items_stops_early_and_shrinks_the_page(client, requests_mock):
    register_pages(requests_mock, pages=5, size=2)
    assert [i["id"] for i in client.paginate("focus-areas", max_items=3, page_size=10)] == ["0-0", "0-1", "1-0"]
    assert requests_mock.call_count == 2
    assert requests_mock.request_history[0].qs["limit"] == ["3"]
    assert list(client.paginate("focus-areas", max_items=0)) == []


def test_paginate_stops_without_next_cursor_even_if_not_last(client, requests_mock):
    requests_mock.get(FA, json={"values": [{"id": 1}], "last": False})
    assert list(client.paginate("focus-areas")) == [{"id": 1}]


def test_paginate_refuses_a_cursor_loop(client, requests_mock):
    requests_mock.get(FA, json={"values": [{"id": 1}], "last": False, "nextPageCursor": "same"})
    with pytest.raises(FocusError, match="cursor 'same' twice"):
        list(client.paginate("focus-areas"))


def test_paginate_rejects_a_body_that_is_not_a_page(client, requests_mock):
    requests_mock.get(FA, json=[1, 2])
    with pytest.raises(FocusResponseError, match="'values'"):
        list(client.paginate("focus-areas"))


# --- auth modes ------------------------------------------------------------------------------------------------

TOKEN_URL = "https://auth.atlassian.com/oauth/token"


def cc_client(**extra):
    return make_client(
        host=None,
        login="client-id",
        password="client-secret-value",
        cloud_id=CLOUD_ID,
        auth_type="oauth2_client_credentials",
        **extra,
    )


def test_client_credentials_fetch_once_and_reuse(requests_mock):
    client, _ = cc_client()
    sunk: list[str] = []
    client._secret_sink = sunk.append  # the driver hands derived secrets to the sink
    requests_mock.post(TOKEN_URL, json={"access_token": "at-1", "expires_in": 3600, "token_type": "Bearer"})
    requests_mock.get(f"{CLOUD_API}/focus-areas", json={"values": []})
    client.request("GET", "focus-areas")
    client.request("GET", "focus-areas")
    assert requests_mock.request_history[0].json() == {
        "grant_type": "client_credentials",
        "client_id": "client-id",
        "client_secret": "client-secret-value",
    }
    assert [r.url for r in requests_mock.request_history].count(TOKEN_URL) == 1
    assert requests_mock.last_request.headers["Authorization"] == "Bearer at-1"
    assert sunk == ["at-1"]


def test_client_credentials_refresh_before_expiry():
    client, _ = cc_client()
    now = [0.0]
    client.auth._cache._clock = lambda: now[0]
    with rm.Mocker() as mocker:
        mocker.post(
            TOKEN_URL,
            [
                {"json": {"access_token": "at-1", "expires_in": 600}},
                {"json": {"access_token": "at-2", "expires_in": 600}},
            ],
        )
        mocker.get(f"{CLOUD_API}/focus-areas", json={})
        client.request("GET", "focus-areas")
        now[0] = 530.0  # 70 s before expiry: still good
        client.request("GET", "focus-areas")
        assert mocker.last_request.headers["Authorization"] == "Bearer at-1"
        now[0] = 545.0  # inside the 60 s margin before expiry
        client.request("GET", "focus-areas")
        assert mocker.last_request.headers["Authorization"] == "Bearer at-2"


def test_client_credentials_401_fetches_a_new_token_once(requests_mock):
    client, _ = cc_client()
    requests_mock.post(TOKEN_URL, [{"json": {"access_token": "old"}}, {"json": {"access_token": "new"}}])
    requests_mock.post(
        f"{CLOUD_API}/focus-areas", [{"status_code": 401, "json": {}}, {"status_code": 201, "json": {"id": "1"}}]
    )
    assert client.request("POST", "focus-areas", json={"name": "x"}) == {"id": "1"}
    assert requests_mock.last_request.headers["Authorization"] == "Bearer new"


def test_client_credentials_second_401_is_an_auth_error(requests_mock):
    client, _ = cc_client()
    requests_mock.post(TOKEN_URL, json={"access_token": "t"})
    requests_mock.get(
        f"{CLOUD_API}/focus-areas", status_code=401, json={"code": 401, "message": "Unauthorized; scope does not match"}
    )
    with pytest.raises(FocusAuthError, match="scope does not match"):
        client.request("GET", "focus-areas")
    assert requests_mock.call_count == 4  # token, call, token, call


def test_bad_client_secret_is_explained_without_the_secret(requests_mock):
    client, _ = cc_client()
    requests_mock.post(TOKEN_URL, status_code=401, json={"error": "access_denied", "error_description": "Unauthorized"})
    with pytest.raises(FocusAuthError) as excinfo:
        client.request("GET", "focus-areas")
    assert "client id or secret was rejected" in str(excinfo.value)
    assert "client-secret-value" not in str(excinfo.value)


def test_static_bearer_token(requests_mock):
    client, _ = make_client(host=None, login=None, password="bearer-xyz", cloud_id=CLOUD_ID, auth_type="oauth2_token")
    requests_mock.get(f"{CLOUD_API}/focus-areas", json={})
    client.request("GET", "focus-areas")
    assert requests_mock.last_request.headers["Authorization"] == "Bearer bearer-xyz"


def test_no_secret_reaches_error_messages_or_logs(client, requests_mock, wire_log):
    requests_mock.get(FA, status_code=503, text="<html>down</html>")
    with pytest.raises(FocusServerError) as excinfo:
        client.request("GET", "focus-areas")
    basic = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    assert "retry 1 of 3" in wire_log.text  # the log was recorded, so its absence checks mean something
    for text in (str(excinfo.value), wire_log.text, repr(excinfo.value.__dict__)):
        assert TOKEN not in text
        assert basic not in text


# --- connections kept alive --------------------------------------------------------------------------------------


def pool_size_of(client: FocusClient, url: str = API) -> int:
    return client.session.get_adapter(url).poolmanager.connection_pool_kw["maxsize"]


def test_the_client_keeps_the_connections_it_is_told_and_widens_for_concurrent_calls():
    config = make_client()[0].config
    client = FocusClient(config, max_connections=4)
    assert pool_size_of(client) == 4
    client.allow_concurrent_calls(2)  # never fewer than it was built with
    assert pool_size_of(client) == 4
    client.allow_concurrent_calls(12)
    assert pool_size_of(client) == pool_size_of(client, "http://127.0.0.1:1") == 12
    assert FocusClient(config).transport.pool_size == 10  # requests' own default
