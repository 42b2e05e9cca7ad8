from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import airflow
import jsonschema
import pytest

from airflow_provider_focus import __version__
from airflow_provider_focus.get_provider_info import get_provider_info
from airflow_provider_focus.hooks.focus import FocusHook


def test_provider_info_validates_against_airflows_own_schema():
    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_entry_point_is_registered():
    points = [
        ep for ep in entry_points(group="apache_airflow_provider") if ep.value.startswith("airflow_provider_focus")
    ]
    assert len(points) == 1
    assert points[0].load() is get_provider_info


def test_connection_type_matches_the_hook():
    (conn,) = get_provider_info()["connection-types"]
    assert conn["connection-type"] == FocusHook.conn_type == "atlassian_focus"
    assert conn["hook-name"] == FocusHook.hook_name
    module, _, name = conn["hook-class-name"].rpartition(".")
    assert getattr(importlib.import_module(module), name) is FocusHook
    assert FocusHook.conn_name_attr == "focus_conn_id"
    assert FocusHook.default_conn_name == "focus_default"
    assert set(conn["conn-fields"]) >= {"auth_type", "cloud_id", "base_url", "timeout", "max_retries", "verify"}
    assert conn["conn-fields"]["auth_type"]["schema"]["enum"] == [
        "api_token",
        "oauth2_client_credentials",
        "oauth2_token",
    ]


def test_every_listed_class_imports():
    info = get_provider_info()
    paths = [conn["hook-class-name"] for conn in info["connection-types"]] + list(info["extra-links"])
    for path in paths:
        module, _, name = path.rpartition(".")
        assert hasattr(importlib.import_module(module), name), path
    for group in ("hooks", "operators", "sensors", "triggers"):
        for entry in info.get(group, []):
            for module in entry["python-modules"]:
                importlib.import_module(module)


def test_provider_info_module_is_light():
    code = "import sys, airflow_provider_focus.get_provider_info; print('airflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.integration
def test_airflow_cli_lists_the_provider_and_its_hook(tmp_path):
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    airflow_cli = str(Path(sys.executable).with_name("airflow"))
    providers = subprocess.run(
        [airflow_cli, "providers", "list", "-o", "json"], env=env, capture_output=True, text=True, check=True
    )
    listed = {p["package_name"]: p for p in json.loads(providers.stdout)}
    assert listed["airflow-provider-focus"]["version"] == __version__
    hooks = subprocess.run(
        [airflow_cli, "providers", "hooks", "-o", "json"], env=env, capture_output=True, text=True, check=True
    )
    focus = [h for h in json.loads(hooks.stdout) if h["connection_type"] == "atlassian_focus"]
    assert len(focus) == 1
    assert focus[0]["class"] == "airflow_provider_focus.hooks.focus.FocusHook"
