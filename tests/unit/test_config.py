from __future__ import annotations

import json
import os
import string
from urllib.parse import quote, urlsplit

import certifi
import pytest
from airflow.sdk import Connection
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_focus.api import connection as connection_module
from airflow_provider_focus.api.config import AuthType, FocusClientConfig
from airflow_provider_focus.api.conn_fields import EXTRA_FIELDS
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
    assert build("acme.atlassian.net", verify=certifi.where()).verify == certifi.where()
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


# --- the port -----------------------------------------------------------------------------------------------------


def build_with_port(host, port, **extra) -> FocusClientConfig:
    return FocusClientConfig.from_connection_fields(host=host, port=port, login=EMAIL, password=TOKEN, extra=extra)


@pytest.mark.parametrize(
    ("host", "port", "site"),
    [
        ("127.0.0.1", 8771, "http://127.0.0.1:8771"),  # a loopback host without a scheme is the emulator: http
        ("localhost", "8771", "http://localhost:8771"),
        ("::1", 8771, "http://[::1]:8771"),
        ("acme.atlassian.net", 8443, "https://acme.atlassian.net:8443"),
        ("https://acme.atlassian.net", 443, "https://acme.atlassian.net"),  # the scheme's default is not written
        ("http://127.0.0.1:8771", 8771, "http://127.0.0.1:8771"),
        ("http://127.0.0.1:8771", None, "http://127.0.0.1:8771"),
        ("acme.atlassian.net", None, "https://acme.atlassian.net"),
    ],
)
def test_the_port_is_used_never_dropped(host, port, site):
    config = build_with_port(host, port)
    assert config.site_url == site
    assert config.api_root == f"{site}/gateway/api/focus/v1"


@pytest.mark.parametrize(
    ("host", "port", "message"),
    [
        ("127.0.0.1", 0, "port must be a whole number from 1 to 65535"),
        ("127.0.0.1", 70000, "port must be a whole number from 1 to 65535"),
        ("127.0.0.1", "http", "port must be a whole number from 1 to 65535"),
        ("http://127.0.0.1:8771", 8772, "host names port 8771 but its port field says 8772"),
        (None, 8771, "has a port but no host"),
    ],
)
def test_a_port_that_cannot_be_used_is_refused(host, port, message):
    with pytest.raises(FocusConfigError, match=message):
        build_with_port(host, port, cloud_id=CLOUD_ID)


def test_uri_form_keeps_the_port(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FOCUS_PORT", f"atlassian-focus://{EMAIL.replace('@', '%40')}:tok@127.0.0.1:8771")
    assert FocusHook("focus_port").config.api_root == "http://127.0.0.1:8771/gateway/api/focus/v1"


@pytest.mark.integration
def test_uri_form_reaches_an_emulator_on_its_port(monkeypatch, focus_emulator):
    conn = focus_emulator.connection()
    user, token = quote(conn.login, safe=""), quote(conn.password, safe="")
    uri = f"atlassian-focus://{user}:{token}@127.0.0.1:{focus_emulator.port}"
    monkeypatch.setenv("AIRFLOW_CONN_FOCUS_EMU_URI", uri)
    ok, message = FocusHook("focus_emu_uri").test_connection()
    assert (ok, message) == (True, f"Connected to Focus at {focus_emulator.url}/gateway/api/focus/v1 (api_token).")


# --- extras that are not an object, verify, absurd numbers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "must be a JSON object such as .*, not a list"),
        ('"cloud_id"', "not a string"),
        ("42", "not a number"),
        ("null", "not null"),
        ('{"cloud_id": ', "not valid JSON .*line 1, column"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON|not a list"),
    ],
)
def test_extras_that_are_no_json_object_are_refused(text, message):
    with pytest.raises(FocusConfigError, match=message) as excinfo:
        FocusClientConfig.from_connection_fields(host="acme.atlassian.net", login=EMAIL, password=TOKEN, extra=text)
    assert "extra" in str(excinfo.value)
    assert len(str(excinfo.value)) < 300


def test_the_hook_refuses_extras_that_are_a_list(set_connection):
    set_connection("focus_list", host="acme.atlassian.net", login=EMAIL, password=TOKEN, extra=[{"timeout": 5}])
    with pytest.raises(FocusConfigError, match=r"Connection 'focus_list': .*extra must be a JSON object.*not a list"):
        _ = FocusHook("focus_list").config


