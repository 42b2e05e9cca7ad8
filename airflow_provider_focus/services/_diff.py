"""Pure helpers of the focus-area upsert: what a record asks for, what differs, and why it cannot be applied."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_focus.api import model

#: Record fields that are never sent: the server sets them (an export read back in carries them).
IGNORED_FIELDS = model.READ_ONLY_FOCUS_AREA_FIELDS | {model.FIELD_ANCESTORS}


def is_blank(value: Any) -> bool:
    """Return whether a record's value means "not given": ``None``, or a string of nothing but whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def desired_fields(record: Mapping[str, Any], *, external_id: str, key: str, parent_key: str) -> dict[str, Any]:
    """
    Return the API fields a record asks for: its own fields without the key, the parent key and server fields.

    A blank value (``None``, ``""`` or only whitespace, as a CSV's empty cell reads) means "not given": the field
    is left out, so an upsert neither sends it on create nor clears it on update. Clearing a field is a job for
    ``FocusHook.update_focus_area`` (or ``FocusUpdateFocusAreaOperator``) with an ``update_mask``.

    :param record: the input record.
    :param external_id: its external id (sent as ``externalId``).
    :param key: the record field holding the external id.
    :param parent_key: the record field holding the parent's external id.
    """
    desired = {
        name: value
        for name, value in record.items()
        if name not in (key, parent_key) and name not in IGNORED_FIELDS and not is_blank(value)
    }
    desired[model.FIELD_EXTERNAL_ID] = external_id
    return desired


def changed_fields(existing: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """
    Return the fields of ``desired`` whose value differs from ``existing`` (a missing field equals ``None``).

    The focus-area type is left out: it cannot be changed by an update (see :func:`type_conflict`).

    :param existing: the focus area as the API has it.
    :param desired: the fields the record asks for.
    """
    return {
        name: value
        for name, value in desired.items()
        if name != model.FIELD_FOCUS_AREA_TYPE_ID and existing.get(name) != value
    }


def type_conflict(existing: Mapping[str, Any], desired: Mapping[str, Any]) -> str | None:
    """
    Return why a record cannot be applied because it asks for another focus-area type, or ``None``.

    :param existing: the focus area as the API has it.
    :param desired: the fields the record asks for.
    """
    wanted = desired.get(model.FIELD_FOCUS_AREA_TYPE_ID)
    have = existing.get(model.FIELD_FOCUS_AREA_TYPE_ID)
    if wanted in (None, "") or wanted == have:
        return None
    return (
        f"{model.FIELD_FOCUS_AREA_TYPE_ID} is {have!r} in Focus but {wanted!r} in the record; an update cannot "
        "change the type of a focus area"
    )
