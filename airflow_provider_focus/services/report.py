"""The report every batch service returns: what was created, updated, left alone, and what failed and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_provider_focus.exceptions import FocusPartialFailure


@dataclass(frozen=True)
class FailedRecord:
    """
    One record (or item) that was not applied.

    :param key: the record's key (its external id), or ``None`` when it has none.
    :param index: its position in the input, counting from 0, or ``None`` when not known.
    :param error: why it failed, in one sentence.
    """

    key: str | None
    index: int | None
    error: str

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-able entry of a report's ``failed`` list: ``{"externalId", "index", "error"}``."""
        return {"externalId": self.key, "index": self.index, "error": self.error}


@dataclass
class Report:
    """
    What a batch did (or, in a dry run, would do); the upsert and the fund imports share this shape.

    :param created: ids of the objects created (in a dry run, the keys of those that would be).
    :param updated: ids of the objects changed (or matched and re-sent, for the fund imports).
    :param unchanged: how many records already matched and caused no write.
    :param failed: the records that were not applied, each with its key, index and error.
    :param dry_run: whether nothing was written.
    :param max_listed: the most entries each list (``created``, ``updated``, ``failed``) holds, ``None`` for no
        bound: a list holds its first ``max_listed`` entries, and the counts (:attr:`created_count`, ...,
        :meth:`tally`) stay exact. Add entries with :meth:`add_created`, :meth:`add_updated` and :meth:`fail`.
    """

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[FailedRecord] = field(default_factory=list)
    dry_run: bool = False
    max_listed: int | None = None
    #: How many were created, updated and failed (the lists may hold only the first ``max_listed``).
    created_count: int = field(default=0, init=False)
    updated_count: int = field(default=0, init=False)
    failed_count: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.created_count, self.updated_count, self.failed_count = (
            len(self.created),
            len(self.updated),
            len(self.failed),
        )

    @property
    def done(self) -> int:
        """How many records have an outcome."""
        return self.created_count + self.updated_count + self.unchanged + self.failed_count

    @property
    def applied(self) -> int:
        """How many records were applied (created, updated or found unchanged)."""
        return self.created_count + self.updated_count + self.unchanged

    @property
    def truncated(self) -> bool:
        """Whether a list holds fewer entries than its count (``max_listed`` cut it)."""
        return (len(self.created), len(self.updated), len(self.failed)) != (
            self.created_count,
            self.updated_count,
            self.failed_count,
        )

    def add_created(self, value: str) -> None:
        """Count one object created (in a dry run, one that would be), listed while the list has room."""
        self.created_count += 1
        if self.max_listed is None or len(self.created) < self.max_listed:
            self.created.append(value)

    def add_updated(self, value: str) -> None:
        """Count one object updated, listed while the list has room."""
        self.updated_count += 1
        if self.max_listed is None or len(self.updated) < self.max_listed:
            self.updated.append(value)

    def fail(self, key: str | None, index: int | None, error: str) -> None:
        """
        Add a failed record (counted; listed while the list has room).

        :param key: its key, if it has one.
        :param index: its position in the input.
        :param error: why it failed.
        """
        self.failed_count += 1
        if self.max_listed is None or len(self.failed) < self.max_listed:
            self.failed.append(FailedRecord(key, index, error))

    def tally(self) -> dict[str, int]:
        """Return the exact counts: ``{"created", "updated", "unchanged", "failed"}``."""
        return {
            "created": self.created_count,
            "updated": self.updated_count,
            "unchanged": self.unchanged,
            "failed": self.failed_count,
        }

    def counts(self) -> str:
        """Return the outcome in a few words, for a log line."""
        return (
            f"{self.created_count} created, {self.updated_count} updated, {self.unchanged} unchanged, "
            f"{self.failed_count} failed{' (dry run)' if self.dry_run else ''}"
        )

    def raise_if_failed(self, what: str = "records", *, where: str | None = None) -> None:
        """
        Raise when any record failed: the operators' rule (``fail_on_error``), in one line of a ``@task``.

        :param what: the kind of records, for the message (``"focus areas"``, ``"cost items"``).
        :param where: where the whole report can be read, added to the message (the operators push it to XCom).
        :raises FocusPartialFailure: naming how many failed, how many were applied and the first failure; its
            ``report`` is :meth:`as_dict`.
        """
        if not self.failed:
            return
        first = self.failed[0]
        applied = f"{self.applied} applied" + (f"; {where}" if where else "")
        raise FocusPartialFailure(
            f"{self.failed_count} of {self.done} {what} failed ({applied}). First: {first.key}: {first.error}",
            report=self.as_dict(),
        )

    def as_dict(self) -> dict[str, Any]:
        """
        Return the JSON-able report (what the operators return and push to XCom).

        ``{"created": [ids], "updated": [ids], "unchanged": n, "failed": [{"externalId", "index", "error"}],
        "counts": {...}}``: ``counts`` holds the exact numbers (:meth:`tally`, plus ``not_updatable`` for an upsert),
        always, since the lists may be cut; plus ``"dry_run": true`` for a dry run, and ``"truncated": true`` when
        ``max_listed`` cut a list.
        """
        report: dict[str, Any] = {
            "created": list(self.created),
            "updated": list(self.updated),
            "unchanged": self.unchanged,
            "failed": [entry.as_dict() for entry in self.failed],
        }
        if self.dry_run:
            report["dry_run"] = True
        if self.truncated:
            report["truncated"] = True
        report["counts"] = self.tally()
        return report


