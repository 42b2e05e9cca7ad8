"""Move rows of a SQL query into Focus: the focus-area upsert, or the cost and benefit item imports."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import model
from airflow_provider_focus.api.conn_fields import DEFAULT_CONN_ID
from airflow_provider_focus.arguments import require_positive_int, require_text
from airflow_provider_focus.assets import BENEFIT_ITEMS, COST_ITEMS, FOCUS_AREAS
from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.lineage import default_outlets
from airflow_provider_focus.operators._batch import FocusBatchOperator
from airflow_provider_focus.operators.funds import _PeriodTap
from airflow_provider_focus.services.options import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_LOG_EVERY,
    DEFAULT_MAX_CONSECUTIVE_RATE_LIMITS,
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_PARENT_KEY,
    DEFAULT_SCAN_THRESHOLD,
    UpsertOptions,
    upsert_options,
)
from airflow_provider_focus.transfers._sql import DEFAULT_FETCH_SIZE, db_hook, query_rows

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_focus.services.report import Report

#: What a query's rows can become, and how the report names them.
TARGETS: dict[str, str] = {
    "focus_areas": "focus area records",
    "cost_items": "cost items",
    "benefit_items": "benefit items",
}

#: The Focus resource (asset) each target writes.
TARGET_RESOURCES: dict[str, str] = {
    "focus_areas": FOCUS_AREAS,
    "cost_items": COST_ITEMS,
    "benefit_items": BENEFIT_ITEMS,
}


class SqlToFocusOperator(FocusBatchOperator):
    """
    Run a query on any ``common.sql`` database and apply its rows to Focus, streamed ``fetch_size`` at a time.

    Each row is a record whose field names are the query's column names (``SELECT code AS "externalId", title AS
    name, ...``; a ``NULL`` means "not given"). The rows go through the same services as the file operators, so
    the report, the exactly-once rules and the partial-failure rule are theirs: ``target="focus_areas"`` is
    :class:`~airflow_provider_focus.operators.upsert.FocusUpsertFocusAreasOperator`'s upsert (matched by external
    id, parents first, only differences patched, a second run writes nothing), ``"cost_items"`` and
    ``"benefit_items"`` the bulk imports. Returns the report (``{"created", "updated", "unchanged", "failed"}``),
    also pushed to XCom under ``report`` before the task fails because of failed records.

    :param sql_conn_id: a connection whose hook is a ``common.sql`` ``DbApiHook`` (SQLite, Postgres, MySQL, ...).
    :param sql: the query. (templated)
    :param parameters: the query's parameters, if any. (templated)
    :param target: ``"focus_areas"``, ``"cost_items"`` or ``"benefit_items"``.
    :param fetch_size: rows fetched at a time.
    :param hook_params: extra arguments of the database hook (e.g. ``{"schema": "plans"}``).
    :param key: (focus areas) the column holding the external id.
    :param parent_key: (focus areas) the column holding the parent's external id.
    :param dry_run: (focus areas) report what would change without writing.
    :param max_in_flight: (focus areas) writes in flight at the same time.
    :param scan_threshold: (focus areas) from this many rows on, index existing focus areas with one scan.
    :param log_every: (focus areas) log progress every this many records.
    :param max_consecutive_rate_limits: (focus areas) give up on the rest after this many rate-limited records.
    :param options: (focus areas) instead of the upsert's keyword arguments above, the options as one
        :class:`~airflow_provider_focus.services.options.UpsertOptions` value (then leave those at their defaults).
    :param chunk_size: (fund items) items per bulk call.
    :param fail_on_error: fail the task at the end when any record failed.
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    :param outlets: by default the asset alias of the target's resource (``focus:<focus_conn_id>:focus-areas``,
        ``...:funds/cost-items``, ``...:funds/benefit-items``), which a successful run resolves to
        ``focus://<cloudId or site>/<resource>`` with the report's counts, ``source`` (``"sql"``), ``sql_conn_id``
        and, for fund items, the ``periods`` touched in the event's ``extra``; give ``outlets`` to replace it. For
        OpenLineage, the query's tables are the inputs and its text the ``sql`` job facet.
    """

    template_fields: Sequence[str] = ("focus_conn_id", "sql", "parameters")
    template_ext: Sequence[str] = (".sql",)
    template_fields_renderers = {"sql": "sql", "parameters": "json"}
    ui_color = "#cfe7f5"

    def __init__(
        self,
        *,
        sql_conn_id: str,
        sql: str,
        target: str = "focus_areas",
        parameters: Sequence[Any] | Mapping[str, Any] | None = None,
        fetch_size: int = DEFAULT_FETCH_SIZE,
        hook_params: Mapping[str, Any] | None = None,
        key: str = model.FIELD_EXTERNAL_ID,
        parent_key: str = DEFAULT_PARENT_KEY,
        dry_run: bool = False,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        scan_threshold: int = DEFAULT_SCAN_THRESHOLD,
        log_every: int = DEFAULT_LOG_EVERY,
        max_consecutive_rate_limits: int = DEFAULT_MAX_CONSECUTIVE_RATE_LIMITS,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        fail_on_error: bool = True,
        options: UpsertOptions | None = None,
        **kwargs: Any,
    ) -> None:
        if target not in TARGETS:
            raise FocusConfigError(f"target={target!r} is not one of {', '.join(map(repr, TARGETS))}.")
        if "outlets" not in kwargs:
            kwargs["outlets"] = default_outlets(
                TARGET_RESOURCES[target], str(kwargs.get("focus_conn_id", DEFAULT_CONN_ID))
            )
        super().__init__(fail_on_error=fail_on_error, **kwargs)
        #: The Focus resource this task writes: it depends on ``target``.
        self.focus_output = TARGET_RESOURCES[target]
        require_text("sql_conn_id", sql_conn_id)
        require_text("sql", sql)
        require_positive_int("fetch_size", fetch_size)
        require_positive_int("chunk_size", chunk_size)
        #: The upsert's options (``target="focus_areas"``), built (and checked) once, when the DAG file is parsed.
        self.options = upsert_options(
            options,
            key=key,
            parent_key=parent_key,
            dry_run=dry_run,
            max_in_flight=max_in_flight,
            scan_threshold=scan_threshold,
            max_consecutive_rate_limits=max_consecutive_rate_limits,
            log_every=log_every,
        )
        self.sql_conn_id = sql_conn_id
        self.sql = sql
        self.target = target
        self.parameters = parameters
        self.fetch_size = fetch_size
        self.hook_params = dict(hook_params or {})
        self.is_dry_run = self.options.dry_run
        self.chunk_size = chunk_size

    def execute(self, context: Context) -> dict[str, Any]:
        """Stream the query's rows into Focus and return the report."""
        database = db_hook(self.sql_conn_id, self.hook_params)
        self.log.info("Reading %s from %s, %d rows at a time", TARGETS[self.target], self.sql_conn_id, self.fetch_size)
        periods = _PeriodTap(
            model.BENEFIT_PERIOD_VALUES if self.target == "benefit_items" else model.COST_PERIOD_VALUES
        )
        with query_rows(database, str(self.sql), self.parameters, self.fetch_size) as rows:
            report = self._apply(rows if self.target == "focus_areas" else periods.tap(rows))
        touched = periods.touched({entry.index for entry in report.failed})  # fund items: the periods, for the event
        return self.finish(context, report, what=TARGETS[self.target], periods=touched)

    def event_extra(self, report: Report) -> dict[str, Any]:
        """
        Return the ``extra`` of the asset event: the report's counts, ``source`` ``"sql"`` and the ``sql_conn_id``.

        :param report: what the transfer did.
        """
        return {**super().event_extra(report), "source": "sql", "sql_conn_id": str(self.sql_conn_id)}

    # --- OpenLineage (called by apache-airflow-providers-openlineage, when installed) --------------------------

    def openlineage_inputs(self) -> list[Any]:
        """Return the input datasets: the tables the query reads (as OpenLineage's SQL parser names them)."""
        return [*super().openlineage_inputs(), *self._sql_lineage().inputs]

    def openlineage_job_facets(self) -> dict[str, Any]:
        """Return the job facets: the query, as the ``sql`` facet."""
        return {**super().openlineage_job_facets(), **self._sql_lineage().job_facets}

    def _sql_lineage(self) -> Any:
        from airflow_provider_focus.transfers._lineage import SqlLineage, sql_lineage

        cached = getattr(self, "_sql_lineage_cache", None)
        if cached is None:
            try:
                cached = sql_lineage(db_hook(self.sql_conn_id, self.hook_params), self.sql_conn_id, sql=str(self.sql))
            except Exception:
                self.log.debug("No OpenLineage datasets for the query", exc_info=True)
                cached = SqlLineage()
            self._sql_lineage_cache = cached
        return cached

    def _apply(self, rows: Iterator[dict[str, Any]]) -> Report:
        if self.target == "focus_areas":
            return self.hook.upsert_focus_areas(rows, self.options)
        if self.target == "cost_items":
            return self.hook.import_cost_items(rows, chunk_size=self.chunk_size)
        return self.hook.import_benefit_items(rows, chunk_size=self.chunk_size)
