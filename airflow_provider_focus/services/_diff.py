"""Pure helpers of the focus-area upsert: what a record asks for, what differs, and why it cannot be applied."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_focus.api import model

#: Record fields that are never compared nor sent: the server sets them and no record can ask for them (an export
#: read back in carries them). Status, draft and target date are compared: a difference there is reported as
#: ``not_updatable`` instead of being dropped silently.
IGNORED_FIELDS = frozenset({model.FIELD_ID, model.FIELD_ANCESTORS, model.FIELD_CREATED_AT, model.FIELD_UPDATED_AT})
#: What a new focus area has where the create cannot set a field ([DOC] status PENDING, draft false, no target date).
CREATE_DEFAULTS: Mapping[str, Any] = {
    model.FIELD_STATUS: model.INITIAL_FOCUS_AREA_STATUS,
    model.FIELD_DRAFT: False,
    model.FIELD_TARGET_DATE: None,
}


def is_blank(value: Any) -> bool:
    """Return whether a record's value means "not given": ``None``, or a string of nothing but whitespace."""
    return value is None or (isinstance(value, str) and (not value or value.isspace()))


def desired_fields(record: Mapping[str, Any], *, external_id: str, left_out: frozenset[str]) -> dict[str, Any]:
    """
    Return the API fields a record asks for: its own fields without the key, the parent key and server fields.

    A blank value (``None``, ``""`` or only whitespace, as a CSV's empty cell reads) means "not given": the field
    is left out, so an upsert neither sends it on create nor clears it on update. Clearing a field is a job for
    ``FocusHook.update_focus_area`` (or ``FocusUpdateFocusAreaOperator``) with an ``update_mask``.

    :param record: the input record.
    :param external_id: its external id (sent as ``externalId``).
    :param left_out: the fields never sent (:func:`left_out_fields`).
    """
    desired = {
        name: value
        for name, value in record.items()
        if value is not None
        and name not in left_out
        and not (isinstance(value, str) and (not value or value.isspace()))  # is_blank, inlined: once per field
    }
    desired[model.FIELD_EXTERNAL_ID] = external_id
    return desired


def left_out_fields(key: str, parent_key: str) -> frozenset[str]:
    """
    Return the record fields :func:`desired_fields` leaves out: the server's fields, the key and the parent key.

    :param key: the record field holding the external id.
    :param parent_key: the record field holding the parent's external id.
    """
    return IGNORED_FIELDS | {key, parent_key}


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


def split_changes(changes: Mapping[str, Any], updatable: frozenset[str]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """
    Split the fields that differ into those an update can write and those it cannot.

    [DOC: support article] An update changes name, owner, external id or description only; status, parent,
    target date, draft and the rest are not updatable and must never be sent (nor silently dropped).

    :param changes: the fields that differ (:func:`changed_fields`).
    :param updatable: the fields an update may write (``model.UPDATABLE_FOCUS_AREA_FIELDS`` plus a site's extras).
    :return: the fields to write, and the sorted names of those that cannot be.
    """
    writable = {name: value for name, value in changes.items() if name in updatable}
    return writable, tuple(sorted(name for name in changes if name not in updatable))


def split_create(body: Mapping[str, Any], creatable: frozenset[str]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """
    Split a create body into what a create can send and the fields it cannot set that ask for another value.

    [DOC: api-group-focus-areas/] A create sets status PENDING and draft false and never a target date: a record
    asking for those defaults is fine; one asking for anything else, or for a field a create does not take, has
    those fields listed (and not sent).

    :param body: the fields the record asks for (no ``None`` values).
    :param creatable: the fields a create may send.
    :return: the body to send, and the sorted names of the fields left out that ask for a non-default value.
    """
    if creatable.issuperset(body):  # the common case
        return dict(body), ()
    sendable = {name: value for name, value in body.items() if name in creatable}
    left_out = tuple(
        sorted(
            name
            for name, value in body.items()
            if name not in creatable and not (name in CREATE_DEFAULTS and CREATE_DEFAULTS[name] == value)
        )
    )
    return sendable, left_out


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
