"""Pure helpers of the focus-area upsert: input checks, parent-first ordering and field diffs (no I/O)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_focus.api import model

#: Record fields that are never sent: the server sets them (an export read back in carries them).
IGNORED_FIELDS = model.READ_ONLY_FOCUS_AREA_FIELDS | {model.FIELD_ANCESTORS}


@dataclass
class Plan:
    """
    Records in an order where every parent comes before its children, and the records refused up front.

    :param ordered: ``(external id, record)`` pairs, parents first.
    :param failed: ``{"externalId": ..., "error": ...}`` entries for records that cannot be applied.
    """

    ordered: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)


def is_blank(value: Any) -> bool:
    """Return whether a record's value means "not given": ``None``, or a string of nothing but whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def failure(external_id: Any, error: str) -> dict[str, Any]:
    """Return one entry of a report's ``failed`` list."""
    return {"externalId": external_id, "error": error}


def plan_records(records: Sequence[Any], *, key: str, parent_key: str) -> Plan:
    """
    Check the records and order them parents first (Kahn's algorithm, stable in input order).

    A record without a key, a repeated key, or a parent cycle is a failure of that record (and of the records
    below it), never an exception.

    :param records: the input records.
    :param key: the record field holding the external id.
    :param parent_key: the record field holding the parent's external id.
    """
    plan = Plan()
    by_key: dict[str, dict[str, Any]] = {}
    for position, record in enumerate(records):
        if not isinstance(record, Mapping):
            plan.failed.append(failure(None, f"record {position} is not an object: {type(record).__name__}"))
            continue
        external_id = record.get(key)
        if external_id is None or not str(external_id).strip():
            plan.failed.append(failure(None, f"record {position} has no {key!r}"))
            continue
        external_id = str(external_id)
        if external_id in by_key:
            plan.failed.append(failure(external_id, f"{key} {external_id!r} appears more than once in the input"))
            continue
        by_key[external_id] = dict(record)

    children: dict[str, list[str]] = {}
    waiting: dict[str, str] = {}
    ready: deque[str] = deque()
    for external_id, record in by_key.items():
        parent = record.get(parent_key)
        parent = None if is_blank(parent) else str(parent)
        if parent is not None and parent in by_key:
            children.setdefault(parent, []).append(external_id)
            waiting[external_id] = parent
        else:
            ready.append(external_id)
    while ready:
        external_id = ready.popleft()
        plan.ordered.append((external_id, by_key[external_id]))
        for child in children.get(external_id, []):
            waiting.pop(child, None)
            ready.append(child)
    for external_id in by_key:
        if external_id in waiting:
            plan.failed.append(failure(external_id, _cycle_message(external_id, waiting)))
    return plan


def _cycle_message(start: str, parent_of: Mapping[str, str]) -> str:
    chain = [start]
    current = start
    while current in parent_of and len(chain) <= len(parent_of):
        current = parent_of[current]
        if current in chain:
            chain.append(current)
            cycle = chain[chain.index(current) :]
            if cycle[0] == start:
                return "its parents form a cycle: " + " -> ".join(cycle)
            return f"an ancestor is in a parent cycle: {' -> '.join(cycle)}"
        chain.append(current)
    return "its parent chain does not end"  # pragma: no cover - only reachable with a cycle


def desired_fields(record: Mapping[str, Any], *, external_id: str, key: str, parent_key: str) -> dict[str, Any]:
    """
    Return the API fields a record asks for: its own fields without the key, the parent key and server fields.

    A blank value (``None``, ``""`` or only whitespace, as a CSV's empty cell reads) means "not given": the field
    is left out, so an upsert neither sends it on create nor clears it on update. Clearing a field is a job for
    ``FocusUpdateFocusAreaOperator`` with an ``update_mask``.

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
