"""
The asyncio twin of :class:`~airflow_provider_focus.api.client.FocusClient`, on ``httpx.AsyncClient``, for triggers.

It runs the same core (:mod:`~airflow_provider_focus.api.core`) as the sync client: same requests, auth, retries,
waits, errors and bounds; only the I/O differs. Secrets derived at run time go to an *async* sink, because the
sync masker talks to the supervisor with a blocking call that can deadlock a triggerer's event loop.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx

from airflow_provider_focus.api.auth import TokenSource
from airflow_provider_focus.api.calls import EXPECT_ANY, USER_AGENT_PRODUCT, Call
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.api.core import CURRENT_BUDGET, Core
from airflow_provider_focus.api.httpx_transport import HttpxTransport
from airflow_provider_focus.api.pages import Pager
from airflow_provider_focus.api.steps import FetchToken, LookUp, Reveal, Send, Steps, TransportFailure, Wait
from airflow_provider_focus.api.tls import ssl_context
from airflow_provider_focus.exceptions import FocusError

USER_AGENT = f"{USER_AGENT_PRODUCT} {HttpxTransport.library}"

#: Receives every secret derived at run time; the hook passes Airflow's ``amask_secret``.
AsyncSecretSink = Callable[[str], Awaitable[None]]

T = TypeVar("T")


async def _ignore_secret(_secret: str) -> None:
    return None


class AsyncFocusClient:
    """
    Talk to one Focus API root from an event loop. Use it as ``async with`` or call :meth:`aclose`.

    Bounded like the sync client: each attempt (the token request included) ends within ``config.timeout``
    seconds, body included.

    :param config: the validated configuration.
    :param http: the ``httpx.AsyncClient`` to use (e.g. a pool shared per configuration); a new one by default.
        An injected client is never closed here: its owner closes it.
    :param secret_sink: an async callable that receives secrets derived at run time, for masking in logs.
    :param sleep: how to wait between attempts (for tests).
    """

    def __init__(
        self,
        config: FocusClientConfig,
        *,
        http: httpx.AsyncClient | None = None,
        secret_sink: AsyncSecretSink = _ignore_secret,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self._owns_http = http is None
        # One TLS context builder for the process (api/tls.py): a client of its own shares the pool's contexts.
        self.http = http if http is not None else httpx.AsyncClient(verify=ssl_context(config.verify))
        self.transport = HttpxTransport(self.http)
        self._secret_sink = secret_sink
        self._unmasked: list[str] = []
        self.core = Core.for_config(config, user_agent=USER_AGENT, secret_sink=self._unmasked.append)
        #: The client-credentials token source (``None`` for Basic or a static bearer token).
        self.auth: TokenSource | None = self.core.tokens
        self.retry_policy = self.core.retry_policy
        self._token_lock: asyncio.Lock | None = None
        self._sleep = sleep

    async def aclose(self) -> None:
        """Close the pooled connections, unless the HTTP client was injected."""
        if self._owns_http:
            await self.http.aclose()

    async def __aenter__(self) -> AsyncFocusClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        expect: str | None = EXPECT_ANY,
    ) -> Any:
        """
        Send one API call, with retries, and return its decoded JSON body (``None`` for a 204).

        :param method: HTTP method.
        :param path: path relative to the API root, e.g. ``resource_path("focus-areas", id)``.
        :param params: query parameters; ``None`` values are left out.
        :param json: the JSON body.
        :param idempotent: whether repeating the call is harmless after an ambiguous failure; by default true
            for every method but POST.
        :param expect: ``"object"`` when the body must be a JSON object, ``"created"`` when it must also carry
            an ``id``; ``None`` for any JSON.
        :raises FocusApiError: (a subclass of it) for an error status, after retries where they apply.
        :raises FocusConnectionError: when no answer came, after retries where they apply.
        """
        call = Call.of(method, path, params, json, idempotent, url_for=self.config.url_for, expect=expect)
        return await self._run(self.core.call(call))

    async def paginate(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """
        Iterate over the ``values`` of a paginated collection, fetching each page only when it is needed.

        The async twin of :meth:`FocusClient.paginate <airflow_provider_focus.api.client.FocusClient.paginate>`:
        same limits, same stop rules, same errors.

        :param path: the collection, relative to the API root.
        :param params: filters to send with every page.
        :param page_size: the ``limit`` to ask for; the server may return fewer.
        :param max_items: stop after this many items.
        """
        pager = Pager(path, params=params, page_size=page_size, max_items=max_items)
        while (query := pager.next_query()) is not None:
            for item in pager.take(await self.request("GET", path, params=query)):
                yield item

    # --- the driver: does what the core's steps ask ----------------------------------------------------------

    async def _run(self, steps: Steps[T]) -> T:
        while self._unmasked:
            await self._secret_sink(self._unmasked.pop())
        reply: Any = None
        failure: BaseException | None = None
        while True:
            try:
                step = steps.throw(failure) if failure is not None else steps.send(reply)
            except StopIteration as done:
                return done.value
            reply, failure = None, None
            if isinstance(step, Send):
                try:
                    reply = await self.transport.send(step)
                except TransportFailure as caught:
                    failure = caught
            elif isinstance(step, Wait):
                await self._sleep(step.seconds)
            elif isinstance(step, Reveal):
                await self._secret_sink(step.secret)
            elif isinstance(step, FetchToken):
                if self._token_lock is None:  # made on first use, inside the loop that uses it
                    self._token_lock = asyncio.Lock()
                try:
                    async with self._token_lock:
                        reply = await self._run(step.steps())
                except FocusError as caught:
                    failure = caught
            elif isinstance(step, LookUp):
                token = CURRENT_BUDGET.set(step.budget)
                try:
                    found = step.find()
                    reply = await found if inspect.isawaitable(found) else found
                except FocusError as caught:
                    failure = caught
                finally:
                    CURRENT_BUDGET.reset(token)