@pytest.mark.parametrize("stored", ["json", "uri"])
def test_the_hook_refuses_extras_that_are_not_json(monkeypatch, stored):
    conn = Connection(conn_id="x", conn_type="atlassian_focus", host="acme.atlassian.net", login=EMAIL, password=TOKEN)
    conn.extra = "{not json"
    text = json.dumps({"conn_type": "atlassian_focus", "host": conn.host, "extra": conn.extra})
    monkeypatch.setenv("AIRFLOW_CONN_FOCUS_NOT_JSON", text if stored == "json" else conn.get_uri())
    with pytest.raises(FocusConfigError, match=r"Connection 'focus_not_json': .*extra is not valid JSON \(Expecting"):
        _ = FocusHook("focus_not_json").config


def test_verify_must_name_a_pem_file(tmp_path):
    with pytest.raises(FocusConfigError, match=r"'verify' names .*, a directory"):
        build("acme.atlassian.net", verify=str(tmp_path))
    not_pem = tmp_path / "ca.der"
    not_pem.write_bytes(b"\x30\x82\x01\x0a garbage")
    with pytest.raises(FocusConfigError, match=r"'verify' names .*not a PEM CA bundle"):
        build("acme.atlassian.net", verify=str(not_pem))
    pem = tmp_path / "ca.pem"
    pem.write_text("# my proxy's CA\n" + certifi.contents())
    assert build("acme.atlassian.net", verify=str(pem)).verify == str(pem)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timeout", 1e9),
        ("timeout", "1e400"),
        ("timeout", 10**400),
        ("timeout", 0.01),
        ("timeout", True),
        ("timeout", [30]),
        ("max_retries", 10**9),
        ("max_retries", 21),
        ("max_retries", 2.5),
        ("max_retries", "2.5"),
        ("max_retries", False),
        ("max_retry_wait", 1e12),
        ("max_retry_wait", 0),
        ("max_response_bytes", 10),
        ("max_response_bytes", 2**40),
        ("max_response_bytes", 1500000.5),
    ],
)
def test_absurd_numbers_are_refused_naming_the_field_and_bounds(field, value):
    with pytest.raises(FocusConfigError, match=rf"extra '{field}' must be .* from [0-9.]+ to [0-9]+") as excinfo:
        build("acme.atlassian.net", **{field: value})
    assert len(str(excinfo.value)) < 200


def test_integral_numbers_are_read_in_any_json_spelling():
    config = build("acme.atlassian.net", max_retries=5.0, timeout=3600, max_retry_wait="0.1")
    assert (config.max_retries, config.timeout, config.max_retry_wait) == (5, 3600.0, 0.1)
    assert isinstance(config.max_retries, int)


# --- credentials in URL fields ------------------------------------------------------------------------------------

SECRET = "s3cr3tPASSword"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("host", f"user:{SECRET}"),
        ("host", f"https://user:{SECRET}"),
        ("host", f"user:{SECRET}@acme.atlassian.net"),
        ("host", f"https://user:{SECRET}@acme.atlassian.net"),
        ("host", f"https://user:{SECRET}@acme.atlassian.net/path?q=1"),
        ("host", f"https://user:{SECRET} x@acme.atlassian.net"),
        ("host", f"https://user:{SECRET}@[::1"),
        ("base_url", f"https://user:{SECRET}@api.atlassian.com/focus/cloud/x/v1"),
        ("base_url", f"http://user:{SECRET}@127.0.0.1:8765/gateway/api/focus/v1"),
        ("base_url", f"https://user:{SECRET}"),
        ("token_url", f"https://client:{SECRET}@auth.atlassian.com/oauth/token"),
    ],
)
def test_url_fields_with_credentials_are_refused_without_quoting_them(field, value):
    fields = {"host": "acme.atlassian.net", "extra": {}}
    if field == "host":
        fields["host"] = value
    else:
        fields["extra"][field] = value
    with pytest.raises(FocusConfigError, match=field) as excinfo:
        FocusClientConfig.from_connection_fields(login=EMAIL, password=TOKEN, **fields)
    assert SECRET not in str(excinfo.value)
    assert "s3cr3t" not in str(excinfo.value)


# --- warnings: unknown extras, credentials outside Atlassian ---------------------------------------------------------


@pytest.fixture
def fresh_warnings(wire_log):
    """Forget which warnings this process has logged, and record the new ones."""
    connection_module._warned.clear()
    yield wire_log
    connection_module._warned.clear()


