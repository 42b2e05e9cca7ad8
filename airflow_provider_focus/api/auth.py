"""Authentication of requests to the Focus API: Basic API tokens, static bearer tokens, client credentials."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable

import requests
from requests.auth import AuthBase

from airflow_provider_focus.api import model
from airflow_provider_focus.api.config import AuthType, FocusClientConfig
from airflow_provider_focus.api.errors import HttpResponse, error_from_response, parse_error_body
from airflow_provider_focus.exceptions import FocusAuthError, FocusConnectionError

log = logging.getLogger(__name__)

#: Called with every secret the provider derives at run time (access tokens, Authorization header values),
#: so that Airflow's secrets masker redacts them from logs. The hook passes ``airflow.sdk.log.mask_secret``.
SecretSink = Callable[[str], None]


def _ignore_secret(_secret: str) -> None:
    return None


class FocusAuth(AuthBase):
    """Base of the Focus auth strategies: puts an ``Authorization`` header on each request."""

    #: Whether a 401 may be cured by fetching a new credential (and the call repeated once).
    refreshable = False

    def authorization(self) -> str:
        """Return the ``Authorization`` header value."""
        raise NotImplementedError

    def invalidate(self) -> None:
        """Forget a cached credential so the next request fetches a new one."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self.authorization()
        return request


class ApiTokenAuth(FocusAuth):
    """
    HTTP Basic with the Atlassian account email and an API token.

    :param email: the account's email.
    :param api_token: the API token.
    :param secret_sink: receives the derived header value for masking.
    """

    def __init__(self, email: str, api_token: str, *, secret_sink: SecretSink = _ignore_secret) -> None:
        encoded = base64.b64encode(f"{email}:{api_token}".encode()).decode("ascii")
        self._header = f"Basic {encoded}"
        secret_sink(encoded)

    def authorization(self) -> str:
        return self._header


class BearerTokenAuth(FocusAuth):
    """
    A bearer access token kept fresh outside Airflow (for example by a secrets backend).

    :param access_token: the token.
    """

    def __init__(self, access_token: str) -> None:
        self._header = f"Bearer {access_token}"

    def authorization(self) -> str:
        return self._header


