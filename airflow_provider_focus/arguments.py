"""Argument checks shared by operators and sensors: refuse bad arguments at parse time, convert rendered ones."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from airflow.providers.common.compat.sdk import XComArg

from airflow_provider_focus.exceptions import FocusConfigError


def is_template(value: Any) -> bool:
    """Return whether ``value`` is a Jinja string or an XCom reference that is only known at run time."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    return isinstance(value, XComArg)


def require_text(name: str, value: Any) -> None:
    """
    Refuse an empty or non-string argument (templates and XCom references pass).

    :param name: the argument's name, for the message.
    :param value: its value.
    :raises FocusConfigError: when it is missing, empty or not a string.
    """
    if is_template(value):
        return
    if not isinstance(value, str) or not value.strip():
        raise FocusConfigError(f"{name} must be a non-empty string, got {value!r}.")


def require_positive_int(name: str, value: Any, *, optional: bool = False) -> None:
    """
    Refuse anything but a positive integer (templates pass; ``None`` passes when ``optional``).

    :param name: the argument's name, for the message.
    :param value: its value.
    :param optional: whether ``None`` is allowed.
    :raises FocusConfigError: when it is not a positive integer.
    """
    if (value is None and optional) or is_template(value):
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise FocusConfigError(f"{name} must be a positive integer, got {value!r}.")


def as_positive_int(name: str, value: Any, *, optional: bool = False) -> int | None:
    """
    Convert a rendered argument to a positive integer.

    :param name: the argument's name, for the message.
    :param value: the rendered value (an int, or a string of digits from a template).
    :param optional: whether ``None`` or an empty string means "not set".
    :raises FocusConfigError: when it is not a positive integer.
    """
    if optional and value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise FocusConfigError(f"{name} must be a positive integer, got {value!r}.") from None
    if number <= 0 or isinstance(value, bool):
        raise FocusConfigError(f"{name} must be a positive integer, got {value!r}.")
    return number


def require_mapping(name: str, value: Any, *, optional: bool = False) -> None:
    """
    Refuse anything but a dict (templates pass; ``None`` passes when ``optional``).

    :param name: the argument's name, for the message.
    :param value: its value.
    :param optional: whether ``None`` is allowed.
    :raises FocusConfigError: when it is not a mapping.
    """
    if (value is None and optional) or is_template(value):
        return
    if not isinstance(value, Mapping):
        raise FocusConfigError(f"{name} must be a dict, got {type(value).__name__}.")


def as_mapping(name: str, value: Any, *, optional: bool = False) -> dict[str, Any]:
    """
    Convert a rendered argument to a dict.

    A template renders to a string unless the DAG renders native objects, so a string holding a JSON object is
    accepted too.

    :param name: the argument's name, for the message.
    :param value: the rendered value: a dict, or a string holding a JSON object.
    :param optional: whether ``None`` or a blank string means "empty".
    :raises FocusConfigError: when it is neither.
    """
    if optional and (value is None or (isinstance(value, str) and not value.strip())):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise FocusConfigError(
                f"{name} rendered to a string that is not a JSON object: {_excerpt(value)}. Render a dict "
                "(render_template_as_native_obj=True on the DAG) or a JSON object."
            ) from None
    if not isinstance(value, Mapping):
        raise FocusConfigError(f"{name} must be a dict, got {type(value).__name__}.")
    return dict(value)


def as_field_names(name: str, value: Any) -> list[str] | None:
    """
    Convert a rendered list of field names (such as ``update_mask``) to a list of strings.

    A template renders to a string unless the DAG renders native objects, so a string is accepted as a JSON list
    (``'["name", "description"]'``) or as comma-separated names (``"name,description"``). ``None`` and a blank
    string mean "not set".

    :param name: the argument's name, for the message.
    :param value: the rendered value.
    :raises FocusConfigError: when it is not a list of non-empty strings.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text[0] in '[{"':
            try:
                value = json.loads(text)
            except ValueError:
                raise FocusConfigError(
                    f"{name} rendered to a string that is neither a JSON list nor comma-separated field names: "
                    f"{_excerpt(text)}."
                ) from None
        else:
            value = [part.strip() for part in text.split(",")]
            if not all(value):
                raise FocusConfigError(f"{name} has an empty field name: {_excerpt(text)}.")
    if isinstance(value, Mapping) or not isinstance(value, (list, tuple, set, frozenset)):
        raise FocusConfigError(f"{name} must be a list of field names, got {type(value).__name__}.")
    names = list(value)
    for item in names:
        if not isinstance(item, str) or not item.strip():
            raise FocusConfigError(f"{name} must hold non-empty field names, got {item!r}.")
    stripped = [item.strip() for item in names]
    return sorted(stripped) if isinstance(value, (set, frozenset)) else stripped


def _excerpt(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")
