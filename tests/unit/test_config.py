from __future__ import annotations

import json

import pytest
from airflow.sdk import Connection

from airflow_provider_focus.api.config import AuthType, FocusClientConfig
from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.hooks.focus import FocusHook
from tests.unit.conftest import CLOUD_API, CLOUD_ID, EMAIL, TOKEN


def build(host=None, login=EMAIL, password=TOKEN, **extra) -> FocusClientConfig:
    return FocusClientConfig.from_connection_fields(host=host, login=login, password=password, extra=extra)


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("acme.atlassian.net", "https://acme.atlassian.net"),
        ("https://acme.atlassian.net", "https://acme.atlassian.net"),
        ("https://ACME.atlassian.net/", "https://acme.atlassian.net"),
        ("  acme.atlassian.net ", "https://acme.atlassian.net"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://localhost:9000", "http://localhost:9000"),
    ],
)
def test_site_mode_accepts_plain_hosts(host, site):
    config = build(host)
    assert config.site_url == site
    assert config.api_root == f"{site}/gateway/api/focus/v1"
    assert config.mode == "site"
    assert config.auth_type is AuthType.API_TOKEN


def test_cloud_id_selects_cloud_mode_even_with_a_site():
    config = build("acme.atlassian.net", cloud_id=CLOUD_ID.upper())
    assert config.api_root == CLOUD_API
    assert config.cloud_id == CLOUD_ID
    assert config.site_url == "https://acme.atlassian.net"
    assert config.mode == "cloud"


def test_base_url_overrides_the_root_and_loses_its_trailing_slash():
    config = build("http://127.0.0.1:8765", base_url="http://127.0.0.1:8765/gateway/api/focus/v1/")
    assert config.api_root == "http://127.0.0.1:8765/gateway/api/focus/v1"


def test_neither_site_nor_cloud_id_is_a_clear_error():
    with pytest.raises(FocusConfigError, match=r"names no site.*host.*cloud_id"):
        build(None)


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("acme.atlassian.net/wiki", r"has a path \('/wiki'\); remove it"),
        ("https://acme.atlassian.net/?x=1", "has a query; remove it"),
        ("https://acme.atlassian.net/a#b", r"has a path \('/a'\) and a fragment"),
        ("https://me:pw@acme.atlassian.net", "must not carry credentials"),
        ("acme atlassian.net", "contains spaces"),
        ("ftp://acme.atlassian.net", "must use https"),
        ("http://acme.atlassian.net", "only loopback hosts"),
        ("https://acme_.atlassian.net", "no valid host name"),
        ("https://acme.atlassian.net:99999", "not a valid URL"),
    ],
)
def test_bad_hosts_name_the_field_and_show_an_example(host, message):
    with pytest.raises(FocusConfigError, match=message) as excinfo:
        build(host)
    assert "acme.atlassian.net" in str(excinfo.value)
    assert "host" in str(excinfo.value)


@pytest.mark.parametrize("password", ["tok\n", "  tok  ", "tok\r\n"])
def test_credentials_lose_surrounding_whitespace(password):
    assert build("acme.atlassian.net", password=password).password == "tok"


@pytest.mark.parametrize(("field", "value"), [("password", "to k"), ("password", "to\nk"), ("login", "me\x00@x")])
def test_credentials_with_inner_whitespace_or_controls_are_refused_unquoted(field, value):
    with pytest.raises(FocusConfigError, match=f"{field} contains a space, a line break") as excinfo:
        build("acme.atlassian.net", **{field: value})
    assert value not in str(excinfo.value)


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_timeouts_must_be_finite_and_positive(value):
    with pytest.raises(FocusConfigError, match="'timeout' must be a positive number"):
        build("acme.atlassian.net", timeout=value)


def test_credentials_in_a_host_never_reach_the_message():
    with pytest.raises(FocusConfigError) as excinfo:
        build("https://me:hunter2secret@acme.atlassian.net:99999")
    assert "hunter2secret" not in str(excinfo.value)


@pytest.mark.parametrize("cloud_id", ["not-a-uuid", "a436116f02ce45208fbb7301462a1674", "123"])
def test_bad_cloud_id(cloud_id):
    with pytest.raises(FocusConfigError, match=r"'cloud_id' must be a UUID such as"):
        build("acme.atlassian.net", cloud_id=cloud_id)


