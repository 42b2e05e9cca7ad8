"""The example DAG pair: the producer's Focus asset events carry what the consumer, scheduled on them, reads."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_focus._compat import AIRFLOW_VERSION, airflow_at_least
from airflow_provider_focus.testing.constants import EMULATOR_CLOUD_ID
from tests.integration.test_example_dags import run, xcom

pytestmark = pytest.mark.integration

COST_ITEMS_URI = f"focus://{EMULATOR_CLOUD_ID}/funds/cost-items"
FOCUS_AREAS_URI = f"focus://{EMULATOR_CLOUD_ID}/focus-areas"


@pytest.fixture
def cloud_conn(focus_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``focus_default`` through the emulator's cloud root, so that the assets are named by its cloudId."""
    for name, value in focus_emulator.conn_env("focus_default", mode="cloud").items():
        monkeypatch.setenv(name, value)
    return focus_emulator


def latest_event(uri: str, run_id: str) -> Any:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        events = (
            session.query(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .filter(AssetModel.uri == uri, AssetEvent.source_run_id == run_id)
            .all()
        )
        assert len(events) == 1, [e.extra for e in events]
        return events[0].source_task_id, dict(events[0].extra)


def test_the_consumer_is_scheduled_on_the_assets_the_producer_declares(dagbag):
    from airflow.sdk import AssetAlias

    consumer = dagbag.get_dag("example_focus_assets_consumer")
    assert COST_ITEMS_URI in repr(consumer.timetable.asset_condition)
    producer = dagbag.get_dag("example_focus_assets_producer")
    assert producer.get_task("upsert_focus_areas").outlets == [AssetAlias("focus:focus_default:focus-areas")]
    assert producer.get_task("import_cost_items").outlets == [AssetAlias("focus:focus_default:funds/cost-items")]


@pytest.mark.dag_test
def test_the_consumer_reads_the_counts_source_and_periods_the_producer_announced(dagbag, cloud_conn):
    producer = run(dagbag, "example_focus_assets_producer")
    assert latest_event(FOCUS_AREAS_URI, producer.run_id) == (
        "upsert_focus_areas",
        {
            "created": 7,
            "updated": 1,
            "unchanged": 0,
            "failed": 0,
            "source": str(dagbag.get_dag("example_focus_assets_producer").get_task("upsert_focus_areas").input_path),
        },
    )
    task_id, extra = latest_event(COST_ITEMS_URI, producer.run_id)
    assert task_id == "import_cost_items"
    assert extra["created"] == 4
    assert extra["failed"] == 0
    assert extra["source"].endswith("example_dags/data/cost_items.jsonl")
    assert extra["periods"] == "2025-03,2025-04,2025-05,2025-Q2"

    if not airflow_at_least("3.1"):
        pytest.skip(
            f"the consumer's run: Airflow {AIRFLOW_VERSION}'s dag.test() leaves an asset that only an alias produced "
            "inactive (AirflowInactiveAssetInInletOrOutletException); Airflow 3.1+ runs it"
        )
    consumer = run(dagbag, "example_focus_assets_consumer")
    assert xcom(consumer, "periods_to_refresh") == {
        "created": 4,
        "updated": 0,
        "failed": 0,
        "source": extra["source"],
        "periods": ["2025-03", "2025-04", "2025-05", "2025-Q2"],
    }
