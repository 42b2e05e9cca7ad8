"""The shared body of the list operators: return a small list to XCom, or stream a big one to a file."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.operators._jsonl import write_jsonl

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
) -> list[dict[str, Any]] | dict[str, Any]:
    """
    Return the items as a list, or write them to ``output_path`` as JSON Lines and return ``{"path", "count"}``.

    :param fetch: iterates over the items, given the most it should yield (``None``: all).
    :param what: the kind of items, for messages (``"focus areas"``).
    :param max_items: stop after this many.
    :param output_path: a local path or object storage URL; ``None`` returns the list.
    :param max_xcom_items: refuse to return more than this many through XCom.
    :param log: the operator's logger.
    :raises FocusConfigError: when the list would exceed ``max_xcom_items``.
    """
    if output_path:
        path, count = write_jsonl(output_path, _logged(fetch(max_items), what, log))
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
