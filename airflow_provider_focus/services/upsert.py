"""
Upsert focus areas by external id: create what is missing, patch only what differs, parents before children.

Records are read one at a time from any iterable (a list, or a file read as a stream), so memory holds the keys
and ids seen so far, not the records: a record waits in memory only while its parent, named further down the
input and not yet in Focus, is still to come. Writes of one run go out ``max_in_flight`` at a time; a child is
sent only once its parent has an id.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from itertools import chain, islice
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import model
from airflow_provider_focus.exceptions import FocusAuthError, FocusConfigError, FocusError, FocusRateLimitError
from airflow_provider_focus.services import operations
from airflow_provider_focus.services._concurrency import BoundedRunner, Outcome
from airflow_provider_focus.services._cycles import cycle_messages
from airflow_provider_focus.services._diff import (
    changed_fields,
    desired_fields,
    is_blank,
    left_out_fields,
    split_changes,
    split_create,
    type_conflict,
)
from airflow_provider_focus.services._duplicates import converge, holders_of
from airflow_provider_focus.services._keys import FAILED, HAS_ID, PENDING, WOULD_CREATE, KeyTable
from airflow_provider_focus.services._values import (
    KEY_SHOWN_CHARS,
    key_problem,
    shown,
    value_problem,
    values_checked,
)
from airflow_provider_focus.services.options import (
    UpsertOptions,
)
from airflow_provider_focus.services.records import BadRecord
from airflow_provider_focus.services.report import NotUpdatable, UpsertReport

if TYPE_CHECKING:
    from airflow_provider_focus.api.client import FocusClient

log = logging.getLogger(__name__)

#: Placeholder id of a focus area a dry run would create.
DRY_RUN_ID = "(new:{external_id})"

#: A dry run logs its first this many planned changes of each kind (creates, updates), then one line counts the rest.
DRY_RUN_LOGGED = 20
#: The upsert logs its first this many records that differ in fields the API cannot write, then one line counts the
#: rest (the report counts them all and lists the first ``max_listed``).
NOT_UPDATABLE_LOGGED = 20


def upsert_focus_areas(
    client: FocusClient, records: Iterable[Any], options: UpsertOptions | None = None, **keywords: Any
) -> UpsertReport:
    """
    Create or update focus areas matched by external id; fields that already match are left alone.

    Only what the API can write is sent ([DOC]: an update changes name, owner, external id or description; a
    create never sets status, draft or a target date). A record that differs from Focus in a field the API cannot
    write (status, parent, target date, draft, ...) makes no call for that field, and the report lists it under
    ``not_updatable`` with its key and those field names; the rest of the record is applied as usual.

    For each record the focus area with its external id is found; if there is none it is created, otherwise only
    the fields that differ are patched, and an equal record makes no call at all: a second run writes nothing. A
    blank value (``None``, ``""`` or only whitespace, e.g. an empty CSV cell) means "not given": it is neither
    sent on create nor changed on update. Parents named by external id (``parent_key``) are created before their
    children, whether or not the parent is in the same input; a parent already in Focus is used as it is there.
    A missing parent, a parent cycle, a repeated key or an API error fails that record (and the records below it)
    only; the report lists it and the run goes on. A 429 slows the run down (fewer writes in flight) while the
    client waits it out within the connection's ``rate_limit_budget``. An authentication error, or
    ``max_consecutive_rate_limits`` records in a row lost to rate limiting, stops the run: the records not yet sent
    are reported as not attempted; so does an opening scan of existing focus areas that fails for good.
    A create is safe against lost responses (it is reconciled by external id), updates are retried by the client.

    Two writers at once (two DAG runs, a retry racing a slow first try) converge: each create is verified by
    listing its external id, and if more than one focus area holds it, the oldest (``createdAt``, then id) keeps it
    and every other is moved off the key to ``<key>~duplicate~<id>`` -- both writers decide alike. The report's
    ``moved`` lists those, to delete in Focus. Keep writers apart as well (a one-slot Airflow pool,
    ``max_active_runs=1``): that costs nothing and leaves nothing to delete.

    The options come as one :class:`~airflow_provider_focus.services.options.UpsertOptions` value, or as keyword
    arguments naming its fields (``upsert_focus_areas(client, records, dry_run=True)``); keyword arguments given
    with ``options`` replace those fields of it. The fields:

    :param client: the API client (shared by the worker threads).
    :param records: dicts holding the API fields of a focus area (``name``, ``focusAreaTypeId``, ...), the external
        id under ``key`` and optionally the parent's external id under ``parent_key``; read one at a time.
    :param options: the options as one value (default: ``UpsertOptions()``, changed by ``keywords``).
    :param key: the record field holding the external id.
    :param parent_key: the record field holding the parent's external id.
    :param dry_run: report what would change without writing; new focus areas are listed by external id. The log
        shows the first :data:`DRY_RUN_LOGGED` creates and updates, then one line counting the rest of each.
    :param max_in_flight: writes in flight at the same time (1 sends one record after the other).
    :param scan_threshold: from this many records on, index existing focus areas with one paginated scan.
    :param max_consecutive_rate_limits: stop after this many records in a row lost to rate limiting.
    :param log_every: log progress every this many records.
    :param extra_updatable_fields: [MODEL] further fields your site accepts in an update and a create (say
        ``{"parentId", "targetDate"}``); by default only the documented ones are sent.
    :param verify_creates: after each create, list its external id and converge duplicates (one GET per create);
        turn off only when a single writer is guaranteed.
    :param repair_duplicates: an external id already held by several focus areas (left by an older version, or a
        writer killed mid-way) is resolved the same way instead of failing that record.
    :param max_listed: the most entries each list of the report holds (``created``, ``updated``, ``failed``,
        ``not_updatable``; default 1,000; ``None``: every one). The counts stay exact (``report.tally()``, and
        ``"counts"`` in ``as_dict()``, with ``"truncated": true`` when a list was cut): a run of 100,000 records keeps
        neither 100,000 keys in memory nor pushes them to XCom.
    :return: the report; ``created`` and ``updated`` hold focus area ids in the order the writes finished.
    :raises FocusConfigError: for an argument that cannot work (records that are not an iterable of dicts).
    :raises TypeError: for a keyword argument that is no option.
    """
    if options is None:
        options = UpsertOptions(**keywords)
    elif not isinstance(options, UpsertOptions):
        raise FocusConfigError(f"options must be an UpsertOptions, got {type(options).__name__}.")
    elif keywords:
        options = dataclasses.replace(options, **keywords)
    if isinstance(records, (str, bytes, Mapping)):
        raise FocusConfigError(f"records must be an iterable of dicts, got {type(records).__name__}.")
    return _Upsert(client, options).run(records)


class _RecordError(FocusError):
    """A record that cannot be applied as it is (no API error involved)."""


class _Job:
    """One record on its way: its position, its key (and the key's entry in the run's KeyTable), its parent's key."""

    __slots__ = ("entry", "index", "key", "parent", "record")  # made once a record: a plain class is the cheapest

    def __init__(self, index: int, entry: int, key: str, record: dict[str, Any], parent: str | None) -> None:
        self.index = index
        self.entry = entry
        self.key = key
        self.record = record
        self.parent = parent


