"""
The Focus REST API client on ``requests``: runs the core's steps (:mod:`~airflow_provider_focus.api.core`) with
one keep-alive session.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import requests

from airflow_provider_focus.api import model
from airflow_provider_focus.api.auth import SecretSink, TokenSource
from airflow_provider_focus.api.calls import EXPECT_ANY, EXPECT_CREATED, USER_AGENT_PRODUCT, Call
from airflow_provider_focus.api.config import AuthType, FocusClientConfig
from airflow_provider_focus.api.core import CURRENT_BUDGET, Core
from airflow_provider_focus.api.pages import Pager
from airflow_provider_focus.api.requests_transport import DEFAULT_POOL_SIZE, RequestsTransport
from airflow_provider_focus.api.steps import FetchToken, LookUp, Reveal, Send, Steps, TransportFailure, Wait
from airflow_provider_focus.exceptions import FocusConfigError, FocusError

USER_AGENT = f"{USER_AGENT_PRODUCT} {RequestsTransport.library}"

T = TypeVar("T")


def resource_path(*segments: str | int) -> str:
    """
    Join path segments, URL-encoding each one, so that an id can never reach another endpoint.

    :param segments: the resource name first (``"focus-areas"``), then ids.
    :raises FocusConfigError: for an empty id or one that is ``.`` or ``..``.
    """
    first, *ids = (str(segment) for segment in segments)
    encoded = [first]
    for segment in ids:
        if segment.strip() in ("", ".", ".."):
            raise FocusConfigError(f"{segment!r} is not a valid Focus id.")
        encoded.append(quote(segment, safe=""))
    return "/".join(encoded)


def _noop_secret(_secret: str) -> None:
    return None


class FocusClient:
    """
    Talk to one Focus API root.

    Every call is bounded: each attempt (the token request included) ends within ``config.timeout`` seconds, body
    included, so a call lasts at most about ``(max_retries + 1) * timeout`` plus the waits between attempts (each
    at most ``max_retry_wait``).

    :param config: the validated configuration.
    :param session: the session to use; a new one by default, closed by :meth:`close`. An injected session is
        never closed here (its owner closes it); a deadline adapter is mounted on it.
    :param secret_sink: receives secrets derived at run time, for masking in logs.
    :param sleep: how to wait between attempts (for tests).
    :param max_connections: the keep-alive connections to the API host; threads sending side by side need one
        each (see :meth:`allow_concurrent_calls`).
    """

    def __init__(
        self,
        config: FocusClientConfig,
        *,
        session: requests.Session | None = None,
        secret_sink: SecretSink = _noop_secret,
        sleep: Callable[[float], None] = time.sleep,
        max_connections: int = DEFAULT_POOL_SIZE,
    ) -> None:
        self.config = config
        self._owns_session = session is None
        self.session = session if session is not None else requests.Session()
        self.transport = RequestsTransport(self.session, verify=config.verify, pool_size=max_connections)
        self._secret_sink = secret_sink
        self.core = Core.for_config(config, user_agent=USER_AGENT, secret_sink=secret_sink)
        #: The client-credentials token source (``None`` for Basic or a static bearer token).
        self.auth: TokenSource | None = self.core.tokens
        self.retry_policy = self.core.retry_policy
        self._token_lock = threading.Lock()
        self._sleep = sleep

    def scrub(self, text: str) -> str:
        """
        Return server text with every secret this client knows replaced by ``***`` (for a message or a report).

        :param text: what a server said (an error message of a bulk answer, say).
        """
        return self.core.scrub(text)

    def allow_concurrent_calls(self, count: int) -> None:
        """
        Keep enough connections alive for ``count`` threads calling through this client side by side.

        Call it before the threads start; the client never keeps fewer connections than it was built with.

        :param count: how many calls may be in flight at the same time.
        """
        self.transport.widen(count)

    def close(self) -> None:
        """Close the session's pooled connections, unless the session was injected."""
        if self._owns_session:
            self.session.close()

    def request(
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
        :param path: path relative to the API root, e.g. ``focus-areas`` or ``resource_path("focus-areas", id)``.
        :param params: query parameters; ``None`` values are left out.
        :param json: the JSON body.
        :param idempotent: whether repeating the call is harmless after an ambiguous failure; by default true
            for every method but POST.
        :param expect: ``"object"`` when the body must be a JSON object, ``"created"`` when it must also carry
            an ``id``; ``None`` for any JSON.
        :raises FocusApiError: (a subclass of it) for an error status, after retries where they apply.
        :raises FocusConnectionError: when no answer came, after retries where they apply.
        :raises FocusConfigError: for a path that leaves the API root or a body JSON cannot encode.
        """
        call = Call.of(method, path, params, json, idempotent, url_for=self.config.url_for, expect=expect)
        return self._run(self.core.call(call))

    def paginate(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """
        Iterate over the ``values`` of a paginated collection, fetching each page only when it is needed.

        :param path: the collection, relative to the API root.
        :param params: filters to send with every page.
        :param page_size: the ``limit`` to ask for; the server may return fewer.
        :param max_items: stop after this many items.
        """
        pager = Pager(path, params=params, page_size=page_size, max_items=max_items)
        while (query := pager.next_query()) is not None:
            yield from pager.take(self.request("GET", path, params=query))

    def create_reconciled(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        find_existing: Callable[[], dict[str, Any] | None],
    ) -> Any:
        """
        POST a create that carries a caller-chosen key (an external id) without ever creating it twice.

        A plain POST is not repeated after an ambiguous failure: the object may exist already. Here the client then
        asks ``find_existing``; if the object is there, the create took effect and it is returned.

        If it is not there, what happens depends on the failure. After a dropped connection, a 500 or 502, or a
        garbled answer, the server is done with the request, so the POST is sent again. After a timeout or a 504
        the server may still be working on it: the client waits one timeout for it to settle and looks again, and
        if the object is still not there it raises :class:`FocusUncertainWriteError` rather than risk a second
        object. The POSTs and the look-ups share one retry budget (``max_retries + 1`` attempts).

        :param path: the collection to create in.
        :param body: the object to create.
        :param find_existing: looks the object up by its key; ``None`` when it does not exist.
        :raises FocusUncertainWriteError: when the create may still be in progress on the server.
        """
        call = Call.of(
            "POST",
            path,
            None,
            body,
            False,
            url_for=self.config.url_for,
            expect=EXPECT_CREATED,
            find_existing=find_existing,
        )
        return self._run(self.core.call(call))

    def get_anonymous(self, url: str) -> Any:
        """
        GET an absolute URL without the credential (e.g. a site's tenant info), with the usual retries and bounds.

        :param url: the URL.
        """
        return self._run(self.core.call(Call.anonymous_get(url)))

    # --- the driver: does what the core's steps ask ----------------------------------------------------------

    def _run(self, steps: Steps[T]) -> T:
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
                    reply = self.transport.send(step)
                except TransportFailure as caught:
                    failure = caught
            elif isinstance(step, Wait):
                self._sleep(step.seconds)
            elif isinstance(step, Reveal):
                self._secret_sink(step.secret)
            elif isinstance(step, FetchToken):
                try:
                    with self._token_lock:
                        reply = self._run(step.steps())
                except FocusError as caught:
                    failure = caught
            elif isinstance(step, LookUp):
                token = CURRENT_BUDGET.set(step.budget)
                try:
                    reply = step.find()
                except FocusError as caught:
                    failure = caught
                finally:
                    CURRENT_BUDGET.reset(token)


def discover_cloud_id(site_url: str, *, timeout: float = 30.0, session: requests.Session | None = None) -> str:
    """
    Read a site's cloudId from its unauthenticated ``/_edge/tenant_info`` endpoint.

    It goes through the client's path: bounded by ``timeout`` per attempt, retried twice on what retries cure,
    never redirected, and a session it creates is closed.

    :param site_url: the site's origin, e.g. ``https://acme.atlassian.net``.
    :param timeout: seconds per attempt.
    :param session: the session to use (not closed here).
    :raises FocusError: when the site does not answer with a cloudId.
    """
    origin = site_url.rstrip("/")
    url = origin + model.TENANT_INFO_PATH
    config = FocusClientConfig(
        api_root=origin,
        site_url=origin,
        cloud_id=None,
        auth_type=AuthType.OAUTH2_TOKEN,
        login=None,
        password=None,
        timeout=timeout,
        max_retries=2,
        max_retry_wait=5.0,
    )
    client = FocusClient(config, session=session)
    reason: str | None = None
    cloud_id: Any = None
    try:
        body = client.get_anonymous(url)
        cloud_id = body.get("cloudId")
    except FocusError as err:
        reason = _reason(err)
    finally:
        client.close()
    if reason is None and not (isinstance(cloud_id, str) and cloud_id.strip()):
        reason = "no cloudId in the answer"
    if reason is not None:
        raise FocusError(f"Could not read the cloudId from {url} ({reason}); is {site_url!r} an Atlassian site?")
    return str(cloud_id)


def _reason(err: FocusError) -> str:
    status = getattr(err, "status_code", None)
    if status:
        return f"HTTP {status}"
    return str(err).split(": ", 1)[-1][:200]
