"""
The watermark and its horizon, written once for the feed and for the watcher's tracker.

A :class:`Watermark` is the newest ``updatedAt`` seen so far, plus the ``(id, updatedAt)`` keys already handed
out inside the overlap window behind it (the *horizon*): a change at or after the horizon may be listed again (clock
skew, late visibility), and its key says whether it was handed out before. Keys behind the horizon are pruned: the
feed never reaches back there, so what is remembered stays as small as the window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pendulum

from airflow_provider_focus.services.changes.times import iso

#: What identifies one change: ``(focus area id, updatedAt as written by iso())``.
Key = tuple[str, str]


def latest(current: pendulum.DateTime | None, moment: pendulum.DateTime | None) -> pendulum.DateTime | None:
    """Return the later of two times, either of which may be ``None``."""
    if current is None:
        return moment
    if moment is None:
        return current
    return moment if moment > current else current


class Watermark:
    """
    The newest ``updatedAt`` seen, and the keys handed out at or after ``watermark - overlap``.

    :param overlap: how far behind the watermark the horizon is.
    :param value: the watermark to start from (``None``: nothing seen yet).
    :param keys: keys handed out before.
    """

    def __init__(self, overlap: dt.timedelta, value: pendulum.DateTime | None = None, keys: Iterable[Key] = ()) -> None:
        self.overlap = overlap
        self.value = value
        self.keys: set[Key] = set(keys)

    @property
    def horizon(self) -> pendulum.DateTime | None:
        """``watermark - overlap``: nothing older is listed again, nothing older is remembered."""
        return None if self.value is None else self.value - self.overlap

    def advance(self, moment: pendulum.DateTime | None) -> None:
        """
        Move the watermark to ``moment`` if it is later.

        :param moment: an ``updatedAt`` seen.
        """
        self.value = latest(self.value, moment)

    def behind(self, moment: pendulum.DateTime) -> bool:
        """Tell whether ``moment`` is older than the horizon (a change there was handled before)."""
        horizon = self.horizon
        return horizon is not None and moment < horizon

    def remember(self, keys: Iterable[Key]) -> None:
        """
        Add handed-out keys (call :meth:`prune` when a batch is done).

        :param keys: ``(id, updatedAt)`` keys.
        """
        self.keys.update(keys)

    def prune(self) -> None:
        """Forget the keys behind the horizon."""
        horizon = self.horizon
        if horizon is not None:
            edge = iso(horizon)
            self.keys = {key for key in self.keys if key[1] >= edge}
