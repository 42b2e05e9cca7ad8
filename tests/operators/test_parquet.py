"""Parquet in and out (the ``parquet`` extra): read by row group into the upsert, focus areas exported typed."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import sys
import tracemalloc

import pytest

pyarrow = pytest.importorskip("pyarrow", reason="the parquet extra (pyarrow) is not installed")
import pyarrow.parquet as pq  # noqa: E402

from airflow_provider_focus.exceptions import FocusConfigError  # noqa: E402
from airflow_provider_focus.operators.focus_areas import FocusListFocusAreasOperator  # noqa: E402
from airflow_provider_focus.operators.organizations import FocusListOrganizationsOperator  # noqa: E402
from airflow_provider_focus.operators.upsert import FocusUpsertFocusAreasOperator  # noqa: E402
from airflow_provider_focus.services.columns import COLUMN_NAMES  # noqa: E402
from airflow_provider_focus.services.records import BadRecord, read_records  # noqa: E402


def plans_table(count: int, **extra: list) -> pyarrow.Table:
    columns = {
        "externalId": [f"PQ-{n}" for n in range(count)],
        "name": [f"Parquet {n}" for n in range(count)],
        "focusAreaTypeId": ["fat-strategy"] * count,
        "description": [None if n % 2 else f"d{n}" for n in range(count)],
        **extra,
    }
    return pyarrow.table(columns)


def test_rows_are_read_by_row_group_nulls_left_out_and_values_made_json(tmp_path):
    path = tmp_path / "plans.parquet"
    due = [dt.datetime(2025, 1, n + 1, tzinfo=dt.timezone.utc) for n in range(5)]
    table = plans_table(5, due=due, budget=[decimal.Decimal("1.50")] * 4 + [decimal.Decimal("2")])
    pq.write_table(table, path, row_group_size=2)
    assert pq.ParquetFile(path).num_row_groups == 3
    records = list(read_records(path, key="externalId"))
    assert records[0] == {
        "externalId": "PQ-0",
        "name": "Parquet 0",
        "focusAreaTypeId": "fat-strategy",
        "description": "d0",
        "due": "2025-01-01T00:00:00+00:00",
        "budget": 1.5,
    }
    assert "description" not in records[1]
    assert records[4]["budget"] == 2


def test_a_row_that_cannot_be_a_record_fails_alone_naming_the_row(tmp_path):
    path = tmp_path / "plans.parquet"
    pq.write_table(plans_table(3, score=[1.0, float("nan"), 2.0]), path)
    records = list(read_records(path))
    assert [type(item) for item in records] == [dict, BadRecord, dict]
    assert str(records[1]) == f"{path} row 2: score is nan, which JSON cannot hold"


def test_a_file_that_is_not_parquet_or_lacks_the_key_is_refused(tmp_path):
    fake = tmp_path / "plans.parquet"
    fake.write_text("externalId,name\nA,a\n")
    with pytest.raises(FocusConfigError, match=r"is not a Parquet file .*pass format='jsonl' or format='csv'"):
        list(read_records(fake))
    path = tmp_path / "other.parquet"
    pq.write_table(pyarrow.table({"code": ["A"]}), path)
    with pytest.raises(FocusConfigError, match=r"has no column 'externalId'.*found 'code'"):
        list(read_records(path, key="externalId"))
    named_csv = tmp_path / "plans.csv"
    named_csv.write_bytes(path.read_bytes())
    with pytest.raises(FocusConfigError, match=r"is not text but a Parquet file: .*format='parquet'"):
        list(read_records(named_csv))


def test_without_pyarrow_the_message_names_the_extra(tmp_path, monkeypatch):
    path = tmp_path / "plans.parquet"
    pq.write_table(plans_table(1), path)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(FocusConfigError, match=r"pip install 'airflow-provider-focus\[parquet\]'"):
        list(read_records(path))


def test_the_upsert_operator_reads_parquet_and_a_second_run_writes_nothing(
    focus_emulator, focus_conn, context, tmp_path
):
    path = tmp_path / "plans.parquet"
    pq.write_table(plans_table(250), path, row_group_size=100)
    op = FocusUpsertFocusAreasOperator(task_id="upsert", input_path=f"file://{path}", focus_conn_id=focus_conn)
    assert len(op.execute(context)["created"]) == 250
    again = op.execute(context)
    assert (again["created"], again["updated"], again["unchanged"]) == ([], [], 250)


def test_focus_areas_export_to_parquet_with_the_documented_typed_columns(focus_emulator, focus_conn, context, tmp_path):
    target = tmp_path / "out" / "focus_areas.parquet"
    op = FocusListFocusAreasOperator(task_id="export", output_path=str(target), focus_conn_id=focus_conn)
    result = op.execute(context)
    table = pq.read_table(target)
    assert table.schema.names == list(COLUMN_NAMES)
    assert str(table.schema.field("updated_at").type) == "timestamp[ms, tz=UTC]"
    assert str(table.schema.field("draft").type) == "bool"
    assert result["count"] == table.num_rows == len(focus_emulator.store.focus_areas())
    first = table.slice(0, 1).to_pylist()[0]
    assert first["created_at"] == dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.timezone.utc)
    assert list(tmp_path.joinpath("out").iterdir()) == [target]  # no temporary file left

    as_format = FocusListFocusAreasOperator(
        task_id="export", output_path=str(tmp_path / "x.data"), format="parquet", focus_conn_id=focus_conn
    )
    as_format.execute(context)
    assert pq.read_table(tmp_path / "x.data").num_rows == table.num_rows


def test_parquet_export_is_for_focus_areas_only():
    with pytest.raises(FocusConfigError, match="Parquet export is for focus areas"):
        FocusListOrganizationsOperator(task_id="orgs", output_path="/tmp/o.parquet", format="parquet")
    with pytest.raises(FocusConfigError, match="format='csv' is not an output format"):
        FocusListFocusAreasOperator(task_id="fa", output_path="/tmp/o.csv", format="csv")


def _peak_reading(path, handle: bool) -> int:
    tracemalloc.start()
    try:
        if handle:
            with open(path, "rb") as binary:
                assert sum(1 for _ in read_records(binary, format="parquet", key="externalId")) > 0
        else:
            assert sum(1 for _ in read_records(path, key="externalId")) > 0
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("handle", [False, True], ids=["path", "open file"])
def test_a_file_of_many_row_groups_is_read_in_the_memory_of_one(tmp_path, handle):
    # pyarrow pre-buffers every row group's chunks by default: from a Python file, 20 row groups took 20 times the
    # memory of one (the whole file, as bytes); read as the batches need them, memory stays that of one row group
    noise = [os.urandom(24).hex() for _ in range(2_000)]  # text that does not compress: the file is ~20 x 100 kB
    one, many = tmp_path / "one.parquet", tmp_path / "many.parquet"
    pq.write_table(plans_table(2_000, note=noise), one, row_group_size=2_000)
    pq.write_table(pyarrow.concat_tables([plans_table(2_000, note=noise)] * 20), many, row_group_size=2_000)
    assert pq.ParquetFile(many).num_row_groups == 20
    grown = _peak_reading(many, handle) - _peak_reading(one, handle)
    assert grown < many.stat().st_size / 4, f"{grown:,} bytes more for 20 row groups than for one"


def test_a_row_that_cannot_be_a_record_in_a_later_batch_fails_alone(tmp_path):
    # the values are checked a column at a time, a batch at a time: a bad value sends its batch to the check per
    # record, and only its row fails
    path = tmp_path / "plans.parquet"
    scores = [1.0] * 3000
    scores[2500] = float("inf")
    pq.write_table(plans_table(3000, score=scores, tags=[None] * 2999 + [["a"]]), path, row_group_size=1000)
    records = list(read_records(path))
    bad = [(n, str(item)) for n, item in enumerate(records) if isinstance(item, BadRecord)]
    assert bad == [(2500, f"{path} row 2501: score is inf, which JSON cannot hold")]
    assert records[2999]["tags"] == ["a"]
    assert records[0] == {
        "externalId": "PQ-0",
        "name": "Parquet 0",
        "focusAreaTypeId": "fat-strategy",
        "description": "d0",
        "score": 1.0,
    }
