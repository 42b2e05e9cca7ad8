"""Writing operators declare their Focus asset and attach an event whose ``extra`` a downstream DAG reads."""

from __future__ import annotations

import csv
import json
from typing import Any

import pytest
from airflow.sdk import Asset, AssetAlias

from airflow_provider_focus._compat import AIRFLOW_VERSION, airflow_at_least
from airflow_provider_focus.assets import COST_ITEMS, FOCUS_AREAS, focus_asset
from airflow_provider_focus.operators.focus import (
    FocusCreateFocusAreaOperator,
    FocusImportCostItemsOperator,
    FocusListFocusAreasOperator,
    FocusUpsertFocusAreasOperator,
)
from airflow_provider_focus.testing.constants import EMULATOR_CLOUD_ID

pytestmark = pytest.mark.integration

COST_ITEMS_URI = f"focus://{EMULATOR_CLOUD_ID}/funds/cost-items"
ITEMS = [
    {
        "costItemExternalId": "C-1",
        "focusAreaExternalId": "PRJ-001",
        "name": "Squad",
        "costType": "LABOR",
        "costSubtypeKey": "LABOR_INTERNAL",
        "expenditureType": "OPEX",
        "investmentCategoryKey": "RUN",
        "costPeriodValues": [
            {"financialVersionType": "FORECAST", "timePeriodToAmount": {"2025-05": 1.0, "2025-04": 2.0}},
            {"financialVersionType": "ACTUAL", "timePeriodToAmount": {"2025-03": 3.0}},
        ],
    }
]


class FakeTI:
    def xcom_push(self, key: str, value: Any) -> None:
        pass


@pytest.fixture
def cloud_conn(focus_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in focus_emulator.conn_env("focus_default", mode="cloud").items():
        monkeypatch.setenv(name, value)
    return focus_emulator


def run(operator: Any) -> Any:
    from airflow.sdk.execution_time.context import OutletEventAccessors

    events = OutletEventAccessors()
    operator.execute({"ti": FakeTI(), "outlet_events": events})
    return events


def test_writing_operators_declare_their_focus_alias_by_default_and_outlets_replace_it():
    default = FocusImportCostItemsOperator(task_id="costs", items=[], focus_conn_id="focus_prod")
    assert default.outlets == [AssetAlias("focus:focus_prod:funds/cost-items")]
    create = FocusCreateFocusAreaOperator(task_id="create", name="n", focus_area_type_id="t")
    assert create.outlets == [AssetAlias("focus:focus_default:focus-areas")]
    assert FocusUpsertFocusAreasOperator(task_id="u", records=[], outlets=[]).outlets == []
    concrete = focus_asset(EMULATOR_CLOUD_ID, FOCUS_AREAS)
    assert FocusUpsertFocusAreasOperator(task_id="u", records=[], outlets=[concrete]).outlets == [concrete]
    assert FocusListFocusAreasOperator(task_id="read").outlets == []  # a read declares no outlet


def test_the_alias_resolves_to_the_cloud_asset_with_counts_source_and_periods(cloud_conn):
    operator = FocusImportCostItemsOperator(task_id="costs", items=ITEMS)
    events = run(operator)
    (alias_event,) = events[AssetAlias("focus:focus_default:funds/cost-items")].asset_alias_events
    assert alias_event.dest_asset_key.uri == COST_ITEMS_URI
    assert alias_event.extra == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
        "source": "records",
        "periods": "2025-03,2025-04,2025-05",
    }


def test_a_dry_run_announces_nothing_through_the_alias(cloud_conn):
    operator = FocusUpsertFocusAreasOperator(
        task_id="upsert", records=[{"externalId": "X-1", "name": "x", "focusAreaTypeId": "fat-project"}], dry_run=True
    )
    events = run(operator)
    assert events[AssetAlias("focus:focus_default:focus-areas")].asset_alias_events == []
    assert cloud_conn.store.counts()["focusAreas"] == 6  # and wrote nothing


def test_a_concrete_focus_outlet_gets_the_extra(cloud_conn):
    asset = Asset(COST_ITEMS_URI)
    operator = FocusImportCostItemsOperator(task_id="costs", items=ITEMS, outlets=[asset])
    events = run(operator)
    assert events[asset].extra["periods"] == "2025-03,2025-04,2025-05"
    assert events[asset].extra["created"] == 1


def test_on_airflow_3_3_the_periods_are_partitions_of_a_concrete_outlet(cloud_conn):
    if not airflow_at_least("3.3"):
        pytest.skip(f"asset event partitions need Airflow 3.3; this is Airflow {AIRFLOW_VERSION} (periods in extra)")
    asset = focus_asset(EMULATOR_CLOUD_ID, COST_ITEMS)
    events = run(FocusImportCostItemsOperator(task_id="costs", items=ITEMS, outlets=[asset]))
    assert events[asset].partition_keys == {"2025-03", "2025-04", "2025-05"}


def test_a_cut_report_still_announces_its_exact_counts(cloud_conn):
    from airflow_provider_focus.services import UpsertOptions

    records = [{"externalId": f"CUT-{n}", "name": f"n{n}", "focusAreaTypeId": "fat-program"} for n in range(3)]
    operator = FocusUpsertFocusAreasOperator(task_id="upsert", records=records, options=UpsertOptions(max_listed=1))
    events = run(operator)
    (alias_event,) = events[AssetAlias("focus:focus_default:focus-areas")].asset_alias_events
    assert (alias_event.extra["created"], alias_event.extra["failed"]) == (3, 0)
    assert (len(operator.focus_report["created"]), operator.focus_report["counts"]["created"]) == (1, 3)


def test_periods_in_a_csv_cell_are_imported_and_announced_as_in_a_json_lines_record(cloud_conn, tmp_path):
    path = tmp_path / "costs.csv"
    with path.open("w", newline="") as file:  # a spreadsheet's export: the period values as JSON text in a cell
        rows = [{**item, "costPeriodValues": json.dumps(item["costPeriodValues"])} for item in ITEMS]
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    events = run(FocusImportCostItemsOperator(task_id="costs", input_path=str(path)))

    (alias_event,) = events[AssetAlias("focus:focus_default:funds/cost-items")].asset_alias_events
    assert (alias_event.extra["created"], alias_event.extra["failed"]) == (1, 0)
    assert alias_event.extra["periods"] == "2025-03,2025-04,2025-05"
    (stored,) = [item for item in cloud_conn.store.cost_items() if item["costItemExternalId"] == "C-1"]
    assert stored["costPeriodValues"] == ITEMS[0]["costPeriodValues"]
