"""A trigger that polls a focus area until its status is one a sensor waits for, or until the sensor's deadline."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.triggers._hook import focus_hook, stored_hook_params
from airflow_provider_focus.waiting import FocusAreaWait, describe_focus_area


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
    :param hook_params: keyword arguments of :class:`~airflow_provider_focus.hooks.focus.FocusHook` besides the
        connection id, as the deferring sensor's hook had them (plain JSON).
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
        hook_params: Mapping[str, Any] | None = None,
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
        self.hook_params = stored_hook_params(hook_params)

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
                "hook_params": self.hook_params,
            },
        )

    @property
    def focus_area(self) -> str:
        """How messages name the focus area."""
        return describe_focus_area(self.focus_area_id, self.external_id)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Read the focus area every ``poll_interval`` seconds until its status settles the wait or time is up."""
        hook = await focus_hook(self.focus_conn_id, **self.hook_params)
        try:
            wait = FocusAreaWait(
                self.log,
                focus_area_id=self.focus_area_id,
                external_id=self.external_id,
                statuses=self.target_statuses,
                failure_statuses=self.failure_statuses,
                poll_interval=self.poll_interval,
                end_time=self.end_time,
            )
            outcome = await hook.afollow_focus_area_wait(wait)
            yield TriggerEvent(outcome.event())
        finally:
            await hook.aclose()
