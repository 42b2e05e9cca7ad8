"""The Focus hook: adapts an Airflow connection to the Focus API client."""

from __future__ import annotations

import hashlib
import json
import logging
import weakref
from collections.abc import AsyncIterator, Coroutine, Iterable, Iterator, Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow.providers.common.compat.sdk import BaseHook

from airflow_provider_focus._compat import aextra_dejson, aget_connection, amask_secret, mask_secret
from airflow_provider_focus._lazy import import_off_loop
from airflow_provider_focus.api import expect, fund_shapes, model
from airflow_provider_focus.api.config import CONN_TYPE, FocusClientConfig
from airflow_provider_focus.api.conn_fields import DEFAULT_CONN_ID
from airflow_provider_focus.api.connection import warn_once
from airflow_provider_focus.api.secret import as_secret
from airflow_provider_focus.assets import BENEFIT_ITEMS as BENEFIT_ITEMS_ASSET
from airflow_provider_focus.assets import COST_ITEMS as COST_ITEMS_ASSET
from airflow_provider_focus.assets import FOCUS_AREAS as FOCUS_AREAS_ASSET
from airflow_provider_focus.assets import ORGANIZATIONS as ORGANIZATIONS_ASSET
from airflow_provider_focus.assets import resource_of_path
from airflow_provider_focus.exceptions import (
    FocusConfigError,
    FocusError,
)
from airflow_provider_focus.hooks._shared_config import one_at_a_time, shared_read
from airflow_provider_focus.hooks.connection_form import connection_form_widgets, ui_field_behaviour
from airflow_provider_focus.lineage import areport_hook_lineage, report_hook_lineage
from airflow_provider_focus.services import operations
from airflow_provider_focus.services.options import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_LOG_EVERY,
    DEFAULT_MAX_CONSECUTIVE_RATE_LIMITS,
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_OVERLAP,
    DEFAULT_PARENT_KEY,
    DEFAULT_SCAN_THRESHOLD,
    UpsertOptions,
    upsert_options,
)
from airflow_provider_focus.waiting import FocusAreaWait, WaitOutcome

if TYPE_CHECKING:
    import httpx
    import pendulum
    from airflow.sdk import Connection

    from airflow_provider_focus.api.async_client import AsyncFocusClient
    from airflow_provider_focus.api.client import FocusClient
    from airflow_provider_focus.services.changes import ChangeFeed, FocusAreaChange
    from airflow_provider_focus.services.fund_imports import FundKind
    from airflow_provider_focus.services.report import FundImportReport, UpsertReport

# The HTTP libraries (requests, urllib3, httpx) are imported when a hook first talks to Focus, never when a DAG
# file imports an operator, a sensor or a trigger: the clients, and the services (upsert, fund imports, change
# feed), are imported inside the methods that use them.
_ASYNC_CLIENT_MODULE = "airflow_provider_focus.api.async_client"
#: What the async path imports on its first call: the client, ``resource_path``'s module, and the async backend
#: httpx loads on its first request (without them here, a triggerer's first read imported requests and anyio on
#: the event loop: 50-100 ms of stall).
_ASYNC_PATH_MODULES = (_ASYNC_CLIENT_MODULE, "airflow_provider_focus.api.client")
#: The async backend's modules, imported the same way when installed: which there are depends on the httpx and
#: anyio a release pins (Airflow 3.0.6's constraints have no sniffio).
_ASYNC_BACKEND_MODULES = ("anyio._backends._asyncio", "sniffio")

JsonDict = dict[str, Any]

#: The configurations whose password this process has given Airflow's masker (the masker keeps it for the process):
#: a thousand triggers of one connection register it once, not once each (on Airflow 3.3+ a message to the
#: supervisor each, on 3.0 to 3.2 a thread job each).
_masked_configs: weakref.WeakSet[FocusClientConfig] = weakref.WeakSet()
#: The async backend's modules this process lacks: looked for once, not in a thread job per hook.
_absent_modules: set[str] = set()

log = logging.getLogger(__name__)


