"""
Reading batch input: JSON Lines or CSV, one record at a time, as data teams really have them.

Files are written in the encodings, delimiters and shapes spreadsheets export; every problem names the file, the
line and the fix, and a bad line is a :class:`BadRecord` (a failed record of the report), never an abort.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path

import pytest

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.services.records import (
    MAX_LINE_CHARS,
    MAX_STRING_CHARS,
    BadRecord,
    format_of,
    iter_records,
    read_records,
    record_problem,
    records_of,
    sniff_delimiter,
)

HEADER = "externalId,name,focusAreaTypeId\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def bad(items: list) -> list[BadRecord]:
    return [item for item in items if isinstance(item, BadRecord)]


def good(items: list) -> list[dict]:
    return [item for item in items if isinstance(item, dict)]


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
    with pytest.raises(FocusConfigError, match=r"accepted: jsonl \(\.jsonl, \.ndjson\); csv \(\.csv\); parquet"):
        format_of("export.xlsx")
    with pytest.raises(FocusConfigError, match="format='xml' is not an input format; accepted: jsonl"):
        format_of("in.csv", "xml")


def test_csv_header_names_fields_and_empty_cells_are_not_given():
    text = "externalId,name,description\nA,Alpha,\nB,,Beta text\n,,\n"
    records = list(iter_records(io.StringIO(text, newline=""), format="csv", source="in.csv"))
    assert records == [{"externalId": "A", "name": "Alpha"}, {"externalId": "B", "description": "Beta text"}]


def test_a_row_too_long_is_a_bad_record_and_the_rest_is_read():
    text = 'externalId,description\nA,"two\nlines"\nB,x,extra\nC,c\n'
    records = list(iter_records(io.StringIO(text, newline=""), format="csv", source="in.csv"))
    assert records[0] == {"externalId": "A", "description": "two\nlines"}
    assert str(records[1]).startswith("in.csv line 4: the row has 3 cells, the header names 2")
    assert "Quote the cell" in str(records[1])
    assert records[2] == {"externalId": "C", "description": "c"}


def test_a_line_that_is_no_object_is_a_bad_record_naming_the_line():
    records = list(iter_records(io.StringIO('{"a": 1}\n\n[1]\n{"b": 2}\n'), format="jsonl", source="in.jsonl"))
    assert records[0] == {"a": 1}
    assert str(records[1]) == "in.jsonl line 3: a JSON array, not an object: each line must be one record"
    assert records[2] == {"b": 2}


def test_records_argument_may_be_a_json_string():
    assert records_of('[{"a": 1}]', name="records") == [{"a": 1}]
    with pytest.raises(FocusConfigError, match="records must be a list of dicts, got dict"):
        records_of({"a": 1}, name="records")


# --- the files: Excel's BOM, Latin-1, ';' and tab ----------------------------------------------------------


def test_excel_csv_utf8_with_a_byte_order_mark_reads_the_key(tmp_path):
    path = write(tmp_path, "plan.csv", "\ufeffexternalId,name\nA,Ärger\n".encode())
    expected = [{"externalId": "A", "name": "Ärger"}]
    assert list(read_records(path)) == expected  # a path
    with path.open("rb") as handle:  # a binary handle
        assert list(read_records(handle, format="csv")) == expected
    with path.open(newline="", encoding="utf-8") as handle:  # the text handle the docs used to show
        assert list(iter_records(handle, format="csv", source=str(path))) == expected
    assert list(read_records(path, encoding="utf-8")) == expected  # the BOM is stripped whatever the UTF-8 name


def test_latin1_without_encoding_names_file_line_byte_and_fix_and_reads_on(tmp_path):
    path = write(
        tmp_path, "plan.csv", (HEADER + "A,Ok,fat-project\nB,Caf\xe9,fat-project\nC,Ok,fat-project\n").encode("latin-1")
    )
    records = list(read_records(path))
    (failure,) = bad(records)
    assert str(failure) == (
        f"{path} line 3: column 'name': byte 0xE9 at character 4 is not UTF-8. The file is in another encoding: "
        "pass encoding='cp1252' (Excel on Windows) or encoding='latin-1'."
    )
    assert [record["externalId"] for record in good(records)] == ["A", "C"]
    assert good(list(read_records(path, encoding="latin-1")))[1]["name"] == "Café"


def test_a_caller_opened_text_handle_that_cannot_decode_gives_a_focus_error(tmp_path):
    path = write(tmp_path, "plan.csv", (HEADER + "B,Caf\xe9,fat-project\n").encode("latin-1"))
    with path.open(newline="", encoding="utf-8") as handle, pytest.raises(FocusConfigError) as caught:
        list(iter_records(handle, format="csv", source="plan.csv"))
    assert "byte 0xE9 is not utf-8" in str(caught.value)
    assert "encoding='cp1252'" in str(caught.value)


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_the_delimiter_is_sniffed_from_the_header(tmp_path, delimiter):
    text = f"externalId{delimiter}name{delimiter}budget\nA{delimiter}Alpha, Inc.{delimiter}1,5\n"
    path = write(tmp_path, "plan.csv", text.encode())
    assert list(read_records(path, key="externalId")) == [{"externalId": "A", "name": "Alpha, Inc.", "budget": "1,5"}]
    assert sniff_delimiter('"a,b";c;d') == ";"


def test_a_wrong_delimiter_given_names_the_header_found_and_the_fix(tmp_path):
    path = write(tmp_path, "plan.csv", b"externalId;name\nA;Alpha\n")
    with pytest.raises(FocusConfigError) as caught:
        list(read_records(path, delimiter=",", key="externalId"))
    assert str(caught.value) == (
        f"{path} line 1: the CSV header has no column 'externalId', which every record needs (found "
        "'externalId;name'). The cells look ';'-delimited: pass delimiter=';' (not ',')."
    )


def test_a_header_without_the_key_names_what_it_found(tmp_path):
    path = write(tmp_path, "plan.csv", b"External_ID,name\nA,Alpha\n")
    with pytest.raises(FocusConfigError, match=r"line 1: the CSV header has no column 'externalId'") as caught:
        list(read_records(path, key="externalId"))
    assert "found 'External_ID', 'name'" in str(caught.value)
    assert "Did you mean key='External_ID'?" in str(caught.value)
    other = write(tmp_path, "other.csv", b"code,name\nA,Alpha\n")
    with pytest.raises(FocusConfigError, match="pass key= naming the column"):
        list(read_records(other, key="externalId"))


def test_header_columns_without_a_name_or_named_twice_are_refused(tmp_path):
    with pytest.raises(FocusConfigError, match="line 1: column 3 of the CSV header has no name"):
        list(read_records(write(tmp_path, "a.csv", b"externalId,name,\nA,b,c\n")))
    with pytest.raises(FocusConfigError, match="line 1: the CSV header names 'name' twice"):
        list(read_records(write(tmp_path, "b.csv", b"externalId,name,name\nA,b,c\n")))


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("plan.jsonl", HEADER.encode() + b"A,b,c\n", r"line 1 is not JSON but looks like a CSV header.*format='csv'"),
        ("plan.csv", b'{"externalId": "A"}\n', r"line 1 is not a CSV header but a JSON object.*format='jsonl'"),
        ("plan.csv", b"PK\x03\x04\x14\x00\x06\x00", r"is not text but a ZIP archive \(an Excel \.xlsx workbook\?\)"),
        ("plan.jsonl", b"\x1f\x8b\x08\x00", "is not text but gzip-compressed: decompress it first"),
        ("plan.csv", "externalId\nA\n".encode("utf-16"), "UTF-16 byte-order mark.*pass encoding='utf-16'"),
        ("plan.csv", b"\xd0\xcf\x11\xe0\xa1\xb1", r"an Excel 97-2003 \.xls workbook"),
    ],
)
def test_a_file_that_is_not_the_format_its_extension_claims(tmp_path, name, data, message):
    path = write(tmp_path, name, data)
    with pytest.raises(FocusConfigError, match=message) as caught:
        list(read_records(path))
    assert str(path) in str(caught.value)


def test_utf16_reads_with_its_encoding(tmp_path):
    path = write(tmp_path, "plan.csv", "externalId\tname\nA\tÄ\n".encode("utf-16"))
    assert list(read_records(path, encoding="utf-16")) == [{"externalId": "A", "name": "Ä"}]


BOM = codecs.BOM_UTF8


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "iso8859-15"])
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("plan.csv", BOM + "externalId;name\nA;Café\n".encode()),
        ("plan.jsonl", BOM + '{"externalId": "A", "name": "Café"}\n{"externalId": "B", "name": "Crème"}\n'.encode()),
    ],
    ids=["csv", "jsonl"],
)
def test_a_utf8_file_given_a_single_byte_encoding_is_refused_before_its_letters_are_garbled(
    tmp_path, name, data, encoding
):
    # Excel's "CSV UTF-8" starts with a byte-order mark; read as Latin-1, "Café" became "CafÃ©" (the JSON Lines
    # file's first line failed and the second was read garbled; the CSV header's first column was "ï»¿externalId")
    path = write(tmp_path, name, data)

    with pytest.raises(FocusConfigError) as caught:
        list(read_records(path, encoding=encoding, key="externalId"))

    message = str(caught.value)
    assert message.startswith(f"{path} starts with a UTF-8 byte-order mark")
    assert "Ã©" in message
    assert "Leave encoding= unset" in message


def test_a_utf8_file_opened_by_the_caller_as_latin1_is_refused_with_how_to_open_it(tmp_path):
    path = write(tmp_path, "plan.csv", BOM + "externalId\nCafé\n".encode())

    with path.open(encoding="latin-1", newline="") as handle, pytest.raises(FocusConfigError) as caught:
        list(read_records(handle, format="csv", name="plan.csv"))

    assert "open it with encoding='utf-8-sig'" in str(caught.value)


def test_a_latin1_file_is_still_read_with_its_encoding(tmp_path):
    path = write(tmp_path, "plan.csv", "externalId;name\nÏ-1;Café\n".encode("latin-1"))
    assert list(read_records(path, encoding="latin-1")) == [{"externalId": "Ï-1", "name": "Café"}]


def test_arguments_that_cannot_work_are_refused_at_once(tmp_path):
    with pytest.raises(FocusConfigError, match="encoding='utf-9' is not a known encoding; try 'utf-8', 'cp1252'"):
        read_records(tmp_path / "a.csv", encoding="utf-9")
    with pytest.raises(FocusConfigError, match="delimiter=';;' must be one character"):
        read_records(tmp_path / "a.csv", delimiter=";;")
    with pytest.raises(FocusConfigError, match="An open file has no name to tell its format by"):
        read_records(io.BytesIO(b""))
    with pytest.raises(FocusConfigError, match=r"is a URL: pass ObjectStoragePath\('s3://b/a.csv'"):
        read_records("s3://b/a.csv")
    with pytest.raises(FocusConfigError, match="Cannot open"):
        list(read_records(tmp_path / "missing.csv"))


def test_a_handle_passed_in_stays_open(tmp_path):
    path = write(tmp_path, "plan.jsonl", b'{"a": 1}\n')
    with path.open("rb") as handle:
        assert list(read_records(handle)) == [{"a": 1}]
        assert not handle.closed


# --- issue 20: every bad line is a failed record, the rest of the file is read ------------------------------------


def test_a_latin1_line_after_2000_good_ones_fails_alone(tmp_path):
    lines = [json.dumps({"externalId": f"E{n}", "name": f"n{n}"}) for n in range(2000)]
    data = "\n".join(lines).encode() + b'\n{"externalId": "L", "name": "Caf\xe9"}\n' + lines[0].encode() + b"\n"
    records = list(read_records(write(tmp_path, "big.jsonl", data)))
    assert len(records) == 2002
    (failure,) = bad(records)
    assert failure.line == 2001
    assert "byte 0xE9 at character 33 is not UTF-8" in failure.reason
    assert "encoding='cp1252'" in failure.reason


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"a": ' * 5000 + "1" + "}" * 5000, "the JSON is nested too deeply to read"),
        ('{"a": ' * 300 + "1" + "}" * 300, "is nested more than 200 levels deep"),
        ('{"externalId": "X", "budget": NaN}', "NaN is not JSON (write null, or leave the field out)"),
        ('{"externalId": "X", "budget": Infinity}', "Infinity is not JSON"),
        ('{"externalId": "\\ud800x"}', "externalId holds a lone surrogate (U+D800 at character 1)"),
        ('{"\\udfff": 1}', "the field name '\\udfff' holds a lone surrogate"),
        (
            '{"externalId": "X", "name": "' + "x" * (MAX_STRING_CHARS + 1) + '"}',
            "name is 100001 characters long, more than 100000",
        ),
        ('{"externalId": "X",', "not valid JSON (character 20): Expecting property name"),
        ('"just text"', "a JSON string, not an object"),
    ],
)
def test_bad_json_lines_are_bad_records(line, reason):
    source = io.BytesIO(f'{{"externalId": "A"}}\n{line}\n{{"externalId": "B"}}\n'.encode())
    records = list(read_records(source, format="jsonl", name="in.jsonl"))
    assert records[0] == {"externalId": "A"}
    assert records[2] == {"externalId": "B"}
    assert isinstance(records[1], BadRecord)
    assert records[1].line == 2
    assert reason in str(records[1])


def test_a_line_too_long_is_skipped_in_chunks(tmp_path):
    data = b'{"externalId": "A"}\n{"x": "' + b"y" * (MAX_LINE_CHARS + 10) + b'"}\n{"externalId": "B"}\n'
    records = list(read_records(write(tmp_path, "in.jsonl", data)))
    assert [str(item) for item in bad(records)] == [
        f"{tmp_path / 'in.jsonl'} line 2: the line is longer than {MAX_LINE_CHARS:,} characters; it was skipped"
    ]
    assert good(records) == [{"externalId": "A"}, {"externalId": "B"}]


def test_a_200_kb_csv_cell_fails_its_row_only(tmp_path):
    data = HEADER + "A,a,t\nB," + "x" * 200_000 + ",t\nC,c,t\n"
    records = list(read_records(write(tmp_path, "in.csv", data.encode())))
    (failure,) = bad(records)
    assert failure.line == 3
    assert f"a cell is larger than {csv.field_size_limit():,} characters" in failure.reason
    assert [record["externalId"] for record in good(records)] == ["A", "C"]


def test_record_problem_finds_what_json_cannot_carry():
    assert record_problem({"a": 1, "b": [1, {"c": "d"}]}) is None
    assert record_problem({1: "x"}) == "it has a field named 1 (int); field names must be strings"
    assert "nan" in (record_problem({"a": float("nan")}) or "")
    assert "lone surrogate" in (record_problem({"a": ["ok", "\udc80"]}) or "")
    assert "is a set" in (record_problem({"a": {1}}) or "")
