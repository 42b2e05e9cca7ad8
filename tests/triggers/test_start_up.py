"""
Triggers starting together (a triggerer's restart) against the emulator: one connection read, one parse, and the
hooks that woke together going on one per turn of the event loop (``make bench``: ``bench_trigger_start``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.hooks import focus as hook_module
from airflow_provider_focus.hooks._shared_config import one_at_a_time, shared_read
from airflow_provider_focus.hooks.focus import FocusHook
from airflow_provider_focus.testing import FocusEmulator

pytestmark = pytest.mark.integration


def test_hooks_that_start_together_read_their_connection_once(
    focus_emulator: FocusEmulator, focus_conn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    real_read = FocusHook._aread_connection

    async def counted(self: FocusHook) -> Any:
        reads.append(self.focus_conn_id)
        return await real_read(self)

    monkeypatch.setattr(FocusHook, "_aread_connection", counted)

    async def start_many() -> list[dict[str, Any]]:
        hooks = [FocusHook(focus_conn) for _ in range(50)]
        try:
            return await asyncio.gather(*(hook.aget_focus_area("fa-0001") for hook in hooks))
        finally:
            await asyncio.gather(*(hook.aclose() for hook in hooks))

    answers = asyncio.run(start_many())

    assert [answer["id"] for answer in answers] == ["fa-0001"] * 50
    assert reads == [focus_conn]  # fifty hooks, one look-up


def test_hooks_that_share_a_read_find_its_configuration_without_hashing_the_fields_again(
    focus_emulator: FocusEmulator, focus_conn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hooks that wake together after one shared read each hashed the same fields (SHA-256 of their JSON, ~16 us)
    # in the same turn of the loop to find the parse: one digest for the read is enough.
    digests: list[int] = []
    real_digest = hook_module._fields_digest

    def counted(fields: dict[str, Any]) -> str:
        digests.append(id(fields))
        return real_digest(fields)

    monkeypatch.setattr(hook_module, "_fields_digest", counted)

    async def start_many() -> list[Any]:
        return await asyncio.gather(*(FocusHook(focus_conn).aget_config() for _ in range(50)))

    configs = asyncio.run(start_many())

    assert all(config is configs[0] for config in configs)
    assert len(digests) == 1


def test_hooks_woken_together_go_on_one_per_turn_of_the_loop() -> None:
    async def scenario() -> list[int]:
        turns = 0
        counting = True

        async def count_turns() -> None:
            nonlocal turns
            while counting:
                turns += 1
                await asyncio.sleep(0)

        counter = asyncio.ensure_future(count_turns())
        await asyncio.sleep(0)
        ready = asyncio.get_running_loop().create_future()
        seen: list[int] = []

        async def hook_start() -> None:
            await ready  # every one wakes in the same turn, as after one shared read
            await one_at_a_time()
            seen.append(turns)

        starts = [asyncio.ensure_future(hook_start()) for _ in range(20)]
        await asyncio.sleep(0)
        ready.set_result(None)
        await asyncio.gather(*starts)
        counting = False
        await counter
        return seen

    seen = asyncio.run(scenario())

    assert len(set(seen)) == 20  # each went on in a turn of its own


def test_a_failed_read_is_not_shared_with_the_next_caller() -> None:
    calls = 0

    async def read() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise FocusConfigError("The connection 'x' does not exist.")
        return "read"

    async def twice() -> str:
        with pytest.raises(FocusConfigError):
            await shared_read(("test", "x"), read)
        return await shared_read(("test", "x"), read)

    assert asyncio.run(twice()) == "read"
    assert calls == 2


def test_a_connection_is_parsed_once_and_a_bad_one_every_time() -> None:
    fields = {"host": "127.0.0.1:9", "port": None, "login": "a@example.com", "password": "x", "extra": {}}
    bad = {**fields, "extra": {"auth_type": "nope"}}

    first = hook_module._parsed_config(fields)

    assert hook_module._parsed_config(dict(fields)) is first
    for _ in range(2):
        with pytest.raises(FocusConfigError):
            hook_module._parsed_config(bad)


def test_connections_that_differ_only_in_their_password_are_parsed_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_focus.api.secret import as_secret

    # An empty cache: it is emptied when it holds 64 parses, and the tests a process ran before fill it (with 63
    # already there, the second parse below emptied it and the third parsed anew: a failure in a fresh clone).
    monkeypatch.setattr(hook_module, "_parsed", {})
    fields = {"host": "127.0.0.1:9", "port": None, "login": "a@example.com", "extra": {}}
    first = hook_module._parsed_config({**fields, "password": as_secret("token-one")})
    second = hook_module._parsed_config({**fields, "password": as_secret("token-two")})

    assert first is not second
    assert "token-one" not in repr(hook_module._parsed)
    assert "token-two" not in repr(hook_module._parsed)
    assert hook_module._parsed_config({**fields, "password": as_secret("token-one")}) is first


def test_an_async_backend_module_a_release_lacks_is_skipped(
    focus_emulator: FocusEmulator, focus_conn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Airflow 3.0.6's constraints pin an httpx without sniffio: the first async read failed there with
    # "No module named 'sniffio'".
    monkeypatch.setattr(hook_module, "_ASYNC_BACKEND_MODULES", ("no_such_backend_module", "anyio._backends._asyncio"))

    async def read() -> str:
        hook = FocusHook(focus_conn)
        try:
            return str((await hook.aget_focus_area("fa-0001"))["id"])
        finally:
            await hook.aclose()

    assert asyncio.run(read()) == "fa-0001"


def test_hooks_of_one_connection_give_its_password_to_the_masker_once(
    focus_emulator: FocusEmulator, focus_conn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On Airflow 3.3+ each registration is a message to the supervisor, on 3.0 to 3.2 a thread job: a thousand
    # triggers of one connection registered the same password a thousand times.
    masked: list[str] = []

    async def counted(secret: str) -> None:
        masked.append(secret)

    monkeypatch.setattr(hook_module, "amask_secret", counted)
    monkeypatch.setattr(hook_module, "_masked_configs", hook_module.weakref.WeakSet())

    async def one_after_another() -> str | None:
        for _ in range(5):
            hook = FocusHook(focus_conn)
            try:
                await hook.aget_focus_area("fa-0001")
            finally:
                await hook.aclose()
        return (await hook.aget_config()).password

    password = asyncio.run(one_after_another())

    assert password
    assert masked.count(password) == 1  # (the client also registers what it derives: the Basic header's value)


def test_an_absent_async_backend_module_is_looked_for_once(
    focus_emulator: FocusEmulator, focus_conn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hook_module, "_ASYNC_BACKEND_MODULES", ("no_such_backend_module",))
    monkeypatch.setattr(hook_module, "_absent_modules", set())
    looked_for: list[str] = []
    real_import = hook_module.import_off_loop

    async def counted(name: str) -> Any:
        looked_for.append(name)
        return await real_import(name)

    monkeypatch.setattr(hook_module, "import_off_loop", counted)

    async def one_after_another() -> None:
        for _ in range(5):
            hook = FocusHook(focus_conn)
            try:
                await hook.aget_focus_area("fa-0001")
            finally:
                await hook.aclose()

    asyncio.run(one_after_another())

    assert looked_for.count("no_such_backend_module") == 1


def test_connections_that_differ_only_in_their_password_each_give_theirs_to_the_masker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    masked: list[str] = []

    async def counted(secret: str) -> None:
        masked.append(secret)

    monkeypatch.setattr(hook_module, "amask_secret", counted)
    monkeypatch.setattr(hook_module, "_masked_configs", hook_module.weakref.WeakSet())
    for conn_id, password in (("focus_mask_one", "token-one-5d1e"), ("focus_mask_two", "token-two-9c4b")):
        fields = {"conn_type": "atlassian_focus", "host": "127.0.0.1:9", "login": "a@example.com", "password": password}
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))

    async def clients() -> None:
        for conn_id in ("focus_mask_one", "focus_mask_two", "focus_mask_one", "focus_mask_two"):
            hook = FocusHook(conn_id)
            try:
                await hook.aget_client()
            finally:
                await hook.aclose()

    asyncio.run(clients())

    assert [secret for secret in masked if secret.startswith("token-")] == ["token-one-5d1e", "token-two-9c4b"]
