"""
Review before write: the upsert's dry run goes to a person, and the upsert runs only when they approve it.

Needs Airflow 3.1+ (human-in-the-loop operators of ``apache-airflow-providers-standard``); on Airflow 3.0 this file
defines no DAG. The task ``preview`` runs the upsert of ``data/focus_areas.csv`` as a dry run (nothing is written);
``review`` shows its report, as Markdown, in Airflow's "Required actions" page and waits (up to a day) for
"Approve" or "Reject"; ``apply`` runs the same upsert for real only after "Approve" (on "Reject" it is skipped).
The apply step computes its changes again: what it writes is what Focus needs then, which is what was reviewed
unless someone changed Focus in between.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import AirflowOptionalProviderFeatureException
from airflow.sdk import dag, task

from airflow_provider_focus.operators.focus import FocusUpsertFocusAreasOperator

try:
    from airflow.providers.standard.operators.hitl import ApprovalOperator
except (ImportError, AirflowOptionalProviderFeatureException):  # Airflow 3.0: no human-in-the-loop
    ApprovalOperator = None

DATA = Path(__file__).parent / "data"
#: What is reviewed, then applied.
FOCUS_AREAS_FILE = str(DATA / "focus_areas.csv")


@task
def describe_changes(report: dict[str, Any]) -> str:
    """Return the dry run's report as the Markdown a reviewer reads."""
    # the lists hold the first 1,000 entries each; "counts" has the exact numbers when one was cut
    counts = report.get("counts") or {name: len(report[name]) for name in ("created", "updated", "failed")}
    lines = [
        f"**{counts['created']} to create, {counts['updated']} to update, {report['unchanged']} "
        f"unchanged, {counts['failed']} that would fail** (from `{FOCUS_AREAS_FILE}`).",
        "",
    ]
    if report.get("truncated"):
        lines += ["(Only the first entries of each list are shown.)", ""]
    if report["created"]:
        lines.append("New focus areas: " + ", ".join(f"`{key}`" for key in report["created"]))
    if report["updated"]:
        lines.append("Focus areas to update: " + ", ".join(f"`{key}`" for key in report["updated"]))
    for entry in report["failed"]:
        lines.append(f"- `{entry['externalId']}` would fail: {entry['error']}")
    for entry in report.get("not_updatable", []):
        lines.append(f"- `{entry['externalId']}` differs in {', '.join(entry['fields'])}, which the API cannot write")
    return "\n".join(lines)


if ApprovalOperator is not None:

    @dag(
        dag_id="example_focus_review_upsert",
        schedule=None,
        start_date=datetime(2025, 1, 1),
        catchup=False,
        tags=["example", "focus", "human-in-the-loop"],
        doc_md=__doc__,
    )
    def example_focus_review_upsert() -> None:
        # [START howto_focus_review_before_write]
        preview = FocusUpsertFocusAreasOperator(
            task_id="preview",
            input_path=FOCUS_AREAS_FILE,
            key="externalId",
            parent_key="parentExternalId",
            dry_run=True,  # writes nothing: the report says what the upsert would do
        )
        review = ApprovalOperator(
            task_id="review",
            subject="Apply these changes to Focus?",
            body=describe_changes(preview.output),  # the dry run's report, as Markdown
            defaults="Reject",  # what happens when nobody answers within response_timeout
            response_timeout=timedelta(days=1),
        )
        apply = FocusUpsertFocusAreasOperator(
            task_id="apply",
            input_path=FOCUS_AREAS_FILE,
            key="externalId",
            parent_key="parentExternalId",
        )
        review >> apply  # "Reject" skips apply
        # [END howto_focus_review_before_write]

    example_focus_review_upsert()
