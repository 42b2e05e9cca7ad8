"""
Cursor pagination in the documented envelope (``values``, ``cursor``, ``last``, ``totalCount``,
``nextPageCursor``).

A cursor is opaque to clients: base64 of a position and a fingerprint of the listing (path, filters and sort), so
a cursor from another listing, or a made-up one, gets 400 ``INVALID_CURSOR``. Focus areas and organizations use
keyset positions (the sort key of the last item served, see :mod:`.index`); the small lookup lists use offsets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from airflow_provider_focus.api import model
from airflow_provider_focus.testing.errors import ApiError, invalid_field


def _fingerprint(listing: str, query: Mapping[str, str]) -> str:
    relevant = sorted((k, v) for k, v in query.items() if k not in (model.PARAM_CURSOR, model.PARAM_LIMIT))
    return hashlib.sha1(json.dumps([listing, relevant]).encode(), usedforsecurity=False).hexdigest()[:12]


def encode_cursor(offset: int, listing: str, query: Mapping[str, str]) -> str:
    """
    Return the opaque cursor of the page that starts at ``offset``.

    :param offset: index of the first item of the page.
    :param listing: the resource path listed.
    :param query: the query parameters of the listing (``cursor`` and ``limit`` are ignored).
    """
    raw = json.dumps({"o": offset, "f": _fingerprint(listing, query)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def encode_key_cursor(key: Sequence[Any] | None, listing: str, query: Mapping[str, str]) -> str:
    """
    Return the opaque keyset cursor of the page that follows the item with sort key ``key``.

    :param key: the sort key of the last item served, or ``None`` for the first page.
    :param listing: the resource path listed.
    :param query: the query parameters of the listing (``cursor`` and ``limit`` are ignored).
    """
    position = None if key is None else list(key)
    raw = json.dumps({"k": position, "f": _fingerprint(listing, query)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_key_cursor(
    cursor: str, listing: str, query: Mapping[str, str], valid: Callable[[tuple[Any, ...]], bool]
) -> tuple[Any, ...] | None:
    """
    Return the sort key a keyset cursor points after (``None``: the first page).

    :param cursor: the cursor the client sent.
    :param listing: the resource path listed.
    :param query: the query parameters of this request.
    :param valid: tells whether a decoded key has the shape of the listing's order.
    :raises ApiError: 400 ``INVALID_CURSOR`` for a cursor this listing did not issue.
    """
    data = _decode(cursor)
    if isinstance(data, dict) and data.get("f") == _fingerprint(listing, query) and "k" in data:
        key = data["k"]
        if key is None:
            return None
        if isinstance(key, list) and valid(tuple(key)):
            return tuple(key)
    raise ApiError(400, model.ErrorType.INVALID_CURSOR, f"Cursor [{cursor}] is invalid.")


def _decode(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None


def envelope(values: list[Any], cursor: str, next_cursor: str | None, total: int) -> dict[str, Any]:
    """
    Wrap one page in the documented envelope (``nextPageCursor`` left out on the last page: [MODEL]).

    :param values: the items of the page.
    :param cursor: the cursor of this page.
    :param next_cursor: the cursor of the next page, ``None`` on the last page.
    :param total: how many items the listing holds in all.
    """
    page: dict[str, Any] = {
        model.PAGE_VALUES: values,
        model.PAGE_CURSOR: cursor,
        model.PAGE_LAST: next_cursor is None,
        model.PAGE_TOTAL_COUNT: total,
    }
    if next_cursor is not None:
        page[model.PAGE_NEXT_CURSOR] = next_cursor
    return page


def decode_cursor(cursor: str, listing: str, query: Mapping[str, str]) -> int:
    """
    Return the offset a cursor points at.

    :param cursor: the cursor the client sent.
    :param listing: the resource path listed.
    :param query: the query parameters of this request.
    :raises ApiError: 400 ``INVALID_CURSOR`` for a cursor this listing did not issue.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        offset = data["o"]
        fingerprint = data["f"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        data = None
    if (
        data is None
        or not isinstance(offset, int)
        or isinstance(offset, bool)
        or offset < 0
        or fingerprint != _fingerprint(listing, query)
    ):
        raise ApiError(400, model.ErrorType.INVALID_CURSOR, f"Cursor [{cursor}] is invalid.")
    return offset


def parse_limit(query: Mapping[str, str], page_cap: int) -> int:
    """
    Return the page size for a request: ``limit`` (default :data:`model.DEFAULT_PAGE_SIZE`), at most the cap.

    :param query: the query parameters.
    :param page_cap: the server's cap; a larger ``limit`` silently gets this many.
    :raises ApiError: 400 for a ``limit`` that is not a positive integer.
    """
    raw = query.get(model.PARAM_LIMIT)
    if raw is None or raw == "":
        return min(model.DEFAULT_PAGE_SIZE, page_cap)
    try:
        limit = int(raw)
    except ValueError:
        raise invalid_field(model.PARAM_LIMIT, "must be a positive integer") from None
    if limit < 1:
        raise invalid_field(model.PARAM_LIMIT, "must be a positive integer")
    return min(limit, page_cap)


def paginate(items: Sequence[Any], listing: str, query: Mapping[str, str], page_cap: int) -> dict[str, Any]:
    """
    Cut one page out of ``items`` and wrap it in the envelope.

    ``nextPageCursor`` is left out on the last page ([MODEL]).

    :param items: every matching item, in order.
    :param listing: the resource path listed (binds cursors to it).
    :param query: the query parameters of the request.
    :param page_cap: the server's page cap.
    """
    limit = parse_limit(query, page_cap)
    cursor = query.get(model.PARAM_CURSOR)
    offset = decode_cursor(cursor, listing, query) if cursor else 0
    page = list(items[offset : offset + limit])
    last = offset + limit >= len(items)
    envelope: dict[str, Any] = {
        model.PAGE_VALUES: page,
        model.PAGE_CURSOR: encode_cursor(offset, listing, query),
        model.PAGE_LAST: last,
        model.PAGE_TOTAL_COUNT: len(items),
    }
    if not last:
        envelope[model.PAGE_NEXT_CURSOR] = encode_cursor(offset + limit, listing, query)
    return envelope
