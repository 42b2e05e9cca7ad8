from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import types
from importlib.metadata import entry_points
from pathlib import Path

import airflow
import jsonschema
import pytest

from airflow_provider_focus import __version__
from airflow_provider_focus.api.config import AuthType, FocusClientConfig
from airflow_provider_focus.api.conn_fields import EXAMPLE_CLOUD_ID, EXTRA_FIELDS
from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.get_provider_info import get_provider_info
from airflow_provider_focus.hooks.focus import FocusHook
from tests.unit.conftest import CLOUD_ID


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


# Not in the matrix (no integration marker): there, `make test` runs scripts/check_installed.py in every version's venv
# before its suite, which asks the same two CLI commands the same questions of the installed wheel.
@pytest.mark.slow
def test_airflow_cli_lists_the_provider_and_its_hook(tmp_path):
    # Airflow 3.0 logs providers-manager notes to stdout at INFO, ahead of the JSON: keep the CLI's stdout JSON only.
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }
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


# --- one table: the form and the extras parser ----------------------------------------------------------------------


def _form() -> dict:
    (conn,) = get_provider_info()["connection-types"]
    return conn


class _RecordingExtras(dict):
    """Extras that remember every key the parser asks for."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)


def _parse(**extra) -> FocusClientConfig:
    return FocusClientConfig.from_connection_fields(
        host="acme.atlassian.net", login="me@example.com", password="tok", extra=extra
    )


def test_every_extra_the_parser_reads_is_a_form_field_and_vice_versa():
    extras = _RecordingExtras()
    FocusClientConfig.from_connection_fields(host="acme.atlassian.net", login="me", password="tok", extra=extras)
    prefix = "extra__atlassian_focus__"
    read = {key.removeprefix(prefix) for key in extras.asked}
    assert read == set(_form()["conn-fields"]) == {extra.name for extra in EXTRA_FIELDS}
    assert {key for key in extras.asked if key.startswith(prefix)} == {prefix + name for name in read}


def spell(number: float) -> str:
    """A bound as the form's description and the parser's message write it: 65536, 0.1."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def test_the_form_offers_only_bounds_the_parser_accepts_and_the_parser_refuses_beyond_them():
    numeric = {name: field for name, field in _form()["conn-fields"].items() if "minimum" in field["schema"]}
    assert set(numeric) == {"timeout", "max_retries", "max_retry_wait", "max_response_bytes", "rate_limit_budget"}
    for name, field in numeric.items():
        schema = field["schema"]
        low, high = schema["minimum"], schema["maximum"]
        assert getattr(_parse(**{name: low}), name) == low
        assert getattr(_parse(**{name: high}), name) == high
        step = 1 if "integer" in schema["type"] else low / 10
        for outside in (low - step, high + step):
            with pytest.raises(FocusConfigError, match=rf"'{name}' must be .* from {spell(low)} to {spell(high)}, "):
                _parse(**{name: outside})
        assert getattr(_parse(), name) == schema["default"]  # the form's default is the parser's
        assert f"({spell(low)} to {spell(high)}" in field["description"]


