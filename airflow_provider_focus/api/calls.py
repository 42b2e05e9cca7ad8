"""
What the sync and the async client share about one API call: its normalised arguments, what its response means,
and the retry log line. Only the I/O differs between :mod:`~airflow_provider_focus.api.client` and
:mod:`~airflow_provider_focus.api.async_client`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import tenacity

from airflow_provider_focus import __version__
from airflow_provider_focus.api.errors import HttpResponse, error_from_response
from airflow_provider_focus.api.retry import IDEMPOTENT_METHODS
from airflow_provider_focus.exceptions import (
    BODY_EXCERPT_CHARS,
    FocusConfigError,
    FocusNotFoundError,
    FocusResponseError,
)

log = logging.getLogger(__name__)

#: The product part of the ``User-Agent`` header; each client appends its HTTP library.
USER_AGENT_PRODUCT = f"airflow-provider-focus/{__version__}"


@dataclass
class Call:
    """
    One API call, normalised, plus what its earlier attempts left behind.

    :param method: HTTP method, upper case.
    :param path: path relative to the API root, without slashes at either end.
    :param query: query parameters without ``None`` values.
    :param body: the JSON body.
    :param idempotent: whether repeating it is harmless after an ambiguous failure.
    """

    method: str
    path: str
    query: dict[str, Any]
    body: Any
    idempotent: bool
    token_refreshed: bool = field(default=False)
    sent_without_answer: bool = field(default=False)

    @classmethod
    def of(cls, method: str, path: str, params: Mapping[str, Any] | None, body: Any, idempotent: bool | None) -> Call:
        """
        Normalise the arguments of ``request()``.

        :param method: HTTP method.
        :param path: path relative to the API root.
        :param params: query parameters; ``None`` values are left out.
        :param body: the JSON body.
        :param idempotent: ``None`` means "every method but POST".
        :raises FocusConfigError: for an absolute URL or ``.``/``..`` segments.
        """
        method = method.upper()
        return cls(
            method=method,
            path=checked_path(path),
            query={key: value for key, value in (params or {}).items() if value is not None},
            body=body,
            idempotent=method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
        )

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

    def result(self, response: HttpResponse) -> Any:
        """
        Return the decoded body of a success, or raise the error an error status stands for.

        :param response: the final answer of an attempt.
        :raises FocusApiError: (a subclass of it) for an error status.
        """
        if response.status_code >= 400:
            error = error_from_response(response, method=self.method, path=self.path)
            if isinstance(error, FocusNotFoundError) and self.method == "DELETE" and self.sent_without_answer:
                log.info("Focus API DELETE %s: the earlier attempt took effect (now 404)", self.path)
                return None
            raise error
        return decode(response, self.method, self.path)

    @property
    def where(self) -> tuple[str, str]:
        """``(method, path)`` for log lines."""
        return self.method, self.path


def checked_path(path: str) -> str:
    """
    Refuse a path that could leave the API root, and strip its slashes.

    :param path: path relative to the API root.
    :raises FocusConfigError: for an absolute URL or ``.``/``..`` segments.
    """
    if "://" in path or path.startswith("//"):
        raise FocusConfigError(f"Focus API paths are relative to the API root, e.g. 'focus-areas'; got {path!r}.")
    stripped = path.strip("/")
    if any(segment in (".", "..") for segment in stripped.split("/")):
        raise FocusConfigError(f"The Focus API path {path!r} contains '.' or '..' segments.")
    return stripped


def decode(response: HttpResponse, method: str, path: str) -> Any:
    """
    Decode a success body as JSON (``None`` for an empty body or 204).

    :raises FocusResponseError: when the body is not JSON.
    """
    if response.status_code == 204 or not response.content:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        excerpt = " ".join(response.text.split())[:BODY_EXCERPT_CHARS]
        raise FocusResponseError(
            status_code=response.status_code,
            method=method,
            path=path,
            body_excerpt=excerpt,
            hint="The answer was not valid JSON (truncated or from a proxy).",
        ) from None


def log_retry(call: Call, retry_state: tenacity.RetryCallState, max_retries: int) -> None:
    """Log a failed attempt and the wait before the next one (tenacity's ``before_sleep``)."""
    error = retry_state.outcome.exception() if retry_state.outcome else None
    wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
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


def causes(err: BaseException) -> list[BaseException]:
    """Walk an exception's args, ``reason``, cause and context to find the underlying errors."""
    found: list[BaseException] = []
    pending: list[Any] = [err]
    while pending and len(found) < 20:
        current = pending.pop()
        if not isinstance(current, BaseException) or current in found:
            continue
        found.append(current)
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        pending.extend(
            linked
            for linked in (getattr(current, "reason", None), current.__cause__, current.__context__)
            if linked is not None
        )
    return found


def first_line(err: BaseException) -> str:
    """The first line of an error's text (at most 200 characters), or its class name."""
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:200]
