"""
Sorted and exact-match indexes over one collection of the emulator, so that a list page costs what the page
holds, not what the tenant holds.

Every order a list can ask for (creation order, and each :data:`~airflow_provider_focus.api.model.SORT_VALUES`
field) is a Python list of keys ``(value, seq)`` kept sorted with :mod:`bisect`; ``seq`` is the record's place in
creation order, so ties on the value always come in the same order (ascending: oldest first; a descending sort
reverses the whole key, ties included). Cursors are keysets: the key of the last item served, so a page starts
with a binary search and a change elsewhere in the collection never shifts a walk by one.

Exact filters (``parentId``, ``externalId``) come from hash indexes: a filtered page sorts only the matching
records. ``nameContains`` is a substring test on a case-folded copy of each name, scanned from the cursor until the
page is full.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_focus.api import model

#: The order of a list without ``sort``: creation order.
CREATION_ORDER = ""
Key = tuple[Any, ...]
Record = Mapping[str, Any]


def name_key(record: Record) -> str:
    """Sort key of ``name``: case-insensitive."""
    return str(record.get(model.FIELD_NAME) or "").casefold()


def text_key(field: str) -> Callable[[Record], str]:
    """Return the sort key of a text field (ISO 8601 timestamps sort as text)."""

    def key(record: Record) -> str:
        return str(record.get(field) or "")

    return key


#: Sort keys of the sortable fields ([MODEL] ``SORT_VALUES`` without the ``-``).
SORT_KEYS: dict[str, Callable[[Record], Any]] = {
    model.FIELD_NAME: name_key,
    model.FIELD_UPDATED_AT: text_key(model.FIELD_UPDATED_AT),
}


@dataclass(frozen=True)
class Page:
    """
    One page of a listing.

    :param ids: the ids on the page, in order.
    :param next_key: the keyset cursor of the next page, or ``None`` on the last page.
    :param total: how many records match the listing in all.
    """

    ids: list[str]
    next_key: Key | None
    total: int


class CollectionIndex:
    """
    Keep the ids of one collection in creation order, in every sort order, and by exact-match fields.

    Not thread-safe: the store calls it under its own lock.

    :param exact_fields: fields an exact filter may name (``parentId``, ``externalId``).
    """

    def __init__(self, exact_fields: Sequence[str] = ()) -> None:
        self._exact_fields = tuple(exact_fields)
        self.clear()

    def clear(self) -> None:
        """Forget every record."""
        self._next_seq = 0
        self._seq: dict[str, int] = {}
        self._id_of: dict[int, str] = {}
        self._orders: dict[str, list[Key]] = {CREATION_ORDER: [], **{field: [] for field in SORT_KEYS}}
        self._key_of: dict[str, dict[int, Key]] = {order: {} for order in self._orders}
        self._exact: dict[str, dict[Any, set[int]]] = {field: {} for field in self._exact_fields}
        self._exact_value: dict[str, dict[int, Any]] = {field: {} for field in self._exact_fields}
        self._folded_names: dict[int, str] = {}
        self._version = 0
        self._count_cache: dict[tuple[Any, ...], tuple[int, int]] = {}
        self._keys_cache: dict[tuple[Any, ...], tuple[int, list[Key]]] = {}

    def rebuild(self, records: Iterable[Record]) -> None:
        """
        Index ``records`` from scratch, in the given (creation) order.

        :param records: every record of the collection.
        """
        self.clear()
        for record in records:
            self.put(record)

    def __len__(self) -> int:
        return len(self._seq)

    # --- changes ----------------------------------------------------------------------------------------------

    def put(self, record: Record) -> None:
        """
        Add a record, or re-index one whose fields changed.

        :param record: the record as stored (its ``id`` names it).
        """
        record_id = str(record[model.FIELD_ID])
        seq = self._seq.get(record_id)
        if seq is None:
            seq = self._next_seq
            self._next_seq += 1
            self._seq[record_id] = seq
            self._id_of[seq] = record_id
            self._set_key(CREATION_ORDER, seq, (seq,))
        for field, key_of in SORT_KEYS.items():
            self._set_key(field, seq, (key_of(record), seq))
        for field in self._exact_fields:
            self._set_exact(field, seq, record.get(field))
        self._folded_names[seq] = name_key(record)
        self._version += 1

    def remove(self, record_id: str) -> None:
        """
        Forget a record.

        :param record_id: its id.
        """
        seq = self._seq.pop(record_id, None)
        if seq is None:
            return
        del self._id_of[seq]
        for order, keys in self._orders.items():
            key = self._key_of[order].pop(seq)
            del keys[bisect_left(keys, key)]
        for field in self._exact_fields:
            self._set_exact(field, seq, None, keep=False)
        del self._folded_names[seq]
        self._version += 1

    def _set_key(self, order: str, seq: int, key: Key) -> None:
        keys, key_of = self._orders[order], self._key_of[order]
        old = key_of.get(seq)
        if old == key:
            return
        if old is not None:
            del keys[bisect_left(keys, old)]
        insort(keys, key)
        key_of[seq] = key

    def _set_exact(self, field: str, seq: int, value: Any, *, keep: bool = True) -> None:
        values, buckets = self._exact_value[field], self._exact[field]
        if seq in values:
            old = values.pop(seq)
            bucket = buckets.get(old)
            if bucket is not None:
                bucket.discard(seq)
                if not bucket:
                    del buckets[old]
        if keep:
            values[seq] = value
            buckets.setdefault(value, set()).add(seq)

    # --- queries ----------------------------------------------------------------------------------------------

    def page(
        self,
        *,
        exact: Mapping[str, str],
        name_contains: str | None,
        sort: str | None,
        after: Key | None,
        limit: int,
    ) -> Page:
        """
        Return one page of the ids that match the filters, in the asked order, after a keyset cursor.

        :param exact: exact filters, field to value (fields among ``exact_fields``).
        :param name_contains: a case-insensitive substring of the name, or ``None``.
        :param sort: a value of ``SORT_VALUES`` or ``None`` for creation order.
        :param after: the key of the last item of the previous page, or ``None`` for the first page.
        :param limit: the page size.
        """
        order, descending = self.order_of(sort)
        needle = name_contains.casefold() if name_contains else None
        if exact:
            keys = self._matching_keys(order, exact, needle)
            total = len(keys)
            if descending:
                stop = len(keys) if after is None else bisect_left(keys, after)
                selected = keys[max(0, stop - limit - 1) : stop][::-1]
            else:
                start = 0 if after is None else bisect_right(keys, after)
                selected = keys[start : start + limit + 1]
        else:
            total = self._count(needle)
            selected = []
            for key in self._walk(order, descending, after):
                if needle is None or needle in self._folded_names[key[-1]]:
                    selected.append(key)
                    if len(selected) > limit:
                        break
        more = len(selected) > limit
        selected = selected[:limit]
        return Page(
            ids=[self._id_of[key[-1]] for key in selected],
            next_key=selected[-1] if more and selected else None,
            total=total,
        )

    @staticmethod
    def order_of(sort: str | None) -> tuple[str, bool]:
        """
        Return the index order and direction of a ``sort`` value.

        :param sort: ``None``, ``"name"``, ``"-updatedAt"``, ...
        """
        if not sort:
            return CREATION_ORDER, False
        return sort.lstrip("-"), sort.startswith("-")

    def _walk(self, order: str, descending: bool, after: Key | None) -> Iterator[Key]:
        keys = self._orders[order]
        if descending:
            stop = len(keys) if after is None else bisect_left(keys, after)
            for position in range(stop - 1, -1, -1):
                yield keys[position]
        else:
            start = 0 if after is None else bisect_right(keys, after)
            for position in range(start, len(keys)):
                yield keys[position]

    def _matching_keys(self, order: str, exact: Mapping[str, str], needle: str | None) -> list[Key]:
        # Cached until the next change, so walking a filtered listing page by page sorts its matches once.
        cache_key = (order, tuple(sorted(exact.items())), needle)
        cached = self._keys_cache.get(cache_key)
        if cached is not None and cached[0] == self._version:
            return cached[1]
        candidates: set[int] | None = None
        for field, value in sorted(exact.items(), key=lambda item: len(self._exact[item[0]].get(item[1], ()))):
            bucket = self._exact[field].get(value, set())
            candidates = set(bucket) if candidates is None else candidates & bucket
            if not candidates:
                break
        key_of = self._key_of[order]
        keys = sorted(key_of[seq] for seq in candidates or () if needle is None or needle in self._folded_names[seq])
        if len(self._keys_cache) > 64:
            self._keys_cache.clear()
        self._keys_cache[cache_key] = (self._version, keys)
        return keys

    def _count(self, needle: str | None) -> int:
        if needle is None:
            return len(self._seq)
        cached = self._count_cache.get((needle,))
        if cached is not None and cached[0] == self._version:
            return cached[1]
        count = sum(1 for name in self._folded_names.values() if needle in name)
        if len(self._count_cache) > 256:
            self._count_cache.clear()
        self._count_cache[(needle,)] = (self._version, count)
        return count


def key_shape_ok(sort: str | None, key: tuple[Any, ...]) -> bool:
    """
    Tell whether ``key`` (decoded from a cursor) can be a key of the order of ``sort``.

    :param sort: the listing's ``sort``.
    :param key: the decoded key.
    """
    if not key or not _is_int(key[-1]):
        return False
    if not sort:
        return len(key) == 1
    return len(key) == 2 and isinstance(key[0], str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