@dataclass(frozen=True)
class NotUpdatable:
    """
    A record that asks for values the API cannot write (the rest of it was applied).

    :param key: the record's key (its external id).
    :param fields: the fields that differ in Focus but cannot be set through the API, sorted.
    """

    key: str
    fields: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-able entry of a report's ``not_updatable`` list: ``{"externalId", "fields"}``."""
        return {"externalId": self.key, "fields": list(self.fields)}


@dataclass
class UpsertReport(Report):
    """
    What an upsert of focus areas did: ids of created and updated focus areas, by external id.

    :param not_updatable: the records that differ from Focus in fields the API cannot write (status, parent,
        target date, draft, ...): no call was made for those fields. A record there is also counted as created,
        updated or unchanged, by what the API could do with the rest of it.
    :param moved: focus areas moved off an external id another focus area kept (two writers at once, or a repair
        of older duplicates): ``{"externalId", "id", "movedTo", "keptId"}`` each. Delete them in Focus.
    """

    not_updatable: list[NotUpdatable] = field(default_factory=list)
    moved: list[dict[str, Any]] = field(default_factory=list)
    #: How many records differ in fields the API cannot write (``not_updatable`` may hold only the first ones).
    not_updatable_count: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.not_updatable_count = len(self.not_updatable)

    @property
    def truncated(self) -> bool:
        """Whether a list holds fewer entries than its count (``max_listed`` cut it); ``moved`` is never cut."""
        return super().truncated or len(self.not_updatable) != self.not_updatable_count

    def add_not_updatable(self, entry: NotUpdatable) -> None:
        """Count a record that differs in fields the API cannot write, listed while the list has room."""
        self.not_updatable_count += 1
        if self.max_listed is None or len(self.not_updatable) < self.max_listed:
            self.not_updatable.append(entry)

    def tally(self) -> dict[str, int]:
        """Return the exact counts: those of :meth:`Report.tally`, plus ``not_updatable``."""
        return {**super().tally(), "not_updatable": self.not_updatable_count}

    def counts(self) -> str:
        """Return the outcome in a few words, for a log line."""
        moved = f", {len(self.moved)} duplicates moved off their key" if self.moved else ""
        return super().counts() + moved

    def as_dict(self) -> dict[str, Any]:
        """
        The report of :meth:`Report.as_dict`, plus ``"not_updatable": [{"externalId", "fields"}]``, and ``"moved"``
        (a list of entries) only when something was moved.
        """
        report = super().as_dict()
        report["not_updatable"] = [entry.as_dict() for entry in self.not_updatable]
        if self.moved:
            report["moved"] = [dict(entry) for entry in self.moved]
        return report


class FundImportReport(Report):
    """
    What a fund import did: ids of the items the bulk endpoint created and of those it matched and updated.

    ``unchanged`` stays 0: the bulk endpoint re-sends a matched item as it is and does not say whether it changed.
    """
