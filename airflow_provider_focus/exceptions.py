"""
Exceptions raised by the Focus provider.

Importing this module never imports Airflow (``api/`` and the services use it without Airflow). The two classes that
must also be Airflow exceptions, so that Airflow's task runner and sensor handling treat them as such, are built
on first use by the module's ``__getattr__``: :class:`FocusAreaStatusError` and :class:`FocusWaitError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException

#: At most this many characters of a non-JSON response body are quoted in an error message.
BODY_EXCERPT_CHARS = 300


class FocusError(Exception):
    """Base class of every error this provider raises."""


class FocusConfigError(FocusError, ValueError):
    """The Airflow connection (or an argument) does not describe a usable Focus API endpoint."""


class FocusConnectionError(FocusError):
    """
    The request got no HTTP response: DNS, refused connection, TLS, timeout or a dropped connection.

    :param message: what happened and what to do.
    :param method: HTTP method of the request.
    :param path: path of the request, relative to the API root.
    :param may_have_taken_effect: ``True`` when the request was sent before the failure, so a write may have
        been applied even though no answer arrived.
    :param transient: ``False`` for failures a retry cannot cure (an unknown host name, a TLS error).
    :param timed_out: ``True`` when no answer came within the timeout: the server may still be working on it.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        may_have_taken_effect: bool,
        transient: bool = True,
        timed_out: bool = False,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.may_have_taken_effect = may_have_taken_effect
        self.transient = transient
        self.timed_out = timed_out


class FocusUncertainWriteError(FocusError):
    """
    A create got no clear answer and its object was not found afterwards, but the server may still be working on
    it (a timeout, a 504), so it was not sent again: sending it again could create it twice.

    Look the object up by its external id before creating it again (the upsert operator, and retries of the
    create operator, do). The original error is the ``__cause__``.

    :param message: what happened and what to do.
    :param method: HTTP method of the request.
    :param path: path of the request, relative to the API root.
    """

    def __init__(self, message: str, *, method: str, path: str) -> None:
        super().__init__(message)
        self.method = method
        self.path = path


