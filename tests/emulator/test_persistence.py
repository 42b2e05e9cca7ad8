from __future__ import annotations

import json
from pathlib import Path

from airflow_provider_focus.api import model
from airflow_provider_focus.testing import EMULATOR_API_TOKEN, EMULATOR_EMAIL, FocusEmulator
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
