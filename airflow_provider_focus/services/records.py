"""
Read batch input as a stream: JSON Lines or CSV, one record at a time, from a path or an open file.

:func:`read_records` is the one reader behind every caller (the operators' ``input_path``, a ``@task`` that calls
the hook, a script): it strips a byte-order mark, decodes with ``encoding=`` (default UTF-8, with or without a
byte-order mark), splits CSV cells on ``delimiter=`` (default: whichever of ``,`` ``;`` tab ``|`` the header line
uses) and never stops halfway: a line that cannot be a record (bytes the encoding cannot decode, invalid JSON,
nesting too deep, ``NaN``, a lone surrogate, a cell or line too large) comes out as a :class:`BadRecord` naming
the file, the line and the fix, and the services report it as a failed record while the rest of the file is
applied. Only a problem of the whole file (the wrong format, a header without the key) raises
:class:`~airflow_provider_focus.exceptions.FocusConfigError`.

Nothing here holds more than one record: a 1 GB file is read in constant memory. This module needs no Airflow:
object storage is opened by the caller (``ObjectStoragePath(...)`` has an ``open`` method and is accepted as is).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from itertools import chain
from typing import IO, Any

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.services._values import (
    MAX_STRING_CHARS as MAX_STRING_CHARS,  # the longest string a record may hold, here as it always was
)
from airflow_provider_focus.services._values import (
    CheckedRecords,
    value_problem,
)

#: Input formats by name; a file's extension picks one unless ``format=`` is given.
FORMATS: dict[str, tuple[str, ...]] = {"jsonl": (".jsonl", ".ndjson"), "csv": (".csv",), "parquet": (".parquet",)}

#: Rows read from a Parquet file at a time (within a row group; memory holds one such batch).
PARQUET_BATCH_ROWS = 1024

#: The default encoding: UTF-8, with or without a byte-order mark (what Excel's "CSV UTF-8" writes).
DEFAULT_ENCODING = "utf-8-sig"

#: The CSV delimiters the header line is sniffed for, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")

#: The longest JSON line (in characters) read as a record; a longer one is a failed record, read past in chunks.
MAX_LINE_CHARS = 8 * 1024 * 1024


_NAMES = {",": "','", ";": "';'", "\t": "'\\t' (tab)", "|": "'|'"}

#: Signatures of files that are not text, with what to do about them.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?): save it as 'CSV UTF-8' and read that"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 .xls workbook: save it as 'CSV UTF-8' and read that"),
    (b"\x1f\x8b", "gzip-compressed: decompress it first"),
    (b"PAR1", "a Parquet file: give it the .parquet extension or pass format='parquet'"),
)


@dataclass(frozen=True)
class BadRecord:
    """
    A line of the input that cannot be a record; the services report it as a failed record and read on.

    :param source: the file's name.
    :param line: the line's number (a Parquet file's row number), counting from 1.
    :param reason: why, with the likely fix.
    :param unit: what ``line`` counts: ``"line"``, or ``"row"`` in a Parquet file.
    """

    source: str
    line: int
    reason: str
    unit: str = "line"

    def __str__(self) -> str:
        return f"{self.source} {self.unit} {self.line}: {self.reason}"


def accepted_formats() -> str:
    """Return the accepted formats and extensions, for messages."""
    return "; ".join(f"{name} ({', '.join(extensions)})" for name, extensions in FORMATS.items())


def format_of(path: str, format: str | None = None) -> str:
    """
    Return the input format of a file: ``format`` when given, else the one its extension names.

    :param path: the file's path or URL.
    :param format: ``"jsonl"``, ``"csv"`` or ``"parquet"``, or ``None`` to go by the extension.
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
        "or pass format='jsonl', format='csv' or format='parquet'."
    )


