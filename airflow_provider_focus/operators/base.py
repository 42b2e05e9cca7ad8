"""What every Focus operator shares: the connection id, the hook, argument checks and the partial-failure error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from airflow.sdk import BaseOperator, XComArg

from airflow_provider_focus.exceptions import FocusConfigError, FocusError
from airflow_provider_focus.hooks.focus import FocusHook


class FocusPartialFailure(FocusError):
    """
    Some records or items of a batch failed; the others were applied.

    :param message: what failed, in one sentence.
    :param report: the task's report (also pushed to XCom under the key ``report``).
    """

    def __init__(self, message: str, *, report: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.report = dict(report)


class FocusBaseOperator(BaseOperator):
    """
    Base class of the Focus operators: holds the connection id and builds the hook on first use.

    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id",)
    ui_color = "#e9f2ff"

    def __init__(self, *, focus_conn_id: str = FocusHook.default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.focus_conn_id = focus_conn_id

    @cached_property
    def hook(self) -> FocusHook:
        """The hook, created at first use (never in ``__init__``)."""
        return FocusHook(focus_conn_id=self.focus_conn_id)


def is_template(value: Any) -> bool:
    """Return whether ``value`` is a Jinja string or an XCom reference that is only known at run time."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    return isinstance(value, XComArg)


def require_text(name: str, value: Any) -> None:
    """
    Refuse an empty or non-string argument (templates and XCom references pass).

    :param name: the argument's name, for the message.
    :param value: its value.
    :raises FocusConfigError: when it is missing, empty or not a string.
    """
    if is_template(value):
        return
    if not isinstance(value, str) or not value.strip():
        raise FocusConfigError(f"{name} must be a non-empty string, got {value!r}.")


def require_positive_int(name: str, value: Any, *, optional: bool = False) -> None:
    """
    Refuse anything but a positive integer (templates pass; ``None`` passes when ``optional``).

    :param name: the argument's name, for the message.
    :param value: its value.
    :param optional: whether ``None`` is allowed.
    :raises FocusConfigError: when it is not a positive integer.
    """
    if (value is None and optional) or is_template(value):
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise FocusConfigError(f"{name} must be a positive integer, got {value!r}.")


def as_positive_int(name: str, value: Any, *, optional: bool = False) -> int | None:
    """
    Convert a rendered argument to a positive integer.

    :param name: the argument's name, for the message.
    :param value: the rendered value (an int, or a string of digits from a template).
    :param optional: whether ``None`` or an empty string means "not set".
    :raises FocusConfigError: when it is not a positive integer.
    """
    if optional and value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise FocusConfigError(f"{name} must be a positive integer, got {value!r}.") from None
    if number <= 0 or isinstance(value, bool):
        raise FocusConfigError(f"{name} must be a positive integer, got {value!r}.")
    return number


def require_mapping(name: str, value: Any, *, optional: bool = False) -> None:
    """
    Refuse anything but a dict (templates pass; ``None`` passes when ``optional``).

    :param name: the argument's name, for the message.
    :param value: its value.
    :param optional: whether ``None`` is allowed.
    :raises FocusConfigError: when it is not a mapping.
    """
    if (value is None and optional) or is_template(value):
        return
    if not isinstance(value, Mapping):
        raise FocusConfigError(f"{name} must be a dict, got {type(value).__name__}.")
