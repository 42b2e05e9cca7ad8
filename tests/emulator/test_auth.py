from __future__ import annotations

import base64

import pytest
import requests

from airflow_provider_focus.api import model
from airflow_provider_focus.testing import (
    EMULATOR_API_TOKEN,
    EMULATOR_CLIENT_ID,
    EMULATOR_CLIENT_SECRET,
    EMULATOR_CLOUD_ID,
    EMULATOR_EMAIL,
    FocusEmulator,
)
from tests.emulator.conftest import Api, bearer, error_types

GATEWAY_SCOPE_BODY = {"code": 401, "message": "Unauthorized; scope does not match"}


def test_basic_works_on_both_roots(site: Api, cloud: Api) -> None:
    assert site.get("focus-areas").status_code == 200
    assert cloud.get("focus-areas").status_code == 200
    assert cloud.root.endswith(f"/focus/cloud/{EMULATOR_CLOUD_ID}/v1")


@pytest.mark.parametrize("root_attr", ["site_api_root", "cloud_api_root"])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic " + base64.b64encode(b"emulator@example.com:wrong").decode()},
        {"Authorization": "Basic !!!"},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Token abc"},
    ],
)
def test_missing_or_wrong_credentials_are_401(
    focus_emulator: FocusEmulator, root_attr: str, headers: dict[str, str]
) -> None:
    response = requests.get(getattr(focus_emulator, root_attr) + "/focus-areas", headers=headers, timeout=5)

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("email", "token", "why"),
    [
        (EMULATOR_EMAIL, "a-wrong-token", "the API token is not this user's"),
        ("nobody@example.com", EMULATOR_API_TOKEN, "no user has this email"),
    ],
)
def test_a_refused_basic_credential_is_logged_with_its_email_and_why_but_not_its_token(
    focus_emulator: FocusEmulator, caplog: pytest.LogCaptureFixture, email: str, token: str, why: str
) -> None:
    header = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
    with caplog.at_level("WARNING", logger="airflow_provider_focus.testing.auth"):
        response = requests.get(
            focus_emulator.site_api_root + "/focus-areas", headers={"Authorization": header}, timeout=5
        )

    assert response.status_code == 401
    assert error_types(response) == ["UNAUTHORIZED"]  # the answer itself names neither (as Atlassian's)
    refusals = [r.getMessage() for r in caplog.records if r.name == "airflow_provider_focus.testing.auth"]
    assert refusals == [f"Basic credentials of {email!r} refused: {why}"]
    assert token not in caplog.text


def test_401_bodies_follow_the_root(focus_emulator: FocusEmulator) -> None:
    site = requests.get(focus_emulator.site_api_root + "/focus-areas", timeout=5)
    cloud = requests.get(focus_emulator.cloud_api_root + "/focus-areas", timeout=5)

    assert error_types(site) == ["UNAUTHORIZED"]
    assert cloud.json() == {"code": 401, "message": "Unauthorized"}


def test_client_credentials_token_works_on_the_cloud_root_only(focus_emulator: FocusEmulator) -> None:
    response = requests.post(
        focus_emulator.token_url,
        json={
            "grant_type": "client_credentials",
            "client_id": EMULATOR_CLIENT_ID,
            "client_secret": EMULATOR_CLIENT_SECRET,
        },
        timeout=5,
    )

    assert response.status_code == 200
    grant = response.json()
    assert grant["token_type"] == "Bearer"
    assert grant["expires_in"] == 3600
    assert set(grant["scope"].split()) == set(model.Scope.ALL)
    assert bearer(focus_emulator, grant["access_token"]).get("focus-areas").status_code == 200
    on_site = requests.get(
        focus_emulator.site_api_root + "/focus-areas",
        headers={"Authorization": f"Bearer {grant['access_token']}"},
        timeout=5,
    )
    assert on_site.status_code == 401
    assert error_types(on_site) == ["UNAUTHORIZED"]
    assert [r.auth_mode for r in focus_emulator.requests] == ["none", "bearer", "bearer"]
    assert [r.root for r in focus_emulator.requests] == ["token", "cloud", "site"]


def test_token_endpoint_accepts_form_bodies_and_basic_client_auth(focus_emulator: FocusEmulator) -> None:
    form = requests.post(
        focus_emulator.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": EMULATOR_CLIENT_ID,
            "client_secret": EMULATOR_CLIENT_SECRET,
        },
        timeout=5,
    )
    basic = requests.post(
        focus_emulator.token_url,
        data={"grant_type": "client_credentials"},
        auth=(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET),
        timeout=5,
    )

    assert form.status_code == 200
    assert basic.status_code == 200
    assert form.json()["access_token"] != basic.json()["access_token"]


def test_token_endpoint_refusals(focus_emulator: FocusEmulator) -> None:
    wrong = requests.post(
        focus_emulator.token_url,
        json={"grant_type": "client_credentials", "client_id": EMULATOR_CLIENT_ID, "client_secret": "nope"},
        timeout=5,
    )
    grant = requests.post(focus_emulator.token_url, json={"grant_type": "password"}, timeout=5)
    missing = requests.post(focus_emulator.token_url, json={"grant_type": "client_credentials"}, timeout=5)

    assert wrong.status_code == 401
    assert wrong.json()["error"] == "access_denied"
    assert wrong.json()["error_description"]
    assert grant.status_code == 400
    assert grant.json()["error"] == "unsupported_grant_type"
    assert missing.status_code == 400
    assert requests.get(focus_emulator.token_url, timeout=5).status_code == 405


