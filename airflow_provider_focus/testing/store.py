"""
The emulator's in-memory state and the domain rules of the Focus API.

:class:`FocusStore` is thread-safe (one re-entrant lock around every operation), returns copies, and can persist
itself (a snapshot plus an append-only journal, see :mod:`.journal`). Focus areas and organizations are indexed
(:mod:`.index`) so a list page costs what the page holds. ``updatedAt`` moves on every change, status included,
and strictly increases for each record, even within one millisecond or under a frozen clock.
Every refusal is an :class:`~airflow_provider_focus.testing.errors.ApiError` carrying the HTTP status and the
documented error body.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_focus.api import model
from airflow_provider_focus.testing.constants import SEED_DEMO
from airflow_provider_focus.testing.errors import (
    ApiError,
    bad_request,
    invalid_field,
    missing_field,
    not_found,
)
from airflow_provider_focus.testing.index import CollectionIndex, Key, Page
from airflow_provider_focus.testing.journal import StateFile, delete, put, set_key
from airflow_provider_focus.testing.seed import seed_state

log = logging.getLogger(__name__)

#: Fields a create of a focus area accepts ([DOC] no target date, status or draft on create).
_FOCUS_AREA_CREATE_FIELDS = model.CREATABLE_FOCUS_AREA_FIELDS
#: Fields a create of an organization accepts ([DOC] api-group-organizations/, parent name [MODEL]).
_ORGANIZATION_CREATE_FIELDS = model.ORGANIZATION_CREATE_FIELDS
_FOCUS_AREAS = "focusAreas"
_ORGANIZATIONS = "organizations"
_COUNTERS = "counters"


@dataclass(frozen=True)
class FundKind:
    """
    What differs between cost items and benefit items.

    Items are stored under the bulk request's names; :meth:`FocusStore.get_fund_item` answers with the documented
    answer names (``answer_fields``), and a PATCH accepts only the documented ``patchable`` fields.

    :param label: human name used in messages.
    :param collection: key of the items in the state.
    :param id_field: the item's id field.
    :param external_id_field: the item's external id field (in the bulk request).
    :param type_field: the field naming the item's type.
    :param type_lookup: key of the lookup list the type must be in.
    :param period_field: the field holding period values.
    :param extra_fields: further optional string fields.
    :param counter: id counter and prefix.
    :param request_fields: the fields a bulk item may carry ([DOC]).
    :param answer_fields: the fields of the GET answer ([DOC]).
    :param patchable: the fields a PATCH may set ([DOC]), each mapped to the stored field it changes.
    """

    label: str
    collection: str
    id_field: str
    external_id_field: str
    type_field: str
    type_lookup: str
    period_field: str
    extra_fields: tuple[str, ...]
    counter: str
    request_fields: frozenset[str]
    answer_fields: tuple[str, ...]
    patchable: Mapping[str, str]

    @property
    def read_only_fields(self) -> frozenset[str]:
        """Fields the server sets."""
        return frozenset({self.id_field, model.FIELD_CREATED_AT, model.FIELD_UPDATED_AT})


COST = FundKind(
    label="Cost item",
    collection="costItems",
    id_field=model.COST_ITEM_ID,
    external_id_field=model.COST_ITEM_EXTERNAL_ID,
    type_field=model.COST_TYPE,
    type_lookup="costTypes",
    period_field=model.COST_PERIOD_VALUES,
    extra_fields=(model.COST_SUBTYPE_KEY, model.INVESTMENT_CATEGORY_KEY),
    counter="cost",
    request_fields=model.COST_ITEM_REQUEST_FIELDS,
    answer_fields=model.COST_ITEM_ANSWER_FIELDS,
    patchable={model.ANSWER_EXTERNAL_COST_ITEM_ID: model.COST_ITEM_EXTERNAL_ID},
)
BENEFIT = FundKind(
    label="Benefit item",
    collection="benefitItems",
    id_field=model.BENEFIT_ITEM_ID,
    external_id_field=model.BENEFIT_ITEM_EXTERNAL_ID,
    type_field=model.BENEFIT_TYPE_KEY,
    type_lookup="benefitTypes",
    period_field=model.BENEFIT_PERIOD_VALUES,
    extra_fields=(),
    counter="benefit",
    request_fields=model.BENEFIT_ITEM_REQUEST_FIELDS,
    answer_fields=model.BENEFIT_ITEM_ANSWER_FIELDS,
    patchable={model.FIELD_EXTERNAL_ID: model.BENEFIT_ITEM_EXTERNAL_ID},
)
#: How ``funds/investment-category`` answers: ``"page"`` (the envelope, as the other look-ups), ``"list"`` (a bare
#: list) or ``"object"`` (one object, as the reference's sample shows). The reference is not sure; the provider
#: accepts each.
INVESTMENT_CATEGORY_SHAPES = ("page", "list", "object")
#: Lookup lists served by ``funds/...`` type endpoints, by resource path.
LOOKUPS: dict[str, str] = {
    model.COST_TYPES: "costTypes",
    model.COST_SUBTYPES: "costSubtypes",
    model.BENEFIT_TYPES: "benefitTypes",
    model.INVESTMENT_CATEGORIES: "investmentCategories",
}


def now_iso() -> str:
    """Return the current UTC time as ISO 8601 with milliseconds and a ``Z``."""
    return format_iso(dt.datetime.now(dt.timezone.utc))


def format_iso(moment: dt.datetime) -> str:
    """Return a UTC time as ISO 8601 with milliseconds and a ``Z`` (the emulator's timestamp format)."""
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> dt.datetime:
    """Parse a timestamp written by :func:`format_iso` (or any ISO 8601 time with an offset or ``Z``)."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


class StoreClock:
    """
    The emulator's clock: real UTC time, optionally frozen or shifted (to make ties and clock skew on purpose).

    :param frozen_at: a fixed time every change is stamped with (a record changed twice still moves by 1 ms).
    :param offset_seconds: added to the real time (negative: a server clock that is behind).
    """

    def __init__(self, frozen_at: dt.datetime | None = None, offset_seconds: float = 0.0) -> None:
        self.frozen_at = frozen_at
        self.offset = dt.timedelta(seconds=offset_seconds)

    def now(self) -> dt.datetime:
        """Return the time to stamp a change with."""
        if self.frozen_at is not None:
            return self.frozen_at
        return dt.datetime.now(dt.timezone.utc) + self.offset

    def stamp(self, previous: str | None = None) -> str:
        """
        Return the ``updatedAt`` of a change: now, but always later than ``previous`` (by 1 ms at least).

        :param previous: the record's ``updatedAt`` before the change.
        """
        moment = self.now()
        if previous:
            try:
                earliest = parse_iso(previous) + dt.timedelta(milliseconds=1)
            except ValueError:
                earliest = moment
            moment = max(moment, earliest)
        return format_iso(moment)


def parse_update_mask(raw: str | None) -> list[str] | None:
    """
    Split an ``updateMask`` query value into field names.

    :param raw: the comma-separated value, or ``None`` when the parameter was not sent.
    :return: the field names, or ``None`` for no mask.
    """
    if raw is None:
        return None
    return [name.strip() for name in raw.split(",") if name.strip()]


def _require_object(body: Any, what: str = "Request body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request(f"{what} must be a JSON object.")
    return body


def _check_optional_string(field: str, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise invalid_field(field, "must be a string or null")


def _check_account_id(field: str, value: Any) -> None:
    # The same rule on create and PATCH: an account id or null, never blank ([MODEL]). A blank owner used to become
    # the caller on create but was stored as "" by a PATCH.
    _check_optional_string(field, value)
    if isinstance(value, str) and not value.strip():
        raise invalid_field(field, "must be an account id or null, not blank")


def _check_name(field: str, value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise missing_field(field)
    if not isinstance(value, str):
        raise invalid_field(field, "must be a string")
    return value


def _check_date(field: str, value: Any) -> None:
    if value is None:
        return
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise invalid_field(field, "must be a date like 2025-12-31 or null") from None


def _check_fields(body: Mapping[str, Any], allowed: frozenset[str], read_only: frozenset[str], what: str) -> None:
    for field in body:
        if field in read_only:
            raise ApiError(400, model.ErrorType.FIELD_READ_ONLY, f"Field [{field}] is read-only.")
        if field not in allowed:
            raise invalid_field(field, f"is not a field of {what} that can be set")


def _expenditure_type_key(value: Any) -> str | None:
    """
    Read a request's ``expenditureType``: [DOC] an object ``{id, order, key, name, displayName}``; the key is kept.

    A string (the shape of the GET answer, not of the request) is refused.
    """
    if value is None:
        return None
    shape = "an object {" + ", ".join(model.EXPENDITURE_TYPE_FIELDS) + "}"
    if not isinstance(value, dict) or not set(value) <= set(model.EXPENDITURE_TYPE_FIELDS):
        raise invalid_field(model.EXPENDITURE_TYPE, f"must be {shape}")
    key = value.get(model.EXPENDITURE_TYPE_KEY) or value.get("id")
    if not isinstance(key, str) or not key.strip():
        raise invalid_field(model.EXPENDITURE_TYPE, f"must be {shape} with a key")
    return key


def _check_period_values(field: str, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_field(field, "must be a list")
    for position, entry in enumerate(value):
        where = f"{field}[{position}]"
        if not isinstance(entry, dict) or set(entry) != {model.FINANCIAL_VERSION_TYPE, model.TIME_PERIOD_TO_AMOUNT}:
            raise invalid_field(
                where, f"must be an object with {model.FINANCIAL_VERSION_TYPE} and {model.TIME_PERIOD_TO_AMOUNT}"
            )
        if entry[model.FINANCIAL_VERSION_TYPE] not in model.FINANCIAL_VERSION_TYPES:
            raise invalid_field(
                f"{where}.{model.FINANCIAL_VERSION_TYPE}",
                f"must be one of {', '.join(model.FINANCIAL_VERSION_TYPES)}",
            )
        amounts = entry[model.TIME_PERIOD_TO_AMOUNT]
        if not isinstance(amounts, dict) or not all(
            isinstance(amount, (int, float)) and not isinstance(amount, bool) for amount in amounts.values()
        ):
            raise invalid_field(f"{where}.{model.TIME_PERIOD_TO_AMOUNT}", "must map periods to numbers")
    return copy.deepcopy(value)


def check_sort(sort: str | None) -> None:
    """
    Refuse a ``sort`` value outside :data:`model.SORT_VALUES`.

    :raises ApiError: 400 ``FORMAT_INVALID``.
    """
    if sort and sort not in model.SORT_VALUES:
        raise invalid_field(model.PARAM_SORT, f"must be one of {', '.join(model.SORT_VALUES)}")


class FocusStore:
    """
    Thread-safe state of one emulated Focus site.

    :param seed: ``"demo"`` or ``"empty"``; used when there is no persisted state to load.
    :param persist_path: a JSON file; loaded at start if it exists (with its journal replayed), kept up to date by
        journal appends (see :mod:`.journal`).
    """

    def __init__(self, seed: str = SEED_DEMO, persist_path: str | os.PathLike[str] | None = None) -> None:
        self._lock = threading.RLock()
        self.clock = StoreClock()
        self._focus_index = CollectionIndex((model.FIELD_PARENT_ID, model.FIELD_EXTERNAL_ID))
        self._organization_index = CollectionIndex((model.FIELD_PARENT_ID,))
        self._indexes = {_FOCUS_AREAS: self._focus_index, _ORGANIZATIONS: self._organization_index}
        self._file = StateFile(persist_path) if persist_path is not None else None
        loaded = self._file.load() if self._file is not None else None
        if loaded is not None:
            self._state: dict[str, Any] = loaded
        else:
            self._state = seed_state(seed)
            self._compact()
        self._reindex()

    # --- Housekeeping -----------------------------------------------------------------------------------------

    @property
    def seed(self) -> str:
        """The seed the current state started from."""
        return str(self._state.get("seed", SEED_DEMO))

    def reset(self, seed: str | None = None) -> None:
        """
        Replace the whole state with a fresh seed.

        :param seed: the seed; default: the seed of the current state.
        """
        with self._lock:
            self._state = seed_state(seed or self.seed)
            self._reindex()
            self._compact()
            self.investment_category_shape = "page"

    def state(self) -> dict[str, Any]:
        """Return a deep copy of the whole state (what the persistence file holds)."""
        with self._lock:
            return copy.deepcopy(self._state)

    def close(self) -> None:
        """Write the state as one snapshot file and remove the journal (when persisting)."""
        with self._lock:
            if self._file is not None:
                self._file.close(self._state)

    def set_clock(self, frozen_at: str | None = None, offset_seconds: float = 0.0) -> None:
        """
        Freeze or shift the clock that stamps ``createdAt`` and ``updatedAt`` (to make ties or clock skew).

        :param frozen_at: an ISO 8601 time every change is stamped with; ``None`` for the real time.
        :param offset_seconds: seconds added to the real time (negative: a server clock that is behind).
        :raises ValueError: for a time that is not ISO 8601.
        """
        frozen = parse_iso(frozen_at) if frozen_at is not None else None
        with self._lock:
            self.clock = StoreClock(frozen, offset_seconds)

    def add_focus_areas(self, records: Iterable[Mapping[str, Any]]) -> int:
        """
        Insert ready-made focus areas in one go, without checks (for benchmarks and scale tests).

        :param records: stored shapes with at least ``id`` and ``name``; missing fields get defaults.
        :return: how many were added.
        """
        added = 0
        with self._lock:
            focus_areas = self._state[_FOCUS_AREAS]
            entries = []
            for given in records:
                stamp = self.clock.stamp()
                record = {
                    model.FIELD_EXTERNAL_ID: None,
                    model.FIELD_PARENT_ID: None,
                    model.FIELD_OWNER_ACCOUNT_ID: None,
                    model.FIELD_DESCRIPTION: None,
                    model.FIELD_STATUS: model.INITIAL_FOCUS_AREA_STATUS,
                    model.FIELD_DRAFT: False,
                    model.FIELD_TARGET_DATE: None,
                    model.FIELD_CREATED_AT: stamp,
                    model.FIELD_UPDATED_AT: stamp,
                    **given,
                }
                focus_areas[record[model.FIELD_ID]] = record
                self._focus_index.put(record)
                entries.append(put(_FOCUS_AREAS, record[model.FIELD_ID], record))
                added += 1
            if self._file is not None:
                self._file.append(entries, self._state)
        return added

    def _reindex(self) -> None:
        for collection, index in self._indexes.items():
            index.rebuild(self._state[collection].values())

    def compact(self) -> None:
        """Fold the persistence journal into a new snapshot now (it happens by itself as the journal grows)."""
        with self._lock:
            self._compact()

    def _compact(self) -> None:
        if self._file is not None:
            self._file.compact(self._state)

    def _changed(self, collection: str, *ids: str, counters: bool = False) -> None:
        """Re-index and journal records of ``collection`` that were written (or deleted, when gone)."""
        records = self._state[collection]
        index = self._indexes.get(collection)
        entries = []
        for record_id in ids:
            record = records.get(record_id)
            if record is None:
                entries.append(delete(collection, record_id))
                if index is not None:
                    index.remove(record_id)
            else:
                entries.append(put(collection, record_id, record))
                if index is not None:
                    index.put(record)
        if counters:
            entries.append(set_key(_COUNTERS, self._state[_COUNTERS]))
        if self._file is not None:
            self._file.append(entries, self._state)

    def _next_id(self, counter: str) -> str:
        counters = self._state["counters"]
        counters[counter] = counters.get(counter, 0) + 1
        return f"{counter}-{counters[counter]:04d}"

    # --- Read helpers for tests -------------------------------------------------------------------------------

    def focus_areas(self) -> list[dict[str, Any]]:
        """Return every focus area (stored shape, without ancestors), in creation order."""
        with self._lock:
            return [dict(record) for record in self._state["focusAreas"].values()]

    def focus_area(self, focus_area_id: str) -> dict[str, Any] | None:
        """Return one focus area in API shape (with ancestors), or ``None``."""
        with self._lock:
            if focus_area_id not in self._state["focusAreas"]:
                return None
            return self.get_focus_area(focus_area_id)

    def focus_area_types(self) -> list[dict[str, Any]]:
        """Return the focus-area types (``id``, ``name``, ``level``; level 1 is the top)."""
        with self._lock:
            return [dict(record) for record in self._state["focusAreaTypes"].values()]

    def organization_types(self) -> list[dict[str, Any]]:
        """Return the organization types."""
        with self._lock:
            return [dict(record) for record in self._state["organizationTypes"].values()]

    def organizations(self) -> list[dict[str, Any]]:
        """Return every organization, in creation order."""
        with self._lock:
            return [dict(record) for record in self._state["organizations"].values()]

    def cost_items(self) -> list[dict[str, Any]]:
        """Return every cost item as stored: under the bulk request's names, with its period values and timestamps."""
        with self._lock:
            return copy.deepcopy(list(self._state[COST.collection].values()))

    def benefit_items(self) -> list[dict[str, Any]]:
        """Return every benefit item as stored (see :meth:`cost_items`)."""
        with self._lock:
            return copy.deepcopy(list(self._state[BENEFIT.collection].values()))

    def counts(self) -> dict[str, int]:
        """Return how many focus areas, organizations, cost items and benefit items there are."""
        with self._lock:
            return {key: len(self._state[key]) for key in ("focusAreas", "organizations", "costItems", "benefitItems")}

    # --- Focus areas ------------------------------------------------------------------------------------------

    def list_focus_areas(
        self, query: Mapping[str, str], after: Key | None = None, limit: int = model.MAX_PAGE_SIZE
    ) -> tuple[list[dict[str, Any]], Page]:
        """
        Return one page of the focus areas matching the filters of a list request, in the asked order.

        :param query: ``nameContains`` (case-insensitive), ``externalId`` (exact), ``parentId``, ``sort``.
        :param after: the keyset position of the previous page's last item (see :mod:`.index`).
        :param limit: the page size.
        :return: copies of the records and the page (ids, next key, total).
        """
        return self._list(_FOCUS_AREAS, query, after, limit, (model.PARAM_EXTERNAL_ID, model.PARAM_PARENT_ID))

    def get_focus_area(self, focus_area_id: str) -> dict[str, Any]:
        """
        Return one focus area with its ``ancestors`` (root first).

        :raises ApiError: 404 for an unknown id.
        """
        with self._lock:
            record = self._state["focusAreas"].get(focus_area_id)
            if record is None:
                raise not_found("Focus area", focus_area_id)
            view = dict(record)
            view[model.FIELD_ANCESTORS] = self._ancestors(record)
            return view

    def create_focus_area(self, body: Any, caller_account_id: str) -> dict[str, Any]:
        """
        Create a focus area: status ``PENDING``, ``draft`` false, owner defaults to the caller (a blank owner is a 400).

        [DOC] The target date is not set on create: a body that carries one (or status, or draft) is refused.

        :param body: the request body.
        :param caller_account_id: account id of the authenticated caller.
        :raises ApiError: 400 for a missing or invalid field.
        """
        body = _require_object(body)
        _check_fields(body, _FOCUS_AREA_CREATE_FIELDS, model.READ_ONLY_FOCUS_AREA_FIELDS, "a focus area")
        with self._lock:
            name = _check_name(model.FIELD_NAME, body.get(model.FIELD_NAME))
            type_id = body.get(model.FIELD_FOCUS_AREA_TYPE_ID)
            if type_id is None or type_id == "":
                raise missing_field(model.FIELD_FOCUS_AREA_TYPE_ID)
            if not isinstance(type_id, str) or type_id not in self._state["focusAreaTypes"]:
                raise invalid_field(model.FIELD_FOCUS_AREA_TYPE_ID, f"names no focus area type: {type_id!r}")
            for field in (model.FIELD_EXTERNAL_ID, model.FIELD_DESCRIPTION):
                _check_optional_string(field, body.get(field))
            _check_account_id(model.FIELD_OWNER_ACCOUNT_ID, body.get(model.FIELD_OWNER_ACCOUNT_ID))
            parent_id = body.get(model.FIELD_PARENT_ID)
            self._check_parent(parent_id, type_id, None)
            stamp = self.clock.stamp()
            focus_area_id = self._next_id("fa")
            self._state["focusAreas"][focus_area_id] = {
                model.FIELD_ID: focus_area_id,
                model.FIELD_NAME: name,
                model.FIELD_FOCUS_AREA_TYPE_ID: type_id,
                model.FIELD_EXTERNAL_ID: body.get(model.FIELD_EXTERNAL_ID),
                model.FIELD_PARENT_ID: parent_id,
                model.FIELD_OWNER_ACCOUNT_ID: body.get(model.FIELD_OWNER_ACCOUNT_ID) or caller_account_id,
                model.FIELD_DESCRIPTION: body.get(model.FIELD_DESCRIPTION),
                model.FIELD_STATUS: model.INITIAL_FOCUS_AREA_STATUS,
                model.FIELD_DRAFT: False,
                model.FIELD_TARGET_DATE: None,  # [DOC] "not set on create"
                model.FIELD_CREATED_AT: stamp,
                model.FIELD_UPDATED_AT: stamp,
            }
            self._changed(_FOCUS_AREAS, focus_area_id, counters=True)
            log.debug("Created focus area %s", focus_area_id)
            return self.get_focus_area(focus_area_id)

    def update_focus_area(self, focus_area_id: str, body: Any, update_mask: list[str] | None) -> dict[str, Any]:
        """
        Change a focus area.

        With ``update_mask``: the listed fields are set from the body, listed fields absent from the body (or
        null) are cleared, unlisted fields are untouched. Without it: the keys present in the body are set.
        [DOC: support article] Only name, owner, external id and description can change: a parent, a target date
        or anything else is refused.

        :param focus_area_id: the focus area.
        :param body: the request body.
        :param update_mask: field names from ``updateMask``, or ``None``.
        :raises ApiError: 404 for an unknown id, 400 for read-only, unknown or invalid fields.
        """
        body = _require_object(body)
        with self._lock:
            record = self._state["focusAreas"].get(focus_area_id)
            if record is None:
                raise not_found("Focus area", focus_area_id)
            fields = list(body) if update_mask is None else update_mask
            changes = {field: body.get(field) for field in fields}
            _check_fields(changes, model.UPDATABLE_FOCUS_AREA_FIELDS, model.READ_ONLY_FOCUS_AREA_FIELDS, "a focus area")
            if model.FIELD_NAME in changes:
                _check_name(model.FIELD_NAME, changes[model.FIELD_NAME])
            for field in (model.FIELD_EXTERNAL_ID, model.FIELD_DESCRIPTION):
                if field in changes:
                    _check_optional_string(field, changes[field])
            if model.FIELD_OWNER_ACCOUNT_ID in changes:
                _check_account_id(model.FIELD_OWNER_ACCOUNT_ID, changes[model.FIELD_OWNER_ACCOUNT_ID])
            if model.FIELD_TARGET_DATE in changes:
                _check_date(model.FIELD_TARGET_DATE, changes[model.FIELD_TARGET_DATE])
            if model.FIELD_PARENT_ID in changes:
                self._check_parent(
                    changes[model.FIELD_PARENT_ID], record[model.FIELD_FOCUS_AREA_TYPE_ID], focus_area_id
                )
            if changes:
                record.update(changes)
                record[model.FIELD_UPDATED_AT] = self.clock.stamp(record.get(model.FIELD_UPDATED_AT))
                self._changed(_FOCUS_AREAS, focus_area_id)
            return self.get_focus_area(focus_area_id)

    def set_focus_area_status(self, focus_area_id: str, status: Any) -> dict[str, Any]:
        """
        Move a focus area to another status, as its owner would in the product (the API cannot: [MODEL]).

        :param focus_area_id: the focus area.
        :param status: one of ``model.FOCUS_AREA_STATUSES``.
        :raises ApiError: 404 for an unknown id, 400 for an unknown status.
        """
        if status not in model.FOCUS_AREA_STATUSES:
            raise invalid_field(model.FIELD_STATUS, f"must be one of {', '.join(model.FOCUS_AREA_STATUSES)}")
        with self._lock:
            record = self._state["focusAreas"].get(focus_area_id)
            if record is None:
                raise not_found("Focus area", focus_area_id)
            record[model.FIELD_STATUS] = status
            record[model.FIELD_UPDATED_AT] = self.clock.stamp(record.get(model.FIELD_UPDATED_AT))
            self._changed(_FOCUS_AREAS, focus_area_id)
            return self.get_focus_area(focus_area_id)

    def _check_parent(self, parent_id: Any, type_id: str, own_id: str | None) -> None:
        if parent_id is None:
            return
        if not isinstance(parent_id, str):
            raise invalid_field(model.FIELD_PARENT_ID, "must be a string or null")
        parent = self._state["focusAreas"].get(parent_id)
        if parent is None or parent_id == own_id:
            raise invalid_field(model.FIELD_PARENT_ID, f"names no focus area that can be a parent: {parent_id!r}")
        types = self._state["focusAreaTypes"]
        if types[parent[model.FIELD_FOCUS_AREA_TYPE_ID]]["level"] >= types[type_id]["level"]:
            raise invalid_field(
                model.FIELD_PARENT_ID,
                f"must be a focus area of a higher-level type than {types[type_id]['name']!r}",
            )

    def _ancestors(self, record: Mapping[str, Any]) -> list[dict[str, Any]]:
        ancestors: list[dict[str, Any]] = []
        seen = {record[model.FIELD_ID]}
        parent_id = record.get(model.FIELD_PARENT_ID)
        while parent_id is not None and parent_id not in seen:
            parent = self._state["focusAreas"].get(parent_id)
            if parent is None:
                break
            seen.add(parent_id)
            ancestors.append({model.FIELD_ID: parent_id, model.FIELD_NAME: parent[model.FIELD_NAME]})
            parent_id = parent.get(model.FIELD_PARENT_ID)
        ancestors.reverse()
        return ancestors

    def _list(
        self, collection: str, query: Mapping[str, str], after: Key | None, limit: int, exact_params: tuple[str, ...]
    ) -> tuple[list[dict[str, Any]], Page]:
        check_sort(query.get(model.PARAM_SORT))
        exact = {name: query[name] for name in exact_params if query.get(name) is not None}
        with self._lock:
            page = self._indexes[collection].page(
                exact=exact,
                name_contains=query.get(model.PARAM_NAME_CONTAINS) or None,
                sort=query.get(model.PARAM_SORT) or None,
                after=after,
                limit=limit,
            )
            records = self._state[collection]
            return [dict(records[record_id]) for record_id in page.ids], page

    # --- Organizations ----------------------------------------------------------------------------------------

    def list_organizations(
        self, query: Mapping[str, str], after: Key | None = None, limit: int = model.MAX_PAGE_SIZE
    ) -> tuple[list[dict[str, Any]], Page]:
        """
        Return one page of the organizations matching ``nameContains`` / ``parentId``, sorted by ``sort``.

        :param query: the query parameters.
        :param after: the keyset position of the previous page's last item.
        :param limit: the page size.
        """
        return self._list(_ORGANIZATIONS, query, after, limit, (model.PARAM_PARENT_ID,))

    def create_organization(self, body: Any) -> dict[str, Any]:
        """
        Create an organization (``name`` and ``organizationTypeId`` required; the parent is ``parentOrganizationId``).

        :param body: the request body.
        :raises ApiError: 400 for a missing or invalid field.
        """
        body = _require_object(body)
        read_only = frozenset({model.FIELD_ID, model.FIELD_CREATED_AT, model.FIELD_UPDATED_AT})
        _check_fields(body, _ORGANIZATION_CREATE_FIELDS, read_only, "an organization")
        with self._lock:
            name = _check_name(model.FIELD_NAME, body.get(model.FIELD_NAME))
            type_id = body.get(model.FIELD_ORGANIZATION_TYPE_ID)
            if type_id is None or type_id == "":
                raise missing_field(model.FIELD_ORGANIZATION_TYPE_ID)
            if not isinstance(type_id, str) or type_id not in self._state["organizationTypes"]:
                raise invalid_field(model.FIELD_ORGANIZATION_TYPE_ID, f"names no organization type: {type_id!r}")
            for field in (model.FIELD_EXTERNAL_ID, model.ORGANIZATION_PARENT_ID):
                _check_optional_string(field, body.get(field))
            _check_account_id(model.FIELD_OWNER_ACCOUNT_ID, body.get(model.FIELD_OWNER_ACCOUNT_ID))
            parent_id = body.get(model.ORGANIZATION_PARENT_ID)
            if parent_id is not None and parent_id not in self._state["organizations"]:
                raise invalid_field(model.ORGANIZATION_PARENT_ID, f"names no organization: {parent_id!r}")
            stamp = self.clock.stamp()
            org_id = self._next_id("org")
            record = {
                model.FIELD_ID: org_id,
                model.FIELD_NAME: name,
                model.FIELD_ORGANIZATION_TYPE_ID: type_id,
                model.FIELD_EXTERNAL_ID: body.get(model.FIELD_EXTERNAL_ID),
                # [MODEL] the answer's name of the parent: the list filter's (``parentId``), not the create's
                model.FIELD_PARENT_ID: parent_id,
                model.FIELD_CREATED_AT: stamp,
                model.FIELD_UPDATED_AT: stamp,
            }
            if body.get(model.FIELD_OWNER_ACCOUNT_ID) is not None:
                record[model.FIELD_OWNER_ACCOUNT_ID] = body[model.FIELD_OWNER_ACCOUNT_ID]
            self._state["organizations"][org_id] = record
            self._changed(_ORGANIZATIONS, org_id, counters=True)
            return dict(record)

    # --- Funds ------------------------------------------------------------------------------------------------

    def lookup(self, resource: str) -> list[dict[str, Any]]:
        """
        Return a funds lookup list.

        :param resource: one of ``funds/cost-type``, ``funds/cost-subtype``, ``funds/benefit-type``,
            ``funds/investment-category``.
        """
        with self._lock:
            return copy.deepcopy(self._state[LOOKUPS[resource]])

    #: How ``funds/investment-category`` answers, one of :data:`INVESTMENT_CATEGORY_SHAPES` (default: the page).
    investment_category_shape: str = "page"

    def bulk_upsert(self, kind: FundKind, body: Any) -> dict[str, Any]:
        """
        Create or update fund items one by one; a bad item is reported and skipped, the others applied.

        :param kind: :data:`COST` or :data:`BENEFIT`.
        :param body: ``{"items": [...]}``.
        :return: ``{"results": [...], "errors": [...]}`` ([MODEL], see ``model.py``).
        :raises ApiError: 400 when the body is not ``{"items": [...]}``.
        """
        body = _require_object(body)
        items = body.get(model.BULK_ITEMS)
        if items is None:
            raise missing_field(model.BULK_ITEMS)
        if not isinstance(items, list):
            raise invalid_field(model.BULK_ITEMS, "must be a list")
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        with self._lock:
            for index, item in enumerate(items):
                try:
                    item_id, created = self._upsert_fund_item(kind, item)
                except ApiError as error:
                    entry: dict[str, Any] = {model.BULK_INDEX: index}
                    if isinstance(item, dict):
                        for field in (kind.id_field, kind.external_id_field):
                            if item.get(field) is not None:
                                entry[field] = item[field]
                    entry[model.ERROR_TYPE] = error.error_type
                    entry[model.ERROR_MESSAGE] = error.message
                    errors.append(entry)
                    continue
                record = self._state[kind.collection][item_id]
                results.append(
                    {
                        model.BULK_INDEX: index,
                        kind.id_field: item_id,
                        kind.external_id_field: record.get(kind.external_id_field),
                        model.BULK_CREATED: created,
                    }
                )
            if results:
                self._changed(kind.collection, *(entry[kind.id_field] for entry in results), counters=True)
        return {model.BULK_RESULTS: results, model.BULK_ERRORS: errors}

    def get_fund_item(self, kind: FundKind, item_id: str) -> dict[str, Any]:
        """
        Return one fund item.

        :raises ApiError: 404 for an unknown id.
        """
        with self._lock:
            record = self._state[kind.collection].get(item_id)
            if record is None:
                raise not_found(kind.label, item_id)
            return self._fund_view(kind, record)

    def update_fund_item(
        self, kind: FundKind, item_id: str, body: Any, update_mask: list[str] | None
    ) -> dict[str, Any]:
        """
        Change a fund item with ``updateMask`` semantics (see :meth:`update_focus_area`).

        [DOC] The only field a PATCH may set is ``externalCostItemId`` (cost items) or ``externalId`` (benefit
        items); any other field is refused with a 400 naming the supported one.

        :raises ApiError: 404 for an unknown id, 400 for a field a PATCH may not set or an invalid value.
        """
        body = _require_object(body)
        with self._lock:
            record = self._state[kind.collection].get(item_id)
            if record is None:
                raise not_found(kind.label, item_id)
            fields = list(body) if update_mask is None else update_mask
            changes = {field: body.get(field) for field in fields}
            supported = ", ".join(sorted(kind.patchable))
            for field in changes:
                if field not in kind.patchable:
                    raise invalid_field(field, f"cannot be updated; the supported fields are {supported}")
            updated = dict(record)
            for field, value in changes.items():
                _check_optional_string(field, value)
                updated[kind.patchable[field]] = value
            if changes:
                updated[model.FIELD_UPDATED_AT] = self.clock.stamp(record.get(model.FIELD_UPDATED_AT))
                self._state[kind.collection][item_id] = updated
                self._changed(kind.collection, item_id)
            return self._fund_view(kind, self._state[kind.collection][item_id])

    def delete_fund_item(self, kind: FundKind, item_id: str) -> None:
        """
        Delete a fund item for good.

        :raises ApiError: 404 for an unknown id.
        """
        with self._lock:
            if self._state[kind.collection].pop(item_id, None) is None:
                raise not_found(kind.label, item_id)
            self._changed(kind.collection, item_id)

    def _fund_view(self, kind: FundKind, record: Mapping[str, Any]) -> dict[str, Any]:
        """The documented answer of ``GET funds/{cost,benefit}-item/{id}``: exactly ``kind.answer_fields``."""
        stored = {
            kind.id_field: record.get(kind.id_field),
            model.FUND_FOCUS_AREA_ID: record.get(model.FUND_FOCUS_AREA_ID),
            model.FIELD_NAME: record.get(model.FIELD_NAME),
        }
        if kind is COST:
            stored.update(
                {
                    model.ANSWER_EXTERNAL_COST_ITEM_ID: record.get(model.COST_ITEM_EXTERNAL_ID),
                    model.COST_TYPE: record.get(model.COST_TYPE),
                    # [MODEL] the reference does not say how a subtype's id relates to its key: the key is served
                    model.ANSWER_COST_SUBTYPE_ID: record.get(model.COST_SUBTYPE_KEY),
                    model.EXPENDITURE_TYPE: record.get(model.EXPENDITURE_TYPE),
                    model.ANSWER_INVESTMENT_CATEGORY_ID: self._investment_category_id(
                        record.get(model.INVESTMENT_CATEGORY_KEY)
                    ),
                }
            )
        else:
            stored[model.ANSWER_EXTERNAL_BENEFIT_ITEM_ID] = record.get(model.BENEFIT_ITEM_EXTERNAL_ID)
        return {field: copy.deepcopy(stored.get(field)) for field in kind.answer_fields}

    def _investment_category_id(self, key: Any) -> Any:
        for entry in self._state["investmentCategories"]:
            if entry.get(model.LOOKUP_KEY) == key:
                return entry.get(model.INVESTMENT_CATEGORY_ID)
        return None

    def _upsert_fund_item(self, kind: FundKind, item: Any) -> tuple[str, bool]:
        item = _require_object(item, "An item")
        for field in item:
            if field not in kind.request_fields:
                raise invalid_field(field, f"is not a field of a {kind.label.lower()} request")
        collection: dict[str, dict[str, Any]] = self._state[kind.collection]
        existing: dict[str, Any] | None = None
        item_id = item.get(kind.id_field)
        external_id = item.get(kind.external_id_field)
        if item_id is not None:
            existing = collection.get(item_id) if isinstance(item_id, str) else None
            if existing is None:
                raise not_found(kind.label, str(item_id))
        elif external_id is not None:
            existing = next((r for r in collection.values() if r.get(kind.external_id_field) == external_id), None)
        changes = {field: value for field, value in item.items() if field != kind.id_field}
        if existing is not None:
            updated = self._apply_fund_changes(kind, dict(existing), changes, creating=False)
            updated[model.FIELD_UPDATED_AT] = self.clock.stamp(existing.get(model.FIELD_UPDATED_AT))
            collection[existing[kind.id_field]] = updated
            return existing[kind.id_field], False
        record = self._apply_fund_changes(kind, {}, changes, creating=True)
        new_id = self._next_id(kind.counter)
        stamp = self.clock.stamp()
        record.update({kind.id_field: new_id, model.FIELD_CREATED_AT: stamp, model.FIELD_UPDATED_AT: stamp})
        collection[new_id] = record
        return new_id, True

    def _apply_fund_changes(
        self, kind: FundKind, record: dict[str, Any], changes: Mapping[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        """Validate ``changes`` against ``record`` and return the changed copy (``record`` is not touched)."""
        if creating or model.FIELD_NAME in changes:
            record[model.FIELD_NAME] = _check_name(model.FIELD_NAME, changes.get(model.FIELD_NAME))
        if creating or model.FUND_FOCUS_AREA_ID in changes or model.FUND_FOCUS_AREA_EXTERNAL_ID in changes:
            record[model.FUND_FOCUS_AREA_ID] = self._resolve_focus_area(changes)
        if creating or kind.type_field in changes:
            type_key = changes.get(kind.type_field)
            if type_key is None or type_key == "":
                raise missing_field(kind.type_field)
            known = {entry[model.LOOKUP_KEY] for entry in self._state[kind.type_lookup]}
            if type_key not in known:
                raise invalid_field(kind.type_field, f"must be one of {', '.join(sorted(known))}")
            record[kind.type_field] = type_key
        if creating or kind.period_field in changes:
            record[kind.period_field] = _check_period_values(kind.period_field, changes.get(kind.period_field))
        for field in (kind.external_id_field, *kind.extra_fields):
            if creating or field in changes:
                _check_optional_string(field, changes.get(field))
                record[field] = changes.get(field)
        if kind is COST and (creating or model.EXPENDITURE_TYPE in changes):
            record[model.EXPENDITURE_TYPE] = _expenditure_type_key(changes.get(model.EXPENDITURE_TYPE))
        category = record.get(model.INVESTMENT_CATEGORY_KEY)
        if kind is COST and category is not None and self._investment_category_id(category) is None:
            keys = sorted(str(entry.get(model.LOOKUP_KEY)) for entry in self._state["investmentCategories"])
            raise invalid_field(model.INVESTMENT_CATEGORY_KEY, f"must be one of {', '.join(keys)}")
        return record

    def _resolve_focus_area(self, changes: Mapping[str, Any]) -> str:
        focus_areas = self._state["focusAreas"]
        focus_area_id = changes.get(model.FUND_FOCUS_AREA_ID)
        external_id = changes.get(model.FUND_FOCUS_AREA_EXTERNAL_ID)
        if focus_area_id is None and external_id is None:
            raise missing_field(f"{model.FUND_FOCUS_AREA_ID}] or [{model.FUND_FOCUS_AREA_EXTERNAL_ID}")
        if focus_area_id is not None:
            if focus_area_id not in focus_areas:
                raise invalid_field(model.FUND_FOCUS_AREA_ID, f"names no focus area: {focus_area_id!r}")
            if external_id is not None and focus_areas[focus_area_id].get(model.FIELD_EXTERNAL_ID) != external_id:
                raise invalid_field(model.FUND_FOCUS_AREA_EXTERNAL_ID, "does not match focusAreaId")
            return str(focus_area_id)
        for record in focus_areas.values():
            if record.get(model.FIELD_EXTERNAL_ID) == external_id:
                return str(record[model.FIELD_ID])
        raise invalid_field(model.FUND_FOCUS_AREA_EXTERNAL_ID, f"names no focus area: {external_id!r}")