class _Index:
    """
    Focus areas by external id: from one paginated scan, or looked up one by one (thread-safe).

    A record takes its own entry (each key is handled once), so the index shrinks as the run goes on.
    """

    def __init__(self, client: FocusClient, *, scan: bool, repair: bool = False) -> None:
        self._client = client
        self._scanned = scan
        self._repair = repair
        #: Focus areas moved off a key they shared (with ``repair``); read by the run's thread.
        self.moved: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._by_external_id: dict[str, list[dict[str, Any]]] = {}
        if scan:
            for focus_area in client.paginate(model.FOCUS_AREAS, page_size=model.MAX_PAGE_SIZE):
                external_id = focus_area.get(model.FIELD_EXTERNAL_ID)
                if external_id:
                    self._by_external_id.setdefault(str(external_id), []).append(_slim(focus_area))

    def id_of(self, external_id: str) -> str | None:
        """Return the id of the focus area with this external id (a parent's), or ``None``."""
        found = self._find(external_id, take=False)
        return None if found is None else str(found[model.FIELD_ID])

    def take(self, external_id: str) -> dict[str, Any] | None:
        """Return the focus area with this external id and forget it (a record's own), or ``None``."""
        if not self._scanned:
            return self._find(external_id, take=True)
        with self._lock:  # a scanned index: once a record, so _find's scanned case inlined
            matches = self._by_external_id.pop(external_id, None)
        if matches is None:
            return None
        return matches[0] if len(matches) == 1 else self._one(external_id, matches, take=True)

    def _find(self, external_id: str, *, take: bool) -> dict[str, Any] | None:
        with self._lock:
            matches = self._by_external_id.pop(external_id, None) if take else self._by_external_id.get(external_id)
        if matches is None and not self._scanned:
            matches = [_slim(found) for found in operations.focus_areas_with_external_id(self._client, external_id)]
            if not take:
                with self._lock:
                    self._by_external_id[external_id] = matches
        return self._one(external_id, matches, take=take)

    def _one(self, external_id: str, matches: list[dict[str, Any]] | None, *, take: bool) -> dict[str, Any] | None:
        """Return the one focus area of ``matches``: with several, resolve them (``repair``) or raise."""
        if matches and len(matches) > 1:
            if not self._repair:
                ids = ", ".join(str(match.get(model.FIELD_ID)) for match in matches)
                raise FocusConfigError(
                    f"{len(matches)} focus areas share the external id {external_id!r}: {ids} (repair_duplicates=True "
                    "keeps the oldest and moves the others off the key)"
                )
            keeper, moved = converge(self._client, external_id, matches)
            self.moved.extend(moved)  # list.extend is atomic; the run's thread drains it
            matches = [_slim(keeper)]
            if not take:
                with self._lock:
                    self._by_external_id[external_id] = matches
        return matches[0] if matches else None


