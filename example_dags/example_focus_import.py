"""
Import focus areas and their cost items from CSV files into Focus, every day.

The CSVs ship with the example under ``data/``. Focus areas are upserted by external id (parents first, only
changed fields patched, so a re-run writes nothing); cost items are then bulk-upserted by their external id
(funds endpoints are Experimental in Atlassian's reference).
The focus-area type ids are those of the Focus emulator's demo seed (``fat-strategy`` > ``fat-program`` >
``fat-project``); put your site's type ids in the CSV for a real site.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.sdk import dag, task

from airflow_provider_focus.operators.focus import FocusImportCostItemsOperator, FocusUpsertFocusAreasOperator

DATA = Path(__file__).parent / "data"


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a CSV file into dicts, leaving out empty cells (an empty cell leaves the field as it is)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [{key: value for key, value in row.items() if value} for row in csv.DictReader(handle)]


@dag(
    dag_id="example_focus_import",
    # One run at a time: two runs writing the same focus areas at once would race (the upsert converges, but a
    # writer kept apart costs nothing). Across DAGs that write the same focus areas, give their writing tasks a
    # one-slot pool as well: ``airflow pools set focus_writes 1 "Writes to Focus"`` and ``pool="focus_writes"``.
    max_active_runs=1,
    schedule="@daily",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["example", "focus"],
    doc_md=__doc__,
)
def example_focus_import() -> None:
    @task
    def read_focus_areas() -> list[dict[str, Any]]:
        """Rows of focus_areas.csv: externalId, parentExternalId, name, focusAreaTypeId, description."""
        return read_csv(DATA / "focus_areas.csv")

    @task
    def read_cost_items() -> list[dict[str, Any]]:
        """Rows of cost_items.csv, one per period, grouped into one cost item per external id."""
        items: dict[str, dict[str, Any]] = {}
        for row in read_csv(DATA / "cost_items.csv"):
            item = items.setdefault(
                row["costItemExternalId"],
                {
                    key: row[key]
                    for key in (
                        "costItemExternalId",
                        "focusAreaExternalId",
                        "name",
                        "costType",
                        "costSubtypeKey",
                        "investmentCategoryKey",
                    )
                    if key in row
                }
                # the reference's request shape: expenditureType is an object {id, order, key, name, displayName}
                | ({"expenditureType": {"key": row["expenditureType"]}} if "expenditureType" in row else {})
                | {"costPeriodValues": []},
            )
            versions = {entry["financialVersionType"]: entry for entry in item["costPeriodValues"]}
            version = versions.get(row["financialVersionType"])
            if version is None:
                version = {"financialVersionType": row["financialVersionType"], "timePeriodToAmount": {}}
                item["costPeriodValues"].append(version)
            version["timePeriodToAmount"][row["period"]] = float(row["amount"])
        return list(items.values())

    # [START howto_operator_focus_upsert]
    upsert = FocusUpsertFocusAreasOperator(
        task_id="upsert_focus_areas",
        records=read_focus_areas(),  # a @task returning the CSV rows as dicts
        key="externalId",
        parent_key="parentExternalId",
    )
    import_costs = FocusImportCostItemsOperator(task_id="import_cost_items", items=read_cost_items(), chunk_size=50)
    upsert >> import_costs
    # [END howto_operator_focus_upsert]


example_focus_import()
