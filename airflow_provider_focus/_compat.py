"""
What differs between the Airflow versions the provider supports (3.0 to 3.3), in one place.

Names that moved into ``airflow.sdk`` after 3.0 (``BaseHook`` in 3.1, ``conf`` in 3.2, the exceptions) come from
``apache-airflow-providers-common-compat`` (``airflow.providers.common.compat.sdk``), the ecosystem's own shim.
This module holds what that package does not cover: the secrets masker's location, the async connection look-up
(3.1+) and async extras (3.3+), and :func:`require_airflow`, the guard for features newer than the floor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow import __version__ as _airflow_version
from packaging.version import Version

from airflow_provider_focus.exceptions import FocusError

try:  # Airflow 3.1+
    from airflow.sdk.log import mask_secret as _airflow_mask_secret
except ImportError:  # Airflow 3.0
    from airflow.sdk.execution_time.secrets_masker import mask_secret as _airflow_mask_secret  # type: ignore[no-redef]

if TYPE_CHECKING:
    from airflow.sdk import Connection

__all__ = [
    "AIRFLOW_VERSION",
    "AirflowVersionError",
    "aextra_dejson",
    "aget_connection",
    "airflow_at_least",
    "amask_secret",
    "mask_secret",
    "require_airflow",
]

#: The installed Airflow's release, without pre-release or local parts (``3.1.8rc1`` counts as ``3.1.8``).
AIRFLOW_VERSION = Version(Version(_airflow_version).base_version)


class AirflowVersionError(FocusError, RuntimeError):
    """A feature of the provider needs a newer Airflow than the one installed."""


def airflow_at_least(version: str) -> bool:
    """
    Say whether the installed Airflow is ``version`` or newer.

    :param version: a release such as ``"3.1"`` or ``"3.2.1"``.
    """
    return Version(version) <= AIRFLOW_VERSION


def require_airflow(version: str, *, feature: str) -> None:
    """
    Refuse, with a message naming the version needed, a feature the installed Airflow cannot carry.

    Call it where the feature is declared (an ``__init__`` that runs when the DAG file is parsed), so the DAG shows
    an import error that says what to upgrade instead of failing later with an obscure ``ImportError``.

    :param version: the oldest Airflow release that carries the feature, such as ``"3.1"``.
    :param feature: what the user asked for, as they would name it (``"FocusAreaChangeTrigger in an AssetWatcher"``).
    :raises AirflowVersionError: when the installed Airflow is older than ``version``.
    """
    if not airflow_at_least(version):
        raise AirflowVersionError(
            f"{feature} needs Apache Airflow {version} or newer; this is Airflow {AIRFLOW_VERSION}. "
            f"Upgrade Airflow to {version} or newer to use it."
        )


def mask_secret(secret: Any, name: str | None = None) -> None:
    """
    Register a secret with Airflow's masker, in this process first, and with the supervisor when it is another one.

    Airflow 3.0 (task SDK 1.0) sends the value to the supervisor before it masks it in the task's own process, and
    its in-process supervisor (``dag.test()``, ``airflow dags test``) logs every message it is sent at debug level:
    ``Sending request msg=MaskSecret(value='<the secret>')`` on the console, unredacted. There the value is masked
    in this process, which the in-process supervisor shares, and no message is sent. A worker's supervisor, a
    process of its own, is told as before (Airflow 3.0's logs ``body omitted`` for that message); Airflow 3.1+
    masks before it sends, and is called as it is.

    :param secret: the value to redact from logs.
    :param name: the secret's name, as Airflow's ``mask_secret`` takes it.
    """
    if secret and not airflow_at_least("3.1") and _in_process_supervisor():
        from airflow.sdk.execution_time.secrets_masker import _secrets_masker  # Airflow 3.0's own masker

        _secrets_masker().add_mask(secret, name)  # what the in-process supervisor would do with the message
        return
    _airflow_mask_secret(secret, name)


def _in_process_supervisor() -> bool:
    """Say whether this task talks to an in-process supervisor (``dag.test()``), which shares this process."""
    from airflow.sdk.execution_time import task_runner

    comms = getattr(task_runner, "SUPERVISOR_COMMS", None)
    return type(comms).__name__ == "InProcessSupervisorComms"


async def amask_secret(secret: str) -> None:
    """
    Register a secret with Airflow's masker without a blocking call to the supervisor where Airflow allows (3.3+).

    :param secret: the value to redact from logs.
    """
    try:
        from airflow.sdk.log import amask_secret as _amask_secret
    except ImportError:
        # Airflow 3.0 to 3.2 have only the sync call. In a triggerer it talks to the supervisor through
        # async_to_sync, which refuses to run on the event loop's thread (Airflow 3.0: "You cannot use AsyncToSync
        # in the same thread as an async event loop"), so it runs in a worker thread.
        from asgiref.sync import sync_to_async

        await sync_to_async(mask_secret)(secret)
        return
    await _amask_secret(secret)


async def aget_connection(hook_class: Any, conn_id: str) -> Connection:
    """
    Look a connection up from async code (a trigger's event loop) without blocking it.

    Airflow 3.1+ has ``BaseHook.aget_connection``; on 3.0 the sync look-up runs in a worker thread (asgiref's
    ``sync_to_async``, as the official providers do there).

    :param hook_class: the hook class (or instance) whose ``get_connection`` reads connections.
    :param conn_id: the connection id.
    """
    native = getattr(hook_class, "aget_connection", None)
    if native is not None:
        conn: Connection = await native(conn_id)
        return conn
    from asgiref.sync import sync_to_async

    conn = await sync_to_async(hook_class.get_connection)(conn_id)
    return conn


async def aextra_dejson(conn: Connection) -> Mapping[str, Any]:
    """
    Read a connection's extras from async code: ``aextra_dejson`` on Airflow 3.3+, ``extra_dejson`` in a thread before.

    :param conn: the connection.
    """
    native = getattr(conn, "aextra_dejson", None)
    if native is not None:
        extra: Mapping[str, Any] = await native()
        return extra
    from asgiref.sync import sync_to_async

    # extra_dejson masks sensitive extras through the sync masker: off the event loop's thread (see amask_secret).
    extra = await sync_to_async(lambda: conn.extra_dejson)()
    return extra
