"""
The hook's feed session against the emulator: one watermark kept between polls, sync and async alike.

The watcher trigger, ``FocusListFocusAreasOperator(updated_since=...)`` and ``FocusToSqlOperator`` all poll through
it (``FocusHook.focus_area_feed`` and its drivers), so the watermark and the pruning of the overlap window are
written once, in ``services/changes/watermark.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import pendulum
import pytest

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.hooks.focus import FocusHook
from airflow_provider_focus.services.changes import ChangeFeed, ChangeTracker, FocusAreaChange, Watermark, iso
from airflow_provider_focus.testing import FocusEmulator

pytestmark = pytest.mark.integration

T1 = "2030-01-01T00:10:00Z"
T2 = "2030-01-01T00:20:00Z"
T3 = "2030-01-01T00:30:00Z"

#: A poll: the sync driver, or the async one run to completion in a fresh event loop.
Poll = Callable[[FocusHook, ChangeFeed], list[FocusAreaChange]]


def poll_sync(hook: FocusHook, feed: ChangeFeed) -> list[FocusAreaChange]:
    return list(hook.poll_focus_area_feed(feed))


def poll_async(hook: FocusHook, feed: ChangeFeed) -> list[FocusAreaChange]:
    async def collect() -> list[FocusAreaChange]:
        try:
            return [change async for change in hook.apoll_focus_area_feed(feed)]
        finally:
            await hook.aclose()

    return asyncio.run(collect())


@pytest.fixture(params=[poll_sync, poll_async], ids=["sync", "async"])
def poll(request: pytest.FixtureRequest) -> Poll:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def hook(focus_emulator: FocusEmulator, focus_conn: str) -> FocusHook:
    return FocusHook(focus_conn)


def changed_at(fe: FocusEmulator, moment: str, *focus_area_ids: str, status: str = "AT_RISK") -> None:
    fe.set_clock(frozen_at=moment)
    for focus_area_id in focus_area_ids:
        fe.set_status(focus_area_id, status)


def stamp(moment: Any) -> str:
    """A watermark to the second, as ISO 8601 (empty for none)."""
    return iso(moment)[:19] if moment is not None else ""


def list_calls(fe: FocusEmulator) -> list[dict[str, str]]:
    return [r.query for r in fe.requests if r.path == "focus-areas" and r.method == "GET"]


def test_the_watermark_is_carried_from_one_poll_to_the_next(
    hook: FocusHook, focus_emulator: FocusEmulator, poll: Poll
) -> None:
    changed_at(focus_emulator, T2, "fa-0002")
    feed = hook.focus_area_feed(T1)

    first = poll(hook, feed)
    after_first = feed.watermark
    changed_at(focus_emulator, T3, "fa-0004")
    focus_emulator.clear_requests()
    second = poll(hook, feed)
    third = poll(hook, feed)

    assert [change.focus_area_id for change in first] == ["fa-0002"]
    assert stamp(after_first) == "2030-01-01T00:20:00"
    # The second poll started from the first one's watermark: only what changed since, one page, no sort check again.
    assert [change.focus_area_id for change in second] == ["fa-0004"]
    assert third == []
    assert stamp(feed.watermark) == "2030-01-01T00:30:00"
    assert [(call["sort"], call["limit"]) for call in list_calls(focus_emulator)] == [("-updatedAt", "100")] * 2


def test_what_falls_behind_the_overlap_window_is_forgotten(
    hook: FocusHook, focus_emulator: FocusEmulator, poll: Poll
) -> None:
    changed_at(focus_emulator, T2, "fa-0002")
    feed = hook.focus_area_feed(T1, overlap=60)

    poll(hook, feed)
    remembered_first = {key[0] for key in feed.seen}
    changed_at(focus_emulator, "2030-01-01T00:20:30Z", "fa-0003")  # inside the window: both kept
    poll(hook, feed)
    remembered_second = {key[0] for key in feed.seen}
    changed_at(focus_emulator, T3, "fa-0005")  # ten minutes on: the older keys fall behind the horizon
    poll(hook, feed)

    assert remembered_first == {"fa-0002"}
    assert remembered_second == {"fa-0002", "fa-0003"}
    assert {key[0] for key in feed.seen} == {"fa-0005"}


def test_a_change_inside_the_window_is_handed_out_once_across_polls(
    hook: FocusHook, focus_emulator: FocusEmulator, poll: Poll
) -> None:
    changed_at(focus_emulator, T2, "fa-0002")
    feed = hook.focus_area_feed(T1, overlap=600)

    first = poll(hook, feed)
    again = poll(hook, feed)  # fa-0002 is inside the 10-minute window and listed again, but not handed out

    assert [change.focus_area_id for change in first] == ["fa-0002"]
    assert again == []


def test_start_points_the_feed_at_the_newest_change_with_one_small_call(
    hook: FocusHook, focus_emulator: FocusEmulator
) -> None:
    changed_at(focus_emulator, T2, "fa-0006")
    focus_emulator.clear_requests()
    sync_feed, async_feed = hook.focus_area_feed(), hook.focus_area_feed()

    newest = hook.start_focus_area_feed(sync_feed)

    async def start() -> Any:
        try:
            return await hook.astart_focus_area_feed(async_feed)
        finally:
            await hook.aclose()

    async_newest = asyncio.run(start())

    assert stamp(newest) == "2030-01-01T00:20:00"
    assert async_newest == newest == sync_feed.watermark == async_feed.watermark
    assert [(call["sort"], call["limit"]) for call in list_calls(focus_emulator)] == [("-updatedAt", "1")] * 2
    # Nothing changed since: the poll lists only the newest again (inside the overlap), which a watcher records.
    assert [change.focus_area_id for change in poll_sync(hook, sync_feed)] == ["fa-0006"]


def test_an_export_without_a_watermark_is_a_full_load_that_yields_one(
    hook: FocusHook, focus_emulator: FocusEmulator
) -> None:
    changed_at(focus_emulator, T2, "fa-0003")
    feed = hook.focus_area_feed(None)

    everything = list(hook.export_focus_area_feed(feed, sort="name"))
    changed_at(focus_emulator, T3, "fa-0001")
    increment = list(hook.export_focus_area_feed(feed))

    assert len(everything) == 6
    assert stamp(feed.watermark) == "2030-01-01T00:30:00"
    # The newest of the full load is inside the overlap window of its watermark: at-least-once, it comes again.
    assert [focus_area["id"] for focus_area in increment] == ["fa-0001", "fa-0003"]
    with pytest.raises(FocusConfigError, match="sort"):
        hook.export_focus_area_feed(feed, sort="name")


def test_a_bad_since_names_the_argument_the_caller_wrote(hook: FocusHook) -> None:
    with pytest.raises(FocusConfigError, match=r"^updated_since must be an ISO 8601 time"):
        hook.focus_area_feed("last tuesday", what="updated_since")


def test_the_feed_and_the_tracker_share_one_watermark_rule() -> None:
    # Free of the emulator: the window both of them keep.
    window = Watermark(dt.timedelta(seconds=60), pendulum.parse(T2))  # type: ignore[arg-type]
    window.remember([("a", "2030-01-01T00:19:30.000000Z"), ("b", "2030-01-01T00:18:00.000000Z")])
    window.prune()
    tracker = ChangeTracker(overlap=dt.timedelta(seconds=60))
    late = FocusAreaChange.of({"id": "c", "updatedAt": "2030-01-01T00:10:00Z"})
    fresh = FocusAreaChange.of({"id": "d", "updatedAt": T2})

    assert window.keys == {("a", "2030-01-01T00:19:30.000000Z")}
    assert window.behind(pendulum.parse("2030-01-01T00:18:59Z"))  # type: ignore[arg-type]
    assert not window.behind(pendulum.parse("2030-01-01T00:19:00Z"))  # type: ignore[arg-type]
    assert [event["focus_area_id"] for event in tracker.observe([fresh])] == ["d"]
    assert tracker.observe([late]) == []  # behind the tracker's horizon: handled before
    assert isinstance(tracker.window, Watermark)
