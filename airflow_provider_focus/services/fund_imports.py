"""
Import cost items and benefit items through the bulk endpoints, chunk by chunk, and report item by item.

The funds endpoints are **Experimental** in Atlassian's reference: they may change without notice.

Items are read one at a time from any iterable (a list, or a file read as a stream); one chunk is in memory at a
time, plus the keys seen so far. Each item is sent with the reference's request names
(:mod:`airflow_provider_focus.api.fund_shapes`): a deprecated name (``benefitType``) or a plain-string
``expenditureType`` is mapped, and the mapping is logged once per import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import fund_shapes, model
from airflow_provider_focus.api.bodies import unencodable
from airflow_provider_focus.api.errors import cut
from airflow_provider_focus.exceptions import FocusAuthError, FocusConfigError, FocusError
from airflow_provider_focus.services import operations
from airflow_provider_focus.services.options import DEFAULT_CHUNK_SIZE
from airflow_provider_focus.services.records import BadRecord
from airflow_provider_focus.services.report import FundImportReport

if TYPE_CHECKING:
    from airflow_provider_focus.api.client import FocusClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FundKind:
    """
    One kind of fund item: its bulk endpoint and the fields that identify an item.

    :param label: what the items are, for messages (``"cost items"``).
    :param bulk_path: the bulk upsert endpoint.
    :param id_field: the item field holding its id.
    :param external_id_field: the item field holding its external id (an item's key in the report).
    :param answer_external_id_field: the answer's name of the external id ([DOC] it differs from the request's).
    :param to_request: maps an item to the documented request shape, with notes on what it mapped.
    :param item_path: the endpoint of one item (``funds/cost-item``), followed by its id.
    :param read_answer: reads one item's answer by the documented names.
    :param patchable_fields: the fields the reference lets an update change.
    """

    label: str
    bulk_path: str
    id_field: str
    external_id_field: str
    answer_external_id_field: str
    to_request: Callable[[Mapping[str, Any]], tuple[dict[str, Any], list[str]]]
    item_path: str
    read_answer: Callable[[Any], dict[str, Any]]
    patchable_fields: frozenset[str]

    @property
    def singular(self) -> str:
        """What one item is, for messages (``"cost item"``)."""
        return self.label.removesuffix("s")

    def key_of(self, item: Mapping[str, Any]) -> str | None:
        """
        Return what identifies an item: its external id, else its id, else ``None`` (a new item).

        The external id is read under the request's name and, for an answer's entry, under the answer's name.
        """
        for name in (self.external_id_field, self.answer_external_id_field, self.id_field):
            value = item.get(name)
            if value is not None and str(value).strip():
                return str(value)
        return None


COST_ITEMS = FundKind(
    "cost items",
    model.COST_ITEM_BULK,
    model.COST_ITEM_ID,
    model.COST_ITEM_EXTERNAL_ID,
    model.ANSWER_EXTERNAL_COST_ITEM_ID,
    fund_shapes.cost_item_request,
    item_path=model.COST_ITEM,
    read_answer=fund_shapes.read_cost_item,
    patchable_fields=model.COST_ITEM_PATCHABLE_FIELDS,
)
BENEFIT_ITEMS = FundKind(
    "benefit items",
    model.BENEFIT_ITEM_BULK,
    model.BENEFIT_ITEM_ID,
    model.BENEFIT_ITEM_EXTERNAL_ID,
    model.ANSWER_EXTERNAL_BENEFIT_ITEM_ID,
    fund_shapes.benefit_item_request,
    item_path=model.BENEFIT_ITEM,
    read_answer=fund_shapes.read_benefit_item,
    patchable_fields=model.BENEFIT_ITEM_PATCHABLE_FIELDS,
)


def import_fund_items(
    client: FocusClient, kind: FundKind, items: Iterable[Any], *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> FundImportReport:
    """
    Bulk-upsert fund items in chunks; each is matched by its id or external id, else created.

    Items the server rejects are reported with their external id, index and message; the others are applied. A
    chunk whose call fails fails its items only, except an authentication error: that stops the import and the
    rest is reported as not attempted. An item whose external id (or id) repeats an earlier item's is not sent.

    :param client: the API client.
    :param kind: :data:`COST_ITEMS` or :data:`BENEFIT_ITEMS`.
    :param items: the items, read one at a time.
    :param chunk_size: items per bulk call.
    :return: the report; ``created`` and ``updated`` hold the ids the server answered with.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0:
        raise FocusConfigError(f"chunk_size must be a positive integer, got {chunk_size!r}.")
    if isinstance(items, (str, bytes, Mapping)):
        raise FocusConfigError(f"items must be an iterable of dicts, got {type(items).__name__}.")
    return _Import(client, kind, chunk_size).run(items)


