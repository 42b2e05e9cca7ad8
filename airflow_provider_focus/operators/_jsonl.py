"""Stream records to and from local paths or Airflow object storage, without holding the data in memory."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any, cast

from airflow.providers.common.compat.sdk import ObjectStoragePath

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.services.records import format_of, iter_records

log = logging.getLogger(__name__)


def as_storage_path(location: str | ObjectStoragePath) -> ObjectStoragePath:
    """
    Turn a local path or an object storage URL (``file:///...``, ``s3://...``) into an ``ObjectStoragePath``.

    :param location: where the data lives.
    """
    if isinstance(location, ObjectStoragePath):
        return location
    if not isinstance(location, str) or not location.strip():
        raise FocusConfigError(f"A path or object storage URL is needed, got {location!r}.")
    return ObjectStoragePath(location.strip())


def write_jsonl(location: str | ObjectStoragePath, records: Iterable[Any]) -> tuple[str, int]:
    """
    Write ``records`` as JSON Lines, one at a time, to a temporary name next to the target, then rename it.

    A run that fails halfway leaves nothing under the final name (the temporary file is removed, best effort); an
    existing file under the final name is replaced only once the new one is complete. How atomic the rename is
    depends on the storage:

    - local files (and ``file://``): ``os.rename`` within one directory, atomic; a reader sees the old file or the
      new one, never a mix.
    - object stores (``s3://``, ``gs://``, ...): there is no rename. fsspec copies the temporary object to the
      final key and then deletes the temporary one. The final object appears only once the data is complete
      (a single object write is atomic there), but the swap is two requests, not one: if the task dies between
      them, a complete ``.<name>.<random>.part`` object is left behind, and a large copy takes time of its own.

    :param location: the target path or URL.
    :param records: JSON-able objects; consumed lazily.
    :return: the target as a string and the number of lines written.
    """
    target = as_storage_path(location)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.part")
    count = 0
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
                handle.write("\n")
                count += 1
        temporary.rename(target)
    except BaseException:
        try:
            if temporary.exists():
                temporary.unlink()
        except OSError:  # pragma: no cover - best effort
            log.warning("Could not remove the partial file %s", temporary)
        raise
    return str(target), count


@contextmanager
def open_records(location: str | ObjectStoragePath, *, format: str | None = None) -> Iterator[Iterator[dict[str, Any]]]:
    """
    Open a JSON Lines or CSV file (local path or object storage URL) and yield its records, read one at a time.

    :param location: the source path or URL.
    :param format: ``"jsonl"`` or ``"csv"``; by default the extension decides (``.jsonl``, ``.ndjson``, ``.csv``).
    :raises FocusConfigError: for a format that is neither, naming the accepted ones; for a line that is not a
        record (naming the line).
    """
    kind = format_of(str(location), format)
    source = as_storage_path(location)
    # utf-8-sig: spreadsheet programs start a CSV with a byte order mark; newline="": the csv module's own rule
    with source.open("r", encoding="utf-8-sig", newline="") as handle:
        yield iter_records(_iterable(handle), format=kind, source=str(source))


class _Lines:
    """A text file read through ``readline``, for a file object whose class cannot be iterated."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    def readline(self, size: int | None = -1, /) -> str:
        return str(self._handle.readline(-1 if size is None else size))

    def __iter__(self) -> Iterator[str]:
        return iter(self.readline, "")


def _iterable(handle: Any) -> IO[str]:
    """
    Return ``handle``, or a line-by-line view of it when its class defines no ``__iter__``.

    Airflow 3.0's ``ObjectStoragePath.open`` returns a wrapper that forwards attributes but not iteration, so
    ``for line in handle`` (and the csv module) fell back to ``handle[0]`` and failed ("'_io.TextIOWrapper' object
    is not subscriptable").
    """
    if hasattr(type(handle), "__iter__"):
        return cast("IO[str]", handle)
    return cast("IO[str]", _Lines(handle))
