from __future__ import annotations

import email.utils

import pytest
import requests

from airflow_provider_focus.api.errors import (
    error_from_response,
    parse_error_body,
    request_id_of,
    retry_after_seconds,
)
from airflow_provider_focus.exceptions import (
    BODY_EXCERPT_CHARS,
    FocusApiError,
    FocusAuthError,
    FocusNotFoundError,
    FocusRateLimitError,
    FocusServerError,
    FocusValidationError,
)


def response(status: int, body: str = "", headers: dict[str, str] | None = None) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp._content = body.encode()
    resp.headers.update(headers or {})
    return resp


def test_documented_error_body_is_parsed():
    errors, excerpt = parse_error_body(
        '{"errors": [{"type": "FORMAT_INVALID", "message": "Field [name] is invalid."}]}'
    )
    assert errors == [{"type": "FORMAT_INVALID", "message": "Field [name] is invalid."}]
    assert excerpt is None


def test_gateway_body_is_parsed():
    errors, _ = parse_error_body('{"code": 401, "message": "Unauthorized; scope does not match"}')
    assert errors == [{"type": "GATEWAY_401", "message": "Unauthorized; scope does not match"}]


def test_oauth_body_is_parsed():
    errors, _ = parse_error_body('{"error": "access_denied", "error_description": "Unauthorized"}')
    assert errors == [{"type": "access_denied", "message": "Unauthorized"}]


def test_non_json_body_is_quoted_short():
    html = "<html><body>" + "Bad gateway " * 100 + "</body></html>"
    errors, excerpt = parse_error_body(html)
    assert errors == []
    assert excerpt is not None
    assert excerpt.startswith("<html><body>Bad gateway")
    assert len(excerpt) <= BODY_EXCERPT_CHARS + 3


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, FocusValidationError),
        (422, FocusValidationError),
        (401, FocusAuthError),
        (403, FocusAuthError),
        (404, FocusNotFoundError),
        (429, FocusRateLimitError),
        (500, FocusServerError),
        (502, FocusServerError),
        (503, FocusServerError),
        (418, FocusApiError),
    ],
)
def test_status_maps_to_class(status, cls):
    error = error_from_response(response(status, '{"errors": []}'), method="GET", path="focus-areas")
    assert type(error) is cls
    assert error.status_code == status
    assert error.method == "GET"
    assert error.path == "focus-areas"


def test_message_quotes_status_errors_path_and_request_id():
    resp = response(
        400,
        '{"errors": [{"type": "FORMAT_INVALID", "message": "Field [name] is invalid."}]}',
        {"Atl-Traceid": "trace-77"},
    )
    error = error_from_response(resp, method="POST", path="focus-areas")
    text = str(error)
    assert "POST focus-areas failed with HTTP 400" in text
    assert "FORMAT_INVALID: Field [name] is invalid." in text
    assert "request id trace-77" in text
    assert error.request_id == "trace-77"
    assert error.errors[0]["type"] == "FORMAT_INVALID"


def test_auth_error_names_the_scope_the_call_needs():
    error = error_from_response(response(403, "{}"), method="POST", path="focus-areas")
    assert isinstance(error, FocusAuthError)
    assert error.required_scope == "focus-areas-write-scope"
    assert "focus-areas-write-scope" in str(error)
    gateway = '{"code": 401, "message": "Unauthorized; scope does not match"}'
    error = error_from_response(response(401, gateway), method="GET", path="funds/cost-type")
    assert "The call needs the scope 'funds-read-scope'" in str(error)
    plain = error_from_response(response(401, "{}"), method="GET", path="funds/cost-type")
    assert plain.required_scope == "funds-read-scope"
    assert "The call needs the scope" not in str(plain)  # a wrong password is not a scope problem


def test_request_id_headers_in_order():
    assert request_id_of(response(500, headers={"X-Request-Id": "r1"})) == "r1"
    assert request_id_of(response(500)) is None


def test_retry_after_seconds_forms():
    now = 1_000_000.0
    assert retry_after_seconds(response(429, headers={"Retry-After": "7"}), now=now) == 7
    date = email.utils.formatdate(now + 12, usegmt=True)
    assert retry_after_seconds(response(429, headers={"Retry-After": date}), now=now) == pytest.approx(12, abs=1)
    assert retry_after_seconds(response(429, headers={"X-RateLimit-Reset": "1970-01-12T13:46:50Z"}), now=now) == 10
    assert retry_after_seconds(response(429, headers={"Retry-After": "-5"}), now=now) == 0
    assert retry_after_seconds(response(429, headers={"Retry-After": "soon"}), now=now) is None
    assert retry_after_seconds(response(429), now=now) is None


def test_rate_limit_error_keeps_retry_after():
    error = error_from_response(response(429, "", {"Retry-After": "3"}), method="GET", path="focus-areas")
    assert isinstance(error, FocusRateLimitError)
    assert error.retry_after == 3


@pytest.mark.parametrize(
    "reset",
    [
        "1970-012T13:46:50Z",  # an ordinal date: Python's own parser refuses it even on 3.11
        "1970-01-12T13:46:50.0Z",  # Python 3.10 refuses one fraction digit
        "19700112T134650Z",  # and the basic format
        "1970-01-12T14:46:50+01",  # and an hours-only offset
        "1970-01-12T13:46:50 Z",  # what pendulum refuses, Python's parser reads
    ],
)
def test_rate_limit_reset_reads_every_iso_8601_form(reset):
    now = 1_000_000.0
    assert retry_after_seconds(response(429, headers={"X-RateLimit-Reset": reset}), now=now) == 10


@pytest.mark.parametrize("reset", ["P1D", "next tuesday", "1970-13-45T99:99Z"])
def test_a_rate_limit_reset_that_is_no_time_is_ignored(reset):
    assert retry_after_seconds(response(429, headers={"X-RateLimit-Reset": reset}), now=0.0) is None
