"""
HTTP plumbing: a threaded HTTP/1.1 keep-alive server on loopback that hands every request to
:class:`~airflow_provider_focus.testing.app.EmulatorApp`.

Speed matters (1,000+ small GETs per second from one keep-alive session): each response is built in one buffer
and written with one ``send`` call, and accepted sockets get ``TCP_NODELAY``, so Nagle's algorithm and delayed
ACKs never stall a request by 40 ms.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import socket
import sys
import threading
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from airflow_provider_focus.api import model
from airflow_provider_focus.testing.app import EmulatorApp, HttpRequest, HttpResponse
from airflow_provider_focus.testing.errors import error_body

log = logging.getLogger(__name__)

_REASONS = {status.value: status.phrase for status in HTTPStatus}
#: Largest request body accepted (bulk imports included).
MAX_BODY_BYTES = 16 * 1024 * 1024


#: Listen backlog: the stdlib default of 5 drops simultaneous connects (the kernel retries them after 1, 3, 7 s);
#: the kernel caps it at ``net.core.somaxconn``.
LISTEN_BACKLOG = 4096
#: Stack size of connection threads: a keep-alive connection idles in ``recv``, it needs little stack, and 1,000 of
#: them must fit (the default 8 MiB of virtual memory each adds up).
THREAD_STACK_BYTES = 512 * 1024


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def process_request(self, request: Any, client_address: Any) -> None:
        previous = threading.stack_size(THREAD_STACK_BYTES)
        try:
            super().process_request(request, client_address)
        finally:
            threading.stack_size(previous)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up before its answer was written (a cancelled trigger) is no server error."""
        error = sys.exc_info()[1]
        if isinstance(error, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            log.debug("Client %s hung up before its answer was written: %s", client_address, error)
            return
        super().handle_error(request, client_address)

    def __init__(self, address: tuple[str, int], app: EmulatorApp) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._connections_lock:
            self._connections.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut every open keep-alive connection down so its handler thread ends."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FocusEmulator/1"
    sys_version = ""
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_header = self.headers.get("Content-Length")
        if not length_header:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY_BYTES:
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(65537)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                return None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline(65537)

    def _handle(self) -> None:
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._write(
                HttpResponse(
                    400,
                    json.dumps(error_body(model.ErrorType.FORMAT_INVALID, "Bad request body.")).encode(),
                    headers=[(model.TRACE_ID_HEADERS[0], uuid.uuid4().hex)],
                )
            )
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = self.server.app.handle(
            HttpRequest(self.command, self.path, headers, body, int(self.client_address[1]))
        )
        if response.drop:
            self.close_connection = True
            return
        self._write(response)

    def _write(self, response: HttpResponse) -> None:
        status = response.status
        lines = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}",
            f"Server: {self.server_version}",
            f"Date: {email.utils.formatdate(usegmt=True)}",
        ]
        if status != 204:
            lines.append(f"Content-Type: {response.content_type}")
            lines.append(f"Content-Length: {len(response.body)}")
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        # `focus-emulator -v`: the response is written here, not by send_response. Logged before it is written: a
        # client that has its answer may stop the emulator at once, and a line logged after it was lost.
        if log.isEnabledFor(logging.DEBUG):
            self.log_request(status, len(response.body))
        self.wfile.write(head + (b"" if status == 204 else response.body))


class EmulatorServer:
    """
    Run :class:`EmulatorApp` on a socket in a background thread.

    :param app: the request processor.
    :param host: address to bind (keep it on loopback).
    :param port: port to bind; ``0`` picks a free one.
    """

    def __init__(self, app: EmulatorApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Tell whether the server is accepting connections."""
        return self._httpd is not None

    def start(self) -> tuple[str, int]:
        """
        Bind and start serving in a daemon thread.

        :return: the bound host and port.
        """
        if self._httpd is not None:
            return self.host, self.port
        httpd = _Server((self.host, self.port), self.app)
        self.host, self.port = str(httpd.server_address[0]), int(httpd.server_address[1])
        thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.5}, name="focus-emulator", daemon=True
        )
        self._httpd, self._thread = httpd, thread
        thread.start()
        log.info("Focus emulator listening on http://%s:%s", self.host, self.port)
        return self.host, self.port

    def stop(self) -> None:
        """Stop serving, close every open connection and release the port."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._httpd = self._thread = None
        # shutdown() waits for serve_forever's select() to wake up; a connection wakes it at once.
        stopper = threading.Thread(target=httpd.shutdown, name="focus-emulator-stop", daemon=True)
        stopper.start()
        while stopper.is_alive():
            with contextlib.suppress(OSError):
                socket.create_connection((self.host, self.port), timeout=0.2).close()
            stopper.join(0.01)
        httpd.close_connections()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        log.info("Focus emulator on http://%s:%s stopped", self.host, self.port)
