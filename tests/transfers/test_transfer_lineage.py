"""
The transfers in Airflow's data graph: their Focus outlets and asset events, and their OpenLineage datasets.

Against the emulator and a real SQLite database made by the test; the OpenLineage facets are computed by the
operators' own methods, as the OpenLineage listener calls them.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import Asset, AssetAlias

from airflow_provider_focus.testing.constants import EMULATOR_CLOUD_ID
from airflow_provider_focus.transfers.focus_to_sql import FocusToSqlOperator
from airflow_provider_focus.transfers.sql_to_focus import SqlToFocusOperator
from tests.transfers.conftest import FOCUS_AREAS_DDL, SQLITE_CONN_ID

FOCUS_NAMESPACE = f"focus://{EMULATOR_CLOUD_ID}"
PLANS_SQL = (
    'SELECT code AS "externalId", title AS name, kind AS "focusAreaTypeId", parent AS "parentExternalId" '
    "FROM plans ORDER BY code"
)
COSTS_SQL = (
    'SELECT ext AS "costItemExternalId", fa AS "focusAreaExternalId", name, kind AS "costType" FROM costs ORDER BY ext'
)


@pytest.fixture
def cloud_conn(focus_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``focus_default`` through the emulator's cloud root: the Focus assets are named by its cloudId."""
    for name, value in focus_emulator.conn_env("focus_default", mode="cloud").items():
        monkeypatch.setenv(name, value)
    return focus_emulator


@pytest.fixture
def plans(sqlite_db: sqlite3.Connection) -> sqlite3.Connection:
    sqlite_db.execute("CREATE TABLE plans (code TEXT, title TEXT, kind TEXT, parent TEXT)")
    sqlite_db.executemany(
        "INSERT INTO plans VALUES (?, ?, ?, ?)",
        [("L-1", "Lineage program", "fat-program", "STRAT-001"), ("L-2", "Lineage project", "fat-project", "L-1")],
    )
    sqlite_db.execute("CREATE TABLE costs (ext TEXT, fa TEXT, name TEXT, kind TEXT)")
    sqlite_db.execute("INSERT INTO costs VALUES ('LC-1', 'STRAT-001', 'Licences', 'LABOR')")
    sqlite_db.commit()
    return sqlite_db


def db_path(db: sqlite3.Connection) -> str:
    return str(Path(db.execute("PRAGMA database_list").fetchone()[2]))


def execute(operator: Any, context: dict[str, Any]) -> tuple[Any, Any]:
    from airflow.sdk.execution_time.context import OutletEventAccessors

    events = OutletEventAccessors()
    result = operator.execute({**context, "outlet_events": events})
    return result, events


def names(datasets: list[Any]) -> list[tuple[str, str]]:
    return [(dataset.namespace, dataset.name) for dataset in datasets]


@pytest.mark.parametrize(
    ("target", "resource"),
    [("focus_areas", "focus-areas"), ("cost_items", "funds/cost-items"), ("benefit_items", "funds/benefit-items")],
)
def test_sql_to_focus_declares_the_alias_of_its_targets_resource(target, resource):
    op = SqlToFocusOperator(task_id="t", sql_conn_id="db", sql="SELECT 1", target=target, focus_conn_id="focus_prod")
    assert op.outlets == [AssetAlias(f"focus:focus_prod:{resource}")]
    assert op.focus_output == resource
    assert SqlToFocusOperator(task_id="t", sql_conn_id="db", sql="SELECT 1", outlets=[]).outlets == []


def test_focus_to_sql_declares_no_focus_outlet():
    assert FocusToSqlOperator(task_id="t", sql_conn_id="db", table="focus_areas").outlets == []


def test_sql_to_focus_announces_the_focus_asset_with_the_counts_and_the_sql_source(cloud_conn, plans, context):
    op = SqlToFocusOperator(task_id="to_focus", sql_conn_id=SQLITE_CONN_ID, sql=PLANS_SQL)
    _, events = execute(op, context)
    (event,) = events[AssetAlias("focus:focus_default:focus-areas")].asset_alias_events
    assert event.dest_asset_key.uri == f"{FOCUS_NAMESPACE}/focus-areas"
    assert event.extra == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
        "source": "sql",
        "sql_conn_id": SQLITE_CONN_ID,
    }

    costs = SqlToFocusOperator(task_id="costs", sql_conn_id=SQLITE_CONN_ID, sql=COSTS_SQL, target="cost_items")
    _, events = execute(costs, context)
    (event,) = events[AssetAlias("focus:focus_default:funds/cost-items")].asset_alias_events
    assert event.dest_asset_key.uri == f"{FOCUS_NAMESPACE}/funds/cost-items"
    assert (event.extra["created"], event.extra["source"]) == (1, "sql")


