"""What a watcher's poll loop makes of failed reads (:class:`FailureStreak`): wait, back off, or give up."""

from __future__ import annotations

import logging

import pytest

from airflow_provider_focus.exceptions import (
    FocusAuthError,
    FocusConfigError,
    FocusRateLimitError,
    FocusServerError,
    FocusWatcherError,
)
from airflow_provider_focus.waiting import DEFAULT_MAX_CONSECUTIVE_FAILURES, MAX_BACKOFF_SECONDS, FailureStreak

log = logging.getLogger("test_waiting")


def unauthorized() -> FocusAuthError:
    return FocusAuthError(status_code=401, method="GET", path="focus-areas", hint="Check the API token.")


def rate_limited(retry_after: float | None) -> FocusRateLimitError:
    return FocusRateLimitError(status_code=429, method="GET", path="focus-areas", retry_after=retry_after)


def streak(max_consecutive_failures: int = 4, poll_interval: float = 10.0) -> FailureStreak:
    return FailureStreak(
        log, what="The watcher", poll_interval=poll_interval, max_consecutive_failures=max_consecutive_failures
    )


def test_failures_no_retry_cures_back_off_doubling_then_end_the_loop(caplog: pytest.LogCaptureFixture) -> None:
    failures = streak()

    with caplog.at_level(logging.WARNING, logger="test_waiting"):
        waits = [failures.failed(unauthorized()) for _ in range(3)]
        with pytest.raises(FocusWatcherError, match="gave up after 4 failures in a row") as raised:
            failures.failed(unauthorized())

    assert waits == [10.0, 20.0, 40.0]
    assert raised.value.failures == 4
    assert "Check the API token." in str(raised.value)
    assert isinstance(raised.value.__cause__, FocusAuthError)
    assert [r.levelno for r in caplog.records] == [logging.ERROR] * 3
    assert all("No retry cures this" in r.getMessage() for r in caplog.records)


def test_the_back_off_is_capped_unless_the_poll_interval_is_longer() -> None:
    failures = streak(max_consecutive_failures=20, poll_interval=60.0)
    waits = [failures.failed(unauthorized()) for _ in range(10)]
    assert max(waits) == MAX_BACKOFF_SECONDS

    slow = streak(max_consecutive_failures=20, poll_interval=3600.0)
    assert [slow.failed(unauthorized()) for _ in range(3)] == [3600.0] * 3


def test_errors_waiting_may_cure_never_count_and_honour_retry_after(caplog: pytest.LogCaptureFixture) -> None:
    failures = streak(max_consecutive_failures=1)

    with caplog.at_level(logging.WARNING, logger="test_waiting"):
        waits = [failures.failed(rate_limited(None)) for _ in range(10)]
        asked = failures.failed(rate_limited(45.0))
        gateway = failures.failed(FocusServerError(status_code=502, method="GET", path="focus-areas"))

    assert waits == [10.0] * 10
    assert asked == 45.0  # Retry-After, as the client's retry policy honours it
    assert gateway == 10.0
    assert failures.failures == 0
    assert {r.levelno for r in caplog.records} == {logging.WARNING}


def test_a_successful_read_starts_the_count_again() -> None:
    failures = streak(max_consecutive_failures=2)
    for _ in range(5):
        assert failures.failed(unauthorized()) == 10.0
        failures.succeeded()


def test_a_bad_argument_is_not_retried_either() -> None:
    with pytest.raises(FocusWatcherError):
        streak(max_consecutive_failures=1).failed(FocusConfigError("parent_id is not a focus area id."))


def test_the_default_is_documented() -> None:
    assert DEFAULT_MAX_CONSECUTIVE_FAILURES == 5
    with pytest.raises(FocusConfigError):
        streak(max_consecutive_failures=0)
