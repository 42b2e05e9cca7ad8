"""The shared async client pool: one client per loop and configuration, counted users, SSL context off the loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import certifi
import httpx
import pytest

from airflow_provider_focus.api import pool, tls
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


def test_what_users_attach_to_a_shared_client_is_built_once_and_lives_as_long_as_the_client():
    lender = pool.AsyncClientPool()
    built: list[object] = []

    def build() -> object:
        built.append(object())
        return built[-1]

    async def go() -> None:
        first, second = await lender.acquire(CONFIG), await lender.acquire(CONFIG)
        other = await lender.acquire(replace(CONFIG, password="another-token"))
        assert lender.attached(first, build) is lender.attached(second, build) is built[0]
        assert lender.attached(other, build) is built[1]  # another connection: its own (its own token)
        for client in (first, second, other):
            await lender.release(client)
        again = await lender.acquire(CONFIG)
        assert lender.attached(again, build) is built[2]  # the client was closed: what it carried went with it
        await lender.release(again)
        with pytest.raises(ValueError, match="not lent by this pool"):
            lender.attached(again, build)

    asyncio.run(go())
    assert len(built) == 3


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
    lanes = clients[0]._transport._lanes.all  # type: ignore[attr-defined]
    assert len(lanes) == 7
    assert all(lane._pool._max_connections == 1 for lane in lanes)
    assert all(lane._pool._keepalive_expiry == 42.0 for lane in lanes)
    assert pool.KEEPALIVE_EXPIRY > 5.0  # httpx's default would drop a connection before a 5 s poll reuses it


def test_releasing_a_client_the_pool_did_not_lend_is_refused():
    async def go() -> None:
        async with httpx.AsyncClient() as stranger:
            with pytest.raises(ValueError, match="not lent"):
                await pool.AsyncClientPool().release(stranger)

    asyncio.run(go())


def test_the_ssl_context_is_built_once_per_process_and_off_the_event_loop(monkeypatch):
    monkeypatch.setattr(tls, "_ssl_contexts", {})
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
    assert tls.ssl_context(True) is tls.ssl_context(True)


def test_callers_that_come_while_the_ssl_context_is_built_share_one_thread_job(monkeypatch):
    # Hundreds of triggers of a restarted triggerer ask for the context while its first build runs: one thread job
    # builds it, not one each (which took the interpreter lock from the loop, and woke the triggers in bunches).
    monkeypatch.setattr(tls, "_ssl_contexts", {})
    built = threading.Event()
    jobs: list[bool | str] = []
    real = tls.ssl_context

    def counted(verify: bool | str) -> Any:
        jobs.append(verify)
        built.wait(10)
        return real(verify)

    monkeypatch.setattr(tls, "ssl_context", counted)

    async def go() -> list[Any]:
        waiting = [asyncio.ensure_future(tls.assl_context(True)) for _ in range(20)]
        await asyncio.sleep(0.05)  # every caller asked while the first build runs
        built.set()
        return await asyncio.gather(*waiting)

    contexts = asyncio.run(go())
    assert jobs == [True]
    assert all(context is contexts[0] for context in contexts)


def test_a_ca_bundle_path_gets_its_own_context(tmp_path, monkeypatch):
    monkeypatch.setattr(tls, "_ssl_contexts", {})
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    assert tls.ssl_context(str(bundle)) is tls.ssl_context(str(bundle))
    assert tls.ssl_context(str(bundle)) is not tls.ssl_context(True)


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


class _Body(httpx.AsyncByteStream):
    """A body read from the network, like httpcore's: the connection is busy until it is closed."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"id": "fa-1"}'


class _SlowServer(httpx.AsyncBaseTransport):
    """Answers after ``release`` is set, counting how many requests are inside at once."""

    def __init__(self) -> None:
        self.inside = 0
        self.most_inside = 0
        self.release = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        try:
            await self.release.wait()
        finally:
            self.inside -= 1
        return httpx.Response(200, stream=_Body())


def test_the_bounded_transport_lets_at_most_its_limit_into_the_pool_and_serves_the_rest_in_turn():
    async def go() -> tuple[int, list[int]]:
        server = _SlowServer()
        async with httpx.AsyncClient(transport=pool.LaneTransport([server] * 3)) as client:
            calls = [asyncio.ensure_future(client.get("http://focus.test/x")) for _ in range(20)]
            while server.inside < 3:
                await asyncio.sleep(0)
            for _ in range(20):
                await asyncio.sleep(0)
            assert server.inside == 3  # the other 17 wait outside the pool
            server.release.set()
            statuses = [response.status_code for response in await asyncio.gather(*calls)]
            return server.most_inside, statuses

    most_inside, statuses = asyncio.run(go())
    assert most_inside == 3
    assert statuses == [200] * 20


def test_a_wait_for_a_free_connection_ends_with_httpx_pool_timeout():
    async def go() -> None:
        server = _SlowServer()
        transport = pool.LaneTransport([server])
        async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(5.0, pool=0.05)) as client:
            holder = asyncio.ensure_future(client.get("http://focus.test/x"))
            while server.inside < 1:
                await asyncio.sleep(0)
            with pytest.raises(httpx.PoolTimeout):
                await client.get("http://focus.test/x")
            server.release.set()
            assert (await holder).status_code == 200
            assert (await client.get("http://focus.test/x")).status_code == 200  # the timed-out wait kept no slot

    asyncio.run(go())


def test_cancelling_a_waiter_as_its_slot_comes_free_cancels_it_and_passes_the_slot_on():
    # The race that made asyncio.wait_for (before 3.12) and anyio's fail_after swallow a trigger's cancellation.
    async def go() -> None:
        only = httpx.MockTransport(lambda request: httpx.Response(200))
        slots = pool._Lanes([only])
        request = httpx.Request("GET", "http://focus.test/x")
        lane = await slots.acquire(5.0, request)
        waiter = asyncio.ensure_future(slots.acquire(5.0, request))
        await asyncio.sleep(0)
        slots.release(lane)  # grants the lane to the waiter ...
        waiter.cancel()  # ... which is cancelled before it runs
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert await asyncio.wait_for(slots.acquire(5.0, request), 1.0) is only  # the lane was passed on, not lost

    asyncio.run(go())


def test_a_cancelled_request_gives_its_slot_back():
    async def go() -> None:
        server = _SlowServer()
        async with httpx.AsyncClient(transport=pool.LaneTransport([server])) as client:
            first = asyncio.ensure_future(client.get("http://focus.test/x"))
            while server.inside < 1:
                await asyncio.sleep(0)
            first.cancel()
            with pytest.raises(asyncio.CancelledError):
                await first
            server.release.set()
            assert (await asyncio.wait_for(client.get("http://focus.test/x"), 1.0)).status_code == 200

    asyncio.run(go())


def test_an_answer_already_in_memory_holds_no_slot():
    async def go() -> None:
        answer = httpx.MockTransport(lambda request: httpx.Response(200, json={"id": "fa-1"}))
        async with httpx.AsyncClient(transport=pool.LaneTransport([answer])) as client:
            for _ in range(3):
                assert (await asyncio.wait_for(client.get("http://focus.test/x"), 1.0)).status_code == 200

    asyncio.run(go())
