"""The code shown in ``docs/testing.md``, run against the emulator; the page shows the parts between the markers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from airflow_provider_focus.hooks.focus import FocusHook


def test_start_from_python(capsys):
    # [START emulator_start]
    from airflow_provider_focus.testing import FocusEmulator

    with FocusEmulator(seed="demo") as fe:  # port=0: a free port
        print(fe.url)  # http://127.0.0.1:41234
        print(fe.site_api_root, fe.cloud_api_root, fe.token_url, fe.cloud_id)
    # [END emulator_start]
    url = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("http://127.0.0.1:"))
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=2)  # stopped when the with block ends


# [START emulator_pytest_fixtures]
def test_my_task(focus_emulator, focus_conn):
    # focus_emulator: a fresh emulator (seed "demo") for this test
    # focus_conn: AIRFLOW_CONN_FOCUS_DEFAULT now points at it; the value is "focus_default"
    hook = FocusHook(focus_conn)
    assert hook.find_focus_area("PRJ-001")["id"] == "fa-0003"
    assert focus_emulator.requests[-1].path == "focus-areas"


# [END emulator_pytest_fixtures]


def test_point_a_connection_at_it(focus_emulator, monkeypatch):
    fe = focus_emulator
    # [START emulator_connections]
    conn = fe.connection("focus_default")  # site root, API token
    conn = fe.connection("focus_default", mode="cloud")  # cloud root, API token
    conn = fe.connection("focus_default", auth_type="oauth2_client_credentials")  # cloud, token_url = fe.token_url
    conn = fe.connection("focus_default", auth_type="oauth2_token")  # cloud, a fresh bearer token
    uri = fe.conn_uri("focus_default", mode="cloud")  # the same as a URI
    monkeypatch.setenv(*fe.conn_env("focus_default").popitem())  # AIRFLOW_CONN_FOCUS_DEFAULT=<json>
    # [END emulator_connections]
    assert conn.extra_dejson["auth_type"] == "oauth2_token"
    assert uri.startswith("atlassian-focus://")
    assert FocusHook("focus_default").get_focus_area("fa-0001")["name"] == "Customer growth"


def test_users_clients_and_scopes(focus_emulator):
    fe = focus_emulator
    # [START emulator_scopes]
    from airflow_provider_focus.api.model import Scope

    fe.add_user("reader@example.com", "read-only", scopes=[Scope.FOCUS_AREAS_READ])
    fe.add_client("etl", "secret", scopes=[Scope.FUNDS_READ, Scope.FUNDS_WRITE])
    token = fe.issue_token(scopes=[Scope.FUNDS_READ], expires_in=0)  # 0: already expired -> 401
    # [END emulator_scopes]
    areas = f"{fe.site_api_root}/focus-areas"
    assert requests.get(areas, auth=("reader@example.com", "read-only"), timeout=5).status_code == 200
    assert requests.post(areas, json={}, auth=("reader@example.com", "read-only"), timeout=5).status_code == 403
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{fe.cloud_api_root}/funds/cost-types", headers=bearer, timeout=5).status_code == 401


def test_inject_faults(focus_emulator):
    fe = focus_emulator
    # [START emulator_faults]
    fe.faults.rate_limit(count=2, retry_after=1)  # next 2 API requests: 429 + Retry-After: 1
    fe.faults.token_bucket(rate=5, burst=10)  # a real rate limit until cleared
    fe.faults.server_error(count=1, status=503, retry_after=2)  # HTML body, like the edge
    fe.faults.latency(0.5, count=3)  # combines with the other faults
    fe.faults.drop_before(count=1)  # connection closed, request not handled
    fe.faults.drop_after(count=1, method="POST")  # the write happens, the answer is lost
    fe.faults.malformed_json(count=1)  # 200 with the JSON body cut in half
    fe.faults.clear()
    # [END emulator_faults]
    answer = requests.get(f"{fe.site_api_root}/focus-areas", auth=("a@example.com", "wrong"), timeout=5)
    assert answer.status_code == 401  # no fault left: the plain answer to wrong credentials


def test_assert_on_the_request_log(focus_emulator, focus_conn):
    fe = focus_emulator
    fe.faults.rate_limit(count=1, retry_after=0.1)

    def run_my_task():
        return list(FocusHook(focus_conn).list_focus_areas(name_contains="growth"))

    # [START emulator_request_log]
    fe.clear_requests()
    run_my_task()
    calls = fe.requests  # a copy; the control API is never logged
    assert [(r.method, r.path, r.status) for r in calls] == [
        ("GET", "focus-areas", 429),
        ("GET", "focus-areas", 200),
    ]
    assert (calls[0].fault, calls[0].auth_mode, calls[0].root) == ("rate_limit", "basic", "site")
    # [END emulator_request_log]


def test_move_a_status(focus_emulator):
    fe = focus_emulator
    # [START emulator_set_status]
    fe.set_status("fa-0004", "COMPLETED")  # from another process: POST /_emulator/focus-areas/fa-0004/status
    # [END emulator_set_status]
    answer = requests.post(
        f"{fe.url}/_emulator/focus-areas/fa-0004/status", data=json.dumps({"status": "NOPE"}), timeout=5
    )
    assert fe.store.focus_area("fa-0004")["status"] == "COMPLETED"
    assert answer.status_code == 400


def test_a_conftest_names_the_dags_folder(focus_dags_folder):
    assert focus_dags_folder == Path(__file__).parent / "airflow" / "dags"
