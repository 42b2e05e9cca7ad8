from __future__ import annotations

import base64
import socket
import socketserver
import struct
import time

import pytest

from airflow_provider_focus.testing import EMULATOR_API_TOKEN, EMULATOR_EMAIL, FocusEmulator
from tests.emulator.conftest import Api


def test_keep_alive_responses_cannot_meet_nagle(
    site: Api, focus_emulator: FocusEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Headers and body written apart, without TCP_NODELAY, stall every keep-alive request ~40 ms (Nagle meets
    # delayed ACK). Both halves of the cure are checked structurally; the speed itself is measured in benchmarks/.
    writes: list[int] = []
    original_write = socketserver._SocketWriter.write

    def counting_write(self: socketserver._SocketWriter, data: bytes) -> int:
        writes.append(len(data))
        return original_write(self, data)

    monkeypatch.setattr(socketserver._SocketWriter, "write", counting_write)
    for _ in range(5):
        site.get("focus-areas/fa-0001").raise_for_status()

    assert len(writes) == 5  # one write per response: status line, headers and body together
    connections = list(focus_emulator._server._httpd._connections)  # type: ignore[union-attr]
    assert connections
    assert all(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for c in connections)


def test_chunked_request_body(site: Api, focus_emulator: FocusEmulator) -> None:
    def chunks():
        yield b'{"name": "Chunked", '
        yield b'"focusAreaTypeId": "fat-project"}'

    response = site.post("focus-areas", data=chunks(), headers={"Content-Type": "application/json"})

    assert response.status_code == 201
    assert focus_emulator.store.focus_areas()[-1]["name"] == "Chunked"


def test_bad_content_length_gets_400_with_a_trace_id(focus_emulator: FocusEmulator) -> None:
    with socket.create_connection((focus_emulator.host, focus_emulator.port), timeout=5) as raw:
        raw.sendall(b"POST /gateway/api/focus/v1/focus-areas HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
        answer = raw.recv(4096).decode()

    assert answer.startswith("HTTP/1.1 400 ")
    assert "Atl-Traceid: " in answer
    assert "Connection: close" in answer


def test_a_client_that_hangs_up_before_its_answer_prints_no_traceback(
    focus_emulator: FocusEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    # A trigger cancelled mid-request hangs up; the server's write then fails with a broken pipe or a reset, which
    # socketserver used to print as "Exception occurred during processing of request" with a traceback.
    focus_emulator.faults.latency(0.3, count=1)
    token = base64.b64encode(f"{EMULATOR_EMAIL}:{EMULATOR_API_TOKEN}".encode()).decode()
    raw = socket.create_connection((focus_emulator.host, focus_emulator.port), timeout=5)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
    raw.sendall(
        b"GET /gateway/api/focus/v1/focus-areas?limit=100 HTTP/1.1\r\nHost: x\r\n"
        + f"Authorization: Basic {token}\r\n\r\n".encode()
    )
    raw.close()
    deadline = time.monotonic() + 5
    while not focus_emulator.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the delayed answer is written (and fails) after the latency

    assert focus_emulator.requests  # the request was handled
    assert "Traceback" not in capfd.readouterr().err


def test_one_connection_serves_many_requests(focus_emulator: FocusEmulator) -> None:
    token = base64.b64encode(f"{EMULATOR_EMAIL}:{EMULATOR_API_TOKEN}".encode())
    request = b"GET /gateway/api/focus/v1/focus-areas/fa-0001 HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + token
    with socket.create_connection((focus_emulator.host, focus_emulator.port), timeout=5) as raw:
        raw.sendall((request + b"\r\n\r\n") * 3)
        received = b""
        while received.count(b"HTTP/1.1 200 OK") < 3:
            chunk = raw.recv(65536)
            assert chunk
            received += chunk

    assert len(focus_emulator.requests) == 3


def test_request_log_shows_connection_reuse(site: Api, focus_emulator: FocusEmulator) -> None:
    site.get("focus-areas")
    site.get("organizations")
    Api(focus_emulator.site_api_root, (EMULATOR_EMAIL, EMULATOR_API_TOKEN)).get("focus-areas")

    ports = [record.client_port for record in focus_emulator.requests]
    assert ports[0] == ports[1] != ports[2]
    assert all(isinstance(port, int) for port in ports)
