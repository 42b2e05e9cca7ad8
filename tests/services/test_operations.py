"""Creates behave the same everywhere: the organization create is as retry-safe as the focus-area create."""

from __future__ import annotations

import pytest

from airflow_provider_focus.services import operations


@pytest.mark.parametrize("fault", ["drop_after", "server_error"])
def test_an_organization_create_whose_answer_was_lost_is_not_made_twice(emulator, emulator_client, fault):
    org_type = emulator.store.organization_types()[0]["id"]
    operations.create_organization(emulator_client, name="Data", organization_type_id=org_type, externalId="DATA-X")
    before = len(emulator.store.organizations())
    if fault == "drop_after":
        applied = emulator.faults.drop_after(count=1, path="organizations", method="POST")
    else:
        applied = emulator.faults.server_error(count=1, status=500, path="organizations", method="POST")
    created = operations.create_organization(
        emulator_client, name="Data", organization_type_id=org_type, externalId="DATA-1"
    )
    assert applied.applied == 1
    organizations = emulator.store.organizations()
    assert len(organizations) == before + 1  # "Data" (DATA-X) shares the name: the look-up matches the external id
    assert [o["id"] for o in organizations if o["externalId"] == "DATA-1"] == [created["id"]]


def test_the_organization_look_up_matches_the_external_id_among_similar_names(emulator, emulator_client):
    org_type = emulator.store.organization_types()[0]["id"]
    for n in range(3):
        operations.create_organization(
            emulator_client, name=f"Data {n}", organization_type_id=org_type, externalId=f"D-{n}"
        )
    found = operations.find_organization(emulator_client, "D-2", name="Data")
    assert found is not None
    assert found["name"] == "Data 2"
    assert operations.find_organization(emulator_client, "D-9", name="Data") is None


def test_a_focus_area_create_whose_answer_was_lost_is_not_made_twice(emulator, emulator_client):
    before = len(emulator.store.focus_areas())
    emulator.faults.drop_after(count=2, path="focus-areas", method="POST")
    created = operations.create_focus_area(
        emulator_client, name="Once", focus_area_type_id="fat-program", externalId="ONCE"
    )
    assert len(emulator.store.focus_areas()) == before + 1
    assert operations.find_focus_area(emulator_client, "ONCE")["id"] == created["id"]


def test_find_by_external_id_is_one_decision_for_the_sync_and_the_async_loop(emulator, emulator_client):
    import asyncio

    from airflow_provider_focus.api.async_client import AsyncFocusClient

    for n in range(3):
        operations.create_focus_area(
            emulator_client, name=f"Twin {n}", focus_area_type_id="fat-program", externalId=f"TWIN-{n}"
        )

    async def afind(external_id: str) -> dict | None:
        async with AsyncFocusClient(emulator_client.config) as client:
            return await operations.afind(client, operations.ExternalIdLookup.focus_area(external_id))

    for external_id in ("TWIN-1", "TWIN-9"):
        emulator.clear_requests()
        found = operations.find_focus_area(emulator_client, external_id)
        sync_queries = [(r.path, r.query) for r in emulator.requests]
        emulator.clear_requests()
        assert asyncio.run(afind(external_id)) == found
        assert (
            [(r.path, r.query) for r in emulator.requests]
            == sync_queries
            == [("focus-areas", {"externalId": external_id})]
        )
    assert found is None
    assert operations.find_focus_area(emulator_client, "TWIN-1")["name"] == "Twin 1"
    lookup = operations.ExternalIdLookup.organization("D-1", name="Data")
    assert lookup.matches({"externalId": "D-1"})
    assert not lookup.matches({"externalId": "D-10"})
