"""
No secret reaches a log, an exception message, XCom or a rendered template — checked on real DAG runs.

Canary credentials go into the connection; every DAG-run artefact Airflow keeps is then searched for them, and
for what the provider derives from them (the Basic credential, the access tokens the emulator issued).
"""

from __future__ import annotations

import base64
import json
import traceback
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_focus._compat import airflow_at_least
from tests.conftest import AIRFLOW_HOME

pytestmark = [pytest.mark.integration, pytest.mark.dag_test]

EMAIL = "canary@example.com"
API_TOKEN = "canary-api-token-5c1e9a7d"
CLIENT_ID = "canary-client"
CLIENT_SECRET = "canary-client-secret-0b8f3e21"


def run_artefacts(dag_run: Any) -> str:
    """Return, as one text, every XCom value and rendered template field of a run, and its task log files."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    parts: list[str] = []
    with create_session() as session:
        for row in session.query(XComModel).filter_by(dag_id=dag_run.dag_id, run_id=dag_run.run_id):
            parts.append(json.dumps(XComModel.deserialize_value(row), default=str))
        for row in session.query(RenderedTaskInstanceFields).filter_by(dag_id=dag_run.dag_id, run_id=dag_run.run_id):
            parts.append(json.dumps(row.rendered_fields, default=str))
    assert parts, "the run left no XCom or rendered fields to search"
    logs = Path(AIRFLOW_HOME) / "logs"
    if logs.exists():
        parts.extend(path.read_text(errors="replace") for path in logs.rglob("*") if path.is_file())
    return "\n".join(parts)


def secrets_of(emulator: Any) -> list[str]:
    basic = base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
    issued = list(emulator.auth._tokens)  # the access tokens the emulator handed out
    return [API_TOKEN, CLIENT_SECRET, basic, *issued]


def without_airflow_own_leak(text: str, password: str) -> str:
    """
    Drop the one line Airflow 3.0 itself writes with the connection's password: nothing else is forgiven.

    Airflow 3.0's ``dag.test()`` logs, at debug level, every message its task sends to the in-process supervisor,
    and Airflow's own connection look-up (``airflow.sdk.execution_time.context._get_connection``) sends the
    password in a ``MaskSecret`` before masking it: ``Sending request msg=MaskSecret(value='<password>')``. That is
    no code of the provider's (Airflow 3.1 masks first); what the provider derives (the Basic credential, access
    tokens) must not appear there, and does not.

    :param text: everything the run wrote.
    :param password: the connection's password.
    """
    if airflow_at_least("3.1"):
        return text
    airflow_own = f"Sending request                msg=MaskSecret(value='{password}'"
    return "\n".join(line for line in text.splitlines() if airflow_own not in line)


def use_connection(monkeypatch: pytest.MonkeyPatch, emulator: Any, auth_type: str, **fields: Any) -> None:
    mode = "site" if auth_type == "api_token" else "cloud"
    ((name, value),) = emulator.conn_env("focus_default", auth_type=auth_type, mode=mode).items()
    monkeypatch.setenv(name, json.dumps({**json.loads(value), **fields}))


@pytest.mark.parametrize("auth_type", ["api_token", "oauth2_client_credentials"])
def test_successful_run_leaks_no_secret(dagbag, focus_emulator, monkeypatch, capfd, caplog, auth_type):
    focus_emulator.add_user(EMAIL, API_TOKEN)
    focus_emulator.add_client(CLIENT_ID, CLIENT_SECRET)
    password = API_TOKEN if auth_type == "api_token" else CLIENT_SECRET
    if auth_type == "api_token":
        use_connection(monkeypatch, focus_emulator, auth_type, login=EMAIL, password=password)
    else:
        use_connection(monkeypatch, focus_emulator, auth_type, login=CLIENT_ID, password=password)

    dag_run = dagbag.get_dag("example_focus_lifecycle").test()

    assert dag_run.state == "success"
    auth_modes = {r.auth_mode for r in focus_emulator.requests if r.root in ("site", "cloud")}
    assert auth_modes == {"basic" if auth_type == "api_token" else "bearer"}
    captured = capfd.readouterr()
    everything = "\n".join([captured.out, captured.err, caplog.text, run_artefacts(dag_run)])
    everything = without_airflow_own_leak(everything, password)
    secrets = secrets_of(focus_emulator)
    assert len(secrets) >= 3
    for secret in secrets:
        assert secret not in everything


def record_task_errors(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """
    Collect the exception of every task ``dag.test()`` runs, with its traceback, as the task log shows it.

    A positive check on captured stdout could flake: whether task logs reach stdout depends on the logging state
    earlier tests left. The task's exception is what its log reports, and it is captured here whatever that state.
    """
    from airflow.sdk.execution_time import supervisor

    errors: list[str] = []
    run = supervisor.run_task_in_process

    def recording(*args: Any, **kwargs: Any) -> Any:
        result = run(*args, **kwargs)
        if result.error is not None:
            errors.append("".join(traceback.format_exception(result.error)))
        return result

    monkeypatch.setattr(supervisor, "run_task_in_process", recording)
    return errors


def test_failed_run_explains_the_credential_without_quoting_it(dagbag, focus_emulator, monkeypatch, capfd, caplog):
    wrong = "canary-wrong-token-77d0c2"
    use_connection(monkeypatch, focus_emulator, "api_token", login=EMAIL, password=wrong)
    errors = record_task_errors(monkeypatch)

    dag_run = dagbag.get_dag("example_focus_lifecycle").test()

    assert dag_run.state == "failed"
    assert len(errors) == 1
    assert "check the connection's login" in errors[0]  # the user learns what to fix
    captured = capfd.readouterr()
    everything = "\n".join([captured.out, captured.err, caplog.text, *errors])
    assert wrong not in everything
    assert base64.b64encode(f"{EMAIL}:{wrong}".encode()).decode() not in everything
