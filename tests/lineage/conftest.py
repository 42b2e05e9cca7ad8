"""The integration fixtures (the migrated SQLite metadata DB, the example DAGs) for the lineage tests."""

from __future__ import annotations

from tests.integration.conftest import airflow_db, dagbag  # noqa: F401