def test_the_form_rejects_what_the_parser_refuses_for_timeout_zero():
    schema = _form()["conn-fields"]["timeout"]["schema"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(0, schema)
    with pytest.raises(FocusConfigError):
        _parse(timeout=0)


def test_every_choice_of_the_form_is_accepted_and_nothing_else():
    schema = _form()["conn-fields"]["auth_type"]["schema"]
    assert schema["enum"] == [a.value for a in AuthType]
    assert schema["default"] == _parse().auth_type.value
    for value in schema["enum"]:
        config = FocusClientConfig.from_connection_fields(
            host=None, login="id", password="secret", extra={"auth_type": value, "cloud_id": CLOUD_ID}
        )
        assert config.auth_type.value == value
    with pytest.raises(FocusConfigError, match="auth_type"):
        _parse(auth_type="kerberos")


def test_every_field_has_a_label_and_a_description_and_cloud_id_a_placeholder():
    form = _form()
    for field in form["conn-fields"].values():
        assert field["label"]
        assert field["description"]
    placeholders = form["ui-field-behaviour"]["placeholders"]
    assert placeholders["cloud_id"] == EXAMPLE_CLOUD_ID
    _parse(cloud_id=placeholders["cloud_id"])  # the sample is a valid value
    assert EXAMPLE_CLOUD_ID in form["conn-fields"]["cloud_id"]["description"]  # Airflow 3.2+ shows descriptions
    assert "port" not in form["ui-field-behaviour"]["hidden-fields"]  # the port is read, so the form shows it


def test_airflow_reads_the_declarative_form_and_asks_the_hook_nothing(recwarn):
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

    (meta,) = [m for m in HookMetaService.hook_meta_data() if m.connection_type == "atlassian_focus"]
    assert set(meta.extra_fields) == {extra.name for extra in EXTRA_FIELDS}
    assert meta.extra_fields["timeout"]["schema"]["minimum"] == 0.1
    assert meta.standard_fields.host.title == "Site"
    assert meta.standard_fields.url_schema.hidden is True
    assert meta.standard_fields.port.hidden is False
    assert meta.standard_fields.port.placeholder.startswith("443")
    assert not [w for w in recwarn if "FocusHook" in str(w.message)]  # no deprecation of the 3.0/3.1 methods


# --- Airflow 3.0/3.1: the hook's form methods, from the same table --------------------------------------------------


def test_the_hooks_field_behaviour_is_the_provider_infos():
    behaviour = FocusHook.get_ui_field_behaviour()
    declared = _form()["ui-field-behaviour"]
    assert behaviour == {
        "hidden_fields": declared["hidden-fields"],
        "relabeling": declared["relabeling"],
        "placeholders": declared["placeholders"],
    }
    schema = json.loads((Path(airflow.__file__).parent / "customized_form_field_behaviours.schema.json").read_text())
    jsonschema.validate(behaviour, schema)


class _NumberRange:
    """Stands for ``wtforms.validators.NumberRange`` and records the bounds it is given."""

    made: list[tuple[float | None, float | None]] = []

    def __init__(self, min=None, max=None):  # WTForms' own argument names
        self.made.append((min, max))


@pytest.fixture
def fab_as_airflow_mocks_it(monkeypatch):
    """WTForms and Flask-AppBuilder as the API server of Airflow 3.0/3.1 presents them without the FAB provider."""
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService as Meta

    wtforms = types.ModuleType("wtforms")
    wtforms.StringField, wtforms.IntegerField = Meta.MockStringField, Meta.MockIntegerField
    validators = types.ModuleType("wtforms.validators")
    validators.Optional, validators.any_of, validators.NumberRange = Meta.MockOptional, Meta.MockEnum, _NumberRange
    babel = types.ModuleType("flask_babel")
    babel.lazy_gettext = str
    fab, widgets = types.ModuleType("flask_appbuilder"), types.ModuleType("flask_appbuilder.fieldwidgets")
    widgets.BS3TextFieldWidget = Meta.MockAnyWidget
    modules = {
        "wtforms": wtforms,
        "wtforms.validators": validators,
        "flask_babel": babel,
        "flask_appbuilder": fab,
        "flask_appbuilder.fieldwidgets": widgets,
    }
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    return Meta


def test_the_hooks_widgets_carry_the_declarative_forms_labels_descriptions_choices_and_defaults(
    fab_as_airflow_mocks_it,
):
    _NumberRange.made.clear()
    widgets = FocusHook.get_connection_form_widgets()
    declared = _form()["conn-fields"]
    assert list(widgets) == list(declared)
    for name, widget in widgets.items():
        param = widget.param.dump()  # what the API server of Airflow 3.0/3.1 sends to the UI
        field = declared[name]
        assert param["schema"]["title"] == field["label"]
        assert param["description"] == field["description"]
        assert param["schema"].get("enum") == field["schema"].get("enum")
        default = field["schema"].get("default")
        assert param["value"] == (default if default is None or "integer" in field["schema"]["type"] else str(default))
        if param["value"] is not None:
            _parse(**{name: param["value"]})  # the form's default parses
    integers = [name for name, field in declared.items() if "integer" in field["schema"]["type"]]
    assert integers == ["max_retries", "rate_limit_budget", "max_response_bytes"]
    for name in integers:
        assert widgets[name].field_class is fab_as_airflow_mocks_it.MockIntegerField
        assert widgets[name].param.dump()["schema"]["type"] == ["integer", "null"]
    bounds = [declared[name]["schema"] for name in integers]
    assert _NumberRange.made == [(b["minimum"], b["maximum"]) for b in bounds]


def test_the_hooks_widgets_are_empty_without_fab(monkeypatch):
    for name in ("wtforms", "flask_appbuilder", "flask_appbuilder.fieldwidgets", "flask_babel"):
        monkeypatch.setitem(sys.modules, name, None)  # "not installed": importing it raises ImportError
    assert FocusHook.get_connection_form_widgets() == {}
    assert FocusHook.get_ui_field_behaviour()["hidden_fields"] == ["schema", "extra"]
