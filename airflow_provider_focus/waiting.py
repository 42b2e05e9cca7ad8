"""
What a wait for a focus area makes of a status or an error, shared by the sensor (on a worker) and the trigger.

One place for these decisions keeps the sensor's two modes alike: deferred or not, a wait ends the same way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_provider_focus.api import model
from airflow_provider_focus.arguments import as_field_names, is_template
from airflow_provider_focus.exceptions import (
    FocusApiError,
    FocusConfigError,
    FocusError,
    FocusWaitTimeoutError,
    FocusWatcherError,
)

#: ``status`` values of the one event a wait ends with.
SUCCESS = "success"
FAILURE = "failure"
ERROR = "error"
TIMEOUT = "timeout"

#: A target status that any status matches: the wait ends as soon as the focus area exists.
ANY_STATUS = "*"

#: A read in flight when a wait's deadline passes gets this many seconds more before it is cut short.
READ_GRACE_SECONDS = 10.0

#: A watcher ends with an error after this many failures in a row that no retry cures (401, 403, ...).
DEFAULT_MAX_CONSECUTIVE_FAILURES = 5
#: The longest a watcher backs off between two tries after such failures (unless its poll interval is longer).
MAX_BACKOFF_SECONDS = 900.0


def describe_focus_area(focus_area_id: Any, external_id: Any) -> str:
    """
    Name the focus area a wait is about, for messages: ``fa-0004`` or ``with external id 'PRJ-1'``.

    :param focus_area_id: its id, when the wait is by id (else ``None``).
    :param external_id: its external id, when the wait is by external id.
    """
    return str(focus_area_id) if focus_area_id is not None else f"with external id {external_id!r}"


def describe_error(error: BaseException) -> str:
    """Return the error's own message for ours (they never hold a secret), its type and message for others."""
    return str(error) if isinstance(error, FocusError) else f"{type(error).__name__}: {error}"


def error_kind(error: BaseException) -> str:
    """Return a short key for an error, so that the same error seen again on the next poll is not logged again."""
    if isinstance(error, FocusApiError):
        return f"{type(error).__name__} {error.status_code}"
    return type(error).__name__


def same_status(status: Any, statuses: Sequence[str]) -> bool:
    """
    Return whether ``status`` is one of ``statuses``, ignoring case (``completed`` matches ``COMPLETED``).

    :param status: a focus area's ``status`` as the server sent it.
    :param statuses: the statuses to compare with.
    """
    return isinstance(status, str) and status.casefold() in {wanted.casefold() for wanted in statuses}


def outcome(status: Any, target_statuses: Sequence[str], failure_statuses: Sequence[str]) -> str | None:
    """
    Say what a focus area's status means to a waiting task: :data:`SUCCESS`, :data:`FAILURE` or ``None`` (wait on).

    Statuses are compared ignoring case; a target list holding :data:`ANY_STATUS` matches every status.

    :param status: the focus area's ``status``.
    :param target_statuses: the statuses that end the wait successfully.
    :param failure_statuses: the statuses that end it with a failure.
    """
    if same_status(status, failure_statuses):
        return FAILURE
    if ANY_STATUS in target_statuses or same_status(status, target_statuses):
        return SUCCESS
    return None


def status_message(focus_area: str, status: Any, result: str, statuses: Sequence[str]) -> str:
    """
    Describe the end of a wait in one sentence (the sensor raises or logs exactly this, deferred or not).

    :param focus_area: how to name the focus area, e.g. its id.
    :param status: its final status.
    :param result: :data:`SUCCESS` or :data:`FAILURE`.
    :param statuses: the target or failure statuses that matched.
    """
    if result == SUCCESS and ANY_STATUS in statuses:
        return f"Focus area {focus_area} exists (status {status})."
    if result == SUCCESS:
        return f"Focus area {focus_area} reached status {status}."
    return f"Focus area {focus_area} has status {status}, one of the failure statuses {', '.join(statuses)}."


def waiting_can_cure(error: BaseException) -> bool:
    """
    Return whether a failed read may succeed later, so that a wait polls on instead of ending.

    The client has already retried such errors (a 429, a 5xx, a dropped connection, an answer that is not JSON);
    a wait outlives its retries. An error no waiting cures ends the wait: rejected credentials (401, 403), a focus
    area that does not exist (404), a bad connection or argument.

    :param error: what the read raised.
    """
    if isinstance(error, (TimeoutError, asyncio.TimeoutError)):  # a read cut short by the wait's own deadline
        return True
    from airflow_provider_focus.api.retry import RetryPolicy  # with tenacity: only once a read has failed

    return RetryPolicy().is_retryable(error, idempotent=True)


