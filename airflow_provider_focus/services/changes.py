"""
The focus-area change feed, free of Airflow.

:class:`ChangeFeed` walks ``GET focus-areas?sort=-updatedAt`` (newest first, [MODEL]) and stops at the first focus
area updated before its watermark minus an overlap window, so a walk costs what changed, not the tenant. One
:class:`FeedWalk` holds every decision (what to hand out, when to stop, whether the server honoured ``sort``); the
sync and the async walks differ only in how they fetch a page.

:class:`ChangeTracker` turns what a feed saw into change events for watchers: it keeps a watermark, the
``(id, updatedAt)`` keys inside the overlap window, and, when told to watch some fields, the last value of those
fields per focus area; its state is plain JSON so a watcher can persist it.

Guarantees and limits are in ``docs/api-model.md`` ("The change feed and what it guarantees"): ties, clock skew,
several changes between two polls, no deletions, and the full-scan fallback for a server that ignores ``sort``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pendulum

from airflow_provider_focus.api import model
from airflow_provider_focus.api.pages import Pager
from airflow_provider_focus.exceptions import BODY_EXCERPT_CHARS, FocusConfigError, FocusResponseError
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


def to_datetime(value: Any, *, what: str = "since") -> pendulum.DateTime | None:
    """
    Read a point in time given by a caller: ``None``, an ISO 8601 string, or a ``datetime`` (naive means UTC).

    :param value: the value.
    :param what: the argument's name, for the error message.
    :raises FocusConfigError: for anything else.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return pendulum.instance(moment).in_timezone("UTC")
    if isinstance(value, str):
        try:
            parsed = pendulum.parse(value.strip(), tz="UTC")
        except (ValueError, TypeError):
            parsed = None
        if isinstance(parsed, pendulum.DateTime):
            return parsed.in_timezone("UTC")
    raise FocusConfigError(f"{what} must be an ISO 8601 time or a datetime, got {value!r}.")


def updated_at_of(focus_area: Any) -> pendulum.DateTime:
    """
    Return a listed focus area's ``updatedAt``.

    :param focus_area: one item of a list page.
    :raises FocusResponseError: when the item has no readable ``updatedAt`` (the feed cannot order it).
    """
    raw = focus_area.get(model.FIELD_UPDATED_AT) if isinstance(focus_area, dict) else None
    moment = None
    if isinstance(raw, str):
        try:
            parsed = pendulum.parse(raw, tz="UTC")
        except (ValueError, TypeError):
            parsed = None
        moment = parsed.in_timezone("UTC") if isinstance(parsed, pendulum.DateTime) else None
    if moment is None or not isinstance(focus_area.get(model.FIELD_ID), str):
        raise FocusResponseError(
            status_code=200,
            method="GET",
            path=model.FOCUS_AREAS,
            body_excerpt=repr(focus_area)[:BODY_EXCERPT_CHARS],
            hint=f"A focus area in the list has no {model.FIELD_ID!r} or no ISO 8601 {model.FIELD_UPDATED_AT!r}; "
            "the change feed cannot order it.",
        )
    return moment


