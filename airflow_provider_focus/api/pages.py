"""
Cursor pagination, decided once: what to ask for next, what a page means, when to stop.

The sync and the async client only fetch the page a :class:`Pager` asks for and hand it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_focus.api import model
from airflow_provider_focus.exceptions import BODY_EXCERPT_CHARS, FocusError, FocusResponseError


class Pager:
    """
    The state of one walk over a paginated collection.

    Use it as: ``while (query := pager.next_query()) is not None: items = pager.take(fetch(query))``.

    :param path: the collection, relative to the API root (for messages).
    :param params: filters to send with every page.
    :param page_size: the ``limit`` to ask for; the server may return fewer.
    :param max_items: stop after this many items.
    """

    def __init__(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> None:
        self.path = path
        self._query: dict[str, Any] = dict(params or {})
        limit = page_size
        if max_items is not None and (limit is None or max_items < limit):
            limit = max_items
        if limit is not None:
            self._query[model.PARAM_LIMIT] = limit
        self._max_items = max_items
        self._count = 0
        self._done = max_items is not None and max_items <= 0
        self._next_cursor: str | None = None
        self._seen_cursors: set[str] = set()

    def next_query(self) -> dict[str, Any] | None:
        """
        Return the query parameters of the next page to fetch, or ``None`` when the walk is over.

        :raises FocusError: when the server sent a cursor it had sent before (a loop).
        """
        if self._done:
            return None
        if self._next_cursor is not None:
            cursor = self._next_cursor
            if cursor in self._seen_cursors:
                raise FocusError(f"Focus API GET {self.path} returned the cursor {cursor!r} twice; stopping.")
            self._seen_cursors.add(cursor)
            self._query[model.PARAM_CURSOR] = cursor
        return dict(self._query)

    def take(self, page: Any) -> list[Any]:
        """
        Read one page: return the items to hand out (cut at ``max_items``) and note where to continue.

        :param page: the decoded body of the page.
        :raises FocusResponseError: when the body is not a page with a ``values`` list.
        """
        values = page.get(model.PAGE_VALUES) if isinstance(page, dict) else None
        if not isinstance(page, dict) or not isinstance(values, list):
            raise FocusResponseError(
                status_code=200,
                method="GET",
                path=self.path,
                body_excerpt=str(page)[:BODY_EXCERPT_CHARS],
                hint=f"Expected a page with a {model.PAGE_VALUES!r} list.",
            )
        if self._max_items is not None and self._count + len(values) >= self._max_items:
            values = values[: self._max_items - self._count]
            self._done = True
        self._count += len(values)
        next_cursor = page.get(model.PAGE_NEXT_CURSOR)
        if page.get(model.PAGE_LAST) or not next_cursor:
            self._done = True
        elif isinstance(next_cursor, bool) or not isinstance(next_cursor, (str, int)):
            raise FocusResponseError(
                status_code=200,
                method="GET",
                path=self.path,
                body_excerpt=repr(next_cursor)[:BODY_EXCERPT_CHARS],
                hint=f"Expected {model.PAGE_NEXT_CURSOR!r} to be a string.",
            )
        else:
            self._next_cursor = str(next_cursor)
        return values