def server_asked_wait(error: BaseException) -> float:
    """
    Return the wait the server asked for with ``error`` (``Retry-After``), as the client's retry policy honours it.

    :param error: what a read raised.
    :return: seconds (0 when the server asked for none).
    """
    if getattr(error, "retry_after", None) is None:
        return 0.0
    from airflow_provider_focus.api.retry import RetryPolicy  # with tenacity: only once a read has failed

    return RetryPolicy().wait_seconds(error, 1)


class FailureStreak:
    """
    Decide what a poll loop that never ends on its own (a watcher) does after a failed read: wait, or give up.

    An error waiting may cure (:func:`waiting_can_cure`: a 429, a 5xx, a dropped connection) is logged as a warning
    and tried again after the poll interval, or after what the server asked for (``Retry-After``) when longer; it
    never ends the loop. An error no retry cures (rejected credentials, a missing scope, a bad argument) is logged
    as an error that says what to fix, the loop backs off (doubling from the poll interval, at most
    :data:`MAX_BACKOFF_SECONDS`), and after ``max_consecutive_failures`` of them with no successful read in
    between, :meth:`failed` raises :class:`~airflow_provider_focus.exceptions.FocusWatcherError`.

    :param log: the logger to write to.
    :param what: what the loop does, for messages (e.g. ``the Focus change watcher of connection 'focus_default'``).
    :param poll_interval: seconds between two reads.
    :param max_consecutive_failures: give up after this many failures in a row that no retry cures.
    """

    def __init__(
        self,
        log: Any,
        *,
        what: str,
        poll_interval: float,
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
    ) -> None:
        if max_consecutive_failures < 1:
            raise FocusConfigError("max_consecutive_failures must be at least 1.")
        self._log = log
        self.what = what
        self.poll_interval = float(poll_interval)
        self.max_consecutive_failures = int(max_consecutive_failures)
        self.failures = 0

    def succeeded(self) -> None:
        """Note a successful read: the count of failures in a row starts again."""
        self.failures = 0

    def failed(self, error: BaseException) -> float:
        """
        Note a failed read; return how many seconds to wait before the next try.

        :param error: what the read raised.
        :raises FocusWatcherError: after ``max_consecutive_failures`` failures in a row that no retry cures.
        """
        asked = server_asked_wait(error)
        if waiting_can_cure(error):
            wait = max(self.poll_interval, asked)
            self._log.warning("%s failed (%s); trying again in %g s", self.what, describe_error(error), wait)
            return wait
        self.failures += 1
        if self.failures >= self.max_consecutive_failures:
            raise FocusWatcherError(
                f"{self.what} gave up after {self.failures} failures in a row that no retry cures; the last: "
                f"{describe_error(error)} Fix the connection (its credentials, scopes or site) or the watcher's "
                "arguments; Airflow starts the watcher again.",
                failures=self.failures,
            ) from error
        backoff = min(self.poll_interval * 2 ** (self.failures - 1), max(MAX_BACKOFF_SECONDS, self.poll_interval))
        wait = max(backoff, asked)
        self._log.error(
            "%s failed (%s). No retry cures this: fix the connection (its credentials, scopes or site) or the "
            "watcher's arguments. Failure %d of %d in a row; trying again in %g s, ending after %d.",
            self.what,
            describe_error(error),
            self.failures,
            self.max_consecutive_failures,
            wait,
            self.max_consecutive_failures,
        )
        return wait


def parse_statuses(target_statuses: Any, failure_statuses: Any) -> tuple[list[str], list[str]]:
    """
    Validate both status lists (templates pass until they are rendered).

    Statuses outside ``model.FOCUS_AREA_STATUSES`` are allowed, since only ``PENDING`` is documented; see
    :func:`unknown_statuses`.

    :param target_statuses: a list of statuses, or a rendered string: one status, comma-separated statuses or a
        JSON list.
    :param failure_statuses: the same; may be empty.
    :return: the two lists (empty for a list still holding a template).
    :raises FocusConfigError: for an empty target list or a status in both lists (ignoring case).
    """
    targets = _statuses("target_statuses", target_statuses)
    failures = _statuses("failure_statuses", failure_statuses, allow_empty=True)
    if both := sorted({status.upper() for status in targets if same_status(status, failures)}):
        raise FocusConfigError(f"{', '.join(both)} cannot be both a target and a failure status.")
    return targets, failures


def unknown_statuses(*lists: Sequence[str]) -> list[str]:
    """Return the statuses outside ``model.FOCUS_AREA_STATUSES`` (a [MODEL] guess, so they are allowed)."""
    return sorted(
        {
            status
            for statuses in lists
            for status in statuses
            if status != ANY_STATUS and not same_status(status, model.FOCUS_AREA_STATUSES)
        }
    )


