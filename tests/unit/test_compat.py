from __future__ import annotations

import asyncio
from typing import Any

import pytest
from packaging.version import Version

from airflow_provider_focus import _compat
from airflow_provider_focus._compat import (
    AIRFLOW_VERSION,
    AirflowVersionError,
    aextra_dejson,
    aget_connection,
    airflow_at_least,
    require_airflow,
)
from airflow_provider_focus.exceptions import FocusError


def test_airflow_version_is_the_installed_release() -> None:
    import airflow

    assert Version(airflow.__version__).release[:3] == AIRFLOW_VERSION.release[:3]
    assert airflow_at_least("3.0")
    assert airflow_at_least(str(AIRFLOW_VERSION))
    assert not airflow_at_least(f"{AIRFLOW_VERSION.major}.{AIRFLOW_VERSION.minor + 1}")


def test_require_airflow_passes_on_a_version_the_installed_airflow_has() -> None:
    require_airflow("3.0", feature="anything")
    require_airflow(str(AIRFLOW_VERSION), feature="anything")


def test_require_airflow_names_the_feature_and_both_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_compat, "AIRFLOW_VERSION", Version("3.0.6"))
    with pytest.raises(AirflowVersionError) as caught:
        require_airflow("3.1", feature="FocusAreaChangeTrigger in an AssetWatcher")
    message = str(caught.value)
    assert "FocusAreaChangeTrigger in an AssetWatcher needs Apache Airflow 3.1 or newer" in message
    assert "this is Airflow 3.0.6" in message
    assert isinstance(caught.value, FocusError)


def test_require_airflow_counts_a_prerelease_as_its_release(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_compat, "AIRFLOW_VERSION", Version(Version("3.1.0rc2").base_version))
    require_airflow("3.1", feature="x")


class _Conn:
    extra_dejson = {"cloud_id": "c1"}


class _OldHook:
    """A hook class as on Airflow 3.0: a sync ``get_connection`` and no ``aget_connection``."""

    calls: list[str] = []

    @classmethod
    def get_connection(cls, conn_id: str) -> Any:
        cls.calls.append(conn_id)
        return _Conn()


class _NewHook(_OldHook):
    @classmethod
    async def aget_connection(cls, conn_id: str) -> Any:
        return f"async:{conn_id}"


def test_aget_connection_runs_the_sync_look_up_off_the_event_loop_where_airflow_has_no_async_one() -> None:
    import threading

    loop_thread: list[int] = []
    seen_threads: list[int] = []

    class Hook(_OldHook):
        @classmethod
        def get_connection(cls, conn_id: str) -> Any:
            seen_threads.append(threading.get_ident())
            return super().get_connection(conn_id)

    async def run() -> Any:
        loop_thread.append(threading.get_ident())
        return await aget_connection(Hook, "focus_default")

    conn = asyncio.run(run())
    assert isinstance(conn, _Conn)
    assert seen_threads
    assert seen_threads != loop_thread


def test_aget_connection_prefers_airflow_s_async_look_up() -> None:
    assert asyncio.run(aget_connection(_NewHook, "x")) == "async:x"


def test_aextra_dejson_falls_back_to_the_sync_property() -> None:
    assert asyncio.run(aextra_dejson(_Conn())) == {"cloud_id": "c1"}  # type: ignore[arg-type]

    class AsyncConn(_Conn):
        async def aextra_dejson(self) -> dict[str, str]:
            return {"from": "async"}

    assert asyncio.run(aextra_dejson(AsyncConn())) == {"from": "async"}  # type: ignore[arg-type]


def test_amask_secret_runs_the_sync_masker_off_the_event_loop_where_airflow_has_no_async_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Airflow 3.0's sync masker refuses to run on the event loop's thread inside a triggerer (AsyncToSync).
    import threading

    import airflow.sdk.log

    monkeypatch.delattr(airflow.sdk.log, "amask_secret", raising=False)
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(_compat, "mask_secret", lambda secret: calls.append((secret, threading.get_ident())))

    async def run() -> int:
        await _compat.amask_secret("s3cret")
        return threading.get_ident()

    loop_thread = asyncio.run(run())
    assert [secret for secret, _ in calls] == ["s3cret"]
    assert calls[0][1] != loop_thread


def test_aextra_dejson_reads_the_sync_property_off_the_event_loop() -> None:
    import threading

    seen: list[int] = []

    class Conn:
        @property
        def extra_dejson(self) -> dict[str, str]:
            seen.append(threading.get_ident())
            return {"cloud_id": "c1"}

    async def run() -> tuple[Any, int]:
        return await aextra_dejson(Conn()), threading.get_ident()  # type: ignore[arg-type]

    extra, loop_thread = asyncio.run(run())
    assert extra == {"cloud_id": "c1"}
    assert seen
    assert seen[0] != loop_thread
