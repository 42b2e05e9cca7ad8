"""OpenLineage in a real run: the provider's listener emits events that name the Focus datasets and the inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_focus.testing.constants import EMULATOR_CLOUD_ID
from tests.conftest import DAGS
from tests.integration.conftest import own_airflow_db

pytestmark = pytest.mark.integration

FOCUS_NAMESPACE = f"focus://{EMULATOR_CLOUD_ID}"

# The states go to a file: on Airflow 3.0 the OpenLineage adapter's log lines, written from another thread, land in
# the middle of a printed line.
RUN = """
import json, sys
try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:
    from airflow.models.dagbag import DagBag

dagbag = DagBag(dag_folder=sys.argv[1])
states = [str(dagbag.get_dag(dag_id).test().state) for dag_id in sys.argv[3:]]
with open(sys.argv[2], "w") as handle:
    json.dump(states, handle)
"""


def run_with_openlineage(dag_ids: list[str], events_file: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    """Run DAGs with dag.test() in one fresh process whose OpenLineage transport writes events to a file."""
    transport = {"type": "file", "log_file_path": str(events_file), "append": True}
    states_file = events_file.with_name("states.json")
    result = subprocess.run(
        [sys.executable, "-c", RUN, str(DAGS), str(states_file), *dag_ids],
        env={
            **os.environ,
            **env,
            "AIRFLOW__OPENLINEAGE__DISABLED": "False",  # tests/conftest.py turns it off for the other tests
            "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    states = json.loads(states_file.read_text())
    assert states == ["success"] * len(dag_ids) or states == ["DagRunState.SUCCESS"] * len(dag_ids), (
        states,
        result.stdout[-3000:],
    )
    return [json.loads(line) for line in events_file.read_text().splitlines() if line.strip()]


def task_events(events: list[dict[str, Any]], job_name: str) -> dict[str, dict[str, Any]]:
    return {event["eventType"]: event for event in events if event["job"]["name"] == job_name}


def names(datasets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(dataset["namespace"], dataset["name"]) for dataset in datasets]


@pytest.mark.dag_test
def test_openlineage_events_name_the_focus_datasets_and_the_input_files_and_tables(
    airflow_db, focus_emulator, tmp_path
):
    pytest.importorskip("airflow.providers.openlineage", reason="needs apache-airflow-providers-openlineage")
    plans_db = tmp_path / "plans.db"
    events = run_with_openlineage(
        ["example_focus_assets_producer", "example_focus_sql_to_focus"],
        tmp_path / "openlineage.jsonl",
        {
            **focus_emulator.conn_env("focus_default", mode="cloud"),
            **own_airflow_db(tmp_path, airflow_db),
            "AIRFLOW_CONN_FOCUS_PLANS_DB": json.dumps({"conn_type": "sqlite", "host": str(plans_db)}),
        },
    )

    upsert = task_events(events, "example_focus_assets_producer.upsert_focus_areas")
    assert set(upsert) >= {"START", "COMPLETE"}
    for event_type in ("START", "COMPLETE"):
        assert names(upsert[event_type]["inputs"]) == [("file", str(DAGS / "data" / "focus_areas.csv"))]
        assert names(upsert[event_type]["outputs"]) == [(FOCUS_NAMESPACE, "focus-areas")]
    report = upsert["COMPLETE"]["run"]["facets"]["focus_report"]["report"]
    assert (len(report["created"]), len(report["updated"]), report["unchanged"], report["failed"]) == (7, 1, 0, [])

    costs = task_events(events, "example_focus_assets_producer.import_cost_items")
    assert names(costs["COMPLETE"]["inputs"]) == [("file", str(DAGS / "data" / "cost_items.jsonl"))]
    assert names(costs["COMPLETE"]["outputs"]) == [(FOCUS_NAMESPACE, "funds/cost-items")]
    assert len(costs["COMPLETE"]["run"]["facets"]["focus_report"]["report"]["created"]) == 4

    # the SQL transfer: the query's table in, the Focus resource out, the query as the sql job facet
    transfer = task_events(events, "example_focus_sql_to_focus.plans_to_focus")
    assert set(transfer) >= {"START", "COMPLETE"}
    for event_type in ("START", "COMPLETE"):
        assert names(transfer[event_type]["inputs"]) == [(f"sqlite://{plans_db}", "plans")]
        assert names(transfer[event_type]["outputs"]) == [(FOCUS_NAMESPACE, "focus-areas")]
        assert "FROM plans" in transfer[event_type]["job"]["facets"]["sql"]["query"]
    report = transfer["COMPLETE"]["run"]["facets"]["focus_report"]["report"]
    assert (len(report["created"]), len(report["updated"]), report["unchanged"]) == (0, 0, 8)  # the producer made them


def test_a_dag_file_with_focus_operators_imports_nothing_of_openlineage():
    from tests.unit.test_import_cost import _modules_loaded_by_importing

    baseline = _modules_loaded_by_importing()  # Airflow itself reads the installed providers' info
    loaded = _modules_loaded_by_importing("airflow_provider_focus.operators.focus", "airflow_provider_focus.assets")
    assert {name for name in loaded - baseline if "openlineage" in name} == set()


@pytest.mark.parametrize(
    ("location", "namespace", "name"),
    [
        ("/data/areas.csv", "file", "/data/areas.csv"),
        ("file:///data/areas.csv", "file", "/data/areas.csv"),
        ("s3://bucket/exports/areas.jsonl", "s3://bucket", "exports/areas.jsonl"),
        ("gs://bucket/areas.jsonl", "gs://bucket", "areas.jsonl"),
    ],
)
def test_input_and_output_locations_are_named_as_airflows_providers_name_them(location, namespace, name):
    pytest.importorskip("airflow.providers.openlineage", reason="needs apache-airflow-providers-openlineage")
    from airflow_provider_focus._openlineage import location_dataset

    dataset = location_dataset(location)
    assert (dataset.namespace, dataset.name) == (namespace, name)
