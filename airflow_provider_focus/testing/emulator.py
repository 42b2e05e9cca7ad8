"""The :class:`FocusEmulator` facade: a started server plus handles on its state, credentials and faults."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import model
from airflow_provider_focus.testing.app import TOKEN_PATH, EmulatorApp
from airflow_provider_focus.testing.auth import AuthRegistry
from airflow_provider_focus.testing.constants import (
    EMULATOR_API_TOKEN,
    EMULATOR_CLIENT_ID,
    EMULATOR_CLIENT_SECRET,
    EMULATOR_CLOUD_ID,
    EMULATOR_EMAIL,
    SEED_DEMO,
)
from airflow_provider_focus.testing.faults import FaultInjector
from airflow_provider_focus.testing.records import DEFAULT_REQUEST_LOG_SIZE, RecordedRequest, RequestLog
from airflow_provider_focus.testing.server import EmulatorServer
from airflow_provider_focus.testing.store import FocusStore

if TYPE_CHECKING:
    from airflow.sdk import Connection

#: Connection type of the provider.
CONN_TYPE = "atlassian_focus"
AUTH_API_TOKEN = "api_token"
AUTH_CLIENT_CREDENTIALS = "oauth2_client_credentials"
AUTH_OAUTH2_TOKEN = "oauth2_token"
AUTH_TYPES = (AUTH_API_TOKEN, AUTH_CLIENT_CREDENTIALS, AUTH_OAUTH2_TOKEN)
MODES = ("site", "cloud")


class FocusEmulator:
    """
    A Focus REST API v1 emulator on a loopback port.

    Use it as a context manager (``with FocusEmulator() as fe:``) or call :meth:`start` / :meth:`stop`.

    :param host: address to bind; keep it on loopback.
    :param port: port to bind; ``0`` picks a free port.
    :param seed: ``"demo"`` (a small hierarchy) or ``"empty"`` (types and lookup lists only).
    :param persist_path: a JSON file to load the state from (if it exists) and to save it to after each change.
    :param token_expires_in: ``expires_in`` of tokens from the token endpoint, in seconds.
    :param page_cap: the largest page the server returns, whatever ``limit`` asks for.
    :param request_log_size: how many requests :attr:`requests` keeps (the oldest are dropped first); secrets in
        recorded bodies and queries are redacted.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: str = SEED_DEMO,
        persist_path: str | os.PathLike[str] | None = None,
        token_expires_in: int = model.ACCESS_TOKEN_LIFETIME_SECONDS,
        page_cap: int = model.MAX_PAGE_SIZE,
        request_log_size: int = DEFAULT_REQUEST_LOG_SIZE,
    ) -> None:
        if page_cap < 1:
            raise ValueError("page_cap must be at least 1")
        self.cloud_id: str = EMULATOR_CLOUD_ID
        self.store = FocusStore(seed=seed, persist_path=persist_path)
        self.auth = AuthRegistry(token_expires_in=token_expires_in)
        self.faults = FaultInjector()
        self._log = RequestLog(maxlen=request_log_size)
        self._app = EmulatorApp(
            store=self.store,
            auth=self.auth,
            faults=self.faults,
            request_log=self._log,
            cloud_id=self.cloud_id,
            page_cap=page_cap,
            reset=self.reset,
            info=self.info,
        )
        self._server = EmulatorServer(self._app, host, port)

    # --- Lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> FocusEmulator:
        """Start serving (idempotent) and return ``self``."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and fold the persistence journal into its file (idempotent)."""
        self._server.stop()
        self.store.close()

    def __enter__(self) -> FocusEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- Addresses ----------------------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The bound address."""
        return self._server.host

    @property
    def port(self) -> int:
        """The bound port (known once started)."""
        return self._server.port

    @property
    def url(self) -> str:
        """The origin, e.g. ``http://127.0.0.1:41234``."""
        if not self._server.running:
            raise RuntimeError("The emulator is not running; call start() or use it as a context manager")
        return f"http://{self.host}:{self.port}"

    @property
    def site_api_root(self) -> str:
        """The site API root: :attr:`url` + ``/gateway/api/focus/v1``."""
        return self.url + model.SITE_API_PATH

    @property
    def cloud_api_root(self) -> str:
        """The cloud API root: :attr:`url` + ``/focus/cloud/{cloudId}/v1``."""
        return self.url + model.CLOUD_API_PATH.format(cloud_id=self.cloud_id)

    @property
    def token_url(self) -> str:
        """The OAuth 2.0 token endpoint."""
        return self.url + TOKEN_PATH

    def focus_area_url(self, focus_area_id: str) -> str:
        """The web page of a focus area."""
        return self.url + model.FOCUS_AREA_WEB_PATH.format(focus_area_id=focus_area_id)

    def info(self) -> dict[str, Any]:
        """Return the URLs, the cloudId and the default credentials (``GET /_emulator``)."""
        return {
            "url": self.url,
            "siteApiRoot": self.site_api_root,
            "cloudApiRoot": self.cloud_api_root,
            "tokenUrl": self.token_url,
            "cloudId": self.cloud_id,
            "seed": self.store.seed,
            "email": EMULATOR_EMAIL,
            "apiToken": EMULATOR_API_TOKEN,
            "clientId": EMULATOR_CLIENT_ID,
            "clientSecret": EMULATOR_CLIENT_SECRET,
        }

    # --- Credentials --------------------------------------------------------------------------------------------

    def add_user(
        self, email: str, api_token: str, scopes: Iterable[str] = model.Scope.ALL, account_id: str | None = None
    ) -> str:
        """
        Register an API-token user (HTTP Basic, both roots).

        :param email: the email.
        :param api_token: the API token.
        :param scopes: scopes the token grants.
        :param account_id: the account id; derived from the email when omitted.
        :return: the account id.
        """
        return self.auth.add_user(email, api_token, scopes, account_id)

    def add_client(
        self,
        client_id: str,
        client_secret: str,
        scopes: Iterable[str] = model.Scope.ALL,
        account_id: str | None = None,
    ) -> str:
        """
        Register an OAuth 2.0 service account (client credentials; its tokens work on the cloud root).

        :param client_id: the client id.
        :param client_secret: the client secret.
        :param scopes: scopes its tokens may carry.
        :param account_id: the account id; derived from the client id when omitted.
        :return: the account id.
        """
        return self.auth.add_client(client_id, client_secret, scopes, account_id)

    def issue_token(self, scopes: Iterable[str] | None = None, expires_in: float | None = None) -> str:
        """
        Mint a bearer token for the cloud root, as the default service account.

        :param scopes: its scopes (default: all).
        :param expires_in: its lifetime in seconds (default: ``token_expires_in``); ``0`` is already expired.
        """
        return self.auth.issue_token(scopes, expires_in)

    def expire_tokens(self) -> int:
        """
        Expire every bearer token issued so far, as if an hour had passed; return how many were live.

        Clients holding a cached token get 401 on their next call and must ask the token endpoint again.
        """
        return self.auth.expire_tokens()

    # --- Requests, state ----------------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """
        A copy of the request log, oldest first: the last ``request_log_size`` requests (the control API is not
        logged), with ``client_secret``, ``password``, ``access_token`` and ``refresh_token`` values redacted.
        """
        return self._log.snapshot()

    def clear_requests(self) -> None:
        """Empty the request log."""
        self._log.clear()

    def reset(self, seed: str | None = None) -> None:
        """
        Reset the store to a seed and clear faults and the request log (users, clients and tokens stay).

        :param seed: ``"demo"`` or ``"empty"``; default: the current seed.
        """
        self.store.reset(seed)
        self.store.set_clock()
        self._app.routes.ignored_parameters.clear()
        self.faults.clear()
        self._log.clear()

    def set_status(self, focus_area_id: str, status: str) -> dict[str, Any]:
        """
        Move a focus area to another status (read-only over the API) and return it, e.g. to end a sensor's wait.

        :param focus_area_id: the focus area.
        :param status: one of ``model.FOCUS_AREA_STATUSES``, e.g. ``"COMPLETED"``.
        :raises ApiError: for an unknown focus area or status.
        """
        return self.store.set_focus_area_status(focus_area_id, status)

    def set_clock(self, frozen_at: str | None = None, offset_seconds: float = 0.0) -> None:
        """
        Freeze or shift the clock that stamps ``createdAt`` / ``updatedAt``, e.g. to make ties on ``updatedAt``.

        Each record's ``updatedAt`` still strictly increases (by 1 ms when the clock stands still).

        :param frozen_at: an ISO 8601 time every change gets; ``None`` for the real time.
        :param offset_seconds: seconds added to the real time (negative: a server clock that is behind).
        """
        self.store.set_clock(frozen_at, offset_seconds)

    def ignore_query_parameter(self, name: str, ignore: bool = True) -> None:
        """
        Make list requests act as if a query parameter had not been sent (e.g. ``"sort"``: a server ignoring it).

        :param name: the parameter.
        :param ignore: ``False`` to honour it again.
        """
        if ignore:
            self._app.routes.ignored_parameters.add(name)
        else:
            self._app.routes.ignored_parameters.discard(name)

    # --- Airflow connections ------------------------------------------------------------------------------------

    def connection_fields(
        self, conn_id: str = "focus_default", *, auth_type: str = AUTH_API_TOKEN, mode: str = "site"
    ) -> dict[str, Any]:
        """
        Return the fields of an Airflow connection that points the provider's hook at this emulator, as plain data.

        Nothing here imports Airflow, so the ``focus-emulator`` command prints its ``export`` line at once.

        :param conn_id: the connection id.
        :param auth_type: ``"api_token"``, ``"oauth2_client_credentials"`` or ``"oauth2_token"``; the OAuth
            types force cloud mode.
        :param mode: ``"site"`` (the gateway path on :attr:`url`) or ``"cloud"`` (``base_url`` is the cloud root).
        """
        if auth_type not in AUTH_TYPES:
            raise ValueError(f"auth_type must be one of {', '.join(AUTH_TYPES)}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        extra: dict[str, Any] = {}
        login: str | None
        if auth_type == AUTH_API_TOKEN:
            login, password = EMULATOR_EMAIL, EMULATOR_API_TOKEN
        elif auth_type == AUTH_CLIENT_CREDENTIALS:
            mode = "cloud"
            login, password = EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET
            extra.update(auth_type=auth_type, token_url=self.token_url)
        else:
            mode = "cloud"
            login, password = None, self.issue_token()
            extra["auth_type"] = auth_type
        if mode == "cloud":
            extra.update(cloud_id=self.cloud_id, base_url=self.cloud_api_root)
        fields: dict[str, Any] = {"conn_id": conn_id, "conn_type": CONN_TYPE, "host": self.url, "login": login}
        fields["password"] = password
        if extra:
            fields["extra"] = json.dumps(extra)
        return fields

    def connection(
        self, conn_id: str = "focus_default", *, auth_type: str = AUTH_API_TOKEN, mode: str = "site"
    ) -> Connection:
        """
        Return an Airflow connection that points the provider's hook at this emulator.

        :param conn_id: the connection id.
        :param auth_type: ``"api_token"``, ``"oauth2_client_credentials"`` or ``"oauth2_token"``; the OAuth
            types force cloud mode.
        :param mode: ``"site"`` (the gateway path on :attr:`url`) or ``"cloud"`` (``base_url`` is the cloud root).
        """
        from airflow.sdk import Connection

        return Connection(**self.connection_fields(conn_id, auth_type=auth_type, mode=mode))

    def conn_uri(self, conn_id: str = "focus_default", *, auth_type: str = AUTH_API_TOKEN, mode: str = "site") -> str:
        """Return :meth:`connection` as an Airflow connection URI."""
        return str(self.connection(conn_id, auth_type=auth_type, mode=mode).get_uri())

    def conn_env(
        self, conn_id: str = "focus_default", *, auth_type: str = AUTH_API_TOKEN, mode: str = "site"
    ) -> dict[str, str]:
        """Return ``{"AIRFLOW_CONN_<CONN_ID>": <connection as JSON>}`` for :meth:`connection`."""
        fields = self.connection_fields(conn_id, auth_type=auth_type, mode=mode)
        del fields["conn_id"]  # the variable's name carries it
        if "extra" in fields:  # as Airflow's Connection.as_json() writes it: an object, not JSON text
            fields["extra"] = json.loads(fields["extra"])
        return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps({k: v for k, v in fields.items() if v is not None})}