def test_configurable_expires_in_and_requested_scope() -> None:
    with FocusEmulator(token_expires_in=120) as fe:
        fe.add_client("reader", "pw", scopes=[model.Scope.FOCUS_AREAS_READ, model.Scope.FUNDS_READ])
        grant = requests.post(
            fe.token_url,
            json={
                "grant_type": "client_credentials",
                "client_id": "reader",
                "client_secret": "pw",
                "scope": model.Scope.FOCUS_AREAS_READ,
            },
            timeout=5,
        ).json()
        too_much = requests.post(
            fe.token_url,
            json={
                "grant_type": "client_credentials",
                "client_id": "reader",
                "client_secret": "pw",
                "scope": model.Scope.FUNDS_WRITE,
            },
            timeout=5,
        )

        assert grant["expires_in"] == 120
        assert grant["scope"] == model.Scope.FOCUS_AREAS_READ
        api = bearer(fe, grant["access_token"])
        assert api.get("focus-areas").status_code == 200
        assert api.get("funds/cost-type").json() == GATEWAY_SCOPE_BODY
        assert too_much.status_code == 403
        assert too_much.json()["error"] == "access_denied"


def test_expired_token_is_401(focus_emulator: FocusEmulator) -> None:
    response = bearer(focus_emulator, focus_emulator.issue_token(expires_in=0)).get("focus-areas")

    assert response.status_code == 401
    assert bearer(focus_emulator, focus_emulator.issue_token(expires_in=60)).get("focus-areas").status_code == 200


def test_missing_scope_is_403_on_site_and_gateway_401_on_cloud(focus_emulator: FocusEmulator) -> None:
    focus_emulator.add_user("reader@example.com", "read-only", scopes=[model.Scope.FOCUS_AREAS_READ])
    site = Api(focus_emulator.site_api_root, ("reader@example.com", "read-only"))
    cloud = Api(focus_emulator.cloud_api_root, ("reader@example.com", "read-only"))
    write = {"name": "x", "focusAreaTypeId": "fat-project"}

    assert site.get("focus-areas").status_code == 200
    forbidden = site.post("focus-areas", json=write)
    assert forbidden.status_code == 403
    assert error_types(forbidden) == ["FORBIDDEN"]
    assert model.Scope.FOCUS_AREAS_WRITE in forbidden.json()["errors"][0]["message"]
    gateway = cloud.post("focus-areas", json=write)
    assert gateway.status_code == 401
    assert gateway.json() == GATEWAY_SCOPE_BODY
    assert site.get("organizations").status_code == 403
    assert focus_emulator.store.counts()["focusAreas"] == 6


def test_bearer_token_scopes(focus_emulator: FocusEmulator) -> None:
    api = bearer(focus_emulator, focus_emulator.issue_token(scopes=[model.Scope.FUNDS_READ]))

    assert api.get("funds/cost-type").status_code == 200
    assert api.get("focus-areas").json() == GATEWAY_SCOPE_BODY


def test_created_focus_area_is_owned_by_the_caller(focus_emulator: FocusEmulator) -> None:
    account = focus_emulator.add_user("owner@example.com", "tok")
    api = Api(focus_emulator.site_api_root, ("owner@example.com", "tok"))

    created = api.post("focus-areas", json={"name": "Mine", "focusAreaTypeId": "fat-strategy"}).json()

    assert created["ownerAccountId"] == account


def test_unknown_cloud_id_is_404(focus_emulator: FocusEmulator) -> None:
    url = focus_emulator.url + model.CLOUD_API_PATH.format(cloud_id="00000000-0000-0000-0000-000000000000")

    response = requests.get(url + "/focus-areas", auth=(EMULATOR_EMAIL, EMULATOR_API_TOKEN), timeout=5)

    assert response.status_code == 404
    assert error_types(response) == ["NOT_FOUND"]


def test_tenant_info_needs_no_auth(focus_emulator: FocusEmulator) -> None:
    response = requests.get(focus_emulator.url + model.TENANT_INFO_PATH, timeout=5)

    assert response.json() == {"cloudId": EMULATOR_CLOUD_ID}
    assert focus_emulator.cloud_id == EMULATOR_CLOUD_ID


def test_unknown_paths_outside_the_roots_are_404(focus_emulator: FocusEmulator) -> None:
    response = requests.get(focus_emulator.url + "/nowhere", timeout=5)

    assert response.status_code == 404
    assert focus_emulator.requests[-1].root == "other"


def test_expire_tokens_forces_a_new_token(focus_emulator: FocusEmulator) -> None:
    first = focus_emulator.issue_token()
    second = focus_emulator.issue_token()
    focus_emulator.issue_token(expires_in=0)

    assert focus_emulator.expire_tokens() == 2
    assert bearer(focus_emulator, first).get("focus-areas").status_code == 401
    assert bearer(focus_emulator, second).get("focus-areas").status_code == 401
    fresh = focus_emulator.issue_token()
    assert bearer(focus_emulator, fresh).get("focus-areas").status_code == 200
    expired = requests.post(focus_emulator.url + "/_emulator/tokens/expire", timeout=5).json()
    assert expired == {"expired": 1}
    assert bearer(focus_emulator, fresh).get("focus-areas").status_code == 401
