"""
Read batch input as a stream: JSON Lines or CSV from an open text file, one record at a time.

Nothing here holds more than one record: a 1 GB file is read in constant memory. Opening the file (a local path or
an object storage URL) is the caller's business, so that this module needs no Airflow.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from airflow_provider_focus.exceptions import FocusConfigError

#: Input formats by name; a file's extension picks one unless ``format=`` is given.
FORMATS: dict[str, tuple[str, ...]] = {"jsonl": (".jsonl", ".ndjson"), "csv": (".csv",)}


def accepted_formats() -> str:
    """Return the accepted formats and extensions, for messages."""
    return "; ".join(f"{name} ({', '.join(extensions)})" for name, extensions in FORMATS.items())


def format_of(path: str, format: str | None = None) -> str:
    """
    Return the input format of a file: ``format`` when given, else the one its extension names.

    :param path: the file's path or URL.
    :param format: ``"jsonl"`` or ``"csv"``, or ``None`` to go by the extension.
    :raises FocusConfigError: for an unknown format or extension, naming the accepted ones.
    """
    if format is not None:
        wanted = format.strip().lower().lstrip(".")
        wanted = {"ndjson": "jsonl", "json-lines": "jsonl", "jsonlines": "jsonl"}.get(wanted, wanted)
        if wanted not in FORMATS:
            raise FocusConfigError(f"format={format!r} is not an input format; accepted: {accepted_formats()}.")
        return wanted
    name = path.lower().split("?", 1)[0].rstrip("/")
    for found, extensions in FORMATS.items():
        if name.endswith(extensions):
            return found
    raise FocusConfigError(
        f"Cannot tell the format of {path!r} from its extension; accepted: {accepted_formats()}. Rename the file "
        "or pass format='jsonl' or format='csv'."
    )


def iter_records(handle: IO[str], *, format: str, source: str) -> Iterator[dict[str, Any]]:
    """
    Yield the records of an open text file, one at a time.

    JSON Lines: one JSON object a line, blank lines skipped. CSV: the header row names the fields; an empty cell
    means "not given" and is left out of the record (so it neither reaches Focus nor clears a field).

    :param handle: the open file (text mode; CSV needs ``newline=""``).
    :param format: ``"jsonl"`` or ``"csv"`` (see :func:`format_of`).
    :param source: the file's name, for messages.
    :raises FocusConfigError: for a line that is not a JSON object, or a CSV without a header; the message names
        the line.
    """
    if format == "csv":
        return _csv_records(handle, source)
    if format == "jsonl":
        return _json_lines(handle, source)
    raise FocusConfigError(f"format={format!r} is not an input format; accepted: {accepted_formats()}.")


def _json_lines(handle: IO[str], source: str) -> Iterator[dict[str, Any]]:
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


def _csv_records(handle: IO[str], source: str) -> Iterator[dict[str, Any]]:
    reader = csv.DictReader(handle)
    if not reader.fieldnames:
        return
    if any(not (name or "").strip() for name in reader.fieldnames):
        raise FocusConfigError(f"{source}: the CSV header has an empty column name: {reader.fieldnames!r}.")
    for row in reader:
        if None in row:
            raise FocusConfigError(f"{source} line {reader.line_num} has more cells than the header names.")
        record = {name.strip(): value for name, value in row.items() if value not in (None, "")}
        if record:
            yield record


def records_of(value: Any, *, name: str) -> Iterable[Any]:
    """
    Return the records of an argument: a list, or a string holding a JSON list (what a template renders to).

    :param value: the argument's (rendered) value.
    :param name: the argument's name, for messages.
    :raises FocusConfigError: when it is neither.
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise FocusConfigError(f"{name} rendered to a string that is not a JSON list.") from None
    if not isinstance(value, (list, tuple)):
        raise FocusConfigError(f"{name} must be a list of dicts, got {type(value).__name__}.")
    return value
