"""
Create a focus area, change it, read it back; each task links to the focus area ("View in Focus").

The type and parent ids are those of the Focus emulator's demo seed (``fat-project`` under ``fa-0002``).
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag

from airflow_provider_focus.operators.focus import (
    FocusCreateFocusAreaOperator,
    FocusGetFocusAreaOperator,
    FocusUpdateFocusAreaOperator,
)


@dag(
    dag_id="example_focus_lifecycle",
    # One run at a time: two runs writing the same focus areas at once would race (the upsert converges, but a
    # writer kept apart costs nothing). Across DAGs that write the same focus areas, give their writing tasks a
    # one-slot pool as well: ``airflow pools set focus_writes 1 "Writes to Focus"`` and ``pool="focus_writes"``.
    max_active_runs=1,
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    params={"focus_area_type_id": "fat-project", "parent_id": "fa-0002"},
    tags=["example", "focus"],
    doc_md=__doc__,
)
def example_focus_lifecycle() -> None:
    # [START howto_operator_focus_create]
    create = FocusCreateFocusAreaOperator(
        task_id="create_focus_area",
        name="Lifecycle demo {{ run_id }}",
        focus_area_type_id="{{ params.focus_area_type_id }}",
        fields={
            "externalId": "LIFECYCLE-{{ run_id }}",
            "parentId": "{{ params.parent_id }}",
            "description": "Created by {{ dag.dag_id }}.",
        },
    )
    # [END howto_operator_focus_create]

    # [START howto_operator_focus_update]
    update = FocusUpdateFocusAreaOperator(
        task_id="update_focus_area",
        focus_area_id=create.output,
        fields={"description": "Updated by {{ dag.dag_id }} for {{ ds }}."},
    )
    # [END howto_operator_focus_update]

    # [START howto_operator_focus_get]
    get = FocusGetFocusAreaOperator(task_id="get_focus_area", focus_area_id=create.output)
    # [END howto_operator_focus_get]

    update >> get


example_focus_lifecycle()
