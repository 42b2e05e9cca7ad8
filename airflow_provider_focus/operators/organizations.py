"""Operators that list and create organizations."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import model
from airflow_provider_focus.arguments import as_mapping, require_mapping, require_text
from airflow_provider_focus.assets import ORGANIZATIONS
from airflow_provider_focus.operators._creates import made_by_an_earlier_try
from airflow_provider_focus.operators._listing import FocusListOperatorBase
from airflow_provider_focus.operators.base import FocusBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context


class FocusListOrganizationsOperator(FocusListOperatorBase):
    """
    List organizations: return them, or stream them to a JSON Lines file.

    :param name_contains: only those whose name contains this text. (templated)
    :param parent_id: only the children of this organization. (templated)
    :param sort: sort order, e.g. ``name``. (templated)
    :param max_items: stop after this many. (templated)
    :param output_path: a local path or an object storage URL to write JSON Lines to; the task then returns
        ``{"path": ..., "count": ...}``. (templated)
    :param page_size: the page size to ask the API for.
    :param max_xcom_items: the most organizations returned through XCom (default 1,000).
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    what = "organizations"
    focus_input = ORGANIZATIONS

    def fetch(self, limit: int | None) -> Iterator[dict[str, Any]]:
        """Iterate over the organizations that match the rendered filters."""
        return self.hook.list_organizations(
            name_contains=self.name_contains or None,
            parent_id=self.parent_id or None,
            sort=self.sort or None,
            page_size=self.page_size,
            max_items=limit,
        )


class FocusCreateOrganizationOperator(FocusBaseOperator):
    """
    Create an organization and return its id.

    Give an ``externalId`` in ``fields`` to make the create as safe to retry as a focus-area create: after a lost
    response the hook finds the organization (among those whose name contains ``name``, since the API cannot
    filter organizations by external id) instead of creating a second one, and when the task itself is retried it
    looks the external id up first and returns the organization an earlier try created.

    :param name: its name. (templated)
    :param organization_type_id: the id of its organization type. (templated)
    :param fields: further fields, e.g. ``externalId`` (makes the create safe to retry), ``parentId``; a
        template may render a JSON object. (templated)
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id", "name", "organization_type_id", "fields")
    focus_output = ORGANIZATIONS

    def __init__(
        self, *, name: str, organization_type_id: str, fields: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        require_text("name", name)
        require_text("organization_type_id", organization_type_id)
        require_mapping("fields", fields, optional=True)
        self.name = name
        self.organization_type_id = organization_type_id
        self.fields = fields or {}

    def execute(self, context: Context) -> str:
        """Create the organization and return its id."""
        fields = as_mapping("fields", self.fields, optional=True)
        extra = {key: value for key, value in fields.items() if value is not None}
        name = str(self.name)
        organization = made_by_an_earlier_try(
            context,
            extra.get(model.FIELD_EXTERNAL_ID),
            find=lambda external_id: self.hook.find_organization(external_id, name=name),
            what="organization",
            log=self.log,
        )
        if organization is None:
            organization = self.hook.create_organization(
                name=name, organization_type_id=self.organization_type_id, **extra
            )
            self.log.info("Created organization %s (%s)", organization[model.FIELD_ID], name)
        organization_id = str(organization[model.FIELD_ID])
        self.emit_focus_event(context, {"created": 1, "id": organization_id})
        return organization_id
