from __future__ import annotations

from typing import Any

import pytest
import requests

from airflow_provider_focus.testing import EMULATOR_API_TOKEN, EMULATOR_EMAIL, FocusEmulator


class Api:
    """A ``requests`` session bound to one API root."""

    def __init__(self, root: str, auth: Any = None, headers: dict[str, str] | None = None) -> None:
        self.root = root
        self.session = requests.Session()
        self.session.auth = auth
        if headers:
            self.session.headers.update(headers)

    def url(self, path: str) -> str:
        return f"{self.root}/{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def site(focus_emulator: FocusEmulator) -> Api:
    """Basic auth with the default API token on the site root."""
    return Api(focus_emulator.site_api_root, (EMULATOR_EMAIL, EMULATOR_API_TOKEN))


@pytest.fixture
def cloud(focus_emulator: FocusEmulator) -> Api:
    """Basic auth with the default API token on the cloud root."""
    return Api(focus_emulator.cloud_api_root, (EMULATOR_EMAIL, EMULATOR_API_TOKEN))


def bearer(emulator: FocusEmulator, token: str) -> Api:
    return Api(emulator.cloud_api_root, headers={"Authorization": f"Bearer {token}"})


def error_types(response: requests.Response) -> list[str]:
    return [error["type"] for error in response.json()["errors"]]
