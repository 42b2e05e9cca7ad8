"""The shared async client pool: one client per loop and configuration, counted users, SSL context off the loop."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import certifi
import httpx
import pytest

from airflow_provider_focus.api import pool
from airflow_provider_focus.api.config import FocusClientConfig
from airflow_provider_focus.hooks.focus import FocusHook
from airflow_provider_focus.testing import FocusEmulator

CONFIG = FocusClientConfig.from_connection_fields(
    host="acme.atlassian.net", login="robot@example.com", password="s3cret", extra={}
)


def test_users_of_one_configuration_share_one_client_until_the_last_releases_it():
    lender = pool.AsyncClientPool()

    async def go() -> None:
        first = await lender.acquire(CONFIG)
        second = await lender.acquire(replace(CONFIG))  # an equal configuration read again
        assert first is second
        assert lender.users(CONFIG) == 2
        await lender.release(first)
        assert not first.is_closed
        await lender.release(second)
        assert first.is_closed
        assert lender.users(CONFIG) == 0
        third = await lender.acquire(CONFIG)  # a new user after the close gets a fresh client
        assert third is not first
        assert not third.is_closed
        await lender.release(third)

    asyncio.run(go())


def test_different_configurations_and_different_loops_never_share():
    lender = pool.AsyncClientPool()
    other = replace(CONFIG, password="another-token")

    async def two() -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
        one, two = await lender.acquire(CONFIG), await lender.acquire(other)
        await lender.release(one)
        await lender.release(two)
        return one, two

    a, b = asyncio.run(two())
    assert a is not b
    c, _ = asyncio.run(two())
    assert c is not a


def test_concurrent_first_users_get_one_client_and_the_limits_keep_connections_between_polls():
    lender = pool.AsyncClientPool(max_connections=7, keepalive_expiry=42.0)

    async def go() -> list[httpx.AsyncClient]:
        clients = await asyncio.gather(*(lender.acquire(CONFIG) for _ in range(50)))
        assert lender.users(CONFIG) == 50
        for client in clients:
            await lender.release(client)
        return list(clients)

    clients = asyncio.run(go())
    assert len({id(client) for client in clients}) == 1
    assert clients[0].is_closed
    assert lender.limits.max_connections == lender.limits.max_keepalive_connections == 7
    assert lender.limits.keepalive_expiry == 42.0
    assert pool.KEEPALIVE_EXPIRY > 5.0  # httpx's default would drop a connection before a 5 s poll reuses it


def test_releasing_a_client_the_pool_did_not_lend_is_refused():
    async def go() -> None:
        async with httpx.AsyncClient() as stranger:
            with pytest.raises(ValueError, match="not lent"):
                await pool.AsyncClientPool().release(stranger)

    asyncio.run(go())


def test_the_ssl_context_is_built_once_per_process_and_off_the_event_loop(monkeypatch):
    monkeypatch.setattr(pool, "_ssl_contexts", {})
    built_in: list[threading.Thread] = []
    real = httpx.create_ssl_context

    def recording(*args: Any, **kwargs: Any) -> Any:
        built_in.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(httpx, "create_ssl_context", recording)
    lender = pool.AsyncClientPool()

    async def go() -> threading.Thread:
        clients = await asyncio.gather(*(lender.acquire(CONFIG) for _ in range(20)))
        for client in clients:
            await lender.release(client)
        again = await lender.acquire(replace(CONFIG, password="other"))  # another connection, same verify
        await lender.release(again)
        return threading.current_thread()

    loop_thread = asyncio.run(go())
    assert len(built_in) == 1
    assert built_in[0] is not loop_thread
    assert pool.ssl_context(True) is pool.ssl_context(True)


def test_a_ca_bundle_path_gets_its_own_context(tmp_path, monkeypatch):
    monkeypatch.setattr(pool, "_ssl_contexts", {})
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    assert pool.ssl_context(str(bundle)) is pool.ssl_context(str(bundle))
    assert pool.ssl_context(str(bundle)) is not pool.ssl_context(True)


@pytest.mark.integration
def test_hooks_of_one_connection_share_one_client_and_one_connection_against_the_emulator(monkeypatch):
    with FocusEmulator(seed="demo") as emulator:
        ((name, value),) = emulator.conn_env("focus_default").items()
        monkeypatch.setenv(name, value)
        config = FocusHook().config

        async def go() -> None:
            hooks = [FocusHook() for _ in range(5)]
            for _ in range(3):  # sequential reads: each reuses the one kept-alive connection
                for hook in hooks:
                    assert (await hook.aget_focus_area("fa-0001"))["id"] == "fa-0001"
            clients = [await hook.aget_client() for hook in hooks]
            assert len({id(client.http) for client in clients}) == 1
            shared = clients[0].http
            assert pool.shared_clients.users(config) == 5
            for hook in hooks[:4]:
                await hook.aclose()
            assert not shared.is_closed
            await hooks[4].aclose()
            assert shared.is_closed
            assert pool.shared_clients.users(config) == 0

        asyncio.run(go())
        reads = [r for r in emulator.requests if r.path == "focus-areas/fa-0001"]
        assert len(reads) == 15
        assert len({r.client_port for r in reads}) == 1
