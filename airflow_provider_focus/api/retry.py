"""Which failed calls are retried, and how long to wait before the next attempt."""

from __future__ import annotations

import random
from dataclasses import dataclass

import tenacity

from airflow_provider_focus.exceptions import (
    FocusConnectionError,
    FocusRateLimitError,
    FocusResponseError,
    FocusServerError,
)

#: The shortest wait after a 429, in seconds, even when ``Retry-After`` says 0: a storm is never hammered. A
#: server that keeps asking for less (``Retry-After: 0``, 429 after 429) gets that wait for the first
#: :data:`RATE_LIMIT_STEADY_ATTEMPTS` attempts of a call (a short burst is waited out in about a second), then a
#: wait that grows by :data:`RATE_LIMIT_FLOOR_GROWTH` per attempt, up to ``backoff_max``: a storm within the
#: rate-limit budget (5 minutes) costs about 40 requests, not 3,000.
MIN_RATE_LIMIT_WAIT = 0.1
#: Attempts of one call that wait :data:`MIN_RATE_LIMIT_WAIT` after a 429 that asks for less, before it grows.
RATE_LIMIT_STEADY_ATTEMPTS = 10
#: How much that wait grows per attempt afterwards.
RATE_LIMIT_FLOOR_GROWTH = 1.25

#: Methods whose repetition cannot change the outcome; POST is the one that is not.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """
    Retry decisions for Focus API calls.

    - 429 and 503 mean the request was not applied: every method is retried, after the wait the server asks
      for (``Retry-After`` or ``X-RateLimit-Reset``), capped at ``max_wait``; a 429 that asks for less than
      :data:`MIN_RATE_LIMIT_WAIT` waits that, and after :data:`RATE_LIMIT_STEADY_ATTEMPTS` attempts a wait
      grown by :data:`RATE_LIMIT_FLOOR_GROWTH` per attempt, up to ``backoff_max``. A 429 is budgeted in time, not
      attempts: while the call is younger than ``rate_limit_budget`` seconds (and the wait fits in what is left)
      it does not spend one of ``max_retries``.
    - Other 5xx, a response that is not JSON, timeouts and dropped connections are retried for idempotent
      calls only, with exponential backoff and full jitter: a POST may already have taken effect.
    - A connection that was never made (refused, connect timeout) is retried for every method.
    - 4xx and failures no retry can cure (unknown host, TLS) are never retried.

    :param max_retries: retries after the first attempt.
    :param max_wait: the longest single wait, in seconds, whatever the server asks for.
    :param backoff_initial: the first backoff window, in seconds; it doubles per attempt.
    :param backoff_max: the largest backoff window, in seconds.
    :param rate_limit_budget: how long one call keeps retrying 429s for free, in seconds.
    """

    max_retries: int = 5
    max_wait: float = 60.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    rate_limit_budget: float = 300.0

    def is_retryable(self, error: BaseException, *, idempotent: bool) -> bool:
        """
        Return whether ``error`` may be cured by sending the same request again.

        :param error: what the attempt raised.
        :param idempotent: whether repeating the request is harmless even if the first one took effect.
        """
        if isinstance(error, FocusRateLimitError):
            return True
        if isinstance(error, FocusServerError):
            return error.status_code == 503 or idempotent
        if isinstance(error, FocusResponseError):
            return idempotent
        if isinstance(error, FocusConnectionError):
            return error.transient and (idempotent or not error.may_have_taken_effect)
        return False

    def wait_seconds(self, error: BaseException | None, attempt_number: int) -> float:
        """
        Return how long to wait after failed attempt ``attempt_number`` (1-based).

        :param error: what the attempt raised; its ``retry_after`` wins when the server sent one.
        :param attempt_number: how many attempts have been made.
        """
        asked = getattr(error, "retry_after", None)
        if asked is not None and isinstance(error, FocusRateLimitError):
            if float(asked) < MIN_RATE_LIMIT_WAIT:  # no real guidance: a floor that grows per attempt
                grown = min(max(attempt_number - RATE_LIMIT_STEADY_ATTEMPTS, 0), 64)
                floor = MIN_RATE_LIMIT_WAIT * RATE_LIMIT_FLOOR_GROWTH**grown
                return min(floor, max(self.backoff_max, MIN_RATE_LIMIT_WAIT), self.max_wait)
            return min(float(asked), self.max_wait)
        if asked is not None:
            return min(float(asked), self.max_wait)
        # The exponent is capped: a 429 storm within its time budget may run to thousands of attempts.
        window = min(self.backoff_max, self.backoff_initial * 2 ** min(attempt_number - 1, 32))
        return min(random.uniform(0, window), self.max_wait)

    def tenacity_wait(self, retry_state: tenacity.RetryCallState) -> float:
        """Return the wait after the attempt ``retry_state`` describes (tenacity's ``wait``)."""
        error = retry_state.outcome.exception() if retry_state.outcome else None
        return self.wait_seconds(error, retry_state.attempt_number)