def _statuses(name: str, value: Any, *, allow_empty: bool = False) -> list[str]:
    if is_template(value) or (isinstance(value, (list, tuple)) and any(is_template(status) for status in value)):
        return []
    statuses = as_field_names(name, value) or []
    if not statuses and not allow_empty:
        raise FocusConfigError(f"{name} must name at least one status, e.g. ['COMPLETED'].")
    return list(statuses)


class ChangeLog:
    """
    Log a line when what a wait sees changes, not on every poll (a 7-day wait at 60 s would write ~10,000 lines).

    :param log: the logger to write to.
    """

    def __init__(self, log: Any) -> None:
        self._log = log
        self._last: str | None = None

    def note(self, state: str, message: str, *args: Any, warning: bool = False) -> None:
        """
        Log ``message`` (lazy ``%s`` arguments) when ``state`` differs from the state noted last.

        :param state: a short key for what was seen, e.g. ``status PENDING``.
        :param message: the line to log.
        :param warning: log at warning level instead of info.
        """
        if state == self._last:
            return
        self._last = state
        (self._log.warning if warning else self._log.info)(message, *args)


@dataclass(frozen=True)
class WaitOutcome:
    """
    How a wait for a focus area ended.

    :param result: :data:`SUCCESS`, :data:`FAILURE`, :data:`TIMEOUT` or :data:`ERROR`.
    :param message: the end of the wait in one sentence (what a sensor raises or logs, what a trigger sends).
    :param focus_area_id: the focus area's id, once known.
    :param status: its last status seen (``None``: never read).
    :param focus_area: the focus area as last read.
    :param error: for :data:`ERROR`, what the read raised.
    """

    result: str
    message: str
    focus_area_id: Any = None
    status: Any = None
    focus_area: dict[str, Any] | None = None
    error: BaseException | None = None

    def event(self) -> dict[str, Any]:
        """Return the trigger event's payload: ``{"status", "focus_area_id", "focus_area_status", "message"}``."""
        return {
            "status": self.result,
            "focus_area_id": self.focus_area_id,
            "focus_area_status": self.status,
            "message": self.message,
        }

    def value(self) -> dict[str, Any]:
        """
        Return the focus area when the wait succeeded; raise what says why it did not.

        :raises FocusAreaStatusError: for a failure status (importing Airflow, whose exception it also is).
        :raises FocusWaitTimeoutError: when the deadline passed first.
        :raises FocusError: the read's own error, for an error no waiting cures.
        """
        if self.result == SUCCESS and self.focus_area is not None:
            return self.focus_area
        if self.result == FAILURE:
            from airflow_provider_focus.exceptions import FocusAreaStatusError

            raise FocusAreaStatusError(self.message)
        if self.result == TIMEOUT:
            raise FocusWaitTimeoutError(self.message, focus_area_id=self.focus_area_id, status=self.status)
        if self.error is not None:
            raise self.error
        raise FocusError(self.message)


