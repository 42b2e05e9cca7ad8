"""
Credentials of the emulator: API-token users (HTTP Basic), OAuth 2.0 service accounts (client credentials) and
the bearer tokens it issued, each with its scopes.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_focus.api import model
from airflow_provider_focus.testing.constants import (
    EMULATOR_ACCOUNT_ID,
    EMULATOR_API_TOKEN,
    EMULATOR_CLIENT_ID,
    EMULATOR_CLIENT_SECRET,
    EMULATOR_EMAIL,
    EMULATOR_SERVICE_ACCOUNT_ID,
)

log = logging.getLogger(__name__)

AUTH_BASIC = "basic"
AUTH_BEARER = "bearer"
AUTH_NONE = "none"


@dataclass(frozen=True)
class Principal:
    """
    Who made a request.

    :param mode: ``"basic"`` or ``"bearer"``.
    :param subject: the email (Basic) or client id (bearer).
    :param account_id: the Atlassian account id the caller acts as.
    :param scopes: the scopes granted.
    """

    mode: str
    subject: str
    account_id: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class AuthResult:
    """
    Outcome of reading the ``Authorization`` header.

    :param mode: what the client sent: ``"basic"``, ``"bearer"`` or ``"none"``.
    :param principal: the caller, or ``None`` when the credentials are missing, wrong or expired.
    :param reason: why ``principal`` is ``None``.
    """

    mode: str
    principal: Principal | None
    reason: str = ""


@dataclass
class _Token:
    subject: str
    account_id: str
    scopes: frozenset[str]
    expires_at: float


def _account_id_for(subject: str) -> str:
    return f"712020:{uuid.uuid5(uuid.NAMESPACE_URL, 'focus-emulator:' + subject)}"


class AuthRegistry:
    """
    Thread-safe registry of users, clients and issued tokens; starts with the default user and client.

    :param token_expires_in: lifetime in seconds of tokens issued by the token endpoint.
    """

    def __init__(self, token_expires_in: int = model.ACCESS_TOKEN_LIFETIME_SECONDS) -> None:
        self._lock = threading.Lock()
        self.token_expires_in = token_expires_in
        self._users: dict[str, tuple[str, str, frozenset[str]]] = {}
        self._clients: dict[str, tuple[str, str, frozenset[str]]] = {}
        self._tokens: dict[str, _Token] = {}
        self.add_user(EMULATOR_EMAIL, EMULATOR_API_TOKEN, account_id=EMULATOR_ACCOUNT_ID)
        self.add_client(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, account_id=EMULATOR_SERVICE_ACCOUNT_ID)

    def add_user(
        self,
        email: str,
        api_token: str,
        scopes: Iterable[str] = model.Scope.ALL,
        account_id: str | None = None,
    ) -> str:
        """
        Register an API-token user for HTTP Basic.

        :param email: the account email (Basic user name).
        :param api_token: the API token (Basic password).
        :param scopes: scopes the token grants.
        :param account_id: account id; derived from the email when omitted.
        :return: the account id.
        """
        account = account_id or _account_id_for(email)
        with self._lock:
            self._users[email] = (api_token, account, frozenset(scopes))
        return account

    def add_client(
        self,
        client_id: str,
        client_secret: str,
        scopes: Iterable[str] = model.Scope.ALL,
        account_id: str | None = None,
    ) -> str:
        """
        Register an OAuth 2.0 service account for the client-credentials grant.

        :param client_id: the client id.
        :param client_secret: the client secret.
        :param scopes: scopes its tokens may carry.
        :param account_id: account id; derived from the client id when omitted.
        :return: the account id.
        """
        account = account_id or _account_id_for(client_id)
        with self._lock:
            self._clients[client_id] = (client_secret, account, frozenset(scopes))
        return account

    def issue_token(
        self,
        scopes: Iterable[str] | None = None,
        expires_in: float | None = None,
        *,
        subject: str = EMULATOR_CLIENT_ID,
        account_id: str = EMULATOR_SERVICE_ACCOUNT_ID,
    ) -> str:
        """
        Mint a bearer token the cloud root accepts.

        :param scopes: scopes of the token (default: every scope).
        :param expires_in: lifetime in seconds (default: the registry's); ``0`` or less is expired at once.
        :param subject: the client id recorded for the token.
        :param account_id: the account the token acts as.
        """
        token = "emu_" + secrets.token_urlsafe(24)
        lifetime = self.token_expires_in if expires_in is None else expires_in
        with self._lock:
            self._tokens[token] = _Token(
                subject=subject,
                account_id=account_id,
                scopes=frozenset(model.Scope.ALL if scopes is None else scopes),
                expires_at=time.time() + lifetime,
            )
        return token

    def expire_tokens(self) -> int:
        """
        Make every bearer token issued so far expired (a client must fetch a new one).

        :return: how many tokens were still valid.
        """
        now = time.time()
        with self._lock:
            live = [token for token in self._tokens.values() if token.expires_at > now]
            for token in live:
                token.expires_at = now
        return len(live)

    def authenticate(self, header: str | None) -> AuthResult:
        """
        Read an ``Authorization`` header.

        :param header: the header value, or ``None``.
        """
        if not header:
            return AuthResult(AUTH_NONE, None, "No credentials were sent.")
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        value = value.strip()
        if scheme == "basic":
            credentials = _decode_basic(value)
            if credentials is None:
                return AuthResult(AUTH_BASIC, None, "The Basic credentials are malformed.")
            email, token = credentials
            with self._lock:
                user = self._users.get(email)
            if user is None or not secrets.compare_digest(user[0], token):
                # The answer says only "wrong", as Atlassian's does; the emulator's log says which (never the token).
                why = "no user has this email" if user is None else "the API token is not this user's"
                log.warning("Basic credentials of %r refused: %s", email, why)
                return AuthResult(AUTH_BASIC, None, "The email or API token is wrong.")
            return AuthResult(AUTH_BASIC, Principal(AUTH_BASIC, email, user[1], user[2]))
        if scheme == "bearer":
            with self._lock:
                issued = self._tokens.get(value)
            if issued is None:
                return AuthResult(AUTH_BEARER, None, "The access token is unknown.")
            if time.time() >= issued.expires_at:
                return AuthResult(AUTH_BEARER, None, "The access token has expired.")
            return AuthResult(AUTH_BEARER, Principal(AUTH_BEARER, issued.subject, issued.account_id, issued.scopes))
        return AuthResult(AUTH_NONE, None, f"Unsupported authorization scheme {scheme!r}.")

    def exchange(self, params: Mapping[str, Any], authorization: str | None) -> tuple[int, dict[str, Any]]:
        """
        Answer ``POST /oauth/token``: client credentials for an access token.

        :param params: the JSON or form body.
        :param authorization: the ``Authorization`` header (``client_secret_basic`` is accepted too).
        :return: HTTP status and JSON body.
        """
        grant_type = params.get("grant_type")
        if grant_type != model.OAUTH_GRANT_CLIENT_CREDENTIALS:
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": f"grant_type must be {model.OAUTH_GRANT_CLIENT_CREDENTIALS}.",
            }
        client_id = params.get("client_id")
        client_secret = params.get("client_secret")
        if client_id is None and authorization and authorization.lower().startswith("basic "):
            credentials = _decode_basic(authorization[6:].strip())
            if credentials is not None:
                client_id, client_secret = credentials
        if not client_id or not client_secret:
            return 400, {"error": "invalid_request", "error_description": "client_id and client_secret are required."}
        with self._lock:
            client = self._clients.get(str(client_id))
        if client is None or not secrets.compare_digest(client[0], str(client_secret)):
            return 401, {
                "error": model.OAUTH_ACCESS_DENIED,
                "error_description": "Unauthorized: the client id or secret is wrong.",
            }
        requested = params.get("scope")
        scopes = client[2] if not requested else frozenset(str(requested).split())
        if not scopes <= client[2]:
            return 403, {
                "error": model.OAUTH_ACCESS_DENIED,
                "error_description": f"The client may not request {' '.join(sorted(scopes - client[2]))}.",
            }
        token = self.issue_token(scopes, subject=str(client_id), account_id=client[1])
        return 200, {
            "access_token": token,
            "expires_in": self.token_expires_in,
            "token_type": "Bearer",
            "scope": " ".join(sorted(scopes)),
        }


def _decode_basic(value: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, separator, password = decoded.partition(":")
    if not separator:
        return None
    return user, password
