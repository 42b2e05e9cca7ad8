"""
What the emulator does with one HTTP request, independent of the socket plumbing in :mod:`.server`.

Order: control API (no auth, no faults, not logged) -> which root -> faults (latency, 429, 5xx, drop before) ->
auth and scope -> the resource -> faults after handling (drop after, truncated JSON) -> request log.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote

from airflow_provider_focus.api import model
from airflow_provider_focus.testing import faults as fault_kinds
from airflow_provider_focus.testing.auth import AUTH_BEARER, AUTH_NONE, AuthRegistry, AuthResult
from airflow_provider_focus.testing.control import CONTROL_PREFIX, ControlApi
from airflow_provider_focus.testing.errors import ApiError, bad_request, error_body
from airflow_provider_focus.testing.faults import Decision, FaultInjector
from airflow_provider_focus.testing.records import RecordedRequest, RequestLog
from airflow_provider_focus.testing.routes import ApiRequest, ApiRoutes, render_focus_area_page
from airflow_provider_focus.testing.store import FocusStore

log = logging.getLogger(__name__)

ROOT_SITE = "site"
ROOT_CLOUD = "cloud"
ROOT_TOKEN = "token"
ROOT_TENANT_INFO = "tenant_info"
ROOT_WEB = "web"
ROOT_OTHER = "other"
#: Path of the OAuth token endpoint on the emulator's origin.
TOKEN_PATH = "/oauth/token"

JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
_TRACE_HEADER = model.TRACE_ID_HEADERS[0]
_SITE_PREFIX = model.SITE_API_PATH + "/"
_CLOUD_PATTERN = re.compile(
    re.escape(model.CLOUD_API_PATH).replace(re.escape("{cloud_id}"), "(?P<cloud_id>[^/]+)") + "(?:/(?P<rest>.*))?"
)
_WEB_PATTERN = re.compile(
    re.escape(model.FOCUS_AREA_WEB_PATH).replace(re.escape("{focus_area_id}"), "(?P<id>[^/]+)") + "/?"
)


@dataclass
class HttpRequest:
    """
    A request as read off the socket.

    :param method: HTTP method.
    :param target: the request target (path and query).
    :param headers: header names (lower case) to values.
    :param body: the raw body.
    :param client_port: the client's source port.
    """

    method: str
    target: str
    headers: dict[str, str]
    body: bytes = b""
    client_port: int | None = None


@dataclass
class HttpResponse:
    """
    What to send back; ``drop`` closes the connection without sending anything.

    :param status: HTTP status.
    :param body: the raw body.
    :param content_type: ``Content-Type``.
    :param headers: further headers.
    :param drop: close the connection without a response.
    """

    status: int = 200
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    drop: bool = False


DROP = HttpResponse(status=0, drop=True)


def json_response(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    """Return a JSON response (no body for ``None``)."""
    body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
    return HttpResponse(status, body, JSON_TYPE, headers or [])


def _html_error(status: int, reason: str) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>{status} {reason}</title></head><body><h1>{status} {reason}</h1>"
        "<p>The edge could not reach the service (injected by the Focus emulator).</p></body></html>"
    ).encode()


class EmulatorApp:
    """
    The request processor of one emulator.

    :param store: the state.
    :param auth: the credentials.
    :param faults: the faults.
    :param request_log: where every request is recorded.
    :param cloud_id: the only cloudId the cloud root knows.
    :param page_cap: the largest page the server returns.
    :param reset: the emulator's reset (for the control API).
    :param info: the emulator's description (for the control API).
    """

    def __init__(
        self,
        *,
        store: FocusStore,
        auth: AuthRegistry,
        faults: FaultInjector,
        request_log: RequestLog,
        cloud_id: str,
        page_cap: int,
        reset: Callable[[str | None], None],
        info: Callable[[], dict[str, Any]],
    ) -> None:
        self.store = store
        self.auth = auth
        self.faults = faults
        self.request_log = request_log
        self.cloud_id = cloud_id
        self.routes = ApiRoutes(store, page_cap)
        self.control = ControlApi(
            store=store, auth=auth, faults=faults, request_log=request_log, reset=reset, info=info
        )

    def handle(self, request: HttpRequest) -> HttpResponse:
        """
        Answer one request.

        :param request: the request.
        """
        path, _, query_string = request.target.partition("?")
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return self._control(request, path)
        query = {key: values[0] for key, values in parse_qs(query_string, keep_blank_values=True).items()}
        root, relative, cloud_id = _classify(path)
        authorization = request.headers.get("authorization")
        auth_mode = _auth_mode(authorization)
        body, body_error = _parse_body(request)
        trace_id = uuid.uuid4().hex
        decision = self.faults.decide(request.method, relative, root)
        if decision.latency:
            time.sleep(decision.latency)
        response: HttpResponse
        if decision.kind == fault_kinds.DROP_BEFORE:
            response = DROP
        elif decision.kind in (fault_kinds.RATE_LIMIT, fault_kinds.TOKEN_BUCKET):
            response = self._rate_limited(decision)
        elif decision.kind == fault_kinds.SERVER_ERROR:
            response = self._server_error(decision)
        else:
            try:
                response = self._process(request, root, relative, cloud_id, query, body, body_error)
            except Exception:
                log.exception("Emulator failed on %s %s", request.method, path)
                response = json_response(500, error_body("INTERNAL_ERROR", "The emulator failed; see its log."))
            if decision.kind == fault_kinds.DROP_AFTER:
                response = DROP
            elif decision.kind == fault_kinds.MALFORMED_JSON:
                truncated = response.body[: max(1, len(response.body) // 2)] if response.body else b'{"values": ['
                response = HttpResponse(200, truncated, JSON_TYPE)
        if not response.drop:
            response.headers.append((_TRACE_HEADER, trace_id))
        self.request_log.append(
            RecordedRequest(
                method=request.method,
                path=relative,
                query=query,
                status=None if response.drop else response.status,
                auth_mode=auth_mode,
                root=root,
                fault=decision.kind,
                body=body,
                trace_id=None if response.drop else trace_id,
                full_path=path,
                client_port=request.client_port,
            )
        )
        return response

    def _control(self, request: HttpRequest, path: str) -> HttpResponse:
        body, body_error = _parse_body(request)
        try:
            if body_error:
                raise bad_request(body_error)
            status, payload = self.control.handle(request.method, path, body)
        except ApiError as error:
            return json_response(error.status, error.body())
        return json_response(status, payload)

    def _rate_limited(self, decision: Decision) -> HttpResponse:
        wait = 1.0 if decision.retry_after is None else float(decision.retry_after)
        retry_after = _format_seconds(wait)
        reset_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + wait))
        return json_response(
            429,
            error_body(model.ErrorType.RATE_LIMITED, "Rate limit exceeded; retry after the Retry-After delay."),
            [(model.RETRY_AFTER_HEADER, retry_after), (model.RATE_LIMIT_RESET_HEADER, reset_at)],
        )

    def _server_error(self, decision: Decision) -> HttpResponse:
        try:
            reason = HTTPStatus(decision.status).phrase
        except ValueError:
            reason = "Server Error"
        headers = []
        if decision.retry_after is not None:
            headers.append((model.RETRY_AFTER_HEADER, _format_seconds(decision.retry_after)))
        return HttpResponse(decision.status, _html_error(decision.status, reason), HTML_TYPE, headers)

    def _process(
        self,
        request: HttpRequest,
        root: str,
        relative: str,
        cloud_id: str | None,
        query: dict[str, str],
        body: Any,
        body_error: str | None,
    ) -> HttpResponse:
        if root in (ROOT_SITE, ROOT_CLOUD):
            return self._api(request, root, relative, cloud_id, query, body, body_error)
        if root == ROOT_TOKEN:
            if request.method != "POST":
                return json_response(405, {"error": "invalid_request", "error_description": "Use POST."})
            params = body if isinstance(body, dict) else _form(request)
            status, payload = self.auth.exchange(params, request.headers.get("authorization"))
            return json_response(status, payload, [("Cache-Control", "no-store")])
        if root == ROOT_TENANT_INFO and request.method == "GET":
            return json_response(200, {"cloudId": self.cloud_id})
        if root == ROOT_WEB and request.method == "GET":
            status, page = render_focus_area_page(self.store, relative)
            return HttpResponse(status, page.encode(), HTML_TYPE)
        return json_response(404, error_body(model.ErrorType.NOT_FOUND, f"Nothing at [{relative}]."))

    def _api(
        self,
        request: HttpRequest,
        root: str,
        relative: str,
        cloud_id: str | None,
        query: dict[str, str],
        body: Any,
        body_error: str | None,
    ) -> HttpResponse:
        cloud = root == ROOT_CLOUD
        if cloud and cloud_id != self.cloud_id:
            return json_response(404, error_body(model.ErrorType.NOT_FOUND, f"Cloud [{cloud_id}] was not found."))
        result = self.auth.authenticate(request.headers.get("authorization"))
        refusal = self._refuse(result, cloud, request.method, relative)
        if refusal is not None:
            return refusal
        assert result.principal is not None
        try:
            if body_error:
                raise bad_request(body_error)
            status, payload = self.routes.dispatch(ApiRequest(request.method, relative, query, body, result.principal))
        except ApiError as error:
            return json_response(error.status, error.body())
        return json_response(status, payload)

    @staticmethod
    def _refuse(result: AuthResult, cloud: bool, method: str, relative: str) -> HttpResponse | None:
        principal = result.principal
        if principal is None:
            if cloud:
                return json_response(401, {model.GATEWAY_CODE: 401, model.GATEWAY_MESSAGE: "Unauthorized"})
            return json_response(
                401,
                error_body(model.ErrorType.UNAUTHORIZED, result.reason),
                [("WWW-Authenticate", 'Basic realm="Focus"')],
            )
        if not cloud and principal.mode == AUTH_BEARER:
            message = "OAuth 2.0 bearer tokens are not accepted on the site root; use the cloud root."
            return json_response(401, error_body(model.ErrorType.UNAUTHORIZED, message))
        scope = model.required_scope(method, relative)
        if scope is None or scope in principal.scopes:
            return None
        if cloud:
            return json_response(
                401, {model.GATEWAY_CODE: 401, model.GATEWAY_MESSAGE: model.GATEWAY_SCOPE_MISMATCH_MESSAGE}
            )
        return json_response(
            403, error_body(model.ErrorType.FORBIDDEN, f"The credentials lack the scope [{scope}] this call needs.")
        )


def _classify(path: str) -> tuple[str, str, str | None]:
    """Return (root, path relative to the root, cloudId)."""
    if path.startswith(_SITE_PREFIX) or path == model.SITE_API_PATH:
        return ROOT_SITE, unquote(path[len(_SITE_PREFIX) :].strip("/")), None
    match = _CLOUD_PATTERN.fullmatch(path)
    if match is not None:
        return ROOT_CLOUD, unquote((match["rest"] or "").strip("/")), unquote(match["cloud_id"])
    if path == TOKEN_PATH:
        return ROOT_TOKEN, path, None
    if path == model.TENANT_INFO_PATH:
        return ROOT_TENANT_INFO, path, None
    match = _WEB_PATTERN.fullmatch(path)
    if match is not None:
        return ROOT_WEB, unquote(match["id"]), None
    return ROOT_OTHER, path, None


def _auth_mode(authorization: str | None) -> str:
    if not authorization:
        return AUTH_NONE
    scheme = authorization.partition(" ")[0].lower()
    return scheme if scheme in ("basic", "bearer") else AUTH_NONE


def _parse_body(request: HttpRequest) -> tuple[Any, str | None]:
    if not request.body:
        return None, None
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type:
        return None, None
    try:
        return json.loads(request.body), None
    except (ValueError, UnicodeDecodeError):
        return None, "Request body is not valid JSON."


def _form(request: HttpRequest) -> dict[str, str]:
    try:
        text = request.body.decode()
    except UnicodeDecodeError:
        return {}
    return {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)
