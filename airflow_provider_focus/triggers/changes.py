"""
A watcher trigger for event-driven scheduling: one event per change of a focus area.

Use it in an ``AssetWatcher``::

    Asset(
        "focus://acme.atlassian.net/focus-areas",
        watchers=[AssetWatcher(name="focus_status", trigger=FocusAreaChangesTrigger(fields=["status"]))],
    )

Each event is ``{"focus_area_id", "updated_at", "changes", "focus_area"}`` (Airflow stores it in the asset event's
``extra`` as ``{"from_trigger": true, "payload": <event>}``);
``changes`` is ``{field: {"old": ..., "new": ...}}`` for the watched fields that changed, or ``None`` when no
fields are watched (then every change fires and which fields changed is unknown).

What it keeps: a watermark, the ``(id, updatedAt)`` keys inside the overlap window and, with ``fields``, the last
value of those fields per focus area (:class:`~airflow_provider_focus.services.changes.tracker.ChangeTracker`).
It polls through the hook's feed session (:meth:`~airflow_provider_focus.hooks.focus.FocusHook.focus_area_feed`,
:meth:`~airflow_provider_focus.hooks.focus.FocusHook.apoll_focus_area_feed`), which keeps the feed's watermark.
On Airflow 3.3+ that state is saved in the watched asset's state store after each poll, so after a triggerer restart the
trigger catches up from its watermark (up to ``catch_up_seconds`` back) without replaying what it fired before.
Before 3.3, or with no state store, a restarted trigger starts afresh: changes made while it was down are not fired.

Cost: on Airflow 3.3+ triggers with the same connection, server-side filters, poll interval and overlap share one
list sweep per poll interval in a triggerer process (``shared_stream_key``); each applies its own external ids and
fields to the shared sweep. Before 3.3 each trigger sweeps on its own. A 429 is retried by the client honouring
``Retry-After``; if it persists, the sweep waits at least ``Retry-After`` before the next try.

Failures (:class:`~airflow_provider_focus.waiting.FailureStreak`): an error waiting may cure (429, 5xx, a dropped
connection) is logged and tried again, forever. An error no retry cures (rejected credentials, a missing scope) is
logged as an error naming the fix, the trigger backs off, and after ``max_consecutive_failures`` such failures with
no successful read in between it ends with :class:`~airflow_provider_focus.exceptions.FocusWatcherError`, which the
triggerer logs ("Trigger ... exited with error"); Airflow then starts the watcher again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from airflow_provider_focus._lazy import import_off_loop
from airflow_provider_focus.api import model
from airflow_provider_focus.api.conn_fields import DEFAULT_CONN_ID
from airflow_provider_focus.exceptions import FocusError
from airflow_provider_focus.triggers._hook import focus_hook, stored_hook_params
from airflow_provider_focus.waiting import DEFAULT_MAX_CONSECUTIVE_FAILURES, FailureStreak

if TYPE_CHECKING:
    from airflow_provider_focus.hooks.focus import FocusHook
    from airflow_provider_focus.services.changes import ChangeFeed, ChangeTracker, FocusAreaChange

#: Key of the trigger's state in the watched asset's state store (Airflow 3.3+).
STATE_KEY = "focus_area_changes"
#: The change feed and tracker: loaded when the trigger runs (:meth:`FocusAreaChangesTrigger._open`), not when a DAG
#: file builds it.
CHANGE_SERVICE_MODULE = "airflow_provider_focus.services.changes"


class FocusAreaChangesTrigger(BaseEventTrigger):
    """
    Watch focus areas and yield one event per change (for ``AssetWatcher``; never for deferring tasks).

    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``.
    :param parent_id: only the children of this focus area.
    :param name_contains: only focus areas whose name contains this text.
    :param external_ids: only focus areas with one of these external ids.
    :param fields: fire only when one of these fields changes (e.g. ``["status"]``); empty or ``None``: any change.
    :param poll_interval: seconds between two sweeps.
    :param overlap_seconds: how far behind its watermark a sweep looks (clock skew, late visibility).
    :param catch_up_seconds: after a restart, how far back the trigger catches up from its saved watermark.
    :param max_consecutive_failures: end with an error after this many failed reads in a row that no retry cures
        (rejected credentials, a missing scope); errors waiting may cure (429, 5xx) never end the watch.
    :param hook_params: keyword arguments of :class:`~airflow_provider_focus.hooks.focus.FocusHook` besides the
        connection id (plain JSON).
    """

    def __init__(
        self,
        *,
        focus_conn_id: str = DEFAULT_CONN_ID,
        parent_id: str | None = None,
        name_contains: str | None = None,
        external_ids: Sequence[str] | None = None,
        fields: Sequence[str] | None = None,
        poll_interval: float = 60.0,
        overlap_seconds: float = float(model.CHANGE_FEED_OVERLAP_SECONDS),
        catch_up_seconds: float = 24 * 3600.0,
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
        hook_params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if isinstance(external_ids, str) or isinstance(fields, str):
            raise FocusError("external_ids and fields are lists of names, not one string.")
        if float(poll_interval) <= 0 or float(overlap_seconds) < 0 or float(catch_up_seconds) < 0:
            raise FocusError("poll_interval must be positive; overlap_seconds and catch_up_seconds not negative.")
        if int(max_consecutive_failures) < 1:
            raise FocusError("max_consecutive_failures must be at least 1.")
        self.focus_conn_id = focus_conn_id
        self.parent_id = parent_id
        self.name_contains = name_contains
        self.external_ids = sorted(external_ids) if external_ids else None
        self.fields = list(fields) if fields else None
        self.poll_interval = float(poll_interval)
        self.overlap_seconds = float(overlap_seconds)
        self.catch_up_seconds = float(catch_up_seconds)
        self.max_consecutive_failures = int(max_consecutive_failures)
        self.hook_params = stored_hook_params(hook_params)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the classpath and the keyword arguments, all plain JSON."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "focus_conn_id": self.focus_conn_id,
                "parent_id": self.parent_id,
                "name_contains": self.name_contains,
                "external_ids": self.external_ids,
                "fields": self.fields,
                "poll_interval": self.poll_interval,
                "overlap_seconds": self.overlap_seconds,
                "catch_up_seconds": self.catch_up_seconds,
                "max_consecutive_failures": self.max_consecutive_failures,
                "hook_params": self.hook_params,
            },
        )

    # --- one sweep loop, shared (Airflow 3.3+) or not ---------------------------------------------------------

    def shared_stream_key(self) -> Hashable | None:
        """Share one sweep among triggers with the same connection, server-side filters and timing."""
        return (
            "focus-area-changes",
            self.focus_conn_id,
            self.parent_id or "",
            self.name_contains or "",
            _server_external_id(self.external_ids) or "",
            str(self.poll_interval),
            str(self.overlap_seconds),
            self.max_consecutive_failures,
            json.dumps(self.hook_params, sort_keys=True),
        )

    @classmethod
    async def open_shared_stream(cls, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        """Sweep forever; yield the list of changes each sweep saw (shared by every trigger of the group)."""
        trigger = cls(**kwargs)
        hook = await trigger._open()
        try:
            streak = trigger._streak()
            feed = trigger._feed(hook)
            await trigger._start_feed(hook, feed, streak)
            while True:
                await asyncio.sleep(trigger.poll_interval)
                changes = await trigger._sweep(hook, feed, streak)
                if changes:
                    yield changes
        finally:
            await hook.aclose()

    async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
        """Start from the saved state (catching up), then turn each shared sweep into this trigger's events."""
        hook = await self._open()
        try:
            tracker, _, events = await self._resume(hook, self._streak())
            for event in events:
                yield TriggerEvent(event)
            await self._save(tracker)
        finally:
            await hook.aclose()
        async for changes in shared_stream:
            for event in tracker.observe(changes):
                yield TriggerEvent(event)
            await self._save(tracker)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Start from the saved state (catching up), then sweep every ``poll_interval`` seconds, forever."""
        hook = await self._open()
        try:
            streak = self._streak()
            tracker, feed, events = await self._resume(hook, streak)
            for event in events:
                yield TriggerEvent(event)
            await self._save(tracker)
            while True:
                await asyncio.sleep(self.poll_interval)
                changes = await self._sweep(hook, feed, streak)
                if not changes:
                    continue
                for event in tracker.observe(changes):
                    yield TriggerEvent(event)
                await self._save(tracker)
        finally:
            await hook.aclose()

    # --- internals ------------------------------------------------------------------------------------------

    async def _open(self) -> FocusHook:
        """Return a new hook; on first use in a process, the hook and the change feed load in a worker thread."""
        await import_off_loop(CHANGE_SERVICE_MODULE)
        return await focus_hook(self.focus_conn_id, **self.hook_params)

    def _streak(self) -> FailureStreak:
        return FailureStreak(
            self.log,
            what=f"The Focus change watcher of connection {self.focus_conn_id!r}",
            poll_interval=self.poll_interval,
            max_consecutive_failures=self.max_consecutive_failures,
        )

    def _feed(self, hook: FocusHook, since: Any = None) -> ChangeFeed:
        """A feed session of the hook with this trigger's server-side filters (no I/O)."""
        return hook.focus_area_feed(
            since,
            name_contains=self.name_contains,
            parent_id=self.parent_id,
            external_id=_server_external_id(self.external_ids),
            overlap=dt.timedelta(seconds=self.overlap_seconds),
        )

    def _tracker(self) -> ChangeTracker:
        from airflow_provider_focus.services.changes import ChangeTracker  # loaded off the loop by _open

        return ChangeTracker(
            fields=self.fields, external_ids=self.external_ids, overlap=dt.timedelta(seconds=self.overlap_seconds)
        )

    async def _start_feed(self, hook: FocusHook, feed: ChangeFeed, streak: FailureStreak) -> None:
        """Point a fresh feed at the newest ``updatedAt`` on the server (retrying until the API answers)."""
        while True:
            try:
                await hook.astart_focus_area_feed(feed)
                streak.succeeded()
                return
            except FocusError as err:
                await asyncio.sleep(streak.failed(err))

    async def _resume(
        self, hook: FocusHook, streak: FailureStreak
    ) -> tuple[ChangeTracker, ChangeFeed, list[dict[str, Any]]]:
        """
        Return the tracker and the feed to go on with, and the events of the catch-up since the saved watermark.

        The feed goes on polling from where the start left it: it has checked the server's sort order already, so
        a poll sends its pages and nothing else.
        """
        saved = await self._load()
        while True:
            tracker = self._tracker()  # afresh after a failed try: nothing half-seen is kept
            try:
                if saved is not None and tracker.load(saved) and tracker.watermark is not None:
                    horizon = _utcnow() - dt.timedelta(seconds=self.catch_up_seconds)
                    since = max(tracker.watermark, horizon)
                    feed = self._feed(hook, since)
                    changes = [change async for change in hook.apoll_focus_area_feed(feed)]
                    events = tracker.observe(changes)
                    streak.succeeded()
                    self.log.info("Caught up from %s: %d change(s), %d event(s)", since, len(changes), len(events))
                    return tracker, feed, events
                feed = self._feed(hook)
                if self.fields:
                    # Watched fields need their current values first: one full sweep, firing nothing.
                    everything = [change async for change in hook.apoll_focus_area_feed(feed)]
                    count = tracker.baseline(everything)
                    streak.succeeded()
                    self.log.info("Watching %s of %d focus area(s)", ", ".join(self.fields), count)
                else:
                    await self._start_feed(hook, feed, streak)
                    if feed.watermark is not None:
                        tracker.baseline([change async for change in hook.apoll_focus_area_feed(feed)])
                return tracker, feed, []
            except FocusError as err:
                await asyncio.sleep(streak.failed(err))

    async def _sweep(self, hook: FocusHook, feed: ChangeFeed, streak: FailureStreak) -> list[FocusAreaChange]:
        """
        Return what changed since the feed's watermark; on an API failure, log, wait and return nothing.

        :raises FocusWatcherError: after too many failures in a row that no retry cures.
        """
        try:
            changes = [change async for change in hook.apoll_focus_area_feed(feed)]
        except FocusError as err:
            await asyncio.sleep(max(0.0, streak.failed(err) - self.poll_interval))
            return []
        streak.succeeded()
        return changes

    async def _load(self) -> Any:
        store = getattr(self, "asset_state_store", None)
        if store is None:
            return None
        try:
            for accessor in _accessors(store):
                value = await accessor.aget(STATE_KEY)
                if value is not None:
                    return value
        except Exception:
            self.log.warning("Could not read the saved state of the watch; starting afresh", exc_info=True)
        return None

    async def _save(self, tracker: ChangeTracker) -> None:
        store = getattr(self, "asset_state_store", None)
        if store is None:
            return
        state = tracker.dump()
        try:
            for accessor in _accessors(store):
                await accessor.aset(STATE_KEY, state)
        except Exception:
            self.log.warning("Could not save the state of the watch", exc_info=True)


def _server_external_id(external_ids: Sequence[str] | None) -> str | None:
    """One external id is filtered by the server; several are filtered by the trigger."""
    return external_ids[0] if external_ids and len(external_ids) == 1 else None


def _accessors(store: Any) -> list[Any]:
    """Every per-asset accessor of a state store (a trigger shared by several assets writes to each)."""
    by_name = getattr(store, "_by_name", None)
    by_uri = getattr(store, "_by_uri", None)
    if isinstance(by_name, dict) and isinstance(by_uri, dict):
        return [*by_name.values(), *by_uri.values()]
    return [store]


def _utcnow() -> Any:
    import pendulum

    return pendulum.now("UTC")
