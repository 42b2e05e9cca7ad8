"""
One ``httpx.AsyncClient`` per event loop and connection configuration, shared by every user that asks for it.

A triggerer runs hundreds of triggers in one event loop. If each built its own ``httpx.AsyncClient``, each would
load the whole CA bundle into a new SSL context on the loop (about 25 ms of blocked loop and 830 KB) and keep its
own connections, which expire between two polls. Here the SSL context is built once per process and off the loop,
users of one configuration share one client (one connection pool) and the client closes when its last user
releases it.

A shared client sends through :class:`LaneTransport`: ``max_connections`` one-connection lanes, because the work
httpcore's own pool does per request grows with its connections and queued requests.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from airflow_provider_focus.api.tls import assl_context

if TYPE_CHECKING:
    from airflow_provider_focus.api.config import FocusClientConfig

_Attached = TypeVar("_Attached")

#: Connections one shared client keeps open at most; further requests wait for a free one (within the timeout).
#: Ten connections carry about 65 requests a second at 150 ms each (1,000 triggers polling every 15 s).
MAX_CONNECTIONS = 10
#: Seconds an idle keep-alive connection is kept. httpx's default (5 s) drops a connection just before a trigger
#: polling every 5 s or more would reuse it; servers and load balancers commonly close idle ones after 60 s.
KEEPALIVE_EXPIRY = 50.0


def environment_proxy(url: str) -> str | None:
    """
    Return the proxy the environment names for ``url``, or ``None``.

    ``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` (either case) are read as ``requests`` reads them
    for the sync transport, so that a sensor deferred to the triggerer goes the way the same sensor in a worker does.

    :param url: the URL to reach.
    """
    from requests.utils import get_environ_proxies, select_proxy

    proxy: str | None = select_proxy(url, get_environ_proxies(url))
    return proxy


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body that gives its lane back once, when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class _Lanes:
    """
    Free lanes, lent last-in first-out (the warmest connection first), to waiters served first-come first-served.

    A wait ends by a timer that fails the waiter's future, never by cancelling the waiting task:
    ``asyncio.wait_for`` (before Python 3.12) and anyio's cancel scopes can swallow a task's cancellation that
    arrives as the wait ends, and a cancelled trigger would then poll on forever.
    """

    def __init__(self, lanes: Sequence[httpx.AsyncBaseTransport]) -> None:
        self.all = list(lanes)
        self._free = list(reversed(self.all))
        self._waiters: deque[asyncio.Future[httpx.AsyncBaseTransport]] = deque()

    async def acquire(self, timeout: float | None, request: httpx.Request) -> httpx.AsyncBaseTransport:
        if self._free and not self._waiters:
            return self._free.pop()
        loop = asyncio.get_running_loop()
        place: asyncio.Future[httpx.AsyncBaseTransport] = loop.create_future()
        self._waiters.append(place)
        timer = loop.call_later(timeout, self._expire, place, request) if timeout is not None else None
        try:
            return await place
        except BaseException:
            if place.done() and not place.cancelled() and place.exception() is None:
                self.release(place.result())  # granted just as the waiter was cancelled: pass the lane on
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def release(self, lane: httpx.AsyncBaseTransport) -> None:
        while self._waiters:
            place = self._waiters.popleft()
            if not place.done():
                place.set_result(lane)
                return
        self._free.append(lane)

    def _expire(self, place: asyncio.Future[httpx.AsyncBaseTransport], request: httpx.Request) -> None:
        if not place.done():
            message = "No connection of the shared pool came free in time."
            place.set_exception(httpx.PoolTimeout(message, request=request))


class LaneTransport(httpx.AsyncBaseTransport):
    """
    Send each request through one of several one-connection transports, one request per lane at a time.

    httpcore's pool does work proportional to (queued requests x connections) and (connections squared) each time
    a request enters or leaves it, which freezes a loop where a thousand triggers poll through one pool. Lanes of
    one connection each keep that work constant, and the requests that find every lane busy wait in an O(1)
    queue, at most the request's pool timeout (``httpx.PoolTimeout``, as httpx's own queue).

    :param lanes: the transports, each with a pool of one connection.
    """

    def __init__(self, lanes: Sequence[httpx.AsyncBaseTransport]) -> None:
        self._lanes = _Lanes(lanes)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Wait for a free lane, send, and hold the lane until the response body is closed."""
        lane = await self._lanes.acquire(request.extensions.get("timeout", {}).get("pool"), request)
        try:
            response = await lane.handle_async_request(request)
        except BaseException:
            self._lanes.release(lane)
            raise
        if isinstance(response.stream, httpx.ByteStream):  # already in memory: the connection is free again
            self._lanes.release(lane)
        else:
            release = functools.partial(self._lanes.release, lane)
            response.stream = _ReleasingStream(response.stream, release)  # type: ignore[arg-type]
        return response

    async def aclose(self) -> None:
        """Close every lane's connection."""
        for lane in self._lanes.all:
            await lane.aclose()


@dataclass
class _Shared:
    client: httpx.AsyncClient
    users: int = 0
    #: What the users share on top of the connections (the API client, with its OAuth token), built on first use.
    attached: Any = None


class AsyncClientPool:
    """
    Lend one ``httpx.AsyncClient`` per event loop and connection configuration, counting its users.

    Users of the same configuration (the same connection) share a client; different configurations never do,
    so cookies and TLS settings stay with one connection. A client belongs to the loop it was made on.

    :param max_connections: connections each shared client keeps open at most.
    :param keepalive_expiry: seconds an idle connection is kept for reuse.
    """

    def __init__(self, *, max_connections: int = MAX_CONNECTIONS, keepalive_expiry: float = KEEPALIVE_EXPIRY) -> None:
        self.max_connections = max_connections
        self.keepalive_expiry = keepalive_expiry
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[FocusClientConfig, _Shared]] = (
            weakref.WeakKeyDictionary()
        )

    def _shared(self) -> dict[FocusClientConfig, _Shared]:
        loop = asyncio.get_running_loop()
        shared = self._loops.get(loop)
        if shared is None:
            shared = self._loops[loop] = {}
        return shared

    async def acquire(self, config: FocusClientConfig) -> httpx.AsyncClient:
        """
        Return the shared client for ``config`` on the running loop; give it back with :meth:`release`.

        :param config: the validated configuration (its timeout and ``verify`` shape the client).
        """
        entry = self._shared().get(config)
        if entry is None:
            context = await assl_context(config.verify)
            entry = self._shared().get(config)  # another user may have made it while this one awaited
            if entry is None:
                lane = httpx.Limits(
                    max_connections=1, max_keepalive_connections=1, keepalive_expiry=self.keepalive_expiry
                )
                # A client given its transport reads no proxy from the environment: the lanes and the token
                # endpoint get the one requests (the sync path) would use, NO_PROXY included.
                proxy = environment_proxy(config.api_root)
                lanes = [
                    httpx.AsyncHTTPTransport(verify=context, limits=lane, proxy=proxy)
                    for _ in range(self.max_connections)
                ]
                mounts: dict[str, httpx.AsyncBaseTransport] = {}
                token_proxy = environment_proxy(config.token_url)
                if token_proxy != proxy:
                    token_origin = httpx.URL(config.token_url).copy_with(path="/", query=None, fragment=None)
                    mounts[str(token_origin).rstrip("/")] = httpx.AsyncHTTPTransport(verify=context, proxy=token_proxy)
                client = httpx.AsyncClient(
                    timeout=config.timeout, verify=context, transport=LaneTransport(lanes), mounts=mounts
                )
                entry = self._shared()[config] = _Shared(client)
        entry.users += 1
        return entry.client

    async def release(self, client: httpx.AsyncClient) -> None:
        """
        Give a client back; the last user's release closes it and its connections.

        :param client: a client returned by :meth:`acquire` on the running loop.
        """
        shared = self._shared()
        for config, entry in shared.items():
            if entry.client is client:
                entry.users -= 1
                if entry.users <= 0:
                    del shared[config]
                    await client.aclose()
                return
        raise ValueError("This client was not lent by this pool on the running event loop.")

    def attached(self, client: httpx.AsyncClient, build: Callable[[], _Attached]) -> _Attached:
        """
        Return what the users of a shared client share on top of its connections, building it on first use.

        The hook attaches its API client: triggers of one connection then share its OAuth token too (one token
        request for a thousand triggers, one refresh when it expires, under one lock). It lives as long as the
        shared client.

        :param client: a client returned by :meth:`acquire` on the running loop.
        :param build: makes the shared object; called once per shared client.
        """
        for entry in self._shared().values():
            if entry.client is client:
                if entry.attached is None:
                    entry.attached = build()
                attached: _Attached = entry.attached
                return attached
        raise ValueError("This client was not lent by this pool on the running event loop.")

    def users(self, config: FocusClientConfig) -> int:
        """
        Return how many users hold the shared client of ``config`` on the running loop (for tests and metrics).

        :param config: the configuration.
        """
        entry = self._shared().get(config)
        return entry.users if entry is not None else 0


#: The pool every :class:`~airflow_provider_focus.hooks.focus.FocusHook` in this process borrows from.
shared_clients = AsyncClientPool()
