"""Operators that read, list, create and change focus areas."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import model
from airflow_provider_focus.arguments import as_field_names, as_mapping, is_template, require_mapping, require_text
from airflow_provider_focus.assets import FOCUS_AREAS
from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.links import FOCUS_AREA_ID_ATTR, FocusAreaLink
from airflow_provider_focus.operators._creates import made_by_an_earlier_try
from airflow_provider_focus.operators._listing import FocusListOperatorBase
from airflow_provider_focus.operators.base import FocusBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_focus.services.changes import ChangeFeed


class FocusGetFocusAreaOperator(FocusBaseOperator):
    """
    Read one focus area, with its ancestors and status, and return it.

    :param focus_area_id: the focus area's id. (templated)
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id", "focus_area_id")
    focus_input = FOCUS_AREAS
    operator_extra_links = (FocusAreaLink(),)

    def __init__(self, *, focus_area_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        require_text("focus_area_id", focus_area_id)
        self.focus_area_id = focus_area_id

    def execute(self, context: Context) -> dict[str, Any]:
        """Return the focus area as the API has it."""
        focus_area = self.hook.get_focus_area(str(self.focus_area_id))
        setattr(self, FOCUS_AREA_ID_ATTR, focus_area.get(model.FIELD_ID, self.focus_area_id))
        self.log.info("Read focus area %s (%s)", self.focus_area_id, focus_area.get(model.FIELD_NAME))
        return focus_area


class FocusListFocusAreasOperator(FocusListOperatorBase):
    """
    List focus areas: return them, or stream them to a JSON Lines file in constant memory.

    Without ``output_path`` the list goes to XCom, and the task refuses more than ``max_xcom_items`` of them.
    With ``output_path`` the focus areas are written page by page to a temporary name next to the target, which is
    renamed once complete (atomically on a local disk; on object storage the rename is a copy and a delete, so the
    final name appears only with complete data, but a leftover temporary object is possible), and the task returns
    ``{"path": ..., "count": ...}``.

    Incremental exports: with ``updated_since`` the task lists only the focus areas changed since then (newest
    first, through the change feed; a focus area changed within 60 s before it may come again, so load by id), and
    pushes the new watermark (the newest ``updatedAt`` seen, or ``updated_since`` itself when nothing changed) to
    XCom under the key ``watermark`` (also in the returned dict with ``output_path``). ``updated_since`` rendering to
    an empty string or ``None`` means a full load, which also yields a watermark.

    Asset events: the task declares no outlet by default (it writes no Focus data). Give the export's asset in
    ``outlets`` (``outlets=[Asset("s3://bucket/focus/areas")]``, or any asset a downstream DAG is scheduled on) and
    its event's ``extra`` holds ``count``, ``path`` and, for an incremental export, ``watermark``, ``since`` and
    ``full_load``: the range of changes the file holds.

    :param name_contains: only those whose name contains this text. (templated)
    :param external_id: only the one with this external id. (templated)
    :param parent_id: only the children of this focus area. (templated)
    :param sort: sort order, e.g. ``name`` or ``-updatedAt``. (templated)
    :param max_items: stop after this many. (templated)
    :param output_path: a local path or an object storage URL (``file:///...``, ``s3://...``) to write JSON Lines
        to; a path ending in ``.parquet`` gets Parquet with the stable columns of
        :data:`~airflow_provider_focus.services.columns.FOCUS_AREA_COLUMNS` (the ``parquet`` extra). (templated)
    :param format: ``"jsonl"`` or ``"parquet"``; by default the extension of ``output_path`` decides.
    :param updated_since: only those changed since this ISO 8601 time, e.g. a stored watermark. (templated)
    :param page_size: the page size to ask the API for.
    :param max_xcom_items: the most focus areas returned through XCom (default 1,000).
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = (*FocusListOperatorBase.template_fields, "external_id", "updated_since")
    what = "focus areas"
    parquet = True
    focus_input = FOCUS_AREAS

    def __init__(self, *, external_id: str | None = None, updated_since: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.external_id = external_id
        self.updated_since = updated_since
        self._feed: ChangeFeed | None = None

    def fetch(self, limit: int | None) -> Iterator[dict[str, Any]]:
        """Iterate over the focus areas that match the rendered filters (with ``updated_since``: the feed's)."""
        if self._feed is not None:
            return self.hook.export_focus_area_feed(self._feed, sort=self.sort or None, max_items=limit)
        return self.hook.list_focus_areas(
            name_contains=self.name_contains or None,
            external_id=self.external_id or None,
            parent_id=self.parent_id or None,
            sort=self.sort or None,
            page_size=self.page_size,
            max_items=limit,
        )

    def execute(self, context: Context) -> list[dict[str, Any]] | dict[str, Any]:
        """Return the items (or ``{"path", "count"}``); with ``updated_since``, push the new watermark too."""
        if self.updated_since is None:
            return super().execute(context)
        from airflow_provider_focus.services.changes import iso  # at run time, not at parse time

        self._feed = self.hook.focus_area_feed(
            self._since(),
            name_contains=self.name_contains or None,
            external_id=self.external_id or None,
            parent_id=self.parent_id or None,
            page_size=self.page_size,
            what="updated_since",
        )
        if self._feed.watermark is None:
            self.log.info("updated_since is empty: a full load")
        else:
            self.log.info("Listing the focus areas changed since %s", iso(self._feed.watermark))
        result = super().execute(context)
        watermark = iso(self._feed.watermark) if self._feed.watermark is not None else None
        context["ti"].xcom_push(key="watermark", value=watermark)
        self.log.info("New watermark: %s", watermark)
        if isinstance(result, dict):
            return {**result, "watermark": watermark}
        return result

    def output_extra(self, result: list[dict[str, Any]] | dict[str, Any]) -> dict[str, Any]:
        """
        Return the ``extra`` of the outlets' events: ``count``, ``path`` and, with ``updated_since``, the range read.

        An incremental run adds ``watermark`` (the newest ``updatedAt`` read), ``full_load`` and ``since`` (the
        ``updated_since`` it started from), so that a downstream DAG knows what range the export holds.

        :param result: what the task returns.
        """
        extra = super().output_extra(result)
        if self.updated_since is None:
            return extra
        from airflow_provider_focus.lineage import export_range
        from airflow_provider_focus.services.changes import iso

        if self._feed is not None and self._feed.watermark is not None:
            extra["watermark"] = iso(self._feed.watermark)
        return {**extra, **export_range(self._since() or "", incremental=True)}

    def _since(self) -> str | None:
        since = str(self.updated_since).strip() if self.updated_since is not None else ""
        return None if since in ("", "None", "null") else since


class FocusCreateFocusAreaOperator(FocusBaseOperator):
    """
    Create a focus area and return its id.

    Give an ``externalId`` in ``fields`` to make the create safe to retry: after a lost response the hook finds
    the focus area by that id instead of creating a second one, and when the task itself is retried (a later
    try) it looks the focus area up by that id first and returns it if an earlier try created it.

    :param name: its name. (templated)
    :param focus_area_type_id: the id of its focus area type. (templated)
    :param fields: further fields, e.g. ``externalId``, ``parentId``, ``ownerAccountId``, ``description``; a
        template may render a JSON object. (templated)
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id", "name", "focus_area_type_id", "fields")
    operator_extra_links = (FocusAreaLink(),)
    focus_output = FOCUS_AREAS

    def __init__(
        self, *, name: str, focus_area_type_id: str, fields: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        require_text("name", name)
        require_text("focus_area_type_id", focus_area_type_id)
        require_mapping("fields", fields, optional=True)
        self.name = name
        self.focus_area_type_id = focus_area_type_id
        self.fields = fields or {}

    def execute(self, context: Context) -> str:
        """Create the focus area and return its id."""
        fields = as_mapping("fields", self.fields, optional=True)
        extra = {key: value for key, value in fields.items() if value is not None}
        focus_area = made_by_an_earlier_try(
            context, extra.get(model.FIELD_EXTERNAL_ID), find=self.hook.find_focus_area, what="focus area", log=self.log
        )
        if focus_area is None:
            focus_area = self.hook.create_focus_area(
                name=self.name, focus_area_type_id=self.focus_area_type_id, **extra
            )
            self.log.info("Created focus area %s (%s)", focus_area[model.FIELD_ID], self.name)
        focus_area_id = str(focus_area[model.FIELD_ID])
        setattr(self, FOCUS_AREA_ID_ATTR, focus_area_id)
        self.emit_focus_event(context, {"created": 1, "id": focus_area_id})
        return focus_area_id


class FocusUpdateFocusAreaOperator(FocusBaseOperator):
    """
    Change fields of a focus area and return it as the API has it now.

    :param focus_area_id: the focus area's id. (templated)
    :param fields: the new values, e.g. ``{"name": "...", "description": "..."}``; a template may render a JSON
        object. (templated)
    :param update_mask: the fields to change; listed fields absent from ``fields`` (or ``None``) are cleared.
        Defaults to the keys of ``fields``. A template may render a JSON list (``'["name", "description"]'``) or
        comma-separated names (``"name,description"``). (templated)
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id", "focus_area_id", "fields", "update_mask")
    operator_extra_links = (FocusAreaLink(),)
    focus_output = FOCUS_AREAS

    def __init__(
        self,
        *,
        focus_area_id: str,
        fields: dict[str, Any],
        update_mask: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        require_text("focus_area_id", focus_area_id)
        require_mapping("fields", fields)
        if update_mask is not None and not is_template(update_mask):
            if isinstance(update_mask, str):
                raise FocusConfigError("update_mask must be a list of field names, not a string.")
            as_field_names("update_mask", update_mask)
        if not is_template(fields) and not fields and not update_mask:
            raise FocusConfigError("Nothing to update: give at least one field in fields, or an update_mask.")
        self.focus_area_id = focus_area_id
        self.fields = fields
        self.update_mask = update_mask

    def execute(self, context: Context) -> dict[str, Any]:
        """Send the change and return the updated focus area."""
        focus_area_id = str(self.focus_area_id)
        fields = as_mapping("fields", self.fields, optional=True)
        mask = as_field_names("update_mask", self.update_mask)
        if not fields and not mask:
            raise FocusConfigError("Nothing to update: fields and update_mask rendered empty.")
        setattr(self, FOCUS_AREA_ID_ATTR, focus_area_id)
        focus_area = self.hook.update_focus_area(focus_area_id, fields, update_mask=mask)
        self.log.info("Updated focus area %s: %s", focus_area_id, ", ".join(mask or list(fields)))
        self.emit_focus_event(context, {"updated": 1, "id": focus_area_id})
        return focus_area
