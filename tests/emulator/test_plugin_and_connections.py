from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests

from airflow_provider_focus.testing import (
    EMULATOR_API_TOKEN,
    EMULATOR_CLIENT_ID,
    EMULATOR_CLIENT_SECRET,
    EMULATOR_EMAIL,
    FocusEmulator,
)


def test_plugin_is_registered_through_the_entry_point(request: pytest.FixtureRequest) -> None:
    assert request.config.pluginmanager.hasplugin("focus_emulator")


def test_plugin_import_is_light() -> None:
    code = (
        "import sys, airflow_provider_focus.testing.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'airflow' "
        "or m.startswith('airflow_provider_focus.testing.') or m == 'http.server'))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert (
        output.strip() == "['airflow_provider_focus.testing.constants', 'airflow_provider_focus.testing.pytest_plugin']"
    )


def test_focus_emulator_fixture_is_started_with_the_demo_seed(focus_emulator: FocusEmulator) -> None:
    response = requests.get(
        focus_emulator.site_api_root + "/focus-areas", auth=(EMULATOR_EMAIL, EMULATOR_API_TOKEN), timeout=5
    )

    assert response.json()["totalCount"] == 6
    assert focus_emulator.store.seed == "demo"


def test_focus_conn_fixture_sets_the_default_connection(focus_conn: str, focus_emulator: FocusEmulator) -> None:
    assert focus_conn == "focus_default"
    conn = json.loads(os.environ["AIRFLOW_CONN_FOCUS_DEFAULT"])

    assert conn == {
        "conn_type": "atlassian_focus",
        "host": focus_emulator.url,
        "login": EMULATOR_EMAIL,
        "password": EMULATOR_API_TOKEN,
    }
    response = requests.get(
        conn["host"] + "/gateway/api/focus/v1/organizations", auth=(conn["login"], conn["password"])
    )
    assert response.status_code == 200


def test_cloud_api_token_connection(focus_emulator: FocusEmulator) -> None:
    conn = focus_emulator.connection("focus_cloud", mode="cloud")

    assert conn.conn_id == "focus_cloud"
    assert conn.conn_type == "atlassian_focus"
    assert conn.host == focus_emulator.url
    assert conn.extra_dejson == {"cloud_id": focus_emulator.cloud_id, "base_url": focus_emulator.cloud_api_root}
    response = requests.get(conn.extra_dejson["base_url"] + "/focus-areas", auth=(conn.login, conn.password), timeout=5)
    assert response.status_code == 200


def test_client_credentials_connection_forces_cloud_mode(focus_emulator: FocusEmulator) -> None:
    conn = focus_emulator.connection(auth_type="oauth2_client_credentials", mode="site")
    extra = conn.extra_dejson

    assert (conn.login, conn.password) == (EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET)
    assert extra["auth_type"] == "oauth2_client_credentials"
    assert extra["token_url"] == focus_emulator.token_url
    assert extra["base_url"] == focus_emulator.cloud_api_root
    grant = requests.post(
        extra["token_url"],
        data={"grant_type": "client_credentials", "client_id": conn.login, "client_secret": conn.password},
        timeout=5,
    ).json()
    response = requests.get(
        extra["base_url"] + "/focus-areas", headers={"Authorization": f"Bearer {grant['access_token']}"}, timeout=5
    )
    assert response.status_code == 200


def test_oauth2_token_connection_carries_a_live_token(focus_emulator: FocusEmulator) -> None:
    conn = focus_emulator.connection(auth_type="oauth2_token")

    assert conn.extra_dejson["auth_type"] == "oauth2_token"
    assert conn.extra_dejson["cloud_id"] == focus_emulator.cloud_id
    response = requests.get(
        focus_emulator.cloud_api_root + "/focus-areas", headers={"Authorization": f"Bearer {conn.password}"}, timeout=5
    )
    assert response.status_code == 200


def test_conn_uri_and_conn_env(focus_emulator: FocusEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.providers.common.compat.sdk import BaseHook

    uri = focus_emulator.conn_uri("my_focus", mode="cloud")
    monkeypatch.setenv("AIRFLOW_CONN_MY_FOCUS", uri)  # the way users store it
    parsed = BaseHook.get_connection("my_focus")
    env = focus_emulator.conn_env("my_focus", auth_type="oauth2_client_credentials")

    assert parsed.host == focus_emulator.url
    assert parsed.login == EMULATOR_EMAIL
    assert parsed.extra_dejson["base_url"] == focus_emulator.cloud_api_root
    assert list(env) == ["AIRFLOW_CONN_MY_FOCUS"]
    assert json.loads(env["AIRFLOW_CONN_MY_FOCUS"])["extra"]["token_url"] == focus_emulator.token_url


def test_connection_argument_checks(focus_emulator: FocusEmulator) -> None:
    with pytest.raises(ValueError, match="auth_type"):
        focus_emulator.connection(auth_type="password")
    with pytest.raises(ValueError, match="mode"):
        focus_emulator.connection(mode="moon")


def test_url_before_start_is_an_error() -> None:
    emulator = FocusEmulator()
    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.url
    emulator.start()
    try:
        assert emulator.start() is emulator
        assert emulator.url.startswith("http://127.0.0.1:")
    finally:
        emulator.stop()
        emulator.stop()


@pytest.mark.parametrize("auth_type", ["api_token", "oauth2_client_credentials"])
def test_conn_env_is_what_airflow_s_own_as_json_gives(focus_emulator: FocusEmulator, auth_type: str) -> None:
    # conn_env builds the JSON itself because Airflow 3.0's task SDK Connection has no as_json().
    connection = focus_emulator.connection("focus_default", auth_type=auth_type)

    assert focus_emulator.conn_env("focus_default", auth_type=auth_type) == {
        "AIRFLOW_CONN_FOCUS_DEFAULT": connection.as_json()
    }


def test_conn_env_imports_no_airflow() -> None:
    """The ``focus-emulator`` command prints its export line without importing Airflow (slow under load)."""
    code = (
        "import sys\n"
        "from airflow_provider_focus.testing import FocusEmulator\n"
        "with FocusEmulator() as fe:\n"
        "    env = fe.conn_env('x', auth_type='oauth2_client_credentials')\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'airflow'], 'airflow imported'\n"
        "print(env['AIRFLOW_CONN_X'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["extra"]["auth_type"] == "oauth2_client_credentials"