class _Pace:
    """
    How many writes may be in flight: halved when the client met a 429 since the last look, grown back by one
    after a stretch of calm -- a run in a rate-limit storm slows down instead of failing records.

    :param client: the client, whose core counts the 429 answers of every call.
    :param max_in_flight: the most writes in flight, and where the pace starts.
    """

    #: Outcomes without a new 429, per write allowed in flight, before one more write is allowed.
    CALM_PER_SLOT = 10

    def __init__(self, client: FocusClient, max_in_flight: int) -> None:
        self._core = getattr(client, "core", None)
        self._max = max_in_flight
        self.now = max_in_flight
        self._seen = self._rate_limited()
        self._calm = 0

    def _rate_limited(self) -> int:
        return int(getattr(self._core, "rate_limited", 0))

    def observe(self) -> None:
        """Adjust :attr:`now` to the 429s the client met since the last outcome (call once per outcome)."""
        seen = self._rate_limited()
        if seen > self._seen:
            self._seen = seen
            self._calm = 0
            if self.now > 1:
                self.now = max(1, self.now // 2)
                log.warning("Focus is rate-limiting the writes: slowing down to %d in flight", self.now)
        elif self.now < self._max:
            self._calm += 1
            if self._calm >= self.CALM_PER_SLOT * self.now:
                self._calm = 0
                self.now += 1
                log.info("No rate limiting for a while: up to %d writes in flight again", self.now)


def _parent_of(value: Any) -> str | None:
    """Return the parent key a record names (``None`` for none: a blank value)."""
    if type(value) is str:
        return None if not value or value.isspace() else value
    return None if is_blank(value) else str(value)


def _slim(focus_area: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in focus_area.items() if name != model.FIELD_ANCESTORS}


class _PlannedLog:
    """
    The planned changes a dry run logs: the first :data:`DRY_RUN_LOGGED` of each kind, then a count (thread-safe).

    A dry run of 100,000 records writes a few dozen lines into the task log, not 100,000; the report lists them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts = {"create": 0, "update": 0}

    def note(self, kind: str, message: str, *args: Any) -> None:
        """Log one planned change of ``kind`` (``"create"`` or ``"update"``) while its kind has lines to spare."""
        with self._lock:
            self.counts[kind] = count = self.counts[kind] + 1
        if count <= DRY_RUN_LOGGED:
            log.info(message, *args)

    def summary(self, max_listed: int | None) -> None:
        """Log, for each kind with more changes than were logged, how many more and what the report lists."""
        for kind, count in self.counts.items():
            if count > DRY_RUN_LOGGED:
                listed = count if max_listed is None else min(count, max_listed)
                log.info(
                    "... and %s more %ss (dry run, not logged one by one); the report lists %s",
                    f"{count - DRY_RUN_LOGGED:,}",
                    kind,
                    _listed_of(count, listed),
                )


def _listed_of(count: int, listed: int) -> str:
    """Say how many of ``count`` entries a report's list holds (``max_listed`` may cut it)."""
    return "every one" if listed == count else (f"the first {listed:,}" if listed else "none of them")


class _WouldCreate(str):
    """The type of :data:`_WOULD_CREATE`: compared by identity, never equal to an id by chance."""


#: The focus area id a dry run books for a record it would create (its children see ``DRY_RUN_ID``).
_WOULD_CREATE = _WouldCreate("(would be created)")


@functools.lru_cache(maxsize=1024)  # a parent's children ask for it one after the other
def _placeholder(key: str) -> str:
    return DRY_RUN_ID.format(external_id=key)


class _Upsert:
    """One run: reads records, schedules each once its parent has an id, and keeps the report."""

    def __init__(self, client: FocusClient, options: UpsertOptions) -> None:
        self.client = client
        self.options = options
        self.report = UpsertReport(dry_run=options.dry_run, max_listed=options.max_listed)
        self.index: _Index | None = None
        # every key read, with the position of its first record and its outcome, compactly (see _keys)
        self.keys = KeyTable()
        self.parent_entries: dict[str, int] = {}  # parent key -> its entry, for the parents named lately
        self.key_field, self.parent_field = options.key, options.parent_key
        self.left_out = left_out_fields(options.key, options.parent_key)  # what desired_fields leaves out
        self.updatable = model.UPDATABLE_FOCUS_AREA_FIELDS | options.extra_updatable_fields
        self.creatable = model.CREATABLE_FOCUS_AREA_FIELDS | options.extra_updatable_fields
        self.waiting: dict[str, list[_Job]] = {}  # parent key (in the input, not yet resolved) -> children
        self.orphans: dict[str, list[_Job]] = {}  # parent key (not seen, not in Focus) -> children
        self.parent_of: dict[str, str] = {}  # key -> parent key, for records waiting
        self.duplicates: list[tuple[int, str, int]] = []  # (position, key, the first record's entry)
        self.ready: deque[tuple[_Job, str | None]] = deque()
        self.stopped: str | None = None
        self.rate_limited_in_a_row = 0
        self.pace = _Pace(client, options.max_in_flight)
        self.started = time.monotonic()
        self.outcomes = 0  # outcomes collected, for the progress log
        self.values_checked = False  # whether the records come from a reader that checked their values
        self.planned = _PlannedLog()  # what a dry run would change, logged

    # --- the run ------------------------------------------------------------------------------------------------

    def run(self, records: Iterable[Any]) -> UpsertReport:
        options = self.options
        self.values_checked = values_checked(records)
        iterator = iter(records)
        head = list(islice(iterator, options.scan_threshold))
        scan = len(head) >= options.scan_threshold
        log.info(
            "Upserting focus areas (%s existing ones by %s, up to %d writes at a time)%s",
            "indexing" if scan else "looking up",
            "one paginated scan" if scan else "external id",
            options.max_in_flight,
            " -- dry run, nothing is written" if options.dry_run else "",
        )
        if options.max_in_flight > 1:
            self.client.allow_concurrent_calls(options.max_in_flight + 1)
        try:
            self.index = self._open_index(scan)
            if scan and options.dry_run:
                # A scanned dry run makes no call per record: each runs at once on this thread, with no hand-off.
                for position, record in enumerate(chain(head, iterator)):
                    self._read(position, record)
                    self._run_ready()
            else:
                with BoundedRunner[_Job](options.max_in_flight) as runner:
                    for position, record in enumerate(chain(head, iterator)):
                        self._read(position, record)
                        self._pump(runner, drain=False)
                    self._pump(runner, drain=True)
            self._finish()
            self.planned.summary(options.max_listed)
            self._log_not_updatable_summary()
        except Exception:
            log.error("Upsert stopped by an unexpected error; so far: %s", self.report.counts())
            raise
        log.info("Upsert done in %.1f s: %s", time.monotonic() - self.started, self.report.counts())
        return self.report

    def _log_not_updatable_summary(self) -> None:
        """Count, in one line, the records that differ in fields the API cannot write beyond those logged."""
        count = self.report.not_updatable_count
        if count > NOT_UPDATABLE_LOGGED:
            log.info(
                "... and %s more records differ from Focus in fields the API cannot write (not logged one by one); "
                "the report lists %s",
                f"{count - NOT_UPDATABLE_LOGGED:,}",
                _listed_of(count, len(self.report.not_updatable)),
            )

    def _open_index(self, scan: bool) -> _Index | None:
        """Index the existing focus areas; if that fails for good, every record fails with why (a report, no raise)."""
        try:
            repair = self.options.repair_duplicates and not self.options.dry_run
            return _Index(self.client, scan=scan, repair=repair)
        except FocusError as err:
            self._stop(f"not attempted: reading the existing focus areas failed: {err}")
            return None

    def _read(self, position: int, record: Any) -> None:
        key_field = self.key_field
        is_mapping = type(record) is dict or isinstance(record, Mapping)
        raw_key = record.get(key_field) if is_mapping else None
        if type(raw_key) is str and len(raw_key) <= KEY_SHOWN_CHARS and raw_key.isascii() and not raw_key.isspace():
            key: str | None = raw_key or None  # the common case: shown as it is, and no key problem
            problem = None
        else:
            key = None if is_blank(raw_key) else shown(str(raw_key))  # lone surrogates escaped: the report is JSON
            problem = None if key is None else key_problem(raw_key, key_field)
        if self.stopped:
            self.report.fail(key, position, self.stopped)
        elif not is_mapping:
            # BadRecord: a line the reader could not make a record of
            message = str(record) if isinstance(record, BadRecord) else None
            self.report.fail(None, position, message or f"record {position} is not an object: {type(record).__name__}")
        elif key is None:
            self.report.fail(
                None, position, f"record {position} has no {key_field!r} (key={key_field!r} names the external id)"
            )
        elif problem:
            self.report.fail(key, position, f"record {position}: {problem}; it was not sent")
        elif (entry := self.keys.add(key, position)) < 0:
            self.duplicates.append((position, key, -1 - entry))
        else:
            parent_key = self.parent_field
            parent = record.get(parent_key)
            if parent is None:
                problem = None
            elif type(parent) is str and parent.isascii() and 0 < len(parent) <= model.MAX_EXTERNAL_ID_CHARS:
                problem = None  # key_problem's common case, inlined
                if parent.isspace():
                    parent = None  # blank: no parent
            else:
                problem = (
                    None if (parent := _parent_of(parent)) is None else key_problem(record[parent_key], parent_key)
                )
            job = _Job(position, entry, key, record if type(record) is dict else dict(record), parent)
            # the key fields passed key_problem, whose rules are stricter than value_problem's
            if problem is None and not self.values_checked:  # a reader's records were checked as it read them
                problem = value_problem(record)
            if problem:
                self._fail(job, f"record {position}: {problem}; it was not sent")
            else:
                self._place(job)

    def _place(self, job: _Job) -> None:
        """Send a new record on its way: now, after its parent, or (if the parent never comes) to the orphans."""
        assert self.index is not None
        if job.key in self.orphans:  # children that came first now wait for this record
            self.waiting[job.key] = self.orphans.pop(job.key) + self.waiting.get(job.key, [])
        parent = job.parent
        if parent is None:
            self.ready.append((job, None))
        elif (parent_entry := self.parent_entries.get(parent, -1)) >= 0 or (
            parent_entry := self._parent_entry(parent)
        ) >= 0:
            state = self.keys.states[parent_entry]  # _id_of and _release, inlined: once a record
            if state == WOULD_CREATE:
                self.ready.append((job, _placeholder(parent)))
            elif state == HAS_ID:
                self.ready.append((job, self.keys.id_of(parent_entry)))
            elif state == PENDING:
                self._wait(self.waiting, job)
            else:
                self._fail(job, f"its parent {parent!r} failed")
        else:
            try:
                parent_id = self.index.id_of(parent)
            except FocusError as err:
                self._fail(job, str(err))
                return
            if parent_id is not None:
                self.ready.append((job, parent_id))
            else:
                self._wait(self.orphans, job)

    def _wait(self, room: dict[str, list[_Job]], job: _Job) -> None:
        assert job.parent is not None
        room.setdefault(job.parent, []).append(job)
        self.parent_of[job.key] = job.parent

    def _parent_entry(self, parent: str) -> int:
        """Return the entry of a parent key read before, or -1 (siblings come together: the last parents are kept)."""
        entry = self.parent_entries.get(parent)
        if entry is None:  # not among the last parents: look in the key table
            entry = self.keys.find(parent)
            if entry >= 0:  # an entry never moves; a key not read yet may be read later, so is not kept
                if len(self.parent_entries) >= 1024:
                    self.parent_entries.clear()
                self.parent_entries[parent] = entry
        return entry

    def _id_of(self, entry: int, key: str) -> str | None:
        """Return the focus area id of a key settled before: ``None`` when it failed, a placeholder in a dry run."""
        state = self.keys.state(entry)
        if state == HAS_ID:
            return self.keys.id_of(entry)
        if state == WOULD_CREATE:
            return _placeholder(key)
        return None

    def _pump(self, runner: BoundedRunner[_Job], *, drain: bool) -> None:
        """Send what is ready while there is room; collect outcomes while full (or, to drain, until idle)."""
        while True:
            runner.limit = min(runner.max_in_flight, self.pace.now)
            while self.ready and not runner.full:
                job, parent_id = self.ready.popleft()
                runner.submit(job, self._apply, job, parent_id)
            if runner.busy and (runner.full or drain):
                self._collect(runner.next_outcome())
            elif not (drain and self.ready):
                return

    def _run_ready(self) -> None:
        """Apply what is ready at once, on this thread (a dry run on a scanned index: no call, no rate limit)."""
        ready = self.ready
        while ready:
            job, parent_id = ready.popleft()
            try:
                value = self._apply(job, parent_id)
            except Exception as error:  # what the runner hands back, as the runner does
                self._outcome(job, None, error)
            else:
                self._outcome(job, value, None)

    def _collect(self, outcome: Outcome[_Job]) -> None:
        self.pace.observe()
        self._take_moved()
        self._outcome(outcome.tag, outcome.value, outcome.error)

    def _outcome(self, job: _Job, value: Any, error: Exception | None) -> None:
        """Book one record's outcome: into the report, and release (or fail) the records waiting for it."""
        if error is None:
            kind, focus_area_id, listed, blocked = value
            if blocked:
                self.report.add_not_updatable(NotUpdatable(job.key, blocked))
                if self.report.not_updatable_count <= NOT_UPDATABLE_LOGGED:
                    log.info("%s differs from Focus in %s, which the API cannot write", job.key, ", ".join(blocked))
            if kind == "unchanged":
                self.report.unchanged += 1
            elif kind == "created":
                self.report.add_created(listed)
            else:
                self.report.add_updated(listed)
            self.rate_limited_in_a_row = 0
            self._settle(job, focus_area_id)
        elif isinstance(error, FocusAuthError):
            self._fail(job, str(error))
            self._stop(f"not attempted: {error}")
        elif isinstance(error, FocusRateLimitError):
            self._fail(job, str(error))
            self.rate_limited_in_a_row += 1
            if self.rate_limited_in_a_row >= self.options.max_consecutive_rate_limits:
                self._stop(
                    f"not attempted: {self.rate_limited_in_a_row} records in a row were rate-limited after every retry"
                )
        elif isinstance(error, FocusError):
            self._fail(job, str(error))
            self.rate_limited_in_a_row = 0
        else:
            raise error
        self.outcomes += 1
        if self.outcomes % self.options.log_every == 0:
            self._log_progress()

    def _take_moved(self) -> None:
        """Move what the index moved off shared keys (on any thread) into the report (on this one)."""
        if self.index is not None and self.index.moved:
            taken = list(self.index.moved)
            del self.index.moved[: len(taken)]
            self.report.moved.extend(taken)

    def _fail(self, job: _Job, error: str) -> None:
        self.report.fail(job.key, job.index, error)
        self._settle(job, None)

    def _book(self, entry: int, focus_area_id: str | None) -> None:
        """Record a key's outcome in the key table."""
        if focus_area_id is None:
            self.keys.settle(entry, FAILED)
        elif focus_area_id is _WOULD_CREATE:
            self.keys.settle(entry, WOULD_CREATE)
        else:
            self.keys.settle(entry, HAS_ID, focus_area_id)

    def _settle(self, job: _Job, focus_area_id: str | None) -> None:
        """Record a key's outcome and release the records waiting for it (or fail them, and theirs, in turn)."""
        if focus_area_id is _WOULD_CREATE:
            self.keys.states[job.entry] = WOULD_CREATE  # _book's dry-run case (KeyTable.settle, inlined)
        else:
            self._book(job.entry, focus_area_id)
        if job.key not in self.waiting:  # the common case: nothing waits for it
            return
        settled: deque[tuple[_Job, str | None]] = deque([(job, focus_area_id)])
        while settled:
            job, focus_area_id = settled.popleft()  # booked already
            for child in self.waiting.pop(job.key, []):
                self.parent_of.pop(child.key, None)
                if focus_area_id is None:
                    self.report.fail(child.key, child.index, f"its parent {job.key!r} failed")
                    self._book(child.entry, None)
                    settled.append((child, None))
                else:
                    self.ready.append((child, self._id_of(job.entry, job.key)))

    def _stop(self, reason: str) -> None:
        """Fail everything not yet sent with ``reason``; records still to be read get it too."""
        pending = [job for job, _ in self.ready] + [
            job for room in (self.waiting, self.orphans) for jobs in room.values() for job in jobs
        ]
        log.error("Stopping the upsert: %s", reason)
        self.stopped = reason
        self.ready.clear()
        self.waiting.clear()
        self.orphans.clear()
        for job in sorted(pending, key=lambda job: job.index):
            self.report.fail(job.key, job.index, reason)
            self.keys.settle(job.entry, FAILED)

    def _finish(self) -> None:
        """Fail the records whose parent never came, those in parent cycles, and the repeated keys."""
        self._take_moved()
        for parent, jobs in list(self.orphans.items()):
            del self.orphans[parent]
            for job in jobs:
                self._fail(job, f"its parent {parent!r} is neither in the input nor in Focus")
        stuck = sorted((job for jobs in self.waiting.values() for job in jobs), key=lambda job: job.index)
        messages = cycle_messages([job.key for job in stuck], self.parent_of)
        self.waiting.clear()
        for job in stuck:
            self.report.fail(job.key, job.index, messages[job.key])
            self.keys.settle(job.entry, FAILED)
        for position, key, entry in self.duplicates:
            first = self.keys.position(entry)
            if self.keys.state(entry) in (PENDING, FAILED):
                outcome = f"the first (record {first}) failed"
            else:
                outcome = f"the first (record {first}) was {'checked' if self.options.dry_run else 'applied'}"
            self.report.fail(
                key,
                position,
                f"{self.options.key} {key!r} appears more than once in the input: {outcome}, this copy was skipped",
            )

    # --- one record (on a worker thread) --------------------------------------------------------------------

    def _apply(self, job: _Job, parent_id: str | None) -> tuple[str, str, str, tuple[str, ...]]:
        """
        Return ``(outcome, focus area id, what the report lists, fields not updatable)`` for one record.

        The record's parent is resolved.
        """
        assert self.index is not None
        desired = desired_fields(job.record, external_id=job.key, left_out=self.left_out)
        if parent_id is not None:
            desired[model.FIELD_PARENT_ID] = parent_id
        existing = self.index.take(job.key)
        if existing is None:
            return self._create(job.key, desired)
        return self._update(job.key, existing, desired)

    def _update(
        self, key: str, existing: Mapping[str, Any], desired: dict[str, Any]
    ) -> tuple[str, str, str, tuple[str, ...]]:
        """Patch what differs; return ``(outcome, focus area id, what the report lists, fields not updatable)``."""
        options = self.options
        focus_area_id = str(existing[model.FIELD_ID])
        conflict = type_conflict(existing, desired)
        if conflict:
            raise _RecordError(conflict)
        changes, blocked = split_changes(changed_fields(existing, desired), self.updatable)
        if not changes:
            return "unchanged", focus_area_id, focus_area_id, blocked
        if options.dry_run:
            self.planned.note("update", "Would update %s (%s): %s", focus_area_id, key, ", ".join(sorted(changes)))
        else:
            operations.update_focus_area(self.client, focus_area_id, changes, update_mask=sorted(changes))
            log.debug("Updated %s (%s): %s", focus_area_id, key, ", ".join(sorted(changes)))
        return "updated", focus_area_id, focus_area_id, blocked

    def _create(self, key: str, desired: dict[str, Any]) -> tuple[str, str, str, tuple[str, ...]]:
        assert self.index is not None
        name = desired.get(model.FIELD_NAME)
        if not name or not desired.get(model.FIELD_FOCUS_AREA_TYPE_ID):
            raise _RecordError(
                f"no focus area has this external id, and creating one needs {model.FIELD_NAME!r} and "
                f"{model.FIELD_FOCUS_AREA_TYPE_ID!r}"
            )
        if self.options.dry_run:  # what would be sent is not made: only what could not be
            blocked = () if self.creatable.issuperset(desired) else split_create(desired, self.creatable)[1]
            self.planned.note("create", "Would create %s (%s)", key, name)
            return "created", _WOULD_CREATE, key, blocked
        body = dict(desired)  # holds no None: blank values are left out
        del body[model.FIELD_NAME]
        type_id = body.pop(model.FIELD_FOCUS_AREA_TYPE_ID)
        body, blocked = split_create(body, self.creatable)
        created = operations.create_focus_area(self.client, name=name, focus_area_type_id=type_id, **body)
        focus_area_id = str(created[model.FIELD_ID])
        log.debug("Created %s (%s)", focus_area_id, key)
        if not self.options.verify_creates:
            return "created", focus_area_id, focus_area_id, blocked
        return self._verify(key, created, desired, blocked)

    def _verify(
        self, key: str, created: Mapping[str, Any], desired: dict[str, Any], blocked: tuple[str, ...]
    ) -> tuple[str, str, str, tuple[str, ...]]:
        """
        List the new focus area's external id; if another writer created it too, converge on the oldest.

        When the keeper is the other writer's, this record is applied to it (what differs is patched) and the
        outcome is ``updated`` or ``unchanged``; the focus area this run created is reported as moved (through
        the index, so it is reported even if applying the record to the keeper fails).
        """
        created_id = str(created[model.FIELD_ID])
        holders = holders_of(self.client, key)
        if all(str(holder.get(model.FIELD_ID)) != created_id for holder in holders):
            holders.append(dict(created))  # a list that lags behind the create still counts it
        if len(holders) < 2:
            return "created", created_id, created_id, blocked
        assert self.index is not None
        keeper, moved = converge(self.client, key, holders)
        self.index.moved.extend(moved)  # reported even if applying the record to the keeper fails below
        keeper_id = str(keeper[model.FIELD_ID])
        if keeper_id == created_id:
            return "created", created_id, created_id, blocked
        return self._update(key, keeper, desired)

    def _log_progress(self) -> None:
        report = self.report
        elapsed = max(time.monotonic() - self.started, 1e-9)
        log.info(
            "Upsert progress: %d records so far (%s), %.1f records/s",
            report.done,
            report.counts(),
            report.done / elapsed,
        )
