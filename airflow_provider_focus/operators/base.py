"""What every Focus operator shares: the connection id, the hook and argument checks."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_focus.api.conn_fields import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow_provider_focus.hooks.focus import FocusHook


class FocusBaseOperator(BaseOperator):
    """
    Base class of the Focus operators: holds the connection id and builds the hook on first use.

    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id",)
    ui_color = "#e9f2ff"

    def __init__(self, *, focus_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.focus_conn_id = focus_conn_id

    @cached_property
    def hook(self) -> FocusHook:
        """The hook, created at first use (never in ``__init__``)."""
        from airflow_provider_focus.hooks.focus import FocusHook  # at run time: a DAG file needs no hook

        return FocusHook(focus_conn_id=self.focus_conn_id)
