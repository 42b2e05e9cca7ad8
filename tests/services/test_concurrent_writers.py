"""
Two writers upsert the same records at the same moment, in two processes, against one emulator: after the run,
each external id is held by exactly one focus area, and what was moved off a key is in a report.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from airflow_provider_focus.services import upsert_focus_areas
from airflow_provider_focus.services._duplicates import DUPLICATE_MARK
from tests.services.concurrent_writer import client_of, records

ROOT = Path(__file__).resolve().parents[2]
KEYS = {record["externalId"] for record in records()}


def start_writer(url: str, out: Path, start_at: float) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tests.services.concurrent_writer", url, str(out), str(start_at)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def holders(emulator: Any) -> dict[str, list[dict[str, Any]]]:
    """The focus areas of the test's records, by external id (moved ones under their new id)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for focus_area in emulator.store.focus_areas():
        external_id = focus_area.get("externalId") or ""
        if external_id.split(DUPLICATE_MARK)[0] in KEYS:
            found.setdefault(external_id, []).append(focus_area)
    return found


def assert_converged(emulator: Any, moved_reported: list[dict[str, Any]]) -> None:
    found = holders(emulator)
    assert {key for key in found if DUPLICATE_MARK not in key} == KEYS
    assert Counter(len(found[key]) for key in KEYS) == Counter({1: len(KEYS)})  # one focus area per key
    moved_in_store = {fa["id"] for key, fas in found.items() if DUPLICATE_MARK in key for fa in fas}
    assert {entry["id"] for entry in moved_reported} <= moved_in_store
    for entry in moved_reported:
        assert entry["movedTo"] == f"{entry['externalId']}{DUPLICATE_MARK}{entry['id']}"
        assert found[entry["externalId"]][0]["id"] == entry["keptId"]
    keeper = {key: found[key][0]["id"] for key in KEYS}
    for record in records():  # every child is under the parent that kept the key
        if "parentExternalId" in record:
            assert found[record["externalId"]][0]["parentId"] == keeper[record["parentExternalId"]]


def test_two_writers_at_once_converge_without_a_rerun(emulator, tmp_path):
    emulator.faults.latency(seconds=0.02, path="focus-areas", method="POST")  # the creates overlap for sure
    start_at = time.time() + 2.0
    outs = [tmp_path / "a.json", tmp_path / "b.json"]
    writers = [start_writer(emulator.url, out, start_at) for out in outs]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()[-2000:]
    reports = [json.loads(out.read_text()) for out in outs]
    assert all(report["failed"] == [] for report in reports)
    moved = [entry for report in reports for entry in report.get("moved", [])]
    assert moved  # the two writers did race
    assert_converged(emulator, moved)
    moved_in_store = {fa["id"] for key, fas in holders(emulator).items() if DUPLICATE_MARK in key for fa in fas}
    assert {entry["id"] for entry in moved} == moved_in_store  # every duplicate is reported, to delete
    for report in reports:  # once per report (both writers may notice, and move, the same duplicate)
        ids = [entry["id"] for entry in report.get("moved", [])]
        assert len(ids) == len(set(ids))


def test_two_writers_under_faults_and_a_kill_converge(emulator, tmp_path):
    emulator.faults.latency(seconds=0.02, path="focus-areas", method="POST")
    emulator.faults.drop_after(count=6, path="focus-areas", method="POST")
    emulator.faults.server_error(count=6, status=500, path="focus-areas")
    emulator.faults.rate_limit(count=10, retry_after=0.05, path="focus-areas")
    start_at = time.time() + 2.0
    victim, survivor = (start_writer(emulator.url, tmp_path / name, start_at) for name in ("a.json", "b.json"))
    time.sleep(max(0.0, start_at - time.time()) + 1.0)
    victim.send_signal(signal.SIGKILL)  # kill -9 mid-run
    victim.wait(timeout=30)
    _, err = survivor.communicate(timeout=120)
    assert survivor.returncode == 0, err.decode()[-2000:]
    report = json.loads((tmp_path / "b.json").read_text())
    assert report["failed"] == []
    # The killed writer may have created a key's copy after the survivor had verified it; a run with
    # repair_duplicates resolves what is left, the same way.
    client = client_of(emulator.url)
    try:
        again = upsert_focus_areas(client, records(), repair_duplicates=True)
    finally:
        client.close()
    assert again.failed == []
    assert again.created == []
    assert_converged(emulator, report.get("moved", []) + again.moved)
