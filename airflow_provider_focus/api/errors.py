"""Turn an HTTP error response of the Focus API into the matching :class:`FocusApiError` subclass."""

from __future__ import annotations

import codecs
import email.message
import email.utils
import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from airflow_provider_focus.api import model
from airflow_provider_focus.api.scrub import NO_SECRETS
from airflow_provider_focus.exceptions import (
    BODY_EXCERPT_CHARS,
    FocusApiError,
    FocusAuthError,
    FocusConfigError,
    FocusConnectionError,
    FocusNotFoundError,
    FocusRateLimitError,
    FocusRedirectError,
    FocusResponseError,
    FocusServerError,
    FocusValidationError,
)

#: At most this many error items of an error body are kept, each field cut to :data:`BODY_EXCERPT_CHARS`.
MAX_ERROR_ITEMS = 5
#: Transport details (``[Errno 111] Connection refused``) are cut to this many characters.
DETAIL_CHARS = 200

#: Replaces the secrets the client knows in server text (a :class:`~airflow_provider_focus.api.scrub.Scrubber`).
Scrub = Callable[[str], str]


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


def parse_error_body(text: str, scrub: Scrub = NO_SECRETS) -> tuple[list[dict[str, Any]], str | None]:
    """
    Parse an error body into ``(errors, excerpt)``, scrubbed of the client's secrets and cut to bounded lengths.

    Understands the documented ``{"errors": [{"type", "message"}]}`` body, the api.atlassian.com gateway's
    ``{"code", "message"}`` body and the OAuth server's ``{"error", "error_description"}`` body. Anything else
    (HTML from the edge, plain text) comes back as an excerpt of at most :data:`BODY_EXCERPT_CHARS` characters.

    :param text: the response body.
    :param scrub: replaces the secrets the client knows; applied to the body and again to each decoded value
        (a JSON escape may hide a secret from the first pass), always before a value is cut.
    """
    text = scrub(text)
    try:
        body = json.loads(text) if text.strip() else None
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict):
        errors = body.get(model.ERRORS_KEY)
        if isinstance(errors, list) and errors:
            return [_as_error(item, scrub) for item in errors[:MAX_ERROR_ITEMS]], None
        if "message" in body or "code" in body:
            kind = f"GATEWAY_{cut(body.get('code', 'ERROR'), scrub=scrub)}"
            return [{"type": kind, "message": cut(body.get("message", ""), scrub=scrub)}], None
        if "error" in body:
            kind = cut(body["error"], scrub=scrub)
            return [{"type": kind, "message": cut(body.get("error_description", ""), scrub=scrub)}], None
    return [], excerpt_of(text, scrub)


def excerpt_of(text: str, scrub: Scrub = NO_SECRETS) -> str | None:
    """
    Return the start of a body that is not an error document, on one line, scrubbed and cut; ``None`` if blank.

    :param text: the body.
    :param scrub: replaces the secrets the client knows.
    """
    return cut(" ".join(scrub(text)[: BODY_EXCERPT_CHARS * 20].split())) or None


def cut(value: Any, limit: int = BODY_EXCERPT_CHARS, *, scrub: Scrub = NO_SECRETS) -> str:
    """
    Return ``value`` as text of at most ``limit`` characters (plus ``...`` when cut), scrubbed before it is cut.

    :param value: anything; a string is used as it is, anything else as its ``str()`` (a deep structure as its
        type name, since its ``str()`` may not end).
    :param limit: the longest text kept.
    :param scrub: replaces the secrets the client knows (before the cut, so no part of a secret survives it).
    """
    if isinstance(value, str):
        text = value
    elif isinstance(value, (int, float, bool)) or value is None:
        text = str(value)
    else:
        text = f"<{type(value).__name__}>"
    text = scrub(text)
    return text if len(text) <= limit else text[:limit] + "..."


def _as_error(item: Any, scrub: Scrub) -> dict[str, Any]:
    if isinstance(item, dict):
        kept = {cut(str(key), 100, scrub=scrub): cut(value, scrub=scrub) for key, value in list(item.items())[:10]}
        return {
            **kept,
            "type": cut(item.get("type") or "ERROR", 100, scrub=scrub),
            "message": cut(item.get("message") or "", scrub=scrub),
        }
    return {"type": "ERROR", "message": cut(item, scrub=scrub)}


