"""The feed session in a ``@task``, shown in ``docs/operators.md``: run against the emulator's demo seed."""

from __future__ import annotations

# [START howto_hook_focus_feed_session]
from typing import Any

from airflow.sdk import task

from airflow_provider_focus.hooks.focus import FocusHook


@task
def changed_focus_area_ids(watermark: str | None) -> dict[str, Any]:
    """Return the ids changed since ``watermark`` (all of them without one) and the watermark for the next run."""
    hook = FocusHook()
    feed = hook.focus_area_feed(watermark or None, what="watermark")  # no I/O yet
    ids = [focus_area["id"] for focus_area in hook.export_focus_area_feed(feed)]  # a full load when None
    return {"ids": ids, "watermark": feed.watermark.isoformat() if feed.watermark else None}


# [END howto_hook_focus_feed_session]


def test_a_full_load_then_only_what_changed(focus_emulator, focus_conn):
    focus_emulator.set_clock(offset_seconds=-3600)  # far from later changes (the overlap is 60 s)
    focus_emulator.set_status("fa-0001", "PAUSED")
    focus_emulator.set_clock()
    first = changed_focus_area_ids.function(None)
    focus_emulator.set_status("fa-0005", "AT_RISK")
    second = changed_focus_area_ids.function(first["watermark"])

    assert len(first["ids"]) == 6
    assert second["ids"] == ["fa-0005", "fa-0001"]  # the newest of the last run comes again (the overlap)
    assert second["watermark"] > first["watermark"]
