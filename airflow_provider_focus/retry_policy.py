"""
A ready task retry policy for Focus tasks (Airflow 3.3+): retry what time can fix, fail at once what it cannot.

The client already retries inside one try of the task: 429 and 503 honouring ``Retry-After``, other 5xx and
network errors for calls that are safe to repeat, up to the connection's ``max_retries``. The policy decides only
what happens to the task after the client gave up, so retries are never multiplied inside a try:

- a rate limit (:class:`~airflow_provider_focus.exceptions.FocusRateLimitError`) is retried after
  ``rate_limit_delay``, long enough for the quota window to pass;
- a server or network error (:class:`~airflow_provider_focus.exceptions.FocusServerError`,
  :class:`~airflow_provider_focus.exceptions.FocusConnectionError`) is retried after ``server_error_delay``;
- 400/422, 401/403 and 404 (:class:`~airflow_provider_focus.exceptions.FocusValidationError`,
  :class:`~airflow_provider_focus.exceptions.FocusAuthError`,
  :class:`~airflow_provider_focus.exceptions.FocusNotFoundError`), a wrong connection
  (:class:`~airflow_provider_focus.exceptions.FocusConfigError`), a redirect and a create whose outcome is unknown
  (:class:`~airflow_provider_focus.exceptions.FocusUncertainWriteError`: sending it again could create it twice)
  fail the task at once, whatever its ``retries``;
- anything else follows the task's own ``retries`` and ``retry_delay``.

A retried task still counts against its ``retries``: a call makes at most ``(max_retries + 1) * (retries + 1)``
attempts in all.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from airflow_provider_focus._compat import require_airflow
from airflow_provider_focus.exceptions import (
    FocusAuthError,
    FocusConfigError,
    FocusConnectionError,
    FocusNotFoundError,
    FocusRateLimitError,
    FocusRedirectError,
    FocusServerError,
    FocusUncertainWriteError,
    FocusValidationError,
)

if TYPE_CHECKING:
    from airflow.sdk.definitions.retry_policy import RetryPolicy

__all__ = ["focus_retry_policy"]

DEFAULT_RATE_LIMIT_DELAY = timedelta(minutes=1)
DEFAULT_SERVER_ERROR_DELAY = timedelta(minutes=2)


def focus_retry_policy(
    *,
    rate_limit_delay: timedelta = DEFAULT_RATE_LIMIT_DELAY,
    server_error_delay: timedelta = DEFAULT_SERVER_ERROR_DELAY,
) -> RetryPolicy:
    """
    Return the retry policy of a Focus task: ``FocusUpsertFocusAreasOperator(..., retries=3, retry_policy=...)``.

    :param rate_limit_delay: the wait before a try that follows a rate limit.
    :param server_error_delay: the wait before a try that follows a server or network error.
    :raises AirflowVersionError: on Airflow older than 3.3, which has no task retry policies.
    """
    require_airflow("3.3", feature="focus_retry_policy (task retry policies)")
    from airflow.sdk.definitions.retry_policy import ExceptionRetryPolicy, RetryAction, RetryRule

    return ExceptionRetryPolicy(
        rules=[
            RetryRule(
                exception=[FocusAuthError, FocusNotFoundError, FocusValidationError],
                action=RetryAction.FAIL,
                reason="Focus refused the request (HTTP 400/401/403/404/422): a retry cannot change that",
            ),
            RetryRule(
                exception=[FocusConfigError, FocusRedirectError],
                action=RetryAction.FAIL,
                reason="The Focus connection is wrong: fix it, a retry cannot",
            ),
            RetryRule(
                exception=FocusUncertainWriteError,
                action=RetryAction.FAIL,
                reason="A create may have taken effect: sending it again could create it twice",
            ),
            RetryRule(
                exception=FocusRateLimitError,
                action=RetryAction.RETRY,
                retry_delay=rate_limit_delay,
                reason="Focus rate limit: the client's own retries are spent, waiting for the quota",
            ),
            RetryRule(
                exception=[FocusServerError, FocusConnectionError],
                action=RetryAction.RETRY,
                retry_delay=server_error_delay,
                reason="Focus server or network error: the client's own retries are spent",
            ),
        ]
    )