def check_encoding(encoding: str | None) -> str:
    """
    Return the codec to decode with: ``encoding``, or UTF-8 with an optional byte-order mark.

    :param encoding: a Python codec name (``"utf-8"``, ``"cp1252"``, ``"latin-1"``, ...) or ``None``.
    :raises FocusConfigError: for a name Python does not know.
    """
    if encoding is None or (isinstance(encoding, str) and not encoding.strip()):
        return DEFAULT_ENCODING
    try:
        name = codecs.lookup(str(encoding)).name
    except LookupError:
        raise FocusConfigError(
            f"encoding={encoding!r} is not a known encoding; try 'utf-8', 'cp1252' (Excel on Windows) or 'latin-1'."
        ) from None
    # plain UTF-8 gets the BOM-tolerant codec: a byte-order mark is never part of the data
    return DEFAULT_ENCODING if name == "utf-8" else name


def check_delimiter(delimiter: str | None) -> str | None:
    """
    Return a CSV delimiter that can work, or ``None`` to sniff it from the header line.

    :param delimiter: one character (``","``, ``";"``, ``"\\t"``, ...), or ``None``.
    :raises FocusConfigError: for anything else.
    """
    if delimiter is None or delimiter == "":
        return None
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        raise FocusConfigError(f"delimiter={delimiter!r} must be one character other than a quote or a line break.")
    return delimiter


def read_records(
    source: Any,
    *,
    format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    key: str | None = None,
    name: str | None = None,
) -> Iterator[dict[str, Any] | BadRecord]:
    """
    Yield the records of a JSON Lines, CSV or Parquet file, one at a time, and a :class:`BadRecord` for each bad line.

    JSON Lines: one JSON object a line, blank lines skipped. CSV: the header row names the fields; an empty cell
    means "not given" and is left out of the record (so it neither reaches Focus nor clears a field). Pass what
    this yields to ``FocusHook().upsert_focus_areas`` or the fund imports: a bad line becomes a failed record of
    the report (naming the file, the line and the fix) and the rest of the file is applied.

    :param source: a local path (``str`` or ``pathlib.Path``), an object with an ``open`` method (Airflow's
        ``ObjectStoragePath``), or an open file: binary (decoded here) or text (decoded by whoever opened it). A
        path is opened when the first record is read and closed at the end; an open file is left open.
    :param format: ``"jsonl"``, ``"csv"`` or ``"parquet"`` (needs the ``parquet`` extra: pyarrow, read by row group);
        by default the file's extension decides.
    :param encoding: the file's encoding (``"cp1252"`` for Excel on Windows, ``"latin-1"``, ...); default UTF-8
        with or without a byte-order mark. Ignored for a file opened in text mode.
    :param delimiter: the CSV delimiter; by default whichever of ``,`` ``;`` tab ``|`` the header line holds most.
    :param key: the field every record needs (the upsert's external id): a CSV header without it is refused with
        the header found and the likely fix.
    :param name: the file's name for messages (default: its path).
    :raises FocusConfigError: at once for an argument that cannot work; while reading, for a file that is not
        the format named (a workbook, a compressed file, CSV read as JSON Lines or the reverse) or a CSV header
        that cannot work. Every other problem is a :class:`BadRecord`.
    """
    label = name or _name_of(source)
    kind = format_of(label, format) if format is not None or label != "<input>" else None
    if kind is None:
        raise FocusConfigError(
            "An open file has no name to tell its format by: pass format='jsonl', format='csv' or format='parquet'."
        )
    if isinstance(source, str) and "://" in source and not source.startswith("file://"):
        raise FocusConfigError(
            f"{source!r} is a URL: pass ObjectStoragePath({source!r}, conn_id=...) (airflow.sdk) to read object "
            "storage, or a local path."
        )
    codec = check_encoding(encoding)
    sep = check_delimiter(delimiter)
    return CheckedRecords(_read(source, kind, codec, sep, key, label))


