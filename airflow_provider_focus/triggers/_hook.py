"""How a trigger gets its hook: imported when the trigger runs, off the event loop, never when a DAG file builds it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_focus._lazy import import_off_loop

if TYPE_CHECKING:
    from airflow_provider_focus.hooks.focus import FocusHook

#: The hook's module: it brings the connection parser and the services, which a DAG file's parse never needs.
HOOK_MODULE = "airflow_provider_focus.hooks.focus"


async def focus_hook(focus_conn_id: str, **hook_params: Any) -> FocusHook:
    """
    Return a new hook for the connection; the first call in a process imports the hook in a worker thread.

    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``.
    :param hook_params: the hook's other keyword arguments (a trigger's ``hook_params``).
    """
    module = await import_off_loop(HOOK_MODULE)
    hook: FocusHook = module.FocusHook(focus_conn_id=focus_conn_id, **hook_params)
    return hook
