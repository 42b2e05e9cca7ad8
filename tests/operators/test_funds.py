from __future__ import annotations

import pytest

from airflow_provider_focus.exceptions import FocusConfigError, FocusNotFoundError
from airflow_provider_focus.operators.focus import (
    FocusDeleteBenefitItemOperator,
    FocusDeleteCostItemOperator,
    FocusImportBenefitItemsOperator,
    FocusImportCostItemsOperator,
    FocusPartialFailure,
)
from tests.operators.conftest import API


def cost(n):
    return {"costItemExternalId": f"C{n}", "focusAreaExternalId": "PRJ-001", "name": f"c{n}", "costType": "LABOR"}


def bulk_answer(request, _context):
    items = request.json()["items"]
    results, errors = [], []
    for index, item in enumerate(items):
        if item["name"] == "c3":
            errors.append(
                {
                    "index": index,
                    "costItemExternalId": item["costItemExternalId"],
                    "type": "FORMAT_INVALID",
                    "message": "bad",
                }
            )
        else:
            results.append(
                {"index": index, "costItemId": f"id-{item['costItemExternalId']}", "created": index % 2 == 0}
            )
    return {"results": results, "errors": errors}


def test_import_chunks_and_collects_item_errors(requests_mock, context):
    requests_mock.post(f"{API}/funds/cost-item/bulk", json=bulk_answer)
    op = FocusImportCostItemsOperator(
        task_id="costs", items=[cost(n) for n in range(5)], chunk_size=2, fail_on_error=False
    )
    report = op.execute(context)
    assert requests_mock.call_count == 3
    assert [len(r.json()["items"]) for r in requests_mock.request_history] == [2, 2, 1]
    assert report == {
        "created": ["id-C0", "id-C2", "id-C4"],
        "updated": ["id-C1"],
        "unchanged": 0,
        "failed": [{"externalId": "C3", "index": 3, "error": "FORMAT_INVALID: bad"}],
        "counts": {"created": 3, "updated": 1, "unchanged": 0, "failed": 1},
    }


def test_import_fails_at_the_end_with_the_report(requests_mock, context):
    requests_mock.post(f"{API}/funds/cost-item/bulk", json=bulk_answer)
    op = FocusImportCostItemsOperator(task_id="costs", items=[cost(n) for n in range(5)], chunk_size=2)
    with pytest.raises(FocusPartialFailure, match="1 of 5 cost items"):
        op.execute(context)
    assert context["ti"].pushed["report"]["created"] == ["id-C0", "id-C2", "id-C4"]
    assert requests_mock.call_count == 3


def test_a_failed_chunk_fails_its_items_only(requests_mock, context):
    requests_mock.post(
        f"{API}/funds/cost-item/bulk",
        [
            {"status_code": 400, "json": {"errors": [{"type": "FORMAT_INVALID", "message": "no"}]}},
            {"json": bulk_answer},
        ],
    )
    op = FocusImportCostItemsOperator(
        task_id="costs", items=[cost(0), cost(1), cost(2)], chunk_size=2, fail_on_error=False
    )
    report = op.execute(context)
    assert [entry["externalId"] for entry in report["failed"]] == ["C0", "C1"]
    assert report["created"] == ["id-C2"]


def test_benefit_import_uses_its_endpoint(requests_mock, context):
    requests_mock.post(
        f"{API}/funds/benefit-item/bulk",
        json={"results": [{"index": 0, "benefitItemId": "b1", "created": True}], "errors": []},
    )
    op = FocusImportBenefitItemsOperator(task_id="benefits", items=[{"benefitItemExternalId": "B1"}])
    assert op.execute(context) == {
        "created": ["b1"],
        "updated": [],
        "unchanged": 0,
        "failed": [],
        "counts": {"created": 1, "updated": 0, "unchanged": 0, "failed": 0},
    }


def test_import_validates_arguments():
    with pytest.raises(FocusConfigError, match="exactly one"):
        FocusImportCostItemsOperator(task_id="costs")
    with pytest.raises(FocusConfigError, match="chunk_size"):
        FocusImportCostItemsOperator(task_id="costs", items=[], chunk_size=0)
    assert set(FocusImportCostItemsOperator.template_fields) == {"focus_conn_id", "items", "input_path"}


def test_delete_cost_item(requests_mock, context):
    requests_mock.delete(f"{API}/funds/cost-item/cost-1", status_code=204)
    assert FocusDeleteCostItemOperator(task_id="d", cost_item_id="cost-1").execute(context) == "cost-1"


def test_delete_missing_benefit_item(requests_mock, context):
    requests_mock.delete(f"{API}/funds/benefit-item/b-1", status_code=404, json={"errors": [{"type": "NOT_FOUND"}]})
    with pytest.raises(FocusNotFoundError):
        FocusDeleteBenefitItemOperator(task_id="d", benefit_item_id="b-1").execute(context)
    assert (
        FocusDeleteBenefitItemOperator(task_id="d", benefit_item_id="b-1", ignore_missing=True).execute(context) is None
    )


def test_delete_id_is_templated(context):
    op = FocusDeleteCostItemOperator(task_id="d", cost_item_id="{{ params.id }}")
    op.render_template_fields({**context, "params": {"id": "cost-7"}})
    assert op.cost_item_id == "cost-7"


def test_import_reads_csv_items_as_a_stream(requests_mock, context, tmp_path):
    requests_mock.post(f"{API}/funds/cost-item/bulk", json=bulk_answer)
    path = tmp_path / "costs.csv"
    path.write_text("costItemExternalId,focusAreaExternalId,name,costType,costSubtypeKey\nC1,PRJ-001,c1,LABOR,\n")
    op = FocusImportCostItemsOperator(task_id="costs", input_path=str(path))
    assert op.execute(context) == {
        "created": ["id-C1"],
        "updated": [],
        "unchanged": 0,
        "failed": [],
        "counts": {"created": 1, "updated": 0, "unchanged": 0, "failed": 0},
    }
    assert requests_mock.last_request.json() == {
        "items": [{"costItemExternalId": "C1", "focusAreaExternalId": "PRJ-001", "name": "c1", "costType": "LABOR"}]
    }
