"""
Two writers that create the same external id at once converge: the oldest focus area keeps the key, the others
are moved off it to a recognisable external id, and both writers, deciding alike, agree on which is which.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import model
from airflow_provider_focus.services import operations

if TYPE_CHECKING:
    from airflow_provider_focus.api.client import FocusClient

log = logging.getLogger(__name__)

#: A focus area moved off a key gets the external id ``<key>~duplicate~<its id>``: unique, and easy to find.
DUPLICATE_MARK = "~duplicate~"

_LATEST = datetime.max.replace(tzinfo=timezone.utc)


def moved_external_id(key: str, focus_area_id: str) -> str:
    """Return the external id a duplicate of ``key`` is moved to: ``<key>~duplicate~<id>``."""
    return f"{key}{DUPLICATE_MARK}{focus_area_id}"


def _created_at(focus_area: Mapping[str, Any]) -> datetime:
    value = focus_area.get(model.FIELD_CREATED_AT)
    if not isinstance(value, str):
        return _LATEST
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return _LATEST
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def keeper_order(focus_area: Mapping[str, Any]) -> tuple[datetime, int, str]:
    """
    Sort key of the holders of one external id: the oldest ``createdAt`` first, then the id (numbers by value).

    Every writer sorts the same list the same way, so every writer picks the same keeper.
    """
    focus_area_id = str(focus_area.get(model.FIELD_ID))
    digits = "".join(ch for ch in focus_area_id if ch.isdigit())
    return _created_at(focus_area), len(digits), focus_area_id


def converge(
    client: FocusClient, key: str, holders: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """
    Keep the oldest holder of ``key`` and move every other one off it.

    :param client: the API client.
    :param key: the external id.
    :param holders: the focus areas that have it (two or more).
    :return: the keeper, and one entry per focus area moved: ``{"externalId", "id", "movedTo", "keptId"}``.
    """
    ordered = sorted(holders, key=keeper_order)
    keeper = dict(ordered[0])
    keeper_id = str(keeper[model.FIELD_ID])
    moved: list[dict[str, Any]] = []
    for duplicate in ordered[1:]:
        duplicate_id = str(duplicate[model.FIELD_ID])
        target = moved_external_id(key, duplicate_id)
        operations.update_focus_area(
            client, duplicate_id, {model.FIELD_EXTERNAL_ID: target}, update_mask=[model.FIELD_EXTERNAL_ID]
        )
        log.warning(
            "Focus areas %s and %s both had the external id %r (two writers at once?): %s keeps it, %s is now %r; "
            "delete %s in Focus",
            keeper_id,
            duplicate_id,
            key,
            keeper_id,
            duplicate_id,
            target,
            duplicate_id,
        )
        moved.append({"externalId": key, "id": duplicate_id, "movedTo": target, "keptId": keeper_id})
    return keeper, moved


def holders_of(client: FocusClient, key: str) -> list[dict[str, Any]]:
    """Return every focus area whose external id is exactly ``key``."""
    return operations.focus_areas_with_external_id(client, key)
