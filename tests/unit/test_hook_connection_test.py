"""``FocusHook.test_connection``: what the Test button, ``airflow connections test`` and a script see."""

from __future__ import annotations

import pytest

from airflow_provider_focus.hooks.focus import FocusHook
from tests.unit.conftest import API, EMAIL, TOKEN

FA = f"{API}/focus-areas"
PAGE = {"values": [], "cursor": None, "nextPageCursor": None, "last": True}


def test_a_connection_id_that_does_not_exist_is_named_with_where_it_was_looked_for(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_NO_SUCH_FOCUS", raising=False)
    ok, message = FocusHook("no_such_focus").test_connection()
    assert ok is False
    assert message.startswith("No Airflow connection 'no_such_focus' was found")
    assert "AIRFLOW_CONN_NO_SUCH_FOCUS" in message
    assert "Unexpected" not in message


def test_a_failing_secrets_lookup_is_reported_not_raised(monkeypatch):
    def broken(conn_id):
        raise RuntimeError("vault sealed")

    monkeypatch.setattr(FocusHook, "get_connection", staticmethod(broken))
    ok, message = FocusHook("focus_default").test_connection()
    assert ok is False
    assert "could not be read (RuntimeError)" in message


def _test_like_the_api_server(monkeypatch, **fields):
    """Test a connection the way ``POST /api/v2/connections/test`` does: a copy under a random id."""
    from airflow.models.connection import Connection

    transient_id = "8tLAo1rk"
    conn = Connection(conn_id=transient_id, conn_type="atlassian_focus", **fields)
    monkeypatch.setenv(f"AIRFLOW_CONN_{transient_id.upper()}", conn.get_uri())
    return conn.test_connection()


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"host": "https://acme.atlassian.net/wiki", "login": EMAIL, "password": TOKEN}, "has a path ('/wiki')"),
        ({"host": "http://127.0.0.1:8771", "login": EMAIL, "password": TOKEN, "port": 8772}, "port field says 8772"),
        ({"host": "acme.atlassian.net", "login": EMAIL}, "needs the Atlassian account email"),
        ({"host": "acme.atlassian.net", "login": EMAIL, "password": TOKEN, "extra": '{"timeout": 0}'}, "'timeout'"),
    ],
)
def test_messages_under_the_test_button_never_name_the_random_connection_id(monkeypatch, fields, expected):
    ok, message = _test_like_the_api_server(monkeypatch, **fields)
    assert ok is False
    assert expected in message
    assert "8tlao1rk" not in message.lower()
    assert not message.startswith("Connection ")


def test_the_test_button_reaches_the_api_and_passes(monkeypatch, requests_mock):
    requests_mock.get(FA, json=PAGE)
    ok, message = _test_like_the_api_server(monkeypatch, host="acme.atlassian.net", login=EMAIL, password=TOKEN)
    assert (ok, message) == (True, f"Connected to Focus at {API} (api_token).")


def test_warnings_end_the_message_passed_or_failed(set_connection, requests_mock):
    set_connection("typo", host="acme.atlassian.net", login=EMAIL, password=TOKEN, extra={"cloudid": "x", "timeout": 5})
    requests_mock.get(FA, json=PAGE)
    ok, message = FocusHook("typo").test_connection()
    assert ok is True
    assert message == (
        f"Connected to Focus at {API} (api_token). Warning: The Focus connection's extra 'cloudid' is unknown and "
        "ignored; did you mean 'cloud_id'?"
    )
    requests_mock.get(FA, status_code=404, json={})
    ok, message = FocusHook("typo").test_connection()
    assert ok is False
    assert message.startswith(f"No Focus API at {API}")
    assert message.endswith("did you mean 'cloud_id'?")


def test_a_proxy_is_named_in_the_message(set_connection, requests_mock):
    set_connection("proxy", host="focus.proxy.example.com", login=EMAIL, password=TOKEN)
    requests_mock.get("https://focus.proxy.example.com/gateway/api/focus/v1/focus-areas", json=PAGE)
    ok, message = FocusHook("proxy").test_connection()
    assert ok is True
    assert "Warning: The Focus connection sends its credentials to https://focus.proxy.example.com" in message


def test_the_test_does_not_leak_the_token(monkeypatch, requests_mock):
    requests_mock.get(FA, status_code=401, json={"message": "nope"})
    ok, message = _test_like_the_api_server(monkeypatch, host="acme.atlassian.net", login=EMAIL, password=TOKEN)
    assert ok is False
    assert TOKEN not in message
    assert "Authentication failed" in message
