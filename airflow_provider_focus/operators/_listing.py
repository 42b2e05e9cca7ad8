"""The shared body of the list operators: return a small list to XCom, or stream a big one to a file."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import model
from airflow_provider_focus.arguments import as_positive_int, require_positive_int
from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.operators._jsonl import write_jsonl, write_parquet
from airflow_provider_focus.operators.base import FocusBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

#: The most items a list operator returns through XCom unless told otherwise.
DEFAULT_MAX_XCOM_ITEMS = 1000


def list_or_export(
    fetch: Callable[[int | None], Iterator[dict[str, Any]]],
    *,
    what: str,
    max_items: int | None,
    output_path: str | None,
    max_xcom_items: int,
    log: logging.Logger | Any,
    output_format: str = "jsonl",
) -> list[dict[str, Any]] | dict[str, Any]:
    """
    Return the items as a list, or write them to ``output_path`` as JSON Lines and return ``{"path", "count"}``.

    :param fetch: iterates over the items, given the most it should yield (``None``: all).
    :param what: the kind of items, for messages (``"focus areas"``).
    :param max_items: stop after this many.
    :param output_path: a local path or object storage URL; ``None`` returns the list.
    :param max_xcom_items: refuse to return more than this many through XCom.
    :param log: the operator's logger.
    :param output_format: ``"jsonl"``, or ``"parquet"`` (focus areas only: the stable columns).
    :raises FocusConfigError: when the list would exceed ``max_xcom_items``.
    """
    if output_path:
        writer = write_parquet if output_format == "parquet" else write_jsonl
        path, count = writer(output_path, _logged(fetch(max_items), what, log))
        log.info("Wrote %d %s to %s", count, what, path)
        return {"path": path, "count": count}
    limit = max_xcom_items + 1 if max_items is None else min(max_items, max_xcom_items + 1)
    items = list(fetch(limit))
    if len(items) > max_xcom_items:
        raise FocusConfigError(
            f"There are more than {max_xcom_items} {what}: too many to return through XCom, which is no place "
            "for big data. Set output_path (a local path or an object storage URL such as "
            "'file:///data/focus.jsonl' or 's3://bucket/focus.jsonl') to stream them to a file, or narrow the "
            "query with filters or max_items, or raise max_xcom_items."
        )
    log.info("Found %d %s", len(items), what)
    return items


def _logged(items: Iterator[dict[str, Any]], what: str, log: logging.Logger | Any, every: int = 1000) -> Iterator[Any]:
    for count, item in enumerate(items, start=1):
        yield item
        if count % every == 0:
            log.info("Exported %d %s so far", count, what)


class FocusListOperatorBase(FocusBaseOperator):
    """
    Base of the list operators: filters shared by every collection, the XCom cap and the JSON Lines export.

    Subclasses name the kind of item in :attr:`what` and iterate over the collection in :meth:`fetch`.

    :param name_contains: only items whose name contains this text. (templated)
    :param parent_id: only the children of this item. (templated)
    :param sort: sort order, e.g. ``name`` or ``-updatedAt``; a value outside ``model.SORT_VALUES`` (an
        assumption) is sent anyway, with a warning. (templated)
    :param max_items: stop after this many. (templated)
    :param output_path: a local path or an object storage URL to write JSON Lines to (or Parquet, for focus areas:
        a path ending in ``.parquet``). (templated)
    :param format: the file ``output_path`` gets: ``"jsonl"`` or ``"parquet"``; by default its extension decides.
    :param page_size: the page size to ask the API for.
    :param max_xcom_items: the most items returned through XCom (default 1,000).
    :param outlets: none by default (a read announces no write to Focus); each asset given (an export's file or
        any asset a downstream DAG is scheduled on) gets an event whose ``extra`` holds ``count`` and, for an
        export, ``path``.
    """

    template_fields: Sequence[str] = ("focus_conn_id", "name_contains", "parent_id", "sort", "max_items", "output_path")
    #: The kind of item, for messages.
    what = "items"
    #: Whether the items can be written as Parquet (they have a documented table shape).
    parquet = False

    def __init__(
        self,
        *,
        name_contains: str | None = None,
        parent_id: str | None = None,
        sort: str | None = None,
        max_items: int | None = None,
        output_path: str | None = None,
        page_size: int = model.MAX_PAGE_SIZE,
        max_xcom_items: int = DEFAULT_MAX_XCOM_ITEMS,
        format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if format is not None and format not in ("jsonl", "parquet"):
            raise FocusConfigError(f"format={format!r} is not an output format; accepted: 'jsonl', 'parquet'.")
        if format == "parquet" and not self.parquet:
            raise FocusConfigError(f"Parquet export is for focus areas (a documented table shape), not {self.what}.")
        self.format = format
        require_positive_int("max_items", max_items, optional=True)
        require_positive_int("page_size", page_size)
        require_positive_int("max_xcom_items", max_xcom_items)
        self.name_contains = name_contains
        self.parent_id = parent_id
        self.sort = sort
        self.max_items = max_items
        self.output_path = output_path
        self.page_size = page_size
        self.max_xcom_items = max_xcom_items

    def fetch(self, limit: int | None) -> Iterator[dict[str, Any]]:
        """
        Iterate over the collection with the rendered filters.

        :param limit: the most items to yield (``None``: all).
        """
        raise NotImplementedError

    def execute(self, context: Context) -> list[dict[str, Any]] | dict[str, Any]:
        """Return the items, or ``{"path", "count"}`` when they were written to ``output_path``."""
        if self.sort and self.sort not in model.SORT_VALUES:
            # The API's sort values are a [MODEL] guess: pass the value on and let the server judge it.
            self.log.warning(
                "Sorting by %r, which this provider does not know (it knows %s, partly guessed); the API may refuse it",
                self.sort,
                ", ".join(model.SORT_VALUES),
            )
        result = list_or_export(
            self.fetch,
            what=self.what,
            max_items=as_positive_int("max_items", self.max_items, optional=True),
            output_path=self.output_path or None,
            max_xcom_items=self.max_xcom_items,
            log=self.log,
            output_format=self._output_format(),
        )
        self.emit_output_event(context, self.output_extra(result))
        return result

    def output_extra(self, result: list[dict[str, Any]] | dict[str, Any]) -> dict[str, Any]:
        """
        Return the ``extra`` of the events of the task's declared outlets: ``count``, and ``path`` of an export.

        :param result: what the task returns.
        """
        if isinstance(result, dict):
            return {"count": result["count"], "path": str(result["path"])}
        return {"count": len(result)}

    def _output_format(self) -> str:
        if self.format is not None:
            return self.format
        path = str(self.output_path or "").lower().split("?", 1)[0]
        if path.endswith(".parquet"):
            if not self.parquet:
                raise FocusConfigError(f"Parquet export is for focus areas, not {self.what}: write JSON Lines.")
            return "parquet"
        return "jsonl"
