from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from airflow_provider_focus.testing import EMULATOR_API_TOKEN, EMULATOR_EMAIL
from airflow_provider_focus.testing.cli import build_parser, main


def start(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_focus.testing.cli", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, []


def read_banner(process: subprocess.Popen[str], lines: list[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Press Ctrl-C"):
            return "".join(lines)
    process.kill()
    raise AssertionError("the emulator did not start: " + "".join(lines))


def test_cli_serves_until_sigint_or_sigterm(tmp_path: Path) -> None:
    persist = tmp_path / "state.json"
    interrupted, interrupted_lines = start("--seed", "demo", "--token-expires-in", "99")
    terminated, terminated_lines = start("--seed", "empty", "--persist", str(persist))
    try:
        banner = read_banner(interrupted, interrupted_lines)
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner)
        assert url is not None
        export = re.search(r"^export AIRFLOW_CONN_FOCUS_DEFAULT='(.*)'$", banner, re.MULTILINE)
        assert export is not None
        conn = json.loads(export.group(1))
        assert conn["host"] == url.group(1)
        assert (conn["login"], conn["password"]) == (EMULATOR_EMAIL, EMULATOR_API_TOKEN)
        page = requests.get(
            url.group(1) + "/gateway/api/focus/v1/focus-areas", auth=(EMULATOR_EMAIL, EMULATOR_API_TOKEN), timeout=5
        )
        assert page.json()["totalCount"] == 6
        grant = requests.post(
            url.group(1) + "/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": "emulator-client-id",
                "client_secret": "emulator-client-secret",
            },
            timeout=5,
        )
        assert grant.json()["expires_in"] == 99

        other = read_banner(terminated, terminated_lines)
        assert "seed 'empty'" in other
        assert persist.exists()

        interrupted.send_signal(signal.SIGINT)
        terminated.send_signal(signal.SIGTERM)
        assert interrupted.wait(timeout=10) == 0
        assert terminated.wait(timeout=10) == 0
        assert "Focus emulator stopped." in interrupted.stdout.read()  # type: ignore[union-attr]
    finally:
        for process in (interrupted, terminated):
            if process.poll() is None:
                process.kill()
                process.wait()


def test_cli_verbose_logs_every_request_without_its_credentials() -> None:
    process, lines = start("--seed", "demo", "-v")
    try:
        banner = read_banner(process, lines)
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner)
        assert url is not None
        answered = requests.get(
            url.group(1) + "/gateway/api/focus/v1/focus-areas/fa-0004",
            auth=(EMULATOR_EMAIL, EMULATOR_API_TOKEN),
            timeout=5,
        )
        assert answered.status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        logged = process.stdout.read()  # type: ignore[union-attr]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert '"GET /gateway/api/focus/v1/focus-areas/fa-0004 HTTP/1.1" 200' in logged
    assert EMULATOR_API_TOKEN not in logged


def test_cli_reports_a_busy_port(capsys) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port)]) == 1
    assert "cannot listen" in capsys.readouterr().out


def test_cli_parser_defaults() -> None:
    args = build_parser().parse_args([])

    assert (args.host, args.port, args.seed, args.persist, args.token_expires_in) == (
        "127.0.0.1",
        8765,
        "demo",
        None,
        3600,
    )
