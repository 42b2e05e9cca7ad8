"""The Focus hook: adapts an Airflow connection to the Focus API client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow.providers.common.compat.sdk import BaseHook

from airflow_provider_focus._compat import aextra_dejson, aget_connection, amask_secret, mask_secret
from airflow_provider_focus.api import model
from airflow_provider_focus.api.async_client import AsyncFocusClient
from airflow_provider_focus.api.client import FocusClient, discover_cloud_id, resource_path
from airflow_provider_focus.api.config import CONN_TYPE, FocusClientConfig, parse_site
from airflow_provider_focus.exceptions import (
    FocusApiError,
    FocusAuthError,
    FocusConfigError,
    FocusConnectionError,
    FocusError,
    FocusNotFoundError,
)

if TYPE_CHECKING:
    from airflow.sdk import Connection

JsonDict = dict[str, Any]


class FocusHook(BaseHook):
    """
    Interact with the Atlassian Focus REST API v1: focus areas, organizations and funds.

    The connection is read at first use, not in ``__init__``. Every call goes through one keep-alive session,
    with retries on 429 and 503 (honouring ``Retry-After``), on other 5xx and network errors for calls that
    are safe to repeat, and never on 4xx.

    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``.
    """

    conn_name_attr = "focus_conn_id"
    default_conn_name = "focus_default"
    conn_type = CONN_TYPE
    hook_name = "Atlassian Focus"

    def __init__(self, focus_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.focus_conn_id = focus_conn_id
        self._async_client: AsyncFocusClient | None = None

    # --- connection ---------------------------------------------------------------------------------------------

    @cached_property
    def config(self) -> FocusClientConfig:
        """The validated configuration read from the Airflow connection."""
        conn = self.get_connection(self.focus_conn_id)
        return self._config_of(conn, conn.extra_dejson)

    async def aget_config(self) -> FocusClientConfig:
        """
        Read the configuration without blocking the event loop (for triggers).

        The sync path (``get_connection``, ``extra_dejson``, ``mask_secret``) talks to the supervisor with
        blocking calls that have deadlocked triggerers (apache/airflow#70398); this one awaits every step.
        """
        conn = await aget_connection(self, self.focus_conn_id)
        extra = await aextra_dejson(conn)  # Airflow 3.3+; before, extras are read (and masked) synchronously
        return self._config_of(conn, extra)

    def _config_of(self, conn: Connection, extra: Mapping[str, Any]) -> FocusClientConfig:
        try:
            return FocusClientConfig.from_connection_fields(
                host=conn.host, login=conn.login, password=conn.password, extra=extra
            )
        except FocusConfigError as err:
            raise FocusConfigError(f"Connection {self.focus_conn_id!r}: {err}") from None

    async def aget_client(self) -> AsyncFocusClient:
        """Return the async API client, created once per hook (close it with :meth:`aclose`)."""
        if self._async_client is None:
            config = await self.aget_config()
            if config.password:
                await amask_secret(config.password)
            self._async_client = AsyncFocusClient(config, secret_sink=amask_secret)
        return self._async_client

    async def aclose(self) -> None:
        """Close the async client's connections, if one was created."""
        if self._async_client is not None:
            await self._async_client.aclose()
            self._async_client = None

    @cached_property
    def client(self) -> FocusClient:
        """The API client, created once per hook so that its session keeps connections alive."""
        if self.config.password:
            mask_secret(self.config.password)
        return FocusClient(self.config, secret_sink=mask_secret)

    def get_conn(self) -> FocusClient:
        """Return the API client (Airflow's hook convention)."""
        return self.client

    def focus_area_url(self, focus_area_id: str) -> str | None:
        """
        Return the web page of a focus area, or ``None`` when the connection names no site.

        :param focus_area_id: the focus area's id.
        """
        if not self.config.site_url:
            return None
        return self.config.site_url + model.FOCUS_AREA_WEB_PATH.format(focus_area_id=quote(str(focus_area_id), safe=""))

    @staticmethod
    def discover_cloud_id(site: str, *, timeout: float = 30.0) -> str:
        """
        Read a site's cloudId from ``https://<site>/_edge/tenant_info`` (no credentials needed).

        :param site: the site, e.g. ``acme.atlassian.net``.
        :param timeout: seconds to wait.
        """
        return discover_cloud_id(parse_site(site), timeout=timeout)

    # --- generic ------------------------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None) -> Any:
        """
        Call any v1 path: the escape hatch for endpoints without a method of their own.

        :param method: HTTP method.
        :param path: path relative to the API root, e.g. ``focus-areas``.
        :param params: query parameters (``None`` values are dropped).
        :param json: JSON body.
        :return: the decoded JSON body, ``None`` for 204.
        """
        return self.client.request(method, path, params=params, json=json)

    def paginate(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> Iterator[JsonDict]:
        """
        Iterate lazily over a paginated collection, following ``nextPageCursor`` until ``last``.

        A page is fetched only when the caller asks for its first item, so memory stays constant at any size.

        :param path: the collection, relative to the API root.
        :param params: filters sent with every page.
        :param page_size: the ``limit`` to ask for (the server may cap it).
        :param max_items: stop after this many items.
        """
        return self.client.paginate(path, params=params, page_size=page_size, max_items=max_items)

    # --- focus areas ----------------------------------------------------------------------------------------------

    def list_focus_areas(
        self,
        *,
        name_contains: str | None = None,
        external_id: str | None = None,
        parent_id: str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> Iterator[JsonDict]:
        """
        Iterate over focus areas, optionally filtered.

        :param name_contains: only those whose name contains this text.
        :param external_id: only those with this external id.
        :param parent_id: only the children of this focus area.
        :param sort: sort order, e.g. ``name``.
        :param page_size: the page size to ask for.
        :param max_items: stop after this many.
        """
        params = {
            model.PARAM_NAME_CONTAINS: name_contains,
            model.PARAM_EXTERNAL_ID: external_id,
            model.PARAM_PARENT_ID: parent_id,
            model.PARAM_SORT: sort,
        }
        return self.paginate(model.FOCUS_AREAS, params=params, page_size=page_size, max_items=max_items)

    async def alist_focus_areas(
        self,
        *,
        name_contains: str | None = None,
        external_id: str | None = None,
        parent_id: str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> AsyncIterator[JsonDict]:
        """
        Iterate over focus areas from an event loop (the async twin of :meth:`list_focus_areas`).

        Pages are fetched lazily, as the caller iterates: ``async for area in hook.alist_focus_areas(...)``.

        :param name_contains: only those whose name contains this text.
        :param external_id: only those with this external id.
        :param parent_id: only the children of this focus area.
        :param sort: sort order, e.g. ``name``.
        :param page_size: the page size to ask for.
        :param max_items: stop after this many.
        """
        params = {
            model.PARAM_NAME_CONTAINS: name_contains,
            model.PARAM_EXTERNAL_ID: external_id,
            model.PARAM_PARENT_ID: parent_id,
            model.PARAM_SORT: sort,
        }
        client = await self.aget_client()
        async for focus_area in client.paginate(
            model.FOCUS_AREAS, params=params, page_size=page_size, max_items=max_items
        ):
            yield focus_area

    def get_focus_area(self, focus_area_id: str) -> JsonDict:
        """
        Return one focus area, with its ancestors and status.

        :param focus_area_id: the focus area's id.
        """
        return self.request("GET", resource_path(model.FOCUS_AREAS, focus_area_id))

    async def aget_focus_area(self, focus_area_id: str) -> JsonDict:
        """
        Return one focus area, from an event loop (the async twin of :meth:`get_focus_area`).

        :param focus_area_id: the focus area's id.
        """
        client = await self.aget_client()
        return await client.request("GET", resource_path(model.FOCUS_AREAS, focus_area_id))

    def find_focus_area(self, external_id: str) -> JsonDict | None:
        """
        Return the focus area with this external id, or ``None``.

        :param external_id: the external id to look for.
        """
        for focus_area in self.list_focus_areas(external_id=external_id):
            if focus_area.get(model.FIELD_EXTERNAL_ID) == external_id:
                return focus_area
        return None

    def create_focus_area(self, *, name: str, focus_area_type_id: str, **fields: Any) -> JsonDict:
        """
        Create a focus area and return it.

        When ``externalId`` is among the fields, the create is safe to retry: after an ambiguous failure (a
        dropped connection, a timeout, a 5xx) the hook looks the focus area up by its external id and returns it
        if the create had taken effect, instead of creating a second one.

        :param name: its name.
        :param focus_area_type_id: the id of its focus area type.
        :param fields: further fields, e.g. ``externalId``, ``parentId``, ``ownerAccountId``, ``description``.
        """
        body = {model.FIELD_NAME: name, model.FIELD_FOCUS_AREA_TYPE_ID: focus_area_type_id, **fields}
        external_id = body.get(model.FIELD_EXTERNAL_ID)
        if not external_id:
            return self.request("POST", model.FOCUS_AREAS, json=body)
        return self.client.create_reconciled(
            model.FOCUS_AREAS, body, find_existing=lambda: self.find_focus_area(external_id)
        )

    def update_focus_area(
        self, focus_area_id: str, fields: Mapping[str, Any], *, update_mask: Sequence[str] | None = None
    ) -> JsonDict:
        """
        Change fields of a focus area and return it as the server has it now.

        :param focus_area_id: the focus area's id.
        :param fields: the new values.
        :param update_mask: the fields to change; listed but absent or ``None`` fields are cleared. Defaults to
            the keys of ``fields``.
        """
        return self._patch(resource_path(model.FOCUS_AREAS, focus_area_id), fields, update_mask)

    # --- organizations ----------------------------------------------------------------------------------------

    def list_organizations(
        self,
        *,
        name_contains: str | None = None,
        parent_id: str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> Iterator[JsonDict]:
        """
        Iterate over organizations, optionally filtered.

        :param name_contains: only those whose name contains this text.
        :param parent_id: only the children of this organization.
        :param sort: sort order, e.g. ``name``.
        :param page_size: the page size to ask for.
        :param max_items: stop after this many.
        """
        params = {
            model.PARAM_NAME_CONTAINS: name_contains,
            model.PARAM_PARENT_ID: parent_id,
            model.PARAM_SORT: sort,
        }
        return self.paginate(model.ORGANIZATIONS, params=params, page_size=page_size, max_items=max_items)

    def create_organization(self, *, name: str, organization_type_id: str, **fields: Any) -> JsonDict:
        """
        Create an organization and return it (safe to retry when ``externalId`` is given, as for focus areas).

        :param name: its name.
        :param organization_type_id: the id of its organization type.
        :param fields: further fields, e.g. ``externalId``, ``parentId``.
        """
        body = {model.FIELD_NAME: name, model.FIELD_ORGANIZATION_TYPE_ID: organization_type_id, **fields}
        external_id = body.get(model.FIELD_EXTERNAL_ID)
        if not external_id:
            return self.request("POST", model.ORGANIZATIONS, json=body)

        def find_existing() -> JsonDict | None:
            for organization in self.list_organizations(name_contains=name):
                if organization.get(model.FIELD_EXTERNAL_ID) == external_id:
                    return organization
            return None

        return self.client.create_reconciled(model.ORGANIZATIONS, body, find_existing=find_existing)

    # --- funds ------------------------------------------------------------------------------------------------------

    def import_cost_items(self, items: Iterable[Mapping[str, Any]]) -> JsonDict:
        """
        Upsert cost items in one bulk call; each is matched by ``costItemId`` or ``costItemExternalId``.

        The call is retried after an ambiguous failure only when every item carries one of those keys, since
        the server then updates instead of creating twice.

        :param items: the cost items.
        :return: the server's answer with per-item ``results`` and ``errors``.
        """
        return self._bulk(model.COST_ITEM_BULK, items, (model.COST_ITEM_ID, model.COST_ITEM_EXTERNAL_ID))

    def get_cost_item(self, cost_item_id: str) -> JsonDict:
        """
        Return one cost item.

        :param cost_item_id: its id.
        """
        return self.request("GET", resource_path(model.COST_ITEM, cost_item_id))

    def update_cost_item(
        self, cost_item_id: str, fields: Mapping[str, Any], *, update_mask: Sequence[str] | None = None
    ) -> JsonDict:
        """
        Change fields of a cost item.

        :param cost_item_id: its id.
        :param fields: the new values.
        :param update_mask: the fields to change (defaults to the keys of ``fields``).
        """
        return self._patch(resource_path(model.COST_ITEM, cost_item_id), fields, update_mask)

    def delete_cost_item(self, cost_item_id: str) -> None:
        """
        Delete a cost item (irreversible).

        :param cost_item_id: its id.
        """
        self.request("DELETE", resource_path(model.COST_ITEM, cost_item_id))

    def import_benefit_items(self, items: Iterable[Mapping[str, Any]]) -> JsonDict:
        """
        Upsert benefit items in one bulk call; each is matched by ``benefitItemId`` or ``benefitItemExternalId``.

        :param items: the benefit items.
        :return: the server's answer with per-item ``results`` and ``errors``.
        """
        return self._bulk(model.BENEFIT_ITEM_BULK, items, (model.BENEFIT_ITEM_ID, model.BENEFIT_ITEM_EXTERNAL_ID))

    def get_benefit_item(self, benefit_item_id: str) -> JsonDict:
        """
        Return one benefit item.

        :param benefit_item_id: its id.
        """
        return self.request("GET", resource_path(model.BENEFIT_ITEM, benefit_item_id))

    def update_benefit_item(
        self, benefit_item_id: str, fields: Mapping[str, Any], *, update_mask: Sequence[str] | None = None
    ) -> JsonDict:
        """
        Change fields of a benefit item.

        :param benefit_item_id: its id.
        :param fields: the new values.
        :param update_mask: the fields to change (defaults to the keys of ``fields``).
        """
        return self._patch(resource_path(model.BENEFIT_ITEM, benefit_item_id), fields, update_mask)

    def delete_benefit_item(self, benefit_item_id: str) -> None:
        """
        Delete a benefit item (irreversible).

        :param benefit_item_id: its id.
        """
        self.request("DELETE", resource_path(model.BENEFIT_ITEM, benefit_item_id))

    def list_cost_types(self) -> list[JsonDict]:
        """Return every cost type."""
        return list(self.paginate(model.COST_TYPES))

    def list_cost_subtypes(self) -> list[JsonDict]:
        """Return every cost subtype."""
        return list(self.paginate(model.COST_SUBTYPES))

    def list_benefit_types(self) -> list[JsonDict]:
        """Return every benefit type."""
        return list(self.paginate(model.BENEFIT_TYPES))

    def list_investment_categories(self) -> list[JsonDict]:
        """Return every investment category."""
        return list(self.paginate(model.INVESTMENT_CATEGORIES))

    # --- connection test ------------------------------------------------------------------------------------

    def test_connection(self) -> tuple[bool, str]:
        """
        Make one cheap authenticated call and say what to fix if it fails; never raises.

        It retries at most once, so that a wrong host or a refused connection is reported in seconds.
        """
        try:
            quick = FocusClient(
                replace(self.config, max_retries=min(1, self.config.max_retries)), secret_sink=mask_secret
            )
            try:
                next(iter(quick.paginate(model.FOCUS_AREAS, max_items=1)), None)
            finally:
                quick.close()
        except FocusConfigError as err:
            return False, str(err)
        except FocusAuthError as err:
            return False, _auth_advice(err, self.config)
        except FocusNotFoundError:
            return False, (
                f"No Focus API at {self.config.api_root}: check the site or cloud_id, and that Focus is "
                "enabled on that site."
            )
        except (FocusApiError, FocusConnectionError, FocusError) as err:
            return False, str(err)
        except Exception as err:
            # A foreign exception's text may quote a request header; it goes to the (masked) log, not the answer.
            self.log.exception("Focus connection test failed unexpectedly")
            return False, f"Unexpected error ({type(err).__name__}); the task or webserver log has the details."
        return True, f"Connected to Focus at {self.config.api_root} ({self.config.auth_type.value})."

    # --- internals --------------------------------------------------------------------------------------------

    def _patch(self, path: str, fields: Mapping[str, Any], update_mask: Sequence[str] | None) -> JsonDict:
        mask = list(update_mask) if update_mask is not None else list(fields)
        if not mask:
            raise FocusConfigError("Nothing to update: give at least one field or an update_mask.")
        params = {model.UPDATE_MASK_PARAM: ",".join(mask)}
        return self.request(model.UPDATE_METHOD, path, params=params, json=dict(fields))

    def _bulk(self, path: str, items: Iterable[Mapping[str, Any]], keys: tuple[str, ...]) -> JsonDict:
        batch = [dict(item) for item in items]
        keyed = all(any(item.get(key) for key in keys) for item in batch)
        return self.client.request("POST", path, json={model.BULK_ITEMS: batch}, idempotent=keyed)


def _auth_advice(err: FocusAuthError, config: FocusClientConfig) -> str:
    if err.status_code == 403 or (err.errors and "scope" in str(err.errors[0].get("message", "")).lower()):
        scope = f" It needs the scope {err.required_scope!r}." if err.required_scope else ""
        return f"The credentials work but lack a permission or scope for reading focus areas.{scope} ({err})"
    if config.auth_type.value == "api_token":
        return (
            "Authentication failed: check the connection's login (your Atlassian account email) and password "
            "(an API token from id.atlassian.com; tokens expire). Scoped tokens need the extra 'cloud_id'. "
            f"({err})"
        )
    return f"Authentication failed: check the client id/secret or access token of the connection. ({err})"
