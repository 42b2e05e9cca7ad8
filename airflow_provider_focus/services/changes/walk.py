"""
One walk of the change feed: the decisions, free of I/O.

:class:`FeedWalk` reads ``GET focus-areas?sort=-updatedAt`` (newest first, [MODEL]) page by page and stops at the
first focus area updated before its start minus the overlap, so a walk costs what changed, not the tenant. It
decides what to fetch next, what to hand out (:class:`FocusAreaChange`), when to stop, and whether the server
honoured ``sort`` (else it falls back to a full scan, with a warning). The feed
(:class:`~airflow_provider_focus.services.changes.feed.ChangeFeed`) starts one walk per poll and moves the bytes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pendulum

from airflow_provider_focus.api import model
from airflow_provider_focus.api.pages import Pager
from airflow_provider_focus.services.changes.times import iso, updated_at_of
from airflow_provider_focus.services.changes.watermark import Key, latest

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]


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
    def key(self) -> Key:
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
        seen: set[Key],
        probe: bool,
    ) -> None:
        self._params = {key: value for key, value in params.items() if value is not None}
        self._pager = Pager(
            model.FOCUS_AREAS, params={**self._params, model.PARAM_SORT: model.CHANGE_FEED_SORT}, page_size=page_size
        )
        self.cutoff = since - overlap if since is not None else None
        self.watermark = since
        self.seen = seen
        self.handed_out: set[Key] = set()
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
            self.watermark = latest(self.watermark, updated_at)
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
