"""
Run a DAG when a focus area changes status: event-driven scheduling with an ``AssetWatcher``, no sensor waiting.

``FocusAreaChangesTrigger`` polls the focus areas in the triggerer (one list sweep per poll interval, newest-updated
first, so it costs what changed) and turns each status change into an asset event; the scheduler starts one run per
event. The run reads the change (``focus_area_id``, ``changes.status.old`` / ``.new``, ``updated_at``) from its
triggering asset event. Other fields (name, description, ...) changing fire nothing.

``FOCUS_SITE`` names the site in the asset URI; ``FOCUS_WATCH_POLL_SECONDS`` sets the poll interval (default 60).
"""

from __future__ import annotations

# [START howto_trigger_focus_area_changes]
import logging
import os
from datetime import datetime
from typing import Any

from airflow.sdk import Asset, AssetWatcher, dag, task

from airflow_provider_focus.triggers.changes import FocusAreaChangesTrigger

log = logging.getLogger(__name__)

SITE = os.environ.get("FOCUS_SITE", "acme.atlassian.net")  # your site: the asset's URI names it

focus_area_status = Asset(
    name="focus_area_status",
    uri=f"focus://{SITE}/focus-areas",
    watchers=[
        AssetWatcher(
            name="focus_area_status_watcher",
            trigger=FocusAreaChangesTrigger(
                focus_conn_id="focus_default",
                fields=["status"],
                poll_interval=float(os.environ.get("FOCUS_WATCH_POLL_SECONDS", "60")),
            ),
        )
    ],
)
# [END howto_trigger_focus_area_changes]


@dag(
    dag_id="example_focus_react",
    schedule=[focus_area_status],
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["example", "focus"],
    doc_md=__doc__,
)
def example_focus_react() -> None:
    # [START howto_read_focus_area_change]
    @task
    def react_to_status_change(triggering_asset_events: Any = None) -> list[dict[str, Any]]:
        """Read the changes that started this run and act on those that went AT_RISK."""
        changes = []
        for events in (triggering_asset_events or {}).values():
            for event in events:
                # Airflow stores a watcher's event as {"from_trigger": true, "payload": <the trigger's event>}.
                change = dict((event.extra or {}).get("payload") or {})
                status = (change.get("changes") or {}).get("status") or {}
                log.info(
                    "Focus area %s went from %s to %s at %s",
                    change.get("focus_area_id"),
                    status.get("old"),
                    status.get("new"),
                    change.get("updated_at"),
                )
                if status.get("new") == "AT_RISK":
                    log.warning("Focus area %s is at risk: tell its owner", change.get("focus_area_id"))
                changes.append({key: change.get(key) for key in ("focus_area_id", "changes", "updated_at")})
        return changes

    # [END howto_read_focus_area_change]
    react_to_status_change()


example_focus_react()
