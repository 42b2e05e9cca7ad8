"""
Copy focus areas into a warehouse table every hour, incrementally: ``FocusToSqlOperator``.

Any ``common.sql`` connection works; the example uses SQLite, in the file named by the connection
``focus_plans_db`` (e.g. ``AIRFLOW_CONN_FOCUS_PLANS_DB='{"conn_type": "sqlite", "host": "/tmp/plans.db"}'``), and
creates the table with the documented columns first. Each run reads only the focus areas changed since the
previous run's watermark (the first run reads all), writes the rows that changed, and pushes the new watermark.
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.common.compat.sdk import BaseHook
from airflow.sdk import dag, task

from airflow_provider_focus.transfers.focus_to_sql import FocusToSqlOperator

PLANS_DB = "focus_plans_db"

# [START howto_transfer_focus_to_sql_table]
FOCUS_AREAS_TABLE = """
CREATE TABLE IF NOT EXISTS focus_areas (
    id TEXT PRIMARY KEY,
    external_id TEXT,
    name TEXT,
    focus_area_type_id TEXT,
    parent_id TEXT,
    owner_account_id TEXT,
    status TEXT,
    description TEXT,
    target_date TEXT,
    draft BOOLEAN,
    created_at TEXT,
    updated_at TEXT,
    data TEXT
)
"""
# [END howto_transfer_focus_to_sql_table]


@dag(
    dag_id="example_focus_to_sql",
    schedule="@hourly",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["example", "focus", "sql"],
    doc_md=__doc__,
)
def example_focus_to_sql() -> None:
    @task
    def create_table() -> None:
        BaseHook.get_connection(PLANS_DB).get_hook().run(FOCUS_AREAS_TABLE)

    # [START howto_transfer_focus_to_sql]
    # the previous run's watermark; empty on the first run (a full load)
    last_watermark = "{{ ti.xcom_pull(task_ids='to_warehouse', key='watermark', include_prior_dates=True) or '' }}"
    to_warehouse = FocusToSqlOperator(
        task_id="to_warehouse",
        sql_conn_id=PLANS_DB,
        table="focus_areas",
        updated_since=last_watermark,
    )
    # [END howto_transfer_focus_to_sql]

    create_table() >> to_warehouse


example_focus_to_sql()
