"""
Operators that import (bulk upsert) and delete cost items and benefit items.

Every funds endpoint is marked **Experimental** in Atlassian's reference: it may change without notice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import fund_shapes, model
from airflow_provider_focus.arguments import require_positive_int, require_text
from airflow_provider_focus.assets import BENEFIT_ITEMS, COST_ITEMS
from airflow_provider_focus.exceptions import FocusNotFoundError
from airflow_provider_focus.operators._batch import FocusBatchOperator
from airflow_provider_focus.operators.base import FocusBaseOperator
from airflow_provider_focus.services.options import DEFAULT_CHUNK_SIZE

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_focus.services.report import FundImportReport


class _FocusImportFundItemsOperator(FocusBatchOperator):
    """
    Bulk-upsert fund items in chunks and report, item by item, what the server did.

    :param items: the items: a list of dicts (or an XComArg resolving to one, or a JSON string). (templated)
    :param input_path: instead of ``items``, a JSON Lines or CSV file (local path or object storage URL), read as a
        stream. (templated)
    :param format: ``"jsonl"`` or ``"csv"``; by default the extension of ``input_path`` decides.
    :param encoding: the encoding of ``input_path``; default UTF-8 with or without a byte-order mark.
    :param delimiter: the CSV delimiter of ``input_path``; by default sniffed from its header line.
    :param chunk_size: items per bulk call.
    :param fail_on_error: fail the task at the end when any item failed.
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id", "items", "input_path")
    #: What the items are, for messages.
    label = "fund items"
    #: The item field holding the per-version period values (``costPeriodValues``).
    period_values_field = model.COST_PERIOD_VALUES

    def __init__(
        self,
        *,
        items: Any = None,
        input_path: str | None = None,
        format: str | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        fail_on_error: bool = True,
        **kwargs: Any,
    ) -> None:
        self.check_input("items", items, input_path)
        super().__init__(
            input_path=input_path,
            format=format,
            encoding=encoding,
            delimiter=delimiter,
            fail_on_error=fail_on_error,
            **kwargs,
        )
        require_positive_int("chunk_size", chunk_size)
        self.items = items
        self.chunk_size = chunk_size

    def _import(self, items: Iterable[Any]) -> FundImportReport:
        raise NotImplementedError

    def execute(self, context: Context) -> dict[str, Any]:
        """Send the items chunk by chunk and return the report."""
        self.log.info("Importing %s in bulk calls of up to %d", self.label, self.chunk_size)
        periods = _PeriodTap(self.period_values_field)
        with self.open_input(self.items, name="items") as items:
            report = self._import(periods.tap(items))
        failed = {entry.index for entry in report.failed}
        return self.finish(context, report, what=self.label, periods=periods.touched(failed))


