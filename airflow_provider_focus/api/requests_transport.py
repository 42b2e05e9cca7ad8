"""
The sync transport: moves a :class:`~airflow_provider_focus.api.steps.Send` over ``requests`` and reads the answer.

It follows no redirect, reads at most ``max_bytes`` and ends the exchange at its deadline even when the server
trickles bytes: ``requests`` only has a per-read timeout, so a watchdog thread shuts the socket down when the
deadline passes (the blocked read then returns at once). Everything else is decided in the core.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import ProxyManager

from airflow_provider_focus.api import errors
from airflow_provider_focus.api.failures import classify
from airflow_provider_focus.api.steps import Answer, AnswerReader, Headers, Send, TransportFailure

#: Bytes asked for per read of a body.
CHUNK_BYTES = 64 * 1024


class _Watch:
    """The connections one exchange uses, shut down when its deadline passes."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.connections: list[HTTPConnection] = []
        #: Whether a new connection was opened (TCP, a proxy tunnel, the TLS handshake) for this exchange.
        self.connecting = False
        self.fired = False
        self.done = False
        self._lock = threading.Lock()

    def add(self, connection: HTTPConnection) -> None:
        with self._lock:
            self.connections.append(connection)
            fire_now = self.fired
        if fire_now:
            _shut(connection)

    def fire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.fired = True
            connections = list(self.connections)
        for connection in connections:
            _shut(connection)


def _shut(connection: HTTPConnection) -> None:
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        # socket.socket's own shutdown, not SSLSocket's (which drops its TLS state under a reading thread).
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread that fires each watch at its deadline."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Watch]] = []
        self._counter = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self.local = threading.local()

    @contextmanager
    def watch(self, deadline: float) -> Iterator[_Watch]:
        watch = _Watch(deadline)
        with self._wake:
            heapq.heappush(self._heap, (deadline, next(self._counter), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="focus-deadline-watchdog", daemon=True)
                self._thread.start()
            self._wake.notify()
        previous = getattr(self.local, "watch", None)
        self.local.watch = watch
        try:
            yield watch
        finally:
            self.local.watch = previous
            with watch._lock:
                watch.done = True

    def _run(self) -> None:
        with self._wake:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait()
                    continue
                deadline, _, watch = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._heap)
                watch.fire()


_WATCHDOG = _Watchdog()


def _register(connection: HTTPConnection) -> None:
    watch = getattr(_WATCHDOG.local, "watch", None)
    if watch is not None:
        watch.add(connection)


def _connecting() -> None:
    watch = getattr(_WATCHDOG.local, "watch", None)
    if watch is not None:
        watch.connecting = True


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        _connecting()
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        _connecting()
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


#: Connections per host the sync client keeps alive unless told otherwise (``requests``' own default).
DEFAULT_POOL_SIZE = 10


