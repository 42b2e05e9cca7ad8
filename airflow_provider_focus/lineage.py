"""
Focus in Airflow's data graph: default outlets, asset events with ``extra``, hook-level lineage.

- **Outlets.** A task that writes to Focus declares, by default, the asset alias ``focus:<conn id>:<resource>``
  (:func:`focus_outlet_alias`): the connection, which names the site, is read only when the task runs, so the
  concrete asset ``focus://<cloudId>/<resource>`` is attached to the alias then, with an ``extra`` that says what
  the task did (:func:`emit_focus_asset_event`). A DAG scheduled on ``focus_asset(<cloudId>, <resource>)`` runs
  after it. A task may instead declare the concrete asset (``outlets=[focus_asset(cloud_id, "funds/cost-items")]``);
  then its event carries the same ``extra`` and, on Airflow 3.3+, the fund periods as partitions.
- **Hook lineage.** Every read and write of :class:`~airflow_provider_focus.hooks.focus.FocusHook`, sync or
  async, reports its Focus asset to Airflow's hook lineage collector (:func:`report_hook_lineage`; the async
  methods through :func:`areport_hook_lineage`, which runs it off the event loop), through
  ``apache-airflow-providers-common-compat`` so that it works on Airflow 3.0 to 3.3; a ``@task`` (or an ``async``
  one) that uses the hook gets lineage without code of its own.

A transfer operator reuses both in one line each: ``kwargs.setdefault("outlets", default_outlets(resource,
conn_id))`` in ``__init__``, ``emit_focus_asset_event(self, context, config=hook.config, resource=resource,
extra=...)`` at the end of ``execute``; a subclass of ``FocusBaseOperator`` only sets ``focus_output``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.assets import RESOURCES, SCHEME, authority_of, focus_uri, parse_focus_uri

if TYPE_CHECKING:
    from airflow.sdk import AssetAlias

    from airflow_provider_focus.api.config import FocusClientConfig

__all__ = [
    "areport_hook_lineage",
    "default_outlets",
    "emit_focus_asset_event",
    "emit_output_asset_event",
    "export_range",
    "focus_outlet_alias",
    "report_hook_lineage",
]

log = logging.getLogger(__name__)

_ALIAS_PREFIX = "focus:"


def focus_outlet_alias(resource: str, conn_id: str) -> AssetAlias:
    """
    Return the asset alias a task writing ``resource`` through ``conn_id`` declares by default.

    :param resource: one of :data:`airflow_provider_focus.assets.RESOURCES`.
    :param conn_id: the Focus connection id.
    """
    from airflow.sdk import AssetAlias

    if resource not in RESOURCES:
        raise ValueError(f"Unknown Focus resource {resource!r}; expected one of {', '.join(RESOURCES)}.")
    return AssetAlias(name=f"{_ALIAS_PREFIX}{conn_id}:{resource}")


def default_outlets(resource: str, conn_id: str) -> list[Any]:
    """
    Return the outlets a task writing ``resource`` declares unless it is given ``outlets``.

    :param resource: one of :data:`airflow_provider_focus.assets.RESOURCES`.
    :param conn_id: the Focus connection id.
    """
    return [focus_outlet_alias(resource, conn_id)]


def _alias_resource(name: str) -> str | None:
    if not name.startswith(_ALIAS_PREFIX):
        return None
    resource = name.rsplit(":", 1)[-1]
    return resource if resource in RESOURCES else None


def emit_focus_asset_event(
    operator: Any,
    context: Mapping[str, Any],
    *,
    config: FocusClientConfig,
    resource: str,
    extra: Mapping[str, Any],
    periods: Iterable[str] = (),
    dry_run: bool = False,
) -> str | None:
    """
    Attach the task's Focus asset event, with ``extra``, to the outlets that name ``resource``.

    A Focus alias of ``resource`` (``focus:<anything>:<resource>``) gets the concrete asset of the connection's
    site with ``extra``, except in a dry run (nothing was written). A concrete ``focus://`` outlet of ``resource``
    gets ``extra`` and, on Airflow 3.3+, one partition per period. ``periods`` also go into ``extra`` on every
    Airflow, sorted and comma-separated (``"2025-03,2025-04"``): values of an alias event's ``extra`` must be
    hashable on Airflow 3.0. Outlets of other resources or schemes are left alone. It never fails the task: a
    context without ``outlet_events`` (an operator executed by hand) is skipped.

    :param operator: the task (its ``outlets`` are read).
    :param context: the task's context.
    :param config: the connection's configuration (it names the site).
    :param resource: the Focus resource written.
    :param extra: what a downstream DAG needs (strings, numbers, booleans: no lists).
    :param periods: the fund periods touched (``2025-04``), for partitions.
    :param dry_run: whether nothing was written.
    :return: the URI of the asset the event is for, or ``None`` when no outlet names ``resource``.
    """
    events = context.get("outlet_events")
    if events is None:
        return None
    from airflow.sdk import Asset, AssetAlias

    from airflow_provider_focus._compat import airflow_at_least

    payload = dict(extra)
    keys = sorted(set(periods))
    if keys:
        # One string, not a list: Airflow 3.0 hashes the extra of an alias event and fails on a list value.
        payload["periods"] = ",".join(keys)
    if dry_run:
        payload["dry_run"] = True
    uri = focus_uri(authority_of(config), resource)
    emitted: str | None = None
    for outlet in getattr(operator, "outlets", None) or ():
        if isinstance(outlet, AssetAlias) and _alias_resource(outlet.name) == resource:
            if dry_run:
                continue
            events[outlet].add(Asset(uri), extra=payload)
            emitted = uri
        elif isinstance(outlet, Asset) and (parsed := parse_focus_uri(outlet.uri)) and parsed[1] == resource:
            if outlet.uri != uri:
                log.warning("The outlet %s is not the asset this connection writes (%s)", outlet.uri, uri)
            accessor = events[outlet]
            accessor.extra.update(payload)
            if keys and airflow_at_least("3.3"):
                accessor.add_partitions(keys)
            emitted = outlet.uri
    if emitted:
        log.info("Asset event for %s: %s", emitted, payload)
    return emitted


def emit_output_asset_event(operator: Any, context: Mapping[str, Any], extra: Mapping[str, Any]) -> list[str]:
    """
    Attach ``extra`` to the events of the task's declared outlets that are not Focus assets.

    A task that reads Focus and writes elsewhere (an export's file, a SQL table) declares no outlet by default: its
    output's name is the user's (``outlets=[Asset("s3://bucket/focus/areas")]``). Each concrete asset it declares
    gets ``extra`` (the watermark of an incremental export, the counts, the path or table). A ``focus://`` outlet is
    left alone (it would announce a write to Focus, which such a task does not make), and so is an asset alias (the
    task does not know which asset it should resolve to). It never fails the task.

    :param operator: the task (its ``outlets`` are read).
    :param context: the task's context.
    :param extra: what a downstream DAG needs (strings, numbers, booleans: no lists).
    :return: the URIs of the assets whose event got ``extra``.
    """
    events = context.get("outlet_events")
    if events is None:
        return []
    from airflow.sdk import Asset

    emitted = []
    for outlet in getattr(operator, "outlets", None) or ():
        if isinstance(outlet, Asset) and not outlet.uri.startswith(f"{SCHEME}://"):
            events[outlet].extra.update(extra)
            emitted.append(outlet.uri)
    if emitted:
        log.info("Asset event for %s: %s", ", ".join(emitted), dict(extra))
    return emitted


def export_range(since: str, incremental: bool) -> dict[str, Any]:
    """
    Return what an export's asset event says of the range it read: ``full_load``, and ``since`` when incremental.

    With the ``watermark`` next to it, a downstream DAG knows which changes the export holds: those after ``since``
    (less the change feed's 60 s overlap) up to ``watermark``.

    :param since: the rendered ``updated_since`` (empty: a full load).
    :param incremental: whether the task was given ``updated_since`` at all.
    """
    if incremental and since:
        return {"full_load": False, "since": since}
    return {"full_load": True}


def report_hook_lineage(hook: Any, direction: str, resource: str, *, config: FocusClientConfig | None = None) -> None:
    """
    Report a hook's read (``"input"``) or write (``"output"``) of a Focus resource to Airflow's lineage collector.

    The collector is Airflow's (through ``common.compat``, Airflow 3.0 to 3.3); it records only when a lineage
    reader is registered (the OpenLineage provider registers one). Lineage never fails a call: an error here is
    logged at debug level.

    :param hook: the hook that made the call (the lineage context).
    :param direction: ``"input"`` or ``"output"``.
    :param resource: one of :data:`airflow_provider_focus.assets.RESOURCES`.
    :param config: the connection's configuration; by default ``hook.config`` (an async caller passes the one it
        read without blocking, so that nothing here reads the connection).
    """
    try:
        from airflow.providers.common.compat.lineage.hook import get_hook_lineage_collector

        uri = focus_uri(authority_of(config if config is not None else hook.config), resource)
        collector = get_hook_lineage_collector()
        if direction == "input":
            collector.add_input_asset(context=hook, uri=uri)
        else:
            collector.add_output_asset(context=hook, uri=uri)
    except Exception:
        log.debug("Focus hook lineage not reported", exc_info=True)


#: Whether a report has completed in this process: Airflow's collector has loaded the plugins and providers it needs.
_collector_ready = False


async def areport_hook_lineage(hook: Any, direction: str, resource: str, *, config: FocusClientConfig) -> None:
    """
    Report a read or write of the hook's async methods: :func:`report_hook_lineage`, without blocking the loop.

    The first use of Airflow's collector loads the plugins (to find the lineage readers) and the providers' asset
    factories: about a second of blocking work, which runs in a worker thread, never on a triggerer's event loop
    (callers that come meanwhile wait for that one warm-up). Once a report has completed, reports run on the loop:
    tens of microseconds each, where a thread job per read had a thousand triggers that start together wake in
    bunches. It never fails the call.

    :param hook: the hook that made the call (the lineage context).
    :param direction: ``"input"`` or ``"output"``.
    :param resource: one of :data:`airflow_provider_focus.assets.RESOURCES`.
    :param config: the connection's configuration, as the async client read it.
    """
    if not _collector_ready:
        from airflow_provider_focus._lazy import in_thread_once

        await in_thread_once("hook lineage collector", _warm_collector, resource, config)
    report_hook_lineage(hook, direction, resource, config=config)


def _warm_collector(resource: str, config: FocusClientConfig) -> None:
    """Make Airflow's collector ready: load its plugins and build one asset of ``resource`` (nothing is recorded)."""
    global _collector_ready
    try:
        from airflow.providers.common.compat.lineage.hook import get_hook_lineage_collector

        collector = get_hook_lineage_collector()
        create_asset = getattr(collector, "create_asset", None)  # the no-op collector of some versions has none
        if create_asset is not None:
            create_asset(uri=focus_uri(authority_of(config), resource))
    except Exception:  # not ready: the next report warms up in a thread again, never on the loop
        log.debug("Focus hook lineage collector not ready", exc_info=True)
        return
    _collector_ready = True
