"""
The stable table shape of exported focus areas: one column per field, named in snake case, the same for a SQL
table (``FocusToSqlOperator``) and a Parquet file (an ``output_path`` ending in ``.parquet``).

A warehouse loads either directly; a field the API adds later lands in ``data`` (the whole focus area as JSON)
until it gets a column of its own, so the shape never changes under a running pipeline.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_focus.api import model


@dataclass(frozen=True)
class Column:
    """
    One column of the export.

    :param name: the column's name.
    :param field: the focus area's API field it holds (``None``: the whole focus area as JSON).
    :param kind: ``"string"``, ``"boolean"``, ``"timestamp"`` (UTC; an ISO 8601 string in SQL) or ``"json"`` (a
        JSON text).
    :param description: what it holds, for the docs.
    """

    name: str
    field: str | None
    kind: str
    description: str


#: The columns, in order. ``id`` is the key (a table's primary key).
FOCUS_AREA_COLUMNS: tuple[Column, ...] = (
    Column("id", model.FIELD_ID, "string", "the focus area's id (the key)"),
    Column("external_id", model.FIELD_EXTERNAL_ID, "string", "its external id, or null"),
    Column("name", model.FIELD_NAME, "string", "its name"),
    Column("focus_area_type_id", model.FIELD_FOCUS_AREA_TYPE_ID, "string", "its focus-area type's id"),
    Column("parent_id", model.FIELD_PARENT_ID, "string", "its parent's id, or null"),
    Column("owner_account_id", model.FIELD_OWNER_ACCOUNT_ID, "string", "the owner's Atlassian account id"),
    Column("status", model.FIELD_STATUS, "string", "its status (ON_TRACK, AT_RISK, ...)"),
    Column("description", model.FIELD_DESCRIPTION, "string", "its description"),
    Column("target_date", model.FIELD_TARGET_DATE, "string", "its target date as the API gives it"),
    Column("draft", model.FIELD_DRAFT, "boolean", "whether it is a draft"),
    Column("created_at", model.FIELD_CREATED_AT, "timestamp", "when it was created (UTC)"),
    Column("updated_at", model.FIELD_UPDATED_AT, "timestamp", "when it last changed (UTC)"),
    Column("data", None, "json", "the whole focus area as the API returned it, as JSON text"),
)

#: The column names, in order.
COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in FOCUS_AREA_COLUMNS)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def row_of(focus_area: Mapping[str, Any]) -> tuple[Any, ...]:
    """
    Return a focus area as a row of :data:`FOCUS_AREA_COLUMNS` (strings, a boolean, ISO 8601 timestamps, JSON).

    :param focus_area: the focus area as the API returns it.
    """
    row: list[Any] = []
    for column in FOCUS_AREA_COLUMNS:
        if column.field is None:
            data = {name: value for name, value in focus_area.items() if name != model.FIELD_ANCESTORS}
            row.append(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
        elif column.kind == "boolean":
            value = focus_area.get(column.field)
            row.append(None if value is None else bool(value))
        else:
            row.append(_text(focus_area.get(column.field)))
    return tuple(row)


def columns_table() -> str:
    """Return the columns as a Markdown table, for the docs."""
    lines = ["| column | type | API field | holds |", "|---|---|---|---|"]
    for column in FOCUS_AREA_COLUMNS:
        field = f"`{column.field}`" if column.field else "(all)"
        lines.append(f"| `{column.name}` | {column.kind} | {field} | {column.description} |")
    return "\n".join(lines)
