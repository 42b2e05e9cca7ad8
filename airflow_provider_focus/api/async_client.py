"""
The asyncio twin of :class:`~airflow_provider_focus.api.client.FocusClient`, on ``httpx.AsyncClient``, for triggers.

Same configuration, retry decisions and waits, error mapping, auth modes and ``User-Agent``: everything but the
I/O comes from the modules the sync client uses. Secrets derived at run time go to an *async* sink, because the
sync masker talks to the supervisor with a blocking call that can deadlock a triggerer's event loop.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
import tenacity

from airflow_provider_focus.api import errors
from airflow_provider_focus.api.auth import (
    FocusAuth,
    TokenCache,
    static_auth,
    token_endpoint_unreachable,
    token_from_response,
    token_request_body,
)
from airflow_provider_focus.api.calls import USER_AGENT_PRODUCT, Call, causes, first_line, log_retry
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.api.pages import Pager
from airflow_provider_focus.api.retry import RetryPolicy
from airflow_provider_focus.exceptions import FocusConnectionError, FocusError

log = logging.getLogger(__name__)

USER_AGENT = f"{USER_AGENT_PRODUCT} python-httpx/{httpx.__version__}"

#: Receives every secret derived at run time; the hook passes Airflow's ``amask_secret``.
AsyncSecretSink = Callable[[str], Awaitable[None]]


async def _ignore_secret(_secret: str) -> None:
    return None


class AsyncClientCredentialsAuth:
    """
    OAuth 2.0 client credentials for the async client: the token is cached like the sync strategy caches it.

    :param client_id: the service account's client id.
    :param client_secret: its client secret.
    :param token_url: the token endpoint.
    :param http: the client to send token requests with.
    :param secret_sink: receives every fetched access token for masking.
    :param clock: monotonic clock (for tests).
    """

    refreshable = True

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_url: str,
        http: httpx.AsyncClient,
        secret_sink: AsyncSecretSink = _ignore_secret,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_url = token_url
        self._http = http
        self._secret_sink = secret_sink
        self._lock = asyncio.Lock()
        self._cache = TokenCache(clock)

    async def authorization(self) -> str:
        """Return the ``Authorization`` header value, fetching a token when none is fresh."""
        async with self._lock:
            token = self._cache.current() or self._cache.store(*await self._fetch_token())
            return f"Bearer {token}"

    def invalidate(self) -> None:
        """Forget the cached token so the next request fetches a new one."""
        self._cache.invalidate()

    async def _fetch_token(self) -> tuple[str, float]:
        log.info("Fetching a Focus access token for client %s from %s", self._client_id, self._token_url)
        body = token_request_body(self._client_id, self._client_secret)
        try:
            response = await self._http.post(self._token_url, json=body)
        except httpx.TransportError as err:
            raise token_endpoint_unreachable(self._token_url, err) from None
        token, lifetime = token_from_response(response, self._token_url)
        await self._secret_sink(token)
        return token, lifetime


class _StaticAuth:
    """Basic or a static bearer token: no I/O, never refreshed."""

    refreshable = False

    def __init__(self, auth: FocusAuth) -> None:
        self._auth = auth

    async def authorization(self) -> str:
        return self._auth.authorization()

    def invalidate(self) -> None:
        return None


class AsyncFocusClient:
    """
    Talk to one Focus API root from an event loop. Use it as ``async with`` or call :meth:`aclose`.

    :param config: the validated configuration.
    :param http: the ``httpx.AsyncClient`` to use; a new one by default (one per client keeps connections alive).
        An injected client belongs to the caller: :meth:`aclose` leaves it open.
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
        self.http = http or httpx.AsyncClient(timeout=config.timeout, verify=_ssl_verify(config.verify))
        self.http.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self.retry_policy = RetryPolicy(max_retries=config.max_retries, max_wait=config.max_retry_wait)
        self._secret_sink = secret_sink
        self._unmasked: list[str] = []
        sync_auth = static_auth(config, secret_sink=self._unmasked.append)
        self.auth: _StaticAuth | AsyncClientCredentialsAuth = (
            _StaticAuth(sync_auth)
            if sync_auth is not None
            else AsyncClientCredentialsAuth(
                config.login or "",
                config.password or "",
                token_url=config.token_url,
                http=self.http,
                secret_sink=secret_sink,
            )
        )
        self._sleep = sleep

    async def aclose(self) -> None:
        """Close the pooled connections, unless the ``httpx.AsyncClient`` was injected (its owner closes it)."""
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
    ) -> Any:
        """
        Send one API call, with retries, and return its decoded JSON body (``None`` for an empty body).

        :param method: HTTP method.
        :param path: path relative to the API root, e.g. ``resource_path("focus-areas", id)``.
        :param params: query parameters; ``None`` values are left out.
        :param json: the JSON body.
        :param idempotent: whether repeating the call is harmless after an ambiguous failure; by default true
            for every method but POST.
        :raises FocusApiError: (a subclass of it) for an error status, after retries where they apply.
        :raises FocusConnectionError: when no answer came, after retries where they apply.
        """
        call = Call.of(method, path, params, json, idempotent)
        while self._unmasked:
            await self._secret_sink(self._unmasked.pop())
        retrying = tenacity.AsyncRetrying(
            sleep=self._sleep,
            before_sleep=lambda retry_state: log_retry(call, retry_state, self.retry_policy.max_retries),
            **self.retry_policy.tenacity_kwargs(idempotent=call.idempotent),  # type: ignore[arg-type]
        )
        return await retrying(self._attempt, call)

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

    async def _attempt(self, call: Call) -> Any:
        headers = {"Authorization": await self.auth.authorization()}
        failure: FocusError | None = None
        try:
            response = await self.http.request(
                call.method, self.config.url_for(call.path), params=call.query, json=call.body, headers=headers
            )
        except (httpx.LocalProtocolError, ValueError):
            # httpx refuses a header value (e.g. a credential with a line break); its message quotes it.
            failure = errors.invalid_header_error(call.method, call.path)
        except httpx.TransportError as err:
            connection_failure = self._connection_error(err, call)
            call.sent_without_answer |= connection_failure.may_have_taken_effect
            failure = connection_failure
        if failure is not None:
            # Raised outside the except block, so that no __context__ keeps the request and its Authorization.
            raise failure
        if call.should_refresh_token(response, refreshable=self.auth.refreshable):
            self.auth.invalidate()
            return await self._attempt(call)
        return call.result(response)

    def _connection_error(self, err: httpx.TransportError, call: Call) -> FocusConnectionError:
        found = causes(err)
        detail = first_line(err)
        if isinstance(err, httpx.ConnectError) and any(isinstance(c, socket.gaierror) for c in found):
            kind = errors.NOT_RESOLVED
        elif isinstance(err, httpx.ConnectError) and any(isinstance(c, ssl.SSLError) for c in found):
            kind = errors.TLS_FAILED
        elif isinstance(err, (httpx.ConnectError, httpx.ConnectTimeout)):
            kind = errors.NOT_CONNECTED
        else:
            kind = errors.TIMED_OUT if isinstance(err, httpx.TimeoutException) else errors.BROKEN
            detail = type(err).__name__
        host = urlsplit(self.config.api_root).netloc
        return errors.connection_error(kind, method=call.method, path=call.path, host=host, detail=detail)


def _ssl_verify(verify: bool | str) -> bool | ssl.SSLContext:
    """httpx wants an ``SSLContext`` for a CA bundle path."""
    return ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify
