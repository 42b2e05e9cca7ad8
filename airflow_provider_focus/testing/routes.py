"""
The Focus REST API v1 resources: a small route table from (path pattern, method) to a store operation.

Paths are relative to the API root (the same on the site and the cloud root) and built from
:mod:`airflow_provider_focus.api.model`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_focus.api import model
from airflow_provider_focus.testing.auth import Principal
from airflow_provider_focus.testing.errors import ApiError
from airflow_provider_focus.testing.index import Key, Page, key_shape_ok
from airflow_provider_focus.testing.pagination import (
    decode_key_cursor,
    encode_key_cursor,
    envelope,
    paginate,
    parse_limit,
)
from airflow_provider_focus.testing.store import (
    BENEFIT,
    COST,
    LOOKUPS,
    FocusStore,
    FundKind,
    check_sort,
    parse_update_mask,
)


@dataclass(frozen=True)
class ApiRequest:
    """
    One authenticated API request.

    :param method: HTTP method (upper case).
    :param path: path relative to the API root, without slashes at either end.
    :param query: query parameters (first value of each).
    :param body: the parsed JSON body, or ``None``.
    :param principal: the caller.
    """

    method: str
    path: str
    query: Mapping[str, str]
    body: Any
    principal: Principal


Result = tuple[int, Any]
Handler = Callable[[ApiRequest, "re.Match[str]"], Result]


class ApiRoutes:
    """
    Dispatch API requests to :class:`~airflow_provider_focus.testing.store.FocusStore` operations.

    :param store: the state.
    :param page_cap: the largest page the server returns.
    """

    def __init__(self, store: FocusStore, page_cap: int = model.MAX_PAGE_SIZE) -> None:
        self.store = store
        self.page_cap = page_cap
        #: Query parameters of list requests the server acts as if it had not received (e.g. ``sort``, to play a
        #: server that ignores it); cursors still bind to the query as sent.
        self.ignored_parameters: set[str] = set()
        one = r"/(?P<id>[^/]+)"
        table: list[tuple[str, dict[str, Handler]]] = [
            (model.FOCUS_AREAS, {"GET": self._list_focus_areas, "POST": self._create_focus_area}),
            (
                model.FOCUS_AREAS + one,
                {"GET": self._get_focus_area, model.UPDATE_METHOD: self._update_focus_area},
            ),
            (model.ORGANIZATIONS, {"GET": self._list_organizations, "POST": self._create_organization}),
            (model.COST_ITEM_BULK, {"POST": self._bulk(COST)}),
            (model.BENEFIT_ITEM_BULK, {"POST": self._bulk(BENEFIT)}),
            (model.COST_ITEM + one, self._fund_item_handlers(COST)),
            (model.BENEFIT_ITEM + one, self._fund_item_handlers(BENEFIT)),
            *((resource, {"GET": self._lookup(resource)}) for resource in LOOKUPS),
        ]
        self._routes = [
            (re.compile(re.escape(path) if "(?P" not in path else _escape_prefix(path)), handlers)
            for path, handlers in table
        ]

    def dispatch(self, request: ApiRequest) -> Result:
        """
        Run one request.

        :return: HTTP status and JSON-able body (``None`` for no body).
        :raises ApiError: for any refusal, including 404 for an unknown route.
        """
        for pattern, handlers in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            handler = handlers.get(request.method)
            if handler is None:
                raise ApiError(
                    405,
                    model.ErrorType.METHOD_NOT_ALLOWED,
                    f"{request.method} is not allowed on [{request.path}]; use {', '.join(sorted(handlers))}.",
                )
            return handler(request, match)
        raise ApiError(404, model.ErrorType.NOT_FOUND, f"No resource at [{request.path}].")

    def _page(self, items: list[dict[str, Any]], request: ApiRequest) -> Result:
        return 200, paginate(items, request.path, request.query, self.page_cap)

    def _keyset_page(
        self, request: ApiRequest, lister: Callable[[Mapping[str, str], Key | None, int], tuple[list[Any], Page]]
    ) -> Result:
        query = {key: value for key, value in request.query.items() if key not in self.ignored_parameters}
        check_sort(query.get(model.PARAM_SORT))
        limit = parse_limit(request.query, self.page_cap)
        raw_cursor = request.query.get(model.PARAM_CURSOR)
        sort = query.get(model.PARAM_SORT) or None
        after = None
        if raw_cursor:
            after = decode_key_cursor(raw_cursor, request.path, request.query, lambda key: key_shape_ok(sort, key))
        values, page = lister(query, after, limit)
        next_cursor = encode_key_cursor(page.next_key, request.path, request.query) if page.next_key else None
        return 200, envelope(values, encode_key_cursor(after, request.path, request.query), next_cursor, page.total)

    def _list_focus_areas(self, request: ApiRequest, match: re.Match[str]) -> Result:
        return self._keyset_page(request, self.store.list_focus_areas)

    def _create_focus_area(self, request: ApiRequest, match: re.Match[str]) -> Result:
        return 201, self.store.create_focus_area(request.body, request.principal.account_id)

    def _get_focus_area(self, request: ApiRequest, match: re.Match[str]) -> Result:
        return 200, self.store.get_focus_area(match["id"])

    def _update_focus_area(self, request: ApiRequest, match: re.Match[str]) -> Result:
        mask = parse_update_mask(request.query.get(model.UPDATE_MASK_PARAM))
        return 200, self.store.update_focus_area(match["id"], request.body, mask)

    def _list_organizations(self, request: ApiRequest, match: re.Match[str]) -> Result:
        return self._keyset_page(request, self.store.list_organizations)

    def _create_organization(self, request: ApiRequest, match: re.Match[str]) -> Result:
        return 201, self.store.create_organization(request.body)

    def _bulk(self, kind: FundKind) -> Handler:
        def handler(request: ApiRequest, match: re.Match[str]) -> Result:
            return 200, self.store.bulk_upsert(kind, request.body)

        return handler

    def _fund_item_handlers(self, kind: FundKind) -> dict[str, Handler]:
        def get(request: ApiRequest, match: re.Match[str]) -> Result:
            return 200, self.store.get_fund_item(kind, match["id"])

        def patch(request: ApiRequest, match: re.Match[str]) -> Result:
            mask = parse_update_mask(request.query.get(model.UPDATE_MASK_PARAM))
            return 200, self.store.update_fund_item(kind, match["id"], request.body, mask)

        def delete(request: ApiRequest, match: re.Match[str]) -> Result:
            self.store.delete_fund_item(kind, match["id"])
            return 204, None

        return {"GET": get, model.UPDATE_METHOD: patch, "DELETE": delete}

    def _lookup(self, resource: str) -> Handler:
        def handler(request: ApiRequest, match: re.Match[str]) -> Result:
            entries = self.store.lookup(resource)
            if resource == model.INVESTMENT_CATEGORIES:
                # [DOC] the reference's sample is one object; the provider accepts a page, a list or an object
                shape = self.store.investment_category_shape
                if shape == "list":
                    return 200, entries
                if shape == "object":
                    return 200, entries[0] if entries else {}
            return self._page(entries, request)

        return handler


def _escape_prefix(path: str) -> str:
    prefix, _, rest = path.partition("/(?P")
    return re.escape(prefix) + "/(?P" + rest


def render_focus_area_page(store: FocusStore, focus_area_id: str) -> tuple[int, str]:
    """
    Render the tiny web page of a focus area (the target of the provider's "View in Focus" link).

    :param store: the state.
    :param focus_area_id: the focus area.
    :return: status and HTML.
    """
    focus_area = store.focus_area(focus_area_id)
    if focus_area is None:
        title = "Focus area not found"
        return 404, _page(title, f"<p>No focus area <code>{html.escape(focus_area_id)}</code>.</p>")
    crumbs = " &rsaquo; ".join(html.escape(a[model.FIELD_NAME]) for a in focus_area[model.FIELD_ANCESTORS])
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(str(focus_area.get(field) or ''))}</td></tr>"
        for label, field in (
            ("Id", model.FIELD_ID),
            ("External id", model.FIELD_EXTERNAL_ID),
            ("Type", model.FIELD_FOCUS_AREA_TYPE_ID),
            ("Status", model.FIELD_STATUS),
            ("Owner", model.FIELD_OWNER_ACCOUNT_ID),
            ("Description", model.FIELD_DESCRIPTION),
            ("Updated", model.FIELD_UPDATED_AT),
        )
    )
    body = f"<p class='ancestors'>{crumbs}</p><table>{rows}</table>"
    return 200, _page(focus_area[model.FIELD_NAME], body)


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} - Focus emulator</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}<p><small>Served by the Focus emulator.</small></p></body></html>"
    )
