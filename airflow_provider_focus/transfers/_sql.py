"""What the SQL transfers share: the database hook of a connection, rows streamed as records, safe table names."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.services._plain import PLAIN_TYPES, plain

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook


#: Rows fetched from the database at a time (``cursor.fetchmany``).
DEFAULT_FETCH_SIZE = 1000

_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$")


def check_table(table: str) -> str:
    """
    Return ``table`` if it is a plain (optionally schema-qualified) table name, so it can go into SQL as it is.

    :param table: ``"focus_areas"``, ``"analytics.focus_areas"``, ...
    :raises FocusConfigError: for anything else (quotes, spaces, SQL).
    """
    if not isinstance(table, str) or not _TABLE.match(table.strip()):
        raise FocusConfigError(
            f"table={table!r} must be a plain table name, optionally with a schema (letters, digits, _ and $)."
        )
    return table.strip()


def db_hook(conn_id: str, hook_params: Mapping[str, Any] | None = None) -> DbApiHook:
    """
    Return the ``common.sql`` hook of a connection (SQLite, Postgres, MySQL, Snowflake, ...).

    :param conn_id: the Airflow connection.
    :param hook_params: extra arguments of the hook's constructor (e.g. ``{"schema": "analytics"}``).
    :raises FocusConfigError: when the connection's hook is no ``DbApiHook``.
    """
    from airflow.providers.common.compat.sdk import BaseHook
    from airflow.providers.common.sql.hooks.sql import DbApiHook

    connection = BaseHook.get_connection(conn_id)
    params = {**connection.extra_dejson, **dict(hook_params or {})}
    hook = connection.get_hook(hook_params=params)
    if not isinstance(hook, DbApiHook):
        raise FocusConfigError(
            f"The connection {conn_id!r} (type {connection.conn_type!r}) has no SQL hook: {type(hook).__name__} is "
            "not a common.sql DbApiHook."
        )
    return hook


@contextmanager
def query_rows(
    hook: DbApiHook, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None, fetch_size: int
) -> Iterator[Iterator[dict[str, Any]]]:
    """
    Run a query and yield an iterator over its rows as records (the column names are the field names).

    The query runs on entry (a bad query fails before anything reaches Focus); the rows are fetched
    ``fetch_size`` at a time while the iterator is read. Postgres (psycopg) runs the query in a named cursor, a
    server-side one; other drivers stream as their ``fetchmany`` does.

    :param hook: the database hook.
    :param sql: the query.
    :param parameters: its parameters, if any.
    :param fetch_size: rows per ``fetchmany``.
    :raises FocusConfigError: for a statement that returns no rows, or a column name given twice.
    """
    with closing(hook.get_conn()) as conn:
        if type(conn).__module__.startswith("psycopg"):
            cursor = conn.cursor(name="airflow_provider_focus_transfer")
            cursor.itersize = fetch_size
        else:
            cursor = conn.cursor()
        with closing(cursor):
            if parameters is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql, parameters)
            if cursor.description is None:
                raise FocusConfigError("The query returned no rows to read: is it a SELECT?")
            names = [str(column[0]) for column in cursor.description]
            repeated = sorted({name for name in names if names.count(name) > 1})
            if repeated:
                raise FocusConfigError(
                    f"The query returns the column {', '.join(map(repr, repeated))} more than once; name each "
                    'column once (SELECT ... AS "externalId").'
                )
            yield _fetch(cursor, names, fetch_size)


def _fetch(cursor: Any, names: list[str], fetch_size: int) -> Iterator[dict[str, Any]]:
    while True:
        rows = cursor.fetchmany(fetch_size)
        if not rows:
            return
        if PLAIN_TYPES.issuperset(map(type, chain.from_iterable(rows))):  # the common case: the whole fetch, in C
            yield from map(dict, map(zip, repeat(names), rows))
            continue
        for row in rows:
            if PLAIN_TYPES.issuperset(map(type, row)):
                yield dict(zip(names, row, strict=False))
            else:
                yield {name: plain(value) for name, value in zip(names, row, strict=False)}
