"""What the create operators share: a retried task finds what an earlier try created instead of creating twice."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.api import model

if TYPE_CHECKING:
    import logging

    from airflow.sdk import Context


def made_by_an_earlier_try(
    context: Context | Mapping[str, Any],
    external_id: Any,
    *,
    find: Callable[[str], dict[str, Any] | None],
    what: str,
    log: logging.Logger | Any,
) -> dict[str, Any] | None:
    """
    On a retry of the task, return the object an earlier try created (found by its external id), else ``None``.

    An earlier try may have created it and then failed without knowing (a timeout, a lost answer): creating it
    again would make a second one. The first try creates without looking, as a create should.

    :param context: the task's context (its ``ti`` tells the try number).
    :param external_id: the external id the create carries; without one there is nothing to look for.
    :param find: looks an external id up.
    :param what: what the object is, for the log line (``"focus area"``).
    :param log: the operator's logger.
    """
    ti = context.get("ti") if isinstance(context, Mapping) else None
    try_number = getattr(ti, "try_number", 1)
    if not external_id or not isinstance(try_number, int) or try_number <= 1:
        return None
    existing = find(str(external_id))
    if existing is not None:
        log.info(
            "Try %s: %s %s with external id %s exists already (an earlier try made it); not creating it again",
            try_number,
            what,
            existing.get(model.FIELD_ID),
            external_id,
        )
    return existing