class _PeriodTap:
    """Record, item by item, the periods (``2025-04``) an import reads, so that its asset event can name them."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.by_index: list[frozenset[str]] = []

    def tap(self, items: Iterable[Any]) -> Iterator[Any]:
        """
        Yield the items unchanged, recording the periods of each.

        :param items: the items, read one at a time.
        """
        for item in items:
            self.by_index.append(frozenset(self._periods(item)))
            yield item

    def _periods(self, item: Any) -> Iterator[str]:
        # JSON text (a JSON or text column, a CSV cell) is read as the import sends it: as the JSON it holds
        versions = fund_shapes.structured(item.get(self.field), model.JSON_ARRAY) if isinstance(item, dict) else None
        for version in versions if isinstance(versions, list) else ():
            amounts = version.get(model.TIME_PERIOD_TO_AMOUNT) if isinstance(version, dict) else None
            if isinstance(amounts, dict):
                yield from (str(period) for period in amounts)

    def touched(self, failed: set[int | None]) -> set[str]:
        """
        Return the periods of the items that were not refused.

        :param failed: the indexes of the items that failed.
        """
        return {period for index, periods in enumerate(self.by_index) if index not in failed for period in periods}


class FocusImportCostItemsOperator(_FocusImportFundItemsOperator):
    """
    Bulk-upsert cost items in chunks; each is matched by ``costItemId`` or ``costItemExternalId``, else created.

    The funds endpoints are **Experimental** in Atlassian's reference: they may change without notice.
    Items are sent with the reference's request names; an ``expenditureType`` given as a string is sent as the
    documented object ``{"key": ...}`` (logged once).

    A thin task around :meth:`~airflow_provider_focus.hooks.focus.FocusHook.import_cost_items`. Items the server
    rejects are collected into the report with their external id, index and message; the other items are applied; an
    item repeating an earlier item's external id is not sent. Returns ``{"created": [ids], "updated": [ids],
    "unchanged": 0, "failed": [{"externalId", "index", "error"}]}`` (also pushed to XCom under ``report`` before the
    task fails because of failed items).

    :param items: the cost items: a list of dicts (or an XComArg resolving to one). (templated)
    :param input_path: instead of ``items``, a JSON Lines or CSV file (local path or object storage URL). (templated)
    :param format: ``"jsonl"`` or ``"csv"``; by default the extension of ``input_path`` decides.
    :param encoding: the encoding of ``input_path``; default UTF-8 with or without a byte-order mark.
    :param delimiter: the CSV delimiter of ``input_path``; by default sniffed from its header line.
    :param chunk_size: items per bulk call (default 100).
    :param fail_on_error: fail the task at the end when any item failed.
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    :param outlets: by default the asset alias ``focus:<focus_conn_id>:funds/cost-items``, which a successful run
        resolves to ``focus://<cloudId or site>/funds/cost-items`` with the report's counts, the source and the
        ``periods`` touched in the event's ``extra``. A concrete ``focus://`` asset given instead gets the same
        ``extra`` and, on Airflow 3.3+, one partition per period (see :mod:`airflow_provider_focus.lineage`).
    """

    label = "cost items"
    focus_output = COST_ITEMS

    def _import(self, items: Iterable[Any]) -> FundImportReport:
        return self.hook.import_cost_items(items, chunk_size=self.chunk_size)


class FocusImportBenefitItemsOperator(_FocusImportFundItemsOperator):
    """
    Bulk-upsert benefit items in chunks; each is matched by ``benefitItemId`` or ``benefitItemExternalId``.

    The funds endpoints are **Experimental** in Atlassian's reference: they may change without notice.
    The type is ``benefitTypeKey``; ``benefitType`` (the provider's earlier name) is deprecated: it is sent as
    ``benefitTypeKey`` and the task log says so once.

    Same behaviour and report as :class:`FocusImportCostItemsOperator`.

    :param items: the benefit items: a list of dicts (or an XComArg resolving to one). (templated)
    :param input_path: instead of ``items``, a JSON Lines or CSV file (local path or object storage URL). (templated)
    :param format: ``"jsonl"`` or ``"csv"``; by default the extension of ``input_path`` decides.
    :param encoding: the encoding of ``input_path``; default UTF-8 with or without a byte-order mark.
    :param delimiter: the CSV delimiter of ``input_path``; by default sniffed from its header line.
    :param chunk_size: items per bulk call (default 100).
    :param fail_on_error: fail the task at the end when any item failed.
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    label = "benefit items"
    focus_output = BENEFIT_ITEMS
    period_values_field = model.BENEFIT_PERIOD_VALUES

    def _import(self, items: Iterable[Any]) -> FundImportReport:
        return self.hook.import_benefit_items(items, chunk_size=self.chunk_size)


class _FocusDeleteFundItemOperator(FocusBaseOperator):
    """
    Delete one fund item (irreversible); subclasses name the argument holding its id.

    :param ignore_missing: succeed when the item does not exist (already deleted).
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    label = "fund item"
    #: The constructor argument (and template field) holding the item's id.
    id_argument = ""

    def __init__(self, *, ignore_missing: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ignore_missing = ignore_missing

    def _delete(self, item_id: str) -> None:
        raise NotImplementedError

    def execute(self, context: Context) -> str | None:
        """Delete the item and return its id (``None`` when it was missing and ``ignore_missing`` is set)."""
        item_id = str(getattr(self, self.id_argument))
        try:
            self._delete(item_id)
        except FocusNotFoundError:
            if not self.ignore_missing:
                raise
            self.log.info("No %s %s to delete (ignore_missing is set)", self.label, item_id)
            return None
        self.log.info("Deleted %s %s", self.label, item_id)
        self.emit_focus_event(context, {"deleted": 1, "id": item_id})
        return item_id


class FocusDeleteCostItemOperator(_FocusDeleteFundItemOperator):
    """
    Delete a cost item (irreversible) and return its id.

    The funds endpoints are **Experimental** in Atlassian's reference: they may change without notice.

    :param cost_item_id: the cost item's id. (templated)
    :param ignore_missing: succeed when it does not exist.
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id", "cost_item_id")
    label = "cost item"
    focus_output = COST_ITEMS
    id_argument = "cost_item_id"

    def __init__(self, *, cost_item_id: str, ignore_missing: bool = False, **kwargs: Any) -> None:
        super().__init__(ignore_missing=ignore_missing, **kwargs)
        require_text("cost_item_id", cost_item_id)
        self.cost_item_id = cost_item_id

    def _delete(self, item_id: str) -> None:
        self.hook.delete_cost_item(item_id)


class FocusDeleteBenefitItemOperator(_FocusDeleteFundItemOperator):
    """
    Delete a benefit item (irreversible) and return its id.

    The funds endpoints are **Experimental** in Atlassian's reference: they may change without notice.

    :param benefit_item_id: the benefit item's id. (templated)
    :param ignore_missing: succeed when it does not exist.
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id", "benefit_item_id")
    label = "benefit item"
    focus_output = BENEFIT_ITEMS
    id_argument = "benefit_item_id"

    def __init__(self, *, benefit_item_id: str, ignore_missing: bool = False, **kwargs: Any) -> None:
        super().__init__(ignore_missing=ignore_missing, **kwargs)
        require_text("benefit_item_id", benefit_item_id)
        self.benefit_item_id = benefit_item_id

    def _delete(self, item_id: str) -> None:
        self.hook.delete_benefit_item(item_id)
