"""
The environment's proxy variables (``HTTP_PROXY``, ``NO_PROXY``, ...) route the hook's requests, sync and async.

The sync transport reads them once per origin (not for every request, as ``requests.Session.request`` does): these
tests pin that it still honours them.
"""

from __future__ import annotations

import asyncio
import http.client
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from airflow_provider_focus.api.pool import environment_proxy
from airflow_provider_focus.hooks.focus import FocusHook

pytestmark = pytest.mark.integration

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


class _ForwardingProxy(BaseHTTPRequestHandler):
    """A plain-HTTP forward proxy: records each absolute URL it is asked for, then fetches it."""

    server: _ProxyServer

    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        target = urllib.parse.urlsplit(self.path)
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=10)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "proxy-connection")}
        upstream.request("GET", target.path + (f"?{target.query}" if target.query else ""), headers=headers)
        answer = upstream.getresponse()
        body = answer.read()
        upstream.close()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("connection", "content-length", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ForwardingProxy)
        self.seen: list[str] = []


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[_ProxyServer]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    server = _ProxyServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def proxy_url(server: _ProxyServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_http_proxy_routes_sync_and_async_requests(focus_emulator, focus_conn, proxy, monkeypatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy_url(proxy))
    hook = FocusHook()

    assert hook.get_focus_area("fa-0004")["id"] == "fa-0004"
    assert hook.get_focus_area("fa-0006")["id"] == "fa-0006"
    assert [urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1] for url in proxy.seen] == ["fa-0004", "fa-0006"]
    assert all(url.startswith(focus_emulator.url) for url in proxy.seen)

    assert asyncio.run(async_read("fa-0005")) == "fa-0005"
    assert len(proxy.seen) == 3


async def async_read(focus_area_id: str) -> str:
    hook = FocusHook()
    try:
        return str((await hook.aget_focus_area(focus_area_id))["id"])
    finally:
        await hook.aclose()


def test_no_proxy_bypasses_the_proxy(focus_emulator, focus_conn, proxy, monkeypatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy_url(proxy))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    assert FocusHook().get_focus_area("fa-0004")["id"] == "fa-0004"
    assert asyncio.run(async_read("fa-0005")) == "fa-0005"
    assert proxy.seen == []


@pytest.mark.parametrize(
    ("variables", "url", "expected"),
    [
        ({"HTTPS_PROXY": "http://proxy:3128"}, "https://api.atlassian.com/ex/focus", "http://proxy:3128"),
        ({"https_proxy": "http://proxy:3128"}, "http://127.0.0.1:8765/v1", None),
        ({"ALL_PROXY": "http://proxy:3128"}, "http://127.0.0.1:8765/v1", "http://proxy:3128"),
        ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "atlassian.com"}, "https://auth.atlassian.com/token", None),
        (
            {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "auth.atlassian.com"},
            "https://api.atlassian.com/x",
            "http://proxy:3128",
        ),
        ({}, "https://api.atlassian.com/x", None),
    ],
)
def test_the_async_path_reads_the_proxy_the_sync_path_uses(proxy, monkeypatch, variables, url, expected) -> None:
    import requests

    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    session = requests.Session()
    sync_choice = requests.utils.select_proxy(
        url, session.merge_environment_settings(url, {}, True, True, None)["proxies"]
    )

    assert environment_proxy(url) == expected == sync_choice
