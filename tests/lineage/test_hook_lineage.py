"""Hook-level lineage: a ``@task`` that uses the hook reports its Focus assets to Airflow's lineage collector."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_focus.hooks.focus import FocusHook
from airflow_provider_focus.testing.constants import EMULATOR_CLOUD_ID
from tests.conftest import DAGS
from tests.integration.conftest import own_airflow_db

pytestmark = pytest.mark.integration

# A plugin that registers a hook lineage reader: without one, Airflow hands out a collector that records nothing
# (the OpenLineage provider registers one the same way).
PLUGIN = """
from airflow.plugins_manager import AirflowPlugin
from airflow.providers.common.compat.sdk import HookLineageReader


class FocusTestLineageReader(AirflowPlugin):
    name = "focus_test_lineage_reader"
    hook_lineage_readers = [HookLineageReader]
"""

# Run the example @task DAG with dag.test() and print what the collector holds afterwards.
RUN_AND_COLLECT = """
import json, sys
try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:
    from airflow.models.dagbag import DagBag
from airflow.providers.common.compat.lineage.hook import get_hook_lineage_collector

dag = DagBag(dag_folder=sys.argv[1]).get_dag("example_focus_taskflow")
dag_run = dag.test()
lineage = get_hook_lineage_collector().collected_assets
print("LINEAGE=" + json.dumps({
    "state": str(dag_run.state),
    "inputs": sorted({(info.asset.uri, type(info.context).__name__) for info in lineage.inputs}),
    "outputs": sorted({(info.asset.uri, type(info.context).__name__) for info in lineage.outputs}),
}))
"""


def collect_in_a_dag_run(tmp_path: Path, env: dict[str, str]) -> dict[str, Any]:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "focus_test_lineage_reader.py").write_text(textwrap.dedent(PLUGIN))
    result = subprocess.run(
        [sys.executable, "-c", RUN_AND_COLLECT, str(DAGS)],
        env={**os.environ, **env, "AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("LINEAGE=")]
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    assert lines, result.stdout[-3000:]
    return json.loads(lines[-1].removeprefix("LINEAGE="))


@pytest.mark.dag_test
def test_a_task_using_the_hook_reports_its_focus_asset_as_output(airflow_db, focus_emulator, tmp_path):
    env = {**focus_emulator.conn_env("focus_default", mode="cloud"), **own_airflow_db(tmp_path, airflow_db)}
    collected = collect_in_a_dag_run(tmp_path, env)
    assert collected["state"].endswith("success")
    uri = f"focus://{EMULATOR_CLOUD_ID}/focus-areas"
    assert collected["outputs"] == [[uri, "FocusHook"]]
    assert collected["inputs"] == []


class Recorder:
    """The collector's asset methods, recording what they are given (what Airflow's own collector is asked)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def add_input_asset(self, *, context: Any, uri: str) -> None:
        self.calls.append(("input", uri))

    def add_output_asset(self, *, context: Any, uri: str) -> None:
        self.calls.append(("output", uri))


def test_every_read_and_write_of_the_hook_reports_its_resource(focus_emulator, monkeypatch):
    from airflow.providers.common.compat.lineage import hook as compat_lineage

    for name, value in focus_emulator.conn_env("focus_default").items():
        monkeypatch.setenv(name, value)
    recorder = Recorder()
    monkeypatch.setattr(compat_lineage, "get_hook_lineage_collector", lambda: recorder)
    hook = FocusHook()
    site = f"focus://{focus_emulator.url.split('://', 1)[1]}"

    area = next(iter(hook.list_focus_areas(max_items=1)))
    hook.get_focus_area(area["id"])
    hook.update_focus_area(area["id"], {"description": "x"})
    list(hook.list_organizations(max_items=1))
    hook.import_cost_items([])
    hook.import_benefit_items([])
    hook.list_cost_types()
    assert recorder.calls == [
        ("input", f"{site}/focus-areas"),
        ("input", f"{site}/focus-areas"),
        ("output", f"{site}/focus-areas"),
        ("input", f"{site}/organizations"),
        ("output", f"{site}/funds/cost-items"),
        ("output", f"{site}/funds/benefit-items"),
    ]  # a look-up table (cost types) is no Focus asset


def test_lineage_never_fails_a_call(focus_conn, monkeypatch):
    from airflow.providers.common.compat.lineage import hook as compat_lineage

    def broken() -> Any:
        raise RuntimeError("collector down")

    monkeypatch.setattr(compat_lineage, "get_hook_lineage_collector", broken)
    assert next(iter(FocusHook().list_focus_areas(max_items=1)))["id"]


