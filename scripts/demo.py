"""
The demo behind ``make demo``: the Focus emulator, Airflow on SQLite and the example DAGs, end to end.

1. Start the Focus emulator on a free loopback port, its state persisted in ``.demo/emulator-state.json`` (so a
   second run sees what the first one created).
2. ``airflow db migrate`` on SQLite in a temporary AIRFLOW_HOME (no example DAGs, dags folder = example_dags).
3. ``airflow dags test example_focus_import``, then ``example_focus_export``, against the emulator (connection in
   ``AIRFLOW_CONN_FOCUS_DEFAULT``).
4. Print what was created, updated, left unchanged and exported; stop the emulator.

Airflow's output goes to ``.demo/airflow.log``. The exit code is non-zero on any failure, with the reason.
Run it again: the second run finds everything in place and writes nothing to the focus areas.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / ".demo"
STATE_FILE = DEMO_DIR / "emulator-state.json"
AIRFLOW_LOG = DEMO_DIR / "airflow.log"
EXPORT_DIR = DEMO_DIR / "export"
DAGS = ROOT / "example_dags"
IMPORT_DAG = "example_focus_import"
EXPORT_DAG = "example_focus_export"
STEP_TIMEOUT_SECONDS = 300


class DemoError(Exception):
    """A step failed; the message says which and why."""


def main() -> int:
    """Run the demo and return the process exit code."""
    started = time.monotonic()
    DEMO_DIR.mkdir(exist_ok=True)
    AIRFLOW_LOG.write_text("", encoding="utf-8")
    second_run = STATE_FILE.exists()
    home = Path(tempfile.mkdtemp(prefix="focus-demo-airflow-"))
    # Airflow, imported by the emulator's connection helpers, must not read or create ~/airflow.
    os.environ["AIRFLOW_HOME"] = str(home)
    try:
        from airflow_provider_focus.testing import FocusEmulator

        with FocusEmulator(seed="demo", persist_path=STATE_FILE) as emulator:
            origin = ", from the last run" if second_run else ""
            print(f"Focus emulator at {emulator.url} (state: {_rel(STATE_FILE)}{origin})")
            env = _airflow_env(home, emulator)
            _emulator_logs_to_file()
            _step("airflow db migrate", ["db", "migrate"], env)
            before = _snapshot(emulator)
            emulator.clear_requests()
            _step(f"airflow dags test {IMPORT_DAG}", ["dags", "test", IMPORT_DAG], env)
            focus_writes = [
                (r.method, r.path)
                for r in emulator.requests
                if r.method in ("POST", "PATCH") and r.path.startswith("focus-areas")
            ]
            _step(f"airflow dags test {EXPORT_DAG}", ["dags", "test", EXPORT_DAG], env)
            after = _snapshot(emulator)
            results = _task_results(home / "airflow.db")
            names = {fa["id"]: f"{fa['externalId']} {fa['name']}" for fa in emulator.store.focus_areas()}
        _summary(results, names, focus_writes, before, after, second_run, time.monotonic() - started)
        return 0
    except DemoError as err:
        print(f"\nDemo FAILED: {err}", file=sys.stderr)
        print(f"Airflow's output: {_rel(AIRFLOW_LOG)}", file=sys.stderr)
        return 1
    except Exception as err:
        print(f"\nDemo FAILED: {type(err).__name__}: {err}", file=sys.stderr)
        print(
            f"Airflow's output: {_rel(AIRFLOW_LOG)}; emulator log: {_rel(DEMO_DIR / 'emulator.log')}", file=sys.stderr
        )
        return 1
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _emulator_logs_to_file() -> None:
    """Send the emulator's log records to .demo/emulator.log (Airflow's logging setup would print them)."""
    logger = logging.getLogger("airflow_provider_focus")
    handler = logging.FileHandler(DEMO_DIR / "emulator.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _airflow_env(home: Path, emulator: Any) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            # The venv's OpenLineage provider (a test dependency), with no transport, delays every task's start by
            # about 40 s under `airflow dags test` on Airflow 3.3.2: the demo emits no lineage.
            "AIRFLOW__OPENLINEAGE__DISABLED": "True",
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "FOCUS_EXPORT_BASE": f"file://{EXPORT_DIR}",
            **emulator.conn_env("focus_default"),
        }
    )
    return env


def _step(title: str, args: list[str], env: dict[str, str]) -> None:
    airflow = str(Path(sys.executable).with_name("airflow"))
    started = time.monotonic()
    print(f"  {title} ...", end="", flush=True)
    with AIRFLOW_LOG.open("a", encoding="utf-8") as log:
        log.write(f"\n===== {title} =====\n")
        log.flush()
        try:
            result = subprocess.run(
                [airflow, *args], env=env, stdout=log, stderr=subprocess.STDOUT, timeout=STEP_TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            print(" timed out")
            raise DemoError(f"{title} did not finish within {STEP_TIMEOUT_SECONDS} s") from None
    if result.returncode != 0:
        print(" failed")
        raise DemoError(f"{title} exited with code {result.returncode}: {_last_error(AIRFLOW_LOG)}")
    print(f" ok ({time.monotonic() - started:.1f} s)")


def _last_error(log_file: Path) -> str:
    lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    for line in reversed(lines):  # the last line of a traceback names the exception and its message
        if re.match(r"^[\w.]+(Error|Exception|Failure): ", line):
            return line.strip()[:600]
    for line in reversed(lines):
        if any(word in line for word in ("Error", "error", "FAILED", "failed")):
            return line.strip()[:400]
    return "see the log"


def _snapshot(emulator: Any) -> dict[str, Any]:
    def content(items: list[dict[str, Any]], key: str) -> dict[str, Any]:
        return {item[key]: {k: v for k, v in item.items() if k != "updatedAt"} for item in items}

    return {
        "focus_areas": len(emulator.store.focus_areas()),
        "cost_items": content(emulator.store.cost_items(), "costItemId"),
    }


def _task_results(database: Path) -> dict[str, Any]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT dag_id, task_id, value FROM xcom WHERE key = 'return_value' AND dag_id IN (?, ?)",
            (IMPORT_DAG, EXPORT_DAG),
        ).fetchall()
    results: dict[str, Any] = {}
    for _dag_id, task_id, value in rows:
        results[task_id] = json.loads(value) if isinstance(value, (str, bytes)) else value
    for needed in ("upsert_focus_areas", "import_cost_items", "export_focus_areas"):
        if needed not in results:
            raise DemoError(f"the task {needed} left no result in XCom")
    return results


def _summary(
    results: dict[str, Any],
    names: dict[str, str],
    focus_writes: list[tuple[str, str]],
    before: dict[str, Any],
    after: dict[str, Any],
    second_run: bool,
    elapsed: float,
) -> None:
    upsert = results["upsert_focus_areas"]
    costs = results["import_cost_items"]
    export = results["export_focus_areas"]
    changed_costs = sum(1 for key, item in after["cost_items"].items() if before["cost_items"].get(key) != item)
    print()
    print("Focus areas (example_dags/data/focus_areas.csv, upserted by external id):")
    for label in ("created", "updated"):
        print(f"  {label:<9} {len(upsert[label]):>3}")
        for focus_area_id in upsert[label]:
            print(f"      {focus_area_id}  {names.get(focus_area_id, '')}")
    print(f"  unchanged {upsert['unchanged']:>3}")
    print(f"  failed    {len(upsert['failed']):>3}")
    print(f"  POST/PATCH requests to focus-areas: {len(focus_writes)}")
    print("Cost items (example_dags/data/cost_items.csv, bulk upsert):")
    print(f"  created {len(costs['created'])}, matched {len(costs['updated'])}, failed {len(costs['failed'])}")
    print(f"  items whose content changed: {changed_costs} (the bulk endpoint re-sends matched items as they are)")
    print(f"Export: {export['count']} focus areas -> {_rel(Path(export['path'].removeprefix('file://')))}")
    if not upsert["created"] and not upsert["updated"] and not focus_writes and not changed_costs:
        print("\nIdempotent: this run found everything in place -- 0 creates, 0 updates.")
    elif second_run:
        print("\nNote: the state came from an earlier run, yet this run changed something (see above).")
    else:
        print("\nRun `make demo` again: the second run finds everything in place and writes nothing.")
    print(f"Done in {elapsed:.1f} s. State: {_rel(STATE_FILE)} (delete .demo/ to start over).")


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
