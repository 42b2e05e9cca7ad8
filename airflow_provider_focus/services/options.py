"""
The services' defaults and options, in a module that imports nothing heavy.

Operators and the hook show the defaults in their signatures and check the options when a DAG file is parsed;
keeping them here lets a DAG file import an operator without importing the services it needs only when a task runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from airflow_provider_focus.api import model
from airflow_provider_focus.exceptions import FocusConfigError

#: Record field that names a parent by its external id.
DEFAULT_PARENT_KEY = "parentExternalId"
#: With this many records or more, existing focus areas are indexed by one paginated scan; below, looked up by key.
DEFAULT_SCAN_THRESHOLD = 25
#: Stop after this many records in a row failed with a rate limit that outlived every retry.
DEFAULT_MAX_CONSECUTIVE_RATE_LIMITS = 3
#: Writes of one run in flight at the same time.
DEFAULT_MAX_IN_FLIGHT = 4
#: The most calls one batch may have in flight (a courtesy to the API, whose rate limits are per site).
MAX_IN_FLIGHT_LIMIT = 32
#: Log progress every this many records.
DEFAULT_LOG_EVERY = 100
#: Entries each list of an upsert's report holds (created, updated, failed, not_updatable); the counts stay exact.
DEFAULT_MAX_LISTED = 1000
#: Fund items sent per bulk call unless told otherwise.
DEFAULT_CHUNK_SIZE = 100
#: How far behind its watermark a change-feed walk looks ([MODEL] ``CHANGE_FEED_OVERLAP_SECONDS``).
DEFAULT_OVERLAP = dt.timedelta(seconds=model.CHANGE_FEED_OVERLAP_SECONDS)


@dataclass(frozen=True)
class UpsertOptions:
    """
    How an upsert runs, as one value: the service takes it, and the hook and the operators build it once from their
    keyword arguments (or take it as ``options=``). See
    :func:`~airflow_provider_focus.services.upsert.upsert_focus_areas` for each field.

    :raises FocusConfigError: for a value that cannot work, naming the argument.
    """

    key: str = model.FIELD_EXTERNAL_ID
    parent_key: str = DEFAULT_PARENT_KEY
    dry_run: bool = False
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    scan_threshold: int = DEFAULT_SCAN_THRESHOLD
    max_consecutive_rate_limits: int = DEFAULT_MAX_CONSECUTIVE_RATE_LIMITS
    log_every: int = DEFAULT_LOG_EVERY
    #: [MODEL] focus-area fields a site accepts in a PATCH (and a create) beyond what the reference lists.
    extra_updatable_fields: frozenset[str] = model.EXTRA_UPDATABLE_FOCUS_AREA_FIELDS
    verify_creates: bool = True
    repair_duplicates: bool = False
    #: The most entries each list of the report holds (``None``: every one); see :class:`UpsertReport`.
    max_listed: int | None = DEFAULT_MAX_LISTED

    def __post_init__(self) -> None:
        for flag in ("dry_run", "verify_creates", "repair_duplicates"):
            object.__setattr__(self, flag, bool(getattr(self, flag)))
        for name in ("key", "parent_key"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise FocusConfigError(f"{name} must be a non-empty string, got {value!r}.")
        if self.key == self.parent_key:
            raise FocusConfigError("key and parent_key must be different fields.")
        extra = self.extra_updatable_fields
        if isinstance(extra, (str, bytes)) or not all(isinstance(name, str) and name for name in extra):
            raise FocusConfigError(f"extra_updatable_fields must be a collection of field names, got {extra!r}.")
        object.__setattr__(self, "extra_updatable_fields", frozenset(extra))
        for name in ("max_in_flight", "scan_threshold", "max_consecutive_rate_limits", "log_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise FocusConfigError(f"{name} must be a positive integer, got {value!r}.")
        listed = self.max_listed
        if listed is not None and (isinstance(listed, bool) or not isinstance(listed, int) or listed < 0):
            raise FocusConfigError(f"max_listed must be a non-negative integer or None, got {listed!r}.")
        if self.max_in_flight > MAX_IN_FLIGHT_LIMIT:
            raise FocusConfigError(f"max_in_flight must be at most {MAX_IN_FLIGHT_LIMIT}, got {self.max_in_flight}.")


def upsert_options(options: UpsertOptions | None, **keywords: Any) -> UpsertOptions:
    """
    Return the upsert's options: ``options`` when given, else those the keyword arguments name.

    What the hook and the operators call with ``options=`` and every keyword argument of their signature: giving
    ``options`` and a keyword argument that is not its default is refused, so that nothing is silently ignored.

    :param options: the options as one value, or ``None``.
    :param keywords: :class:`UpsertOptions` fields, as the caller's signature has them.
    :raises FocusConfigError: for both at once, or a value that cannot work.
    """
    built = UpsertOptions(**keywords)
    if options is None:
        return built
    if not isinstance(options, UpsertOptions):
        raise FocusConfigError(f"options must be an UpsertOptions, got {type(options).__name__}.")
    given = sorted(
        field.name
        for field in dataclasses.fields(UpsertOptions)
        if field.name in keywords and getattr(built, field.name) != getattr(_DEFAULTS, field.name)
    )
    if given:
        raise FocusConfigError(
            f"Pass the upsert's options either as options=UpsertOptions(...) or as keyword arguments, not both "
            f"(also given: {', '.join(given)})."
        )
    return options


_DEFAULTS = UpsertOptions()
