"""
The writes and look-ups that the hook and the services share, as functions of an API client.

The hook's methods of the same names call these, so a TaskFlow task, an operator and a service create, find and
change objects the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import expect, fund_shapes, model
from airflow_provider_focus.exceptions import FocusConfigError

if TYPE_CHECKING:
    from airflow_provider_focus.api.async_client import AsyncFocusClient
    from airflow_provider_focus.api.client import FocusClient

JsonDict = dict[str, Any]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExternalIdLookup:
    """
    Finding an object by its external id, decided once for the sync and the async loop: what to list, and which
    listed object matches (the external id exactly: a filter the server ignores, or a name filter, lets others in).

    Use it as: ``next((o for o in client.paginate(lookup.path, params=lookup.params) if lookup.matches(o)), None)``.

    :param path: the collection.
    :param external_id: the external id to look for.
    :param params: the filters to list with.
    """

    path: str
    external_id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def focus_area(cls, external_id: str) -> ExternalIdLookup:
        """The focus area with this external id (the API filters focus areas by ``externalId``)."""
        return cls(model.FOCUS_AREAS, external_id, {model.PARAM_EXTERNAL_ID: external_id})

    @classmethod
    def organization(cls, external_id: str, *, name: str) -> ExternalIdLookup:
        """The organization with this external id among those whose name contains ``name`` (no external id filter)."""
        return cls(model.ORGANIZATIONS, external_id, {model.PARAM_NAME_CONTAINS: name})

    def matches(self, item: Mapping[str, Any]) -> bool:
        """
        Return whether a listed object is the one looked for.

        :param item: an object of the collection.
        """
        return item.get(model.FIELD_EXTERNAL_ID) == self.external_id


def find(client: FocusClient, lookup: ExternalIdLookup) -> JsonDict | None:
    """
    Return the first object ``lookup`` matches, or ``None`` (pages are fetched until it is found).

    :param client: the API client.
    :param lookup: what to look for.
    """
    return next((item for item in client.paginate(lookup.path, params=lookup.params) if lookup.matches(item)), None)


async def afind(client: AsyncFocusClient, lookup: ExternalIdLookup) -> JsonDict | None:
    """
    Return the first object ``lookup`` matches, or ``None``, from an event loop (the async twin of :func:`find`).

    :param client: the async API client.
    :param lookup: what to look for.
    """
    async for item in client.paginate(lookup.path, params=lookup.params):
        if lookup.matches(item):
            return item
    return None


def focus_areas_with_external_id(client: FocusClient, external_id: str) -> list[JsonDict]:
    """
    Return every focus area whose external id is exactly ``external_id`` (normally none or one).

    :param client: the API client.
    :param external_id: the external id to look for.
    """
    lookup = ExternalIdLookup.focus_area(external_id)
    return [item for item in client.paginate(lookup.path, params=lookup.params) if lookup.matches(item)]


def find_focus_area(client: FocusClient, external_id: str) -> JsonDict | None:
    """
    Return the focus area with this external id, or ``None``.

    :param client: the API client.
    :param external_id: the external id to look for.
    """
    return find(client, ExternalIdLookup.focus_area(external_id))


def create_focus_area(client: FocusClient, *, name: str, focus_area_type_id: str, **fields: Any) -> JsonDict:
    """
    Create a focus area and return it; with an ``externalId`` the create is safe to retry.

    After an ambiguous failure (a dropped connection, a timeout, a 5xx) the focus area is looked up by its external
    id (the API filters focus areas by ``externalId``) and returned if the create had taken effect, instead of
    creating a second one. Without an external id a POST is never repeated after an ambiguous failure.

    :param client: the API client.
    :param name: its name.
    :param focus_area_type_id: the id of its focus area type.
    :param fields: further fields, e.g. ``externalId``, ``parentId``, ``ownerAccountId``, ``description``.
    """
    body = {model.FIELD_NAME: name, model.FIELD_FOCUS_AREA_TYPE_ID: focus_area_type_id, **fields}
    external_id = body.get(model.FIELD_EXTERNAL_ID)
    if not external_id:
        return client.request("POST", model.FOCUS_AREAS, json=body, expect=expect.CREATED)
    return client.create_reconciled(
        model.FOCUS_AREAS, body, find_existing=lambda: find_focus_area(client, str(external_id))
    )


def update_focus_area(
    client: FocusClient, focus_area_id: str, fields: Mapping[str, Any], *, update_mask: Sequence[str] | None = None
) -> JsonDict:
    """
    Change fields of a focus area and return it as the server has it now.

    :param client: the API client.
    :param focus_area_id: the focus area's id.
    :param fields: the new values.
    :param update_mask: the fields to change; listed but absent or ``None`` fields are cleared. Defaults to the
        keys of ``fields``.
    """
    from airflow_provider_focus.api.client import resource_path  # the HTTP library loads with the client, not here

    return patch(client, resource_path(model.FOCUS_AREAS, focus_area_id), fields, update_mask)


def find_organization(client: FocusClient, external_id: str, *, name: str) -> JsonDict | None:
    """
    Return the organization with this external id and a name containing ``name``, or ``None``.

    The API filters organizations by ``nameContains`` and ``parentId`` but not by ``externalId``, so this lists
    the organizations whose name contains ``name`` (every page) and matches the external id exactly.

    :param client: the API client.
    :param external_id: the external id to look for.
    :param name: the organization's name, or a part of it.
    """
    return find(client, ExternalIdLookup.organization(external_id, name=name))


def create_organization(client: FocusClient, *, name: str, organization_type_id: str, **fields: Any) -> JsonDict:
    """
    Create an organization and return it; with an ``externalId`` it is as safe to retry as a focus-area create.

    What is guaranteed: with an ``externalId``, after an ambiguous failure (a dropped connection, a timeout, a 5xx)
    the organization is looked up before anything is sent again, and returned if the create had taken effect, so
    one call never creates two. The look-up lists the organizations whose name contains ``name`` (the API has no
    ``externalId`` filter for organizations) and matches the external id exactly: it misses an organization only
    if someone renames it between the create and the look-up. Without an external id, a POST that may have taken
    effect is not repeated (the error says so). Across task tries,
    :class:`~airflow_provider_focus.operators.organizations.FocusCreateOrganizationOperator` looks the external id
    up before creating again, as the focus-area create operator does.

    :param client: the API client.
    :param name: its name.
    :param organization_type_id: the id of its organization type.
    :param fields: further fields, e.g. ``externalId``, ``parentOrganizationId`` (``parentId``, the provider's earlier
        guess, is deprecated: it is sent as ``parentOrganizationId`` with a warning).
    """
    documented, notes = fund_shapes.organization_request(fields)
    for note in notes:
        log.warning("Creating organization %r: %s", name, note)
    body = {model.FIELD_NAME: name, model.FIELD_ORGANIZATION_TYPE_ID: organization_type_id, **documented}
    external_id = body.get(model.FIELD_EXTERNAL_ID)
    if not external_id:
        return client.request("POST", model.ORGANIZATIONS, json=body, expect=expect.CREATED)
    return client.create_reconciled(
        model.ORGANIZATIONS, body, find_existing=lambda: find_organization(client, str(external_id), name=name)
    )


def bulk_import(client: FocusClient, path: str, items: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> JsonDict:
    """
    Send one bulk upsert of fund items and return the server's answer (``results`` and ``errors`` per item).

    The call is retried after an ambiguous failure only when every item carries one of ``keys``, since the
    server then updates instead of creating twice.

    :param client: the API client.
    :param path: the bulk endpoint, e.g. ``funds/cost-item/bulk``.
    :param items: the items.
    :param keys: the item fields that identify an item (its id and its external id).
    """
    batch = [dict(item) for item in items]
    keyed = all(any(item.get(key) for key in keys) for item in batch)
    return client.request("POST", path, json={model.BULK_ITEMS: batch}, idempotent=keyed, expect=expect.OBJECT)


def patch(client: FocusClient, path: str, fields: Mapping[str, Any], update_mask: Sequence[str] | None) -> JsonDict:
    """
    Send a partial update with an ``updateMask`` and return the object as the server has it now.

    :param client: the API client.
    :param path: the object's path.
    :param fields: the new values.
    :param update_mask: the fields to change (defaults to the keys of ``fields``).
    :raises FocusConfigError: when there is nothing to change.
    """
    mask = list(update_mask) if update_mask is not None else list(fields)
    if not mask:
        raise FocusConfigError("Nothing to update: give at least one field or an update_mask.")
    params = {model.UPDATE_MASK_PARAM: ",".join(mask)}
    return client.request(model.UPDATE_METHOD, path, params=params, json=dict(fields), expect=expect.OBJECT)
