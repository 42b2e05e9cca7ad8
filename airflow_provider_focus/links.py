"""Operator extra links of the Focus provider."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.providers.common.compat.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

#: Attribute an operator sets, during ``execute``, to the id of the focus area it touched.
FOCUS_AREA_ID_ATTR = "focus_area_link_id"


class FocusAreaLink(BaseOperatorLink):
    """
    "View in Focus": the web page of the focus area a task created, changed or read.

    In Airflow 3 the worker calls :meth:`get_link` when the task ends and stores the result in XCom under
    :attr:`xcom_key`; the UI reads it from there. The operator records the focus area's id on itself while it runs
    (attribute ``focus_area_link_id``); the page is built from the task's connection with
    :meth:`~airflow_provider_focus.hooks.focus.FocusHook.focus_area_url`. The link is empty when the task touched
    no focus area (it failed first) or when the connection names no site (cloud mode with only a cloudId).
    """

    name = "View in Focus"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        """
        Return the focus area's web page, or an empty string.

        :param operator: the operator that ran (on the worker, the very instance that executed).
        :param ti_key: the task instance.
        """
        focus_area_id = getattr(operator, FOCUS_AREA_ID_ATTR, None)
        conn_id = getattr(operator, "focus_conn_id", None)
        if not focus_area_id or not conn_id:
            return ""
        from airflow_provider_focus.hooks.focus import FocusHook

        return FocusHook(focus_conn_id=conn_id).focus_area_url(str(focus_area_id)) or ""
