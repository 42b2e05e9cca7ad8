"""
One converter from what a reader hands over (a database driver's cell, a Parquet value) to a JSON-able value.

The SQL transfer and the Parquet reader both use it, so a date, a decimal or a nested value becomes the same
record field whichever source it came from.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

#: Types that are JSON as they are (a non-finite float is left to the record check, which names the field).
PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """
    Return a value as a JSON-able one: dates and times as ISO 8601, decimals as numbers, ``memoryview`` as bytes.

    Lists, tuples and dicts (a JSON or array column, a Parquet list or struct) are converted item by item, so a
    date inside a JSON column becomes ISO 8601 text like a date column. What has no JSON form (bytes, a set, ...)
    is returned as it is: the record check then fails that record, naming the field.

    :param value: a cell as the DB-API driver or pyarrow returns it.
    """
    if type(value) in PLAIN_TYPES:
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return float(value)  # NaN or infinity: the record check refuses it, naming the field
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, dict):
        return {name: plain(item) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value
