"""
The focus-area change feed, free of Airflow: one small module per idea.

- :mod:`.times`: reading a caller's ``since`` and a listed item's ``updatedAt``; writing ISO 8601.
- :mod:`.watermark`: the watermark and the keys inside the overlap window behind it (written once, for the feed
  and for the tracker).
- :mod:`.walk`: one walk of ``GET focus-areas?sort=-updatedAt``, every decision and no I/O
  (:class:`~.walk.FeedWalk`, :class:`~.walk.FocusAreaChange`).
- :mod:`.feed`: the feed session that keeps its watermark between polls, with a sync and an async driver
  (:class:`~.feed.ChangeFeed`); :class:`~airflow_provider_focus.hooks.focus.FocusHook` drives it
  (``focus_area_feed``, ``poll_focus_area_feed``, ``apoll_focus_area_feed``).
- :mod:`.tracker`: what a watcher remembers to turn changes into events (:class:`~.tracker.ChangeTracker`).

Guarantees and limits are in ``docs/api-model.md`` ("The change feed and what it guarantees"): ties, clock skew,
several changes between two polls, no deletions, and the full-scan fallback for a server that ignores ``sort``.
"""

from __future__ import annotations

from airflow_provider_focus.services.changes.feed import AsyncRequester, ChangeFeed, SyncRequester
from airflow_provider_focus.services.changes.times import iso, to_datetime, updated_at_of
from airflow_provider_focus.services.changes.tracker import ChangeTracker
from airflow_provider_focus.services.changes.walk import FeedWalk, FocusAreaChange
from airflow_provider_focus.services.changes.watermark import Watermark

__all__ = [
    "AsyncRequester",
    "ChangeFeed",
    "ChangeTracker",
    "FeedWalk",
    "FocusAreaChange",
    "SyncRequester",
    "Watermark",
    "iso",
    "to_datetime",
    "updated_at_of",
]
