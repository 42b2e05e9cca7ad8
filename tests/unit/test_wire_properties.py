"""
Property-based tests of the wire: whatever a server sends, callers get a FocusError subclass or a valid value.

The error parser and the pagination envelope are pure; arbitrary answers (status, headers, body bytes) go through
both clients on mocked transports (the real-socket cases are in ``test_wire_bounds``).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import httpx
import requests_mock as rm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_focus.api.async_client import AsyncFocusClient
from airflow_provider_focus.api.calls import EXPECT_CREATED, EXPECT_OBJECT
from airflow_provider_focus.api.client import FocusClient
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.api.errors import parse_error_body
from airflow_provider_focus.api.pages import Pager
from airflow_provider_focus.exceptions import BODY_EXCERPT_CHARS, FocusError
from tests.unit.conftest import API, EMAIL, TOKEN

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=20), children, max_size=5),
    max_leaves=12,
)
error_bodies = st.one_of(
    st.text(max_size=2000),
    json_values.map(json.dumps),
    st.fixed_dictionaries({"errors": st.lists(json_values, max_size=10)}).map(json.dumps),
    st.fixed_dictionaries({"code": json_values, "message": json_values}).map(json.dumps),
    st.fixed_dictionaries({"error": json_values, "error_description": json_values}).map(json.dumps),
    st.integers(min_value=1, max_value=5000).map(lambda depth: "[" * depth + "]" * depth),
)


@settings(max_examples=100, deadline=None)
@given(error_bodies)
def test_the_error_parser_never_raises_and_keeps_its_output_short(text):
    errors, excerpt = parse_error_body(text)
    assert isinstance(errors, list)
    assert len(errors) <= 5
    for error in errors:
        assert isinstance(error["type"], str)
        assert isinstance(error["message"], str)
        assert len(error["message"]) <= BODY_EXCERPT_CHARS + 3
    assert excerpt is None or len(excerpt) <= BODY_EXCERPT_CHARS + 3


pages = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"values": st.lists(json_values, max_size=5)},
        optional={"last": json_values, "nextPageCursor": json_values},
    ),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(pages, min_size=1, max_size=4), st.none() | st.integers(min_value=0, max_value=8))
def test_the_pagination_envelope_gives_items_or_a_focus_error(answers, max_items):
    pager = Pager("focus-areas", page_size=3, max_items=max_items)
    items: list[Any] = []
    try:
        for page in answers:
            query = pager.next_query()
            if query is None:
                break
            assert query.get("limit") == (3 if max_items is None else min(3, max_items))
            items.extend(pager.take(page))
    except FocusError:
        return
    if max_items is not None:
        assert len(items) <= max_items


# --- arbitrary answers through both clients -----------------------------------------------------------------------

statuses = st.integers(min_value=200, max_value=599)
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
answer_headers = st.fixed_dictionaries(
    {},
    optional={
        "Content-Type": st.sampled_from(
            ["application/json", "text/html; charset=utf-16", "text/plain; charset=nonsense", "application/json; x"]
        ),
        "Retry-After": header_values,
        "X-RateLimit-Reset": header_values,
        "Location": header_values,
        "X-Request-Id": header_values,
    },
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.sampled_from([b"", b"null", b"[]", b"{}", b'{"id": ""}', b'{"id": "fa-1"}', b"[" * 3000]),
)
expectations = st.sampled_from([None, EXPECT_OBJECT, EXPECT_CREATED])


def config() -> FocusClientConfig:
    read = FocusClientConfig.from_connection_fields(
        host="acme.atlassian.net", login=EMAIL, password=TOKEN, extra={"max_retries": 1}
    )
    return replace(read, max_retry_wait=0.01)


def check_result(result: Any, expect: str | None) -> None:
    if expect in (EXPECT_OBJECT, EXPECT_CREATED):
        assert isinstance(result, dict)
    if expect == EXPECT_CREATED:
        assert str(result["id"]).strip()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statuses, answer_headers, bodies, expectations, st.sampled_from(["GET", "POST", "DELETE"]))
def test_any_answer_to_the_sync_client_is_a_value_or_a_focus_error(status, headers, body, expect, method):
    client = FocusClient(config(), sleep=lambda _s: None)
    with rm.Mocker() as mocker:
        mocker.register_uri(method, f"{API}/focus-areas", status_code=status, headers=headers, content=body)
        try:
            result = client.request(method, "focus-areas", json={"name": "x"}, expect=expect)
        except FocusError:
            return
    check_result(result, expect)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statuses, answer_headers, bodies, expectations, st.sampled_from(["GET", "POST", "DELETE"]))
def test_any_answer_to_the_async_client_is_a_value_or_a_focus_error(status, headers, body, expect, method):
    def handle(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, content=body)

    async def no_wait(_seconds: float) -> None:
        return None

    async def go() -> Any:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
        async with AsyncFocusClient(config(), http=http, sleep=no_wait) as client:
            try:
                return await client.request(method, "focus-areas", json={"name": "x"}, expect=expect)
            finally:
                await http.aclose()

    try:
        result = asyncio.run(go())
    except FocusError:
        return
    check_result(result, expect)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(statuses, bodies), min_size=1, max_size=4), st.none() | st.integers(0, 5))
def test_any_sequence_of_pages_is_items_or_a_focus_error_on_both_clients(answers, max_items):
    def page_answers() -> list[dict[str, Any]]:
        return [{"status_code": status, "content": body} for status, body in answers]

    sync_client = FocusClient(config(), sleep=lambda _s: None)
    with rm.Mocker() as mocker:
        mocker.get(f"{API}/focus-areas", page_answers())
        try:
            sync_items: list[Any] | None = list(sync_client.paginate("focus-areas", max_items=max_items))
        except FocusError:
            sync_items = None

    remaining = list(answers)

    def handle(_request: httpx.Request) -> httpx.Response:
        status, body = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        return httpx.Response(status, content=body)

    async def no_wait(_seconds: float) -> None:
        return None

    async def go() -> list[Any]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
        async with AsyncFocusClient(config(), http=http, sleep=no_wait) as client:
            try:
                return [item async for item in client.paginate("focus-areas", max_items=max_items)]
            finally:
                await http.aclose()

    try:
        async_items: list[Any] | None = asyncio.run(go())
    except FocusError:
        async_items = None
    assert sync_items == async_items  # one core: the same answers give the same outcome
    if sync_items is not None and max_items is not None:
        assert len(sync_items) <= max_items
