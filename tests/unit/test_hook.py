from __future__ import annotations

import pytest
import requests

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.hooks.focus import FocusHook
from tests.unit.conftest import API, EMAIL, TOKEN

FA = f"{API}/focus-areas"


def page(values, last=True, cursor=None):
    body = {"values": values, "last": last}
    if cursor:
        body["nextPageCursor"] = cursor
    return body


def test_list_focus_areas_sends_filters(hook, requests_mock):
    requests_mock.get(FA, json=page([{"id": "1"}]))
    result = list(
        hook.list_focus_areas(name_contains="Growth", external_id="E-1", parent_id="p", sort="name", page_size=20)
    )
    assert result == [{"id": "1"}]
    assert requests_mock.last_request.qs == {
        "namecontains": ["growth"],
        "externalid": ["e-1"],
        "parentid": ["p"],
        "sort": ["name"],
        "limit": ["20"],
    }


def test_get_focus_area_encodes_the_id(hook, requests_mock):
    requests_mock.get(f"{FA}/a%2F..%2Fb", json={"id": "a/../b"})
    assert hook.get_focus_area("a/../b") == {"id": "a/../b"}


def test_find_focus_area_matches_exactly(hook, requests_mock):
    requests_mock.get(FA, json=page([{"id": "1", "externalId": "E-10"}, {"id": "2", "externalId": "E-1"}]))
    assert hook.find_focus_area("E-1") == {"id": "2", "externalId": "E-1"}
    assert hook.find_focus_area("E-404") is None


def test_create_focus_area_without_external_id_posts_once(hook, requests_mock):
    requests_mock.post(FA, status_code=201, json={"id": "new"})
    assert hook.create_focus_area(name="N", focus_area_type_id="t1", description="d") == {"id": "new"}
    assert requests_mock.last_request.json() == {"name": "N", "focusAreaTypeId": "t1", "description": "d"}


def test_create_focus_area_with_external_id_reconciles_a_lost_answer(hook, requests_mock):
    requests_mock.post(FA, exc=requests.exceptions.ReadTimeout)
    requests_mock.get(FA, json=page([{"id": "made", "externalId": "E-9"}]))
    assert hook.create_focus_area(name="N", focus_area_type_id="t1", externalId="E-9")["id"] == "made"
    assert [r.method for r in requests_mock.request_history] == ["POST", "GET"]


def test_update_focus_area_mask_defaults_to_the_fields(hook, requests_mock):
    requests_mock.patch(f"{FA}/7", json={"id": "7", "name": "New"})
    assert hook.update_focus_area("7", {"name": "New", "description": None}) == {"id": "7", "name": "New"}
    assert requests_mock.last_request.qs == {"updatemask": ["name,description"]}
    assert requests_mock.last_request.json() == {"name": "New", "description": None}
    hook.update_focus_area("7", {"name": "New"}, update_mask=["name", "ownerAccountId"])
    assert requests_mock.last_request.qs == {"updatemask": ["name,owneraccountid"]}


def test_update_with_nothing_to_change_is_refused(hook):
    with pytest.raises(FocusConfigError, match="Nothing to update"):
        hook.update_focus_area("7", {})


def test_organizations(hook, requests_mock):
    requests_mock.get(f"{API}/organizations", json=page([{"id": "o1", "name": "Org", "externalId": "O-1"}]))
    assert list(hook.list_organizations(name_contains="Org", parent_id="p", sort="-name")) == [
        {"id": "o1", "name": "Org", "externalId": "O-1"}
    ]
    assert requests_mock.last_request.qs == {"namecontains": ["org"], "parentid": ["p"], "sort": ["-name"]}
    requests_mock.post(f"{API}/organizations", status_code=201, json={"id": "o2"})
    assert hook.create_organization(name="B", organization_type_id="ot") == {"id": "o2"}
    assert requests_mock.last_request.json() == {"name": "B", "organizationTypeId": "ot"}