def text_of(content: bytes, content_type: str | None) -> str:
    """
    Decode a body as text in the charset its ``Content-Type`` names (UTF-8 when none or an unknown one); never raises.

    :param content: the body.
    :param content_type: the ``Content-Type`` header.
    """
    charset = "utf-8"
    if content_type:
        message = email.message.Message()
        message["content-type"] = content_type
        named = message.get_param("charset")
        if isinstance(named, str):
            try:
                charset = codecs.lookup(named.strip()).name
            except LookupError:
                charset = "utf-8"
    try:
        return content.decode(charset, errors="replace")
    except (LookupError, ValueError):  # a codec that is not a text encoding
        return content.decode("utf-8", errors="replace")


def origin_of(url: str) -> str:
    """Return ``scheme://host[:port]`` of ``url``, without credentials, path or query (for messages)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(an invalid URL)"
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}{f':{port}' if port else ''}"


def redirect_error(
    response: HttpResponse, *, method: str, path: str, url: str, scrub: Scrub = NO_SECRETS
) -> FocusRedirectError:
    """
    Build the error for a 3xx: it is never followed, since a credential must not go to wherever it points.

    :param response: the 3xx answer.
    :param method: the request's HTTP method.
    :param path: the request's path relative to the API root (or its URL).
    :param url: the URL that was asked, to resolve a relative ``Location``.
    :param scrub: replaces the secrets the client knows.
    """
    location = response.headers.get("location")
    target: str | None = None
    if location:
        try:
            absolute = urljoin(url, location.strip())
            target = cut(origin_of(absolute) + urlsplit(absolute).path, 200, scrub=scrub)
        except ValueError:
            target = "(an invalid URL)"
    where = f"to {target}" if target else "without a Location"
    return FocusRedirectError(
        status_code=response.status_code,
        method=method,
        path=path,
        location=target,
        request_id=request_id_of(response, scrub),
        hint=f"It redirected {where}. The Focus API does not redirect, so the redirect was not followed (the "
        "credential stays with its host): check the connection's host, extra 'base_url' or 'token_url', and any "
        "proxy in between.",
    )


def empty_answer_error(
    response: HttpResponse, *, method: str, path: str, hint: str, scrub: Scrub = NO_SECRETS
) -> FocusResponseError:
    """
    Build the error for a success whose body is not what the call needs (empty, cut short, wrong shape).

    :param response: the answer.
    :param method: the request's HTTP method.
    :param path: the request's path relative to the API root.
    :param hint: what was expected.
    :param scrub: replaces the secrets the client knows.
    """
    return FocusResponseError(
        status_code=response.status_code,
        method=method,
        path=path,
        body_excerpt=excerpt_of(response.text, scrub),
        request_id=request_id_of(response, scrub),
        hint=hint,
    )


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


def request_id_of(response: HttpResponse, scrub: Scrub = NO_SECRETS) -> str | None:
    """Return the trace id the server sent with a response, if any (scrubbed, at most 100 characters)."""
    for header in model.TRACE_ID_HEADERS:
        if value := response.headers.get(header):
            return cut(value, 100, scrub=scrub)
    return None


def error_from_response(response: HttpResponse, *, method: str, path: str, scrub: Scrub = NO_SECRETS) -> FocusApiError:
    """
    Build the exception for an error response; the server's text in it is scrubbed of the client's secrets.

    :param response: a response with status >= 400.
    :param method: the request's HTTP method.
    :param path: the request's path relative to the API root.
    :param scrub: replaces the secrets the client knows.
    """
    status = response.status_code
    errors, excerpt = parse_error_body(response.text, scrub)
    common: dict[str, Any] = {
        "status_code": status,
        "errors": errors,
        "method": method,
        "path": path,
        "request_id": request_id_of(response, scrub),
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
            hint="Focus rate-limited the calls for longer than the retries allow: lower the task's concurrency or "
            "raise the connection's extra 'rate_limit_budget' (seconds) or 'max_retries'.",
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
#: The HTTP library refused to send the request (a header value with a line break): a configuration error.
INVALID_HEADER = "invalid_header"


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
    detail = cut(detail, DETAIL_CHARS)
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


def failure_error(
    kind: str, detail: str, *, method: str, path: str, host: str
) -> FocusConfigError | FocusConnectionError:
    """
    Build the exception for a request that got no complete answer, from what the transport reported.

    :param kind: one of the kinds above, or :data:`INVALID_HEADER`.
    :param detail: a short reason.
    :param method: the request's HTTP method.
    :param path: the request's path relative to the API root.
    :param host: the host the request went to, for the message.
    """
    if kind == INVALID_HEADER:
        return invalid_header_error(method, path)
    return connection_error(kind, method=method, path=path, host=host, detail=detail)
