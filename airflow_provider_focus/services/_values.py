"""
The one check of a record's values, for every caller: the file reader (which names the file and the line) and the
upsert (for records given as a list). A key of the wrong type or size, a field name that is no string, text that
is not Unicode (a lone surrogate), ``NaN``, a value JSON cannot hold, nesting too deep, a huge string.

A reader marks what it yields as checked (:class:`CheckedRecords`), so a record read from a file is checked once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, Final

from airflow_provider_focus.api import model
from airflow_provider_focus.api.bodies import unencodable

#: A key quoted in a message or a report is cut to this many characters.
KEY_SHOWN_CHARS = 100

#: The longest string a record may hold (characters), in any field: [MODEL] ``MAX_TEXT_CHARS``.
MAX_STRING_CHARS: Final = model.MAX_TEXT_CHARS


class CheckedRecords(Iterator[Any]):
    """
    Records a reader has checked with :func:`value_problem` (a bad one is a ``BadRecord``): not checked again.

    Iterating it iterates the reader itself (no step in between).

    :param records: the reader's records.
    """

    #: What the services look for before they check each record's values.
    values_checked: Final = True

    def __init__(self, records: Iterator[Any]) -> None:
        self._records = records

    def __iter__(self) -> Iterator[Any]:
        return self._records

    def __next__(self) -> Any:
        return next(self._records)

    def close(self) -> None:
        """Close the reader (and its file, if it opened it)."""
        close = getattr(self._records, "close", None)
        if close is not None:
            close()


def values_checked(records: Any) -> bool:
    """Return whether ``records`` come from a reader that checked each record's values."""
    return getattr(records, "values_checked", False) is True


def shown(key: str) -> str:
    """Return a key as a report shows it: cut to :data:`KEY_SHOWN_CHARS` characters, lone surrogates escaped."""
    key = key if len(key) <= KEY_SHOWN_CHARS else key[:KEY_SHOWN_CHARS] + "..."
    return key.encode("utf-8", "backslashreplace").decode("utf-8")


def key_problem(value: Any, field: str) -> str | None:
    """
    Return why ``value`` cannot be an external id (a record's own or its parent's), or ``None``.

    A string or an integer is accepted (a spreadsheet's number column); a float (``NaN`` from an empty cell, ``1.0``),
    a boolean, a list or anything else is refused rather than sent as its ``str()``.

    :param value: the value (not blank).
    :param field: the record field it came from, for the message.
    """
    if type(value) is str and len(value) <= model.MAX_EXTERNAL_ID_CHARS and value.isascii():
        return None  # the common case, in C: ASCII text holds no surrogate
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return f"{field} is a {type(value).__name__}, not a string: an external id must be text (or an integer)"
    text = str(value)
    if len(text) > model.MAX_EXTERNAL_ID_CHARS:
        return f"{field} is {len(text)} characters long, more than {model.MAX_EXTERNAL_ID_CHARS}"
    return _surrogate_problem(text, field)


def value_problem(record: Mapping[Any, Any]) -> str | None:
    """
    Return why a record cannot be sent to Focus as it is, naming the field, or ``None`` when it can.

    Found before anything is sent, so that it fails the record and not the run: a field name that is no string, a
    value JSON cannot hold (``NaN``, infinity, an object of no JSON type), nesting deeper than ``MAX_BODY_DEPTH``
    (200), a lone surrogate in a value or a field name (no text encoding can carry one) or a string longer than
    :data:`MAX_STRING_CHARS`.

    :param record: the record.
    """
    if _flat_and_fine(record):
        return None
    for name in record:
        if not isinstance(name, str):
            return f"it has a field named {cut_repr(name)} ({type(name).__name__}); field names must be strings"
    if problem := unencodable(dict(record)):  # first: it also bounds the depth the walk below goes to
        return problem
    pending: list[tuple[Any, str]] = [(record, "")]
    while pending:
        value, where = pending.pop()
        if isinstance(value, str):
            if len(value) > MAX_STRING_CHARS:
                return f"{where} is {len(value)} characters long, more than {MAX_STRING_CHARS}"
            if problem := _surrogate_problem(value, where):
                return problem
        elif isinstance(value, Mapping):
            for name, item in reversed(list(value.items())):  # reversed: the first field is looked at first
                label = f"{where}.{name}" if where else str(name)
                pending.append((item, label))
                pending.append((str(name), f"the field name {label!r}"))
        elif isinstance(value, (list, tuple)):
            pending.extend((item, f"{where}[{index}]") for index, item in reversed(list(enumerate(value))))
    return None


def surrogate_at(text: str) -> int | None:
    """
    Return the index of the first lone surrogate in ``text`` (no encoding can carry one), or ``None``.

    :param text: the text.
    """
    if text.isascii():
        return None
    for index, char in enumerate(text):
        if "\ud800" <= char <= "\udfff":
            return index
    return None


def _surrogate_problem(text: str, where: str) -> str | None:
    index = surrogate_at(text)
    if index is None:
        return None
    return (
        f"{where} holds a lone surrogate (U+{ord(text[index]):04X} at character {index + 1}), which no text encoding "
        "can carry: fix the source text"
    )


def _flat_and_fine(record: Mapping[Any, Any]) -> bool:
    """Whether a record is flat and plainly fine (the common case, in one pass): :func:`value_problem` is ``None``."""
    try:  # in C: every name a string, every value a string (or empty, None, 0, False)
        names = "".join(record)
        text = "".join(filter(None, record.values()))
    except TypeError:
        pass  # a value of another type: look at each
    else:
        if len(text) <= MAX_STRING_CHARS:
            return (names.isascii() or _encodes(names)) and (text.isascii() or _encodes(text))
    for name, value in record.items():
        if type(name) is not str or not (name.isascii() or _encodes(name)):
            return False
        kind = type(value)
        if kind is str:
            if len(value) > MAX_STRING_CHARS or not (value.isascii() or _encodes(value)):
                return False
        elif kind is float:
            if not math.isfinite(value):
                return False
        elif value is not None and kind is not int and kind is not bool:
            return False
    return True


def column_fine(values: list[Any]) -> bool:
    """
    Whether every value of a column is plainly fine, as :func:`value_problem` sees a field (the common case, in C).

    ``False`` says only "look at each record": a column of text (or ``None``) is fine when no value is longer than
    :data:`MAX_STRING_CHARS` and none holds a lone surrogate; of integers or booleans, always; of floats, when
    every one is finite. Another type (a list, a dict, a float among text) is left to the check per record.

    :param values: the column's values, ``None`` where a record has none.
    """
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if not kinds:
        return True
    if kinds == {str}:
        text = "".join(filter(None, values))
        if len(text) > MAX_STRING_CHARS and max(map(len, filter(None, values))) > MAX_STRING_CHARS:
            return False
        return text.isascii() or _encodes(text)
    if kinds <= {int, bool}:
        return True
    if kinds <= {float, int}:
        return all(map(math.isfinite, filter(None, values)))  # None, 0 and 0.0 are finite alike
    return False


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def cut_repr(value: Any) -> str:
    """Return ``repr(value)`` cut to :data:`KEY_SHOWN_CHARS` characters."""
    text = repr(value)
    return text if len(text) <= KEY_SHOWN_CHARS else text[:KEY_SHOWN_CHARS] + "..."
