"""A sensor that waits for a focus area to reach a status, on a worker or deferred to the triggerer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSkipException,
    BaseSensorOperator,
    PokeReturnValue,
    conf,
)

from airflow_provider_focus.api import model
from airflow_provider_focus.exceptions import FocusConfigError, FocusError
from airflow_provider_focus.hooks.focus import FocusHook
from airflow_provider_focus.links import FOCUS_AREA_ID_ATTR, FocusAreaLink
from airflow_provider_focus.operators.base import as_field_names, is_template, require_text
from airflow_provider_focus.triggers.focus import (
    ERROR,
    FAILURE,
    SUCCESS,
    FocusAreaStatusTrigger,
    outcome,
    status_message,
)

if TYPE_CHECKING:
    from airflow.sdk import Context


#: Seconds between two reads of the focus area when neither ``poll_interval`` nor ``poke_interval`` is given.
DEFAULT_POLL_INTERVAL_SECONDS = 60.0


class FocusAreaStatusError(FocusError, AirflowFailException):
    """The focus area reached a failure status: the task fails without retries (and is skipped with soft_fail)."""


class FocusAreaStatusSensor(BaseSensorOperator):
    """
    Wait until a focus area's status is one of ``target_statuses``; fail if it becomes one of ``failure_statuses``.

    With ``deferrable=True`` the sensor checks once on the worker, and if it must wait, hands the polling to the
    triggerer (:class:`~airflow_provider_focus.triggers.focus.FocusAreaStatusTrigger`) and frees its worker slot.
    Both ways return the final status (it goes to XCom) and fail with the same message.

    :param focus_area_id: the focus area's id. (templated)
    :param target_statuses: statuses that end the wait successfully (default ``COMPLETED``); a template may render
        one status, comma-separated statuses or a JSON list. (templated)
    :param failure_statuses: statuses that fail the task (default ``CANCELLED``); rendered like
        ``target_statuses``. (templated)
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    :param deferrable: wait in the triggerer instead of on a worker (default: ``[operators] default_deferrable``).
    :param poll_interval: seconds between two reads, in both modes (it is also the default ``poke_interval``).
    """

    template_fields: Sequence[str] = ("focus_conn_id", "focus_area_id", "target_statuses", "failure_statuses")
    operator_extra_links = (FocusAreaLink(),)
    ui_color = "#e9f2ff"

    def __init__(
        self,
        *,
        focus_area_id: str,
        target_statuses: Sequence[str] = ("COMPLETED",),
        failure_statuses: Sequence[str] = ("CANCELLED",),
        focus_conn_id: str = FocusHook.default_conn_name,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float | timedelta | None = None,
        **kwargs: Any,
    ) -> None:
        if poll_interval is None:
            poll_interval = kwargs.get("poke_interval", DEFAULT_POLL_INTERVAL_SECONDS)
        seconds = poll_interval.total_seconds() if isinstance(poll_interval, timedelta) else float(poll_interval)
        if seconds <= 0:
            raise FocusConfigError(f"poll_interval must be a positive number of seconds, got {poll_interval!r}.")
        kwargs.setdefault("poke_interval", seconds)
        super().__init__(**kwargs)
        require_text("focus_area_id", focus_area_id)
        _check_statuses(target_statuses, failure_statuses)
        self.focus_area_id = focus_area_id
        self.target_statuses = target_statuses
        self.failure_statuses = failure_statuses
        self.focus_conn_id = focus_conn_id
        self.deferrable = deferrable
        self.poll_interval = seconds

    @cached_property
    def hook(self) -> FocusHook:
        """The hook, created at first use (never in ``__init__``)."""
        return FocusHook(focus_conn_id=self.focus_conn_id)

    def execute(self, context: Context) -> Any:
        """Wait on the worker, or check once and defer to the triggerer; return the final status."""
        setattr(self, FOCUS_AREA_ID_ATTR, self.focus_area_id)
        targets, failures = _check_statuses(self.target_statuses, self.failure_statuses)
        if unknown := _unknown_statuses(targets, failures):
            self.log.warning(
                "Waiting on statuses %s that this provider does not know (it knows %s, partly guessed); "
                "check their spelling against your Focus site",
                ", ".join(unknown),
                ", ".join(model.FOCUS_AREA_STATUSES),
            )
        if not self.deferrable:
            return super().execute(context)
        done = self._first_poke(context)
        if done:
            return done.xcom_value
        self._defer(targets, failures)

    def _first_poke(self, context: Context) -> PokeReturnValue:
        """
        Poke once before deferring, with the base sensor's soft_fail, never_fail and silent_fail handling.

        :return: the poke's result; not done when ``silent_fail`` swallowed an error.
        """
        try:
            return self.poke(context)
        except AirflowFailException as error:
            if self.soft_fail or self.never_fail:
                raise AirflowSkipException(f"Skipping: {error}") from error
            raise
        except AirflowSkipException:
            raise
        except Exception as error:
            if self.never_fail:
                raise AirflowSkipException(f"Skipping due to never_fail: {error}") from error
            if not self.silent_fail:
                raise
            self.log.error("Sensor poke failed (silent_fail is set, waiting on): %s", error)
            return PokeReturnValue(is_done=False)

    def _defer(self, targets: list[str], failures: list[str]) -> None:
        """Hand the wait to the triggerer, bounded like the worker-side wait: the lower of both timeouts."""
        timeout = timedelta(seconds=self.timeout)
        if self.execution_timeout is not None:
            timeout = min(timeout, self.execution_timeout)
        self.defer(
            trigger=FocusAreaStatusTrigger(
                focus_conn_id=self.focus_conn_id,
                focus_area_id=str(self.focus_area_id),
                target_statuses=targets,
                failure_statuses=failures,
                poll_interval=self.poll_interval,
            ),
            method_name="execute_complete",
            timeout=timeout,
        )

    def poke(self, context: Context) -> PokeReturnValue:
        """
        Read the focus area once.

        :return: done with the status as its XCom value, or not done.
        :raises FocusAreaStatusError: when the status is a failure status.
        """
        targets, failures = _check_statuses(self.target_statuses, self.failure_statuses)
        status = self.hook.get_focus_area(str(self.focus_area_id)).get(model.FIELD_STATUS)
        result = outcome(status, targets, failures)
        if result == FAILURE:
            raise FocusAreaStatusError(status_message(str(self.focus_area_id), status, result, failures))
        if result == SUCCESS:
            self.log.info("%s", status_message(str(self.focus_area_id), status, result, targets))
            return PokeReturnValue(is_done=True, xcom_value=status)
        self.log.info("Focus area %s is %s; waiting for %s", self.focus_area_id, status, ", ".join(targets))
        return PokeReturnValue(is_done=False)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """
        Finish after the trigger fired: return the final status, or raise as the worker-side wait would.

        :param event: the trigger's event.
        :raises FocusAreaStatusError: for a failure status.
        :raises FocusError: for an API error or an event this sensor does not know.
        """
        setattr(self, FOCUS_AREA_ID_ATTR, self.focus_area_id)
        payload = event if isinstance(event, dict) else {}
        result, message = payload.get("status"), str(payload.get("message"))
        if result == SUCCESS:
            self.log.info("%s", message)
            return payload.get("focus_area_status")
        if result == FAILURE:
            raise FocusAreaStatusError(message)
        if result == ERROR:
            # As on the worker: never_fail skips, silent_fail keeps waiting, anything else fails the task.
            if self.never_fail:
                raise AirflowSkipException(f"Skipping due to never_fail: {message}")
            if self.silent_fail:
                self.log.error("Sensor poll failed (silent_fail is set, waiting on): %s", message)
                targets, failures = _check_statuses(self.target_statuses, self.failure_statuses)
                self._defer(targets, failures)
            raise FocusError(message)
        raise FocusError(f"Focus area {self.focus_area_id}: the trigger sent an unexpected event {event!r}.")


def _check_statuses(target_statuses: Any, failure_statuses: Any) -> tuple[list[str], list[str]]:
    """
    Validate both status lists (templates pass until they are rendered).

    Statuses outside ``model.FOCUS_AREA_STATUSES`` are allowed, since only ``PENDING`` is documented; ``execute``
    warns about them.

    :return: the two lists (empty for a list still holding a template).
    :raises FocusConfigError: for an empty target list or a status in both lists.
    """
    targets = _statuses("target_statuses", target_statuses)
    failures = _statuses("failure_statuses", failure_statuses, allow_empty=True)
    if both := sorted(set(targets) & set(failures)):
        raise FocusConfigError(f"{', '.join(both)} cannot be both a target and a failure status.")
    return targets, failures


def _statuses(name: str, value: Any, *, allow_empty: bool = False) -> list[str]:
    if is_template(value) or (isinstance(value, (list, tuple)) and any(is_template(status) for status in value)):
        return []
    # A rendered template is a string: one status, comma-separated statuses or a JSON list.
    statuses = as_field_names(name, value) or []
    if not statuses and not allow_empty:
        raise FocusConfigError(f"{name} must name at least one status, e.g. ['COMPLETED'].")
    return list(statuses)


def _unknown_statuses(*lists: list[str]) -> list[str]:
    """Return the statuses outside ``model.FOCUS_AREA_STATUSES`` (a [MODEL] guess, so they are allowed)."""
    return sorted({status for statuses in lists for status in statuses if status not in model.FOCUS_AREA_STATUSES})
