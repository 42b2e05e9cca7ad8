"""Copy focus areas into a SQL table, in batches, writing only the rows that changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import closing
from itertools import islice
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import model
from airflow_provider_focus.arguments import require_positive_int, require_text
from airflow_provider_focus.assets import FOCUS_AREAS
from airflow_provider_focus.lineage import export_range
from airflow_provider_focus.operators.base import FocusBaseOperator
from airflow_provider_focus.services.changes import iso
from airflow_provider_focus.services.columns import COLUMN_NAMES, row_of
from airflow_provider_focus.transfers._sql import check_table, db_hook

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook
    from airflow.sdk import Context

#: Rows written per ``insert_rows`` call (and per transaction).
DEFAULT_BATCH_SIZE = 1000

_ID = COLUMN_NAMES.index("id")
_DATA = COLUMN_NAMES.index("data")


class FocusToSqlOperator(FocusBaseOperator):
    """
    Copy focus areas into a table of any ``common.sql`` database, one row per focus area, in batches.

    The columns are those of :data:`~airflow_provider_focus.services.columns.FOCUS_AREA_COLUMNS` (``id``,
    ``external_id``, ``name``, ``focus_area_type_id``, ``parent_id``, ``owner_account_id``, ``status``,
    ``description``, ``target_date``, ``draft``, ``created_at``, ``updated_at``, ``data``); the table must exist
    with them, ``id`` its primary key. Rows are written through the hook's ``insert_rows``: with ``replace`` (the
    default) as the dialect's replace/upsert (``REPLACE INTO`` on SQLite and MySQL; Postgres needs
    ``insert_args={"replace_index": ["id"]}``). With ``skip_unchanged`` (the default) each batch first reads the
    stored ``data`` of its ids and leaves equal rows alone, so a second run writes nothing.

    Incremental loads: with ``updated_since`` only the focus areas changed since then are read (through the change
    feed, as ``FocusListFocusAreasOperator(updated_since=...)`` does), and the new watermark is pushed to XCom under
    ``watermark``; feed it back with ``updated_since="{{ ti.xcom_pull(task_ids=..., key='watermark',
    include_prior_dates=True) }}"``. An empty ``updated_since`` is a full load that also yields a watermark.

    Returns ``{"table", "read", "written", "unchanged", "watermark"}``.

    Lineage: the task reads ``focus://<cloudId or site>/focus-areas`` and writes the table (its OpenLineage input
    and output). It declares no outlet by default (the table's asset is yours to name); each asset given in
    ``outlets`` gets an event whose ``extra`` holds the returned counts, ``table``, ``sql_conn_id``, the new
    ``watermark`` and, for an incremental run, ``since`` (the ``updated_since`` it started from) and ``full_load``.

    :param sql_conn_id: a connection whose hook is a ``common.sql`` ``DbApiHook``.
    :param table: the table, optionally schema-qualified (``analytics.focus_areas``). (templated)
    :param updated_since: only those changed since this ISO 8601 time. (templated)
    :param name_contains: only those whose name contains this text. (templated)
    :param parent_id: only the children of this focus area. (templated)
    :param batch_size: rows per batch (one read of stored rows, one ``insert_rows``, one transaction).
    :param replace: write with the dialect's replace/upsert statement rather than a plain ``INSERT``.
    :param skip_unchanged: leave rows whose stored ``data`` is equal alone.
    :param hook_params: extra arguments of the database hook.
    :param insert_args: extra arguments of ``insert_rows`` (e.g. ``{"replace_index": ["id"]}`` for Postgres).
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id", "table", "updated_since", "name_contains", "parent_id")
    ui_color = "#cfe7f5"
    focus_input = FOCUS_AREAS

    def __init__(
        self,
        *,
        sql_conn_id: str,
        table: str,
        updated_since: str | None = None,
        name_contains: str | None = None,
        parent_id: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        replace: bool = True,
        skip_unchanged: bool = True,
        hook_params: Mapping[str, Any] | None = None,
        insert_args: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        require_text("sql_conn_id", sql_conn_id)
        require_text("table", table)
        require_positive_int("batch_size", batch_size)
        if "{{" not in table:
            check_table(table)
        self.sql_conn_id = sql_conn_id
        self.table = table
        self.updated_since = updated_since
        self.name_contains = name_contains
        self.parent_id = parent_id
        self.batch_size = batch_size
        self.replace = bool(replace)
        self.skip_unchanged = bool(skip_unchanged)
        self.hook_params = dict(hook_params or {})
        self.insert_args = dict(insert_args or {})

    def execute(self, context: Context) -> dict[str, Any]:
        """Read the focus areas, write the rows that changed, and return the counts (and the watermark)."""
        table = check_table(str(self.table))
        database = db_hook(self.sql_conn_id, self.hook_params)
        incremental = self.updated_since is not None
        since = str(self.updated_since).strip() if incremental else ""
        feed = self.hook.focus_area_feed(
            since or None,
            name_contains=self.name_contains or None,
            parent_id=self.parent_id or None,
            page_size=model.MAX_PAGE_SIZE,
            what="updated_since",
        )
        read = written = unchanged = 0
        rows = (row_of(focus_area) for focus_area in self.hook.export_focus_area_feed(feed))
        if _writes_text(database):
            rows = (_bools_as_ints(row) for row in rows)
        while batch := list(islice(rows, self.batch_size)):
            read += len(batch)
            changed = self._changed(database, table, batch) if self.skip_unchanged else _distinct(batch)
            unchanged += len(batch) - len(changed)
            if changed:
                database.insert_rows(
                    table,
                    changed,
                    target_fields=list(COLUMN_NAMES),
                    commit_every=self.batch_size,
                    replace=self.replace,
                    executemany=True,
                    **self.insert_args,
                )
                written += len(changed)
            self.log.info("Focus areas to %s: %d read, %d written, %d unchanged", table, read, written, unchanged)
        watermark = iso(feed.watermark) if feed.watermark is not None else None
        if incremental:
            context["ti"].xcom_push(key="watermark", value=watermark)
            self.log.info("New watermark: %s", watermark)
        result = {"table": table, "read": read, "written": written, "unchanged": unchanged, "watermark": watermark}
        self.focus_report = dict(result)
        extra = {**result, "sql_conn_id": str(self.sql_conn_id), **export_range(since, incremental)}
        self.emit_output_event(context, {key: value for key, value in extra.items() if value is not None})
        return result

    # --- OpenLineage (called by apache-airflow-providers-openlineage, when installed) --------------------------

    def openlineage_outputs(self) -> list[Any]:
        """Return the output datasets: the table (as OpenLineage's SQL parser names it)."""
        from airflow_provider_focus.transfers._lineage import sql_lineage

        try:
            table = check_table(str(self.table))
            tables = sql_lineage(db_hook(self.sql_conn_id, self.hook_params), self.sql_conn_id, table=table).outputs
        except Exception:
            self.log.debug("No OpenLineage dataset for the table", exc_info=True)
            tables = []
        return [*super().openlineage_outputs(), *tables]

    @staticmethod
    def _changed(database: DbApiHook, table: str, batch: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Return the rows of ``batch`` whose stored ``data`` differs (or that are not stored yet)."""
        distinct = _distinct(batch)
        ids = [row[_ID] for row in distinct]
        stored: dict[Any, Any] = {}
        with closing(database.get_conn()) as conn, closing(conn.cursor()) as cursor:
            for start in range(0, len(ids), 500):  # within every dialect's limit on parameters
                part = ids[start : start + 500]
                marks = ", ".join([database.placeholder] * len(part))
                # the table name is checked, the ids are bound
                cursor.execute(f"SELECT id, data FROM {table} WHERE id IN ({marks})", part)
                stored.update((found_id, data) for found_id, data in cursor.fetchall())
        return [row for row in distinct if stored.get(row[_ID]) != row[_DATA]]


def _distinct(batch: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The last row of each id (the change feed may list a focus area twice)."""
    return list({row[_ID]: row for row in batch}.values())


def _writes_text(database: DbApiHook) -> bool:
    """Whether the hook writes every cell as its ``str`` (common.sql's default): ``True`` would be ``'True'``."""
    from airflow.providers.common.sql.hooks.sql import DbApiHook

    return getattr(type(database), "_serialize_cell", None) is getattr(DbApiHook, "_serialize_cell", None)


def _bools_as_ints(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Booleans as 1 and 0, what SQLite and MySQL store for a ``BOOLEAN`` column (and read back as such)."""
    return tuple(int(cell) if isinstance(cell, bool) else cell for cell in row)
