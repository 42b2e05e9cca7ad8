"""Turn an HTTP error response of the Focus API into the matching :class:`FocusApiError` subclass."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Protocol

from airflow_provider_focus.api import model
from airflow_provider_focus.exceptions import (
    BODY_EXCERPT_CHARS,
    FocusApiError,
    FocusAuthError,
    FocusConfigError,
    FocusConnectionError,
    FocusNotFoundError,
    FocusRateLimitError,
    FocusServerError,
    FocusValidationError,
)


class HttpResponse(Protocol):
    """What error mapping reads of a response: ``requests.Response`` and ``httpx.Response`` both fit."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def content(self) -> bytes: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


def parse_error_body(text: str) -> tuple[list[dict[str, Any]], str | None]:
    """
    Parse an error body into ``(errors, excerpt)``.

    Understands the documented ``{"errors": [{"type", "message"}]}`` body, the api.atlassian.com gateway's
    ``{"code", "message"}`` body and the OAuth server's ``{"error", "error_description"}`` body. Anything else
    (HTML from the edge, plain text) comes back as an excerpt of at most :data:`BODY_EXCERPT_CHARS` characters.

    :param text: the response body.
    """
    try:
        body = json.loads(text) if text.strip() else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        errors = body.get(model.ERRORS_KEY)
        if isinstance(errors, list) and errors:
            return [_as_error(item) for item in errors], None
        if "message" in body or "code" in body:
            return [{"type": f"GATEWAY_{body.get('code', 'ERROR')}", "message": str(body.get("message", ""))}], None
        if "error" in body:
            return [{"type": str(body["error"]), "message": str(body.get("error_description", ""))}], None
    excerpt = " ".join(text.split())
    if len(excerpt) > BODY_EXCERPT_CHARS:
        excerpt = excerpt[:BODY_EXCERPT_CHARS] + "..."
    return [], excerpt or None


