"""
Import focus areas and cost items into Focus, and tell downstream DAGs what landed (the producer of a pair).

Each Focus operator that writes declares its Focus asset as an outlet by default (an asset alias that the run
resolves to ``focus://<cloudId>/<resource>``), and its asset event carries, in ``extra``, the report's counts, the
source file and, for fund imports, the periods touched. ``example_focus_assets_consumer`` is scheduled on those
assets. Point ``focus_default`` at a connection with a ``cloud_id`` so that the assets are named by the cloudId.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from airflow.sdk import dag

from airflow_provider_focus.operators.focus import FocusImportCostItemsOperator, FocusUpsertFocusAreasOperator

DATA = Path(__file__).parent / "data"


@dag(
    dag_id="example_focus_assets_producer",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["example", "focus", "assets"],
    doc_md=__doc__,
)
def example_focus_assets_producer() -> None:
    # [START howto_focus_asset_producer]
    upsert = FocusUpsertFocusAreasOperator(
        task_id="upsert_focus_areas",
        input_path=str(DATA / "focus_areas.csv"),
        key="externalId",
        parent_key="parentExternalId",
        # outlets: by default the alias focus:focus_default:focus-areas -> focus://<cloudId>/focus-areas
    )
    import_costs = FocusImportCostItemsOperator(
        task_id="import_cost_items",
        input_path=str(DATA / "cost_items.jsonl"),
        # outlets: by default the alias focus:focus_default:funds/cost-items -> focus://<cloudId>/funds/cost-items
    )
    upsert >> import_costs
    # [END howto_focus_asset_producer]


example_focus_assets_producer()
