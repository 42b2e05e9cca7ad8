"""Upsert focus areas by external id: create what is missing, patch only what differs, parents first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import model
from airflow_provider_focus.assets import FOCUS_AREAS
from airflow_provider_focus.operators._batch import FocusBatchOperator
from airflow_provider_focus.services.options import (
    DEFAULT_LOG_EVERY,
    DEFAULT_MAX_CONSECUTIVE_RATE_LIMITS,
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_PARENT_KEY,
    DEFAULT_SCAN_THRESHOLD,
    UpsertOptions,
    upsert_options,
)

if TYPE_CHECKING:
    from airflow.sdk import Context


class FocusUpsertFocusAreasOperator(FocusBatchOperator):
    """
    Create or update focus areas matched by external id; fields that already match are left alone.

    A thin task around :meth:`~airflow_provider_focus.hooks.focus.FocusHook.upsert_focus_areas`, which a ``@task``
    can call as well: a missing focus area is created, a differing one patched (only the fields that differ), an
    equal one left alone, so a second run writes nothing. A blank value (``None``, ``""``, an empty CSV cell) means
    "not given". Parents named by ``parent_key`` are written before their children. A missing parent, a parent
    cycle, a repeated key or an API error fails that record only; the others are applied. Up to ``max_in_flight``
    writes run at the same time.

    Only what the API can write is sent: an update changes name, owner, external id or description ([DOC]). A
    record that differs from Focus in another field (status, parent, target date, draft, ...) makes no call for
    it; the report lists it under ``not_updatable`` with the field names, the task log says so once, and the task
    still succeeds. ``extra_updatable_fields`` lets a site that accepts more fields use them.

    Returns ``{"created": [ids], "updated": [ids], "unchanged": n, "failed": [{"externalId", "index", "error"}],
    "not_updatable": [{"externalId", "fields"}]}``, plus ``"moved": [{"externalId", "id", "movedTo", "keptId"}]``
    when duplicates were moved off their key (delete those in Focus), also pushed to XCom under the key ``report``
    before the task fails because of failed records. A dry run returns the same shape (with ``"dry_run": true``;
    new focus areas are listed by external id) and writes nothing.

    :param records: a list of dicts (or an XComArg resolving to one, or a JSON string), each with the API fields
        of a focus area, its external id under ``key`` and optionally its parent's under ``parent_key``. (templated)
    :param input_path: instead of ``records``, a JSON Lines or CSV file (local path or object storage URL), read
        as a stream. (templated)
    :param format: ``"jsonl"`` or ``"csv"``; by default the extension of ``input_path`` decides.
    :param encoding: the encoding of ``input_path``; default UTF-8 with or without a byte-order mark.
    :param delimiter: the CSV delimiter of ``input_path``; by default sniffed from its header line.
    :param key: the record field holding the external id.
    :param parent_key: the record field holding the parent's external id.
    :param dry_run: report what would change without writing.
    :param fail_on_error: fail the task at the end when any record failed.
    :param max_in_flight: writes in flight at the same time (1: one after the other).
    :param scan_threshold: from this many records on, index existing focus areas with one paginated scan.
    :param log_every: log progress every this many records.
    :param max_consecutive_rate_limits: after this many records in a row lost to rate limiting, give up on the
        rest (they are reported as failed, not attempted).
    :param extra_updatable_fields: [MODEL] fields your site accepts in an update beyond the documented ones (say
        ``["parentId"]``); by default only documented updates are sent.
    :param verify_creates: after each create, list its external id; if another writer (a second DAG run, a retry
        racing a slow first try) created it too, the oldest keeps the key and the others are moved off it to
        ``<key>~duplicate~<id>`` and listed in the report's ``moved``. One GET per create; turn it off only when a
        single writer is guaranteed (a one-slot pool, ``max_active_runs=1``).
    :param repair_duplicates: resolve external ids already held by several focus areas the same way, instead of
        failing those records.
    :param options: instead of the upsert's keyword arguments above (``key`` to ``repair_duplicates``), the options
        as one :class:`~airflow_provider_focus.services.options.UpsertOptions` value (then leave those at their
        defaults).
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    :param outlets: by default the asset alias ``focus:<focus_conn_id>:focus-areas``, which a successful run
        resolves to ``focus://<cloudId or site>/focus-areas`` with the report's counts and the source in the
        event's ``extra`` (see :mod:`airflow_provider_focus.lineage`); give ``outlets`` to replace it.
    """

    template_fields: Sequence[str] = ("focus_conn_id", "records", "input_path")
    focus_output = FOCUS_AREAS

    def __init__(
        self,
        *,
        records: Any = None,
        input_path: str | None = None,
        format: str | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
        key: str = model.FIELD_EXTERNAL_ID,
        parent_key: str = DEFAULT_PARENT_KEY,
        dry_run: bool = False,
        fail_on_error: bool = True,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        scan_threshold: int = DEFAULT_SCAN_THRESHOLD,
        log_every: int = DEFAULT_LOG_EVERY,
        max_consecutive_rate_limits: int = DEFAULT_MAX_CONSECUTIVE_RATE_LIMITS,
        extra_updatable_fields: Sequence[str] = (),
        verify_creates: bool = True,
        repair_duplicates: bool = False,
        options: UpsertOptions | None = None,
        **kwargs: Any,
    ) -> None:
        self.check_input("records", records, input_path)
        super().__init__(
            input_path=input_path,
            format=format,
            encoding=encoding,
            delimiter=delimiter,
            fail_on_error=fail_on_error,
            **kwargs,
        )
        #: The upsert's options, built (and checked) once, when the DAG file is parsed.
        self.options = upsert_options(
            options,
            key=key,
            parent_key=parent_key,
            dry_run=dry_run,
            max_in_flight=max_in_flight,
            scan_threshold=scan_threshold,
            max_consecutive_rate_limits=max_consecutive_rate_limits,
            log_every=log_every,
            extra_updatable_fields=extra_updatable_fields,
            verify_creates=verify_creates,
            repair_duplicates=repair_duplicates,
        )
        self.records = records
        # ``dry_run`` is a method of BaseOperator, hence the attribute's name.
        self.is_dry_run = self.options.dry_run

    def execute(self, context: Context) -> dict[str, Any]:
        """Apply the records and return the report."""
        with self.open_input(self.records, name="records", key=self.options.key) as records:
            report = self.hook.upsert_focus_areas(records, self.options)
        return self.finish(context, report, what="focus area records")