class _Import:
    def __init__(self, client: FocusClient, kind: FundKind, chunk_size: int) -> None:
        self.client = client
        self.kind = kind
        self.chunk_size = chunk_size
        self.report = FundImportReport()
        self.first_index: dict[str, int] = {}
        self.duplicates: list[tuple[int, str]] = []
        self.stopped: str | None = None
        self.read = 0
        self.notes: dict[str, int] = {}  # what was mapped to the documented request shape -> how many items

    def run(self, items: Iterable[Any]) -> FundImportReport:
        chunk: list[tuple[int, dict[str, Any]]] = []
        for position, item in enumerate(items):
            self.read = position + 1
            if isinstance(item, BadRecord):  # a line the reader could not make an item of
                self.report.fail(None, position, str(item))
                continue
            if not isinstance(item, Mapping):
                self.report.fail(None, position, f"item {position} is not an object: {type(item).__name__}")
                continue
            key = self.kind.key_of(item)
            problem = unencodable(item)
            if self.stopped:
                self.report.fail(key, position, self.stopped)
            elif problem is not None:
                # a NaN from an empty spreadsheet cell fails its own record, never its whole chunk
                self.report.fail(key, position, f"item {position}: {problem}; it was not sent")
            elif key is not None and key in self.first_index:
                self.duplicates.append((position, key))
            else:
                if key is not None:
                    self.first_index[key] = position
                request, notes = self.kind.to_request(item)
                for note in notes:
                    self.notes[note] = self.notes.get(note, 0) + 1
                chunk.append((position, request))
                if len(chunk) >= self.chunk_size:
                    self._send(chunk)
                    chunk = []
        if chunk:
            self._send(chunk)
        self._report_duplicates()
        for note, count in self.notes.items():
            log.warning(
                "%s: %s (%d item(s)); update your records to the documented names", self.kind.label, note, count
            )
        log.info("Imported %d %s: %s", self.read, self.kind.label, self.report.counts())
        return self.report

    def _send(self, chunk: list[tuple[int, dict[str, Any]]]) -> None:
        try:
            answer = operations.bulk_import(
                self.client,
                self.kind.bulk_path,
                [item for _, item in chunk],
                (self.kind.id_field, self.kind.external_id_field),
            )
        except FocusAuthError as err:
            self.stopped = f"not attempted: {err}"
            log.error("Stopping the import: %s", err)
            self._fail_all(chunk, self.stopped)
            return
        except FocusError as err:
            self._fail_all(chunk, str(err))
            return
        self._account(chunk, answer)
        log.info("Imported %d %s so far: %s", self.read, self.kind.label, self.report.counts())

    def _account(self, chunk: list[tuple[int, dict[str, Any]]], answer: Any) -> None:
        if not isinstance(answer, Mapping):
            self._fail_all(chunk, f"unexpected answer from the bulk endpoint: {str(answer)[:200]}")
            return
        seen: set[int] = set()
        for result in _entries(answer.get(model.BULK_RESULTS)):
            index = _chunk_index(result, chunk)
            item = chunk[index][1] if index is not None else {}
            if index is not None:
                seen.add(index)
            item_id = result.get(self.kind.id_field) or self.kind.key_of(item)
            outcome = self.report.add_created if result.get(model.BULK_CREATED) else self.report.add_updated
            outcome(str(item_id))
        for error in _entries(answer.get(model.BULK_ERRORS)):
            index = _chunk_index(error, chunk)
            position, item = chunk[index] if index is not None else (None, {})
            if index is not None:
                seen.add(index)
            key = self.kind.key_of(error) or self.kind.key_of(item)
            kind = cut(error.get(model.ERROR_TYPE) or "ERROR", 100, scrub=self.client.scrub)
            message = f"{kind}: {cut(error.get(model.ERROR_MESSAGE) or '(no message)', scrub=self.client.scrub)}"
            self.report.fail(key, position, message)
        if answer.get(model.BULK_RESULTS) is not None:
            missing = [entry for index, entry in enumerate(chunk) if index not in seen]
            self._fail_all(missing, "the bulk answer did not mention this item")

    def _fail_all(self, chunk: list[tuple[int, dict[str, Any]]], error: str) -> None:
        for position, item in chunk:
            self.report.fail(self.kind.key_of(item), position, error)

    def _report_duplicates(self) -> None:
        failed = {entry.index for entry in self.report.failed}
        for position, key in self.duplicates:
            first = self.first_index[key]
            outcome = "failed" if first in failed else "was applied"
            self.report.fail(
                key,
                position,
                f"{key!r} appears more than once in the input: the first (item {first}) {outcome}, "
                "this copy was not sent",
            )


def _entries(value: Any) -> list[Mapping[str, Any]]:
    return [entry for entry in value if isinstance(entry, Mapping)] if isinstance(value, list) else []


def _chunk_index(entry: Mapping[str, Any], chunk: list[tuple[int, dict[str, Any]]]) -> int | None:
    index = entry.get(model.BULK_INDEX)
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(chunk):
        return index
    return None