def test_unknown_auth_type_lists_the_known_ones():
    with pytest.raises(FocusConfigError, match=r"auth_type.*'api_token', 'oauth2_client_credentials'"):
        build("acme.atlassian.net", auth_type="kerberos")


def test_api_token_needs_email_and_token():
    with pytest.raises(FocusConfigError, match="email"):
        build("acme.atlassian.net", login=None)
    with pytest.raises(FocusConfigError, match="API token"):
        build("acme.atlassian.net", password=None)


@pytest.mark.parametrize("auth_type", ["oauth2_client_credentials", "oauth2_token"])
def test_oauth_modes_need_cloud_mode(auth_type):
    with pytest.raises(FocusConfigError, match="cloud_id"):
        build("acme.atlassian.net", auth_type=auth_type)
    assert build(None, auth_type=auth_type, cloud_id=CLOUD_ID).auth_type.value == auth_type


def test_client_credentials_need_id_and_secret():
    with pytest.raises(FocusConfigError, match="client id"):
        build(None, login=None, auth_type="oauth2_client_credentials", cloud_id=CLOUD_ID)


def test_numeric_and_tls_extras():
    config = build("acme.atlassian.net", timeout="12.5", max_retries="0", verify="false", max_retry_wait=5)
    assert (config.timeout, config.max_retries, config.verify, config.max_retry_wait) == (12.5, 0, False, 5.0)
    assert build("acme.atlassian.net", verify=__file__).verify == __file__
    with pytest.raises(FocusConfigError, match=r"CA bundle '/no/such/ca\.pem', which does not exist"):
        build("acme.atlassian.net", verify="/no/such/ca.pem")
    with pytest.raises(FocusConfigError, match="'timeout' must be a positive number"):
        build("acme.atlassian.net", timeout="soon")
    with pytest.raises(FocusConfigError, match="'max_retries' must be a whole number"):
        build("acme.atlassian.net", max_retries=-1)


def test_legacy_prefixed_extras_are_read():
    config = build(None, **{"extra__atlassian_focus__cloud_id": CLOUD_ID})
    assert config.api_root == CLOUD_API


def test_repr_hides_the_password():
    assert TOKEN not in repr(build("acme.atlassian.net"))


# --- the three ways Airflow stores a connection ------------------------------------------------------------


def test_connection_from_json_env_var(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_FOCUS_JSON",
        json.dumps(
            {
                "conn_type": "atlassian_focus",
                "login": "client-id",
                "password": "client-secret",
                "extra": {"cloud_id": CLOUD_ID, "auth_type": "oauth2_client_credentials"},
            }
        ),
    )
    config = FocusHook("focus_json").config
    assert config.auth_type is AuthType.OAUTH2_CLIENT_CREDENTIALS
    assert config.api_root == CLOUD_API


def test_connection_from_uri_env_var(monkeypatch):
    conn = Connection(
        conn_id="focus_uri",
        conn_type="atlassian_focus",
        host="acme.atlassian.net",
        login=EMAIL,
        password="tok/with:odd@chars",
        extra=json.dumps({"timeout": 7}),
    )
    monkeypatch.setenv("AIRFLOW_CONN_FOCUS_URI", conn.get_uri())
    assert conn.get_uri().startswith("atlassian-focus://")
    config = FocusHook("focus_uri").config
    assert config.password == "tok/with:odd@chars"
    assert config.login == EMAIL
    assert config.timeout == 7
    assert config.site_url == "https://acme.atlassian.net"


def test_hook_init_does_no_io_and_errors_name_the_connection(monkeypatch):
    hook = FocusHook("missing_conn_never_read")  # no connection exists: __init__ must not look
    assert hook.focus_conn_id == "missing_conn_never_read"
    monkeypatch.setenv("AIRFLOW_CONN_FOCUS_BAD", json.dumps({"conn_type": "atlassian_focus", "host": "a b"}))
    with pytest.raises(FocusConfigError, match=r"Connection 'focus_bad': .*contains spaces"):
        _ = FocusHook("focus_bad").config
