"""
The shapes of fund items on the wire: what a bulk request item must look like, and how an answer is read.

Funds endpoints are **Experimental** in Atlassian's reference: their shapes may change without notice. The rules
here follow the reference (every name comes from :mod:`airflow_provider_focus.api.model`):

- a bulk request item uses the request's names (``costItemExternalId``, ``benefitTypeKey``, an ``expenditureType``
  object); a record that still uses a name the provider guessed before (``benefitType``) or gives the expenditure
  type as a plain string is mapped, and the mapping is said once in the task log;
- a structured field (the period values, ``expenditureType``) given as JSON text, as a database's JSON or text
  column and a CSV cell hold it, is sent as the JSON value the text holds (:func:`structured`);
- an answer is read by the answer's names (``externalCostItemId``, ``costSubtypeId``, ``investmentCategoryId``),
  and, where a site answers with the request's names instead, by those;
- ``funds/investment-category`` may answer with a page, a bare list or one object: each is accepted and the shape
  seen is returned with the entries.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from airflow_provider_focus.api import model
from airflow_provider_focus.api.bodies import unencodable
from airflow_provider_focus.api.pages import Pager
from airflow_provider_focus.exceptions import BODY_EXCERPT_CHARS, FocusResponseError

JsonDict = dict[str, Any]

#: The shapes :func:`read_investment_categories` recognises.
SHAPE_PAGE = "page"
SHAPE_LIST = "list"
SHAPE_OBJECT = "object"


#: The JSON text a structured field's value starts with, by its JSON type.
_OPENING = {model.JSON_ARRAY: "[", model.JSON_OBJECT: "{"}
_PYTHON_TYPE = {model.JSON_ARRAY: list, model.JSON_OBJECT: dict}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def structured(value: Any, json_type: str) -> Any:
    """
    Return the value of a field the request takes as a JSON array or object: JSON text of that type decoded.

    A database's JSON column (SQLite, MySQL, many warehouses' drivers) and a CSV cell give such a field as text;
    the API wants the value. Text that is not JSON of that type (``"OPEX"``, the plain key an ``expenditureType``
    may be given as), or that JSON cannot send as it is (``NaN``, nesting too deep), is returned unchanged; so is
    every value that is not text (a list from a Postgres ``jsonb`` column, a Parquet list, a JSON Lines record).

    :param value: the field's value in the record.
    :param json_type: :data:`~airflow_provider_focus.api.model.JSON_ARRAY` or
        :data:`~airflow_provider_focus.api.model.JSON_OBJECT`.
    """
    if not isinstance(value, str) or not value.lstrip().startswith(_OPENING[json_type]):
        return value
    try:
        decoded = json.loads(value, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return value
    if not isinstance(decoded, _PYTHON_TYPE[json_type]) or unencodable(decoded) is not None:
        return value
    return decoded


def with_structured_fields(item: Mapping[str, Any], fields: Mapping[str, str]) -> JsonDict:
    """
    Return a copy of an item whose structured fields given as JSON text hold the text's value (:func:`structured`).

    :param item: the item as the user gave it.
    :param fields: the structured fields and their JSON types
        (:data:`~airflow_provider_focus.api.model.COST_ITEM_STRUCTURED_FIELDS`, ...).
    """
    request = dict(item)
    for field, json_type in fields.items():
        if field in request:
            request[field] = structured(request[field], json_type)
    return request


def cost_item_request(item: Mapping[str, Any]) -> tuple[JsonDict, list[str]]:
    """
    Return a cost item as the bulk request documents it, and what had to be mapped.

    Its period values and ``expenditureType`` given as JSON text are sent as JSON (:func:`structured`). An
    ``expenditureType`` given as another string (as a CSV cell reads, and as the GET answer shows it) is sent as
    the documented object ``{"key": <the string>}`` ([MODEL]: which of its fields a site needs is not published).

    :param item: the item as the user gave it.
    :return: the item to send, and one note per mapping made (empty when the item was already documented).
    """
    request = with_structured_fields(item, model.COST_ITEM_STRUCTURED_FIELDS)
    notes: list[str] = []
    expenditure = request.get(model.EXPENDITURE_TYPE)
    if isinstance(expenditure, str):
        request[model.EXPENDITURE_TYPE] = {model.EXPENDITURE_TYPE_KEY: expenditure}
        notes.append(
            f"{model.EXPENDITURE_TYPE} given as a string is sent as the documented object "
            f"{{{model.EXPENDITURE_TYPE_KEY!r}: ...}}"
        )
    return request, notes


def benefit_item_request(item: Mapping[str, Any]) -> tuple[JsonDict, list[str]]:
    """
    Return a benefit item as the bulk request documents it, and what had to be mapped.

    ``benefitType`` (the provider's earlier guess) is deprecated: it is sent as ``benefitTypeKey``, the documented
    name. When both are given, ``benefitTypeKey`` wins and ``benefitType`` is dropped. Its period values given as
    JSON text are sent as JSON (:func:`structured`).

    :param item: the item as the user gave it.
    :return: the item to send, and one note per mapping made.
    """
    return _rename_deprecated(
        with_structured_fields(item, model.BENEFIT_ITEM_STRUCTURED_FIELDS), model.DEPRECATED_BENEFIT_ITEM_FIELDS
    )


def organization_request(fields: Mapping[str, Any]) -> tuple[JsonDict, list[str]]:
    """
    Return the fields of an organization create with the documented names, and what had to be mapped.

    ``parentId`` (the provider's earlier guess) is deprecated: it is sent as ``parentOrganizationId``.

    :param fields: the fields as the user gave them.
    """
    return _rename_deprecated(fields, model.DEPRECATED_ORGANIZATION_FIELDS)


def _rename_deprecated(fields: Mapping[str, Any], renames: Mapping[str, str]) -> tuple[JsonDict, list[str]]:
    request = dict(fields)
    notes: list[str] = []
    for old, new in renames.items():
        if old not in request:
            continue
        value = request.pop(old)
        if new in request:
            notes.append(f"{old!r} is deprecated and was dropped: {new!r} is given too")
        else:
            request[new] = value
            notes.append(f"{old!r} is deprecated: it was sent as {new!r}, the name in Atlassian's reference")
    return request, notes


def read_cost_item(answer: Mapping[str, Any]) -> JsonDict:
    """
    Return a cost item answer with every documented answer name present (``None`` when the site sent neither).

    The documented name is read first; when a site answers with the request's name instead (``costItemExternalId``
    for ``externalCostItemId``, ...), that is read. Other fields the site sends are kept as they are.

    :param answer: the decoded ``GET funds/cost-item/{id}`` answer.
    """
    return _read_answer(answer, model.COST_ITEM_ANSWER_FIELDS, model.COST_ITEM_ANSWER_ALIASES)


def read_benefit_item(answer: Mapping[str, Any]) -> JsonDict:
    """
    Return a benefit item answer with every documented answer name present (see :func:`read_cost_item`).

    :param answer: the decoded ``GET funds/benefit-item/{id}`` answer.
    """
    return _read_answer(answer, model.BENEFIT_ITEM_ANSWER_FIELDS, model.BENEFIT_ITEM_ANSWER_ALIASES)


def _read_answer(answer: Mapping[str, Any], fields: tuple[str, ...], aliases: Mapping[str, str]) -> JsonDict:
    read = dict(answer)
    for field in fields:
        if read.get(field) is None:
            alias = aliases.get(field)
            read[field] = answer.get(alias) if alias is not None else None
    return read


def read_investment_categories(path: str, fetch: Callable[[Mapping[str, Any]], Any]) -> tuple[list[JsonDict], str]:
    """
    Read ``funds/investment-category`` whatever shape it answers with.

    The reference's sample is one object ``{investmentCategoryId, key}``; the other look-ups answer with the
    paginated envelope; a bare list is the third thing a site could plausibly send. A page is followed to its end.

    :param path: the resource path (for messages).
    :param fetch: sends ``GET path`` with the given query parameters and returns the decoded body.
    :return: the categories, and the shape seen (``"page"``, ``"list"`` or ``"object"``).
    :raises FocusResponseError: for an answer of none of these shapes.
    """
    pager = Pager(path)
    query = pager.next_query()
    assert query is not None
    first = fetch(query)
    if isinstance(first, list) and all(isinstance(entry, Mapping) for entry in first):
        return [dict(entry) for entry in first], SHAPE_LIST
    if isinstance(first, Mapping) and model.PAGE_VALUES in first:
        entries = list(pager.take(first))
        while (query := pager.next_query()) is not None:
            entries.extend(pager.take(fetch(query)))
        return [dict(entry) for entry in entries if isinstance(entry, Mapping)], SHAPE_PAGE
    if isinstance(first, Mapping) and any(field in first for field in model.INVESTMENT_CATEGORY_ANSWER_FIELDS):
        return [dict(first)], SHAPE_OBJECT
    raise FocusResponseError(
        status_code=200,
        method="GET",
        path=path,
        body_excerpt=str(first)[:BODY_EXCERPT_CHARS],
        hint=(
            f"Expected a page with {model.PAGE_VALUES!r}, a list, or one object "
            f"{{{', '.join(model.INVESTMENT_CATEGORY_ANSWER_FIELDS)}}}."
        ),
    )
