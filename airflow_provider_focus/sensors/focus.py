"""Sensors that wait for a focus area (by id or external id) to reach a status, on a worker or in the triggerer."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowSensorTimeout,
    AirflowSkipException,
    BaseSensorOperator,
    PokeReturnValue,
    conf,
)

from airflow_provider_focus.api import model
from airflow_provider_focus.api.conn_fields import DEFAULT_CONN_ID
from airflow_provider_focus.arguments import is_template, require_text
from airflow_provider_focus.exceptions import FocusAreaStatusError, FocusConfigError, FocusError, FocusWaitError
from airflow_provider_focus.links import FOCUS_AREA_ID_ATTR, FocusAreaLink
from airflow_provider_focus.waiting import (
    ANY_STATUS,
    ERROR,
    FAILURE,
    READ_GRACE_SECONDS,
    SUCCESS,
    TIMEOUT,
    FocusAreaWait,
    describe_focus_area,
    parse_statuses,
    unknown_statuses,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_focus.hooks.focus import FocusHook


#: Seconds between two reads of the focus area when neither ``poll_interval`` nor ``poke_interval`` is given.
DEFAULT_POLL_INTERVAL_SECONDS = 60.0

#: How long after the trigger's own deadline Airflow's deferral timeout fires, should the trigger not answer.
DEFERRAL_BACKSTOP_SECONDS = READ_GRACE_SECONDS + 50.0

__all__ = ["FocusAreaExistsSensor", "FocusAreaStatusSensor"]


class FocusAreaStatusSensor(BaseSensorOperator):
    """
    Wait until a focus area's status is one of ``target_statuses``; fail if it becomes one of ``failure_statuses``.

    Name the focus area by ``focus_area_id`` or by ``external_id``; by external id, a focus area that does not
    exist yet is waited for. Statuses are compared ignoring case. Errors that waiting may cure (a 429, a 5xx, a
    dropped connection, after the client's own retries) do not end the wait; others (401/403, a focus area id that
    does not exist) do. The wait ends at the lower of ``timeout`` and ``execution_timeout``.

    With ``deferrable=True`` the sensor pokes once on the worker (Airflow's own loop, with its ``soft_fail``,
    ``never_fail`` and ``silent_fail`` handling), and if it must wait, hands the polling and the deadline to the
    triggerer (:class:`~airflow_provider_focus.triggers.focus.FocusAreaStatusTrigger`) and frees its worker slot.
    Both ways return the final status (it goes to XCom) and fail with the same message.

    :param focus_area_id: the focus area's id. (templated)
    :param external_id: the focus area's external id, instead of ``focus_area_id``. (templated)
    :param target_statuses: statuses that end the wait successfully (default ``COMPLETED``); a template may render
        one status, comma-separated statuses or a JSON list. (templated)
    :param failure_statuses: statuses that fail the task (default ``CANCELLED``); rendered like
        ``target_statuses``. (templated)
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    :param deferrable: wait in the triggerer instead of on a worker (default: ``[operators] default_deferrable``).
    :param poll_interval: seconds between two reads, in both modes (it is also the default ``poke_interval``).
    :param hook_params: keyword arguments of :class:`~airflow_provider_focus.hooks.focus.FocusHook` besides the
        connection id; they reach the trigger too (plain JSON).
    """

    template_fields: Sequence[str] = (
        "focus_conn_id",
        "focus_area_id",
        "external_id",
        "target_statuses",
        "failure_statuses",
    )
    operator_extra_links = (FocusAreaLink(),)
    ui_color = "#e9f2ff"

    def __init__(
        self,
        *,
        focus_area_id: str | None = None,
        external_id: str | None = None,
        target_statuses: Sequence[str] = ("COMPLETED",),
        failure_statuses: Sequence[str] = ("CANCELLED",),
        focus_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float | timedelta | None = None,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if poll_interval is None:
            poll_interval = kwargs.get("poke_interval", DEFAULT_POLL_INTERVAL_SECONDS)
        seconds = poll_interval.total_seconds() if isinstance(poll_interval, timedelta) else float(poll_interval)
        if seconds <= 0:
            raise FocusConfigError(f"poll_interval must be a positive number of seconds, got {poll_interval!r}.")
        kwargs.setdefault("poke_interval", seconds)
        super().__init__(**kwargs)
        if (focus_area_id is None) == (external_id is None):
            raise FocusConfigError("Give exactly one of focus_area_id and external_id.")
        if external_id is None:
            require_text("focus_area_id", focus_area_id)
        else:
            require_text("external_id", external_id)
        parse_statuses(target_statuses, failure_statuses)
        self.focus_area_id = focus_area_id
        self.external_id = external_id
        self.target_statuses = target_statuses
        self.failure_statuses = failure_statuses
        self.focus_conn_id = focus_conn_id
        self.deferrable = deferrable
        self.poll_interval = seconds
        self.hook_params = dict(hook_params or {})

    @cached_property
    def hook(self) -> FocusHook:
        """The hook, created at first use (never in ``__init__``)."""
        from airflow_provider_focus.hooks.focus import FocusHook  # at run time: a DAG file needs no hook

        return FocusHook(focus_conn_id=self.focus_conn_id, **self.hook_params)

    @cached_property
    def _wait(self) -> FocusAreaWait:
        """
        The wait's decisions, shared with the trigger and the hook's ``wait_for_focus_area``.

        Airflow's sensor loop keeps the time (``timeout``), so the wait has no deadline of its own. Built at the first
        poke, after the templates were rendered; it logs what the pokes see when it changes, not on every poke.
        """
        targets, failures = parse_statuses(self.target_statuses, self.failure_statuses)
        return self.hook.focus_area_wait(
            None if self.focus_area_id is None else str(self.focus_area_id),
            external_id=None if self.external_id is None else str(self.external_id),
            statuses=targets,
            failure_statuses=failures,
            timeout=None,
            poll_interval=self.poll_interval,
            log=self.log,
        )

    @property
    def focus_area(self) -> str:
        """How messages name the focus area (its id, or its external id)."""
        return describe_focus_area(self.focus_area_id, self.external_id)

    def execute(self, context: Context) -> Any:
        """Wait with Airflow's sensor loop (in deferrable mode, its first poke defers); return the final value."""
        self._link_to(self.focus_area_id)
        targets, failures = parse_statuses(self.target_statuses, self.failure_statuses)
        if unknown := unknown_statuses(targets, failures):
            self.log.warning(
                "Waiting on statuses %s that this provider does not know (it knows %s, partly guessed); "
                "check their spelling against your Focus site",
                ", ".join(unknown),
                ", ".join(model.FOCUS_AREA_STATUSES),
            )
        self._started_at = time.time()
        return super().execute(context)

    def poke(self, context: Context) -> PokeReturnValue:
        """
        Read the focus area once; in deferrable mode, hand the rest of the wait to the triggerer if it is not over.

        :return: done with the final value for XCom, or not done.
        :raises FocusAreaStatusError: when the status is a failure status.
        :raises FocusError: for an error that waiting cannot cure.
        """
        result = self._check()
        if not result and self.deferrable:
            self._defer()
        return result

    def _check(self) -> PokeReturnValue:
        wait = self._wait
        try:
            if wait.focus_area_id is not None:
                focus_area: dict[str, Any] | None = self.hook.get_focus_area(wait.focus_area_id)
            else:
                focus_area = self.hook.find_focus_area(str(wait.external_id))
        except FocusError as err:
            if wait.failed(err) is not None:
                raise
            return PokeReturnValue(is_done=False)
        end = wait.observed(focus_area)
        self._link_to(wait.seen_id)
        if end is None:
            return PokeReturnValue(is_done=False)
        if end.result == FAILURE:
            raise FocusAreaStatusError(end.message)
        self.log.info("%s", end.message)
        return PokeReturnValue(is_done=True, xcom_value=self._xcom_value(end.focus_area_id, end.status))

    def _defer(self) -> None:
        """Hand the wait to the triggerer with its deadline: the lower of both timeouts after the wait started."""
        targets, failures = parse_statuses(self.target_statuses, self.failure_statuses)
        limit = timedelta(seconds=self.timeout)
        if self.execution_timeout is not None:
            limit = min(limit, self.execution_timeout)
        started_at = getattr(self, "_started_at", None) or time.time()
        # imported when a wait defers, not when a DAG file is parsed (it imports Airflow's trigger machinery)
        from airflow_provider_focus.triggers.focus import FocusAreaStatusTrigger

        self.defer(
            trigger=FocusAreaStatusTrigger(
                focus_conn_id=self.focus_conn_id,
                focus_area_id=None if self.focus_area_id is None else str(self.focus_area_id),
                external_id=None if self.external_id is None else str(self.external_id),
                target_statuses=targets,
                failure_statuses=failures,
                poll_interval=self.poll_interval,
                end_time=started_at + limit.total_seconds(),
                hook_params=self.hook_params,
            ),
            method_name="execute_complete",
            # Airflow's own deferral timeout is a backstop: the trigger yields a timeout event at the deadline.
            timeout=limit + timedelta(seconds=DEFERRAL_BACKSTOP_SECONDS),
        )

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context) -> Any:
        """
        Resume after the trigger fired; with ``never_fail`` what fails is a skip, as on Airflow 3.1+.

        Airflow 3.0's sensor honours only ``soft_fail`` when a deferred sensor resumes: a ``never_fail`` sensor
        whose trigger ended in an error or at its deadline failed there instead of being skipped.
        """
        try:
            return super().resume_execution(next_method, next_kwargs, context)
        except AirflowSkipException:
            raise
        except AirflowException as error:
            if getattr(self, "never_fail", False):
                raise AirflowSkipException("Skipping due to never_fail is set to True.") from error
            raise

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """
        Finish after the trigger fired: return the final value, or raise as the worker-side wait would.

        Airflow's handling of a resumed sensor turns what this raises into a skip with ``soft_fail`` or
        ``never_fail``; nothing here defers again.

        :param event: the trigger's event.
        :raises FocusAreaStatusError: for a failure status (an ``AirflowFailException``: no retries).
        :raises AirflowSensorTimeout: when the deadline passed (no retries, as on a worker).
        :raises FocusWaitError: for an error that waiting cannot cure.
        :raises FocusError: for an event this sensor does not know.
        """
        payload = event if isinstance(event, dict) else {}
        result, message = payload.get("status"), str(payload.get("message"))
        focus_area_id = payload.get("focus_area_id") or self.focus_area_id
        self._link_to(focus_area_id)
        if result == SUCCESS:
            self.log.info("%s", message)
            return self._xcom_value(focus_area_id, payload.get("focus_area_status"))
        if result == FAILURE:
            raise FocusAreaStatusError(message)
        if result == TIMEOUT:
            raise AirflowSensorTimeout(message)
        if result == ERROR:
            raise FocusWaitError(message)
        raise FocusError(f"Focus area {self.focus_area}: the trigger sent an unexpected event {event!r}.")

    def _xcom_value(self, focus_area_id: Any, status: Any) -> Any:
        """Return what the task returns when the wait succeeds: the final status."""
        return status

    def _link_to(self, focus_area_id: Any) -> None:
        """Record the focus area for the "View in Focus" link (once it is known and rendered)."""
        if focus_area_id is not None and not is_template(focus_area_id):
            setattr(self, FOCUS_AREA_ID_ATTR, focus_area_id)


class FocusAreaExistsSensor(FocusAreaStatusSensor):
    """
    Wait until a focus area with this external id exists (a planning team creates it, the DAG waits); return its id.

    Any status ends the wait, unless it is one of ``failure_statuses`` (none by default). Everything else is as in
    :class:`FocusAreaStatusSensor`: deferrable, the same deadline and the same handling of errors.

    :param external_id: the external id to wait for. (templated)
    :param failure_statuses: statuses that fail the task should the focus area have one when it is found.
        (templated)
    """

    def __init__(self, *, external_id: str, failure_statuses: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(
            external_id=external_id, target_statuses=[ANY_STATUS], failure_statuses=failure_statuses, **kwargs
        )

    def _xcom_value(self, focus_area_id: Any, status: Any) -> Any:
        """Return the id of the focus area that now exists."""
        return focus_area_id
