"""
One ``httpx.AsyncClient`` per event loop and connection configuration, shared by every user that asks for it.

A triggerer runs hundreds of triggers in one event loop. If each built its own ``httpx.AsyncClient``, each would
load the whole CA bundle into a new SSL context on the loop (about 25 ms of blocked loop and 830 KB) and keep its
own connections, which expire between two polls. Here the SSL context is built once per process and off the loop,
users of one configuration share one client (one connection pool) and the client closes when its last user
releases it.

httpcore's pool does work proportional to (queued requests x connections) and (connections squared) each time a
request enters or leaves it; with a thousand triggers polling at once that would freeze the loop. So at most
``max_connections`` requests are inside the pool at a time; the rest wait in a first-come first-served queue (O(1)),
bounded by the request's pool timeout like httpx's own queue.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from airflow_provider_focus.api.config import FocusClientConfig

#: Connections one shared client keeps open at most; further requests wait for a free one (within the timeout).
#: Ten connections carry about 65 requests a second at 150 ms each (1,000 triggers polling every 15 s); each
#: connection costs httpcore's pool a little work on every request, so more is not free.
MAX_CONNECTIONS = 10
#: Seconds an idle keep-alive connection is kept. httpx's default (5 s) drops a connection just before a trigger
#: polling every 5 s or more would reuse it; servers and load balancers commonly close idle ones after 60 s.
KEEPALIVE_EXPIRY = 50.0

_ssl_contexts: dict[bool | str, ssl.SSLContext] = {}
_ssl_lock = threading.Lock()


def ssl_context(verify: bool | str) -> ssl.SSLContext:
    """
    Return the process-wide SSL context for a ``verify`` setting, building it on first use (blocking, thread-safe).

    :param verify: ``True`` (the CA bundle httpx uses), ``False`` (no verification) or the path of a CA bundle.
    """
    with _ssl_lock:
        context = _ssl_contexts.get(verify)
        if context is None:
            if isinstance(verify, str):
                context = ssl.create_default_context(cafile=verify)
            else:
                context = httpx.create_ssl_context(verify=verify)
            _ssl_contexts[verify] = context
        return context


async def assl_context(verify: bool | str) -> ssl.SSLContext:
    """
    Return the process-wide SSL context for a ``verify`` setting; the first build runs in a thread, off the loop.

    :param verify: as for :func:`ssl_context`.
    """
    context = _ssl_contexts.get(verify)
    if context is not None:
        return context
    return await asyncio.to_thread(ssl_context, verify)


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body that gives its slot back once, when it is closed."""

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


class _Slots:
    """
    A first-come, first-served counter of free places whose waits end by a timer, never by cancelling the waiter.

    ``asyncio.wait_for`` (before Python 3.12) and anyio's cancel scopes can swallow a task's cancellation when it
    arrives as the wait ends; a cancelled trigger would then poll on forever.
    """

    def __init__(self, count: int) -> None:
        self._free = count
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self, timeout: float | None, request: httpx.Request) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        loop = asyncio.get_running_loop()
        place: asyncio.Future[None] = loop.create_future()
        self._waiters.append(place)
        timer = loop.call_later(timeout, self._expire, place, request) if timeout is not None else None
        try:
            await place
        except BaseException:
            if place.done() and not place.cancelled() and place.exception() is None:
                self.release()  # granted just as the waiter was cancelled: pass the place on
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def release(self) -> None:
        while self._waiters:
            place = self._waiters.popleft()
            if not place.done():
                place.set_result(None)
                return
        self._free += 1

    def _expire(self, place: asyncio.Future[None], request: httpx.Request) -> None:
        if not place.done():
            message = "No connection of the shared pool came free in time."
            place.set_exception(httpx.PoolTimeout(message, request=request))


class BoundedTransport(httpx.AsyncBaseTransport):
    """
    Let at most ``limit`` requests into an ``AsyncHTTPTransport`` at once; the others wait their turn in order.

    :param transport: the transport whose pool holds ``limit`` connections.
    :param limit: requests inside the pool at once.
    """

    def __init__(self, transport: httpx.AsyncBaseTransport, limit: int) -> None:
        self._transport = transport
        self._slots = _Slots(limit)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Wait for a slot (at most the request's pool timeout), send, and hold the slot until the body is closed."""
        await self._slots.acquire(request.extensions.get("timeout", {}).get("pool"), request)
        try:
            response = await self._transport.handle_async_request(request)
        except BaseException:
            self._slots.release()
            raise
        if isinstance(response.stream, httpx.ByteStream):  # already in memory: no connection is held
            self._slots.release()
        else:
            response.stream = _ReleasingStream(response.stream, self._slots.release)  # type: ignore[arg-type]
        return response

    async def aclose(self) -> None:
        """Close the pool's connections."""
        await self._transport.aclose()


@dataclass
class _Shared:
    client: httpx.AsyncClient
    users: int = 0


class AsyncClientPool:
    """
    Lend one ``httpx.AsyncClient`` per event loop and connection configuration, counting its users.

    Users of the same configuration (the same connection) share a client; different configurations never do,
    so cookies and TLS settings stay with one connection. A client belongs to the loop it was made on.

    :param max_connections: connections each shared client keeps open at most.
    :param keepalive_expiry: seconds an idle connection is kept for reuse.
    """

    def __init__(self, *, max_connections: int = MAX_CONNECTIONS, keepalive_expiry: float = KEEPALIVE_EXPIRY) -> None:
        self.limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=keepalive_expiry,
        )
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
                transport = httpx.AsyncHTTPTransport(verify=context, limits=self.limits)
                client = httpx.AsyncClient(
                    timeout=config.timeout,
                    verify=context,
                    transport=BoundedTransport(transport, self.limits.max_connections or MAX_CONNECTIONS),
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

    def users(self, config: FocusClientConfig) -> int:
        """
        Return how many users hold the shared client of ``config`` on the running loop (for tests and metrics).

        :param config: the configuration.
        """
        entry = self._shared().get(config)
        return entry.users if entry is not None else 0


#: The pool every :class:`~airflow_provider_focus.hooks.focus.FocusHook` in this process borrows from.
shared_clients = AsyncClientPool()
