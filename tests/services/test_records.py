"""Reading batch input: JSON Lines or CSV, one record at a time."""

from __future__ import annotations

import io

import pytest

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.services.records import format_of, iter_records, records_of


@pytest.mark.parametrize(
    ("path", "format", "expected"),
    [
        ("in.jsonl", None, "jsonl"),
        ("s3://bucket/in.NDJSON", None, "jsonl"),
        ("in.csv", None, "csv"),
        ("in.txt", "csv", "csv"),
        ("in.csv", "JSON-Lines", "jsonl"),
    ],
)
def test_the_format_comes_from_the_argument_or_the_extension(path, format, expected):
    assert format_of(path, format) == expected


def test_an_unknown_format_names_the_accepted_ones():
    with pytest.raises(FocusConfigError, match=r"accepted: jsonl \(\.jsonl, \.ndjson\); csv \(\.csv\)"):
        format_of("export.xlsx")
    with pytest.raises(FocusConfigError, match="format='parquet' is not an input format; accepted: jsonl"):
        format_of("in.csv", "parquet")


def test_csv_header_names_fields_and_empty_cells_are_not_given():
    text = "externalId,name,description\nA,Alpha,\nB,,Beta text\n,,\n"
    records = list(iter_records(io.StringIO(text, newline=""), format="csv", source="in.csv"))
    assert records == [{"externalId": "A", "name": "Alpha"}, {"externalId": "B", "description": "Beta text"}]


def test_csv_with_quoted_line_breaks_and_a_row_too_long():
    text = 'externalId,description\nA,"two\nlines"\nB,x,extra\n'
    reader = iter_records(io.StringIO(text, newline=""), format="csv", source="in.csv")
    assert next(reader) == {"externalId": "A", "description": "two\nlines"}
    with pytest.raises(FocusConfigError, match=r"in\.csv line 4 has more cells than the header names"):
        next(reader)


def test_json_lines_are_read_lazily_and_a_bad_line_is_named():
    reader = iter_records(io.StringIO('{"a": 1}\n\n[1]\n'), format="jsonl", source="in.jsonl")
    assert next(reader) == {"a": 1}
    with pytest.raises(FocusConfigError, match=r"in\.jsonl line 3 is not a JSON object"):
        next(reader)


def test_records_argument_may_be_a_json_string():
    assert records_of('[{"a": 1}]', name="records") == [{"a": 1}]
    with pytest.raises(FocusConfigError, match="records must be a list of dicts, got dict"):
        records_of({"a": 1}, name="records")
