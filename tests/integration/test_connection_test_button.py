"""
The connection form's Test button against the real API server (``airflow api-server`` on loopback, SQLite, the
simple auth manager and a JWT), with the emulator in this process.

The connection list's Test button posts the stored connection back to ``POST /api/v2/connections/test`` with
``port: Number(port)``, that is ``0`` for a stored empty port. Airflow 3.3.2 compares that with the stored ``NULL``,
calls it another destination and answers 400 for every connection type. A Focus connection that stores its port
(443, or the emulator's) is tested; ``docs/connections.md`` says so.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import airflow
import httpx
import pytest

from airflow_provider_focus.testing import FocusEmulator

pytestmark = [pytest.mark.integration, pytest.mark.airflow_processes]

START_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ApiServer:
    """``airflow api-server`` in its own process group, with the simple auth manager and connection tests enabled."""

    def __init__(self, home: Path) -> None:
        self.home = home
        home.mkdir(parents=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.password = secrets.token_urlsafe(12)
        passwords = home / "passwords.json"
        passwords.write_text(json.dumps({"admin": self.password}))
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
        }
        self.airflow = str(Path(sys.executable).with_name("airflow"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(base_url=self.base, timeout=30)

    def start(self) -> None:
        migrate = subprocess.run(
            [self.airflow, "db", "migrate"], env=self.env, capture_output=True, text=True, timeout=START_SECONDS
        )
        assert migrate.returncode == 0, migrate.stderr[-2000:]
        log = (self.home / "api-server.log").open("wb")
        self.proc = subprocess.Popen(
            [self.airflow, "api-server"], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the api-server exited:\n{self.log_tail()}"
            try:
                answer = self.http.post("/auth/token", json={"username": "admin", "password": self.password})
            except httpx.TransportError:
                time.sleep(0.5)
                continue
            if answer.status_code == 201:
                self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
                return
            time.sleep(0.5)
        raise AssertionError(f"the api-server gave no token within {START_SECONDS} s:\n{self.log_tail()}")

    def stop(self) -> None:
        self.http.close()
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    def log_tail(self) -> str:
        path = self.home / "api-server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def create_connection(self, **fields: Any) -> None:
        answer = self.http.post("/api/v2/connections", json={"conn_type": "atlassian_focus", **fields})
        assert answer.status_code == 201, answer.text

    def press_test_button(self, connection_id: str) -> httpx.Response:
        """Post what the connection list's Test button of Airflow 3.3 posts for a stored connection."""
        stored = self.http.get(f"/api/v2/connections/{connection_id}").json()
        body = {
            "conn_type": stored["conn_type"],
            "connection_id": stored["connection_id"],
            "description": stored.get("description") or "",
            "extra": stored.get("extra") or "{}",
            "host": stored.get("host") or "",
            "login": stored.get("login") or "",
            "password": stored.get("password") or "",
            "port": int(stored.get("port") or 0),  # Number(null) is 0 in the UI
            "schema": stored.get("schema") or "",
        }
        return self.http.post("/api/v2/connections/test", json=body)


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    server = ApiServer(tmp_path_factory.mktemp("test-button") / "airflow-home")
    try:
        server.start()
        yield server
    finally:
        server.stop()


def test_the_test_button_works_for_a_focus_connection_that_stores_its_port(
    api_server: ApiServer, focus_emulator: FocusEmulator
) -> None:
    conn = focus_emulator.connection()
    credentials = {"login": conn.login, "password": conn.password}
    api_server.create_connection(connection_id="focus_port", host="127.0.0.1", port=focus_emulator.port, **credentials)
    api_server.create_connection(connection_id="focus_no_port", host=focus_emulator.url, **credentials)

    answer = api_server.press_test_button("focus_port")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "status": True,
        "message": f"Connected to Focus at {focus_emulator.url}/gateway/api/focus/v1 (api_token).",
    }

    answer = api_server.press_test_button("focus_no_port")
    if airflow.__version__ == "3.3.2":  # the upstream problem docs/connections.md describes
        assert answer.status_code == 400, answer.text
        assert "The host or port to test differs from the stored connection" in answer.text
    else:  # versions without the check test it, the port field's 0 dropped by the URI
        assert answer.status_code in (200, 400), answer.text

    typo = {"cloudid": "x"}
    api_server.create_connection(
        connection_id="focus_typo", host="127.0.0.1", port=focus_emulator.port, extra=json.dumps(typo), **credentials
    )
    answer = api_server.press_test_button("focus_typo")
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["status"] is True
    assert result["message"].endswith("extra 'cloudid' is unknown and ignored; did you mean 'cloud_id'?")


def test_the_test_button_on_a_new_connection_names_no_random_id(api_server: ApiServer) -> None:
    answer = api_server.http.post(
        "/api/v2/connections/test",
        json={"connection_id": "focus_new", "conn_type": "atlassian_focus", "host": "acme.atlassian.net/wiki"},
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["status"] is False
    assert result["message"].startswith("The Focus connection's host has a path ('/wiki'); remove it.")
