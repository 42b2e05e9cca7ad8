"""What every Focus operator shares: the connection id, the hook and argument checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_focus.api.conn_fields import DEFAULT_CONN_ID
from airflow_provider_focus.lineage import default_outlets, emit_focus_asset_event, emit_output_asset_event

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_focus.hooks.focus import FocusHook


class FocusBaseOperator(BaseOperator):
    """
    Base class of the Focus operators: holds the connection id and builds the hook on first use.

    An operator that writes a Focus resource names it in :attr:`focus_output`: unless given ``outlets``, it then
    declares the asset alias of that resource (:func:`airflow_provider_focus.lineage.default_outlets`) and, through
    :meth:`emit_focus_event`, attaches the concrete ``focus://`` asset with an ``extra`` when it succeeds. An
    operator whose resource depends on an argument (a transfer's ``target``) sets its default ``outlets`` itself and
    :attr:`focus_output` on the instance.

    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id",)
    ui_color = "#e9f2ff"
    #: The Focus resource the operator writes (one of :data:`airflow_provider_focus.assets.RESOURCES`), if any.
    focus_output: str | None = None
    #: The Focus resource the operator reads, if any (an OpenLineage input).
    focus_input: str | None = None

    def __init__(self, *, focus_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        if self.focus_output is not None and "outlets" not in kwargs:
            kwargs["outlets"] = default_outlets(self.focus_output, str(focus_conn_id))
        super().__init__(**kwargs)
        self.focus_conn_id = focus_conn_id
        #: What the run did (its report, or the ids it wrote), for the OpenLineage run facet ``focus_report``.
        self.focus_report: dict[str, Any] | None = None

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
        if self.focus_report is None:
            self.focus_report = dict(extra)
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

    def emit_output_event(self, context: Context, extra: Mapping[str, Any]) -> None:
        """
        Attach ``extra`` to the events of the task's declared outlets that are not Focus assets (an export's file,
        a table): what a task that reads Focus wrote elsewhere, for a downstream DAG scheduled on that asset.

        :param context: the task's context.
        :param extra: what a downstream DAG needs (strings, numbers, booleans).
        """
        if self.focus_report is None:
            self.focus_report = dict(extra)
        emit_output_asset_event(self, context, extra)

    @cached_property
    def hook(self) -> FocusHook:
        """The hook, created at first use (never in ``__init__``)."""
        from airflow_provider_focus.hooks.focus import FocusHook  # at run time: a DAG file needs no hook

        return FocusHook(focus_conn_id=self.focus_conn_id)

    # --- OpenLineage (called by apache-airflow-providers-openlineage, when installed) --------------------------

    def openlineage_inputs(self) -> list[Any]:
        """Return the input datasets: the Focus resource read, and ``input_path`` (a file or object storage)."""
        from airflow_provider_focus._openlineage import focus_dataset, location_dataset

        datasets = []
        if self.focus_input is not None and (authority := self._focus_authority()) is not None:
            datasets.append(focus_dataset(authority, self.focus_input))
        if path := getattr(self, "input_path", None):
            datasets.append(location_dataset(str(path)))
        return datasets

    def openlineage_outputs(self) -> list[Any]:
        """Return the output datasets: the Focus resource written (not in a dry run), and ``output_path``."""
        from airflow_provider_focus._openlineage import focus_dataset, location_dataset

        datasets = []
        dry_run = bool(getattr(self, "is_dry_run", False))
        if self.focus_output is not None and not dry_run and (authority := self._focus_authority()) is not None:
            datasets.append(focus_dataset(authority, self.focus_output))
        if path := getattr(self, "output_path", None):
            datasets.append(location_dataset(str(path)))
        return datasets

    def openlineage_job_facets(self) -> dict[str, Any]:
        """Return the task's OpenLineage job facets (none by default; a SQL transfer gives its query)."""
        return {}

    def get_openlineage_facets_on_start(self) -> Any:
        """Return the task's OpenLineage inputs and outputs as it starts (the OpenLineage provider's hook)."""
        from airflow_provider_focus._openlineage import operator_lineage

        return operator_lineage(
            self.openlineage_inputs(), self.openlineage_outputs(), None, job_facets=self.openlineage_job_facets()
        )

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """
        Return the task's OpenLineage inputs, outputs and ``focus_report`` run facet (the OpenLineage provider's hook).

        :param task_instance: the finished task instance.
        """
        from airflow_provider_focus._openlineage import operator_lineage

        return operator_lineage(
            self.openlineage_inputs(),
            self.openlineage_outputs(),
            self.focus_report,
            job_facets=self.openlineage_job_facets(),
        )

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> Any:
        """
        Return the failed task's OpenLineage datasets and, when it got that far, its report (partial failures).

        :param task_instance: the failed task instance.
        """
        return self.get_openlineage_facets_on_complete(task_instance)

    def _focus_authority(self) -> str | None:
        from airflow_provider_focus.assets import authority_of

        try:
            return authority_of(self.hook.config)
        except Exception:
            self.log.debug("No Focus dataset for lineage: the connection could not be read", exc_info=True)
            return None
