"""
Request bodies: what JSON cannot hold is found before anything is sent, and named (``items[3].amount is nan``).

No HTTP import: the services check records with it before they batch them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from airflow_provider_focus.exceptions import FocusConfigError

#: Deeper bodies are refused before ``json`` would hit the recursion limit.
MAX_BODY_DEPTH = 200

__all__ = ["MAX_BODY_DEPTH", "encode_json", "unencodable"]


def encode_json(body: Any, where: str) -> bytes | None:
    """
    Encode a request body as JSON, refusing what JSON cannot hold before anything is sent.

    :param body: the body, or ``None`` for none.
    :param where: the call, for the message.
    :raises FocusConfigError: naming the record and field: a ``NaN`` or infinity (an empty spreadsheet cell), a
        value of a type JSON has no form for, or nesting deeper than :data:`MAX_BODY_DEPTH`.
    """
    if body is None:
        return None
    problem = unencodable(body)
    if problem is None:
        try:
            return json.dumps(body, allow_nan=False).encode()
        except (ValueError, TypeError, RecursionError) as err:
            problem = f"the body ({type(err).__name__})"
    raise FocusConfigError(f"{where}: {problem}; nothing was sent. Fix the record (send null or leave the field out).")


def unencodable(body: Any) -> str | None:
    """
    Return where and why ``body`` cannot be JSON (e.g. ``items[3].amount is NaN``), or ``None`` when it can.

    :param body: the value to check; walked without recursion, so any depth is safe.
    """
    pending: list[tuple[Any, str, int]] = [(body, "", 0)]
    while pending:
        value, where, depth = pending.pop()
        label = where or "the body"
        if depth > MAX_BODY_DEPTH:
            return f"{label} is nested more than {MAX_BODY_DEPTH} levels deep"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{label} is {value!r}, which JSON cannot hold"
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    return f"{label} has a key of type {type(key).__name__}, which JSON cannot hold"
                pending.append((item, f"{where}.{key}" if where else str(key), depth + 1))
        elif isinstance(value, (list, tuple)):
            pending.extend((item, f"{where}[{index}]", depth + 1) for index, item in enumerate(value))
        elif not isinstance(value, (str, int, float, bool)) and value is not None:
            return f"{label} is a {type(value).__name__}, which JSON cannot hold"
    return None
