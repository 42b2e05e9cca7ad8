"""A real loopback HTTP server that misbehaves on purpose: trickles, stalls, cuts answers short, redirects."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

#: What to do with one connection after its request was read; gets the socket and the request.
Behaviour = Callable[[socket.socket, "Seen"], None]


@dataclass
class Seen:
    """One request the server read."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Rogue:
    """The server: ``behave`` answers every request (replace it between calls); ``seen`` records requests."""

    port: int
    behave: Behaviour
    seen: list[Seen] = field(default_factory=list)
    #: Connections accepted (counted by servers that read no HTTP request, e.g. :func:`tls_trickle_server`).
    accepted: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _read_request(conn: socket.socket) -> Seen | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return Seen(method, path, headers, body)


@contextlib.contextmanager
def _listening(serve: Callable[[socket.socket, threading.Event], None]) -> Iterator[int]:
    """Accept connections on 127.0.0.1, each served by ``serve`` in a thread, until the block ends; yield the port."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.05)
    stop = threading.Event()
    open_conns: list[socket.socket] = []

    def handle(conn: socket.socket) -> None:
        with conn:
            try:
                serve(conn, stop)
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            open_conns.append(conn)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        acceptor.join(2)
        listener.close()
        for conn in open_conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def rogue_server(behave: Behaviour) -> Iterator[Rogue]:
    """Run a rogue server on 127.0.0.1 until the block ends; connections still open are closed then."""
    server = Rogue(port=0, behave=behave)

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            seen = _read_request(conn)
            if seen is None:
                return
            server.seen.append(seen)
            server.behave(conn, seen)

    with _listening(serve) as port:
        server.port = port
        yield server


# --- behaviours ---------------------------------------------------------------------------------------------------


def answer(status: int = 200, body: bytes = b'{"id": "fa-1"}', headers: dict[str, str] | None = None) -> Behaviour:
    """Answer properly (keep-alive)."""

    def behave(conn: socket.socket, _seen: Seen) -> None:
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
        conn.sendall(head.encode() + body)

    return behave


def trickle(every: float = 0.1, size: int = 1000) -> Behaviour:
    """Send the headers, then the body one byte every ``every`` seconds."""

    def behave(conn: socket.socket, _seen: Seen) -> None:
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode())
        for _ in range(size):
            time.sleep(every)
            conn.sendall(b" ")

    return behave


def trickle_headers(every: float = 0.1) -> Behaviour:
    """Send the status line and headers one byte every ``every`` seconds, forever."""

    def behave(conn: socket.socket, _seen: Seen) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while True:
            for byte in b"X-Slow: a\r\n":
                time.sleep(every)
                conn.sendall(bytes([byte]))

    return behave


def stall(seconds: float = 30.0) -> Behaviour:
    """Read the request and answer nothing."""

    def behave(_conn: socket.socket, _seen: Seen) -> None:
        time.sleep(seconds)

    return behave


def cut_short(body: bytes = b'{"id": "fa', declared: int = 100) -> Behaviour:
    """Declare ``declared`` bytes, send ``body`` (fewer), then close."""

    def behave(conn: socket.socket, _seen: Seen) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
        conn.sendall(head.encode() + body)
        conn.shutdown(socket.SHUT_RDWR)
        raise OSError("closed on purpose")

    return behave


def close_after_headers() -> Behaviour:
    """Send headers without a length, then close: an empty body."""

    def behave(conn: socket.socket, _seen: Seen) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
        conn.shutdown(socket.SHUT_RDWR)
        raise OSError("closed on purpose")

    return behave


def close_without_answer() -> Behaviour:
    """Read the request, then close without a byte."""

    def behave(conn: socket.socket, _seen: Seen) -> None:
        conn.shutdown(socket.SHUT_RDWR)
        raise OSError("closed on purpose")

    return behave


def redirect(status: int, location: str | None) -> Behaviour:
    """Answer a 3xx pointing at ``location`` (none when ``None``)."""
    return answer(status, b"", {"Location": location} if location is not None else {})


@contextlib.contextmanager
def tls_trickle_server(every: float = 0.05) -> Iterator[Rogue]:
    """
    A server that takes the TLS ClientHello and answers with a handshake record trickled one byte at a time.

    The record announces 16 KiB, so a client bounded only per socket read would wait about ``16384 * every``
    seconds per attempt. ``seen`` stays empty (no HTTP request is ever read); ``url`` is ``http://``: put
    ``https://`` in front of the host yourself.
    """

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        server.accepted += 1
        conn.recv(65536)  # the ClientHello
        conn.sendall(b"\x16\x03\x03\x40\x00")  # a handshake record of 16 KiB follows ...
        while not stop.is_set():
            time.sleep(every)
            conn.sendall(b"\x00")  # ... one byte at a time

    server = Rogue(port=0, behave=lambda _conn, _seen: None)
    with _listening(serve) as port:
        server.port = port
        yield server