def test_create_organization_reconciles_by_external_id(hook, requests_mock):
    requests_mock.post(f"{API}/organizations", status_code=504)
    requests_mock.get(f"{API}/organizations", json=page([{"id": "o1", "name": "Org", "externalId": "O-1"}]))
    assert hook.create_organization(name="Org", organization_type_id="ot", externalId="O-1")["id"] == "o1"


@pytest.mark.parametrize(("kind", "key"), [("cost", "costItemExternalId"), ("benefit", "benefitItemExternalId")])
def test_fund_items_crud(hook, requests_mock, kind, key):
    base = f"{API}/funds/{kind}-item"
    answer = {"results": [{"index": 0, "created": True}], "errors": []}
    requests_mock.post(f"{base}/bulk", json=answer)
    requests_mock.get(f"{base}/i1", json={"id": "i1"})
    requests_mock.patch(f"{base}/i1", json={"id": "i1", "name": "x"})
    requests_mock.delete(f"{base}/i1", status_code=204)
    assert getattr(hook, f"bulk_import_{kind}_items")([{key: "X", "name": "n"}]) == answer
    assert requests_mock.last_request.json() == {"items": [{key: "X", "name": "n"}]}
    report = getattr(hook, f"import_{kind}_items")([{key: "X", "name": "n"}])
    assert report.as_dict() == {
        "created": ["X"],
        "updated": [],
        "unchanged": 0,
        "failed": [],
        "counts": {"created": 1, "updated": 0, "unchanged": 0, "failed": 0},
    }
    assert getattr(hook, f"get_{kind}_item")("i1")["id"] == "i1"
    assert getattr(hook, f"update_{kind}_item")("i1", {"name": "x"}) == {"id": "i1", "name": "x"}
    assert requests_mock.last_request.qs == {"updatemask": ["name"]}
    assert getattr(hook, f"delete_{kind}_item")("i1") is None
    assert requests_mock.last_request.method == "DELETE"


def test_keyed_bulk_import_is_retried_after_a_lost_answer(hook, requests_mock):
    dropped = requests.exceptions.ConnectionError("Connection aborted.")
    requests_mock.post(f"{API}/funds/cost-item/bulk", [{"exc": dropped}, {"json": {"results": [], "errors": []}}])
    hook.bulk_import_cost_items([{"costItemExternalId": "C-1"}])
    assert requests_mock.call_count == 2


def test_unkeyed_bulk_import_is_not_retried_after_a_lost_answer(hook, requests_mock):
    dropped = requests.exceptions.ConnectionError("Connection aborted.")
    requests_mock.post(f"{API}/funds/cost-item/bulk", exc=dropped)
    with pytest.raises(Exception, match="may have taken effect"):
        hook.bulk_import_cost_items([{"name": "no key"}])
    assert requests_mock.call_count == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("list_cost_types", "funds/cost-type"),
        ("list_cost_subtypes", "funds/cost-subtype"),
        ("list_benefit_types", "funds/benefit-type"),
        ("list_investment_categories", "funds/investment-category"),
    ],
)
def test_type_lists_follow_every_page(hook, requests_mock, method, path):
    requests_mock.get(
        f"{API}/{path}",
        [{"json": page([{"key": "a"}], last=False, cursor="c2")}, {"json": page([{"key": "b"}])}],
    )
    assert getattr(hook, method)() == [{"key": "a"}, {"key": "b"}]


def test_request_escape_hatch_and_paginate(hook, requests_mock):
    requests_mock.get(f"{API}/some/new-endpoint", json={"x": 1})
    assert hook.request("GET", "some/new-endpoint", params={"a": 1}) == {"x": 1}
    requests_mock.get(f"{API}/things", json=page([1, 2, 3]))
    assert list(hook.paginate("things", max_items=2)) == [1, 2]