def test_the_async_twins_report_their_reads_through_the_same_helper(focus_emulator, monkeypatch):
    import asyncio

    from airflow.providers.common.compat.lineage import hook as compat_lineage

    for name, value in focus_emulator.conn_env("focus_default", mode="cloud").items():
        monkeypatch.setenv(name, value)
    recorder = Recorder()
    monkeypatch.setattr(compat_lineage, "get_hook_lineage_collector", lambda: recorder)
    uri = f"focus://{EMULATOR_CLOUD_ID}/focus-areas"

    async def reads() -> FocusHook:
        hook = FocusHook()
        try:
            (area,) = [fa async for fa in hook.alist_focus_areas(max_items=1)]
            await hook.aget_focus_area(area["id"])
            await hook.afind_focus_area(area["externalId"])
            [change async for change in hook.aiter_focus_area_changes("2030-01-01T00:00:00Z")]
        finally:
            await hook.aclose()
        return hook

    hook = asyncio.run(reads())
    assert recorder.calls == [("input", uri)] * 4
    assert "config" not in hook.__dict__  # the async path never read the connection the blocking way


def test_async_lineage_never_fails_a_call(focus_conn, monkeypatch):
    import asyncio

    from airflow.providers.common.compat.lineage import hook as compat_lineage

    def broken() -> Any:
        raise RuntimeError("collector down")

    monkeypatch.setattr(compat_lineage, "get_hook_lineage_collector", broken)

    async def read() -> str:
        hook = FocusHook()
        try:
            (area,) = [fa async for fa in hook.alist_focus_areas(max_items=1)]
            return str(area["id"])
        finally:
            await hook.aclose()

    assert asyncio.run(read())


def test_async_reports_run_on_the_loop_once_the_collector_is_ready(monkeypatch):
    # The first report loads Airflow's plugins (about a second): in a thread. Later ones take tens of microseconds
    # on the loop: a thread job per read had a thousand triggers starting together wake in bunches.
    import asyncio

    from airflow.providers.common.compat.lineage import hook as compat_lineage

    from airflow_provider_focus import lineage
    from airflow_provider_focus.api.config import FocusClientConfig

    config = FocusClientConfig.from_connection_fields(host="acme.atlassian.net", login="a@b.c", password="x", extra={})
    recorder = Recorder()
    monkeypatch.setattr(compat_lineage, "get_hook_lineage_collector", lambda: recorder)
    monkeypatch.setattr(lineage, "_collector_ready", False, raising=False)
    hook = FocusHook("focus_default")
    warmed_in: list[bool] = []

    async def reports() -> None:
        real_to_thread = asyncio.to_thread

        async def to_thread(func: Any, *args: Any, **kwargs: Any) -> Any:
            warmed_in.append(True)
            return await real_to_thread(func, *args, **kwargs)

        monkeypatch.setattr(asyncio, "to_thread", to_thread)
        await lineage.areport_hook_lineage(hook, "input", "focus-areas", config=config)
        for _ in range(5):
            await lineage.areport_hook_lineage(hook, "output", "focus-areas", config=config)

    asyncio.run(reports())
    assert warmed_in == [True]  # one thread job, for the warm-up
    assert (
        recorder.calls
        == [("input", "focus://acme.atlassian.net/focus-areas")]
        + [("output", "focus://acme.atlassian.net/focus-areas")] * 5
    )


def test_a_connections_asset_uri_is_validated_once_not_on_every_call(monkeypatch):
    # Every hook call reports its asset: a thousand triggers' first reads validated the same URI a thousand times.
    from airflow.providers.common.compat.lineage import hook as compat_lineage

    from airflow_provider_focus import assets, lineage
    from airflow_provider_focus.api.config import FocusClientConfig

    config = FocusClientConfig.from_connection_fields(host="uri-once.atlassian.net", login="a", password="x", extra={})
    recorder = Recorder()
    monkeypatch.setattr(compat_lineage, "get_hook_lineage_collector", lambda: recorder)
    validated: list[Any] = []
    real_sanitize = assets.sanitize_uri

    def counted(uri: Any) -> Any:
        validated.append(uri)
        return real_sanitize(uri)

    monkeypatch.setattr(assets, "sanitize_uri", counted)
    hook = FocusHook("focus_default")
    for _ in range(50):
        lineage.report_hook_lineage(hook, "input", "focus-areas", config=config)

    assert recorder.calls == [("input", "focus://uri-once.atlassian.net/focus-areas")] * 50
    assert len(validated) == 1
