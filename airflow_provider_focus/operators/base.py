"""What every Focus operator shares: the connection id, the hook and argument checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_focus.api.conn_fields import DEFAULT_CONN_ID

# The argument checks moved to a module sensors and triggers share; operators keep importing them from here.
from airflow_provider_focus.arguments import (  # noqa: F401
    as_field_names,
    as_mapping,
    as_positive_int,
    is_template,
    require_mapping,
    require_positive_int,
    require_text,
)
from airflow_provider_focus.exceptions import FocusPartialFailure as FocusPartialFailure  # its old home
from airflow_provider_focus.lineage import default_outlets, emit_focus_asset_event

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_focus.hooks.focus import FocusHook


class FocusBaseOperator(BaseOperator):
    """
    Base class of the Focus operators: holds the connection id and builds the hook on first use.

    An operator that writes a Focus resource names it in :attr:`focus_output`: unless given ``outlets``, it then
    declares the asset alias of that resource (:func:`airflow_provider_focus.lineage.default_outlets`) and, through
    :meth:`emit_focus_event`, attaches the concrete ``focus://`` asset with an ``extra`` when it succeeds.

    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id",)
    ui_color = "#e9f2ff"
    #: The Focus resource the operator writes (one of :data:`airflow_provider_focus.assets.RESOURCES`), if any.
    focus_output: ClassVar[str | None] = None

    def __init__(self, *, focus_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        if self.focus_output is not None and "outlets" not in kwargs:
            kwargs["outlets"] = default_outlets(self.focus_output, str(focus_conn_id))
        super().__init__(**kwargs)
        self.focus_conn_id = focus_conn_id

    def emit_focus_event(
        self,
        context: Context,
        extra: Mapping[str, Any],
        *,
        periods: Iterable[str] = (),
        dry_run: bool = False,
    ) -> None:
        """
        Attach the asset event of :attr:`focus_output` with ``extra`` to the task's Focus outlets.

        :param context: the task's context.
        :param extra: what a downstream DAG needs (JSON values).
        :param periods: the fund periods touched, as partitions on Airflow 3.3+ (and in ``extra``).
        :param dry_run: whether nothing was written (an alias then gets no event).
        """
        if self.focus_output is None:
            return
        emit_focus_asset_event(
            self,
            context,
            config=self.hook.config,
            resource=self.focus_output,
            extra=extra,
            periods=periods,
            dry_run=dry_run,
        )

    @cached_property
    def hook(self) -> FocusHook:
        """The hook, created at first use (never in ``__init__``)."""
        from airflow_provider_focus.hooks.focus import FocusHook  # at run time: a DAG file needs no hook

        return FocusHook(focus_conn_id=self.focus_conn_id)
