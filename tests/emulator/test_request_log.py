"""The request log keeps no secret and no more than ``request_log_size`` requests."""

from __future__ import annotations

import json

import pytest
import requests

from airflow_provider_focus.testing import (
    EMULATOR_API_TOKEN,
    EMULATOR_CLIENT_ID,
    EMULATOR_CLIENT_SECRET,
    EMULATOR_EMAIL,
    FocusEmulator,
)
from airflow_provider_focus.testing.cli import build_parser, main
from airflow_provider_focus.testing.records import DEFAULT_REQUEST_LOG_SIZE, REDACTED, redact
from tests.emulator.conftest import Api, bearer


def everything_logged(emulator: FocusEmulator) -> str:
    """The log as the Python API and the control API give it, as one text."""
    over_http = requests.get(emulator.url + "/_emulator/requests", timeout=5).text
    return json.dumps([record.to_dict() for record in emulator.requests]) + over_http


def test_secrets_in_bodies_and_headers_are_never_recorded(focus_emulator: FocusEmulator) -> None:
    grant = requests.post(
        focus_emulator.token_url,
        json={
            "grant_type": "client_credentials",
            "client_id": EMULATOR_CLIENT_ID,
            "client_secret": EMULATOR_CLIENT_SECRET,
        },
        timeout=5,
    ).json()
    token = grant["access_token"]
    assert bearer(focus_emulator, token).get("focus-areas").status_code == 200
    site = Api(focus_emulator.site_api_root, (EMULATOR_EMAIL, EMULATOR_API_TOKEN))
    nested = {"description": "x", "meta": {"password": "pw-123", "list": [{"refresh_token": "rt-456"}]}}
    site.patch("focus-areas/fa-0004", json=nested)
    site.get("focus-areas", params={"access_token": "at-789"})

    logged = everything_logged(focus_emulator)
    for secret in (EMULATOR_CLIENT_SECRET, token, EMULATOR_API_TOKEN, "pw-123", "rt-456", "at-789"):
        assert secret not in logged
    token_request, *_ = focus_emulator.requests
    assert token_request.root == "token"
    assert token_request.body["client_secret"] == REDACTED
    assert token_request.body["client_id"] == EMULATOR_CLIENT_ID  # not a secret: kept for assertions
    patch = next(record for record in focus_emulator.requests if record.method == "PATCH")
    assert patch.body["meta"] == {"password": REDACTED, "list": [{"refresh_token": REDACTED}]}
    assert patch.body["description"] == "x"
    assert focus_emulator.requests[-1].query["access_token"] == REDACTED
    assert [record.auth_mode for record in focus_emulator.requests] == ["none", "bearer", "basic", "basic"]


def test_redact_matches_keys_in_any_case_at_any_depth() -> None:
    value = {"Client_Secret": "a", "x": [{"ACCESS_TOKEN": "b"}, ({"password": "c"},)], "name": "keep"}
    assert redact(value) == {
        "Client_Secret": REDACTED,
        "x": [{"ACCESS_TOKEN": REDACTED}, [{"password": REDACTED}]],
        "name": "keep",
    }


def test_the_log_is_bounded_and_keeps_the_newest() -> None:
    with FocusEmulator(request_log_size=3) as fe:
        for _ in range(5):
            requests.get(fe.url + "/_edge/tenant_info", timeout=5)
        requests.get(fe.site_api_root + "/focus-areas/fa-0001", auth=(EMULATOR_EMAIL, EMULATOR_API_TOKEN), timeout=5)
        records = fe.requests
        assert len(records) == 3
        assert records[-1].path == "focus-areas/fa-0001"
        assert len(requests.get(fe.url + "/_emulator/requests", timeout=5).json()["requests"]) == 3


def test_the_default_bound_and_bad_sizes() -> None:
    assert DEFAULT_REQUEST_LOG_SIZE == 10_000
    assert FocusEmulator()._log.maxlen == DEFAULT_REQUEST_LOG_SIZE
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="request_log_size"):
            FocusEmulator(request_log_size=bad)


def test_cli_flag(capsys) -> None:
    assert build_parser().parse_args([]).request_log_size == DEFAULT_REQUEST_LOG_SIZE
    assert build_parser().parse_args(["--request-log-size", "50"]).request_log_size == 50
    assert main(["--port", "0", "--request-log-size", "0"]) == 1
    assert "request_log_size must be a positive integer" in capsys.readouterr().out
