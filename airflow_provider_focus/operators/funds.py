"""Operators that import (bulk upsert) and delete cost items and benefit items."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import model
from airflow_provider_focus.exceptions import FocusAuthError, FocusConfigError, FocusError, FocusNotFoundError
from airflow_provider_focus.operators._jsonl import load_json_list
from airflow_provider_focus.operators.base import (
    FocusBaseOperator,
    FocusPartialFailure,
    is_template,
    require_positive_int,
    require_text,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

#: Items sent per bulk call unless told otherwise.
DEFAULT_CHUNK_SIZE = 100


class _FocusImportFundItemsOperator(FocusBaseOperator):
    """
    Bulk-upsert fund items in chunks and report, item by item, what the server did.

    :param items: the items: a list of dicts (or an XComArg resolving to one, or a JSON string). (templated)
    :param input_path: instead of ``items``, a JSON Lines file (local path or object storage URL). (templated)
    :param chunk_size: items per bulk call.
    :param fail_on_error: fail the task at the end when any item failed.
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id", "items", "input_path")
    #: What the items are, for messages.
    label = "fund items"
    #: The item field holding its id and its external id.
    id_field = ""
    external_id_field = ""

    def __init__(
        self,
        *,
        items: Any = None,
        input_path: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        fail_on_error: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (items is None) == (input_path is None):
            raise FocusConfigError("Give exactly one of items and input_path.")
        if items is not None and not is_template(items) and not isinstance(items, (list, tuple)):
            raise FocusConfigError(f"items must be a list of dicts, got {type(items).__name__}.")
        require_positive_int("chunk_size", chunk_size)
        self.items = items
        self.input_path = input_path
        self.chunk_size = chunk_size
        self.fail_on_error = fail_on_error

    def _import(self, chunk: list[dict[str, Any]]) -> Any:
        raise NotImplementedError

    def execute(self, context: Context) -> dict[str, Any]:
        """Send the items chunk by chunk and return ``{"created": n, "updated": n, "failed": [...]}``."""
        items = self._load_items()
        report: dict[str, Any] = {"created": 0, "updated": 0, "failed": []}
        chunks = range(0, len(items), self.chunk_size)
        self.log.info(
            "Importing %d %s in %d bulk calls of up to %d", len(items), self.label, len(chunks), self.chunk_size
        )
        for offset in chunks:
            chunk = items[offset : offset + self.chunk_size]
            try:
                answer = self._import(chunk)
            except FocusAuthError as err:
                self._fail_all(report, items[offset:], offset, f"not attempted: {err}")
                break
            except FocusError as err:
                self._fail_all(report, chunk, offset, str(err))
                continue
            self._account(report, chunk, offset, answer)
            self.log.info(
                "Imported %d/%d %s: %d created, %d updated, %d failed",
                min(offset + self.chunk_size, len(items)),
                len(items),
                self.label,
                report["created"],
                report["updated"],
                len(report["failed"]),
            )
        for entry in report["failed"]:
            self.log.warning("Item %s (index %s) failed: %s", entry["externalId"], entry["index"], entry["error"])
        if report["failed"] and self.fail_on_error:
            context["ti"].xcom_push(key="report", value=report)
            self.log.error("Import report: %s", json.dumps(report))
            first = report["failed"][0]
            raise FocusPartialFailure(
                f"{len(report['failed'])} of {len(items)} {self.label} failed "
                f"({len(items) - len(report['failed'])} applied; the report is in XCom under the key 'report'). "
                f"First: {first['externalId']}: {first['error']}",
                report=report,
            )
        return report

    def _account(self, report: dict[str, Any], chunk: list[dict[str, Any]], offset: int, answer: Any) -> None:
        if not isinstance(answer, Mapping):
            self._fail_all(report, chunk, offset, f"unexpected answer from the bulk endpoint: {str(answer)[:200]}")
            return
        seen: set[int] = set()
        for result in answer.get(model.BULK_RESULTS) or []:
            index = result.get(model.BULK_INDEX)
            if isinstance(index, int):
                seen.add(index)
            report["created" if result.get(model.BULK_CREATED) else "updated"] += 1
        for error in answer.get(model.BULK_ERRORS) or []:
            index = error.get(model.BULK_INDEX)
            item = chunk[index] if isinstance(index, int) and 0 <= index < len(chunk) else {}
            if isinstance(index, int):
                seen.add(index)
            external_id = error.get(self.external_id_field) or item.get(self.external_id_field)
            message = f"{error.get(model.ERROR_TYPE) or 'ERROR'}: {error.get(model.ERROR_MESSAGE) or '(no message)'}"
            position = offset + index if isinstance(index, int) else None
            report["failed"].append({"externalId": external_id, "index": position, "error": message})
        missing = [position for position in range(len(chunk)) if position not in seen]
        if answer.get(model.BULK_RESULTS) is not None and missing:
            for position in missing:
                report["failed"].append(
                    {
                        "externalId": chunk[position].get(self.external_id_field),
                        "index": offset + position,
                        "error": "the bulk answer did not mention this item",
                    }
                )

    def _fail_all(self, report: dict[str, Any], chunk: Sequence[dict[str, Any]], offset: int, error: str) -> None:
        for position, item in enumerate(chunk):
            external_id = item.get(self.external_id_field) if isinstance(item, Mapping) else None
            report["failed"].append({"externalId": external_id, "index": offset + position, "error": error})

    def _load_items(self) -> list[dict[str, Any]]:
        items = load_json_list(self.items, self.input_path, name="items")
        for position, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise FocusConfigError(f"item {position} is not a dict: {type(item).__name__}.")
        return [dict(item) for item in items]


class FocusImportCostItemsOperator(_FocusImportFundItemsOperator):
    """
    Bulk-upsert cost items in chunks; each is matched by ``costItemId`` or ``costItemExternalId``, else created.

    Items the server rejects are collected into the report with their external id and message; the other items
    are applied. Returns ``{"created": n, "updated": n, "failed": [{"externalId", "index", "error"}]}`` (the report
    is also pushed to XCom under ``report`` before the task fails because of failed items).

    :param items: the cost items: a list of dicts (or an XComArg resolving to one). (templated)
    :param input_path: instead of ``items``, a JSON Lines file (local path or object storage URL). (templated)
    :param chunk_size: items per bulk call (default 100).
    :param fail_on_error: fail the task at the end when any item failed.
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    label = "cost items"
    id_field = model.COST_ITEM_ID
    external_id_field = model.COST_ITEM_EXTERNAL_ID

    def _import(self, chunk: list[dict[str, Any]]) -> Any:
        return self.hook.import_cost_items(chunk)


class FocusImportBenefitItemsOperator(_FocusImportFundItemsOperator):
    """
    Bulk-upsert benefit items in chunks; each is matched by ``benefitItemId`` or ``benefitItemExternalId``.

    Same behaviour and report as :class:`FocusImportCostItemsOperator`.

    :param items: the benefit items: a list of dicts (or an XComArg resolving to one). (templated)
    :param input_path: instead of ``items``, a JSON Lines file (local path or object storage URL). (templated)
    :param chunk_size: items per bulk call (default 100).
    :param fail_on_error: fail the task at the end when any item failed.
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    label = "benefit items"
    id_field = model.BENEFIT_ITEM_ID
    external_id_field = model.BENEFIT_ITEM_EXTERNAL_ID

    def _import(self, chunk: list[dict[str, Any]]) -> Any:
        return self.hook.import_benefit_items(chunk)


class _FocusDeleteFundItemOperator(FocusBaseOperator):
    """
    Delete one fund item (irreversible).

    :param item_id: the item's id. (templated)
    :param ignore_missing: succeed when the item does not exist (already deleted).
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    label = "fund item"

    def __init__(self, *, item_id: str, ignore_missing: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        require_text("item_id", item_id)
        self.item_id = item_id
        self.ignore_missing = ignore_missing

    def _delete(self, item_id: str) -> None:
        raise NotImplementedError

    def execute(self, context: Context) -> str | None:
        """Delete the item and return its id (``None`` when it was missing and ``ignore_missing`` is set)."""
        item_id = str(self.item_id)
        try:
            self._delete(item_id)
        except FocusNotFoundError:
            if not self.ignore_missing:
                raise
            self.log.info("No %s %s to delete (ignore_missing is set)", self.label, item_id)
            return None
        self.log.info("Deleted %s %s", self.label, item_id)
        return item_id


class FocusDeleteCostItemOperator(_FocusDeleteFundItemOperator):
    """
    Delete a cost item (irreversible) and return its id.

    :param cost_item_id: the cost item's id. (templated)
    :param ignore_missing: succeed when it does not exist.
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id", "item_id")
    label = "cost item"

    def __init__(self, *, cost_item_id: str, ignore_missing: bool = False, **kwargs: Any) -> None:
        super().__init__(item_id=cost_item_id, ignore_missing=ignore_missing, **kwargs)

    @property
    def cost_item_id(self) -> str:
        """The cost item's id (after rendering)."""
        return str(self.item_id)

    def _delete(self, item_id: str) -> None:
        self.hook.delete_cost_item(item_id)


class FocusDeleteBenefitItemOperator(_FocusDeleteFundItemOperator):
    """
    Delete a benefit item (irreversible) and return its id.

    :param benefit_item_id: the benefit item's id. (templated)
    :param ignore_missing: succeed when it does not exist.
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id", "item_id")
    label = "benefit item"

    def __init__(self, *, benefit_item_id: str, ignore_missing: bool = False, **kwargs: Any) -> None:
        super().__init__(item_id=benefit_item_id, ignore_missing=ignore_missing, **kwargs)

    @property
    def benefit_item_id(self) -> str:
        """The benefit item's id (after rendering)."""
        return str(self.item_id)

    def _delete(self, item_id: str) -> None:
        self.hook.delete_benefit_item(item_id)
