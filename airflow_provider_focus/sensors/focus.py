"""A sensor that waits for a focus area to reach a status, on a worker or deferred to the triggerer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue, conf
from airflow.sdk.exceptions import AirflowFailException

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
        poll_interval: float = 60,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("poke_interval", poll_interval)
        super().__init__(**kwargs)
        require_text("focus_area_id", focus_area_id)
        _check_statuses(target_statuses, failure_statuses)
        self.focus_area_id = focus_area_id
        self.target_statuses = target_statuses
        self.failure_statuses = failure_statuses
        self.focus_conn_id = focus_conn_id
        self.deferrable = deferrable
        self.poll_interval = poll_interval

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
        done = self.poke(context)
        if done:
            return done.xcom_value
        self.defer(
            trigger=FocusAreaStatusTrigger(
                focus_conn_id=self.focus_conn_id,
                focus_area_id=str(self.focus_area_id),
                target_statuses=targets,
                failure_statuses=failures,
                poll_interval=self.poll_interval,
            ),
            method_name="execute_complete",
            timeout=self.execution_timeout or timedelta(seconds=self.timeout),
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
