"""The file operators read files as spreadsheets export them: encoding=, delimiter=, errors naming the fix."""

from __future__ import annotations

import pytest

from airflow_provider_focus.exceptions import FocusConfigError, FocusPartialFailure
from airflow_provider_focus.operators.funds import FocusImportCostItemsOperator
from airflow_provider_focus.operators.upsert import FocusUpsertFocusAreasOperator

EXCEL_WINDOWS = "externalId;name;focusAreaTypeId\nIF-1;Café;fat-project\nIF-2;Crème;fat-project\n".encode("cp1252")


def test_a_cp1252_semicolon_csv_is_read_with_encoding(focus_conn, context, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_bytes(EXCEL_WINDOWS)
    op = FocusUpsertFocusAreasOperator(
        task_id="upsert", input_path=str(path), encoding="cp1252", focus_conn_id=focus_conn
    )
    report = op.execute(context)
    assert len(report["created"]) == 2
    assert report["failed"] == []


def test_without_encoding_each_row_fails_with_file_line_and_fix(focus_conn, context, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_bytes(EXCEL_WINDOWS)
    op = FocusUpsertFocusAreasOperator(task_id="upsert", input_path=str(path), focus_conn_id=focus_conn)
    with pytest.raises(FocusPartialFailure) as caught:
        op.execute(context)
    failed = context["ti"].pushed["report"]["failed"]
    assert [entry["index"] for entry in failed] == [0, 1]
    assert failed[0]["error"] == (
        f"{path} line 2: column 'name': byte 0xE9 at character 4 is not UTF-8. The file is in another encoding: "
        "pass encoding='cp1252' (Excel on Windows) or encoding='latin-1'."
    )
    assert "2 of 2 focus area records failed" in str(caught.value)


def test_a_wrong_delimiter_fails_the_task_before_anything_is_sent(focus_conn, context, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_bytes(EXCEL_WINDOWS)
    op = FocusUpsertFocusAreasOperator(
        task_id="upsert", input_path=str(path), encoding="cp1252", delimiter=",", focus_conn_id=focus_conn
    )
    with pytest.raises(FocusConfigError, match="The cells look ';'-delimited: pass delimiter=';'"):
        op.execute(context)


def test_the_fund_operators_take_encoding_and_delimiter(focus_conn, context, tmp_path):
    path = tmp_path / "costs.txt"
    path.write_bytes(
        "costItemExternalId|focusAreaExternalId|name|costType\nIC-1|STRAT-001|Café|LABOR\n".encode("latin-1")
    )
    op = FocusImportCostItemsOperator(
        task_id="costs", input_path=str(path), format="csv", encoding="latin-1", delimiter="|", focus_conn_id=focus_conn
    )
    assert len(op.execute(context)["created"]) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"encoding": "klingon"}, "not a known encoding"), ({"delimiter": "ab"}, "one character")]
)
def test_encoding_and_delimiter_are_checked_at_parse_time(kwargs, message):
    with pytest.raises(FocusConfigError, match=message):
        FocusUpsertFocusAreasOperator(task_id="upsert", input_path="plan.csv", **kwargs)


@pytest.mark.parametrize("name", ["plan.csv", "plan.parquet"])
def test_read_records_takes_an_object_storage_path_as_the_operators_do(tmp_path, name):
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    from airflow_provider_focus.services.records import read_records

    path = tmp_path / name
    if name.endswith(".csv"):
        path.write_bytes(EXCEL_WINDOWS)
    else:
        pq = pytest.importorskip("pyarrow.parquet", reason="the parquet extra (pyarrow) is not installed")
        import pyarrow

        pq.write_table(pyarrow.table({"externalId": ["IF-1"], "name": ["Café"]}), path)
    records = list(read_records(ObjectStoragePath(f"file://{path}"), encoding="cp1252"))
    assert records[0]["externalId"] == "IF-1"
    assert records[0]["name"] == "Café"
