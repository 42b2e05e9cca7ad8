"""Incremental exports against the emulator: updated_since, the watermark in XCom, and the example DAG."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.hooks.focus import FocusHook
from airflow_provider_focus.operators.focus import FocusListFocusAreasOperator
from airflow_provider_focus.testing import FocusEmulator
from tests.integration.conftest import FakeTI

pytestmark = pytest.mark.integration


def run(op: FocusListFocusAreasOperator) -> tuple[Any, FakeTI]:
    ti = FakeTI()
    return op.execute({"ti": ti}), ti  # type: ignore[arg-type]


def changed_an_hour_ago(fe: FocusEmulator, focus_area_id: str = "fa-0001") -> None:
    """Change one focus area an hour ago: the full load's watermark, far from later changes (the overlap is 60 s)."""
    fe.set_clock(offset_seconds=-3600)
    fe.set_status(focus_area_id, "PAUSED")
    fe.set_clock()


def test_a_full_load_then_an_increment_with_the_watermark(focus_env: FocusEmulator) -> None:
    changed_an_hour_ago(focus_env)
    full, full_ti = run(FocusListFocusAreasOperator(task_id="export", updated_since=""))
    newest = max(fa["updatedAt"] for fa in focus_env.store.focus_areas())
    focus_env.set_status("fa-0004", "AT_RISK")
    focus_env.clear_requests()

    increment, increment_ti = run(
        FocusListFocusAreasOperator(task_id="export", updated_since=full_ti.pushed["watermark"])
    )
    nothing, nothing_ti = run(FocusListFocusAreasOperator(task_id="export", updated_since="2030-01-01T00:00:00Z"))

    assert len(full) == 6
    assert full_ti.pushed["watermark"].startswith(newest[:19])
    # Newest first; the focus area at the old watermark comes again (the 60 s overlap is at-least-once).
    assert [fa["id"] for fa in increment] == ["fa-0004", "fa-0001"]
    changed_at = focus_env.store.focus_area("fa-0004")["updatedAt"]  # type: ignore[index]
    assert increment_ti.pushed["watermark"].startswith(changed_at[:19])
    assert nothing == []
    assert nothing_ti.pushed["watermark"] == "2030-01-01T00:00:00.000000Z"  # nothing changed: the watermark stays
    assert {r.query.get("sort") for r in focus_env.requests if r.path == "focus-areas"} <= {"-updatedAt", "updatedAt"}


def test_an_export_to_a_file_returns_the_watermark_too(focus_env: FocusEmulator, tmp_path: Path) -> None:
    focus_env.set_status("fa-0002", "PAUSED")
    target = tmp_path / "changes.jsonl"

    result, ti = run(
        FocusListFocusAreasOperator(
            task_id="export", updated_since="2026-01-01T00:00:00+00:00", output_path=f"file://{target}"
        )
    )

    assert result["count"] == 1
    assert result["watermark"] == ti.pushed["watermark"]
    assert [json.loads(line)["id"] for line in target.read_text().splitlines()] == ["fa-0002"]