class FocusApiError(FocusError):
    """
    The Focus API answered with an error status.

    :param status_code: HTTP status of the response.
    :param errors: the parsed ``[{"type": ..., "message": ...}]`` list (empty when the body had none).
    :param method: HTTP method of the request.
    :param path: path of the request, relative to the API root.
    :param request_id: the trace id the server sent back, when it sent one.
    :param body_excerpt: the start of a body that was not a Focus error document.
    :param hint: one sentence telling the user what to do.
    """

    def __init__(
        self,
        *,
        status_code: int,
        errors: list[dict[str, Any]] | None = None,
        method: str,
        path: str,
        request_id: str | None = None,
        body_excerpt: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.errors = errors or []
        self.method = method
        self.path = path
        self.request_id = request_id
        self.body_excerpt = body_excerpt
        self.hint = hint
        super().__init__(self._compose_message())

    def _compose_message(self) -> str:
        parts = [f"Focus API {self.method} {self.path} failed with HTTP {self.status_code}"]
        if self.errors:
            details = "; ".join(
                f"{error.get('type') or 'ERROR'}: {error.get('message') or '(no message)'}" for error in self.errors
            )
            parts.append(f": {details}")
        elif self.body_excerpt:
            parts.append(f"; response body: {self.body_excerpt!r}")
        if self.request_id:
            parts.append(f" (request id {self.request_id})")
        message = "".join(parts) + "."
        if self.hint:
            message += f" {self.hint}"
        return message


class FocusAuthError(FocusApiError):
    """401 or 403: the credentials are wrong, expired or lack the scope the call needs."""

    def __init__(self, *, required_scope: str | None = None, **kwargs: Any) -> None:
        self.required_scope = required_scope
        super().__init__(**kwargs)


class FocusNotFoundError(FocusApiError):
    """404: the object (or, for a wrong site or cloudId, the whole API root) does not exist."""


class FocusValidationError(FocusApiError):
    """400 or 422: the server rejected the request body or parameters."""


class FocusResponseError(FocusApiError):
    """A success status with a body that is not the JSON the API documents (truncated, HTML, garbage)."""


class FocusRateLimitError(FocusApiError):
    """429 after every retry was spent."""

    def __init__(self, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(**kwargs)


class FocusRedirectError(FocusApiError):
    """
    A 3xx: the Focus API does not redirect, so the redirect was not followed (a credential must not follow it).

    :param location: where the server pointed, without query or credentials (``None`` when it sent no Location).
    """

    def __init__(self, *, location: str | None = None, **kwargs: Any) -> None:
        self.location = location
        super().__init__(**kwargs)


class FocusPartialFailure(FocusError):
    """
    Some records or items of a batch failed; the others were applied.

    :param message: what failed, in one sentence.
    :param report: the task's report (also pushed to XCom under the key ``report``).
    """

    def __init__(self, message: str, *, report: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.report = dict(report)


class FocusWaitTimeoutError(FocusError):
    """
    A wait for a focus area (:meth:`~airflow_provider_focus.hooks.focus.FocusHook.wait_for_focus_area`) reached its
    deadline before the focus area reached one of the statuses waited for.

    :param message: what was waited for, until when, and the last status seen.
    :param focus_area_id: the focus area's id, when it was found.
    :param status: its last status seen (``None``: never read).
    """

    def __init__(self, message: str, *, focus_area_id: Any = None, status: Any = None) -> None:
        super().__init__(message)
        self.focus_area_id = focus_area_id
        self.status = status


class FocusWatcherError(FocusError):
    """
    A watcher gave up: its reads kept failing with errors no retry cures (rejected credentials, a missing scope).

    :param message: what failed and what to fix.
    :param failures: how many failures in a row it saw.
    """

    def __init__(self, message: str, *, failures: int) -> None:
        super().__init__(message)
        self.failures = failures


class FocusServerError(FocusApiError):
    """5xx: the service or its gateway failed."""

    def __init__(self, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(**kwargs)


if TYPE_CHECKING:  # built by __getattr__ at run time; see _airflow_errors

    class FocusAreaStatusError(FocusError, AirflowFailException):
        """The focus area reached a failure status: the task fails without retries."""

    class FocusWaitError(FocusError, AirflowException):
        """A deferred wait ended on an error no waiting cures."""


#: The exception classes with an Airflow base class, by name, once built.
_AIRFLOW_ERRORS: dict[str, type[FocusError]] = {}


def _airflow_errors() -> dict[str, type[FocusError]]:
    """Define the exception classes that are also Airflow exceptions (importing Airflow), once."""
    if _AIRFLOW_ERRORS:
        return _AIRFLOW_ERRORS
    from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException

    class FocusAreaStatusError(FocusError, AirflowFailException):
        """
        The focus area reached one of the failure statuses a sensor was given.

        An ``AirflowFailException``: the task fails without retries (Airflow skips it with ``soft_fail`` or
        ``never_fail``).
        """

    class FocusWaitError(FocusError, AirflowException):
        """
        A deferred wait ended on an error no waiting cures: rejected credentials, a focus area that does not exist.

        An ``AirflowException``, so that Airflow's handling of a resumed sensor applies ``soft_fail`` and
        ``never_fail`` to it; otherwise the task's retries apply, as for the same error on a worker.
        """

    for cls in (FocusAreaStatusError, FocusWaitError):
        cls.__module__, cls.__qualname__ = __name__, cls.__name__
        _AIRFLOW_ERRORS[cls.__name__] = cls
    return _AIRFLOW_ERRORS


def __getattr__(name: str) -> Any:
    """Return a class that has an Airflow base class, building it (and importing Airflow) at first use."""
    if name in ("FocusAreaStatusError", "FocusWaitError"):
        cls = _airflow_errors()[name]
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BODY_EXCERPT_CHARS",
    "FocusApiError",
    "FocusAreaStatusError",
    "FocusAuthError",
    "FocusConfigError",
    "FocusConnectionError",
    "FocusError",
    "FocusNotFoundError",
    "FocusPartialFailure",
    "FocusRateLimitError",
    "FocusRedirectError",
    "FocusResponseError",
    "FocusServerError",
    "FocusUncertainWriteError",
    "FocusValidationError",
    "FocusWaitError",
    "FocusWaitTimeoutError",
    "FocusWatcherError",
]