class DeadlineAdapter(HTTPAdapter):
    """
    A ``requests`` adapter whose connections the watchdog can shut down at a call's deadline.

    :param pool_size: the keep-alive connections per host (a connection opened beyond them is closed after its call).
    """

    def __init__(self, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self.pool_size = pool_size
        super().__init__(pool_connections=DEFAULT_POOL_SIZE, pool_maxsize=pool_size)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is ProxyManager:  # a SOCKS manager keeps its own pools (and per-read timeouts)
            manager.pool_classes_by_scheme = _POOLS
        return manager


class _Headers(AuthBase):
    """Puts exactly the core's headers on the request, after the session's (no netrc, no session auth)."""

    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = headers

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.update(self._headers)
        return request


class RequestsTransport:
    """
    Send requests with a ``requests.Session``.

    :param session: the session; a :class:`DeadlineAdapter` is mounted on it for http and https.
    :param verify: TLS verification: ``True``, ``False`` or a CA bundle path.
    :param pool_size: the keep-alive connections per host, at least (see :meth:`widen`).
    """

    library = f"python-requests/{requests.__version__}"

    def __init__(
        self, session: requests.Session, *, verify: bool | str = True, pool_size: int = DEFAULT_POOL_SIZE
    ) -> None:
        self.session = session
        self.verify = verify
        self.pool_size = pool_size
        self._settings: dict[str, dict[str, Any]] = {}
        self._mount()

    def widen(self, pool_size: int) -> None:
        """
        Keep at least ``pool_size`` connections per host alive, for as many threads sending side by side.

        Call it before the threads start: the adapter is replaced (sending concurrently through one session is what
        ``requests``' pool is built for; changing the session while threads use it is not).

        :param pool_size: the connections per host to keep.
        """
        if pool_size > self.pool_size:
            self.pool_size = pool_size
            self._mount()

    def _mount(self) -> None:
        for prefix in ("https://", "http://"):
            current = self.session.get_adapter(prefix)
            if isinstance(current, DeadlineAdapter) and current.pool_size >= self.pool_size:
                continue
            self.session.mount(prefix, DeadlineAdapter(self.pool_size))
            if isinstance(current, DeadlineAdapter):
                current.close()  # its idle connections; the new adapter opens its own

    def send(self, request: Send) -> Answer:
        """
        Send ``request`` and read its whole answer, within its deadline and size cap.

        :param request: what to send.
        :raises TransportFailure: when no complete answer came.
        """
        failure: TransportFailure | None = None
        with _WATCHDOG.watch(request.deadline) as watch:
            try:
                answer = self._exchange(request)
                if not watch.fired:
                    return answer
                # the watchdog cut the socket: what was read (even "headers then EOF") is not the whole answer
                failure = TransportFailure(errors.TIMED_OUT, "no complete answer before the call's timeout")
            except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidJSONError, ValueError):
                # requests or http.client refuse a header value (e.g. a credential with a line break); their
                # message quotes it, so none of it is kept.
                failure = TransportFailure(errors.INVALID_HEADER, "a header value is invalid")
            except (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as err:
                # A new connection was being opened and no request was started on any (the watch registers a
                # connection when urllib3 starts writing on it): the failure came while connecting -- TCP, a proxy
                # tunnel or the TLS handshake, whose timeout urllib3 reports as a read timeout -- so nothing was
                # sent. Without that evidence (a mocked adapter, say) the failure counts as sent.
                unsent = watch.connecting and not watch.connections
                connected = not (unsent or _never_connected(err))
                failure = classify(err, connected=connected, timed_out=_timed_out(err) or watch.fired)
            if watch.fired and watch.connections and failure.kind in (errors.BROKEN, errors.NOT_CONNECTED):
                failure = TransportFailure(errors.TIMED_OUT, "no complete answer before the call's timeout")
        raise failure

    def _exchange(self, request: Send) -> Answer:
        timeout = max(0.001, request.remaining())
        prepared = self.session.prepare_request(
            requests.Request(request.method, request.url, data=request.body or {}, auth=_Headers(dict(request.headers)))
        )
        response = self.session.send(
            prepared, timeout=(timeout, timeout), allow_redirects=False, **self._settings_for(prepared.url or "")
        )
        try:
            reader = AnswerReader(response.status_code, Headers(response.headers), request.max_bytes)
            if not reader.full:
                for chunk in response.iter_content(CHUNK_BYTES):
                    if not reader.feed(chunk):
                        break
            return reader.answer()
        finally:
            response.close()

    def _settings_for(self, url: str) -> dict[str, Any]:
        """
        Return what ``Session.request`` would add from the session and the environment: proxies (``HTTPS_PROXY``,
        ``NO_PROXY``, ...), the CA bundle (``REQUESTS_CA_BUNDLE``), the client certificate; read once per origin.

        ``Session.request`` reads them for every request, scanning the whole environment twice: in an Airflow worker,
        with its hundreds of variables, that was a quarter of the CPU of a request to the emulator.
        """
        scheme, _, rest = url.partition("://")
        origin = f"{scheme}://{rest.split('/', 1)[0]}"
        settings = self._settings.get(origin)
        if settings is None:
            settings = dict(self.session.merge_environment_settings(origin, {}, True, self.verify, None))
            self._settings[origin] = settings
        return settings


def _never_connected(err: BaseException) -> bool:
    """Whether ``requests`` says no connection was made, so the request was not sent."""
    if isinstance(err, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    if isinstance(err, requests.exceptions.ProxyError):
        return True
    reason = err.args[0] if err.args else None
    inner = getattr(reason, "reason", reason)
    return isinstance(inner, urllib3.exceptions.NewConnectionError) or isinstance(
        err, urllib3.exceptions.NewConnectionError
    )


def _timed_out(err: BaseException) -> bool:
    return isinstance(err, (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError, TimeoutError))
