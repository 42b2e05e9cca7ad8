"""
The change feed's points in time: reading a caller's ``since``, reading a listed item's ``updatedAt``, writing ISO.

Every time the feed keeps is a UTC :class:`pendulum.DateTime`; :func:`iso` writes one at a fixed width, so the
strings (in saved state and in ``(id, updatedAt)`` keys) sort as the times do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum

from airflow_provider_focus.api import model
from airflow_provider_focus.exceptions import BODY_EXCERPT_CHARS, FocusConfigError, FocusResponseError


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