def test_a_dry_run_from_sql_announces_nothing(cloud_conn, plans, context):
    op = SqlToFocusOperator(task_id="to_focus", sql_conn_id=SQLITE_CONN_ID, sql=PLANS_SQL, dry_run=True)
    _, events = execute(op, context)
    assert events[AssetAlias("focus:focus_default:focus-areas")].asset_alias_events == []


def test_sql_to_focus_openlineage_names_the_querys_table_the_focus_output_and_the_query(cloud_conn, plans, context):
    pytest.importorskip("airflow.providers.openlineage", reason="needs apache-airflow-providers-openlineage")
    op = SqlToFocusOperator(task_id="to_focus", sql_conn_id=SQLITE_CONN_ID, sql=PLANS_SQL)
    start = op.get_openlineage_facets_on_start()
    namespace = f"sqlite://{db_path(plans)}"
    assert names(start.inputs) == [(namespace, "plans")]
    assert names(start.outputs) == [(FOCUS_NAMESPACE, "focus-areas")]
    assert start.job_facets["sql"].query == PLANS_SQL
    assert "focus_report" not in start.run_facets

    execute(op, context)
    complete = op.get_openlineage_facets_on_complete(None)
    assert names(complete.inputs) == [(namespace, "plans")]
    assert names(complete.outputs) == [(FOCUS_NAMESPACE, "focus-areas")]
    assert len(complete.run_facets["focus_report"].report["created"]) == 2

    joined = SqlToFocusOperator(
        task_id="costs",
        sql_conn_id=SQLITE_CONN_ID,
        sql='SELECT c.ext AS "costItemExternalId", p.code FROM costs c JOIN main.plans p ON p.code = c.fa',
        target="cost_items",
    )
    lineage = joined.get_openlineage_facets_on_start()
    assert sorted(names(lineage.inputs)) == [(namespace, "costs"), (namespace, "main.plans")]
    assert names(lineage.outputs) == [(FOCUS_NAMESPACE, "funds/cost-items")]


def test_a_database_that_gives_openlineage_its_information_is_named_by_it(cloud_conn, plans, monkeypatch):
    """Postgres, MySQL, Snowflake ... give a DatabaseInfo: the names are those of OpenLineage's SQL operators."""
    pytest.importorskip("airflow.providers.openlineage", reason="needs apache-airflow-providers-openlineage")
    from airflow.providers.openlineage.sqlparser import DatabaseInfo
    from airflow.providers.sqlite.hooks.sqlite import SqliteHook

    info = DatabaseInfo(scheme="warehouse", authority="db.example.com:5432", database="plans_db")
    monkeypatch.setattr(SqliteHook, "get_openlineage_database_info", lambda self, connection: info)
    monkeypatch.setattr(SqliteHook, "get_openlineage_default_schema", lambda self: "public")
    to_focus = SqlToFocusOperator(task_id="to_focus", sql_conn_id=SQLITE_CONN_ID, sql=PLANS_SQL)
    lineage = to_focus.get_openlineage_facets_on_start()
    assert names(lineage.inputs) == [("warehouse://db.example.com:5432", "plans_db.public.plans")]
    assert lineage.job_facets["sql"].query == PLANS_SQL
    to_sql = FocusToSqlOperator(task_id="to_sql", sql_conn_id=SQLITE_CONN_ID, table="analytics.focus_areas")
    assert names(to_sql.get_openlineage_facets_on_start().outputs) == [
        ("warehouse://db.example.com:5432", "plans_db.analytics.focus_areas")
    ]