class TokenCache:
    """
    An access token and when to stop using it: shortly before it expires (the margin is at most half its life).

    :param clock: monotonic clock (for tests).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0

    def current(self) -> str | None:
        """Return the cached token while it is fresh, else ``None``."""
        if self._token is None or self._clock() >= self._expires_at:
            return None
        return self._token

    def store(self, token: str, lifetime: float) -> str:
        """
        Cache a token that lives ``lifetime`` seconds from now and return it.

        :param token: the access token.
        :param lifetime: its ``expires_in``.
        """
        margin = min(model.ACCESS_TOKEN_REFRESH_MARGIN_SECONDS, lifetime / 2)
        self._token = token
        self._expires_at = self._clock() + lifetime - margin
        return token

    def invalidate(self) -> None:
        """Forget the token (after a 401)."""
        self._token = None


def token_request_body(client_id: str, client_secret: str) -> dict[str, str]:
    """Return the JSON body of a client-credentials token request."""
    return {
        "grant_type": model.OAUTH_GRANT_CLIENT_CREDENTIALS,
        "client_id": client_id,
        "client_secret": client_secret,
    }


def token_endpoint_unreachable(token_url: str, err: BaseException) -> FocusConnectionError:
    """Build the error for a token request that got no answer."""
    return FocusConnectionError(
        f"Could not reach the OAuth token endpoint {token_url}: {type(err).__name__}. "
        "Check the connection's extra 'token_url' and the network.",
        method="POST",
        path=token_url,
        may_have_taken_effect=False,
    )


def token_from_response(response: HttpResponse, token_url: str) -> tuple[str, float]:
    """
    Read ``(access_token, expires_in)`` from the token endpoint's answer.

    :param response: the answer.
    :param token_url: the endpoint, for messages.
    :raises FocusApiError: 429 and 5xx as retryable errors; any other failure as :class:`FocusAuthError`.
    """
    if response.status_code == 429 or response.status_code >= 500:
        raise error_from_response(response, method="POST", path=token_url)
    if response.status_code != 200:
        errors, excerpt = parse_error_body(response.text)
        raise FocusAuthError(
            status_code=response.status_code,
            errors=errors,
            body_excerpt=excerpt,
            method="POST",
            path=token_url,
            hint="The service account's client id or secret was rejected: check the connection's login "
            "(client id) and password (client secret).",
        )
    try:
        body = json.loads(response.content)
        token = str(body["access_token"])
        lifetime = float(body.get("expires_in") or model.ACCESS_TOKEN_LIFETIME_SECONDS)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise FocusAuthError(
            status_code=response.status_code,
            method="POST",
            path=token_url,
            hint="The token endpoint answered without an access_token: check the extra 'token_url'.",
        ) from None
    return token, lifetime


class ClientCredentialsAuth(FocusAuth):
    """
    OAuth 2.0 client credentials of a service account: fetch an access token, cache it until shortly before it
    expires, and fetch again after a 401.

    :param client_id: the service account's client id.
    :param client_secret: its client secret.
    :param token_url: the token endpoint.
    :param session: the session to send token requests with.
    :param timeout: seconds to wait for the token endpoint.
    :param verify: TLS verification for the token endpoint.
    :param secret_sink: receives every fetched access token for masking.
    :param clock: monotonic clock (for tests).
    """

    refreshable = True

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_url: str,
        session: requests.Session,
        timeout: float,
        verify: bool | str = True,
        secret_sink: SecretSink = _ignore_secret,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_url = token_url
        self._session = session
        self._timeout = timeout
        self._verify = verify
        self._secret_sink = secret_sink
        self._lock = threading.Lock()
        self._cache = TokenCache(clock)

    def authorization(self) -> str:
        with self._lock:
            token = self._cache.current() or self._cache.store(*self._fetch_token())
            return f"Bearer {token}"

    def invalidate(self) -> None:
        with self._lock:
            self._cache.invalidate()

    def _fetch_token(self) -> tuple[str, float]:
        log.info("Fetching a Focus access token for client %s from %s", self._client_id, self._token_url)
        try:
            response = self._session.post(
                self._token_url,
                json=token_request_body(self._client_id, self._client_secret),
                timeout=self._timeout,
                verify=self._verify,
                auth=_NoAuth(),
            )
        except requests.RequestException as err:
            raise token_endpoint_unreachable(self._token_url, err) from None
        token, lifetime = token_from_response(response, self._token_url)
        self._secret_sink(token)
        return token, lifetime


class _NoAuth(AuthBase):
    """Keeps the session's own auth (and any netrc) off the token request."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


def static_auth(config: FocusClientConfig, *, secret_sink: SecretSink = _ignore_secret) -> FocusAuth | None:
    """
    Build the auth strategy that needs no I/O (Basic, static bearer); ``None`` for client credentials.

    :param config: the validated client configuration.
    :param secret_sink: receives derived secrets for masking.
    """
    if config.auth_type is AuthType.API_TOKEN:
        return ApiTokenAuth(config.login or "", config.password or "", secret_sink=secret_sink)
    if config.auth_type is AuthType.OAUTH2_TOKEN:
        return BearerTokenAuth(config.password or "")
    return None


def build_auth(
    config: FocusClientConfig, *, session: requests.Session, secret_sink: SecretSink = _ignore_secret
) -> FocusAuth:
    """
    Build the auth strategy that ``config`` asks for.

    :param config: the validated client configuration.
    :param session: the session token requests are sent with.
    :param secret_sink: receives derived secrets for masking.
    """
    return static_auth(config, secret_sink=secret_sink) or ClientCredentialsAuth(
        config.login or "",
        config.password or "",
        token_url=config.token_url,
        session=session,
        timeout=config.timeout,
        verify=config.verify,
        secret_sink=secret_sink,
    )