def test_the_exports_outlet_event_says_which_range_of_changes_the_file_holds(
    focus_env: FocusEmulator, tmp_path: Path
) -> None:
    from airflow.sdk import Asset
    from airflow.sdk.execution_time.context import OutletEventAccessors

    export = Asset("focus_areas_export")
    changed_an_hour_ago(focus_env)

    def export_since(since: str, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        events = OutletEventAccessors()
        op = FocusListFocusAreasOperator(
            task_id="export", updated_since=since, output_path=f"file://{tmp_path / name}", outlets=[export]
        )
        result = op.execute({"ti": FakeTI(), "outlet_events": events})  # type: ignore[arg-type]
        return result, dict(events[export].extra)

    full, full_extra = export_since("", "full.jsonl")
    assert full_extra == {"count": 6, "path": full["path"], "watermark": full["watermark"], "full_load": True}
    focus_env.set_status("fa-0004", "AT_RISK")
    increment, extra = export_since(full["watermark"], "increment.jsonl")
    assert extra == {
        "count": 2,
        "path": increment["path"],
        "watermark": increment["watermark"],
        "since": full["watermark"],
        "full_load": False,
    }
    assert extra["watermark"] > extra["since"]

    events = OutletEventAccessors()  # a plain list (no updated_since): the count only, no range
    FocusListFocusAreasOperator(task_id="list", outlets=[export]).execute({"ti": FakeTI(), "outlet_events": events})
    assert dict(events[export].extra) == {"count": 6}


def test_without_updated_since_nothing_changes(focus_env: FocusEmulator) -> None:
    result, ti = run(FocusListFocusAreasOperator(task_id="export"))

    assert len(result) == 6
    assert ti.pushed == {}


def test_a_bad_updated_since_or_a_conflicting_sort_is_refused(focus_env: FocusEmulator) -> None:
    with pytest.raises(FocusConfigError, match="updated_since"):
        run(FocusListFocusAreasOperator(task_id="export", updated_since="next week"))
    with pytest.raises(FocusConfigError, match="sort"):
        list(FocusHook().list_focus_areas(updated_since="2025-01-01T00:00:00Z", sort="name"))


LOGICAL_DATE_ONLY = re.compile(
    r"\{\{[^}]*\b(ds|ds_nodash|ts|ts_nodash|ts_nodash_with_tz|logical_date|execution_date|data_interval_start|"
    r"data_interval_end|prev_ds|next_ds|prev_data_interval_start_success|prev_data_interval_end_success)\b"
)


def test_no_example_dag_depends_on_a_logical_date(dagbag: Any) -> None:
    # Manual runs (airflow dags trigger) have no logical date: those template names are undefined there.
    offending = []
    for dag_id, dag in dagbag.dags.items():
        for task in dag.tasks:
            for name in task.template_fields:
                value = getattr(task, name, None)
                if isinstance(value, str) and LOGICAL_DATE_ONLY.search(value):
                    offending.append((dag_id, task.task_id, name, value))
    assert offending == []


EXPORT_DAG_ID = "example_focus_incremental_export"
EXPORT_TASK_ID = "export_changed_focus_areas"


@pytest.mark.dag_test
def test_example_incremental_export_loads_all_then_what_changed(
    dagbag: Any, focus_env: FocusEmulator, tmp_path: Path
) -> None:
    from tests.integration.test_example_dags import run as run_dag
    from tests.integration.test_example_dags import xcom

    base = f"file://{tmp_path / 'export'}"
    changed_an_hour_ago(focus_env)
    # full_load: the metadata DB may hold an event of this asset from another test's run
    first = run_dag(dagbag, EXPORT_DAG_ID, export_base=base, full_load=True)
    first_result = xcom(first, EXPORT_TASK_ID)
    focus_env.set_status("fa-0006", "COMPLETED")
    second = run_dag(dagbag, EXPORT_DAG_ID, export_base=base, full_load=False)  # dag.test() keeps a run's params
    second_result = xcom(second, EXPORT_TASK_ID)

    assert first_result["count"] == 6
    assert export_event(first.run_id)["full_load"] is True
    assert second_result["count"] == 2
    second_file = Path(second_result["path"].removeprefix("file://"))
    assert [json.loads(line)["id"] for line in second_file.read_text().splitlines()] == ["fa-0006", "fa-0001"]
    assert second_result["watermark"] > first_result["watermark"]
    # the asset event a downstream DAG reads: the second file holds the changes after the first watermark
    assert export_event(second.run_id) == {
        "count": 2,
        "path": second_result["path"],
        "watermark": second_result["watermark"],
        "since": first_result["watermark"],
        "full_load": False,
    }


@pytest.mark.dag_test
def test_the_next_export_starts_where_the_last_announced_one_ended_whatever_is_lost_after_the_announcement(
    dagbag: Any, focus_env: FocusEmulator, tmp_path: Path
) -> None:
    """
    A run whose steps after the announcement are lost (a worker killed after the export task succeeded) must not
    leave the next run starting elsewhere than where the announced file ends: it would export and announce that
    range again. The steps after the announcement are marked successful without running.
    """
    from tests.integration.test_example_dags import run as run_dag

    dag = dagbag.get_dag(EXPORT_DAG_ID)
    after_the_announcement = sorted(dag.get_task(EXPORT_TASK_ID).get_flat_relative_ids(upstream=False))
    base = f"file://{tmp_path / 'export'}"
    changed_an_hour_ago(focus_env)
    first = run_dag(dagbag, EXPORT_DAG_ID, export_base=base, full_load=True)
    focus_env.set_status("fa-0006", "COMPLETED")
    second = dag.test(
        run_conf={"export_base": base, "full_load": False},
        mark_success_pattern="|".join(after_the_announcement) or None,  # lost: marked success, never run
    )
    assert second.state == "success"
    focus_env.set_status("fa-0004", "AT_RISK")
    third = run_dag(dagbag, EXPORT_DAG_ID, export_base=base, full_load=False)

    first_event, second_event, third_event = (export_event(r.run_id) for r in (first, second, third))
    assert second_event["since"] == first_event["watermark"]
    assert third_event["since"] == second_event["watermark"]  # not the first's: fa-0006 is not announced twice
    third_file = Path(third_event["path"].removeprefix("file://"))
    assert [json.loads(line)["id"] for line in third_file.read_text().splitlines()] == ["fa-0004", "fa-0006"]


def export_event(run_id: str) -> dict[str, Any]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        (event,) = (
            session.query(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .filter(AssetModel.uri == "focus_areas_export", AssetEvent.source_run_id == run_id)
            .all()
        )
        return dict(event.extra)
