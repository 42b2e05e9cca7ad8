from __future__ import annotations

import json
from pathlib import Path

from airflow_provider_focus.api import model
from airflow_provider_focus.testing import EMULATOR_API_TOKEN, EMULATOR_EMAIL, FocusEmulator
from airflow_provider_focus.testing.store import FocusStore
from tests.emulator.conftest import Api


def test_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "focus.json"
    with FocusEmulator(persist_path=path) as first:
        api = Api(first.site_api_root, (EMULATOR_EMAIL, EMULATOR_API_TOKEN))
        created = api.post("focus-areas", json={"name": "Kept", "focusAreaTypeId": "fat-project"}).json()
        api.post(model.COST_ITEM_BULK, json={"items": [{"costItemId": "cost-0001", "name": "Kept cost"}]})
        api.delete("funds/benefit-item/benefit-0001")

    on_disk = json.loads(path.read_text())
    assert on_disk["focusAreas"][created["id"]]["name"] == "Kept"
    assert [p.name for p in path.parent.iterdir()] == ["focus.json"]

    with FocusEmulator(seed="empty", persist_path=path) as second:
        api = Api(second.site_api_root, (EMULATOR_EMAIL, EMULATOR_API_TOKEN))
        assert api.get(f"focus-areas/{created['id']}").json()["name"] == "Kept"
        assert api.get("funds/cost-item/cost-0001").json()["name"] == "Kept cost"
        assert second.store.counts() == {"focusAreas": 7, "organizations": 3, "costItems": 1, "benefitItems": 0}
        next_id = api.post("focus-areas", json={"name": "Next", "focusAreaTypeId": "fat-project"}).json()["id"]
        assert next_id == "fa-0008"


def test_new_file_is_written_at_start_and_reset_is_persisted(tmp_path: Path) -> None:
    path = tmp_path / "focus.json"
    with FocusEmulator(seed="empty", persist_path=path) as fe:
        assert json.loads(path.read_text())["focusAreas"] == {}
        fe.reset(seed="demo")
        assert len(json.loads(path.read_text())["focusAreas"]) == 6


def test_failed_writes_do_not_touch_the_file(tmp_path: Path) -> None:
    path = tmp_path / "focus.json"
    with FocusEmulator(persist_path=path) as fe:
        before = path.stat().st_mtime_ns, path.read_text()
        api = Api(fe.site_api_root, (EMULATOR_EMAIL, EMULATOR_API_TOKEN))
        assert api.post("focus-areas", json={"name": "x"}).status_code == 400
        assert (path.stat().st_mtime_ns, path.read_text()) == before


def test_a_write_appends_to_the_journal_and_leaves_the_snapshot_alone(tmp_path: Path) -> None:
    path = tmp_path / "focus.json"
    with FocusEmulator(persist_path=path) as fe:
        snapshot = path.stat().st_mtime_ns, path.read_text()
        journal = path.with_name("focus.json.journal")
        sizes = []
        for number in range(3):
            fe.store.create_focus_area({"name": f"J{number}", "focusAreaTypeId": "fat-project"}, "acct")
            sizes.append(journal.stat().st_size)

        assert (path.stat().st_mtime_ns, path.read_text()) == snapshot
        assert sizes[0] < sizes[1] < sizes[2]
        assert sizes[2] - sizes[1] == sizes[1] - sizes[0]  # the same cost for each write


def test_a_killed_emulator_loses_nothing_and_a_torn_last_line_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "focus.json"
    crashed = FocusStore(persist_path=path)  # never closed: as if the process were killed
    created = crashed.create_focus_area({"name": "Survivor", "focusAreaTypeId": "fat-project"}, "acct")
    crashed.set_focus_area_status(created["id"], "AT_RISK")
    with path.with_name("focus.json.journal").open("a", encoding="utf-8") as journal:
        journal.write('{"op": "put", "c": "focusAreas", "k": "fa-9999", "v": {"id": "fa-99')  # torn append

    reloaded = FocusStore(seed="empty", persist_path=path)

    survivor = reloaded.focus_area(created["id"])
    assert survivor is not None
    assert survivor["status"] == "AT_RISK"
    assert reloaded.focus_area("fa-9999") is None
    assert reloaded.counts()["focusAreas"] == 7
    page, _ = reloaded.list_focus_areas({"sort": "-updatedAt"}, limit=1)
    assert page[0]["id"] == created["id"]


def test_compaction_renames_a_new_snapshot_and_an_older_journal_is_never_replayed(tmp_path: Path) -> None:
    path = tmp_path / "focus.json"
    store = FocusStore(persist_path=path)
    store.create_focus_area({"name": "Compacted", "focusAreaTypeId": "fat-project"}, "acct")
    journal = path.with_name("focus.json.journal")
    stale = journal.read_text()

    store.compact()
    # A crash between the rename and the new journal leaves the previous generation's journal behind.
    journal.write_text(stale.replace("Compacted", "Replayed"))
    reloaded = FocusStore(persist_path=path)

    assert json.loads(path.read_text())["focusAreas"]["fa-0007"]["name"] == "Compacted"
    assert reloaded.focus_area("fa-0007")["name"] == "Compacted"  # type: ignore[index]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".focus.json.")]  # no temp file left


def test_the_journal_is_folded_in_once_it_outgrows_the_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "focus.json"
    store = FocusStore(seed="empty", persist_path=path)
    store._file.min_compaction_bytes = 0  # type: ignore[union-attr]
    before = path.stat().st_mtime_ns
    for number in range(20):
        store.create_focus_area({"name": f"Grow {number}", "focusAreaTypeId": "fat-project"}, "acct")

    assert path.stat().st_mtime_ns != before
    assert len(json.loads(path.read_text())["focusAreas"]) > 0
    assert FocusStore(persist_path=path).counts()["focusAreas"] == 20
