"""
One ``httpx.AsyncClient`` per event loop and connection configuration, shared by every user that asks for it.

A triggerer runs hundreds of triggers in one event loop. If each built its own ``httpx.AsyncClient``, each would
load the whole CA bundle into a new SSL context on the loop (about 25 ms of blocked loop and 830 KB) and keep its
own connections, which expire between two polls. Here the SSL context is built once per process and off the loop,
users of one configuration share one client (one connection pool) and the client closes when its last user
releases it.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from airflow_provider_focus.api.config import FocusClientConfig

#: Connections one shared client keeps open at most; further requests wait for a free one (within the timeout).
MAX_CONNECTIONS = 100
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
                client = httpx.AsyncClient(timeout=config.timeout, verify=context, limits=self.limits)
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