def iter_records(handle: IO[Any], *, format: str, source: str) -> Iterator[dict[str, Any] | BadRecord]:
    """
    Yield the records of an open file, one at a time (:func:`read_records` with ``format`` and ``name``).

    :param handle: the open file (text mode, as ``open(path, newline="")`` gives, or binary mode).
    :param format: ``"jsonl"`` or ``"csv"`` (see :func:`format_of`).
    :param source: the file's name, for messages.
    """
    return read_records(handle, format=format, name=source)


def _name_of(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    if hasattr(source, "open") and not hasattr(source, "read"):
        return str(source)
    named = getattr(source, "name", None)
    return named if isinstance(named, str) and named else "<input>"


def _read(
    source: Any, kind: str, codec: str, sep: str | None, key: str | None, label: str
) -> Iterator[dict[str, Any] | BadRecord]:
    if kind == "parquet":
        from airflow_provider_focus.services import _parquet

        yield from _parquet.read(source, label=label, key=key, batch_rows=PARQUET_BATCH_ROWS)
        return
    with _opened(source, codec, label) as (handle, decoded_here):
        lines = _Lines(handle, label, codec, decoded_here)
        if kind == "csv":
            yield from _csv_records(lines, sep, key, label)
        else:
            yield from _json_lines(lines, label)


@contextmanager
def _opened(source: Any, codec: str, label: str) -> Iterator[tuple[IO[str], bool]]:
    """Yield a text handle on ``source`` and whether this module decodes it (bad bytes become escapes)."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        path = path[len("file://") :] if isinstance(path, str) and path.startswith("file://") else path
        try:
            binary: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as err:
            raise FocusConfigError(f"Cannot open {label}: {err.strerror or err}.") from None
        with binary, _decoding(binary, codec) as text:
            yield text, True
        return
    if hasattr(source, "open") and not hasattr(source, "read"):
        with source.open("rb") as binary, _decoding(binary, codec) as text:
            yield text, True
        return
    if not hasattr(source, "read"):
        raise FocusConfigError(f"Cannot read records from a {type(source).__name__}: pass a path or an open file.")
    if isinstance(source, io.TextIOBase) or isinstance(source.read(0), str):
        yield source, False
        return
    with _decoding(source, codec) as text:
        yield text, True


@contextmanager
def _decoding(binary: IO[bytes], codec: str) -> Iterator[IO[str]]:
    # surrogateescape: an undecodable byte becomes a lone surrogate that the line's check reports, instead of an
    # exception that would end the file; newline="": the csv module's own rule, and JSON strings hold no raw CR
    text = io.TextIOWrapper(binary, encoding=codec, errors="surrogateescape", newline="")
    try:
        yield text
    finally:
        with suppress(ValueError):  # already detached or closed
            text.detach()  # the caller's handle stays open (a wrapper closes what it wraps when collected)


class _Lines:
    """The physical lines of a text handle, numbered, with the byte-order mark stripped and decoding errors found."""

    def __init__(self, handle: IO[str], label: str, codec: str, decoded_here: bool) -> None:
        self.handle = handle
        self.label = label
        self.codec = codec
        self.decoded_here = decoded_here
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        while True:
            line = self.readline()
            if line is None:
                return
            yield line

    def readline(self, limit: int = -1) -> str | None:
        """Return the next line (up to ``limit`` characters), or ``None`` at the end."""
        try:
            line = self.handle.readline(limit)
        except UnicodeDecodeError as err:
            if self.decoded_here:  # pragma: no cover - surrogateescape leaves no byte undecoded
                raise FocusConfigError(f"{self.label} after line {self.number}: {err}.") from None
            raise FocusConfigError(
                f"{self.label} after line {self.number}: byte 0x{err.object[err.start]:02X} is not "
                f"{err.encoding}. {_encoding_hint(err.encoding)} (The file was opened in text mode by the caller; "
                "pass the path or a binary handle to read_records, with encoding=..., to read it.)"
            ) from None
        except UnicodeError as err:  # e.g. "UTF-16 stream does not start with BOM"
            raise FocusConfigError(
                f"{self.label} after line {self.number} cannot be decoded as {_codec_name(self.codec)}: {err}. "
                "Pass the file's encoding as encoding=..."
            ) from None
        if not line:
            return None
        if self.number == 0:
            self.check_start(line)
            line = line.lstrip("\ufeff")
        self.number += 1
        return line

    def check_start(self, line: str) -> None:
        """Refuse a file that is not text: a workbook, an archive, a UTF-16 file read as UTF-8."""
        try:
            head = line[:4].encode("utf-8" if self.codec == DEFAULT_ENCODING else self.codec, "surrogateescape")
        except (UnicodeError, LookupError):
            head = b""
        for signature, what in _SIGNATURES:
            if head.startswith(signature):
                raise FocusConfigError(f"{self.label} is not text but {what}.")
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) and not self.codec.startswith("utf-16"):
            raise FocusConfigError(
                f"{self.label} starts with a UTF-16 byte-order mark (Excel's 'Unicode Text'): pass encoding='utf-16'."
            )
        misread = self.utf8_mark_misread(line, head)
        if misread is not None:
            raise FocusConfigError(misread)

    def utf8_mark_misread(self, line: str, head: bytes) -> str | None:
        """
        Return why a UTF-8 file read with a single-byte encoding is refused, or ``None``.

        Excel's "CSV UTF-8" starts with a byte-order mark. Read as Latin-1 or cp1252, every accented letter would
        reach Focus garbled ("Café" as "CafÃ©"), with no error after the first line; the mark says the file is UTF-8.
        """
        if self.decoded_here:
            if not head.startswith(codecs.BOM_UTF8) or _is_utf8(self.codec):
                return None
            garbled = "é".encode().decode(self.codec, "replace")
            return (
                f"{self.label} starts with a UTF-8 byte-order mark, so it is UTF-8 (Excel's 'CSV UTF-8' writes one), "
                f"but encoding= names {self.codec}: every accented letter would be read wrong (é as {garbled}). "
                "Leave encoding= unset (UTF-8, with or without the mark), or pass encoding='utf-8'."
            )
        if not line.startswith(codecs.BOM_UTF8.decode("latin-1")):  # the mark as Latin-1 or cp1252 shows it: ï»¿
            return None
        return (
            f"{self.label} starts with a UTF-8 byte-order mark read as another encoding ('ï»¿'): it is UTF-8, and "
            "every accented letter would be read wrong (é as Ã©). It was opened in text mode by the caller: open it "
            "with encoding='utf-8-sig', or pass the path or a binary handle to read_records."
        )

    def decoding_problem(self, text: str, where: str = "") -> str | None:
        """Return why ``text`` (read by this module) holds bytes the encoding could not decode, or ``None``."""
        if not self.decoded_here or text.isascii():
            return None
        for column, char in enumerate(text, start=1):
            if "\udc80" <= char <= "\udcff" and self.decoded_here:
                byte = ord(char) - 0xDC00
                return (
                    f"{where}byte 0x{byte:02X} at character {column} is not {_codec_name(self.codec)}. "
                    f"{_encoding_hint(self.codec)}"
                )
        return None


def _codec_name(codec: str) -> str:
    return "UTF-8" if codec == DEFAULT_ENCODING else codec


def _is_utf8(codec: str) -> bool:
    return codecs.lookup(codec).name in ("utf-8", "utf-8-sig")


def _encoding_hint(codec: str) -> str:
    if _is_utf8(codec):
        return "The file is in another encoding: pass encoding='cp1252' (Excel on Windows) or encoding='latin-1'."
    return "Pass the file's encoding as encoding=... (e.g. 'utf-8')."


# --- JSON Lines -------------------------------------------------------------------------------------------------


def _json_lines(lines: _Lines, label: str) -> Iterator[dict[str, Any] | BadRecord]:
    seen_a_record = False
    while True:
        line = lines.readline(MAX_LINE_CHARS + 1)
        if line is None:
            return
        number = lines.number
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            while (rest := lines.handle.readline(MAX_LINE_CHARS)) and not rest.endswith("\n"):
                pass
            yield BadRecord(label, number, f"the line is longer than {MAX_LINE_CHARS:,} characters; it was skipped")
            continue
        if not line.strip():
            continue
        problem = lines.decoding_problem(line)
        if problem is not None:
            yield BadRecord(label, number, problem)
            seen_a_record = True
            continue
        record = _json_record(line, label, number, first=not seen_a_record)
        seen_a_record = True
        yield record


class _NotJson(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity``: Python's json reads them, JSON has no such value."""


def _reject_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not JSON (write null, or leave the field out)")


def _json_record(line: str, label: str, number: int, *, first: bool) -> dict[str, Any] | BadRecord:
    try:
        value = json.loads(line.rstrip("\r\n"), parse_constant=_reject_constant)
    except RecursionError:
        return BadRecord(label, number, "the JSON is nested too deeply to read")
    except _NotJson as err:
        return BadRecord(label, number, str(err))
    except ValueError as err:
        if first:
            _refuse_csv_as_json(line, label)
        column = getattr(err, "colno", None)
        where = f" (character {column})" if column else ""
        message = getattr(err, "msg", None) or str(err)
        return BadRecord(label, number, f"not valid JSON{where}: {message}")
    if not isinstance(value, dict):
        return BadRecord(label, number, f"a JSON {_json_kind(value)}, not an object: each line must be one record")
    problem = record_problem(value)
    if problem is not None:
        return BadRecord(label, number, problem)
    return value


def _refuse_csv_as_json(line: str, label: str) -> None:
    """The first line of a JSON Lines file is no JSON: if it looks like a CSV header, the whole file is CSV."""
    text = line.strip()
    if text.startswith(("{", "[", '"')):
        return
    counts = {sep: _count_outside_quotes(text, sep) for sep in DELIMITERS}
    sep = max(DELIMITERS, key=lambda found: counts[found])
    if counts[sep]:
        raise FocusConfigError(
            f"{label} line 1 is not JSON but looks like a CSV header ({_NAMES[sep]}-delimited: {text[:80]!r}): "
            "pass format='csv' or give the file the .csv extension."
        )


def _json_kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def record_problem(record: Mapping[Any, Any]) -> str | None:
    """
    Return why a record cannot be sent to Focus as it is, or ``None`` when it can: the services' one check of a
    record's values, which the reader and the upsert share (a field name that is no string, ``NaN``, a value JSON
    cannot hold, nesting too deep, a lone surrogate, a string longer than :data:`MAX_STRING_CHARS`).

    :param record: the record.
    """
    return value_problem(record)


# --- CSV ----------------------------------------------------------------------------------------------------------


def _count_outside_quotes(text: str, sep: str) -> int:
    count, quoted = 0, False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            count += 1
    return count


def sniff_delimiter(header: str) -> str:
    """
    Return the delimiter a CSV header line uses: whichever of ``,`` ``;`` tab ``|`` it holds most (``,`` if none).

    :param header: the header line.
    """
    counts = {sep: _count_outside_quotes(header, sep) for sep in DELIMITERS}
    best = max(DELIMITERS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _csv_records(lines: _Lines, sep: str | None, key: str | None, label: str) -> Iterator[dict[str, Any] | BadRecord]:
    first = lines.readline()
    if first is None or not first.strip():
        return
    if first.lstrip().startswith("{"):
        raise FocusConfigError(
            f"{label} line 1 is not a CSV header but a JSON object ({first.strip()[:60]!r}...): the file is JSON "
            "Lines; pass format='jsonl' or give it the .jsonl extension."
        )
    delimiter = sep or sniff_delimiter(first)
    reader = csv.reader(chain([first], lines), delimiter=delimiter)
    names = _header(reader, lines, label, delimiter, given=sep is not None, key=key)
    while True:
        before = reader.line_num
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            if reader.line_num == before:  # pragma: no cover - csv always reads on; a guard against a loop
                return
            yield BadRecord(label, reader.line_num, _csv_error(err))
            continue
        bad = _row_problem(row, names, lines, delimiter)
        if bad is not None:
            yield BadRecord(label, reader.line_num, bad)
            continue
        record = {name: value for name, value in zip(names, row, strict=False) if value != ""}
        problem = value_problem(record)
        if problem is not None:
            yield BadRecord(label, reader.line_num, problem)
        elif record:
            yield record


def _csv_error(err: csv.Error) -> str:
    text = str(err)
    if "field limit" in text:
        return (
            f"a cell is larger than {csv.field_size_limit():,} characters (the csv module's limit): a quote left "
            "open swallows the lines after it; the row was skipped"
        )
    return f"not valid CSV: {text}"


def _header(reader: Any, lines: _Lines, label: str, delimiter: str, *, given: bool, key: str | None) -> list[str]:
    try:
        header = next(reader)
    except csv.Error as err:
        raise FocusConfigError(f"{label} line 1: the CSV header cannot be read: {_csv_error(err)}.") from None
    problem = lines.decoding_problem(delimiter.join(header), "the header: ")
    if problem is not None:
        raise FocusConfigError(f"{label} line 1: {problem}")
    names = [name.strip() for name in header]
    for column, name in enumerate(names, start=1):
        if not name:
            raise FocusConfigError(
                f"{label} line 1: column {column} of the CSV header has no name ({_shown(header)}); name it or "
                "remove the column."
            )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise FocusConfigError(f"{label} line 1: the CSV header names {', '.join(map(repr, repeated))} twice.")
    if key and key not in names:
        raise FocusConfigError(_missing_key(label, names, key, delimiter, given=given))
    return names


def _shown(header: list[str]) -> str:
    text = ", ".join(repr(name) for name in header[:12])
    return f"found {text}{', ...' if len(header) > 12 else ''}"


def _missing_key(label: str, names: list[str], key: str, delimiter: str, *, given: bool) -> str:
    message = f"{label} line 1: the CSV header has no column {key!r}, which every record needs ({_shown(names)})."
    others = [sep for sep in DELIMITERS if sep != delimiter and any(sep in name for name in names)]
    alike = [name for name in names if name.replace("_", "").lower() == key.replace("_", "").lower()]
    if others:
        how = f"delimiter={others[0]!r}" + (f" (not {delimiter!r})" if given else "")
        message += f" The cells look {_NAMES[others[0]]}-delimited: pass {how}."
    elif alike:
        message += f" Did you mean key={alike[0]!r}? Rename the column or pass key={alike[0]!r}."
    else:
        message += " Add the column, or pass key= naming the column that holds the external id."
    return message


def _row_problem(row: list[str], names: list[str], lines: _Lines, delimiter: str) -> str | None:
    if len(row) > len(names) and any(cell != "" for cell in row[len(names) :]):
        return (
            f"the row has {len(row)} cells, the header names {len(names)}: is there an unquoted "
            f"{_NAMES.get(delimiter, repr(delimiter))} in a cell? Quote the cell; the row was skipped"
        )
    for name, cell in zip(names, row, strict=False):
        problem = lines.decoding_problem(cell, f"column {name!r}: ")
        if problem is not None:
            return problem
    return None


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
        except (ValueError, RecursionError):
            raise FocusConfigError(f"{name} rendered to a string that is not a JSON list.") from None
    if not isinstance(value, (list, tuple)):
        raise FocusConfigError(f"{name} must be a list of dicts, got {type(value).__name__}.")
    return value
