"""
The control API under ``/_emulator/``: faults, the request log, reset and tokens over HTTP (for the CLI and for
tests in another process). No auth; never logged; faults never apply to it.

| method | path | does |
|---|---|---|
| GET | ``/_emulator`` | URLs, cloudId and default credentials |
| GET / DELETE | ``/_emulator/requests`` | the request log / clear it |
| GET / POST / DELETE | ``/_emulator/faults`` | list / add (``{"kind": ..., ...}``) / clear faults |
| DELETE | ``/_emulator/faults/{id}`` | remove one fault |
| POST | ``/_emulator/reset`` | reset the store (``{"seed": "demo"}`` optional), faults and request log |
| POST | ``/_emulator/tokens`` | issue a bearer token (``{"scopes": [...], "expires_in": N}`` optional) |
| POST | ``/_emulator/tokens/expire`` | expire every issued bearer token |
| GET | ``/_emulator/state`` | the whole store state |
| POST | ``/_emulator/focus-areas/{id}/status`` | set a focus area's status (``{"status": "COMPLETED"}``) |
| POST | ``/_emulator/clock`` | freeze or shift the clock (``{"frozen_at": "2025-...Z", "offset_seconds": -5}``) |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_provider_focus.api import model
from airflow_provider_focus.testing.auth import AuthRegistry
from airflow_provider_focus.testing.errors import ApiError, bad_request
from airflow_provider_focus.testing.faults import FaultInjector
from airflow_provider_focus.testing.records import RequestLog
from airflow_provider_focus.testing.store import FocusStore

CONTROL_PREFIX = "/_emulator"


class ControlApi:
    """
    Serve ``/_emulator/...``.

    :param store: the state.
    :param auth: the credentials registry.
    :param faults: the fault injector.
    :param request_log: the request log.
    :param reset: resets the emulator (store, faults, log) to a seed.
    :param info: returns the emulator's URLs and credentials.
    """

    def __init__(
        self,
        *,
        store: FocusStore,
        auth: AuthRegistry,
        faults: FaultInjector,
        request_log: RequestLog,
        reset: Callable[[str | None], None],
        info: Callable[[], dict[str, Any]],
    ) -> None:
        self.store = store
        self.auth = auth
        self.faults = faults
        self.request_log = request_log
        self.reset = reset
        self.info = info

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        """
        Run one control request.

        :param method: HTTP method.
        :param path: full path (starting with ``/_emulator``).
        :param body: parsed JSON body, or ``None``.
        :raises ApiError: for an unknown route or a bad body.
        """
        route = path[len(CONTROL_PREFIX) :].strip("/")
        if route == "" and method == "GET":
            return 200, self.info()
        if route == "requests":
            if method == "GET":
                return 200, {"requests": [record.to_dict() for record in self.request_log.snapshot()]}
            if method == "DELETE":
                self.request_log.clear()
                return 204, None
        if route == "faults":
            if method == "GET":
                return 200, {"faults": [fault.to_dict() for fault in self.faults.active()]}
            if method == "POST":
                if not isinstance(body, dict):
                    raise bad_request("Body must be a JSON object with a kind.")
                try:
                    fault = self.faults.add(body)
                except (ValueError, TypeError) as error:
                    raise bad_request(str(error)) from None
                return 201, fault.to_dict()
            if method == "DELETE":
                self.faults.clear()
                return 204, None
        if route.startswith("faults/") and method == "DELETE":
            fault_id = route.partition("/")[2]
            if not fault_id.isdigit() or not self.faults.remove(int(fault_id)):
                raise ApiError(404, model.ErrorType.NOT_FOUND, f"Fault [{fault_id}] was not found.")
            return 204, None
        if route == "reset" and method == "POST":
            seed = body.get("seed") if isinstance(body, dict) else None
            try:
                self.reset(seed)
            except ValueError as error:
                raise bad_request(str(error)) from None
            return 200, {"seed": self.store.seed, "counts": self.store.counts()}
        if route == "tokens" and method == "POST":
            params = body if isinstance(body, dict) else {}
            token = self.auth.issue_token(params.get("scopes"), params.get("expires_in"))
            expires_in = params.get("expires_in", self.auth.token_expires_in)
            return 201, {"access_token": token, "expires_in": expires_in, "token_type": "Bearer"}
        if route == "tokens/expire" and method == "POST":
            return 200, {"expired": self.auth.expire_tokens()}
        if route == "state" and method == "GET":
            return 200, self.store.state()
        if route == "clock" and method == "POST":
            params = body if isinstance(body, dict) else {}
            try:
                self.store.set_clock(params.get("frozen_at"), float(params.get("offset_seconds") or 0))
            except (TypeError, ValueError) as error:
                raise bad_request(f"Bad clock: {error}") from None
            return 200, {"now": self.store.clock.stamp()}
        if route.startswith(f"{model.FOCUS_AREAS}/") and route.endswith("/status") and method == "POST":
            focus_area_id = route[len(model.FOCUS_AREAS) + 1 : -len("/status")]
            status = body.get(model.FIELD_STATUS) if isinstance(body, dict) else None
            return 200, self.store.set_focus_area_status(focus_area_id, status)
        raise ApiError(404, model.ErrorType.NOT_FOUND, f"No control endpoint {method} [{path}].")
