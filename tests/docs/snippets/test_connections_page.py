"""The hook tour shown in ``docs/connections.md``, run against the emulator's demo seed."""

from __future__ import annotations


def test_the_hook_tour(focus_emulator, focus_conn):
    # [START hook_tour]
    from airflow_provider_focus.hooks.focus import FocusHook

    hook = FocusHook(focus_conn_id="focus_default")
    hook.request("GET", "focus-areas", params={"limit": 5})  # any v1 path
    for fa in hook.paginate("focus-areas", page_size=100):  # lazy, page by page
        print(fa["id"])
    hook.list_focus_areas(name_contains="Growth", sort="name")  # an iterator
    hook.get_focus_area("fa-0003")
    hook.find_focus_area("PRJ-001")  # by external id, or None
    created = hook.create_focus_area(name="Grow EMEA", focus_area_type_id="fat-project", externalId="FIN-42")
    records = [{"externalId": "FIN-43", "name": "Grow APAC", "focusAreaTypeId": "fat-project"}]
    hook.upsert_focus_areas(records, key="externalId")  # -> UpsertReport (what the upsert operator does)
    hook.update_focus_area(created["id"], {"description": "new"})  # updateMask = the keys
    hook.list_organizations()
    hook.create_organization(name="Ops", organization_type_id="orgtype-team")
    item = {"costItemExternalId": "C-1", "focusAreaId": created["id"], "name": "Run", "costType": "LABOR"}
    hook.import_cost_items([item], chunk_size=100)  # -> FundImportReport; bulk_import_cost_items: one raw call
    hook.get_cost_item("cost-0001")  # read by the answer's names: externalCostItemId, costSubtypeId, ...
    hook.update_cost_item("cost-0001", {"externalCostItemId": "C-0"})  # the one field a PATCH supports
    hook.delete_cost_item("cost-0001")
    hook.get_benefit_item("benefit-0001")  # and import_, update_, delete_benefit_item(s)
    hook.list_cost_types()
    hook.list_cost_subtypes()
    hook.list_benefit_types()
    hook.list_investment_categories()
    hook.test_connection()  # (ok, message), never raises
    # [END hook_tour]
    store = focus_emulator.store
    assert store.focus_area(created["id"])["description"] == "new"
    assert [fa["name"] for fa in store.focus_areas() if fa["externalId"] == "FIN-43"] == ["Grow APAC"]
    assert [c["costItemExternalId"] for c in store.cost_items()] == ["C-1"]  # cost-0001 was deleted
    assert hook.test_connection()[0] is True
