"""
The OpenLineage datasets of the SQL side of the transfers, imported only when the OpenLineage listener asks.

A database whose ``common.sql`` hook gives OpenLineage its database information (Postgres, MySQL, Snowflake, ...)
is named as OpenLineage's own SQL operators name it: the query goes through the OpenLineage provider's SQL parser
and, where it can, the database's information schema. A database without it (SQLite) is named
``<conn_type>://<host>[:<port>]`` (``sqlite:///data/plans.db``), its tables as the parser reads them from the query.
A query's text is always in the ``sql`` job facet. Credentials never appear: a namespace is built from the host.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

log = logging.getLogger(__name__)

#: The dialects of OpenLineage's SQL parser that a connection type names directly.
_PARSER_DIALECTS = frozenset(
    {"bigquery", "databricks", "hive", "mssql", "mysql", "postgres", "redshift", "snowflake", "sqlite"}
)


@dataclass
class SqlLineage:
    """What the SQL side of a transfer reads and writes, as OpenLineage datasets, and its job facets."""

    inputs: list[Any] = field(default_factory=list)
    outputs: list[Any] = field(default_factory=list)
    job_facets: dict[str, Any] = field(default_factory=dict)


def fallback_namespace(connection: Any, conn_id: str) -> str:
    """
    Return the OpenLineage namespace of a database that gives none: ``<conn_type>://<host>[:<port>]``.

    :param connection: the Airflow connection.
    :param conn_id: its id (the authority when the connection has no host).
    """
    scheme = str(getattr(connection, "conn_type", None) or "sql").lower()
    host = str(getattr(connection, "host", None) or "").strip()
    port = getattr(connection, "port", None)
    if not host:
        return f"{scheme}://{conn_id}"
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def sql_lineage(database: DbApiHook, conn_id: str, *, sql: str | None = None, table: str | None = None) -> SqlLineage:
    """
    Return the datasets a query reads (``sql``) or a table a transfer writes (``table``), and the query's facet.

    :param database: the ``common.sql`` hook of the connection.
    :param conn_id: the connection's id.
    :param sql: the query whose tables are inputs.
    :param table: the table that is the output.
    """
    from airflow.providers.common.compat.openlineage.facet import Dataset, SQLJobFacet
    from airflow.providers.openlineage.sqlparser import SQLParser

    connection = database.get_connection(conn_id)
    info = _database_info(database, connection)
    result = SqlLineage()
    if sql is not None:
        result.job_facets["sql"] = SQLJobFacet(query=SQLParser.normalize_sql(sql))
        if info is not None:
            from airflow.providers.common.compat.openlineage.utils.sql import get_openlineage_facets_with_sql

            parsed = get_openlineage_facets_with_sql(hook=database, sql=sql, conn_id=conn_id, database=None)
            if parsed is not None:
                result.inputs.extend(parsed.inputs)
                result.job_facets.update(parsed.job_facets)
                return result
    statement = sql if sql is not None else f"INSERT INTO {table} VALUES (1)"  # only parsed, to name the table
    if info is not None:
        parser = SQLParser(
            dialect=database.get_openlineage_database_dialect(connection),
            default_schema=database.get_openlineage_default_schema(),
        )
        namespace = SQLParser.create_namespace(info)
    else:
        conn_type = str(getattr(connection, "conn_type", "") or "").lower()
        parser = SQLParser(dialect=conn_type if conn_type in _PARSER_DIALECTS else "generic", default_schema=None)
        namespace = fallback_namespace(connection, conn_id)
    meta = parser.parse(parser.split_sql_string(statement))
    if meta is None:
        log.debug("OpenLineage's SQL parser found no table in the transfer's SQL")
        return result
    if info is not None:
        inputs, outputs = SQLParser.get_metadata_from_parser(meta.in_tables, meta.out_tables, info, namespace)
    else:
        inputs = [Dataset(namespace=namespace, name=table_meta.qualified_name) for table_meta in meta.in_tables]
        outputs = [Dataset(namespace=namespace, name=table_meta.qualified_name) for table_meta in meta.out_tables]
    if sql is not None:
        result.inputs.extend(inputs)
    else:
        result.outputs.extend(outputs)
    return result


def _database_info(database: DbApiHook, connection: Any) -> Any:
    try:
        return database.get_openlineage_database_info(connection)
    except Exception:  # a hook of an older common.sql, or one that cannot say
        log.debug("No OpenLineage database information from %s", type(database).__name__, exc_info=True)
        return None
