"""
Keep Focus in step with a plans table in a SQL database: ``SqlToFocusOperator`` upserts its rows as focus areas.

Any ``common.sql`` connection works (Postgres, MySQL, Snowflake, ...); the example uses SQLite, in the file named
by the connection ``focus_plans_db`` (e.g. ``AIRFLOW_CONN_FOCUS_PLANS_DB='{"conn_type": "sqlite", "host":
"/tmp/plans.db"}'``), and fills its ``plans`` table from ``data/focus_areas.csv`` first. The query's column names
are the records' field names; rows are streamed, and a second run writes nothing. The focus-area type ids are
those of the Focus emulator's demo seed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from airflow.providers.common.compat.sdk import BaseHook
from airflow.sdk import dag, task

from airflow_provider_focus.services.records import read_records
from airflow_provider_focus.transfers.sql_to_focus import SqlToFocusOperator

DATA = Path(__file__).parent / "data"
PLANS_DB = "focus_plans_db"
COLUMNS = ("externalId", "parentExternalId", "name", "focusAreaTypeId", "description")


@dag(
    dag_id="example_focus_sql_to_focus",
    schedule="@daily",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["example", "focus", "sql"],
    doc_md=__doc__,
)
def example_focus_sql_to_focus() -> None:
    @task
    def fill_plans_table() -> int:
        """Stand-in for the warehouse: the plans table, filled from the example's CSV."""
        database = BaseHook.get_connection(PLANS_DB).get_hook()
        database.run(
            "CREATE TABLE IF NOT EXISTS plans (code TEXT PRIMARY KEY, parent_code TEXT, title TEXT, kind TEXT, "
            "summary TEXT)"
        )
        rows = [tuple(record.get(column) for column in COLUMNS) for record in read_records(DATA / "focus_areas.csv")]
        database.insert_rows(
            "plans", rows, target_fields=["code", "parent_code", "title", "kind", "summary"], replace=True
        )
        return len(rows)

    # [START howto_transfer_sql_to_focus]
    plans_to_focus = SqlToFocusOperator(
        task_id="plans_to_focus",
        sql_conn_id=PLANS_DB,
        sql='SELECT code AS "externalId", parent_code AS "parentExternalId", title AS name, '
        'kind AS "focusAreaTypeId", summary AS description FROM plans ORDER BY code',
        target="focus_areas",
        max_in_flight=4,
    )
    # [END howto_transfer_sql_to_focus]

    fill_plans_table() >> plans_to_focus


example_focus_sql_to_focus()
