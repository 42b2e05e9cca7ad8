"""How a trigger gets its hook: imported when the trigger runs, off the event loop, never when a DAG file builds it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_focus._lazy import import_off_loop

if TYPE_CHECKING:
    from airflow_provider_focus.hooks.focus import FocusHook

#: The hook's module: it brings the connection parser and the services, which a DAG file's parse never needs.
HOOK_MODULE = "airflow_provider_focus.hooks.focus"


#: The keys of a value still wrapped by Airflow's serializer: ``{"__var": value, "__type": "dict"}``, or the same with
#: the keys written as ``Encoding.VAR`` / ``Encoding.TYPE`` (the enum's ``str()`` on Python 3.11+).
_WRAPPED_VALUE = ("__var", "Encoding.VAR")
_WRAPPED_TYPE = ("__type", "Encoding.TYPE")


def stored_hook_params(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """
    Return a trigger's ``hook_params`` as the hook takes them, unwrapping what Airflow's serializer left wrapped.

    Airflow 3.2 hands an ``AssetWatcher``'s trigger its dict arguments still wrapped by the serializer that stored
    them (``{"Encoding.VAR": {...}, "Encoding.TYPE": "dict"}``), and the watcher failed every start with
    ``FocusHook.__init__() got an unexpected keyword argument 'Encoding.VAR'``. Hook parameters are plain names, so
    a mapping of exactly those two keys is never a real one.

    :param value: the ``hook_params`` a trigger was given, wrapped or not.
    """
    params = dict(value or {})
    keys = set(params)
    for wrapped, kind in zip(_WRAPPED_VALUE, _WRAPPED_TYPE, strict=True):
        if keys == {wrapped, kind} and params[kind] == "dict" and isinstance(params[wrapped], Mapping):
            return stored_hook_params(params[wrapped])
    return params


async def focus_hook(focus_conn_id: str, **hook_params: Any) -> FocusHook:
    """
    Return a new hook for the connection; the first call in a process imports the hook in a worker thread.

    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``.
    :param hook_params: the hook's other keyword arguments (a trigger's ``hook_params``).
    """
    module = await import_off_loop(HOOK_MODULE)
    hook: FocusHook = module.FocusHook(focus_conn_id=focus_conn_id, **hook_params)
    return hook
