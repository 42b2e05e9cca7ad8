"""
The change feed as a session: one :class:`ChangeFeed` keeps its watermark between polls.

Each poll (:meth:`ChangeFeed.changes`, or :meth:`ChangeFeed.achanges` on an event loop) is one
:class:`~airflow_provider_focus.services.changes.walk.FeedWalk` from the feed's watermark; when the walk completes,
the feed moves its watermark to the newest ``updatedAt`` seen and remembers what it handed out inside the overlap
window (:class:`~airflow_provider_focus.services.changes.watermark.Watermark`), so the next poll hands each change
out once. The sync and async drivers only move bytes: every decision is in the walk and the watermark.

:class:`~airflow_provider_focus.hooks.focus.FocusHook` drives a feed with its own clients
(``focus_area_feed``, ``poll_focus_area_feed``, ``apoll_focus_area_feed``); the watcher trigger, the incremental
exports and a ``@task`` all go through those.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import suppress
from typing import Any, Protocol

import pendulum

from airflow_provider_focus.api import model
from airflow_provider_focus.api.pages import Pager
from airflow_provider_focus.exceptions import FocusConfigError, FocusResponseError
from airflow_provider_focus.services.changes.times import to_datetime, updated_at_of
from airflow_provider_focus.services.changes.walk import FeedWalk, FocusAreaChange
from airflow_provider_focus.services.changes.watermark import Key, Watermark
from airflow_provider_focus.services.options import DEFAULT_OVERLAP

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]


class SyncRequester(Protocol):
    """What the feed needs of a sync client (:class:`~airflow_provider_focus.api.client.FocusClient`)."""

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """Send one call and return its decoded body."""


class AsyncRequester(Protocol):
    """What the feed needs of an async client (:class:`~airflow_provider_focus.api.async_client.AsyncFocusClient`)."""

    async def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """Send one call and return its decoded body."""


class ChangeFeed:
    """
    Walk the focus areas changed since a watermark, newest-updated first; remember what was handed out.

    Reuse one feed for successive polls: each starts from the previous poll's watermark (the newest ``updatedAt``
    seen) unless told otherwise, and what a poll handed out inside the overlap window is not handed out again.

    :param since: the watermark to start from: an ISO 8601 time or a ``datetime`` (naive means UTC); ``None``:
        the first poll lists every focus area (or call :meth:`start` to begin at the newest).
    :param name_contains: only focus areas whose name contains this text (server-side).
    :param parent_id: only the children of this focus area (server-side).
    :param external_id: only focus areas with this external id (server-side).
    :param overlap: how far behind the watermark to look (clock skew, late visibility).
    :param page_size: the ``limit`` to ask for.
    :param verify_sort: check once per feed that the server honours ``sort`` (one extra ``limit=1`` call, with
        the first walk that has a watermark; later walks send only their pages).
    :param what: the name of ``since`` in the caller's words, for the error a bad value raises.
    :raises FocusConfigError: for a negative overlap or an unreadable ``since``.
    """

    def __init__(
        self,
        *,
        since: Any = None,
        name_contains: str | None = None,
        parent_id: str | None = None,
        external_id: str | None = None,
        overlap: dt.timedelta = DEFAULT_OVERLAP,
        page_size: int = model.MAX_PAGE_SIZE,
        verify_sort: bool = True,
        what: str = "since",
    ) -> None:
        if overlap < dt.timedelta(0):
            raise FocusConfigError("overlap must not be negative.")
        self.params: dict[str, Any] = {
            model.PARAM_NAME_CONTAINS: name_contains,
            model.PARAM_PARENT_ID: parent_id,
            model.PARAM_EXTERNAL_ID: external_id,
        }
        self.overlap = overlap
        self.page_size = page_size
        self.verify_sort = verify_sort
        self.window = Watermark(overlap, to_datetime(since, what=what))
        self.sort_ignored = False
        self.sort_checked = False
        self.last_walk_pages = 0

    @property
    def watermark(self) -> pendulum.DateTime | None:
        """The newest ``updatedAt`` seen by a completed poll (or the ``since`` the feed started from)."""
        return self.window.value

    @property
    def seen(self) -> set[Key]:
        """The ``(id, updatedAt)`` keys handed out inside the overlap window (not handed out again)."""
        return self.window.keys

    # --- polls ---------------------------------------------------------------------------------------------------

    def changes(self, client: SyncRequester, since: Any = None) -> Iterator[FocusAreaChange]:
        """
        Yield the focus areas changed since ``since`` (default: this feed's watermark; none: every focus area).

        :param client: the sync API client.
        :param since: an ISO 8601 time or a ``datetime``.
        """
        walk = self._start(since)
        while (query := walk.next_query()) is not None:
            yield from walk.take(client.request("GET", model.FOCUS_AREAS, params=query))
            if (probe := walk.probe_query()) is not None:
                walk.check_probe(client.request("GET", model.FOCUS_AREAS, params=probe))
        self._finish(walk)

    async def achanges(self, client: AsyncRequester, since: Any = None) -> AsyncIterator[FocusAreaChange]:
        """
        Yield the focus areas changed since ``since``, from an event loop (the async twin of :meth:`changes`).

        :param client: the async API client.
        :param since: an ISO 8601 time or a ``datetime``.
        """
        walk = self._start(since)
        while (query := walk.next_query()) is not None:
            for change in walk.take(await client.request("GET", model.FOCUS_AREAS, params=query)):
                yield change
            if (probe := walk.probe_query()) is not None:
                walk.check_probe(await client.request("GET", model.FOCUS_AREAS, params=probe))
        self._finish(walk)

    # --- starting at the newest change ---------------------------------------------------------------------------

    def start(self, client: SyncRequester) -> pendulum.DateTime | None:
        """
        Point the feed at the newest ``updatedAt`` on the server (one ``limit=1`` call); return it.

        :param client: the sync API client.
        """
        pager = self._newest()
        return self._started(pager, client.request("GET", model.FOCUS_AREAS, params=pager.next_query()))

    async def astart(self, client: AsyncRequester) -> pendulum.DateTime | None:
        """
        Point the feed at the newest ``updatedAt`` on the server, from an event loop (twin of :meth:`start`).

        :param client: the async API client.
        """
        pager = self._newest()
        return self._started(pager, await client.request("GET", model.FOCUS_AREAS, params=pager.next_query()))

    # --- a full load that yields a watermark ---------------------------------------------------------------------

    def track(self, focus_areas: Iterable[JsonDict]) -> Iterator[JsonDict]:
        """
        Pass focus areas listed some other way (a full load) through, moving the watermark to the newest seen.

        An item without a readable ``updatedAt`` is passed through and cannot move the watermark.

        :param focus_areas: the focus areas.
        """
        for focus_area in focus_areas:
            with suppress(FocusResponseError):
                self.window.advance(updated_at_of(focus_area))
            yield focus_area

    # --- internals -----------------------------------------------------------------------------------------------

    def _newest(self) -> Pager:
        params = {key: value for key, value in self.params.items() if value is not None}
        return Pager(model.FOCUS_AREAS, params={**params, model.PARAM_SORT: model.CHANGE_FEED_SORT}, page_size=1)

    def _started(self, pager: Pager, page: Any) -> pendulum.DateTime | None:
        items = pager.take(page)
        if items:
            self.window.value = updated_at_of(items[0])
        return self.window.value

    def _start(self, since: Any) -> FeedWalk:
        start = to_datetime(since) if since is not None else self.watermark
        return FeedWalk(
            params=self.params,
            since=start,
            overlap=self.overlap,
            page_size=self.page_size,
            seen=self.window.keys,
            probe=self.verify_sort and not self.sort_ignored and not self.sort_checked,
        )

    def _finish(self, walk: FeedWalk) -> None:
        self.last_walk_pages = walk.pages
        self.sort_ignored = self.sort_ignored or walk.sort_ignored
        self.sort_checked = self.sort_checked or walk.probed
        self.window.remember(walk.handed_out)
        self.window.advance(walk.watermark)
        self.window.prune()
        log.debug("Change feed walked %d page(s); watermark %s", walk.pages, self.watermark)
