"""
Requests per second of the Focus emulator for small GETs over one keep-alive ``requests.Session``.

Baseline, measured in the same run: a minimal stdlib ``ThreadingHTTPServer`` (HTTP/1.1, one ``send`` per
response, ``TCP_NODELAY``) answering a constant JSON body. The ratio shows what the emulator's routing, auth,
fault checks, store lock and request log cost on top of bare ``http.server``. A third, short measurement shows
the trap the emulator avoids: headers and body in separate writes without ``TCP_NODELAY`` (Nagle + delayed ACK).
"""

from __future__ import annotations

import base64
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from airflow_provider_focus.testing import EMULATOR_API_TOKEN, EMULATOR_EMAIL, FocusEmulator

SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
BODY = b'{"id":"fa-0001","name":"Customer growth","status":"ON_TRACK"}'


class _BaselineHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    split_writes = False

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n").encode()
        if self.split_writes:
            self.wfile.write(head)
            self.wfile.write(BODY)
        else:
            self.wfile.write(head + BODY)


class _NagleHandler(_BaselineHandler):
    split_writes = True


class _BaselineServer(ThreadingHTTPServer):
    daemon_threads = True
    nodelay = True

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        if self.nodelay:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class _NagleServer(_BaselineServer):
    nodelay = False


@contextmanager
def _serve(server_class: type[ThreadingHTTPServer], handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = server_class(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def _cli_emulator() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_focus.testing.cli", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            match = re.search(r"site API root: +(\S+)", line)
            if match:
                yield match.group(1)
                break
        else:
            raise RuntimeError("focus-emulator did not start")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def measure(get: Callable[[], requests.Response], seconds: float = SECONDS, warmup: int = 200) -> float:
    """
    Return requests per second of ``get`` over ``seconds`` (after a warm-up).

    :param get: issues one request.
    :param seconds: how long to measure.
    :param warmup: requests sent before the clock starts.
    """
    for _ in range(warmup):
        get().raise_for_status()
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        get().raise_for_status()
        count += 1
    return count / (time.perf_counter() - started)


def _measure_http_client(url: str, seconds: float = SECONDS) -> float:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    token = base64.b64encode(f"{EMULATOR_EMAIL}:{EMULATOR_API_TOKEN}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}

    def get() -> int:
        connection.request("GET", parts.path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status

    for _ in range(200):
        get()
    count = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if get() != 200:
            raise RuntimeError("unexpected status")
        count += 1
    connection.close()
    return count / (time.perf_counter() - started)


def main() -> None:
    """Measure the baseline and the emulator, and print the figures and ratios."""
    session = requests.Session()
    with _serve(_BaselineServer, _BaselineHandler) as url:
        baseline = measure(lambda: session.get(url))
    print(f"baseline stdlib keep-alive server:        {baseline:8.0f} req/s")

    with FocusEmulator(seed="demo") as emulator:
        api = requests.Session()
        api.auth = (EMULATOR_EMAIL, EMULATOR_API_TOKEN)
        one = emulator.site_api_root + "/focus-areas/fa-0001"
        listing = emulator.site_api_root + "/focus-areas"
        cost_types = emulator.cloud_api_root + "/funds/cost-type"
        single = measure(lambda: api.get(one))
        emulator.clear_requests()
        page = measure(lambda: api.get(listing))
        emulator.clear_requests()
        lookup = measure(lambda: api.get(cost_types))
    for label, rate in (
        ("emulator GET focus-areas/{id} (site)", single),
        ("emulator GET focus-areas (6, site)", page),
        ("emulator GET funds/cost-type (cloud)", lookup),
    ):
        print(f"{label:42s} {rate:8.0f} req/s  ratio {rate / baseline:.2f} of baseline")

    with _cli_emulator() as site_api_root:
        separate = measure(lambda: api.get(site_api_root + "/focus-areas/fa-0001"))
        raw = _measure_http_client(site_api_root + "/focus-areas/fa-0001")
    print(
        f"{'focus-emulator CLI in its own process':42s} {separate:8.0f} req/s  ratio {separate / baseline:.2f} "
        "of baseline (no GIL shared with the client)"
    )

    print(f"{'same, stdlib http.client as the client':42s} {raw:8.0f} req/s  (the server's headroom)")

    nagle_session = requests.Session()
    with _serve(_NagleServer, _NagleHandler) as url:
        nagle = measure(lambda: nagle_session.get(url), seconds=min(SECONDS, 1.0), warmup=5)
    print(f"trap: split writes, no TCP_NODELAY:       {nagle:8.0f} req/s  (what the emulator avoids)")
    verdict = "PASS" if single >= 1000 else "FAIL"
    print(f"requirement 1,000+ req/s for small GETs:  {verdict} ({single:.0f} req/s)")


if __name__ == "__main__":
    main()
