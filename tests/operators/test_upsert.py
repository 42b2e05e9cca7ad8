from __future__ import annotations

import json
import os

import pytest

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.operators.focus import FocusPartialFailure, FocusUpsertFocusAreasOperator
from tests.operators.conftest import API, focus_area, page

KEY = "externalId"
PARENT = "parentExternalId"


def rec(external_id, parent=None, **fields):
    record = {KEY: external_id, "name": fields.pop("name", external_id), "focusAreaTypeId": "fat-project", **fields}
    if parent is not None:
        record[PARENT] = parent
    return record


# --- execution against requests-mock ---------------------------------------------------------------------------


def existing(requests_mock, focus_areas):
    requests_mock.get(f"{API}/focus-areas", json=page(focus_areas))


def writes(requests_mock):
    return [
        (r.method, r.path.rsplit("/v1/", 1)[1], r.json()) for r in requests_mock.request_history if r.method != "GET"
    ]


def test_creates_missing_patches_only_differences_and_leaves_equal_alone(requests_mock, context):
    existing(
        requests_mock,
        [
            focus_area("fa-1", "SAME", name="SAME", description="d"),
            focus_area("fa-2", "DIFF", name="DIFF", description="old"),
        ],
    )
    requests_mock.post(f"{API}/focus-areas", json=focus_area("fa-3", "NEW", parentId="fa-1"), status_code=201)
    requests_mock.patch(f"{API}/focus-areas/fa-2", json=focus_area("fa-2", "DIFF", name="DIFF", description="new"))
    op = FocusUpsertFocusAreasOperator(
        task_id="upsert",
        records=[rec("SAME", description="d"), rec("DIFF", description="new"), rec("NEW", "SAME")],
        max_in_flight=1,  # the order of the writes below is the order of the records
    )
    report = op.execute(context)
    assert report == {
        "created": ["fa-3"],
        "updated": ["fa-2"],
        "unchanged": 1,
        "failed": [],
        "not_updatable": [],
        "counts": {"created": 1, "updated": 1, "unchanged": 1, "failed": 0, "not_updatable": 0},
    }
    assert writes(requests_mock) == [
        ("PATCH", "focus-areas/fa-2", {"description": "new"}),
        (
            "POST",
            "focus-areas",
            {"name": "NEW", "focusAreaTypeId": "fat-project", "externalId": "NEW", "parentId": "fa-1"},
        ),
    ]
    patch = next(r for r in requests_mock.request_history if r.method == "PATCH")
    assert patch.qs["updatemask"] == ["description"]


def test_blank_values_are_not_given_never_sent_on_create_nor_cleared_on_update(requests_mock, context):
    existing(requests_mock, [focus_area("fa-1", "OLD", name="OLD", description="keep", ownerAccountId="acc-1")])
    requests_mock.post(f"{API}/focus-areas", json=focus_area("fa-2", "NEW"), status_code=201)
    blanks = {"description": "", "ownerAccountId": "  ", "targetDate": None}
    op = FocusUpsertFocusAreasOperator(
        task_id="upsert", records=[rec("OLD", **blanks), rec("NEW", **blanks, parentExternalId=" ")]
    )
    report = op.execute(context)
    assert report == {
        "created": ["fa-2"],
        "updated": [],
        "unchanged": 1,
        "failed": [],
        "not_updatable": [],
        "counts": {"created": 1, "updated": 0, "unchanged": 1, "failed": 0, "not_updatable": 0},
    }
    assert writes(requests_mock) == [
        ("POST", "focus-areas", {"name": "NEW", "focusAreaTypeId": "fat-project", "externalId": "NEW"}),
    ]


def test_small_inputs_look_records_up_by_external_id(requests_mock, context):
    requests_mock.get(f"{API}/focus-areas", json=page([focus_area("fa-1", "A", name="A")]))
    op = FocusUpsertFocusAreasOperator(task_id="upsert", records=[rec("A")], scan_threshold=5)
    assert op.execute(context)["unchanged"] == 1
    assert "externalId=A" in requests_mock.request_history[0].url


def test_large_inputs_scan_once(requests_mock, context):
    existing(requests_mock, [focus_area(f"fa-{i}", f"K{i}", name=f"K{i}") for i in range(30)])
    op = FocusUpsertFocusAreasOperator(task_id="upsert", records=[rec(f"K{i}") for i in range(30)], scan_threshold=5)
    assert op.execute(context)["unchanged"] == 30
    assert requests_mock.call_count == 1
    assert "externalid" not in requests_mock.request_history[0].qs


def test_dry_run_writes_nothing_and_reports_the_same_shape(requests_mock, context):
    existing(requests_mock, [focus_area("fa-2", "DIFF", name="DIFF", description="old")])
    op = FocusUpsertFocusAreasOperator(
        task_id="upsert", records=[rec("DIFF", description="new"), rec("NEW", "DIFF")], dry_run=True
    )
    report = op.execute(context)
    assert report == {
        "created": ["NEW"],
        "updated": ["fa-2"],
        "unchanged": 0,
        "failed": [],
        "dry_run": True,
        "not_updatable": [],
        "counts": {"created": 1, "updated": 1, "unchanged": 0, "failed": 0, "not_updatable": 0},
    }
    assert writes(requests_mock) == []


