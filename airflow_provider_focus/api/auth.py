"""
Authentication to the Focus API, without I/O: Basic API tokens, static bearer tokens, client credentials.

The client-credentials flow is a generator of steps like every call (see :mod:`~airflow_provider_focus.api.core`):
it yields the token request, reads the answer, caches the token and yields it to the secrets masker.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from airflow_provider_focus.api import model
from airflow_provider_focus.api.config import AuthType, FocusClientConfig
from airflow_provider_focus.api.errors import (
    HttpResponse,
    Scrub,
    cut,
    error_from_response,
    parse_error_body,
    redirect_error,
    request_id_of,
)
from airflow_provider_focus.api.scrub import NO_SECRETS, Scrubber
from airflow_provider_focus.api.secret import RequestHeaders, Secret
from airflow_provider_focus.api.steps import Reveal, Send, Steps, TransportFailure, exchange
from airflow_provider_focus.exceptions import FocusAuthError, FocusConnectionError

log = logging.getLogger(__name__)

#: Called with every secret the provider derives at run time (access tokens, Authorization header values),
#: so that Airflow's secrets masker redacts them from logs. The hook passes ``airflow.sdk.log.mask_secret``.
SecretSink = Callable[[str], None]


def static_authorization(config: FocusClientConfig, *, secret_sink: SecretSink) -> Secret | None:
    """
    Return the ``Authorization`` value that needs no I/O (Basic, static bearer); ``None`` for client credentials.

    :param config: the validated client configuration.
    :param secret_sink: receives derived secrets (the Basic credential) for masking.
    """
    if config.auth_type is AuthType.API_TOKEN:
        credential = Secret(_basic_credential(config.login or "", config.password or ""))
        secret_sink(credential.reveal())
        return Secret("Basic " + credential.reveal())
    if config.auth_type is AuthType.OAUTH2_TOKEN:
        return Secret("Bearer " + (config.password or ""))
    return None


def _basic_credential(login: str, password: str) -> str:
    return base64.b64encode(f"{login}:{password}".encode()).decode("ascii")


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

    def invalidate(self, token: str | None = None) -> None:
        """
        Forget the token after a 401 -- only if it is still the one the 401 answered, so that a token another
        thread has just fetched is kept.

        :param token: the token the rejected request carried; ``None`` forgets whatever is cached.
        """
        if token is None or token == self._token:
            self._token = None


def token_request_body(client_id: str, client_secret: str) -> dict[str, str]:
    """Return the JSON body of a client-credentials token request."""
    return {
        "grant_type": model.OAUTH_GRANT_CLIENT_CREDENTIALS,
        "client_id": client_id,
        "client_secret": client_secret,
    }


def token_endpoint_unreachable(token_url: str, detail: str, scrub: Scrub = NO_SECRETS) -> FocusConnectionError:
    """
    Build the error for a token request that got no answer.

    :param token_url: the token endpoint.
    :param detail: the short reason the transport gave.
    :param scrub: replaces the secrets the client knows.
    """
    return FocusConnectionError(
        f"Could not reach the OAuth token endpoint {token_url}: {cut(detail, 200, scrub=scrub)}. "
        "Check the connection's extra 'token_url' and the network.",
        method="POST",
        path=token_url,
        may_have_taken_effect=False,
    )


def token_from_response(response: HttpResponse, token_url: str, scrub: Scrub = NO_SECRETS) -> tuple[Secret, float]:
    """
    Read ``(access_token, expires_in)`` from the token endpoint's answer.

    :param response: the answer.
    :param token_url: the endpoint, for messages.
    :param scrub: replaces the secrets the client knows in the server's text that an error quotes.
    :raises FocusApiError: 429 and 5xx as retryable errors; a 3xx as :class:`FocusRedirectError` (never followed:
        the next request would carry the client secret); any other failure as :class:`FocusAuthError`.
    """
    status = response.status_code
    if 300 <= status < 400:
        raise redirect_error(response, method="POST", path=token_url, url=token_url, scrub=scrub)
    if status == 429 or status >= 500:
        raise error_from_response(response, method="POST", path=token_url, scrub=scrub)
    if status != 200:
        errors, excerpt = parse_error_body(response.text, scrub)
        raise FocusAuthError(
            status_code=status,
            errors=errors,
            body_excerpt=excerpt,
            method="POST",
            path=token_url,
            request_id=request_id_of(response, scrub),
            hint="The service account's client id or secret was rejected: check the connection's login "
            "(client id) and password (client secret).",
        )
    parsed = _parse_token(response.content)
    if parsed is None:
        # Raised here, outside any except block: a JSONDecodeError's .doc would hold the access token.
        raise FocusAuthError(
            status_code=status,
            method="POST",
            path=token_url,
            hint="The token endpoint answered without an access_token: check the extra 'token_url'.",
        )
    return parsed


def _parse_token(content: bytes) -> tuple[Secret, float] | None:
    try:
        body: Any = json.loads(content)
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict):
        return None
    token = body.get("access_token")
    if not isinstance(token, str) or not token.strip():
        return None
    raw_lifetime = body.get("expires_in")
    try:
        lifetime = float(raw_lifetime) if raw_lifetime not in (None, "", 0) else model.ACCESS_TOKEN_LIFETIME_SECONDS
    except (TypeError, ValueError):
        return None
    if not 0 < lifetime < float("inf"):
        lifetime = model.ACCESS_TOKEN_LIFETIME_SECONDS
    return Secret(token), lifetime


class TokenSource:
    """
    OAuth 2.0 client credentials of a service account: fetch an access token, cache it until shortly before it
    expires, fetch again after a 401 (only if the 401 answered the cached token).

    Run :meth:`fresh` under one lock per client (the drivers do): twenty threads that find the token expired then
    fetch one new token.

    :param client_id: the service account's client id.
    :param client_secret: its client secret.
    :param token_url: the token endpoint.
    :param user_agent: the ``User-Agent`` of token requests.
    :param max_bytes: the largest answer to read.
    :param clock: monotonic clock (for tests).
    :param scrub: learns every token fetched and scrubs server text (the client's scrubber).
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_url: str,
        user_agent: str,
        max_bytes: int,
        clock: Callable[[], float] = time.monotonic,
        scrub: Scrubber | None = None,
    ) -> None:
        self._scrub = scrub if scrub is not None else Scrubber([client_secret])
        self._client_id = client_id
        self._client_secret = Secret(client_secret)
        self._token_url = token_url
        self._user_agent = user_agent
        self._max_bytes = max_bytes
        self._cache = TokenCache(clock)

    def __repr__(self) -> str:
        return f"TokenSource(client_id={self._client_id!r}, token_url={self._token_url!r})"

    def fresh(self, deadline: float) -> Steps[Secret]:
        """
        Return the cached token, or fetch, cache and reveal (to the masker) a new one.

        :param deadline: when the call's attempt must be over; the token request counts against it.
        """
        cached = self._cache.current()
        if cached is not None:
            return Secret(cached)
        token, lifetime = yield from self._fetch(deadline)
        self._scrub.add(token.reveal())
        yield Reveal(token.reveal())
        self._cache.store(token.reveal(), lifetime)
        return token

    def invalidate(self, token: Secret) -> None:
        """
        Forget ``token`` if it is still the cached one.

        :param token: the token a 401 answered.
        """
        self._cache.invalidate(token.reveal())

    def _fetch(self, deadline: float) -> Steps[tuple[Secret, float]]:
        log.info("Fetching a Focus access token for client %s from %s", self._client_id, self._token_url)
        # The body (it holds the client secret) goes straight into the request, whose repr hides it.
        request = Send(
            "POST",
            self._token_url,
            RequestHeaders(
                {"User-Agent": self._user_agent, "Accept": "application/json", "Content-Type": "application/json"}
            ),
            json.dumps(token_request_body(self._client_id, self._client_secret.reveal())).encode(),
            deadline,
            self._max_bytes,
        )
        try:
            answer = yield from exchange(request)
        except TransportFailure as failure:
            detail = failure.detail
        else:
            if answer.too_large:
                raise FocusAuthError(
                    status_code=answer.status_code,
                    method="POST",
                    path=self._token_url,
                    hint="The token endpoint's answer is too large to be a token: check the extra 'token_url'.",
                )
            return token_from_response(answer, self._token_url, self._scrub)
        raise token_endpoint_unreachable(self._token_url, detail, self._scrub)