def test_one_session_is_reused(hook, requests_mock):
    requests_mock.get(FA, json=page([]))
    session = hook.get_conn().session
    list(hook.list_focus_areas())
    list(hook.list_focus_areas())
    assert hook.get_conn().session is session


def test_focus_area_url(hook):
    assert hook.focus_area_url("a/1") == "https://acme.atlassian.net/focus/focus-areas/a%2F1"


def test_focus_area_url_without_a_site(set_connection):
    set_connection(
        "cloud_only",
        login=EMAIL,
        password=TOKEN,
        extra={"cloud_id": "a436116f-02ce-4520-8fbb-7301462a1674"},
    )
    assert FocusHook("cloud_only").focus_area_url("1") is None


# --- test_connection ---------------------------------------------------------------------------------------------


def test_test_connection_success(hook, requests_mock):
    requests_mock.get(FA, json=page([]))
    assert hook.test_connection() == (True, f"Connected to Focus at {API} (api_token).")
    assert requests_mock.last_request.qs == {"limit": ["1"]}


@pytest.mark.parametrize(
    ("status", "body", "advice"),
    [
        (401, {}, "check the connection's login (your Atlassian account email)"),
        (403, {}, "lack a permission or scope"),
        (404, {}, "No Focus API at"),
        (500, {}, "HTTP 500"),
    ],
)
def test_test_connection_explains_failures(hook, requests_mock, status, body, advice):
    requests_mock.get(FA, status_code=status, json=body)
    ok, message = hook.test_connection()
    assert ok is False
    assert advice in message
    assert TOKEN not in message


def test_test_connection_never_raises_on_a_bad_connection(set_connection):
    set_connection("bad", host="https://acme.atlassian.net/path", login=EMAIL, password=TOKEN)
    ok, message = FocusHook("bad").test_connection()
    assert ok is False
    assert "has a path ('/path'); remove it" in message


def test_test_connection_on_an_unknown_site(set_connection):
    set_connection("nowhere", host="focus-provider-test.invalid", login=EMAIL, password=TOKEN)
    ok, message = FocusHook("nowhere").test_connection()
    assert (ok, "could not be resolved" in message) == (False, True)


def test_password_and_derived_header_are_registered_with_the_secrets_masker(set_connection):
    import base64

    from airflow.sdk._shared.secrets_masker import redact

    token = "masker-test-token-4f1d2"
    set_connection("masked", host="acme.atlassian.net", login=EMAIL, password=token)
    basic = base64.b64encode(f"{EMAIL}:{token}".encode()).decode()
    hook = FocusHook("masked")
    assert basic in redact(f"Basic {basic}")  # nothing derived yet
    _ = hook.client  # building the client registers the password and the derived Basic credential
    assert token not in redact(f"token {token}")
    assert basic not in redact(f"Authorization: Basic {basic}")


def test_upsert_focus_areas_is_on_the_hook_with_the_operator_arguments(hook, requests_mock):
    requests_mock.get(
        f"{API}/focus-areas",
        json=page([{"id": "fa-1", "externalId": "P", "name": "P", "focusAreaTypeId": "fat-program"}]),
    )
    records = [
        {"code": "K", "up": "P", "name": "Kid", "focusAreaTypeId": "fat-project"},
        {"code": "P", "name": "P", "focusAreaTypeId": "fat-program"},
        {"name": "no code"},
    ]
    report = hook.upsert_focus_areas(records, key="code", parent_key="up", dry_run=True, max_in_flight=2)
    assert report.as_dict() == {
        "created": ["K"],
        "updated": [],
        "unchanged": 1,
        "failed": [
            {"externalId": None, "index": 2, "error": "record 2 has no 'code' (key='code' names the external id)"}
        ],
        "dry_run": True,
        "not_updatable": [],
        "counts": {"created": 1, "updated": 0, "unchanged": 1, "failed": 1, "not_updatable": 0},
    }
    assert all(r.method == "GET" for r in requests_mock.request_history)
