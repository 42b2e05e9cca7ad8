"""
Run when Focus cost items land, and act on what the import says it did (the consumer of a pair).

Scheduled on the Focus asset ``focus://<cloudId>/funds/cost-items`` that ``example_focus_assets_producer``
writes. The task reads the asset event's ``extra`` (counts, source, periods): from the events that triggered the
run, or, in a run started by hand, from the asset's latest event (``inlet_events``). ``FOCUS_CLOUD_ID`` names your
site's cloudId; the default is the Focus emulator's.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import Any

from airflow.sdk import dag, task

from airflow_provider_focus.assets import COST_ITEMS, focus_asset

log = logging.getLogger(__name__)

# [START howto_focus_asset_consumer]
CLOUD_ID = os.environ.get("FOCUS_CLOUD_ID", "2b4c6d8e-0f1a-4b3c-9d5e-7f9a1b3c5d7e")
FOCUS_COST_ITEMS = focus_asset(CLOUD_ID, COST_ITEMS)  # Asset("focus://<cloudId>/funds/cost-items")


@dag(
    dag_id="example_focus_assets_consumer",
    schedule=[FOCUS_COST_ITEMS],
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["example", "focus", "assets"],
    doc_md=__doc__,
)
def example_focus_assets_consumer() -> None:
    @task(inlets=[FOCUS_COST_ITEMS])
    def periods_to_refresh(**context: Any) -> dict[str, Any]:
        """Return what the latest cost-item import did, and the periods a report must refresh."""
        # No "or {}": an Asset is not hashable on Airflow 3.1 (`in` a dict fails); Airflow's accessors look it up
        triggering = context.get("triggering_asset_events")
        if triggering and FOCUS_COST_ITEMS in triggering:
            event = triggering[FOCUS_COST_ITEMS][-1]
        else:  # started by hand: the asset's latest event
            event = context["inlet_events"][FOCUS_COST_ITEMS][-1]
        extra = dict(event.extra or {})
        log.info("Cost items landed: %s", extra)
        summary = {key: extra.get(key) for key in ("created", "updated", "failed", "source")}
        return {**summary, "periods": extra["periods"].split(",") if extra.get("periods") else []}

    periods_to_refresh()


example_focus_assets_consumer()
# [END howto_focus_asset_consumer]