@pytest.mark.parametrize(
    ("key", "closest"),
    [
        ("cloudid", "cloud_id"),
        ("cloudId", "cloud_id"),
        ("extra__atlassian_focus__cloudId", "cloud_id"),
        ("timout", "timeout"),
        ("max-retries", "max_retries"),
        ("authtype", "auth_type"),
        ("verify_ssl", "verify"),
    ],
)
def test_an_unknown_extra_is_a_warning_naming_the_closest_field(fresh_warnings, key, closest):
    config = build("acme.atlassian.net", **{key: "x"})
    assert config.mode == "site"  # ignored, not guessed
    assert f"extra {key!r} is unknown and ignored; did you mean {closest!r}?" in fresh_warnings.text


def test_an_unknown_extra_without_a_close_field_lists_the_known_ones(fresh_warnings):
    build("acme.atlassian.net", colour="blue")
    assert "extra 'colour' is unknown and ignored; the known extras are auth_type, cloud_id" in fresh_warnings.text


@pytest.mark.parametrize("spelling", ["api-token", "API_TOKEN", " Api Token ", "api.token"])
def test_auth_type_accepts_obvious_spellings(spelling):
    assert build("acme.atlassian.net", auth_type=spelling).auth_type is AuthType.API_TOKEN


def test_auth_type_spellings_of_oauth():
    config = build(None, auth_type="OAuth2-Client-Credentials", cloud_id=CLOUD_ID)
    assert config.auth_type is AuthType.OAUTH2_CLIENT_CREDENTIALS


def test_credentials_sent_outside_atlassian_are_a_warning_logged_once(fresh_warnings):
    for _ in range(3):
        config = build("focus-proxy.example.com")
    assert config.api_root == "https://focus-proxy.example.com/gateway/api/focus/v1"
    expected = "sends its credentials to https://focus-proxy.example.com (from its host), which is outside"
    assert [line for line in fresh_warnings.lines if expected in line] == [fresh_warnings.lines[0]]
    assert len(fresh_warnings.lines) == 1


def test_a_token_url_outside_atlassian_is_a_warning_when_it_is_used(fresh_warnings):
    build(None, auth_type="api_token", cloud_id=CLOUD_ID, token_url="https://sso.example.org/token")
    assert fresh_warnings.lines == []  # api_token never calls the token endpoint
    build(
        None,
        login="client",
        auth_type="oauth2_client_credentials",
        cloud_id=CLOUD_ID,
        token_url="https://sso.example.org/token",
    )
    assert "sends its credentials to https://sso.example.org (from its token_url)" in fresh_warnings.text


@pytest.mark.parametrize(
    "fields",
    [
        {"host": "acme.atlassian.net"},
        {"host": "https://ACME.Atlassian.NET"},
        {"host": "http://127.0.0.1:8765"},
        {"host": "localhost", "cloud_id": CLOUD_ID},
        {"host": "intranet.example.com", "cloud_id": CLOUD_ID},  # in cloud mode the host is only for links
        {"base_url": "http://[::1]:8765/gateway/api/focus/v1"},
    ],
)
def test_atlassian_and_loopback_destinations_are_no_warning(fresh_warnings, fields):
    build(fields.pop("host", None), **fields)
    assert fresh_warnings.lines == []


def test_a_proxy_base_url_is_a_warning(fresh_warnings):
    build("acme.atlassian.net", base_url="https://focus.proxy.example.com/v1")
    assert "sends its credentials to https://focus.proxy.example.com (from its base_url)" in fresh_warnings.text


# --- properties: whatever a connection holds, a valid config or a FocusConfigError comes out ------------------------

_KNOWN = [extra.name for extra in EXTRA_FIELDS]
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
_extra_values = _json | st.sampled_from(
    [
        "api_token",
        "API-Token",
        "oauth2_client_credentials",
        "oauth2_token",
        CLOUD_ID,
        "true",
        "no",
        "30",
        "0.1",
        "-1",
        "1e999",
        "http://127.0.0.1:8765/gateway/api/focus/v1",
        "https://focus.example.com/v1",
        "https://u:p@auth.atlassian.com/oauth/token",
        "/",
        "/etc/hostname",
    ]
)
_extra_keys = st.sampled_from(_KNOWN + [f"extra__atlassian_focus__{name}" for name in _KNOWN]) | st.text(max_size=12)
_extras = (
    st.none()
    | st.dictionaries(_extra_keys, _extra_values, max_size=6)
    | st.text(max_size=30)
    | _json.map(json.dumps)
    | st.dictionaries(_extra_keys, _extra_values, max_size=6).map(json.dumps)
)
_hosts = (
    st.none()
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "acme.atlassian.net",
            "https://acme.atlassian.net",
            "127.0.0.1",
            "[::1]",
            "::1",
            "localhost:8765",
            "http://127.0.0.1:8765",
            "https://acme.atlassian.net:99999",
            "acme.atlassian.net:0",
            "https://u:p@acme.atlassian.net",
            "ftp://acme.atlassian.net",
            "http://[::1",
        ]
    )
)
_ports = st.none() | st.integers(min_value=-5, max_value=70_000) | st.text(max_size=6)
_credentials = st.none() | st.text(max_size=30)