def _as_error(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        return {**item, "type": item.get("type") or "ERROR", "message": item.get("message") or ""}
    return {"type": "ERROR", "message": str(item)}


def retry_after_seconds(response: HttpResponse, *, now: float | None = None) -> float | None:
    """
    Read how long the server asks a client to wait from ``Retry-After`` or ``X-RateLimit-Reset``.

    ``Retry-After`` may be seconds or an HTTP date; ``X-RateLimit-Reset`` is an ISO 8601 time (or epoch seconds).

    :param response: the 429 or 503 response.
    :param now: the current time as epoch seconds (for tests).
    :return: seconds to wait (never negative), or ``None`` when neither header is usable.
    """
    now = time.time() if now is None else now
    retry_after = response.headers.get(model.RETRY_AFTER_HEADER)
    if retry_after:
        value = retry_after.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None:
            return max(0.0, _aware(parsed).timestamp() - now)
    reset = response.headers.get(model.RATE_LIMIT_RESET_HEADER)
    if reset:
        value = reset.strip()
        try:
            epoch = float(value)
        except ValueError:
            moment = _iso_8601(value)
            if moment is None:
                return None
            epoch = moment.timestamp()
        return max(0.0, epoch - now)
    return None


def _iso_8601(value: str) -> datetime | None:
    """
    Parse an ISO 8601 time with pendulum, which reads every form of the standard on every supported Python.

    Python 3.10's ``datetime.fromisoformat`` refuses ``12:00:00.5Z``, ``20250301T120000Z`` or ``+01``, and even
    3.11 refuses ordinal dates; the stdlib parser still reads the few non-standard spellings pendulum refuses
    (``2025-03-01T12:00:00 Z``). pendulum is imported here, on the rare 429 that needs it, not with the client.
    """
    import pendulum

    try:
        parsed = pendulum.parse(value)
    except (ValueError, TypeError, OverflowError):
        parsed = None
    if isinstance(parsed, datetime):
        return _aware(parsed)
    try:
        return _aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def request_id_of(response: HttpResponse) -> str | None:
    """Return the trace id the server sent with a response, if any."""
    for header in model.TRACE_ID_HEADERS:
        if value := response.headers.get(header):
            return value
    return None


def error_from_response(response: HttpResponse, *, method: str, path: str) -> FocusApiError:
    """
    Build the exception for an error response.

    :param response: a response with status >= 400.
    :param method: the request's HTTP method.
    :param path: the request's path relative to the API root.
    """
    status = response.status_code
    errors, excerpt = parse_error_body(response.text)
    common: dict[str, Any] = {
        "status_code": status,
        "errors": errors,
        "method": method,
        "path": path,
        "request_id": request_id_of(response),
        "body_excerpt": excerpt,
    }
    if status in (401, 403):
        scope = model.required_scope(method, path)
        return FocusAuthError(required_scope=scope, hint=_auth_hint(status, scope, errors), **common)
    if status == 404:
        return FocusNotFoundError(
            hint="Check the id; if every call fails like this, check the connection's site or cloud_id and "
            "that Focus is enabled on that site.",
            **common,
        )
    if status in (400, 409, 422):
        return FocusValidationError(hint="Fix the request as the server says; it is not retried.", **common)
    if status == 429:
        return FocusRateLimitError(
            retry_after=retry_after_seconds(response),
            hint="Focus rate-limited the calls and every retry was spent: lower the task's concurrency or "
            "raise the connection's extra 'max_retries'.",
            **common,
        )
    if status >= 500:
        return FocusServerError(
            retry_after=retry_after_seconds(response),
            hint="The Focus service or its gateway failed; try again later.",
            **common,
        )
    return FocusApiError(**common)


def _auth_hint(status: int, scope: str | None, errors: list[dict[str, Any]]) -> str:
    scope_named = status == 403 or any("scope" in str(error.get("message", "")).lower() for error in errors)
    needs = f" The call needs the scope {scope!r}." if scope and scope_named else ""
    if status == 401:
        return (
            "The credentials were rejected: check the connection's login (email or client id) and password "
            "(API token, client secret or access token); API tokens and access tokens expire, and a scoped "
            "token must include the call's scope." + needs
        )
    return "The credentials are valid but not allowed to do this: grant the missing permission or scope." + needs


#: Why a request got no answer; each transport library maps its own exceptions to one of these.
NOT_RESOLVED = "not_resolved"
TLS_FAILED = "tls_failed"
NOT_CONNECTED = "not_connected"
TIMED_OUT = "timed_out"
BROKEN = "broken"


def invalid_header_error(method: str, path: str) -> FocusConfigError:
    """
    Build the error for a request the HTTP library refused to send because a header value is invalid.

    The library's own message quotes the header, credentials included, so it is never passed on.

    :param method: the request's HTTP method.
    :param path: the request's path relative to the API root.
    """
    return FocusConfigError(
        f"Focus API {method} {path}: the request could not be sent because a header value is invalid. Check the "
        "connection's login and password for stray characters such as a line break inside them."
    )


def connection_error(kind: str, *, method: str, path: str, host: str, detail: str) -> FocusConnectionError:
    """
    Build the exception for a request that got no HTTP response.

    :param kind: one of :data:`NOT_RESOLVED`, :data:`TLS_FAILED`, :data:`NOT_CONNECTED` (never sent, safe to
        repeat), :data:`TIMED_OUT` or :data:`BROKEN` (sent, may have taken effect).
    :param method: the request's HTTP method.
    :param path: the request's path relative to the API root.
    :param host: the API host, for the message.
    :param detail: the first line of the underlying error, or its class name.
    """
    where = f"Focus API {method} {path}"
    if kind == NOT_RESOLVED:
        message = (
            f"{where}: the host {host!r} could not be resolved. Check the connection's host (your site, e.g. "
            "'acme.atlassian.net') or extra 'base_url'."
        )
        return FocusConnectionError(message, method=method, path=path, may_have_taken_effect=False, transient=False)
    if kind == TLS_FAILED:
        message = (
            f"{where}: the TLS handshake with {host!r} failed ({detail}). Check the connection's extra 'verify' "
            "(a CA bundle path) and the host."
        )
        return FocusConnectionError(message, method=method, path=path, may_have_taken_effect=False, transient=False)
    if kind == NOT_CONNECTED:
        message = f"{where}: could not connect to {host!r} ({detail}). The request was not sent."
        return FocusConnectionError(message, method=method, path=path, may_have_taken_effect=False)
    what = "no answer within the timeout" if kind == TIMED_OUT else "the connection broke"
    message = f"{where}: {what} after the request was sent to {host!r}; it may have taken effect. ({detail})"
    return FocusConnectionError(
        message, method=method, path=path, may_have_taken_effect=True, timed_out=kind == TIMED_OUT
    )
