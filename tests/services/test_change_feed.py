"""The change feed against the emulator over a real socket: cost, ties, overlap, skew, a server ignoring sort."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_focus.exceptions import FocusConfigError, FocusResponseError, FocusServerError
from airflow_provider_focus.hooks.focus import FocusHook
from airflow_provider_focus.services.changes import ChangeFeed, FocusAreaChange
from airflow_provider_focus.testing import FocusEmulator

pytestmark = pytest.mark.integration

T0 = "2030-01-01T00:00:00Z"
T1 = "2030-01-01T00:10:00Z"
T2 = "2030-01-01T00:20:00Z"


@pytest.fixture
def hook(focus_emulator: FocusEmulator, focus_conn: str) -> FocusHook:
    return FocusHook(focus_conn)


@pytest.fixture
def feed_log() -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("airflow_provider_focus.services.changes")
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def make_many(fe: FocusEmulator, count: int, at: str = T0) -> list[str]:
    fe.set_clock(frozen_at=at)
    return [
        fe.store.create_focus_area({"name": f"Many {n}", "focusAreaTypeId": "fat-project"}, "acct")["id"]
        for n in range(count)
    ]


def list_calls(fe: FocusEmulator) -> list[dict[str, str]]:
    return [r.query for r in fe.requests if r.path == "focus-areas" and r.method == "GET"]


def ids(changes: list[FocusAreaChange]) -> list[str]:
    return [change.focus_area_id for change in changes]


def test_a_walk_costs_what_changed_not_the_tenant(hook: FocusHook, focus_emulator: FocusEmulator) -> None:
    make_many(focus_emulator, 300)
    focus_emulator.set_clock(frozen_at=T2)
    for focus_area_id in ("fa-0010", "fa-0200", "fa-0003"):
        focus_emulator.set_status(focus_area_id, "AT_RISK")
    focus_emulator.clear_requests()

    changes = list(hook.iter_focus_area_changes(T1, page_size=2))

    assert sorted(ids(changes)) == ["fa-0003", "fa-0010", "fa-0200"]
    assert all(change.updated_at.isoformat().startswith("2030-01-01T00:20:00") for change in changes)
    calls = list_calls(focus_emulator)
    # Two pages of newest-first (the second holds the first older item) and the one-item sort check.
    assert [call["sort"] for call in calls] == ["-updatedAt", "updatedAt", "-updatedAt"]
    assert calls[1]["limit"] == "1"


def test_a_tie_across_a_page_boundary_is_read_whole(hook: FocusHook, focus_emulator: FocusEmulator) -> None:
    make_many(focus_emulator, 20)
    focus_emulator.set_clock(frozen_at=T2)
    tied = ["fa-0007", "fa-0012", "fa-0001", "fa-0020", "fa-0015"]
    for focus_area_id in tied:
        focus_emulator.set_status(focus_area_id, "PAUSED")

    changes = list(hook.iter_focus_area_changes(T2, page_size=2, overlap=0))

    assert sorted(ids(changes)) == sorted(tied)


def test_a_reused_feed_hands_each_change_out_once_and_catches_a_late_one_in_the_overlap(
    hook: FocusHook, focus_emulator: FocusEmulator
) -> None:
    make_many(focus_emulator, 5)
    feed = ChangeFeed(page_size=2)
    focus_emulator.set_clock(frozen_at=T2)
    focus_emulator.set_status("fa-0002", "AT_RISK")

    first = list(feed.changes(hook.client, T1))
    again = list(feed.changes(hook.client))
    # A change stamped 30 s before the watermark (a server clock behind, or a slow commit) shows up late.
    focus_emulator.set_clock(frozen_at="2030-01-01T00:19:30Z")
    focus_emulator.set_status("fa-0004", "AT_RISK")
    late = list(feed.changes(hook.client))

    assert ids(first) == ["fa-0002"]
    assert again == []
    assert ids(late) == ["fa-0004"]
    assert feed.watermark is not None
    assert feed.watermark.isoformat().startswith("2030-01-01T00:20:00")


def test_since_none_lists_everything_newest_first(hook: FocusHook, focus_emulator: FocusEmulator) -> None:
    focus_emulator.set_status("fa-0003", "PAUSED")

    changes = list(hook.iter_focus_area_changes(None))

    assert ids(changes)[0] == "fa-0003"
    assert len(changes) == 6


def test_a_server_ignoring_sort_gets_a_full_scan_and_a_warning(
    hook: FocusHook, focus_emulator: FocusEmulator, feed_log: list[logging.LogRecord]
) -> None:
    make_many(focus_emulator, 30)
    focus_emulator.set_clock(frozen_at=T2)
    for focus_area_id in ("fa-0031", "fa-0002", "fa-0035"):
        focus_emulator.set_status(focus_area_id, "AT_RISK")
    focus_emulator.ignore_query_parameter("sort")

    changes = list(hook.iter_focus_area_changes(T1, page_size=4, overlap=0))

    assert sorted(ids(changes)) == ["fa-0002", "fa-0031", "fa-0035"]
    assert any("ignore sort" in record.getMessage() for record in feed_log)


def test_the_sort_check_catches_a_server_whose_first_pages_look_sorted(
    hook: FocusHook, focus_emulator: FocusEmulator, feed_log: list[logging.LogRecord]
) -> None:
    focus_emulator.reset("empty")
    for number in range(30):  # creation order is newest first: every page looks sorted by -updatedAt
        focus_emulator.set_clock(frozen_at=f"2030-01-01T00:05:{59 - number:02d}Z")
        focus_emulator.store.create_focus_area({"name": f"Old {number}", "focusAreaTypeId": "fat-project"}, "a")
    for focus_area_id, stamp in (("fa-0001", "00:20:02"), ("fa-0002", "00:20:01"), ("fa-0025", "00:20:00")):
        focus_emulator.set_clock(frozen_at=f"2030-01-01T{stamp}Z")
        focus_emulator.set_status(focus_area_id, "AT_RISK")
    focus_emulator.ignore_query_parameter("sort")

    changes = list(hook.iter_focus_area_changes(T1, page_size=4, overlap=0))

    # Without the one-item check in the other order the walk would stop on page 1 and miss fa-0025.
    assert sorted(ids(changes)) == ["fa-0001", "fa-0002", "fa-0025"]
    assert any("start with the same item" in record.getMessage() for record in feed_log)


def test_an_honoured_sort_raises_no_warning(
    hook: FocusHook, focus_emulator: FocusEmulator, feed_log: list[logging.LogRecord]
) -> None:
    make_many(focus_emulator, 10)
    focus_emulator.set_clock(frozen_at=T2)
    focus_emulator.set_status("fa-0009", "AT_RISK")

    assert ids(list(hook.iter_focus_area_changes(T1, page_size=3))) == ["fa-0009"]
    assert feed_log == []


def test_the_async_twin_yields_what_the_sync_walk_yields(hook: FocusHook, focus_emulator: FocusEmulator) -> None:
    make_many(focus_emulator, 12)
    focus_emulator.set_clock(frozen_at=T2)
    for focus_area_id in ("fa-0008", "fa-0011", "fa-0001"):
        focus_emulator.set_status(focus_area_id, "ON_TRACK")

    async def collect() -> list[FocusAreaChange]:
        try:
            return [change async for change in hook.aiter_focus_area_changes(T1, page_size=2)]
        finally:
            await hook.aclose()

    assert ids(asyncio.run(collect())) == ids(list(hook.iter_focus_area_changes(T1, page_size=2)))


class _Pages:
    def __init__(self, pages: list[Any]) -> None:
        self.pages = pages

    def request(self, method: str, path: str, *, params: Any = None) -> Any:
        return self.pages.pop(0)


def test_an_item_without_a_readable_updated_at_is_a_response_error() -> None:
    page = {"values": [{"id": "fa-1", "updatedAt": "soon"}], "last": True}

    with pytest.raises(FocusResponseError, match="updatedAt"):
        list(ChangeFeed().changes(_Pages([page]), "2030-01-01T00:00:00Z"))


def test_a_bad_since_is_a_config_error() -> None:
    with pytest.raises(FocusConfigError, match="since"):
        list(ChangeFeed().changes(_Pages([]), "last tuesday"))


def test_a_reused_feed_checks_the_sort_order_once_not_on_every_walk(
    hook: FocusHook, focus_emulator: FocusEmulator
) -> None:
    make_many(focus_emulator, 5)
    feed = ChangeFeed()
    focus_emulator.set_clock(frozen_at=T2)
    focus_emulator.clear_requests()

    list(feed.changes(hook.client, T1))
    first = [call["sort"] for call in list_calls(focus_emulator)]
    walks = []
    for minute in range(21, 24):
        focus_emulator.set_clock(frozen_at=f"2030-01-01T00:{minute}:00Z")
        focus_emulator.set_status("fa-0003", "AT_RISK" if minute % 2 else "ON_TRACK")
        focus_emulator.clear_requests()
        assert ids(list(feed.changes(hook.client))) == ["fa-0003"]
        walks.append([(call["sort"], call["limit"]) for call in list_calls(focus_emulator)])

    assert first == ["-updatedAt", "updatedAt"]
    assert feed.sort_checked
    # One page per walk: the one-item check in the other order went with the first walk only.
    assert walks == [[("-updatedAt", "100")]] * 3


class _FailingOnce:
    """Answers pages in turn, but the second call fails once (a page lost half-way through a walk)."""

    def __init__(self, pages: list[Any]) -> None:
        self.pages = pages
        self.calls = 0

    def request(self, method: str, path: str, *, params: Any = None) -> Any:
        self.calls += 1
        if self.calls == 2:
            raise FocusServerError(status_code=502, method=method, path=path)
        return self.pages[(params or {}).get("cursor") == "next"]


def test_a_walk_that_fails_half_way_hands_its_changes_out_again() -> None:
    first = {
        "values": [{"id": "fa-2", "updatedAt": "2030-01-01T00:20:00Z"}, {"id": "fa-1", "updatedAt": T2}],
        "nextPageCursor": "next",
        "last": False,
    }
    second = {"values": [{"id": "fa-0", "updatedAt": T0}], "last": True}
    feed = ChangeFeed(verify_sort=False)
    source = _FailingOnce([first, second])
    handed: list[FocusAreaChange] = []

    with pytest.raises(FocusServerError):
        handed.extend(feed.changes(source, T1))
    again = list(feed.changes(source, T1))

    assert ids(handed) == ["fa-2", "fa-1"]  # handed out, but the walk failed before its caller could keep them
    assert ids(again) == ["fa-2", "fa-1"]


def test_a_bad_updated_since_is_named_as_the_caller_wrote_it(hook: FocusHook) -> None:
    with pytest.raises(FocusConfigError, match=r"^updated_since must be an ISO 8601 time"):
        hook.list_focus_areas(updated_since="last tuesday")