def test_record_errors_are_reported_and_the_run_goes_on(requests_mock, context):
    existing(requests_mock, [])
    requests_mock.post(
        f"{API}/focus-areas",
        [
            {
                "status_code": 400,
                "json": {"errors": [{"type": "FORMAT_INVALID", "message": "Field [name] is invalid."}]},
            },
            {"status_code": 201, "json": focus_area("fa-7", "GOOD")},
        ],
    )
    op = FocusUpsertFocusAreasOperator(
        task_id="upsert",
        records=[rec("BAD"), rec("GOOD"), rec("ORPHAN", "NOWHERE"), rec("KID", "BAD")],
        max_in_flight=1,  # the mocked answers come in order: the first POST gets the 400
    )
    with pytest.raises(FocusPartialFailure, match="3 of 4") as raised:
        op.execute(context)
    report = raised.value.report
    assert report["created"] == ["fa-7"]
    failed = {entry["externalId"]: entry["error"] for entry in report["failed"]}
    assert "Field [name] is invalid" in failed["BAD"]
    assert "neither in the input nor in Focus" in failed["ORPHAN"]
    assert failed["KID"] == "its parent 'BAD' failed"
    assert context["ti"].pushed["report"] == report


def test_fail_on_error_false_returns_the_report(requests_mock, context):
    existing(requests_mock, [])
    op = FocusUpsertFocusAreasOperator(task_id="upsert", records=[{KEY: "X", "name": "no type"}], fail_on_error=False)
    report = op.execute(context)
    assert report["failed"][0]["externalId"] == "X"
    assert "focusAreaTypeId" in report["failed"][0]["error"]


def test_a_type_change_is_a_record_failure(requests_mock, context):
    existing(requests_mock, [focus_area("fa-1", "A", name="A", focusAreaTypeId="fat-program")])
    op = FocusUpsertFocusAreasOperator(task_id="upsert", records=[rec("A")], fail_on_error=False)
    assert "cannot change the type" in op.execute(context)["failed"][0]["error"]


def no_rate_limit_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Count a 429 as any failed attempt (the connection's extra ``rate_limit_budget`` 0), as these tests need."""
    conn = json.loads(os.environ["AIRFLOW_CONN_FOCUS_DEFAULT"])
    conn["extra"] = {**conn["extra"], "rate_limit_budget": 0}
    monkeypatch.setenv("AIRFLOW_CONN_FOCUS_DEFAULT", json.dumps(conn))


def test_rate_limit_after_all_retries_is_reported_without_losing_others(requests_mock, context, monkeypatch):
    no_rate_limit_budget(monkeypatch)
    existing(requests_mock, [])
    limited = {"status_code": 429, "headers": {"Retry-After": "0"}, "json": {"errors": [{"type": "RATE_LIMITED"}]}}
    requests_mock.post(
        f"{API}/focus-areas",
        [
            {"status_code": 201, "json": focus_area("fa-1", "A")},
            limited,
            {"status_code": 201, "json": focus_area("fa-3", "C")},
        ],
    )
    op = FocusUpsertFocusAreasOperator(
        task_id="upsert", records=[rec("A"), rec("B"), rec("C")], fail_on_error=False, max_in_flight=1
    )
    report = op.execute(context)
    assert report["created"] == ["fa-1", "fa-3"]
    assert [entry["externalId"] for entry in report["failed"]] == ["B"]
    assert "429" in report["failed"][0]["error"]


def test_repeated_rate_limits_give_up_on_the_rest_with_a_report(requests_mock, context, monkeypatch):
    no_rate_limit_budget(monkeypatch)
    existing(requests_mock, [])
    requests_mock.post(f"{API}/focus-areas", status_code=429, headers={"Retry-After": "0"}, json={})
    op = FocusUpsertFocusAreasOperator(
        task_id="upsert",
        records=[rec(k) for k in "ABCDE"],
        fail_on_error=False,
        max_consecutive_rate_limits=2,
        max_in_flight=1,  # "in a row" and the POST count are about writes sent one after the other
    )
    report = op.execute(context)
    assert len(report["failed"]) == 5
    assert sum(1 for r in requests_mock.request_history if r.method == "POST") == 2
    assert "not attempted" in report["failed"][-1]["error"]


def test_an_auth_error_stops_the_run_and_reports_every_record(requests_mock, context):
    existing(requests_mock, [])
    requests_mock.post(f"{API}/focus-areas", status_code=403, json={"errors": [{"type": "FORBIDDEN"}]})
    op = FocusUpsertFocusAreasOperator(task_id="upsert", records=[rec("A"), rec("B")], max_in_flight=1)
    with pytest.raises(FocusPartialFailure) as raised:
        op.execute(context)
    assert [e["externalId"] for e in raised.value.report["failed"]] == ["A", "B"]
    assert requests_mock.call_count == 2  # one scan, one POST


def test_records_from_json_lines_and_custom_keys(requests_mock, context, tmp_path):
    existing(requests_mock, [focus_area("fa-1", "P", name="P", focusAreaTypeId="fat-program")])
    requests_mock.post(f"{API}/focus-areas", json=focus_area("fa-2", "K"), status_code=201)
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"code": "K", "parent": "P", "name": "K", "focusAreaTypeId": "fat-project"}) + "\n\n")
    op = FocusUpsertFocusAreasOperator(task_id="upsert", input_path=str(path), key="code", parent_key="parent")
    assert op.execute(context)["created"] == ["fa-2"]
    (post,) = [request for request in requests_mock.request_history if request.method == "POST"]
    assert post.json()["parentId"] == "fa-1"
    assert post.json()["externalId"] == "K"


