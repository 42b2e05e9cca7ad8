"""
What a watcher remembers between polls: :class:`ChangeTracker` turns what a feed handed out into change events.

It keeps a :class:`~airflow_provider_focus.services.changes.watermark.Watermark` (the newest ``updatedAt`` fired
and the keys fired inside the overlap window) and, when told to watch some fields, the last value of those fields
per focus area. Its state is plain JSON (:meth:`ChangeTracker.dump`, :meth:`ChangeTracker.load`) so a watcher can
persist it across triggerer restarts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pendulum

from airflow_provider_focus.api import model
from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.services.changes.times import iso, to_datetime
from airflow_provider_focus.services.changes.walk import FocusAreaChange
from airflow_provider_focus.services.changes.watermark import Key, Watermark
from airflow_provider_focus.services.options import DEFAULT_OVERLAP

JsonDict = dict[str, Any]


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

    def __init__(
        self,
        fields: Sequence[str] | None = None,
        external_ids: Sequence[str] | None = None,
        overlap: dt.timedelta = DEFAULT_OVERLAP,
    ) -> None:
        self.fields = fields
        self.external_ids = external_ids
        self.overlap = overlap
        self.window = Watermark(overlap)
        self.values: dict[str, dict[str, Any]] = {}

    @property
    def watermark(self) -> pendulum.DateTime | None:
        """The newest ``updatedAt`` recorded or fired."""
        return self.window.value

    @property
    def recent(self) -> set[Key]:
        """The ``(id, updatedAt)`` keys recorded or fired inside the overlap window."""
        return self.window.keys

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
            self.window.remember([change.key])
            self.window.advance(change.updated_at)
            count += 1
        self.window.prune()
        return count

    def observe(self, changes: Iterable[FocusAreaChange]) -> list[JsonDict]:
        """
        Return one event per real change among ``changes`` (oldest first), and remember them.

        An event is ``{"focus_area_id", "updated_at", "changes": {field: {"old", "new"}} or None, "focus_area"}``.

        :param changes: what a feed walk handed out.
        """
        events: list[JsonDict] = []
        for change in sorted(changes, key=lambda c: (c.updated_at, c.focus_area_id)):
            if not self.wants(change.focus_area) or change.key in self.window.keys:
                continue
            if self.window.behind(change.updated_at):
                continue
            self.window.remember([change.key])
            self.window.advance(change.updated_at)
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
        self.window.prune()
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
        self.window = Watermark(self.overlap, watermark, recent)
        self.values = values
        return True
