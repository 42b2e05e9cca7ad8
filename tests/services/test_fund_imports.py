"""The fund import service on its own: chunks, the report, repeated keys and streaming."""

from __future__ import annotations

import json

import pytest

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.services import BENEFIT_ITEMS, COST_ITEMS, import_fund_items
from tests.services.conftest import API


def cost(n, **fields):
    return {"costItemExternalId": f"C{n}", "focusAreaExternalId": "PRJ-001", "name": f"c{n}", **fields}


def answer_all(request, _context):
    items = request.json()["items"]
    return {
        "results": [
            {"index": index, "costItemId": f"id-{item['costItemExternalId']}", "created": True}
            for index, item in enumerate(items)
        ],
        "errors": [],
    }


def test_items_go_in_chunks_and_the_report_names_ids(client, requests_mock):
    requests_mock.post(f"{API}/funds/cost-item/bulk", json=answer_all)
    report = import_fund_items(client, COST_ITEMS, (cost(n) for n in range(5)), chunk_size=2)
    assert [len(r.json()["items"]) for r in requests_mock.request_history] == [2, 2, 1]
    assert report.created == [f"id-C{n}" for n in range(5)]
    assert (report.updated, report.unchanged, report.failed) == ([], 0, [])


def test_a_repeated_external_id_is_not_sent_and_says_the_first_was_applied(client, requests_mock):
    requests_mock.post(f"{API}/funds/cost-item/bulk", json=answer_all)
    report = import_fund_items(client, COST_ITEMS, [cost(1), cost(2), cost(1, name="again")], chunk_size=2)
    sent = [item["costItemExternalId"] for r in requests_mock.request_history for item in r.json()["items"]]
    assert sent == ["C1", "C2"]
    (failure,) = report.failed
    assert (failure.key, failure.index) == ("C1", 2)
    assert "the first (item 0) was applied, this copy was not sent" in failure.error


def test_server_errors_name_the_item_by_key_and_index(client, requests_mock):
    requests_mock.post(
        f"{API}/funds/benefit-item/bulk",
        json={
            "results": [{"index": 0, "benefitItemId": "b-1", "created": False}],
            "errors": [{"index": 1, "type": "FORMAT_INVALID", "message": "bad"}],
        },
    )
    items = [{"benefitItemExternalId": "B1"}, {"benefitItemExternalId": "B2"}, {"benefitItemExternalId": "B3"}]
    report = import_fund_items(client, BENEFIT_ITEMS, items)
    assert report.updated == ["b-1"]
    assert [entry.as_dict() for entry in report.failed] == [
        {"externalId": "B2", "index": 1, "error": "FORMAT_INVALID: bad"},
        {"externalId": "B3", "index": 2, "error": "the bulk answer did not mention this item"},
    ]


def test_an_auth_error_stops_the_import_and_reports_the_rest_as_not_attempted(client, requests_mock):
    requests_mock.post(f"{API}/funds/cost-item/bulk", status_code=401, json={"errors": [{"type": "UNAUTHORIZED"}]})
    report = import_fund_items(client, COST_ITEMS, [cost(n) for n in range(5)], chunk_size=2)
    assert requests_mock.call_count == 1
    assert [entry.index for entry in report.failed] == [0, 1, 2, 3, 4]
    assert all(entry.error.startswith("not attempted: ") for entry in report.failed)


def test_an_item_that_is_not_an_object_fails_alone(client, requests_mock):
    requests_mock.post(f"{API}/funds/cost-item/bulk", json=answer_all)
    report = import_fund_items(client, COST_ITEMS, [cost(0), "junk"])
    assert report.created == ["id-C0"]
    assert [(entry.key, entry.index, entry.error) for entry in report.failed] == [
        (None, 1, "item 1 is not an object: str")
    ]


def test_items_are_read_one_chunk_at_a_time(client, requests_mock):
    pulled = []

    def items():
        for n in range(10):
            pulled.append(n)
            yield cost(n)

    sizes = []

    def answer(request, context):
        sizes.append(len(pulled))
        return answer_all(request, context)

    requests_mock.post(f"{API}/funds/cost-item/bulk", json=answer)
    import_fund_items(client, COST_ITEMS, items(), chunk_size=3)
    assert sizes == [3, 6, 9, 10]


def test_chunk_size_must_be_positive(client):
    with pytest.raises(FocusConfigError, match="chunk_size"):
        import_fund_items(client, COST_ITEMS, [], chunk_size=0)


PERIODS = [{"financialVersionType": "FORECAST", "timePeriodToAmount": {"2025-04": 2.5}}]


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        (json.dumps(PERIODS), PERIODS),  # a JSON or text column, a CSV cell
        ("  " + json.dumps(PERIODS) + "\n", PERIODS),
        (PERIODS, PERIODS),  # a Postgres jsonb column, a Parquet list, a JSON Lines record
        ("[{", "[{"),  # not JSON: sent as it is, the server names the field
        ('[{"timePeriodToAmount": {"2025-04": NaN}}]', '[{"timePeriodToAmount": {"2025-04": NaN}}]'),
        ('{"financialVersionType": "FORECAST"}', '{"financialVersionType": "FORECAST"}'),  # an object, not a list
        ("2025-04", "2025-04"),
    ],
)
def test_period_values_given_as_json_text_are_sent_as_json(client, requests_mock, given, sent):
    requests_mock.post(f"{API}/funds/cost-item/bulk", json=answer_all)
    report = import_fund_items(client, COST_ITEMS, [cost(1, costPeriodValues=given)])
    assert report.failed == []
    assert requests_mock.last_request.json()["items"][0]["costPeriodValues"] == sent


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ('{"key": "OPEX"}', {"key": "OPEX"}),  # the documented object, as JSON text
        ("OPEX", {"key": "OPEX"}),  # a plain key, as before
        ("[1]", {"key": "[1]"}),  # JSON, but no object: a key
    ],
)
def test_an_expenditure_type_given_as_json_text_is_sent_as_the_object(client, requests_mock, given, sent):
    requests_mock.post(f"{API}/funds/cost-item/bulk", json=answer_all)
    import_fund_items(client, COST_ITEMS, [cost(1, expenditureType=given)])
    assert requests_mock.last_request.json()["items"][0]["expenditureType"] == sent


def test_benefit_period_values_given_as_json_text_are_sent_as_json(client, requests_mock):
    requests_mock.post(
        f"{API}/funds/benefit-item/bulk", json={"results": [{"index": 0, "benefitItemId": "b-1"}], "errors": []}
    )
    items = [{"benefitItemExternalId": "B1", "benefitType": "REVENUE", "benefitPeriodValues": json.dumps(PERIODS)}]
    import_fund_items(client, BENEFIT_ITEMS, items)
    assert requests_mock.last_request.json()["items"][0] == {
        "benefitItemExternalId": "B1",
        "benefitTypeKey": "REVENUE",
        "benefitPeriodValues": PERIODS,
    }
