"""The hook against the Focus emulator over a real socket: every endpoint, every auth mode, every fault."""

from __future__ import annotations

import dataclasses
import json
import logging
import time

import pytest

from airflow_provider_focus.api import model
from airflow_provider_focus.exceptions import (
    FocusAuthError,
    FocusConnectionError,
    FocusNotFoundError,
    FocusRateLimitError,
    FocusServerError,
    FocusValidationError,
)
from airflow_provider_focus.hooks.focus import FocusHook
from airflow_provider_focus.testing.seed import TYPE_PROGRAM, TYPE_PROJECT

pytestmark = pytest.mark.integration

MODES = [
    ("site", "api_token"),
    ("cloud", "api_token"),
    ("cloud", "oauth2_client_credentials"),
    ("cloud", "oauth2_token"),
]


@pytest.fixture
def make_hook(focus_emulator, monkeypatch):
    def _make(mode: str = "site", auth_type: str = "api_token", conn_id: str = "focus_it", **extra) -> FocusHook:
        for key, value in focus_emulator.conn_env(conn_id, auth_type=auth_type, mode=mode).items():
            monkeypatch.setenv(key, value)
        hook = FocusHook(conn_id)
        hook.client._sleep = lambda _seconds: None  # the emulator's Retry-After is honoured, not slept
        return hook

    return _make


def with_credentials(hook: FocusHook, **credentials: str) -> FocusHook:
    """
    Give one hook other credentials (``login``, ``password``) and a new client; no other hook sees them.

    The configuration a hook reads is shared by every hook of the same connection fields in the process (a parse
    cache). Set on that shared object, a wrong token reached the next test's hook whose emulator happened to get
    the same port: a 401 that came and went in CI.
    """
    hook.__dict__["config"] = dataclasses.replace(hook.config, **credentials)
    hook.__dict__.pop("client", None)
    return hook


@pytest.mark.parametrize(("mode", "auth_type"), MODES)
def test_every_auth_mode_reads_and_writes(make_hook, focus_emulator, mode, auth_type):
    hook = make_hook(mode, auth_type)
    ok, message = hook.test_connection()
    assert ok, message
    created = hook.create_focus_area(name=f"{mode}-{auth_type}", focus_area_type_id=TYPE_PROGRAM)
    assert hook.get_focus_area(created["id"])["name"] == f"{mode}-{auth_type}"
    roots = {record.root for record in focus_emulator.requests if record.path.startswith("focus-areas")}
    assert roots == {mode}
    auth_modes = {record.auth_mode for record in focus_emulator.requests if record.path.startswith("focus-areas")}
    assert auth_modes == {"basic" if auth_type == "api_token" else "bearer"}


