"""Upsert focus areas by external id: create what is missing, patch only what differs, parents first."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import model
from airflow_provider_focus.exceptions import (
    FocusAuthError,
    FocusConfigError,
    FocusError,
    FocusRateLimitError,
)
from airflow_provider_focus.operators._jsonl import load_json_list
from airflow_provider_focus.operators._upsert_plan import (
    changed_fields,
    desired_fields,
    failure,
    is_blank,
    plan_records,
    type_conflict,
)
from airflow_provider_focus.operators.base import (
    FocusBaseOperator,
    FocusPartialFailure,
    is_template,
    require_positive_int,
    require_text,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_focus.hooks.focus import FocusHook

#: Record field that names a parent by its external id.
DEFAULT_PARENT_KEY = "parentExternalId"
#: Below this many records each one is looked up by its external id; from here on, one paginated scan.
DEFAULT_SCAN_THRESHOLD = 25
#: Stop after this many records in a row failed with a rate limit that outlived every retry.
DEFAULT_MAX_CONSECUTIVE_RATE_LIMITS = 3
#: Placeholder id of a focus area a dry run would create.
DRY_RUN_ID = "(new:{external_id})"


@dataclass
class UpsertReport:
    """What an upsert did (or, in a dry run, would do)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def done(self) -> int:
        """How many records have an outcome."""
        return len(self.created) + len(self.updated) + self.unchanged + len(self.failed)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-able report."""
        report: dict[str, Any] = {
            "created": list(self.created),
            "updated": list(self.updated),
            "unchanged": self.unchanged,
            "failed": list(self.failed),
        }
        if self.dry_run:
            report["dry_run"] = True
        return report


class _Index:
    """Focus areas by external id: from one paginated scan, or looked up one by one (and cached)."""

    def __init__(self, hook: FocusHook, *, scan: bool, page_size: int) -> None:
        self._hook = hook
        self._scanned = scan
        self._by_external_id: dict[str, list[dict[str, Any]]] = {}
        self.lookups = 0
        if scan:
            for focus_area in hook.list_focus_areas(page_size=page_size):
                external_id = focus_area.get(model.FIELD_EXTERNAL_ID)
                if external_id:
                    self._by_external_id.setdefault(str(external_id), []).append(_slim(focus_area))

    def get(self, external_id: str) -> dict[str, Any] | None:
        if not self._scanned and external_id not in self._by_external_id:
            self.lookups += 1
            self._by_external_id[external_id] = [
                _slim(focus_area)
                for focus_area in self._hook.list_focus_areas(external_id=external_id)
                if focus_area.get(model.FIELD_EXTERNAL_ID) == external_id
            ]
        matches = self._by_external_id.get(external_id) or []
        if len(matches) > 1:
            ids = ", ".join(str(match.get(model.FIELD_ID)) for match in matches)
            raise FocusConfigError(f"{len(matches)} focus areas share the external id {external_id!r}: {ids}")
        return matches[0] if matches else None

    def put(self, external_id: str, focus_area: Mapping[str, Any]) -> None:
        self._by_external_id[external_id] = [_slim(focus_area)]


def _slim(focus_area: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in focus_area.items() if name != model.FIELD_ANCESTORS}


class FocusUpsertFocusAreasOperator(FocusBaseOperator):
    """
    Create or update focus areas matched by external id; fields that already match are left alone.

    For each record the focus area with its external id is found; if there is none it is created, otherwise only
    the fields that differ are patched, and an equal record makes no call at all: a second run on the same records
    writes nothing. A blank value (``None``, ``""`` or only whitespace, e.g. an empty CSV cell) means "not
    given": the field is neither sent on create nor changed on update. To clear a field, use
    :class:`~airflow_provider_focus.operators.focus_areas.FocusUpdateFocusAreaOperator` with an ``update_mask``
    naming it. Parents named by external id (``parent_key``) are created before their children, whether or
    not the parent is in the same input. A missing parent, a parent cycle, a repeated key or an API error fails
    that record only; the report lists it and the run goes on. A create with an external id is safe against lost
    responses (the hook reconciles it), and updates are retried by the client.

    Existing focus areas are indexed with one paginated scan when there are ``scan_threshold`` records or more;
    below that each one is looked up by its external id.

    Returns ``{"created": [ids], "updated": [ids], "unchanged": n, "failed": [{"externalId", "error"}]}``, also
    pushed to XCom under the key ``report`` before the task fails because of failed records. A dry run returns
    the same shape (with ``"dry_run": true``; new focus areas are listed by external id) and writes nothing.

    :param records: the records: a list of dicts (or an XComArg resolving to one, or a JSON string). Each record
        holds the API fields of a focus area (``name``, ``focusAreaTypeId``, ``description``, ...), its external id
        under ``key`` and optionally its parent's external id under ``parent_key``. (templated)
    :param input_path: instead of ``records``, a JSON Lines file (local path or object storage URL). (templated)
    :param key: the record field holding the external id.
    :param parent_key: the record field holding the parent's external id.
    :param dry_run: report what would change without writing.
    :param fail_on_error: fail the task at the end when any record failed.
    :param scan_threshold: from this many records on, index existing focus areas with one paginated scan.
    :param log_every: log progress every this many records.
    :param max_consecutive_rate_limits: after this many records in a row lost to rate limiting, give up on the
        rest (they are reported as failed, not attempted).
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    template_fields: Sequence[str] = ("focus_conn_id", "records", "input_path")

    def __init__(
        self,
        *,
        records: Any = None,
        input_path: str | None = None,
        key: str = model.FIELD_EXTERNAL_ID,
        parent_key: str = DEFAULT_PARENT_KEY,
        dry_run: bool = False,
        fail_on_error: bool = True,
        scan_threshold: int = DEFAULT_SCAN_THRESHOLD,
        log_every: int = 100,
        max_consecutive_rate_limits: int = DEFAULT_MAX_CONSECUTIVE_RATE_LIMITS,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (records is None) == (input_path is None):
            raise FocusConfigError("Give exactly one of records and input_path.")
        if records is not None and not is_template(records) and not isinstance(records, (list, tuple)):
            raise FocusConfigError(f"records must be a list of dicts, got {type(records).__name__}.")
        require_text("key", key)
        require_text("parent_key", parent_key)
        if key == parent_key:
            raise FocusConfigError("key and parent_key must be different fields.")
        require_positive_int("scan_threshold", scan_threshold)
        require_positive_int("log_every", log_every)
        require_positive_int("max_consecutive_rate_limits", max_consecutive_rate_limits)
        self.records = records
        self.input_path = input_path
        self.key = key
        self.parent_key = parent_key
        # ``dry_run`` is a method of BaseOperator, hence the attribute's name.
        self.is_dry_run = bool(dry_run)
        self.fail_on_error = fail_on_error
        self.scan_threshold = scan_threshold
        self.log_every = log_every
        self.max_consecutive_rate_limits = max_consecutive_rate_limits

    # --- execute ------------------------------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        """Apply the records and return the report."""
        dry_run = self.is_dry_run
        records = self._load_records()
        plan = plan_records(records, key=self.key, parent_key=self.parent_key)
        report = UpsertReport(failed=list(plan.failed), dry_run=dry_run)
        total = len(records)
        scan = len(plan.ordered) >= self.scan_threshold
        self.log.info(
            "Upserting %d focus area records (%s existing ones by %s)%s",
            total,
            "indexing" if scan else "looking up",
            "one paginated scan" if scan else "external id",
            " -- dry run, nothing is written" if dry_run else "",
        )
        started = time.monotonic()
        try:
            index = _Index(self.hook, scan=scan, page_size=model.MAX_PAGE_SIZE)
            self._apply(plan.ordered, index, report, dry_run=dry_run, total=total, started=started)
        except Exception:
            self.log.error("Upsert stopped by an unexpected error; report so far: %s", json.dumps(report.as_dict()))
            raise
        elapsed = time.monotonic() - started
        result = report.as_dict()
        self.log.info(
            "Upsert done in %.1f s: %d created, %d updated, %d unchanged, %d failed%s",
            elapsed,
            len(report.created),
            len(report.updated),
            report.unchanged,
            len(report.failed),
            " (dry run)" if dry_run else "",
        )
        for entry in report.failed:
            self.log.warning("Record %s failed: %s", entry["externalId"], entry["error"])
        if report.failed and self.fail_on_error:
            context["ti"].xcom_push(key="report", value=result)
            self.log.error("Upsert report: %s", json.dumps(result))
            first = report.failed[0]
            raise FocusPartialFailure(
                f"{len(report.failed)} of {total} focus area records failed ({total - len(report.failed)} applied; "
                f"the report is in XCom under the key 'report'). First: {first['externalId']}: {first['error']}",
                report=result,
            )
        return result

    def _apply(
        self,
        ordered: list[tuple[str, dict[str, Any]]],
        index: _Index,
        report: UpsertReport,
        *,
        dry_run: bool,
        total: int,
        started: float,
    ) -> None:
        failed_keys = {entry["externalId"] for entry in report.failed if entry["externalId"] is not None}
        resolved: dict[str, str] = {}
        rate_limited_in_a_row = 0
        for position, (external_id, record) in enumerate(ordered):
            try:
                focus_area_id = self._apply_one(external_id, record, index, report, resolved, failed_keys, dry_run)
                if focus_area_id is not None:
                    resolved[external_id] = focus_area_id
                rate_limited_in_a_row = 0
            except FocusAuthError as err:
                self._give_up(ordered[position:], report, failed_keys, f"not attempted: {err}")
                return
            except FocusRateLimitError as err:
                report.failed.append(failure(external_id, str(err)))
                failed_keys.add(external_id)
                rate_limited_in_a_row += 1
                if rate_limited_in_a_row >= self.max_consecutive_rate_limits:
                    self._give_up(
                        ordered[position + 1 :],
                        report,
                        failed_keys,
                        f"not attempted: {rate_limited_in_a_row} records in a row were rate-limited after every retry",
                    )
                    return
            except FocusError as err:
                report.failed.append(failure(external_id, str(err)))
                failed_keys.add(external_id)
                rate_limited_in_a_row = 0
            if (position + 1) % self.log_every == 0:
                self._log_progress(report, total, started)

    def _apply_one(
        self,
        external_id: str,
        record: dict[str, Any],
        index: _Index,
        report: UpsertReport,
        resolved: dict[str, str],
        failed_keys: set[str],
        dry_run: bool,
    ) -> str | None:
        desired = desired_fields(record, external_id=external_id, key=self.key, parent_key=self.parent_key)
        parent_external_id = record.get(self.parent_key)
        if not is_blank(parent_external_id):
            parent_external_id = str(parent_external_id)
            if parent_external_id in failed_keys:
                report.failed.append(failure(external_id, f"its parent {parent_external_id!r} failed"))
                failed_keys.add(external_id)
                return None
            parent_id = resolved.get(parent_external_id)
            if parent_id is None:
                parent = index.get(parent_external_id)
                if parent is None:
                    report.failed.append(
                        failure(
                            external_id,
                            f"its parent {parent_external_id!r} is neither in the input nor in Focus",
                        )
                    )
                    failed_keys.add(external_id)
                    return None
                parent_id = str(parent[model.FIELD_ID])
            desired[model.FIELD_PARENT_ID] = parent_id

        existing = index.get(external_id)
        if existing is None:
            return self._create(external_id, desired, index, report, failed_keys, dry_run)
        focus_area_id = str(existing[model.FIELD_ID])
        conflict = type_conflict(existing, desired)
        if conflict:
            report.failed.append(failure(external_id, conflict))
            failed_keys.add(external_id)
            return None
        changes = changed_fields(existing, desired)
        if not changes:
            report.unchanged += 1
            return focus_area_id
        if dry_run:
            self.log.info("Would update %s (%s): %s", focus_area_id, external_id, ", ".join(sorted(changes)))
        else:
            updated = self.hook.update_focus_area(focus_area_id, changes, update_mask=sorted(changes))
            index.put(external_id, updated)
            self.log.debug("Updated %s (%s): %s", focus_area_id, external_id, ", ".join(sorted(changes)))
        report.updated.append(focus_area_id)
        return focus_area_id

    def _create(
        self,
        external_id: str,
        desired: dict[str, Any],
        index: _Index,
        report: UpsertReport,
        failed_keys: set[str],
        dry_run: bool,
    ) -> str | None:
        body = {name: value for name, value in desired.items() if value is not None}
        name = body.pop(model.FIELD_NAME, None)
        type_id = body.pop(model.FIELD_FOCUS_AREA_TYPE_ID, None)
        if not name or not type_id:
            report.failed.append(
                failure(
                    external_id,
                    f"no focus area has this external id, and creating one needs {model.FIELD_NAME!r} and "
                    f"{model.FIELD_FOCUS_AREA_TYPE_ID!r}",
                )
            )
            failed_keys.add(external_id)
            return None
        if dry_run:
            self.log.info("Would create %s (%s)", external_id, name)
            report.created.append(external_id)
            return DRY_RUN_ID.format(external_id=external_id)
        created = self.hook.create_focus_area(name=name, focus_area_type_id=type_id, **body)
        focus_area_id = str(created[model.FIELD_ID])
        index.put(external_id, created)
        report.created.append(focus_area_id)
        self.log.debug("Created %s (%s)", focus_area_id, external_id)
        return focus_area_id

    def _give_up(
        self,
        rest: list[tuple[str, dict[str, Any]]],
        report: UpsertReport,
        failed_keys: set[str],
        reason: str,
    ) -> None:
        self.log.error("Giving up on the %d remaining records: %s", len(rest), reason)
        for external_id, _record in rest:
            report.failed.append(failure(external_id, reason))
            failed_keys.add(external_id)

    def _log_progress(self, report: UpsertReport, total: int, started: float) -> None:
        elapsed = max(time.monotonic() - started, 1e-9)
        self.log.info(
            "Upsert progress: %d/%d records (%d created, %d updated, %d unchanged, %d failed), %.1f records/s",
            report.done,
            total,
            len(report.created),
            len(report.updated),
            report.unchanged,
            len(report.failed),
            report.done / elapsed,
        )

    def _load_records(self) -> list[Any]:
        return load_json_list(self.records, self.input_path, name="records")
