"""
One check of a record's values for the reader and the upsert: a file's record is checked once, by the reader
(whose message names the file and the line), and the upsert checks only what it was given as a list.
"""

from __future__ import annotations

from pathlib import Path

from airflow_provider_focus.services import _values, upsert
from airflow_provider_focus.services.records import BadRecord, read_records
from airflow_provider_focus.services.upsert import upsert_focus_areas
from tests.services.conftest import API, page, rec

HEADER = "externalId,name,focusAreaTypeId\n"


def test_a_csv_cell_longer_than_a_field_may_be_fails_in_the_reader_naming_the_line(tmp_path: Path):
    # 120,000 characters: under the csv module's own limit, over the one any record may hold; before, the CSV
    # reader let it through and the upsert failed it as "record 1: ..." without the file or the line
    path = tmp_path / "in.csv"
    path.write_text(HEADER + "A,a,t\nB," + "x" * 120_000 + ",t\n", encoding="utf-8")
    records = list(read_records(path))
    assert isinstance(records[1], BadRecord)
    assert str(records[1]) == f"{path} line 3: name is 120000 characters long, more than 100000"


def test_a_files_records_are_checked_once(tmp_path: Path, client, requests_mock, monkeypatch):
    path = tmp_path / "in.csv"
    path.write_text(HEADER + "".join(f"K{n},n{n},t\n" for n in range(5)), encoding="utf-8")
    seen: list[object] = []
    real = _values.value_problem

    def counting(record):  # a spy on the one check, to count how often a record goes through it
        seen.append(record)
        return real(record)

    monkeypatch.setattr("airflow_provider_focus.services.records.value_problem", counting)
    monkeypatch.setattr(upsert, "value_problem", counting)
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    report = upsert_focus_areas(client, read_records(path, key="externalId"), dry_run=True, max_in_flight=1)
    assert len(report.created) == 5
    assert len(seen) == 5  # the reader's check only (it was 10: the reader's, then the upsert's)
    seen.clear()
    report = upsert_focus_areas(client, [rec("L1"), rec("L2")], dry_run=True, max_in_flight=1)
    assert len(seen) == 2  # a list is checked by the upsert


def test_a_lone_surrogate_in_a_field_name_fails_the_record_it_was_sent_before(client, requests_mock):
    requests_mock.get(f"{API}/focus-areas", json=page([]))
    report = upsert_focus_areas(client, [{**rec("S"), "n\ud800": "x"}, rec("T")], dry_run=True, max_in_flight=1)
    assert report.created == ["T"]
    assert [entry.key for entry in report.failed] == ["S"]
    assert "the field name 'n\\ud800' holds a lone surrogate (U+D800 at character 2)" in report.failed[0].error


def test_a_column_passes_in_bulk_only_when_every_value_passes_the_check_per_field():
    # the Parquet reader skips the check per record for a batch whose columns all pass: a column that passes must
    # hold no value the check per record would refuse (the other way round, a column may be left to that check)
    long_text, surrogate = "x" * (_values.MAX_STRING_CHARS + 1), "a\udc80b"
    columns = {
        "text": (["a", None, "", "é", "\u4e2d"], True),
        "many short texts": (["y" * 60_000, "y" * 60_000], True),
        "a text too long": (["a", long_text], False),
        "a lone surrogate": (["a", surrogate], False),
        "integers and booleans": ([1, None, True, 0], True),
        "floats": ([1.5, 0.0, None, 2], True),
        "a NaN": ([1.0, float("nan")], False),
        "an infinity": ([float("-inf")], False),
        "lists": ([["a"], None], False),
        "text and numbers": (["a", 1], False),
        "nothing": ([None, None], True),
    }
    for name, (values, fine) in columns.items():
        assert _values.column_fine(values) is fine, name
        if fine:
            assert all(_values.value_problem({"field": value}) is None for value in values), name
        else:
            refused = [value for value in values if _values.value_problem({"field": value}) is not None]
            assert refused or name in {"lists", "text and numbers"}, name
