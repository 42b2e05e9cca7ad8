"""Stream records to and from local paths or Airflow object storage (JSON Lines, CSV, Parquet), in constant memory."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from airflow.providers.common.compat.sdk import ObjectStoragePath

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.services.records import (
    BadRecord,
    check_delimiter,
    check_encoding,
    format_of,
    read_records,
)

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

    def write(handle: Any) -> int:
        count = 0
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode())
            handle.write(b"\n")
            count += 1
        return count

    return _write_atomically(location, write)


def write_parquet(location: str | ObjectStoragePath, focus_areas: Iterable[Any]) -> tuple[str, int]:
    """
    Write focus areas as Parquet with the stable columns (a row group per 10,000), then rename, as :func:`write_jsonl`.

    :param location: the target path or URL.
    :param focus_areas: focus areas as the API returns them; consumed lazily.
    :return: the target as a string and the number of rows written.
    :raises FocusConfigError: when pyarrow is not installed (the ``parquet`` extra).
    """
    from airflow_provider_focus.services import _parquet
    from airflow_provider_focus.services.columns import row_of

    _parquet.pyarrow_modules()  # before anything is created
    return _write_atomically(location, lambda handle: _parquet.write(handle, (row_of(fa) for fa in focus_areas)))


def _write_atomically(location: str | ObjectStoragePath, write: Callable[[Any], int]) -> tuple[str, int]:
    target = as_storage_path(location)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        with temporary.open("wb") as handle:
            count = write(handle)
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
def open_records(
    location: str | ObjectStoragePath,
    *,
    format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    key: str | None = None,
) -> Iterator[Iterator[dict[str, Any] | BadRecord]]:
    """
    Open a JSON Lines or CSV file (local path or object storage URL) and yield its records, read one at a time.

    The reading is :func:`~airflow_provider_focus.services.records.read_records`'s: a bad line comes out as a
    :class:`~airflow_provider_focus.services.records.BadRecord`, which the services report as a failed record.

    :param location: the source path or URL.
    :param format: ``"jsonl"`` or ``"csv"``; by default the extension decides (``.jsonl``, ``.ndjson``, ``.csv``).
    :param encoding: the file's encoding; default UTF-8 with or without a byte-order mark.
    :param delimiter: the CSV delimiter; default: sniffed from the header line.
    :param key: the field every record needs; a CSV header without it is refused.
    :raises FocusConfigError: for a format that is neither, naming the accepted ones; for a file that is not the
        format named, or a CSV header that cannot work.
    """
    kind = format_of(str(location), format)
    check_encoding(encoding)
    check_delimiter(delimiter)
    source = as_storage_path(location)
    with source.open("rb") as handle:
        yield read_records(handle, format=kind, encoding=encoding, delimiter=delimiter, key=key, name=str(source))
