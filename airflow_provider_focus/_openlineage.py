"""
The OpenLineage facets of the Focus operators, imported only by the OpenLineage provider's listener.

Nothing here is imported unless ``apache-airflow-providers-openlineage`` calls an operator's
``get_openlineage_facets_on_complete`` (or ``..._on_failure``), so the provider needs no hard dependency on it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import attrs
from airflow.providers.common.compat.openlineage.facet import Dataset, RunFacet
from airflow.providers.openlineage.extractors import OperatorLineage

from airflow_provider_focus.assets import SCHEME

#: The JSON Schema URL of :class:`FocusReportRunFacet` (a custom facet: the URL names it, nothing fetches it).
FOCUS_REPORT_FACET_SCHEMA = (
    "https://github.com/airflow-provider-focus/airflow-provider-focus/blob/main/docs/lineage.md#FocusReportRunFacet"
)


@attrs.define
class FocusReportRunFacet(RunFacet):
    """
    What a Focus task did: its report (counts of created, updated, unchanged and failed records) or its ids.

    :param report: the report, as the task returned it or as its asset event's ``extra`` says.
    """

    report: dict[str, Any] = attrs.field(factory=dict)

    @staticmethod
    def _get_schema() -> str:
        return FOCUS_REPORT_FACET_SCHEMA


def location_dataset(location: str) -> Any:
    """
    Return the OpenLineage dataset of a file or object storage location, named as Airflow's own providers name it.

    ``/data/a.csv`` and ``file:///data/a.csv`` are ``file`` + ``/data/a.csv``; ``s3://bucket/key`` is ``s3://bucket``
    + ``key``.

    :param location: a local path or an object storage URL.
    """
    parts = urlsplit(location)
    if not parts.scheme or parts.scheme == "file" or len(parts.scheme) == 1:  # a path (or a Windows drive)
        path = parts.path if parts.scheme == "file" else location
        return Dataset(namespace=f"file://{parts.netloc}" if parts.netloc else "file", name=path)
    return Dataset(namespace=f"{parts.scheme}://{parts.netloc}", name=parts.path.lstrip("/") or "/")


def focus_dataset(authority: str, resource: str) -> Any:
    """
    Return the OpenLineage dataset of a Focus resource (namespace ``focus://<authority>``, name ``<resource>``).

    :param authority: the site's cloudId (or, without one, its host).
    :param resource: one of :data:`airflow_provider_focus.assets.RESOURCES`.
    """
    return Dataset(namespace=f"{SCHEME}://{authority}", name=resource)


def operator_lineage(
    inputs: list[Any],
    outputs: list[Any],
    report: dict[str, Any] | None,
    *,
    job_facets: dict[str, Any] | None = None,
) -> Any:
    """
    Return the ``OperatorLineage`` of a Focus task.

    :param inputs: its input datasets.
    :param outputs: its output datasets.
    :param report: its report, as the ``focus_report`` run facet (``None``: no facet).
    :param job_facets: its job facets (a SQL transfer's ``sql``).
    """
    run_facets = {"focus_report": FocusReportRunFacet(report=report)} if report is not None else {}
    return OperatorLineage(inputs=inputs, outputs=outputs, run_facets=run_facets, job_facets=dict(job_facets or {}))
