"""The services run without Airflow: imported and used in a fresh interpreter, no ``airflow`` module gets loaded."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys
from airflow_provider_focus.api.client import FocusClient
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.services import COST_ITEMS, import_fund_items, upsert_focus_areas
from airflow_provider_focus.services import fund_imports, operations, records, report, upsert
from airflow_provider_focus.testing import FocusEmulator
from airflow_provider_focus.testing.constants import EMULATOR_API_TOKEN, EMULATOR_EMAIL

with FocusEmulator(seed="demo") as fe:
    config = FocusClientConfig.from_connection_fields(
        host=fe.url, login=EMULATOR_EMAIL, password=EMULATOR_API_TOKEN, extra={}
    )
    client = FocusClient(config)
    upserted = upsert_focus_areas(
        client,
        [{"externalId": "NA-1", "name": "NA", "focusAreaTypeId": "fat-program", "parentExternalId": "STRAT-001"}],
    )
    costs = import_fund_items(
        client,
        COST_ITEMS,
        [{"costItemExternalId": "NA-C", "focusAreaExternalId": "NA-1", "name": "c", "costType": "LABOR"}],
    )
    client.close()
loaded = sorted(name for name in sys.modules if name == "airflow" or name.startswith("airflow."))
print(json.dumps({"loaded": loaded, "upsert": upserted.as_dict(), "costs": costs.as_dict()}))
"""


def test_services_import_and_run_without_loading_airflow():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["loaded"] == []
    assert len(outcome["upsert"]["created"]) == 1
    assert outcome["upsert"]["failed"] == []
    assert (len(outcome["costs"]["created"]), outcome["costs"]["failed"]) == (1, [])


def test_importing_the_services_loads_no_http_library():
    """The services take a client; the HTTP library comes with the client, not with an import of the services."""
    code = (
        "import sys, airflow_provider_focus.services; "
        "print(sorted(m for m in ('requests', 'httpx', 'urllib3', 'airflow') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "[]"