def test_focus_to_sql_openlineage_reads_focus_and_writes_the_table(cloud_conn, sqlite_db, context):
    pytest.importorskip("airflow.providers.openlineage", reason="needs apache-airflow-providers-openlineage")
    sqlite_db.execute(FOCUS_AREAS_DDL)
    sqlite_db.commit()
    op = FocusToSqlOperator(task_id="to_sql", sql_conn_id=SQLITE_CONN_ID, table="focus_areas")
    namespace = f"sqlite://{db_path(sqlite_db)}"
    start = op.get_openlineage_facets_on_start()
    assert names(start.inputs) == [(FOCUS_NAMESPACE, "focus-areas")]
    assert names(start.outputs) == [(namespace, "focus_areas")]
    result, _ = execute(op, context)
    complete = op.get_openlineage_facets_on_complete(None)
    assert names(complete.outputs) == [(namespace, "focus_areas")]
    assert complete.run_facets["focus_report"].report == result
    qualified = FocusToSqlOperator(task_id="to_sql", sql_conn_id=SQLITE_CONN_ID, table="main.focus_areas")
    assert names(qualified.get_openlineage_facets_on_start().outputs) == [(namespace, "main.focus_areas")]


def test_focus_to_sql_gives_its_outlets_the_table_counts_and_watermark(cloud_conn, sqlite_db, context):
    sqlite_db.execute(FOCUS_AREAS_DDL)
    sqlite_db.commit()
    table_asset = Asset("warehouse_focus_areas")
    full = FocusToSqlOperator(
        task_id="to_sql", sql_conn_id=SQLITE_CONN_ID, table="focus_areas", updated_since="", outlets=[table_asset]
    )
    result, events = execute(full, context)
    assert result["watermark"]
    assert events[table_asset].extra == {
        **result,
        "sql_conn_id": SQLITE_CONN_ID,
        "full_load": True,
    }
    incremental = FocusToSqlOperator(
        task_id="to_sql",
        sql_conn_id=SQLITE_CONN_ID,
        table="focus_areas",
        updated_since=result["watermark"],
        outlets=[table_asset],
    )
    again, events = execute(incremental, context)
    extra = events[table_asset].extra
    assert (extra["since"], extra["watermark"], extra["full_load"]) == (result["watermark"], again["watermark"], False)
    assert extra["written"] == 0


#: Period values as a JSON column holds them in SQLite (and many warehouses): JSON text.
PERIODS_JSON = (
    '[{"financialVersionType": "FORECAST", "timePeriodToAmount": {"2025-05": 1.5, "2025-04": 2}},'
    ' {"financialVersionType": "ACTUAL", "timePeriodToAmount": {"2025-03": 3}}]'
)


@pytest.mark.parametrize(
    ("target", "resource", "sql", "stored"),
    [
        (
            "cost_items",
            "funds/cost-items",
            "SELECT 'JC-1' AS \"costItemExternalId\", 'STRAT-001' AS \"focusAreaExternalId\", 'Licences' AS name, "
            '\'LABOR\' AS "costType", \'{"key": "OPEX"}\' AS "expenditureType", periods AS "costPeriodValues" '
            "FROM fund_periods",
            "cost_items",
        ),
        (
            "benefit_items",
            "funds/benefit-items",
            "SELECT 'JB-1' AS \"benefitItemExternalId\", 'STRAT-001' AS \"focusAreaExternalId\", 'Savings' AS name, "
            '\'REVENUE\' AS "benefitTypeKey", periods AS "benefitPeriodValues" FROM fund_periods',
            "benefit_items",
        ),
    ],
)
def test_fund_periods_in_a_json_text_column_are_sent_as_json_and_announced(
    cloud_conn, sqlite_db, context, target, resource, sql, stored
):
    sqlite_db.execute("CREATE TABLE fund_periods (periods TEXT)")
    sqlite_db.execute("INSERT INTO fund_periods VALUES (?)", (PERIODS_JSON,))
    sqlite_db.commit()
    op = SqlToFocusOperator(task_id="funds", sql_conn_id=SQLITE_CONN_ID, sql=sql, target=target)

    result, events = execute(op, context)

    assert (len(result["created"]), result["failed"]) == (1, [])
    (item,) = [item for item in getattr(cloud_conn.store, stored)() if item["name"] in ("Licences", "Savings")]
    period_field = "costPeriodValues" if target == "cost_items" else "benefitPeriodValues"
    assert item[period_field] == json.loads(PERIODS_JSON)  # sent as JSON, not as a string
    if target == "cost_items":  # a JSON object's text is sent as the object, not as the key {"key": "{..."}
        (sent,) = [r.body["items"][0] for r in cloud_conn.requests if r.path == "funds/cost-item/bulk"]
        assert sent["expenditureType"] == {"key": "OPEX"}
    (event,) = events[AssetAlias(f"focus:focus_default:{resource}")].asset_alias_events
    assert event.extra["periods"] == "2025-03,2025-04,2025-05"
