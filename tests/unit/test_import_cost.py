"""What a DAG file pays: importing the operators, sensors and triggers loads no HTTP library until a hook talks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

#: What the provider's wire pulls in; none of it belongs in a DAG file's parse.
HTTP_LIBRARIES = ("requests", "urllib3", "httpx", "httpcore")
#: Our modules that import those libraries.
CLIENT_MODULES = (
    "airflow_provider_focus.api.client",
    "airflow_provider_focus.api.async_client",
    "airflow_provider_focus.api.auth",
    "airflow_provider_focus.api.pool",
)

_PROBE = """
import json, sys

def loaded():
    return set(sys.modules)

import airflow.sdk
with_sdk = loaded()
import airflow_provider_focus.operators.focus
import airflow_provider_focus.sensors.focus
import airflow_provider_focus.triggers.focus
from airflow_provider_focus.hooks.focus import FocusHook
hook = FocusHook()
hook.config  # reads the connection: no HTTP yet
parsed = loaded()
hook.client  # the first time the hook is about to talk to Focus
talking = loaded()
print(json.dumps({"with_sdk": sorted(with_sdk), "parsed": sorted(parsed), "talking": sorted(talking)}))
"""


def _probe() -> dict[str, Any]:
    env = {
        **os.environ,
        "AIRFLOW_CONN_FOCUS_DEFAULT": json.dumps(
            {"conn_type": "atlassian_focus", "host": "acme.atlassian.net", "login": "a@example.com", "password": "t"}
        ),
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _top_level(modules: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


@pytest.mark.slow
def test_importing_operators_sensors_and_triggers_loads_no_http_library_and_the_first_hook_call_does():
    seen = _probe()
    with_sdk, parsed, talking = (set(seen[key]) for key in ("with_sdk", "parsed", "talking"))

    # requests and urllib3 come with nothing Airflow's SDK loads; httpx does (Airflow's own clients use it), so for
    # httpx the test asserts that we add none of it.
    assert "requests" not in parsed
    assert "urllib3" not in parsed
    assert not _top_level(parsed - with_sdk) & set(HTTP_LIBRARIES)
    assert not parsed & set(CLIENT_MODULES)

    # The libraries arrive when a hook first builds its client.
    assert {"requests", "urllib3", "airflow_provider_focus.api.client"} <= talking


def _modules_loaded_by_importing(*modules: str) -> set[str]:
    """Import ``airflow.sdk`` and then ``modules`` in a fresh interpreter; return every module it then holds."""
    probe = "\n".join(["import json, sys", "import airflow.sdk", *(f"import {name}" for name in modules)])
    probe += "\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


#: What operators and sensors need only when a task runs: the hook, the connection parser, the services, the
#: trigger (a deferring sensor imports it) and Airflow's trigger machinery.
RUN_TIME_ONLY = (
    "airflow_provider_focus.hooks.focus",
    "airflow_provider_focus.api.config",
    "airflow_provider_focus.api.connection",
    "airflow_provider_focus.services.upsert",
    "airflow_provider_focus.services.fund_imports",
    "airflow_provider_focus.services.changes",
    "airflow_provider_focus.triggers.focus",
    "airflow.triggers.base",
)


@pytest.mark.slow
def test_a_dag_file_with_operators_and_sensors_imports_no_hook_service_or_trigger():
    loaded = _modules_loaded_by_importing(
        "airflow_provider_focus.operators.focus", "airflow_provider_focus.sensors.focus"
    )
    assert not loaded & set(RUN_TIME_ONLY)


#: What a trigger needs only when it runs in a triggerer; a DAG file that builds one (``AssetWatcher``) needs none.
TRIGGER_RUN_TIME_ONLY = (
    "airflow_provider_focus.hooks.focus",
    "airflow_provider_focus.api.config",
    "airflow_provider_focus.api.connection",
    "airflow_provider_focus.api.retry",
    "airflow_provider_focus.services.changes",
    "airflow_provider_focus.services.upsert",
)


@pytest.mark.slow
def test_a_dag_file_with_triggers_imports_no_hook_or_change_feed():
    loaded = _modules_loaded_by_importing(
        "airflow_provider_focus.triggers.focus", "airflow_provider_focus.triggers.changes"
    )
    assert not loaded & set(TRIGGER_RUN_TIME_ONLY)
    assert not loaded & set(CLIENT_MODULES)