def test_read_only_fields_of_an_export_are_ignored(requests_mock, context):
    exported = focus_area("fa-1", "A", name="A", ancestors=[], createdAt="t", updatedAt="t")
    existing(requests_mock, [focus_area("fa-1", "A", name="A")])
    op = FocusUpsertFocusAreasOperator(task_id="upsert", records=[exported])
    assert op.execute(context)["unchanged"] == 1


def test_records_template_renders_from_jinja(context):
    op = FocusUpsertFocusAreasOperator(task_id="upsert", records="{{ params.records }}", focus_conn_id="{{ params.c }}")
    op.render_template_fields({**context, "params": {"records": [rec("A")], "c": "other"}})
    assert op.focus_conn_id == "other"
    assert json.loads(op.records.replace("'", '"')) == [rec("A")]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one"),
        ({"records": [], "input_path": "x"}, "exactly one"),
        ({"records": {"a": 1}}, "list of dicts"),
        ({"records": [], "key": "a", "parent_key": "a"}, "different"),
        ({"records": [], "scan_threshold": 0}, "scan_threshold"),
    ],
)
def test_arguments_are_validated_in_init(kwargs, message):
    with pytest.raises(FocusConfigError, match=message):
        FocusUpsertFocusAreasOperator(task_id="upsert", **kwargs)


def test_records_from_csv_by_extension_with_empty_cells_not_given(requests_mock, context, tmp_path):
    existing(requests_mock, [focus_area("fa-1", "P", name="P", focusAreaTypeId="fat-program", description="keep")])
    requests_mock.post(f"{API}/focus-areas", json=focus_area("fa-2", "K"), status_code=201)
    path = tmp_path / "in.csv"
    path.write_text(
        "\ufeffexternalId,parentExternalId,name,focusAreaTypeId,description\nP,,P,fat-program,\nK,P,Kid,fat-project,\n",
        encoding="utf-8",
    )
    op = FocusUpsertFocusAreasOperator(task_id="upsert", input_path=f"file://{path}", max_in_flight=1)
    assert op.execute(context) == {
        "created": ["fa-2"],
        "updated": [],
        "unchanged": 1,
        "failed": [],
        "not_updatable": [],
        "counts": {"created": 1, "updated": 0, "unchanged": 1, "failed": 0, "not_updatable": 0},
    }
    assert writes(requests_mock) == [
        (
            "POST",
            "focus-areas",
            {"name": "Kid", "focusAreaTypeId": "fat-project", "externalId": "K", "parentId": "fa-1"},
        )
    ]


def test_csv_by_format_argument_and_an_unknown_extension_names_the_formats(requests_mock, context, tmp_path):
    existing(requests_mock, [focus_area("fa-1", "A", name="A")])
    path = tmp_path / "export.txt"
    path.write_text("externalId,name,focusAreaTypeId\nA,A,fat-project\n")
    op = FocusUpsertFocusAreasOperator(task_id="upsert", input_path=str(path), format="csv")
    assert op.execute(context)["unchanged"] == 1
    with pytest.raises(FocusConfigError, match=r"accepted: jsonl \(\.jsonl, \.ndjson\); csv \(\.csv\); parquet"):
        FocusUpsertFocusAreasOperator(task_id="upsert", input_path=str(path))
    templated = FocusUpsertFocusAreasOperator(task_id="upsert", input_path="{{ params.path }}")
    templated.render_template_fields({**context, "params": {"path": str(path)}})
    with pytest.raises(FocusConfigError, match="pass format='jsonl', format='csv' or format='parquet'"):
        templated.execute(context)
    with pytest.raises(FocusConfigError, match="format='xlsx' is not an input format"):
        FocusUpsertFocusAreasOperator(task_id="upsert", input_path=str(path), format="xlsx")


def test_a_literal_json_string_of_records_is_accepted(requests_mock, context):
    existing(requests_mock, [focus_area("fa-1", "A", name="A")])
    op = FocusUpsertFocusAreasOperator(task_id="upsert", records=json.dumps([rec("A")]))
    assert op.execute(context)["unchanged"] == 1
