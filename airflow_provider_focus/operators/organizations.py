"""Operators that list and create organizations."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import model
from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.operators._listing import DEFAULT_MAX_XCOM_ITEMS, list_or_export
from airflow_provider_focus.operators.base import (
    FocusBaseOperator,
    as_positive_int,
    is_template,
    require_mapping,
    require_positive_int,
    require_text,
)

if TYPE_CHECKING:
    from airflow.sdk import Context


class FocusListOrganizationsOperator(FocusBaseOperator):
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

    template_fields: Sequence[str] = ("focus_conn_id", "name_contains", "parent_id", "sort", "max_items", "output_path")

    def __init__(
        self,
        *,
        name_contains: str | None = None,
        parent_id: str | None = None,
        sort: str | None = None,
        max_items: int | None = None,
        output_path: str | None = None,
        page_size: int = model.MAX_PAGE_SIZE,
        max_xcom_items: int = DEFAULT_MAX_XCOM_ITEMS,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        require_positive_int("max_items", max_items, optional=True)
        require_positive_int("page_size", page_size)
        require_positive_int("max_xcom_items", max_xcom_items)
        if sort is not None and not is_template(sort) and sort not in model.SORT_VALUES:
            raise FocusConfigError(f"sort must be one of {', '.join(model.SORT_VALUES)}, got {sort!r}.")
        self.name_contains = name_contains
        self.parent_id = parent_id
        self.sort = sort
        self.max_items = max_items
        self.output_path = output_path
        self.page_size = page_size
        self.max_xcom_items = max_xcom_items

    def execute(self, context: Context) -> list[dict[str, Any]] | dict[str, Any]:
        """Return the organizations, or ``{"path", "count"}`` when they were written to ``output_path``."""

        def fetch(limit: int | None) -> Iterator[dict[str, Any]]:
            return self.hook.list_organizations(
                name_contains=self.name_contains or None,
                parent_id=self.parent_id or None,
                sort=self.sort or None,
                page_size=self.page_size,
                max_items=limit,
            )

        return list_or_export(
            fetch,
            what="organizations",
            max_items=as_positive_int("max_items", self.max_items, optional=True),
            output_path=self.output_path or None,
            max_xcom_items=self.max_xcom_items,
            log=self.log,
        )


class FocusCreateOrganizationOperator(FocusBaseOperator):
    """
    Create an organization and return its id.

    :param name: its name. (templated)
    :param organization_type_id: the id of its organization type. (templated)
    :param fields: further fields, e.g. ``externalId`` (makes the create safe to retry), ``parentId``. (templated)
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id", "name", "organization_type_id", "fields")

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
        extra = {key: value for key, value in dict(self.fields).items() if value is not None}
        organization = self.hook.create_organization(
            name=self.name, organization_type_id=self.organization_type_id, **extra
        )
        organization_id = str(organization[model.FIELD_ID])
        self.log.info("Created organization %s (%s)", organization_id, self.name)
        return organization_id
