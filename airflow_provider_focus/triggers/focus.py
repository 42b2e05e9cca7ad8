"""A trigger that polls a focus area until its status is one a sensor waits for, or until the sensor's deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_focus.api import model
from airflow_provider_focus.api.deadline import within
from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.triggers._hook import focus_hook
from airflow_provider_focus.waiting import (
    ANY_STATUS,
    ERROR,
    READ_GRACE_SECONDS,
    SUCCESS,
    TIMEOUT,
    ChangeLog,
    describe_error,
    describe_focus_area,
    error_kind,
    outcome,
    status_message,
    waiting_can_cure,
)

if TYPE_CHECKING:
    from airflow_provider_focus.hooks.focus import FocusHook


class FocusAreaStatusTrigger(BaseTrigger):
    """
    Poll a focus area until its status is a target or a failure status, or until ``end_time``; yield one event.

    The event is ``{"status": "success" | "failure" | "timeout" | "error", "focus_area_id", "focus_area_status",
    "message"}``. Errors that waiting may cure (a 429, a 5xx, a dropped connection: after the client's own
    retries) keep the trigger polling until ``end_time``; an error no waiting cures (401/403, a focus area id that
    does not exist, a bad connection) ends the wait with ``error``. By external id, a focus area that does not
    exist yet is waited for. The trigger only reads, and logs a line when what it sees changes, not on every poll.

    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``.
    :param target_statuses: statuses that end the wait successfully, compared ignoring case (``"*"``: any).
    :param failure_statuses: statuses that end the wait with a failure, compared ignoring case.
    :param poll_interval: seconds between two reads.
    :param focus_area_id: the focus area's id (this or ``external_id``).
    :param external_id: the focus area's external id (this or ``focus_area_id``).
    :param end_time: the deadline, in seconds since the epoch: the trigger yields ``timeout`` after it. ``None``
        (triggers deferred by earlier versions) waits until the task's own deferral timeout.
    """

    def __init__(
        self,
        *,
        focus_conn_id: str,
        target_statuses: Sequence[str],
        failure_statuses: Sequence[str],
        poll_interval: float,
        focus_area_id: str | None = None,
        external_id: str | None = None,
        end_time: float | None = None,
    ) -> None:
        super().__init__()
        if (focus_area_id is None) == (external_id is None):
            raise FocusConfigError("Give the trigger exactly one of focus_area_id and external_id.")
        self.focus_conn_id = focus_conn_id
        self.focus_area_id = focus_area_id
        self.external_id = external_id
        self.target_statuses = list(target_statuses)
        self.failure_statuses = list(failure_statuses)
        self.poll_interval = float(poll_interval)
        self.end_time = None if end_time is None else float(end_time)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the classpath and the keyword arguments, all plain JSON."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "focus_conn_id": self.focus_conn_id,
                "target_statuses": self.target_statuses,
                "failure_statuses": self.failure_statuses,
                "poll_interval": self.poll_interval,
                "focus_area_id": self.focus_area_id,
                "external_id": self.external_id,
                "end_time": self.end_time,
            },
        )

    @property
    def focus_area(self) -> str:
        """How messages name the focus area."""
        return describe_focus_area(self.focus_area_id, self.external_id)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Read the focus area every ``poll_interval`` seconds until its status settles the wait or time is up."""
        hook = await focus_hook(self.focus_conn_id)
        focus_area_id, status = self.focus_area_id, None
        last_error: BaseException | None = None  # what the last read raised (None: it answered)
        answered = False  # whether any read answered at all
        changes = ChangeLog(self.log)
        try:
            while True:
                try:
                    focus_area = await self._read(hook)
                except Exception as err:  # an event, never a crashed trigger
                    last_error = err
                    if not waiting_can_cure(err):
                        message = f"Could not read focus area {self.focus_area}: {describe_error(err)}"
                        yield TriggerEvent(self._event(ERROR, focus_area_id, None, message))
                        return
                    changes.note(
                        f"error {error_kind(err)}",
                        "Could not read focus area %s (%s); polling on until the deadline",
                        self.focus_area,
                        describe_error(err),
                        warning=True,
                    )
                else:
                    last_error, answered = None, True
                    if focus_area is None:
                        changes.note("missing", "No focus area %s yet; waiting for it", self.focus_area)
                    else:
                        focus_area_id = focus_area.get(model.FIELD_ID, focus_area_id)
                        status = focus_area.get(model.FIELD_STATUS)
                        result = outcome(status, self.target_statuses, self.failure_statuses)
                        if result is not None:
                            matched = self.target_statuses if result == SUCCESS else self.failure_statuses
                            message = status_message(self.focus_area, status, result, matched)
                            yield TriggerEvent(self._event(result, focus_area_id, status, message))
                            return
                        changes.note(
                            f"status {status}",
                            "Focus area %s is %s; waiting for %s",
                            self.focus_area,
                            status,
                            ", ".join(self.target_statuses),
                        )
                remaining = self._remaining()
                if remaining is not None and remaining <= 0:
                    message = self._timeout_message(status, last_error, answered=answered)
                    yield TriggerEvent(self._event(TIMEOUT, focus_area_id, status, message))
                    return
                await asyncio.sleep(self.poll_interval if remaining is None else min(self.poll_interval, remaining))
        finally:
            await hook.aclose()

    async def _read(self, hook: FocusHook) -> dict[str, Any] | None:
        """Read the focus area once (``None``: no focus area has the external id), cut short after the deadline."""
        read = (
            hook.aget_focus_area(self.focus_area_id)
            if self.focus_area_id is not None
            else hook.afind_focus_area(str(self.external_id))
        )
        remaining = self._remaining()
        if remaining is None:
            return await read
        return await within(read, max(remaining, 0.0) + READ_GRACE_SECONDS)

    def _remaining(self) -> float | None:
        return None if self.end_time is None else self.end_time - time.time()

    def _timeout_message(self, status: Any, last_error: BaseException | None, *, answered: bool) -> str:
        """
        Say why the wait ran out: the last status seen, that no focus area had the external id, or that the reads
        failed (with the last error) -- whichever the last read came to.
        """
        deadline = datetime.fromtimestamp(self.end_time or 0, tz=timezone.utc).isoformat(timespec="seconds")
        wanted = "to exist" if ANY_STATUS in self.target_statuses else f"for {', '.join(self.target_statuses)}"
        if last_error is not None:
            failed = f"the last error: {describe_error(last_error)}"
            if not answered:
                seen = f"it could not be read, every read failed ({failed})"
            elif status is not None:
                seen = f"its last status seen was {status}, then the reads failed ({failed})"
            else:
                seen = f"the reads failed ({failed})"
        elif status is not None:
            seen = f"its last status was {status}"
        elif self.external_id is not None:
            seen = "no focus area had that external id"
        else:
            seen = "it could not be read"
        return f"Timed out waiting for focus area {self.focus_area} {wanted} at {deadline}; {seen}."

    def _event(self, result: str, focus_area_id: Any, status: Any, message: str) -> dict[str, Any]:
        return {
            "status": result,
            "focus_area_id": focus_area_id,
            "focus_area_status": status,
            "message": message,
        }