@pytest.mark.parametrize(("mode", "auth_type"), MODES)
def test_async_listing_matches_the_sync_one_page_by_page(make_hook, focus_emulator, mode, auth_type):
    import asyncio

    hook = make_hook(mode, auth_type)

    async def listed(**kwargs) -> list:
        try:
            return [area async for area in hook.alist_focus_areas(**kwargs)]
        finally:
            await hook.aclose()

    before = sum(1 for r in focus_emulator.requests if r.path == "focus-areas")
    everything = asyncio.run(listed(page_size=2))
    pages = sum(1 for r in focus_emulator.requests if r.path == "focus-areas") - before
    assert [a["id"] for a in everything] == [a["id"] for a in hook.list_focus_areas(page_size=2)]
    assert pages == -(-len(everything) // 2)
    assert [a["externalId"] for a in asyncio.run(listed(external_id="PRG-001"))] == ["PRG-001"]
    assert len(asyncio.run(listed(page_size=2, max_items=3))) == 3


def test_focus_area_endpoints(make_hook, focus_emulator):
    hook = make_hook()
    everything = list(hook.list_focus_areas(page_size=2))
    assert len(everything) == len(focus_emulator.store.focus_areas())
    assert sum(1 for r in focus_emulator.requests if r.path == "focus-areas") == -(-len(everything) // 2)

    parent = hook.find_focus_area("PRG-001")
    assert parent is not None
    child = hook.create_focus_area(
        name="Pricing page test", focus_area_type_id=TYPE_PROJECT, externalId="IT-1", parentId=parent["id"]
    )
    assert child[model.FIELD_STATUS] == model.INITIAL_FOCUS_AREA_STATUS
    fetched = hook.get_focus_area(child["id"])
    assert [a["id"] for a in fetched[model.FIELD_ANCESTORS]][-1] == parent["id"]
    assert [fa["id"] for fa in hook.list_focus_areas(parent_id=parent["id"])].count(child["id"]) == 1
    assert [fa["id"] for fa in hook.list_focus_areas(name_contains="pricing PAGE")] == [child["id"]]
    names = [fa["name"] for fa in hook.list_focus_areas(sort="name")]
    assert names == sorted(names)

    updated = hook.update_focus_area(child["id"], {"description": "A/B test", "name": "Pricing page"})
    assert (updated["description"], updated["name"]) == ("A/B test", "Pricing page")
    cleared = hook.update_focus_area(child["id"], {}, update_mask=["description"])
    assert not cleared.get("description")
    assert cleared["name"] == "Pricing page"
    assert hook.find_focus_area("nope") is None


def test_organization_endpoints(make_hook):
    hook = make_hook()
    before = list(hook.list_organizations())
    assert before
    org_type = before[0][model.FIELD_ORGANIZATION_TYPE_ID]
    created = hook.create_organization(name="Data team", organization_type_id=org_type, externalId="ORG-DATA")
    assert [o["id"] for o in hook.list_organizations(name_contains="data team")] == [created["id"]]
    assert len(list(hook.list_organizations(max_items=1))) == 1


@pytest.mark.parametrize("kind", ["cost", "benefit"])
def test_fund_endpoints(make_hook, kind):
    hook = make_hook()
    focus_area = hook.find_focus_area("PRG-001")
    assert focus_area is not None
    if kind == "cost":
        type_key = hook.list_cost_types()[0][model.LOOKUP_KEY]
        item = {
            "costItemExternalId": "IT-C-1",
            "name": "Contractors",
            "focusAreaId": focus_area["id"],
            "costType": type_key,
        }
        bad = {
            "costItemExternalId": "IT-C-2",
            "name": "No such type",
            "focusAreaId": focus_area["id"],
            "costType": "NOPE",
        }
        imported = hook.bulk_import_cost_items([item, bad])
        get, update, delete = hook.get_cost_item, hook.update_cost_item, hook.delete_cost_item
        id_key = model.COST_ITEM_ID
        patch_field, answer_external_id = model.ANSWER_EXTERNAL_COST_ITEM_ID, model.ANSWER_EXTERNAL_COST_ITEM_ID
    else:
        type_key = hook.list_benefit_types()[0][model.LOOKUP_KEY]
        item = {
            "benefitItemExternalId": "IT-B-1",
            "name": "Revenue",
            "focusAreaId": focus_area["id"],
            "benefitTypeKey": type_key,
        }
        bad = {"benefitItemExternalId": "IT-B-2", "focusAreaId": "missing"}
        imported = hook.bulk_import_benefit_items([item, bad])
        get, update, delete = hook.get_benefit_item, hook.update_benefit_item, hook.delete_benefit_item
        id_key = model.BENEFIT_ITEM_ID
        patch_field, answer_external_id = model.FIELD_EXTERNAL_ID, model.ANSWER_EXTERNAL_BENEFIT_ITEM_ID

    (result,) = imported[model.BULK_RESULTS]
    (error,) = imported[model.BULK_ERRORS]
    assert result[model.BULK_INDEX] == 0
    assert result[model.BULK_CREATED] is True
    assert error[model.BULK_INDEX] == 1
    item_id = result[id_key]
    assert get(item_id)["name"] == item["name"]
    again = (hook.bulk_import_cost_items if kind == "cost" else hook.bulk_import_benefit_items)([item])
    assert again[model.BULK_RESULTS][0][model.BULK_CREATED] is False
    # [DOC] the one field a PATCH supports is the external id, under its PATCH name
    assert update(item_id, {patch_field: "IT-X"})[answer_external_id] == "IT-X"
    assert delete(item_id) is None
    with pytest.raises(FocusNotFoundError):
        get(item_id)


def test_lookup_lists(make_hook):
    hook = make_hook()
    for listing in (
        hook.list_cost_types,
        hook.list_cost_subtypes,
        hook.list_benefit_types,
        hook.list_investment_categories,
    ):
        values = listing()
        assert values
        assert all(model.LOOKUP_KEY in value for value in values)


def test_validation_error_body_reaches_the_user(make_hook):
    hook = make_hook()
    with pytest.raises(FocusValidationError) as excinfo:
        hook.create_focus_area(name="", focus_area_type_id=TYPE_PROGRAM)
    assert excinfo.value.errors
    assert excinfo.value.request_id
    assert "HTTP 400" in str(excinfo.value)


def test_unknown_id_is_not_found(make_hook):
    with pytest.raises(FocusNotFoundError):
        make_hook().get_focus_area("does-not-exist")


def test_path_traversal_ids_stay_in_their_endpoint(make_hook, focus_emulator):
    with pytest.raises(FocusNotFoundError):
        make_hook().get_focus_area("../organizations")
    assert focus_emulator.requests[-1].path.startswith("focus-areas/")


def test_wrong_token_is_a_clear_auth_error(make_hook, monkeypatch, focus_emulator):
    hook = with_credentials(make_hook(), password="wrong-token")
    ok, message = hook.test_connection()
    assert ok is False
    assert "check the connection's login" in message
    assert "wrong-token" not in message


def test_other_credentials_for_one_hook_leave_the_others_of_its_connection_alone(make_hook):
    with_credentials(make_hook(), password="wrong-token")

    ok, message = make_hook().test_connection()

    assert ok, message


def test_missing_write_scope_names_the_scope(make_hook, focus_emulator, monkeypatch):
    focus_emulator.add_client("read-only", "read-only-secret", scopes=[model.Scope.FOCUS_AREAS_READ])
    hook = with_credentials(
        make_hook("cloud", "oauth2_client_credentials"), login="read-only", password="read-only-secret"
    )
    hook.client._sleep = lambda _s: None
    assert list(hook.list_focus_areas(max_items=1))
    with pytest.raises(FocusAuthError) as excinfo:
        hook.create_focus_area(name="x", focus_area_type_id=TYPE_PROGRAM)
    assert excinfo.value.required_scope == model.Scope.FOCUS_AREAS_WRITE
    assert model.Scope.FOCUS_AREAS_WRITE in str(excinfo.value)


def test_expired_client_credentials_token_is_refreshed(make_hook, focus_emulator):
    hook = make_hook("cloud", "oauth2_client_credentials")
    list(hook.list_focus_areas(max_items=1))
    hook.client.auth._expires_at = float("inf")  # keep the cached token past its real expiry
    focus_emulator.expire_tokens()
    assert list(hook.list_focus_areas(max_items=1))
    statuses = [r.status for r in focus_emulator.requests if r.path == "focus-areas"]
    assert statuses == [200, 401, 200]


# --- faults -------------------------------------------------------------------------------------------------------


def test_rate_limit_is_waited_out(make_hook, focus_emulator):
    hook = make_hook()
    waits: list[float] = []
    hook.client._sleep = waits.append
    focus_emulator.faults.rate_limit(count=2, retry_after=3)
    assert hook.get_focus_area("fa-0001")["id"] == "fa-0001"
    assert waits == [3.0, 3.0]
    assert [r.status for r in focus_emulator.requests] == [429, 429, 200]


def test_rate_limit_storm_ends_in_a_clear_error(make_hook, focus_emulator):
    hook = make_hook()
    focus_emulator.faults.rate_limit(count=None, retry_after=1)
    with pytest.raises(FocusRateLimitError, match="rate_limit_budget"):
        hook.get_focus_area("fa-0001")
    # 1 s waits are free while the 300 s rate-limit budget lasts; then the attempts are spent as usual
    free = int(hook.config.rate_limit_budget)
    assert len(focus_emulator.requests) == free + hook.config.max_retries + 1


def test_html_5xx_is_retried_for_reads_and_quoted(make_hook, focus_emulator):
    hook = make_hook()
    focus_emulator.faults.server_error(count=1, status=502)
    assert hook.get_focus_area("fa-0001")
    focus_emulator.faults.server_error(count=100, status=500)
    with pytest.raises(FocusServerError, match="HTTP 500"):
        hook.get_focus_area("fa-0001")


def test_create_whose_answer_was_lost_is_not_duplicated(make_hook, focus_emulator):
    hook = make_hook()
    focus_emulator.faults.drop_after(count=1, method="POST")
    created = hook.create_focus_area(name="Once", focus_area_type_id=TYPE_PROGRAM, externalId="IT-ONCE")
    matches = [fa for fa in focus_emulator.store.focus_areas() if fa.get("externalId") == "IT-ONCE"]
    assert [fa["id"] for fa in matches] == [created["id"]]


def test_create_dropped_before_processing_is_sent_again(make_hook, focus_emulator):
    hook = make_hook()
    focus_emulator.faults.drop_before(count=1, method="POST")
    hook.create_focus_area(name="Twice sent", focus_area_type_id=TYPE_PROGRAM, externalId="IT-TWICE")
    assert len([fa for fa in focus_emulator.store.focus_areas() if fa.get("externalId") == "IT-TWICE"]) == 1
    assert [r.method for r in focus_emulator.requests] == ["POST", "GET", "POST"]


def test_create_without_external_id_is_never_sent_twice(make_hook, focus_emulator):
    hook = make_hook()
    focus_emulator.faults.drop_after(count=1, method="POST")
    with pytest.raises(FocusConnectionError, match="may have taken effect"):
        hook.create_focus_area(name="Unkeyed", focus_area_type_id=TYPE_PROGRAM)
    assert [r.method for r in focus_emulator.requests] == ["POST"]


def test_malformed_json_on_a_read_is_retried(make_hook, focus_emulator):
    hook = make_hook()
    focus_emulator.faults.malformed_json(count=1)
    assert hook.get_focus_area("fa-0001")["id"] == "fa-0001"


def test_keep_alive_one_connection_for_many_pages(make_hook, focus_emulator):
    hook = make_hook()
    list(hook.list_focus_areas(page_size=1))
    assert len({r.client_port for r in focus_emulator.requests}) == 1


def test_discover_cloud_id_from_tenant_info(focus_emulator):
    assert FocusHook.discover_cloud_id(focus_emulator.url) == focus_emulator.cloud_id


def test_discover_cloud_id_explains_a_site_without_tenant_info():
    import socket

    from airflow_provider_focus.exceptions import FocusError

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FocusError, match=r"Could not read the cloudId .* an Atlassian site\?"):
        FocusHook.discover_cloud_id(f"http://127.0.0.1:{port}", timeout=2)


def test_rate_limit_with_real_sleeps(make_hook, focus_emulator):
    hook = make_hook()
    hook.client._sleep = time.sleep  # the real thing: Retry-After 0 means no wait
    focus_emulator.faults.rate_limit(count=3, retry_after=0)
    assert hook.get_focus_area("fa-0001")["id"] == "fa-0001"
    assert [r.status for r in focus_emulator.requests] == [429, 429, 429, 200]


def test_unknown_cloud_id_is_explained(focus_emulator, monkeypatch):
    ((name, value),) = focus_emulator.conn_env("focus_wrong_cloud", mode="cloud").items()
    conn = json.loads(value)
    wrong = "00000000-0000-4000-8000-000000000000"
    base_url = conn["extra"]["base_url"].replace(focus_emulator.cloud_id, wrong)
    conn["extra"].update(cloud_id=wrong, base_url=base_url)
    monkeypatch.setenv(name, json.dumps(conn))
    ok, message = FocusHook("focus_wrong_cloud").test_connection()
    assert ok is False
    assert message.startswith(f"No Focus API at {focus_emulator.url}/focus/cloud/{wrong}/v1")
    assert "cloud_id" in message


def test_create_slower_than_the_timeout_is_never_duplicated(focus_emulator, monkeypatch):
    from airflow_provider_focus.exceptions import FocusUncertainWriteError

    ((name, value),) = focus_emulator.conn_env("focus_slow").items()
    conn = json.loads(value)
    conn["extra"] = {**(conn.get("extra") or {}), "timeout": 0.3}
    monkeypatch.setenv(name, json.dumps(conn))
    focus_emulator.faults.latency(1.0, count=1, method="POST")  # the server finishes after the client gave up
    hook = FocusHook("focus_slow")

    try:
        outcome = hook.create_focus_area(name="Slow", focus_area_type_id=TYPE_PROGRAM, externalId="IT-SLOW")["id"]
    except FocusUncertainWriteError:
        outcome = "uncertain"

    deadline = time.monotonic() + 10
    while not [fa for fa in focus_emulator.store.focus_areas() if fa.get("externalId") == "IT-SLOW"]:
        assert time.monotonic() < deadline, "the slow create never landed"
        time.sleep(0.05)
    time.sleep(0.2)  # give a (wrong) second POST the chance to land too
    made = [fa["id"] for fa in focus_emulator.store.focus_areas() if fa.get("externalId") == "IT-SLOW"]
    assert len(made) == 1
    assert outcome in (made[0], "uncertain")
    assert [r.method for r in focus_emulator.requests].count("POST") == 1


@pytest.mark.parametrize("broken", ["tok\nen-with-a-line-break", "token-ending-in-a-line-break\n"])
def test_a_header_http_client_refuses_is_a_config_error_without_the_credential(make_hook, broken):
    from dataclasses import replace

    from airflow_provider_focus.api.client import FocusClient
    from airflow_provider_focus.exceptions import FocusConfigError

    config = make_hook("cloud", "oauth2_token").config
    client = FocusClient(replace(config, password=broken))  # a hand-built config skips the connection's checks
    with pytest.raises(FocusConfigError, match="header value is invalid") as excinfo:
        client.request("GET", "focus-areas")
    assert "tok" not in str(excinfo.value)
    assert excinfo.value.__context__ is None  # nothing chained keeps the request and its Authorization header


def test_the_async_client_refuses_a_bad_header_without_the_credential(make_hook):
    import asyncio
    from dataclasses import replace

    from airflow_provider_focus.api.async_client import AsyncFocusClient
    from airflow_provider_focus.exceptions import FocusConfigError

    config = replace(make_hook("cloud", "oauth2_token").config, password="tok\nen-with-a-line-break")

    async def call() -> None:
        client = AsyncFocusClient(config)
        try:
            await client.request("GET", "focus-areas")
        finally:
            await client.aclose()

    with pytest.raises(FocusConfigError, match="header value is invalid") as excinfo:
        asyncio.run(call())
    assert "tok" not in str(excinfo.value)
    assert excinfo.value.__context__ is None


def test_a_connection_of_another_type_works_but_is_warned_about(focus_emulator, monkeypatch):
    fields = json.loads(focus_emulator.conn_env("focus_http")["AIRFLOW_CONN_FOCUS_HTTP"])
    monkeypatch.setenv("AIRFLOW_CONN_FOCUS_HTTP", json.dumps({**fields, "conn_type": "http"}))
    monkeypatch.setenv("AIRFLOW_CONN_FOCUS_TYPED", focus_emulator.conn_env("focus_typed")["AIRFLOW_CONN_FOCUS_TYPED"])
    warned: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: warned.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("airflow_provider_focus.api.connection")
    logger.addHandler(handler)
    try:
        assert len(list(FocusHook("focus_http").list_focus_areas())) == 6
        assert len(list(FocusHook("focus_typed").list_focus_areas())) == 6
    finally:
        logger.removeHandler(handler)

    assert warned == [
        "Connection 'focus_http' has the type 'http', not 'atlassian_focus' (Atlassian Focus). The Focus hook reads "
        "its fields anyway, but Airflow's connection form and Test button treat it as 'http': change its type to "
        "'atlassian_focus'."
    ]
