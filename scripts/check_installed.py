"""
Check the provider as installed from the wheel into a clean venv of one Airflow version (run by ``make check-wheel-X``).

Run with that venv's Python from any directory: the package must come from site-packages, ``airflow providers list``
must list it at the expected version, ``airflow providers hooks`` must give ``atlassian_focus`` to ``FocusHook``, and
Airflow's providers manager (what the API server's connection form reads) must hold the form: the hidden fields,
labels and placeholders everywhere, the extra fields where this Airflow shows them (3.2+ from ``conn-fields``;
3.0/3.1 from the hook's widgets, only with Flask-AppBuilder installed).

Usage: ``python scripts/check_installed.py <version>``; exits non-zero with a list of problems.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import sysconfig
import tempfile
from pathlib import Path

CONN_TYPE = "atlassian_focus"
HOOK = "airflow_provider_focus.hooks.focus.FocusHook"


def airflow_cli(*args: str) -> object:
    """
    Run an ``airflow`` command with ``-o json`` in this process (Airflow's own CLI entry point, the one the
    ``airflow`` script calls); return the parsed output.

    In-process rather than a subprocess: each ``airflow`` process imports Airflow again (seconds of CPU), and the
    commands read the same providers manager the script's checks read below.
    """
    from airflow.__main__ import main as airflow_main

    argv, sys.argv = sys.argv, ["airflow", *args, "-o", "json"]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            airflow_main()
    except SystemExit as exit_:
        if exit_.code not in (None, 0):
            raise SystemExit(f"airflow {' '.join(args)} failed ({exit_.code}): {out.getvalue()[-2000:]}") from None
    finally:
        sys.argv = argv
    text = out.getvalue()
    try:  # the JSON document, after anything Airflow printed before it
        return json.JSONDecoder().raw_decode(text, text.index("["))[0]
    except ValueError:
        raise SystemExit(f"airflow {' '.join(args)} printed no JSON list: {text[-2000:]}") from None


def check(version: str) -> list[str]:
    problems: list[str] = []
    import airflow

    import airflow_provider_focus

    where = Path(airflow_provider_focus.__file__).resolve()
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    if site not in where.parents:
        problems.append(f"the package comes from {where}, not from the venv's site-packages {site}")
    if airflow_provider_focus.__version__ != version:
        problems.append(f"installed version {airflow_provider_focus.__version__}, expected {version}")

    listed = {p["package_name"]: p for p in airflow_cli("providers", "list")}  # type: ignore[attr-defined]
    if listed.get("airflow-provider-focus", {}).get("version") != version:
        problems.append(f"`airflow providers list` does not list airflow-provider-focus {version}")
    hooks = [h for h in airflow_cli("providers", "hooks") if h["connection_type"] == CONN_TYPE]  # type: ignore[attr-defined]
    if [h["class"] for h in hooks] != [HOOK]:
        problems.append(f"`airflow providers hooks` gives {CONN_TYPE} to {hooks}, expected {HOOK}")

    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    airflow_minor = tuple(int(part) for part in airflow.__version__.split(".")[:2])
    try:
        import flask_appbuilder  # noqa: F401

        fab = True
    except ImportError:
        fab = False
    if airflow_minor >= (3, 2) or fab:
        # What the API server's connection form reads (its hook-meta endpoint is built from these).
        behaviour = manager.field_behaviours.get(CONN_TYPE) or {}
        widgets = [name for name in manager.connection_form_widgets if name.startswith(f"extra__{CONN_TYPE}__")]
        where_from = "Airflow's providers manager"
    else:
        # Airflow 3.0/3.1 customise no connection form without Flask-AppBuilder (the FAB provider), for any
        # provider; with it they read the hook's methods, checked here.
        from airflow_provider_focus.hooks.focus import FocusHook

        behaviour = FocusHook.get_ui_field_behaviour()
        widgets = ["(needs the FAB provider)"]
        where_from = "FocusHook.get_ui_field_behaviour() (read by Airflow 3.0/3.1 with the FAB provider)"
    for key in ("hidden_fields", "relabeling", "placeholders"):
        if not behaviour.get(key):
            problems.append(f"the connection form has no {key} for {CONN_TYPE} in {where_from}: {behaviour}")
    if not widgets:
        problems.append(f"the connection form shows no extra field of {CONN_TYPE} on Airflow {airflow.__version__}")
    print(
        f"Airflow {airflow.__version__}: airflow-provider-focus {version} from {where.parent.parent}; "
        f"`airflow providers list` and `hooks` show it; the form ({where_from}): "
        f"{len(behaviour.get('hidden_fields', []))} hidden fields, {len(behaviour.get('relabeling', {}))} labels, "
        f"{len(behaviour.get('placeholders', {}))} placeholders, {len(widgets)} extra fields"
    )
    return problems


def main(argv: list[str]) -> int:
    (version,) = argv
    with tempfile.TemporaryDirectory(prefix="focus-check-installed-") as home:
        os.environ["AIRFLOW_HOME"] = home
        os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
        os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"  # Airflow 3.0 logs notes to stdout at INFO
        problems = check(version)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
