"""What in a record cannot be sent: a key of the wrong type or size, text that is not Unicode, NaN, huge strings."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from airflow_provider_focus.api import model
from airflow_provider_focus.api.bodies import unencodable

#: A key quoted in a message or a report is cut to this many characters.
KEY_SHOWN_CHARS = 100


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
    return _not_unicode(text, field)


def value_problem(record: Mapping[Any, Any]) -> str | None:
    """
    Return why a record's fields cannot be sent as JSON, naming the field, or ``None``.

    :param record: the record.
    """
    if _flat_and_fine(record):
        return None
    for name in record:
        if not isinstance(name, str):
            return f"it has a field named {cut_repr(name)} ({type(name).__name__}); field names must be strings"
    if problem := unencodable(dict(record)):  # first: it also bounds the depth the walk below goes to
        return problem
    pending: list[tuple[Any, str]] = [(value, str(name)) for name, value in record.items()]
    while pending:
        value, where = pending.pop()
        if isinstance(value, str):
            if len(value) > model.MAX_TEXT_CHARS:
                return f"{where} is {len(value)} characters long, more than {model.MAX_TEXT_CHARS}"
            if problem := _not_unicode(value, where):
                return problem
        elif isinstance(value, Mapping):
            pending.extend((item, f"{where}.{key}") for key, item in value.items())
        elif isinstance(value, (list, tuple)):
            pending.extend((item, f"{where}[{index}]") for index, item in enumerate(value))
    return None


def _flat_and_fine(record: Mapping[Any, Any]) -> bool:
    """Whether a record is flat and plainly fine (the common case, in one pass): :func:`value_problem` is ``None``."""
    try:  # in C: every name a string, every value a string (or empty, None, 0, False)
        "".join(record)
        text = "".join(filter(None, record.values()))
    except TypeError:
        pass  # a value of another type: look at each
    else:
        if len(text) <= model.MAX_TEXT_CHARS:
            return text.isascii() or _encodes(text)
    for name, value in record.items():
        if type(name) is not str:
            return False
        kind = type(value)
        if kind is str:
            if len(value) > model.MAX_TEXT_CHARS or not (value.isascii() or _encodes(value)):
                return False
        elif kind is float:
            if not math.isfinite(value):
                return False
        elif value is not None and kind is not int and kind is not bool:
            return False
    return True


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_unicode(text: str, where: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return f"{where} holds a lone surrogate at character {err.start}, which is not Unicode text"
    return None


def cut_repr(value: Any) -> str:
    """Return ``repr(value)`` cut to :data:`KEY_SHOWN_CHARS` characters."""
    text = repr(value)
    return text if len(text) <= KEY_SHOWN_CHARS else text[:KEY_SHOWN_CHARS] + "..."
