"""
One API call: its normalised arguments (path checks, the encoded body, the URL), what its answer means, and the
retry log line. The core (:mod:`~airflow_provider_focus.api.core`) runs it for both clients.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode

import tenacity

from airflow_provider_focus import __version__
from airflow_provider_focus.api import expect as expect_
from airflow_provider_focus.api.bodies import encode_json
from airflow_provider_focus.api.errors import (
    HttpResponse,
    Scrub,
    empty_answer_error,
    error_from_response,
    redirect_error,
)
from airflow_provider_focus.api.retry import IDEMPOTENT_METHODS
from airflow_provider_focus.api.scrub import NO_SECRETS
from airflow_provider_focus.exceptions import FocusConfigError, FocusNotFoundError

if TYPE_CHECKING:
    from airflow_provider_focus.api.steps import Answer

log = logging.getLogger(__name__)

#: The product part of the ``User-Agent`` header; each client appends its HTTP library.
USER_AGENT_PRODUCT = f"airflow-provider-focus/{__version__}"


#: What a call's success body must be (see :mod:`~airflow_provider_focus.api.expect`).
EXPECT_ANY = expect_.ANY
EXPECT_OBJECT = expect_.OBJECT
EXPECT_CREATED = expect_.CREATED


@dataclass
class Call:
    """
    One API call, normalised, plus what its earlier attempts left behind.

    :param method: HTTP method, upper case.
    :param path: path relative to the API root, without slashes at either end (or the URL, for a call outside it).
    :param url: the absolute URL, query included.
    :param body: the encoded JSON body, or ``None``.
    :param idempotent: whether repeating it is harmless after an ambiguous failure.
    :param expect: what the success body must be (:data:`EXPECT_OBJECT`, :data:`EXPECT_CREATED` or ``None``).
    :param authenticated: whether it carries the credential.
    :param find_existing: for a create with a caller-chosen key: looks the object up after an ambiguous failure.
    """

    method: str
    path: str
    url: str
    body: bytes | None = field(repr=False)
    idempotent: bool
    expect: str | None = None
    authenticated: bool = True
    find_existing: Callable[[], Any] | None = field(default=None, repr=False)
    token_refreshed: bool = field(default=False)
    sent_without_answer: bool = field(default=False)
    #: The error after which nothing may be tried again (the look-up after it failed, so nobody knows).
    final: BaseException | None = field(default=None, repr=False)

    @classmethod
    def of(
        cls,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        idempotent: bool | None,
        *,
        url_for: Callable[[str], str],
        expect: str | None = EXPECT_ANY,
        find_existing: Callable[[], Any] | None = None,
    ) -> Call:
        """
        Normalise the arguments of ``request()``.

        :param method: HTTP method.
        :param path: path relative to the API root.
        :param params: query parameters; ``None`` values are left out.
        :param body: the JSON body.
        :param idempotent: ``None`` means "every method but POST".
        :param url_for: turns a path into its absolute URL (the configuration's ``url_for``).
        :param expect: what the success body must be.
        :param find_existing: see the class.
        :raises FocusConfigError: for an absolute URL, ``.``/``..`` segments (also percent-encoded), or a body JSON
            cannot encode (``NaN``, a ``datetime``, nesting too deep), naming where in the body.
        """
        method = method.upper()
        path = checked_path(path)
        query = {key: value for key, value in (params or {}).items() if value is not None}
        url = url_for(path)
        if query:
            url += "?" + urlencode(query, doseq=True)
        return cls(
            method=method,
            path=path,
            url=url,
            body=encode_json(body, f"Focus API {method} {path}"),
            idempotent=method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
            expect=expect,
            find_existing=find_existing,
        )

    @classmethod
    def anonymous_get(cls, url: str, *, expect: str | None = EXPECT_OBJECT) -> Call:
        """
        Normalise a GET of an absolute URL that carries no credential (the site's tenant info).

        :param url: the URL.
        :param expect: what the success body must be.
        """
        return cls(method="GET", path=url, url=url, body=None, idempotent=True, expect=expect, authenticated=False)

    def should_refresh_token(self, response: HttpResponse, *, refreshable: bool) -> bool:
        """
        Return whether a 401 may be cured by fetching a new access token (once per call), and note that it was.

        :param response: the answer.
        :param refreshable: whether the auth strategy can fetch a new credential.
        """
        if response.status_code != 401 or not refreshable or self.token_refreshed:
            return False
        log.info("Focus API %s %s answered 401; fetching a new access token and trying once more", *self.where)
        self.token_refreshed = True
        return True

    def result(self, response: Answer, scrub: Scrub = NO_SECRETS) -> Any:
        """
        Return the decoded body of a success, or raise the error an answer stands for.

        :param response: the final answer of an attempt.
        :param scrub: replaces the secrets the client knows in the server's text that an error quotes.
        :raises FocusApiError: (a subclass of it) for an error status, a redirect, a body too large, cut short or
            of the wrong shape.
        """
        status = response.status_code
        if 300 <= status < 400:
            raise redirect_error(response, method=self.method, path=self.path, url=self.url, scrub=scrub)
        if status >= 400:
            error = error_from_response(response, method=self.method, path=self.path, scrub=scrub)
            if isinstance(error, FocusNotFoundError) and self.method == "DELETE" and self.sent_without_answer:
                log.info("Focus API DELETE %s: the earlier attempt took effect (now 404)", self.path)
                return None
            raise error
        if response.too_large:
            raise empty_answer_error(
                response,
                method=self.method,
                path=self.path,
                hint="The answer is larger than the connection's extra 'max_response_bytes' allows; it was not read.",
                scrub=scrub,
            )
        if status < 200:
            raise empty_answer_error(
                response,
                method=self.method,
                path=self.path,
                hint="An informational status is not an answer.",
                scrub=scrub,
            )
        return decode(response, self.method, self.path, expect=self.expect, scrub=scrub)

    @property
    def where(self) -> tuple[str, str]:
        """``(method, path)`` for log lines."""
        return self.method, self.path


def checked_path(path: str) -> str:
    """
    Refuse a path that could leave the API root, and strip its slashes.

    Percent-encoded dots count as dots: HTTP libraries decode ``%2E`` before sending, and servers decode it.

    :param path: path relative to the API root.
    :raises FocusConfigError: for an absolute URL or ``.``/``..`` segments.
    """
    if "://" in path or path.startswith("//"):
        raise FocusConfigError(f"Focus API paths are relative to the API root, e.g. 'focus-areas'; got {path!r}.")
    stripped = path.strip("/")
    for segment in stripped.split("/"):
        decoded = segment
        for _ in range(3):  # %252E decoded again by a proxy is still a dot
            decoded = unquote(decoded)
        if decoded.strip() in (".", "..") or any(ch in decoded for ch in "\r\n\0"):
            raise FocusConfigError(
                f"The Focus API path {path!r} contains a '.' or '..' segment (also percent-encoded, as %2E) or a "
                "control character; an id goes in resource_path(), which encodes it."
            )
    return stripped


def decode(
    response: HttpResponse, method: str, path: str, *, expect: str | None = EXPECT_ANY, scrub: Scrub = NO_SECRETS
) -> Any:
    """
    Decode a success body as JSON and check its shape.

    An empty body is ``None`` only for a 204 or a DELETE that expects nothing; anywhere else it was cut short.

    :param response: the answer.
    :param method: the request's method, for messages.
    :param path: the request's path, for messages.
    :param expect: what the body must be.
    :param scrub: replaces the secrets the client knows in the excerpt an error quotes.
    :raises FocusResponseError: when the body is empty, not JSON, or not of the expected shape.
    """
    if not response.content:
        if expect is EXPECT_ANY and (response.status_code == 204 or method == "DELETE"):
            return None
        raise empty_answer_error(
            response,
            method=method,
            path=path,
            hint="The answer had no body where JSON was expected (cut short?).",
            scrub=scrub,
        )
    try:
        value = json.loads(response.content)
    except (ValueError, RecursionError):
        value = _NOT_JSON
    if value is _NOT_JSON:
        raise empty_answer_error(
            response,
            method=method,
            path=path,
            hint="The answer was not valid JSON (truncated or from a proxy).",
            scrub=scrub,
        )
    if expect in (EXPECT_OBJECT, EXPECT_CREATED) and not isinstance(value, dict):
        raise empty_answer_error(
            response,
            method=method,
            path=path,
            hint=f"Expected a JSON object, got {type(value).__name__}.",
            scrub=scrub,
        )
    if expect == EXPECT_CREATED and not (isinstance(value.get("id"), (str, int)) and str(value.get("id")).strip()):
        raise empty_answer_error(
            response,
            method=method,
            path=path,
            hint="The create answered without the new object's 'id'.",
            scrub=scrub,
        )
    return value


_NOT_JSON = object()


def log_retry(call: Call, retry_state: tenacity.RetryCallState, max_retries: int) -> None:
    """Log a failed attempt and the wait before the next one (tenacity's ``before_sleep``)."""
    error = retry_state.outcome.exception() if retry_state.outcome else None
    wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
    if getattr(error, "status_code", None) == 429:
        log.warning(
            "Focus API %s %s was rate-limited (HTTP 429, attempt %d); trying again in %.1f s, within the "
            "connection's rate_limit_budget",
            call.method,
            call.path,
            retry_state.attempt_number,
            wait,
        )
        return
    log.warning(
        "Focus API %s %s failed (%s); retry %d of %d in %.1f s",
        call.method,
        call.path,
        summary(error),
        retry_state.attempt_number,
        max_retries,
        wait,
    )


def summary(error: BaseException | None) -> str:
    """Name an error in a few words: ``HTTP 429`` or its class name."""
    if error is None:
        return "unknown error"
    status = getattr(error, "status_code", None)
    return f"HTTP {status}" if status else type(error).__name__
