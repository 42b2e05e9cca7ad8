"""Stream JSON Lines to and from local paths or Airflow object storage, without holding the data in memory."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from airflow.providers.common.compat.sdk import ObjectStoragePath

from airflow_provider_focus.exceptions import FocusConfigError

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


def read_jsonl(location: str | ObjectStoragePath) -> Iterator[dict[str, Any]]:
    """
    Read JSON Lines lazily; blank lines are skipped.

    :param location: the source path or URL.
    :raises FocusConfigError: for a line that is not a JSON object (naming the line).
    """
    source = as_storage_path(location)
    with source.open("r", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as err:
                raise FocusConfigError(f"{source} line {number} is not valid JSON: {err}") from None
            if not isinstance(record, dict):
                raise FocusConfigError(f"{source} line {number} is not a JSON object.")
            yield record


def load_json_list(value: Any, input_path: str | None, *, name: str) -> list[Any]:
    """
    Return an operator's input records: read from ``input_path`` (JSON Lines) or given as a list.

    :param value: the rendered argument: a list, or a string holding a JSON list (a template's output).
    :param input_path: a JSON Lines file to read instead, if set.
    :param name: the argument's name, for messages.
    :raises FocusConfigError: when the value is neither.
    """
    if input_path is not None:
        return list(read_jsonl(str(input_path)))
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise FocusConfigError(f"{name} rendered to a string that is not a JSON list.") from None
    if not isinstance(value, (list, tuple)):
        raise FocusConfigError(f"{name} must be a list of dicts, got {type(value).__name__}.")
    return list(value)