def iso(moment: pendulum.DateTime) -> str:
    """Write a time as ISO 8601 UTC with microseconds and ``Z``: one fixed width, so the strings sort as times."""
    return moment.in_timezone("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class FocusAreaChange:
    """
    A focus area whose ``updatedAt`` is at or after the feed's watermark minus the overlap.

    :param focus_area_id: its id.
    :param updated_at: its ``updatedAt``.
    :param focus_area: the focus area as the list returned it.
    """

    focus_area_id: str
    updated_at: pendulum.DateTime
    focus_area: JsonDict

    @classmethod
    def of(cls, focus_area: Any) -> FocusAreaChange:
        """
        Wrap a listed focus area.

        :raises FocusResponseError: when it has no id or no readable ``updatedAt``.
        """
        updated_at = updated_at_of(focus_area)
        return cls(str(focus_area[model.FIELD_ID]), updated_at, focus_area)

    @property
    def key(self) -> tuple[str, str]:
        """``(id, updatedAt)``: what identifies one change."""
        return self.focus_area_id, iso(self.updated_at)


class FeedWalk:
    """
    One walk of the feed: what to fetch next, what to hand out, when to stop, whether ``sort`` was honoured.

    :param params: server-side filters (``nameContains``, ``parentId``, ``externalId``).
    :param since: the watermark; ``None`` walks everything.
    :param overlap: how far behind ``since`` to look.
    :param page_size: the ``limit`` to ask for.
    :param seen: keys handed out by earlier walks of the same feed (not handed out again); the keys this walk
        hands out are in :attr:`handed_out`, which the feed adds to ``seen`` when the walk completes (a walk that
        fails half-way hands its changes out again next time, instead of losing them).
    :param probe: ask whether the server honours ``sort`` (see :meth:`probe_query`).
    """

    def __init__(
        self,
        *,
        params: Mapping[str, Any],
        since: pendulum.DateTime | None,
        overlap: dt.timedelta,
        page_size: int,
        seen: set[tuple[str, str]],
        probe: bool,
    ) -> None:
        self._params = {key: value for key, value in params.items() if value is not None}
        self._pager = Pager(
            model.FOCUS_AREAS, params={**self._params, model.PARAM_SORT: model.CHANGE_FEED_SORT}, page_size=page_size
        )
        self.cutoff = since - overlap if since is not None else None
        self.watermark = since
        self.seen = seen
        self.handed_out: set[tuple[str, str]] = set()
        self.probed = False
        self.full_scan = since is None
        self.sort_ignored = False
        self.stopped = False
        self.pages = 0
        self._previous: pendulum.DateTime | None = None
        self._probe = probe and since is not None
        self._first: tuple[str, pendulum.DateTime] | None = None
        self._first_page_distinct = False

    def next_query(self) -> dict[str, Any] | None:
        """Return the query of the next page, or ``None`` when the walk is over."""
        return None if self.stopped else self._pager.next_query()

    def take(self, page: Any) -> list[FocusAreaChange]:
        """
        Read one page; return the changes not handed out before, in page order.

        :param page: the decoded page.
        :raises FocusResponseError: for a malformed page or item.
        """
        items = self._pager.take(page)
        self.pages += 1
        changes: list[FocusAreaChange] = []
        stamps: set[pendulum.DateTime] = set()
        for item in items:
            updated_at = updated_at_of(item)
            stamps.add(updated_at)
            if self._first is None:
                self._first = (item[model.FIELD_ID], updated_at)
            if self._previous is not None and updated_at > self._previous and not self.full_scan:
                self.fall_back(
                    f"focus area {item[model.FIELD_ID]} (updatedAt {iso(updated_at)}) came after one updated at "
                    f"{iso(self._previous)} in a {model.CHANGE_FEED_SORT} list"
                )
            self._previous = updated_at
            if self.watermark is None or updated_at > self.watermark:
                self.watermark = updated_at
            if self.cutoff is not None and updated_at < self.cutoff:
                if not self.full_scan:
                    self.stopped = True  # the rest of this page is still read, to check its order
                continue
            change = FocusAreaChange(str(item[model.FIELD_ID]), updated_at, item)
            if change.key in self.seen or change.key in self.handed_out:
                continue
            self.handed_out.add(change.key)
            changes.append(change)
        if self.pages == 1:
            self._first_page_distinct = len(stamps) > 1
        if self.full_scan:
            self.stopped = False
        return changes

    def probe_query(self) -> dict[str, Any] | None:
        """
        Return the query that checks, once, whether the server honours ``sort`` (or ``None``: nothing to check).

        Asked after the first page, with the opposite order and ``limit=1``.
        """
        if not self._probe or self.full_scan or self._first is None or self.pages != 1:
            return None
        self._probe = False
        self.probed = True
        return {**self._params, model.PARAM_SORT: model.CHANGE_FEED_PROBE_SORT, model.PARAM_LIMIT: 1}

    def check_probe(self, page: Any) -> None:
        """
        Compare the first item of the opposite order with the first of the walk; fall back when ``sort`` is ignored.

        :param page: the decoded answer to :meth:`probe_query`.
        """
        values = page.get(model.PAGE_VALUES) if isinstance(page, dict) else None
        if not values or self._first is None:
            return
        first_id, first_at = self._first
        oldest_at = updated_at_of(values[0])
        if oldest_at > first_at:
            self.fall_back(f"sort={model.CHANGE_FEED_PROBE_SORT} starts with a newer focus area than sort=-updatedAt")
        elif values[0][model.FIELD_ID] == first_id and self._first_page_distinct:
            self.fall_back(f"sort={model.CHANGE_FEED_PROBE_SORT} and {model.CHANGE_FEED_SORT} start with the same item")

    def fall_back(self, reason: str) -> None:
        """
        Switch to a full scan, with a warning: the server does not list newest-updated first.

        :param reason: what proved it.
        """
        if self.full_scan:
            return
        log.warning(
            "The Focus API seems to ignore sort=%s (%s); the change feed falls back to a full scan of the focus "
            "areas, filtering by updatedAt itself (slower, nothing is missed)",
            model.CHANGE_FEED_SORT,
            reason,
        )
        self.full_scan = True
        self.sort_ignored = True
        self.stopped = False


class ChangeFeed:
    """
    Walk the focus areas changed since a watermark, newest-updated first; remember what was handed out.

    Reuse one feed for successive walks: each walk starts from the previous walk's watermark (the newest
    ``updatedAt`` seen) unless told otherwise, and what a walk handed out inside the overlap window is not handed
    out again.

    :param name_contains: only focus areas whose name contains this text (server-side).
    :param parent_id: only the children of this focus area (server-side).
    :param external_id: only focus areas with this external id (server-side).
    :param overlap: how far behind the watermark to look (clock skew, late visibility).
    :param page_size: the ``limit`` to ask for.
    :param verify_sort: check once per feed that the server honours ``sort`` (one extra ``limit=1`` call, with
        the first walk that has a watermark; later walks send only their pages).
    """

    def __init__(
        self,
        *,
        name_contains: str | None = None,
        parent_id: str | None = None,
        external_id: str | None = None,
        overlap: dt.timedelta = DEFAULT_OVERLAP,
        page_size: int = model.MAX_PAGE_SIZE,
        verify_sort: bool = True,
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
        self.watermark: pendulum.DateTime | None = None
        self.sort_ignored = False
        self.sort_checked = False
        self.last_walk_pages = 0
        self._seen: set[tuple[str, str]] = set()

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

    def _start(self, since: Any) -> FeedWalk:
        start = to_datetime(since) if since is not None else self.watermark
        return FeedWalk(
            params=self.params,
            since=start,
            overlap=self.overlap,
            page_size=self.page_size,
            seen=self._seen,
            probe=self.verify_sort and not self.sort_ignored and not self.sort_checked,
        )

    def _finish(self, walk: FeedWalk) -> None:
        self.last_walk_pages = walk.pages
        self.sort_ignored = self.sort_ignored or walk.sort_ignored
        self.sort_checked = self.sort_checked or walk.probed
        self._seen |= walk.handed_out
        if walk.watermark is not None and (self.watermark is None or walk.watermark > self.watermark):
            self.watermark = walk.watermark
        if self.watermark is not None:
            horizon = iso(self.watermark - self.overlap)
            self._seen = {key for key in self._seen if key[1] >= horizon}
        log.debug("Change feed walked %d page(s); watermark %s", walk.pages, self.watermark)


@dataclass
class ChangeTracker:
    """
    Turn focus areas seen by a feed into change events, remembering only what that needs.

    Without ``fields`` every new ``(id, updatedAt)`` is a change (which fields changed is unknown). With ``fields``,
    a change is an event only when one of those fields differs from its last seen value; the first sighting of a
    focus area records its values (see :meth:`baseline`) and fires nothing.

    :param fields: the fields to watch; ``None`` or empty for every change.
    :param external_ids: only focus areas with one of these external ids; ``None`` for all.
    :param overlap: how long keys of handed-out changes are remembered behind the watermark.
    """

    fields: Sequence[str] | None = None
    external_ids: Sequence[str] | None = None
    overlap: dt.timedelta = DEFAULT_OVERLAP
    watermark: pendulum.DateTime | None = None
    recent: set[tuple[str, str]] = field(default_factory=set)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def wants(self, focus_area: Mapping[str, Any]) -> bool:
        """Tell whether a focus area passes the client-side filters (external ids)."""
        return not self.external_ids or focus_area.get(model.FIELD_EXTERNAL_ID) in self.external_ids

    def baseline(self, changes: Iterable[FocusAreaChange]) -> int:
        """
        Record the watched fields of focus areas without firing (the state a watch starts from).

        :param changes: every focus area the watch covers, as a feed walk handed them out.
        :return: how many were recorded.
        """
        count = 0
        for change in changes:
            if not self.wants(change.focus_area):
                continue
            if self.fields:
                self.values[change.focus_area_id] = {name: change.focus_area.get(name) for name in self.fields}
            self.recent.add(change.key)
            self._advance(change.updated_at)
            count += 1
        self._prune()
        return count

    def observe(self, changes: Iterable[FocusAreaChange]) -> list[JsonDict]:
        """
        Return one event per real change among ``changes`` (oldest first), and remember them.

        An event is ``{"focus_area_id", "updated_at", "changes": {field: {"old", "new"}} or None, "focus_area"}``.

        :param changes: what a feed walk handed out.
        """
        events: list[JsonDict] = []
        for change in sorted(changes, key=lambda c: (c.updated_at, c.focus_area_id)):
            if not self.wants(change.focus_area) or change.key in self.recent:
                continue
            if self.watermark is not None and change.updated_at < self.watermark - self.overlap:
                continue
            self.recent.add(change.key)
            self._advance(change.updated_at)
            diff = self._diff(change)
            if self.fields and not diff:
                continue
            events.append(
                {
                    "focus_area_id": change.focus_area_id,
                    "updated_at": iso(change.updated_at),
                    "changes": diff or None,
                    "focus_area": change.focus_area,
                }
            )
        self._prune()
        return events

    def _diff(self, change: FocusAreaChange) -> dict[str, dict[str, Any]]:
        if not self.fields:
            return {}
        new = {name: change.focus_area.get(name) for name in self.fields}
        old = self.values.get(change.focus_area_id)
        self.values[change.focus_area_id] = new
        if old is None:
            return {}
        return {name: {"old": old.get(name), "new": new[name]} for name in self.fields if old.get(name) != new[name]}

    def _advance(self, moment: pendulum.DateTime) -> None:
        if self.watermark is None or moment > self.watermark:
            self.watermark = moment

    def _prune(self) -> None:
        if self.watermark is not None:
            horizon = iso(self.watermark - self.overlap)
            self.recent = {key for key in self.recent if key[1] >= horizon}

    # --- persistence ----------------------------------------------------------------------------------------

    def dump(self) -> JsonDict:
        """Return the state as plain JSON (watermark, recent keys, watched values)."""
        return {
            "watermark": iso(self.watermark) if self.watermark is not None else None,
            "recent": sorted([list(key) for key in self.recent]),
            "values": self.values,
            "fields": list(self.fields or []),
        }

    def load(self, state: Any) -> bool:
        """
        Take back a state from :meth:`dump`; ignore it (return ``False``) when it is unreadable or watched other fields.

        :param state: the stored state.
        """
        if not isinstance(state, dict) or list(state.get("fields") or []) != list(self.fields or []):
            return False
        try:
            watermark = to_datetime(state.get("watermark"), what="watermark")
            recent = {(str(key[0]), str(key[1])) for key in state.get("recent") or []}
            values = {str(k): dict(v) for k, v in (state.get("values") or {}).items()}
        except (FocusConfigError, TypeError, ValueError, IndexError, AttributeError):
            return False
        self.watermark, self.recent, self.values = watermark, recent, values
        return True