class FocusHook(BaseHook):
    """
    Interact with the Atlassian Focus REST API v1: focus areas, organizations and funds.

    Every funds method (cost items, benefit items, the funds look-ups) calls endpoints that Atlassian's reference
    marks **Experimental**: they may change without notice.

    The connection is read at first use, not in ``__init__``. Every call goes through one keep-alive session,
    with retries on 429 and 503 (honouring ``Retry-After``), on other 5xx and network errors for calls that
    are safe to repeat, and never on 4xx.

    Every read and write, sync or async, reports its Focus asset (``focus://<cloudId or site>/<resource>``) to
    Airflow's hook lineage collector, as an input or an output
    (:func:`airflow_provider_focus.lineage.report_hook_lineage`): a ``@task`` that uses the hook gets lineage
    without code of its own.

    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``.
    """

    conn_name_attr = "focus_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = "Atlassian Focus"

    def __init__(self, focus_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.focus_conn_id = focus_conn_id
        self._async_client: AsyncFocusClient | None = None
        self._shared_http: httpx.AsyncClient | None = None

    # --- connection ---------------------------------------------------------------------------------------------

    @cached_property
    def config(self) -> FocusClientConfig:
        """The validated configuration read from the Airflow connection."""
        conn = self.get_connection(self.focus_conn_id)
        conn_type, fields = getattr(conn, "conn_type", None), _connection_fields(conn, conn.extra_dejson)
        del conn  # a traceback's locals would show the Connection, and its repr shows the password
        return self._config_of(conn_type, fields)

    async def aget_config(self) -> FocusClientConfig:
        """
        Read the configuration without blocking the event loop (for triggers).

        The sync path (``get_connection``, ``extra_dejson``, ``mask_secret``) talks to the supervisor with
        blocking calls that have deadlocked triggerers (apache/airflow#70398); this one awaits every step. Hooks of
        the same connection that start together on one event loop (a triggerer's restart) share one look-up
        (``hooks/_shared_config.py``).
        """
        conn_type, fields = await shared_read((type(self), self.focus_conn_id), self._aread_connection)
        return self._config_of(conn_type, fields, shared=True)

    async def _aread_connection(self) -> tuple[str | None, dict[str, Any]]:
        """Look the connection up and read its extras (shared by the hooks that start together: ``shared_read``)."""
        conn = await aget_connection(self, self.focus_conn_id)
        extra = await aextra_dejson(conn)  # Airflow 3.3+; before, extras are read (and masked) synchronously
        conn_type, fields = getattr(conn, "conn_type", None), _connection_fields(conn, extra)
        del conn  # a traceback's locals would show the Connection, and its repr shows the password
        return conn_type, fields

    def _config_of(self, conn_type: str | None, fields: dict[str, Any], *, shared: bool = False) -> FocusClientConfig:
        if conn_type and conn_type != CONN_TYPE:
            warn_once(
                f"Connection {self.focus_conn_id!r} has the type {conn_type!r}, not {CONN_TYPE!r} (Atlassian Focus). "
                "The Focus hook reads its fields anyway, but Airflow's connection form and Test button treat it as "
                f"{conn_type!r}: change its type to {CONN_TYPE!r}."
            )
        try:
            return _parsed_config(fields, shared=shared)
        except FocusConfigError as err:
            raise FocusConfigError(f"Connection {self.focus_conn_id!r}: {err}") from None

    # --- connection form (Airflow 3.0/3.1; Airflow 3.2+ reads the same table from the provider info) -----------

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Return the form's hidden fields, labels and placeholders (read by Airflow 3.0/3.1)."""
        return ui_field_behaviour()

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Return the form's extra fields (read by Airflow 3.0/3.1); ``{}`` without the FAB provider's WTForms."""
        return connection_form_widgets()

    async def aget_client(self) -> AsyncFocusClient:
        """
        Return the async API client (give it back with :meth:`aclose`).

        Every hook of the same connection on this event loop (one triggerer, not one trigger) gets the same client:
        one connection pool and, for client credentials, one access token. :meth:`aclose` gives it back.
        """
        if self._async_client is None:
            config = await self.aget_config()
            if config.password and config not in _masked_configs:
                await amask_secret(config.password)
                _masked_configs.add(config)
            for module in _ASYNC_PATH_MODULES:  # the first import (httpx, requests, anyio) stays off the loop
                await import_off_loop(module)
            for module in _ASYNC_BACKEND_MODULES:
                if module not in _absent_modules:
                    try:
                        await import_off_loop(module)
                    except ModuleNotFoundError:
                        _absent_modules.add(module)
            from airflow_provider_focus.api.async_client import AsyncFocusClient
            from airflow_provider_focus.api.pool import shared_clients

            http = await shared_clients.acquire(config)
            try:
                self._async_client = shared_clients.attached(
                    http, lambda: AsyncFocusClient(config, http=http, secret_sink=amask_secret)
                )
            except BaseException:
                await shared_clients.release(http)
                raise
            self._shared_http = http
            await one_at_a_time()  # hooks that started together send their first requests one per turn of the loop
        return self._async_client

    async def aclose(self) -> None:
        """Give the async client's connections back to the shared pool (the pool closes them after its last user)."""
        client, http = self._async_client, self._shared_http
        self._async_client = self._shared_http = None
        if client is not None:
            await client.aclose()
        if http is not None:
            from airflow_provider_focus.api.pool import shared_clients

            await shared_clients.release(http)

    @cached_property
    def client(self) -> FocusClient:
        """The API client, created once per hook so that its session keeps connections alive."""
        from airflow_provider_focus.api.client import FocusClient

        if self.config.password:
            mask_secret(self.config.password)
        return FocusClient(self.config, secret_sink=mask_secret)

    def get_conn(self) -> FocusClient:
        """Return the API client (Airflow's hook convention)."""
        return self.client

    def focus_area_url(self, focus_area_id: str) -> str | None:
        """
        Return the web page of a focus area, or ``None`` when the connection names no site.

        :param focus_area_id: the focus area's id.
        """
        if not self.config.site_url:
            return None
        return self.config.site_url + model.FOCUS_AREA_WEB_PATH.format(focus_area_id=quote(str(focus_area_id), safe=""))

    @staticmethod
    def discover_cloud_id(site: str, *, timeout: float = 30.0) -> str:
        """
        Read a site's cloudId from ``https://<site>/_edge/tenant_info`` (no credentials needed).

        :param site: the site, e.g. ``acme.atlassian.net``.
        :param timeout: seconds to wait.
        """
        from airflow_provider_focus.api.client import discover_cloud_id
        from airflow_provider_focus.api.urls import parse_site, without_userinfo

        site = without_userinfo(site)
        return discover_cloud_id(parse_site(site), timeout=timeout)

    # --- generic ------------------------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None) -> Any:
        """
        Call any v1 path: the escape hatch for endpoints without a method of their own.

        :param method: HTTP method.
        :param path: path relative to the API root, e.g. ``focus-areas``.
        :param params: query parameters (``None`` values are dropped).
        :param json: JSON body.
        :return: the decoded JSON body, ``None`` for 204.
        """
        self._lineage_of_path("input" if method.upper() == "GET" else "output", path)
        return self.client.request(method, path, params=params, json=json)

    def paginate(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> Iterator[JsonDict]:
        """
        Iterate lazily over a paginated collection, following ``nextPageCursor`` until ``last``.

        A page is fetched only when the caller asks for its first item, so memory stays constant at any size.

        :param path: the collection, relative to the API root.
        :param params: filters sent with every page.
        :param page_size: the ``limit`` to ask for (the server may cap it).
        :param max_items: stop after this many items.
        """
        self._lineage_of_path("input", path)
        return self.client.paginate(path, params=params, page_size=page_size, max_items=max_items)

    # --- focus areas ----------------------------------------------------------------------------------------------

    def list_focus_areas(
        self,
        *,
        name_contains: str | None = None,
        external_id: str | None = None,
        parent_id: str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
        updated_since: Any = None,
    ) -> Iterator[JsonDict]:
        """
        Iterate over focus areas, optionally filtered.

        :param name_contains: only those whose name contains this text.
        :param external_id: only those with this external id.
        :param parent_id: only the children of this focus area.
        :param sort: sort order, e.g. ``name``.
        :param page_size: the page size to ask for.
        :param max_items: stop after this many.
        :param updated_since: only those changed since this time (ISO 8601 or ``datetime``), newest-updated first,
            through the change feed (:meth:`iter_focus_area_changes`: 60 s overlap, so a focus area changed just
            before may come again); ``sort`` must then be empty or ``-updatedAt``.
        """
        if updated_since is not None and updated_since != "":
            _check_feed_sort(sort)
            feed = self.focus_area_feed(
                updated_since,
                name_contains=name_contains,
                parent_id=parent_id,
                external_id=external_id,
                page_size=page_size,
                what="updated_since",  # a bad value is named as the caller wrote it
            )
            return _first(max_items, (change.focus_area for change in self.poll_focus_area_feed(feed)))
        params = {
            model.PARAM_NAME_CONTAINS: name_contains,
            model.PARAM_EXTERNAL_ID: external_id,
            model.PARAM_PARENT_ID: parent_id,
            model.PARAM_SORT: sort,
        }
        return self.paginate(model.FOCUS_AREAS, params=params, page_size=page_size, max_items=max_items)

    async def alist_focus_areas(
        self,
        *,
        name_contains: str | None = None,
        external_id: str | None = None,
        parent_id: str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> AsyncIterator[JsonDict]:
        """
        Iterate over focus areas from an event loop (the async twin of :meth:`list_focus_areas`).

        Pages are fetched lazily, as the caller iterates: ``async for area in hook.alist_focus_areas(...)``.

        :param name_contains: only those whose name contains this text.
        :param external_id: only those with this external id.
        :param parent_id: only the children of this focus area.
        :param sort: sort order, e.g. ``name``.
        :param page_size: the page size to ask for.
        :param max_items: stop after this many.
        """
        params = {
            model.PARAM_NAME_CONTAINS: name_contains,
            model.PARAM_EXTERNAL_ID: external_id,
            model.PARAM_PARENT_ID: parent_id,
            model.PARAM_SORT: sort,
        }
        client = await self.aget_client()
        await self._alineage(client, "input", FOCUS_AREAS_ASSET)
        async for focus_area in client.paginate(
            model.FOCUS_AREAS, params=params, page_size=page_size, max_items=max_items
        ):
            yield focus_area

    def iter_focus_area_changes(
        self,
        since: Any,
        *,
        name_contains: str | None = None,
        parent_id: str | None = None,
        external_id: str | None = None,
        overlap: float | timedelta | None = None,
        page_size: int | None = None,
    ) -> Iterator[FocusAreaChange]:
        """
        Iterate over the focus areas changed since ``since``, newest-updated first; the cost follows what changed.

        Walks ``sort=-updatedAt`` ([MODEL]) and stops at the first focus area updated more than ``overlap`` before
        ``since``; focus areas inside the overlap window may come again (de-duplicate by ``(id, updated_at)``).
        Deletions are not visible. A server that ignores ``sort`` is detected and scanned in full, with a warning.
        Guarantees: ``docs/api-model.md``, "The change feed and what it guarantees".

        :param since: an ISO 8601 time or a ``datetime`` (naive means UTC); ``None`` for every focus area.
        :param name_contains: only those whose name contains this text.
        :param parent_id: only the children of this focus area.
        :param external_id: only those with this external id.
        :param overlap: seconds (or a ``timedelta``) to look behind ``since``; default 60 s.
        :param page_size: the page size to ask for.
        :return: :class:`~airflow_provider_focus.services.changes.walk.FocusAreaChange` items (``focus_area_id``,
            ``updated_at``, ``focus_area``).
        """
        feed = self.focus_area_feed(
            since,
            name_contains=name_contains,
            parent_id=parent_id,
            external_id=external_id,
            overlap=overlap,
            page_size=page_size,
        )
        return self.poll_focus_area_feed(feed)

    async def aiter_focus_area_changes(
        self,
        since: Any,
        *,
        name_contains: str | None = None,
        parent_id: str | None = None,
        external_id: str | None = None,
        overlap: float | timedelta | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[FocusAreaChange]:
        """
        Iterate over the focus areas changed since ``since``, from an event loop (twin of
        :meth:`iter_focus_area_changes`, same arguments and guarantees).

        :param since: an ISO 8601 time or a ``datetime``; ``None`` for every focus area.
        :param name_contains: only those whose name contains this text.
        :param parent_id: only the children of this focus area.
        :param external_id: only those with this external id.
        :param overlap: seconds (or a ``timedelta``) to look behind ``since``; default 60 s.
        :param page_size: the page size to ask for.
        """
        feed = self.focus_area_feed(
            since,
            name_contains=name_contains,
            parent_id=parent_id,
            external_id=external_id,
            overlap=overlap,
            page_size=page_size,
        )
        async for change in self.apoll_focus_area_feed(feed):
            yield change

    # --- the change feed as a session: one watermark kept between polls ------------------------------------------

    def focus_area_feed(
        self,
        since: Any = None,
        *,
        name_contains: str | None = None,
        parent_id: str | None = None,
        external_id: str | None = None,
        overlap: float | timedelta | None = None,
        page_size: int | None = None,
        what: str = "since",
    ) -> ChangeFeed:
        """
        Return a feed session: the change feed's decisions and its watermark, kept between polls (no I/O here).

        Poll it with :meth:`poll_focus_area_feed` (or :meth:`apoll_focus_area_feed` on an event loop): each poll
        lists what changed since the previous poll's watermark (the newest ``updatedAt`` it saw), hands each change
        out once, and forgets what falls behind the overlap window. Its ``watermark`` is what an incremental load
        stores for its next run. :meth:`start_focus_area_feed` begins at the newest change instead of ``since``;
        :meth:`export_focus_area_feed` is a poll or, without a watermark, a full load that yields one.

        :param since: where the first poll starts: an ISO 8601 time or a ``datetime`` (naive means UTC); ``None``
            for every focus area.
        :param name_contains: only those whose name contains this text.
        :param parent_id: only the children of this focus area.
        :param external_id: only those with this external id.
        :param overlap: seconds (or a ``timedelta``) to look behind the watermark; default 60 s.
        :param page_size: the page size to ask for.
        :param what: the name of ``since`` in the caller's words, for the error a bad value raises.
        :return: a :class:`~airflow_provider_focus.services.changes.feed.ChangeFeed`.
        :raises FocusConfigError: for an unreadable ``since`` or a negative overlap.
        """
        from airflow_provider_focus.services.changes import ChangeFeed

        if overlap is None:
            window = DEFAULT_OVERLAP
        elif isinstance(overlap, timedelta):
            window = overlap
        else:
            window = timedelta(seconds=float(overlap))
        return ChangeFeed(
            since=since,
            name_contains=name_contains,
            parent_id=parent_id,
            external_id=external_id,
            overlap=window,
            page_size=page_size or model.MAX_PAGE_SIZE,
            what=what,
        )

    def poll_focus_area_feed(self, feed: ChangeFeed) -> Iterator[FocusAreaChange]:
        """
        Iterate over what changed since the feed's watermark; when the walk completes, the watermark moves on.

        :param feed: the session, from :meth:`focus_area_feed`.
        """
        self._lineage("input", FOCUS_AREAS_ASSET)
        return feed.changes(self.client)

    async def apoll_focus_area_feed(self, feed: ChangeFeed) -> AsyncIterator[FocusAreaChange]:
        """
        Iterate over what changed since the feed's watermark, from an event loop (twin of
        :meth:`poll_focus_area_feed`).

        :param feed: the session, from :meth:`focus_area_feed`.
        """
        client = await self.aget_client()
        await self._alineage(client, "input", FOCUS_AREAS_ASSET)
        async for change in feed.achanges(client):
            yield change

    def start_focus_area_feed(self, feed: ChangeFeed) -> pendulum.DateTime | None:
        """
        Point the feed at the newest ``updatedAt`` on the server (one ``limit=1`` call) and return it.

        :param feed: the session, from :meth:`focus_area_feed`.
        :return: the new watermark (``None`` when no focus area matches the feed's filters).
        """
        self._lineage("input", FOCUS_AREAS_ASSET)
        return feed.start(self.client)

    async def astart_focus_area_feed(self, feed: ChangeFeed) -> pendulum.DateTime | None:
        """
        Point the feed at the newest ``updatedAt`` on the server, from an event loop (twin of
        :meth:`start_focus_area_feed`).

        :param feed: the session, from :meth:`focus_area_feed`.
        """
        client = await self.aget_client()
        await self._alineage(client, "input", FOCUS_AREAS_ASSET)
        return await feed.astart(client)

    def export_focus_area_feed(
        self, feed: ChangeFeed, *, sort: str | None = None, max_items: int | None = None
    ) -> Iterator[JsonDict]:
        """
        Iterate over the focus areas an incremental export writes, moving the feed's watermark as they pass.

        With a watermark: one poll (newest-updated first; the overlap window makes it at-least-once, so load by
        id). Without one: a full load in ``sort`` order, after which the watermark is the newest ``updatedAt``
        seen. Either way ``feed.watermark`` is then what the next run starts from.

        :param feed: the session, from :meth:`focus_area_feed`.
        :param sort: the full load's sort order; with a watermark it must be empty or ``-updatedAt``.
        :param max_items: stop after this many.
        :raises FocusConfigError: for a sort order a poll cannot apply.
        """
        if feed.watermark is None:
            return feed.track(
                self.list_focus_areas(
                    name_contains=feed.params[model.PARAM_NAME_CONTAINS],
                    external_id=feed.params[model.PARAM_EXTERNAL_ID],
                    parent_id=feed.params[model.PARAM_PARENT_ID],
                    sort=sort,
                    page_size=feed.page_size,
                    max_items=max_items,
                )
            )
        _check_feed_sort(sort)
        return feed.track(_first(max_items, (change.focus_area for change in self.poll_focus_area_feed(feed))))

    def get_focus_area(self, focus_area_id: str) -> JsonDict:
        """
        Return one focus area, with its ancestors and status.

        :param focus_area_id: the focus area's id.
        """
        self._lineage("input", FOCUS_AREAS_ASSET)
        return self.client.request("GET", resource_path(model.FOCUS_AREAS, focus_area_id), expect=expect.OBJECT)

    async def aget_focus_area(self, focus_area_id: str) -> JsonDict:
        """
        Return one focus area, from an event loop (the async twin of :meth:`get_focus_area`).

        :param focus_area_id: the focus area's id.
        """
        client = await self.aget_client()
        await self._alineage(client, "input", FOCUS_AREAS_ASSET)
        return await client.request("GET", resource_path(model.FOCUS_AREAS, focus_area_id), expect=expect.OBJECT)

    def find_focus_area(self, external_id: str) -> JsonDict | None:
        """
        Return the focus area with this external id, or ``None``.

        :param external_id: the external id to look for.
        """
        self._lineage("input", FOCUS_AREAS_ASSET)
        return operations.find_focus_area(self.client, external_id)

    async def afind_focus_area(self, external_id: str) -> JsonDict | None:
        """
        Return the focus area with this external id, or ``None``, from an event loop (twin of :meth:`find_focus_area`).

        :param external_id: the external id to look for.
        """
        client = await self.aget_client()
        await self._alineage(client, "input", FOCUS_AREAS_ASSET)
        return await operations.afind(client, operations.ExternalIdLookup.focus_area(external_id))

    # --- waiting for a focus area ----------------------------------------------------------------------------

    def wait_for_focus_area(
        self,
        focus_area_id: str | None = None,
        *,
        external_id: str | None = None,
        statuses: Sequence[str],
        failure_statuses: Sequence[str] = (),
        timeout: float | timedelta,
        poll_interval: float | timedelta = 60.0,
    ) -> JsonDict:
        """
        Read a focus area every ``poll_interval`` seconds until its status is one of ``statuses``; return it.

        The same wait as :class:`~airflow_provider_focus.sensors.focus.FocusAreaStatusSensor` and its trigger
        (one decision object, :class:`~airflow_provider_focus.waiting.FocusAreaWait`), for a ``@task``: statuses
        are compared ignoring case, ``["*"]`` waits until the focus area exists, by external id a focus area that
        does not exist yet is waited for, and errors waiting may cure (429, 5xx, a dropped connection, after the
        client's retries) do not end the wait. It blocks the worker slot while it waits: a long wait belongs in the
        deferrable sensor.

        :param focus_area_id: the focus area's id (this or ``external_id``).
        :param external_id: its external id (this or ``focus_area_id``).
        :param statuses: statuses that end the wait successfully, e.g. ``["COMPLETED"]``.
        :param failure_statuses: statuses that end it with an error, e.g. ``["CANCELLED"]``.
        :param timeout: seconds (or a ``timedelta``) before the wait gives up.
        :param poll_interval: seconds (or a ``timedelta``) between two reads.
        :return: the focus area, as last read.
        :raises FocusAreaStatusError: when its status is one of ``failure_statuses`` (a ``FocusError``).
        :raises FocusWaitTimeoutError: when ``timeout`` passed first; the message says what was last seen.
        :raises FocusError: for an error no waiting cures (401/403, an id that does not exist).
        """
        import time

        wait = self.focus_area_wait(
            focus_area_id,
            external_id=external_id,
            statuses=statuses,
            failure_statuses=failure_statuses,
            timeout=timeout,
            poll_interval=poll_interval,
        )
        while True:
            try:
                if wait.focus_area_id is not None:
                    focus_area: JsonDict | None = self.get_focus_area(wait.focus_area_id)
                else:
                    focus_area = self.find_focus_area(str(wait.external_id))
            except FocusError as err:
                end = wait.failed(err)
            else:
                end = wait.observed(focus_area)
            if end is None and (pause := wait.pause()) is not None:
                time.sleep(pause)
                continue
            end = end or wait.timed_out()
            self.log.info("%s", end.message)
            return end.value()

    async def await_for_focus_area(
        self,
        focus_area_id: str | None = None,
        *,
        external_id: str | None = None,
        statuses: Sequence[str],
        failure_statuses: Sequence[str] = (),
        timeout: float | timedelta,
        poll_interval: float | timedelta = 60.0,
    ) -> JsonDict:
        """
        Wait for a focus area's status from an event loop (the async twin of :meth:`wait_for_focus_area`).

        The parameters, the return value and the errors are those of :meth:`wait_for_focus_area`.
        """
        wait = self.focus_area_wait(
            focus_area_id,
            external_id=external_id,
            statuses=statuses,
            failure_statuses=failure_statuses,
            timeout=timeout,
            poll_interval=poll_interval,
        )
        end = await self.afollow_focus_area_wait(wait)
        self.log.info("%s", end.message)
        return end.value()

    def focus_area_wait(
        self,
        focus_area_id: str | None = None,
        *,
        external_id: str | None = None,
        statuses: Sequence[str],
        failure_statuses: Sequence[str] = (),
        timeout: float | timedelta | None,
        poll_interval: float | timedelta,
        log: Any = None,
    ) -> FocusAreaWait:
        """
        Return the decision object of a wait (see :meth:`wait_for_focus_area`) that ends ``timeout`` from now.

        :param timeout: seconds or a ``timedelta``; ``None`` for a wait whose caller keeps the time.
        :param log: where the wait logs what it sees (default: this hook's log).
        """
        import time

        seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
        interval = poll_interval.total_seconds() if isinstance(poll_interval, timedelta) else poll_interval
        return FocusAreaWait(
            log if log is not None else self.log,
            focus_area_id=focus_area_id,
            external_id=external_id,
            statuses=statuses,
            failure_statuses=failure_statuses,
            poll_interval=float(interval),
            end_time=None if seconds is None else time.time() + float(seconds),
        )

    async def afollow_focus_area_wait(self, wait: FocusAreaWait) -> WaitOutcome:
        """
        Read the focus area of ``wait`` until it is over, from an event loop; return how it ended (never raises).

        A read in flight at the deadline is cut short after a grace period. Any error of a read (a missing
        connection included) is an outcome, not an exception, so a trigger always ends with an event.

        :param wait: the wait, from :meth:`focus_area_wait`.
        """
        import asyncio

        from airflow_provider_focus.api.deadline import within

        while True:
            try:
                read: Coroutine[Any, Any, JsonDict | None]
                if wait.focus_area_id is not None:
                    read = self.aget_focus_area(wait.focus_area_id)
                else:
                    read = self.afind_focus_area(str(wait.external_id))
                limit = wait.read_timeout()
                what = f"The read of focus area {wait.focus_area}, cut short at the wait's deadline plus a grace,"
                focus_area = await (read if limit is None else within(read, limit, what=what))
            except Exception as err:  # an outcome, never a crashed trigger
                end = wait.failed(err)
            else:
                end = wait.observed(focus_area)
            if end is not None:
                return end
            pause = wait.pause()
            if pause is None:
                return wait.timed_out()
            await asyncio.sleep(pause)

    def create_focus_area(self, *, name: str, focus_area_type_id: str, **fields: Any) -> JsonDict:
        """
        Create a focus area and return it.

        When ``externalId`` is among the fields, the create is safe to retry: after an ambiguous failure (a
        dropped connection, a timeout, a 5xx) the hook looks the focus area up by its external id and returns it
        if the create had taken effect, instead of creating a second one.

        :param name: its name.
        :param focus_area_type_id: the id of its focus area type.
        :param fields: further fields, e.g. ``externalId``, ``parentId``, ``ownerAccountId``, ``description``.
        """
        self._lineage("output", FOCUS_AREAS_ASSET)
        return operations.create_focus_area(self.client, name=name, focus_area_type_id=focus_area_type_id, **fields)

    def update_focus_area(
        self, focus_area_id: str, fields: Mapping[str, Any], *, update_mask: Sequence[str] | None = None
    ) -> JsonDict:
        """
        Change fields of a focus area and return it as the server has it now.

        :param focus_area_id: the focus area's id.
        :param fields: the new values.
        :param update_mask: the fields to change; listed but absent or ``None`` fields are cleared. Defaults to
            the keys of ``fields``.

        The reference lists name, owner, external id and description as what an update changes; other fields (a
        parent, a target date, a status) are sent as given, with a warning: the API has the last word.
        """
        self._warn_unpatchable("focus area", fields, update_mask, model.UPDATABLE_FOCUS_AREA_FIELDS)
        self._lineage("output", FOCUS_AREAS_ASSET)
        return operations.update_focus_area(self.client, focus_area_id, fields, update_mask=update_mask)

    def upsert_focus_areas(
        self,
        records: Iterable[Mapping[str, Any]],
        options: UpsertOptions | None = None,
        *,
        key: str = model.FIELD_EXTERNAL_ID,
        parent_key: str = DEFAULT_PARENT_KEY,
        dry_run: bool = False,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        scan_threshold: int = DEFAULT_SCAN_THRESHOLD,
        max_consecutive_rate_limits: int = DEFAULT_MAX_CONSECUTIVE_RATE_LIMITS,
        log_every: int = DEFAULT_LOG_EVERY,
        extra_updatable_fields: Iterable[str] = model.EXTRA_UPDATABLE_FOCUS_AREA_FIELDS,
        verify_creates: bool = True,
        repair_duplicates: bool = False,
    ) -> UpsertReport:
        """
        Create or update focus areas matched by external id, parents first; fields that already match are left alone.

        A second run on the same records writes nothing. Records that cannot be applied are in ``report.failed``
        (key, index, error) and do not stop the others; ``report.as_dict()`` is what
        :class:`~airflow_provider_focus.operators.upsert.FocusUpsertFocusAreasOperator` returns. The full contract is
        :func:`airflow_provider_focus.services.upsert.upsert_focus_areas`.

        :param records: dicts with the API fields of a focus area, its external id under ``key`` and optionally its
            parent's external id under ``parent_key`` (any iterable: read one at a time).
        :param options: instead of the keyword arguments below, the options as one
            :class:`~airflow_provider_focus.services.options.UpsertOptions` value (then leave those at their
            defaults).
        :param key: the record field holding the external id.
        :param parent_key: the record field holding the parent's external id.
        :param dry_run: report what would change without writing.
        :param max_in_flight: writes in flight at the same time (parents always before their children).
        :param scan_threshold: from this many records on, index existing focus areas with one paginated scan.
        :param max_consecutive_rate_limits: stop after this many records in a row lost to rate limiting.
        :param log_every: log progress every this many records.
        :param extra_updatable_fields: [MODEL] fields your site accepts in an update beyond the documented name,
            owner, external id and description (say ``{"parentId"}``). A record that differs in a field the API
            cannot write makes no call for it and is listed under ``report.not_updatable``.
        :param verify_creates: verify each create by its external id, so that two writers at once converge (one
            GET per create); turn off only when a single writer is guaranteed.
        :param repair_duplicates: resolve external ids already held by several focus areas (the oldest keeps the
            key) instead of failing those records.
        """
        from airflow_provider_focus.services.upsert import upsert_focus_areas

        chosen = upsert_options(
            options,
            key=key,
            parent_key=parent_key,
            dry_run=dry_run,
            max_in_flight=max_in_flight,
            scan_threshold=scan_threshold,
            max_consecutive_rate_limits=max_consecutive_rate_limits,
            log_every=log_every,
            extra_updatable_fields=extra_updatable_fields,
            verify_creates=verify_creates,
            repair_duplicates=repair_duplicates,
        )
        self._lineage("input" if chosen.dry_run else "output", FOCUS_AREAS_ASSET)
        return upsert_focus_areas(self.client, records, chosen)

    # --- organizations ----------------------------------------------------------------------------------------

    def list_organizations(
        self,
        *,
        name_contains: str | None = None,
        parent_id: str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> Iterator[JsonDict]:
        """
        Iterate over organizations, optionally filtered.

        :param name_contains: only those whose name contains this text.
        :param parent_id: only the children of this organization.
        :param sort: sort order, e.g. ``name``.
        :param page_size: the page size to ask for.
        :param max_items: stop after this many.
        """
        params = {
            model.PARAM_NAME_CONTAINS: name_contains,
            model.PARAM_PARENT_ID: parent_id,
            model.PARAM_SORT: sort,
        }
        return self.paginate(model.ORGANIZATIONS, params=params, page_size=page_size, max_items=max_items)

    def create_organization(self, *, name: str, organization_type_id: str, **fields: Any) -> JsonDict:
        """
        Create an organization and return it; with an ``externalId`` it is as safe to retry as a focus-area create.

        With an ``externalId``, after an ambiguous failure (a dropped connection, a timeout, a 5xx) the organization
        is looked up before anything is sent again and returned if the create had taken effect, so one call never
        creates two. The API cannot filter organizations by external id, so the look-up lists those whose name
        contains ``name`` and matches the external id exactly: it misses the organization only if someone renames
        it in between. Without an ``externalId``, a create that may have taken effect is not sent again.

        :param name: its name.
        :param organization_type_id: the id of its organization type.
        :param fields: further fields, e.g. ``externalId``, ``parentOrganizationId`` ([DOC] the parent;
            ``parentId`` is deprecated and sent as ``parentOrganizationId`` with a warning).
        """
        self._lineage("output", ORGANIZATIONS_ASSET)
        return operations.create_organization(
            self.client, name=name, organization_type_id=organization_type_id, **fields
        )

    def find_organization(self, external_id: str, *, name: str) -> JsonDict | None:
        """
        Return the organization with this external id whose name contains ``name``, or ``None``.

        The API filters organizations by name, not by external id: this lists those whose name contains ``name``.

        :param external_id: the external id to look for.
        :param name: the organization's name, or a part of it.
        """
        self._lineage("input", ORGANIZATIONS_ASSET)
        return operations.find_organization(self.client, external_id, name=name)

    # --- funds ------------------------------------------------------------------------------------------------------

    def import_cost_items(
        self, items: Iterable[Mapping[str, Any]], *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> FundImportReport:
        """
        Upsert cost items in bulk calls of ``chunk_size``; each is matched by ``costItemId`` or ``costItemExternalId``.

        **Experimental** in Atlassian's reference (may change without notice).
        Each item is sent with the reference's
        request names: an ``expenditureType`` given as a string is sent as the documented object ``{"key": ...}``.
        Items the server rejects are reported with their external id, index and message; the others are applied.
        ``report.as_dict()`` is what :class:`~airflow_provider_focus.operators.funds.FocusImportCostItemsOperator`
        returns. For the server's raw answer to one bulk call, use :meth:`bulk_import_cost_items`.

        :param items: the cost items (any iterable: read one at a time).
        :param chunk_size: items per bulk call.
        """
        return self._import_fund_items("cost", items, chunk_size)

    def bulk_import_cost_items(self, items: Iterable[Mapping[str, Any]]) -> JsonDict:
        """
        Upsert cost items in one bulk call and return the server's answer with per-item ``results`` and ``errors``.

        **Experimental** in Atlassian's reference (may change without notice).
        Items are mapped to the
        documented request shape as in :meth:`import_cost_items`; the answer's shape is not published ([MODEL]).
        The call is retried after an ambiguous failure only when every item carries ``costItemId`` or
        ``costItemExternalId``, since the server then updates instead of creating twice.

        :param items: the cost items.
        """
        return self._bulk_import_fund_items("cost", items)

    def get_cost_item(self, cost_item_id: str) -> JsonDict:
        """
        Return one cost item, read by the answer's documented names.

        **Experimental** in Atlassian's reference (may change without notice).
        The answer names things differently
        from the bulk request: ``externalCostItemId``, ``costSubtypeId``, ``investmentCategoryId`` (not
        ``costItemExternalId``, ``costSubtypeKey``, ``investmentCategoryKey``). Every documented name is in the
        returned dict; a site that answers with the request's names instead is read by those.

        :param cost_item_id: its id.
        """
        return self._get_fund_item("cost", cost_item_id)

    def update_cost_item(
        self, cost_item_id: str, fields: Mapping[str, Any], *, update_mask: Sequence[str] | None = None
    ) -> JsonDict:
        """
        Change fields of a cost item.

        **Experimental** in Atlassian's reference (may change without notice).
        The reference supports one field:
        ``externalCostItemId``. Other fields are sent as given (the API has the last word), with a warning.

        :param cost_item_id: its id.
        :param fields: the new values.
        :param update_mask: the fields to change (defaults to the keys of ``fields``).
        """
        return self._update_fund_item("cost", cost_item_id, fields, update_mask)

    def delete_cost_item(self, cost_item_id: str) -> None:
        """
        Delete a cost item (irreversible). **Experimental** in Atlassian's reference.

        :param cost_item_id: its id.
        """
        self._delete_fund_item("cost", cost_item_id)

    def import_benefit_items(
        self, items: Iterable[Mapping[str, Any]], *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> FundImportReport:
        """
        Upsert benefit items in bulk calls; each is matched by ``benefitItemId`` or ``benefitItemExternalId``.

        **Experimental** in Atlassian's reference (may change without notice).
        The type is ``benefitTypeKey``;
        ``benefitType`` (the provider's earlier guess) is deprecated and sent as ``benefitTypeKey`` with a warning.
        Same behaviour and report as :meth:`import_cost_items`; for the raw answer of one bulk call, use
        :meth:`bulk_import_benefit_items`.

        :param items: the benefit items (any iterable: read one at a time).
        :param chunk_size: items per bulk call.
        """
        return self._import_fund_items("benefit", items, chunk_size)

    def bulk_import_benefit_items(self, items: Iterable[Mapping[str, Any]]) -> JsonDict:
        """
        Upsert benefit items in one bulk call and return the server's answer (per-item ``results`` and ``errors``).

        **Experimental** in Atlassian's reference; items are mapped as in :meth:`import_benefit_items`.

        :param items: the benefit items.
        """
        return self._bulk_import_fund_items("benefit", items)

    def get_benefit_item(self, benefit_item_id: str) -> JsonDict:
        """
        Return one benefit item, read by the answer's documented names (``externalBenefitItemId``, ...).

        **Experimental** in Atlassian's reference (may change without notice).
        A site that answers with the request's
        names instead (``benefitItemExternalId``) is read by those.

        :param benefit_item_id: its id.
        """
        return self._get_fund_item("benefit", benefit_item_id)

    def update_benefit_item(
        self, benefit_item_id: str, fields: Mapping[str, Any], *, update_mask: Sequence[str] | None = None
    ) -> JsonDict:
        """
        Change fields of a benefit item.

        **Experimental** in Atlassian's reference (may change without notice).
        The reference supports one field:
        ``externalId``. Other fields are sent as given (the API has the last word), with a warning.

        :param benefit_item_id: its id.
        :param fields: the new values.
        :param update_mask: the fields to change (defaults to the keys of ``fields``).
        """
        return self._update_fund_item("benefit", benefit_item_id, fields, update_mask)

    def delete_benefit_item(self, benefit_item_id: str) -> None:
        """
        Delete a benefit item (irreversible). **Experimental** in Atlassian's reference.

        :param benefit_item_id: its id.
        """
        self._delete_fund_item("benefit", benefit_item_id)

    def list_cost_types(self) -> list[JsonDict]:
        """Return every cost type (**Experimental** in Atlassian's reference; entry fields not published)."""
        return list(self.paginate(model.COST_TYPES))

    def list_cost_subtypes(self) -> list[JsonDict]:
        """Return every cost subtype (**Experimental** in Atlassian's reference; entry fields not published)."""
        return list(self.paginate(model.COST_SUBTYPES))

    def list_benefit_types(self) -> list[JsonDict]:
        """Return every benefit type (**Experimental** in Atlassian's reference; entry fields not published)."""
        return list(self.paginate(model.BENEFIT_TYPES))

    def list_investment_categories(self) -> list[JsonDict]:
        """
        Return every investment category, each ``{"investmentCategoryId", "key"}`` as the reference shows it.

        **Experimental** in Atlassian's reference, whose sample answer is one object rather than the page the other
        look-ups answer with: a page (followed to its end), a bare list and one object are each accepted, and the
        shape seen is logged.
        """
        categories, shape = fund_shapes.read_investment_categories(
            model.INVESTMENT_CATEGORIES,
            lambda query: self.client.request("GET", model.INVESTMENT_CATEGORIES, params=query),
        )
        log.info("funds/investment-category answered with a %s of %d categories", shape, len(categories))
        return categories

    # --- connection test ------------------------------------------------------------------------------------

    def test_connection(self) -> tuple[bool, str]:
        """
        Make one cheap authenticated call and say what to fix if it fails; never raises.

        It retries at most once, so that a wrong host or a refused connection is reported in seconds. Its messages
        never name the connection id: Airflow's Test button tests a copy under a random id. A hook that has read
        its connection tests that configuration; otherwise the connection is read here, and its warnings (an unknown
        extra, credentials sent outside Atlassian) end the message, passed or failed.
        """
        from airflow_provider_focus.hooks.connection_check import check_connection

        return check_connection(self)

    # --- internals --------------------------------------------------------------------------------------------

    # The cost- and benefit-item methods: one implementation behind both public names.

    def _import_fund_items(self, which: str, items: Iterable[Mapping[str, Any]], chunk_size: int) -> FundImportReport:
        from airflow_provider_focus.services.fund_imports import import_fund_items

        kind, asset = _fund_kind(which)
        self._lineage("output", asset)
        return import_fund_items(self.client, kind, items, chunk_size=chunk_size)

    def _bulk_import_fund_items(self, which: str, items: Iterable[Mapping[str, Any]]) -> JsonDict:
        kind, asset = _fund_kind(which)
        keys = (kind.id_field, kind.external_id_field)
        self._lineage("output", asset)
        return operations.bulk_import(self.client, kind.bulk_path, _documented(kind, items), keys)

    def _get_fund_item(self, which: str, item_id: str) -> JsonDict:
        kind, asset = _fund_kind(which)
        self._lineage("input", asset)
        return kind.read_answer(
            self.client.request("GET", resource_path(kind.item_path, item_id), expect=expect.OBJECT)
        )

    def _update_fund_item(
        self, which: str, item_id: str, fields: Mapping[str, Any], update_mask: Sequence[str] | None
    ) -> JsonDict:
        kind, _asset = _fund_kind(which)
        self._warn_unpatchable(kind.singular, fields, update_mask, kind.patchable_fields)
        return self._patch(resource_path(kind.item_path, item_id), fields, update_mask)

    def _delete_fund_item(self, which: str, item_id: str) -> None:
        kind, _asset = _fund_kind(which)
        self.request("DELETE", resource_path(kind.item_path, item_id))

    def _patch(self, path: str, fields: Mapping[str, Any], update_mask: Sequence[str] | None) -> JsonDict:
        self._lineage_of_path("output", path)
        return operations.patch(self.client, path, fields, update_mask)

    def _lineage(self, direction: str, resource: str) -> None:
        """Report a read (``"input"``) or write (``"output"``) of a Focus resource as hook lineage."""
        report_hook_lineage(self, direction, resource)

    async def _alineage(self, client: AsyncFocusClient, direction: str, resource: str) -> None:
        """The async twins' report: the same helper, off the event loop, named by the async client's config."""
        await areport_hook_lineage(self, direction, resource, config=client.config)

    def _lineage_of_path(self, direction: str, path: str) -> None:
        resource = resource_of_path(path)
        if resource is not None:
            report_hook_lineage(self, direction, resource)

    def _warn_unpatchable(
        self, what: str, fields: Mapping[str, Any], update_mask: Sequence[str] | None, supported: frozenset[str]
    ) -> None:
        unsupported = sorted(set(update_mask if update_mask is not None else fields) - supported)
        if unsupported:
            log.warning(
                "Updating a %s: Atlassian's reference supports only %s in an update; %s sent anyway (the API has "
                "the last word)",
                what,
                ", ".join(sorted(supported)),
                ", ".join(unsupported),
            )


def _fund_kind(which: str) -> tuple[FundKind, Any]:
    """Return the fund kind (``"cost"`` or ``"benefit"``) and its asset; the services module is imported late."""
    from airflow_provider_focus.services.fund_imports import BENEFIT_ITEMS, COST_ITEMS

    if which == "cost":
        return COST_ITEMS, COST_ITEMS_ASSET
    return BENEFIT_ITEMS, BENEFIT_ITEMS_ASSET


def _documented(kind: FundKind, items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Map bulk items to the documented request shape, logging what was mapped once per call."""
    mapped: list[dict[str, Any]] = []
    notes: set[str] = set()
    for item in items:
        request, item_notes = kind.to_request(item)
        notes.update(item_notes)
        mapped.append(request)
    for note in sorted(notes):
        log.warning("%s: %s", kind.label, note)
    return mapped


def _connection_fields(conn: Connection, extra: Mapping[str, Any]) -> dict[str, Any]:
    """
    Return the fields of an Airflow connection that the Focus configuration reads, the port included.

    The extras go as the JSON text Airflow stores when there is one, so that text that is not a JSON object is
    refused with a message instead of read as "no extras" (Airflow's ``extra_dejson`` returns ``{}`` for it). The
    password goes as a :class:`~airflow_provider_focus.api.secret.Secret`, which no traceback shows.
    """
    from airflow_provider_focus.api.urls import without_userinfo

    raw = conn.extra
    return {
        "host": without_userinfo(conn.host),  # a credential written into the host is refused, and shown nowhere
        "port": conn.port,
        "login": conn.login,
        "password": as_secret(conn.password),
        "extra": raw if isinstance(raw, str) and raw.strip() else extra,
    }


def resource_path(*segments: str | int) -> str:
    """
    Join path segments, URL-encoding each (:func:`airflow_provider_focus.api.client.resource_path`, imported late).

    :param segments: the resource name first, then ids.
    """
    from airflow_provider_focus.api import client

    return client.resource_path(*segments)


def _first(count: int | None, items: Iterator[JsonDict]) -> Iterator[JsonDict]:
    for number, item in enumerate(items):
        if count is not None and number >= count:
            return
        yield item


#: Parsed connections by a digest of their fields: 1,000 triggers of one connection share one parse.
_parsed: dict[str, FocusClientConfig] = {}
#: The configurations of shared connection reads, by the identity of the fields one read returned (the fields are
#: kept with it, so that the identity stays theirs): the hooks that wake together after one read skip the digest.
_parsed_shared: dict[int, tuple[dict[str, Any], FocusClientConfig]] = {}


def _parsed_config(fields: dict[str, Any], *, shared: bool = False) -> FocusClientConfig:
    """
    Return the configuration of a connection's fields, parsed once per process for the same fields.

    :param fields: what :func:`_connection_fields` returns.
    :param shared: whether ``fields`` is the result of a shared connection read (``hooks/_shared_config.py``), which
        no one changes: its configuration is then also found by the dict's identity, without a digest (a thousand
        hooks that woke together after one read would otherwise each hash the same fields on the loop).
    :raises FocusConfigError: as :meth:`FocusClientConfig.from_connection_fields` does (an error is not kept).
    """
    if shared:
        known = _parsed_shared.get(id(fields))
        if known is not None and known[0] is fields:
            return known[1]
    key = _fields_digest(fields)
    config = _parsed.get(key)
    if config is None:
        config = FocusClientConfig.from_connection_fields(**fields)
        if len(_parsed) >= 64:
            _parsed.clear()
        _parsed[key] = config
    if shared:
        if len(_parsed_shared) >= 64:
            _parsed_shared.clear()
        _parsed_shared[id(fields)] = (fields, config)
    return config


def _fields_digest(fields: dict[str, Any]) -> str:
    """
    Return a digest of a connection's fields, the password's value included (a :class:`Secret` prints ``***``:
    keyed by its text, two passwords would share one configuration), and no secret in the key itself.
    """
    extra = fields["extra"]
    plain = {**fields, "extra": extra if isinstance(extra, str) else dict(extra or {})}
    text = json.dumps(plain, sort_keys=True, default=lambda value: getattr(value, "reveal", lambda: str(value))())
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _check_feed_sort(sort: str | None) -> None:
    """The change feed lists newest-updated first: refuse another sort order rather than ignore it."""
    if sort not in (None, "", model.CHANGE_FEED_SORT):
        raise FocusConfigError(f"updated_since lists newest-updated first; sort={sort!r} cannot apply.")
