"""A trigger that polls a focus area until its status is one of the statuses a sensor waits for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_focus.api import model
from airflow_provider_focus.exceptions import FocusError
from airflow_provider_focus.hooks.focus import FocusHook

#: ``status`` values of the one event the trigger yields.
SUCCESS = "success"
FAILURE = "failure"
ERROR = "error"
EVENT_STATUSES = (SUCCESS, FAILURE, ERROR)


def outcome(status: Any, target_statuses: Sequence[str], failure_statuses: Sequence[str]) -> str | None:
    """
    Say what a focus area's status means to a waiting task: :data:`SUCCESS`, :data:`FAILURE` or ``None`` (wait on).

    :param status: the focus area's ``status``.
    :param target_statuses: the statuses that end the wait successfully.
    :param failure_statuses: the statuses that end it with a failure.
    """
    if status in target_statuses:
        return SUCCESS
    if status in failure_statuses:
        return FAILURE
    return None


def status_message(focus_area_id: str, status: Any, result: str, statuses: Sequence[str]) -> str:
    """
    Describe the end of a wait in one sentence (the sensor raises or logs exactly this, deferred or not).

    :param focus_area_id: the focus area.
    :param status: its final status.
    :param result: :data:`SUCCESS` or :data:`FAILURE`.
    :param statuses: the target or failure statuses that matched.
    """
    if result == SUCCESS:
        return f"Focus area {focus_area_id} reached status {status}."
    return f"Focus area {focus_area_id} has status {status}, one of the failure statuses {', '.join(statuses)}."


class FocusAreaStatusTrigger(BaseTrigger):
    """
    Poll a focus area until its status is a target or a failure status, then yield one event.

    The event is ``{"status": "success" | "failure" | "error", "focus_area_id", "focus_area_status", "message"}``:
    ``error`` when the API still fails after the client's retries. The trigger only reads; how long to wait in
    all is the deferring task's ``timeout``.

    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``.
    :param focus_area_id: the focus area's id.
    :param target_statuses: statuses that end the wait successfully.
    :param failure_statuses: statuses that end the wait with a failure.
    :param poll_interval: seconds between two reads.
    """

    def __init__(
        self,
        *,
        focus_conn_id: str,
        focus_area_id: str,
        target_statuses: Sequence[str],
        failure_statuses: Sequence[str],
        poll_interval: float,
    ) -> None:
        super().__init__()
        self.focus_conn_id = focus_conn_id
        self.focus_area_id = focus_area_id
        self.target_statuses = list(target_statuses)
        self.failure_statuses = list(failure_statuses)
        self.poll_interval = float(poll_interval)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the classpath and the keyword arguments, all plain JSON."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "focus_conn_id": self.focus_conn_id,
                "focus_area_id": self.focus_area_id,
                "target_statuses": self.target_statuses,
                "failure_statuses": self.failure_statuses,
                "poll_interval": self.poll_interval,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Read the focus area every ``poll_interval`` seconds until its status settles the wait."""
        hook = FocusHook(focus_conn_id=self.focus_conn_id)
        try:
            while True:
                try:
                    focus_area = await hook.aget_focus_area(self.focus_area_id)
                except Exception as err:  # one "error" event, never a crashed trigger (dbt's model too)
                    detail = str(err) if isinstance(err, FocusError) else f"{type(err).__name__}: {err}"
                    message = f"Could not read focus area {self.focus_area_id}: {detail}"
                    yield TriggerEvent(self._event(ERROR, None, message))
                    return
                status = focus_area.get(model.FIELD_STATUS)
                result = outcome(status, self.target_statuses, self.failure_statuses)
                if result is not None:
                    matched = self.target_statuses if result == SUCCESS else self.failure_statuses
                    message = status_message(self.focus_area_id, status, result, matched)
                    yield TriggerEvent(self._event(result, status, message))
                    return
                self.log.info(
                    "Focus area %s is %s; waiting for %s", self.focus_area_id, status, ", ".join(self.target_statuses)
                )
                await asyncio.sleep(self.poll_interval)
        finally:
            await hook.aclose()

    def _event(self, result: str, status: Any, message: str) -> dict[str, Any]:
        return {
            "status": result,
            "focus_area_id": self.focus_area_id,
            "focus_area_status": status,
            "message": message,
        }