@settings(max_examples=250, deadline=None)
@given(host=_hosts, port=_ports, login=_credentials, password=_credentials, extra=_extras)
@pytest.mark.slow
def test_property_the_parser_returns_a_valid_config_or_a_config_error(host, port, login, password, extra):
    try:
        config = FocusClientConfig.from_connection_fields(
            host=host, port=port, login=login, password=password, extra=extra
        )
    except FocusConfigError as err:
        message = str(err)
        assert len(message) < 800
        secret = (password or "").strip()
        if len(secret) >= 6 and secret not in f"{host}{port}{login}{extra}":
            assert secret not in message
        return
    parts = urlsplit(config.api_root)
    assert parts.scheme in ("http", "https")
    assert parts.hostname
    assert not parts.username
    assert config.site_url is None or urlsplit(config.site_url).path == ""
    assert 0.1 <= config.timeout <= 3600
    assert isinstance(config.max_retries, int)
    assert 0 <= config.max_retries <= 20
    assert 0.1 <= config.max_retry_wait <= 3600
    assert config.verify in (True, False) or os.path.isfile(str(config.verify))
    assert isinstance(config.auth_type, AuthType)
    assert config.password is None or config.password == config.password.strip()


_secret_chars = st.text(alphabet=string.ascii_letters + string.digits + "!$&'()*+,;=-._~", min_size=6, max_size=20)


@settings(max_examples=150, deadline=None)
@given(
    field=st.sampled_from(["host", "base_url", "token_url"]),
    shape=st.sampled_from(
        [
            "{scheme}://{user}:{secret}@{site}{path}",
            "{scheme}://{user}:{secret}@{site}:8443{path}",
            "{scheme}://{user}:{secret}",
            "{scheme}://{secret}@{site}",
            "{user}:{secret}@{site}",
            "{user}:{secret}",
            "{scheme}://{user}:{secret}@[::1{path}",
            "{scheme}://{user}:{secret} @{site}",
        ]
    ),
    scheme=st.sampled_from(["https", "http", "ftp"]),
    user=st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8),
    site=st.sampled_from(["acme.atlassian.net", "127.0.0.1", "api.atlassian.com", "proxy.example.com"]),
    path=st.sampled_from(["", "/", "/gateway/api/focus/v1", "/oauth/token?x=1"]),
    secret=_secret_chars,
)
@pytest.mark.slow
def test_property_a_credential_in_a_url_field_is_refused_and_never_quoted(
    field, shape, scheme, user, site, path, secret
):
    secret = f"Zq{secret}"  # a marker no message or host name contains
    url = shape.format(scheme=scheme, user=user, secret=secret, site=site, path=path)
    host, extra = ("acme.atlassian.net", {field: url}) if field != "host" else (url, {})
    with pytest.raises(FocusConfigError) as excinfo:
        FocusClientConfig.from_connection_fields(host=host, login=EMAIL, password=TOKEN, extra=extra)
    assert secret not in str(excinfo.value)
    assert secret[:6] not in str(excinfo.value)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"host": "acme.atlassian.net", "extra": [1]}, "extra must be a JSON object"),
        ({"host": "acme.atlassian.net", "extra": {"verify": "/"}}, "'verify' names '/', a directory"),
        ({"host": "acme.atlassian.net", "extra": {"max_retries": 10**6}}, "'max_retries' must be a whole number"),
        ({"host": "https://me:s3cr3tPASS@acme.atlassian.net"}, "must not carry credentials"),
        ({"host": "127.0.0.1", "port": 99999}, "port must be a whole number"),
    ],
)
def test_sync_and_async_hooks_refuse_the_same_connection_alike(set_connection, fields, message):
    import asyncio

    set_connection("focus_bad_both", login=EMAIL, password=TOKEN, **fields)
    with pytest.raises(FocusConfigError, match=message) as sync_error:
        _ = FocusHook("focus_bad_both").config
    with pytest.raises(FocusConfigError, match=message) as async_error:
        asyncio.run(FocusHook("focus_bad_both").aget_config())
    assert str(sync_error.value) == str(async_error.value)
    assert "s3cr3tPASS" not in str(sync_error.value)