class FocusAreaWait:
    """
    One wait for a focus area to reach a status: every decision, whoever reads (a sensor, a trigger, a ``@task``).

    The caller reads the focus area (by id, or by external id: ``None`` while none exists) and reports each read
    with :meth:`observed` or :meth:`failed`; either returns a :class:`WaitOutcome` when the wait is over. Between
    reads, :meth:`pause` says how long to sleep, or ``None`` once the deadline has passed (then
    :meth:`timed_out`). Statuses are compared ignoring case; a target :data:`ANY_STATUS` waits until the focus
    area exists. An error waiting may cure (:func:`waiting_can_cure`) keeps the wait going; any other ends it. What
    the wait sees is logged when it changes, not on every read.

    :param log: the logger to write to.
    :param focus_area_id: the focus area's id (this or ``external_id``).
    :param external_id: its external id (this or ``focus_area_id``).
    :param statuses: statuses that end the wait successfully.
    :param failure_statuses: statuses that end it with a failure.
    :param poll_interval: seconds between two reads.
    :param end_time: the deadline, in seconds since the epoch; ``None``: the caller keeps the time.
    """

    def __init__(
        self,
        log: Any,
        *,
        focus_area_id: str | None = None,
        external_id: str | None = None,
        statuses: Sequence[str],
        failure_statuses: Sequence[str] = (),
        poll_interval: float,
        end_time: float | None = None,
    ) -> None:
        if (focus_area_id is None) == (external_id is None):
            raise FocusConfigError("Give exactly one of focus_area_id and external_id.")
        if isinstance(statuses, str) or isinstance(failure_statuses, str):
            raise FocusConfigError("statuses and failure_statuses are lists of statuses, not one string.")
        if not statuses:
            raise FocusConfigError("statuses must name at least one status, e.g. ['COMPLETED'].")
        if float(poll_interval) <= 0:
            raise FocusConfigError(f"poll_interval must be a positive number of seconds, got {poll_interval!r}.")
        self.focus_area_id = focus_area_id
        self.external_id = external_id
        self.statuses = list(statuses)
        self.failure_statuses = list(failure_statuses)
        self.poll_interval = float(poll_interval)
        self.end_time = end_time
        self.seen_id: Any = focus_area_id
        self.status: Any = None
        self.last_error: BaseException | None = None  # what the last read raised (None: it answered)
        self.answered = False  # whether any read answered at all
        self._changes = ChangeLog(log)

    @property
    def focus_area(self) -> str:
        """How messages name the focus area."""
        return describe_focus_area(self.focus_area_id, self.external_id)

    def remaining(self) -> float | None:
        """Return the seconds left before the deadline (negative once passed), or ``None`` without one."""
        return None if self.end_time is None else self.end_time - time.time()

    def read_timeout(self) -> float | None:
        """Return how long a read may take before the deadline cuts it short (``None``: no deadline)."""
        remaining = self.remaining()
        return None if remaining is None else max(remaining, 0.0) + READ_GRACE_SECONDS

    def observed(self, focus_area: dict[str, Any] | None) -> WaitOutcome | None:
        """
        Take a read; return the outcome when the focus area's status settles the wait, else ``None``.

        :param focus_area: the focus area read, or ``None`` when no focus area has the external id yet.
        """
        self.last_error, self.answered = None, True
        if focus_area is None:
            self._changes.note("missing", "No focus area %s yet; waiting for it", self.focus_area)
            return None
        self.seen_id = focus_area.get(model.FIELD_ID, self.seen_id)
        self.status = focus_area.get(model.FIELD_STATUS)
        result = outcome(self.status, self.statuses, self.failure_statuses)
        if result is not None:
            matched = self.statuses if result == SUCCESS else self.failure_statuses
            message = status_message(self.focus_area, self.status, result, matched)
            return WaitOutcome(result, message, self.seen_id, self.status, focus_area)
        self._changes.note(
            f"status {self.status}",
            "Focus area %s is %s; waiting for %s",
            self.focus_area,
            self.status,
            ", ".join(self.statuses),
        )
        return None

    def failed(self, error: BaseException) -> WaitOutcome | None:
        """
        Take a failed read; return the :data:`ERROR` outcome when no waiting cures the error, else ``None``.

        :param error: what the read raised.
        """
        self.last_error = error
        if not waiting_can_cure(error):
            message = f"Could not read focus area {self.focus_area}: {describe_error(error)}"
            return WaitOutcome(ERROR, message, self.seen_id, self.status, error=error)
        self._changes.note(
            f"error {error_kind(error)}",
            "Could not read focus area %s (%s); %s",
            self.focus_area,
            describe_error(error),
            "waiting on" if self.end_time is None else "polling on until the deadline",
            warning=True,
        )
        return None

    def pause(self) -> float | None:
        """Return the seconds to sleep before the next read, or ``None`` when the deadline has passed."""
        remaining = self.remaining()
        if remaining is None:
            return self.poll_interval
        if remaining <= 0:
            return None
        return min(self.poll_interval, remaining)

    def timed_out(self) -> WaitOutcome:
        """
        Return the :data:`TIMEOUT` outcome: what was waited for, until when, and what the last read came to (the
        last status seen, that no focus area had the external id, or that the reads failed, with the last error).
        """
        deadline = datetime.fromtimestamp(self.end_time or 0, tz=timezone.utc).isoformat(timespec="seconds")
        wanted = "to exist" if ANY_STATUS in self.statuses else f"for {', '.join(self.statuses)}"
        if self.last_error is not None:
            failed = f"the last error: {describe_error(self.last_error)}"
            if not self.answered:
                seen = f"it could not be read, every read failed ({failed})"
            elif self.status is not None:
                seen = f"its last status seen was {self.status}, then the reads failed ({failed})"
            else:
                seen = f"the reads failed ({failed})"
        elif self.status is not None:
            seen = f"its last status was {self.status}"
        elif self.external_id is not None:
            seen = "no focus area had that external id"
        else:
            seen = "it could not be read"
        message = f"Timed out waiting for focus area {self.focus_area} {wanted} at {deadline}; {seen}."
        return WaitOutcome(TIMEOUT, message, self.seen_id, self.status)
