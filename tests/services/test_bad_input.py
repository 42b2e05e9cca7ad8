"""
Bad input never aborts a run (issue 20): each bad line or record is a failed record naming the file, the line and
the reason; the rest is applied; nothing but a ``FocusError`` comes out of the readers and the upsert.

The upsert runs against the emulator (a real HTTP server), so a value that cannot travel would fail for real.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_focus.exceptions import FocusError
from airflow_provider_focus.services import import_fund_items, read_records, upsert_focus_areas
from airflow_provider_focus.services.fund_imports import COST_ITEMS
from airflow_provider_focus.services.records import BadRecord


def line(external_id: str, **fields: Any) -> bytes:
    record = {"externalId": external_id, "name": f"Bad input {external_id}", "focusAreaTypeId": "fat-project"}
    return json.dumps({**record, **fields}).encode() + b"\n"


def test_bad_lines_are_failed_records_the_rest_is_applied_and_a_second_run_writes_nothing(emulator_client, tmp_path):
    data = b"".join(
        [
            line("BI-1", focusAreaTypeId="fat-program"),
            b'{"externalId": "BI-L", "name": "Caf\xe9", "focusAreaTypeId": "fat-project"}\n',  # Latin-1
            line("BI-2"),
            b'{"a": ' * 2000 + b"1" + b"}" * 2000 + b"\n",  # deeper than json can read
            b'{"externalId": "BI-N", "name": "n", "focusAreaTypeId": "fat-project", "x": NaN}\n',
            b'{"externalId": "BI-\\ud800", "name": "s", "focusAreaTypeId": "fat-project"}\n',  # a lone surrogate
            b"not json\n",
            line("BI-3", parentExternalId="BI-1"),
        ]
    )
    path = tmp_path / "plan.jsonl"
    path.write_bytes(data)
    report = upsert_focus_areas(emulator_client, read_records(path), max_in_flight=2)
    assert len(report.created) == 3
    failures = {entry.index: entry.error for entry in report.failed}
    assert sorted(failures) == [1, 3, 4, 5, 6]
    assert failures[1].startswith(f"{path} line 2: byte 0xE9 at character 36 is not UTF-8")
    assert failures[3] == f"{path} line 4: the JSON is nested too deeply to read"
    assert failures[4] == f"{path} line 5: NaN is not JSON (write null, or leave the field out)"
    assert failures[5].startswith(f"{path} line 6: externalId holds a lone surrogate (U+D800")
    assert failures[6].startswith(f"{path} line 7: not valid JSON (character 1)")
    assert all(entry.key is None for entry in report.failed)
    json.dumps(report.as_dict())  # the report can go to XCom

    again = upsert_focus_areas(emulator_client, read_records(path), max_in_flight=2)
    assert (again.created, again.updated, again.unchanged, len(again.failed)) == ([], [], 3, 5)


def test_records_given_as_a_list_fail_one_by_one(emulator_client):
    records: list[Any] = [
        {"externalId": "BL-1", "name": "ok", "focusAreaTypeId": "fat-project"},
        {"externalId": "BL-2", "name": "nan", "focusAreaTypeId": "fat-project", "budget": float("nan")},
        {"externalId": "BL-\udc80", "name": "surrogate", "focusAreaTypeId": "fat-project"},
        {"externalId": "BL-3", 7: "a key that is no string", "name": "k", "focusAreaTypeId": "fat-project"},
        {"externalId": "BL-4", "name": "x" * 2_000_000, "focusAreaTypeId": "fat-project"},
    ]
    report = upsert_focus_areas(emulator_client, records, max_in_flight=1)
    assert len(report.created) == 1
    errors = {entry.index: (entry.key, entry.error) for entry in report.failed}
    assert errors[1] == ("BL-2", "record 1: budget is nan, which JSON cannot hold; it was not sent")
    # a lone surrogate in the key is escaped in the report (which goes to XCom as JSON), never sent
    assert errors[2][0] == "BL-\\udc80"
    assert "record 2: externalId holds a lone surrogate" in errors[2][1]
    assert errors[3] == ("BL-3", "record 3: it has a field named 7 (int); field names must be strings; it was not sent")
    assert errors[4] == ("BL-4", "record 4: name is 2000000 characters long, more than 100000; it was not sent")


def test_bad_lines_fail_their_fund_items_only(emulator_client, tmp_path):
    path = tmp_path / "costs.csv"
    path.write_bytes(
        b"costItemExternalId;focusAreaExternalId;name;costType\n"
        b"BC-1;STRAT-001;Licences;LABOR\n"
        b"BC-2;STRAT-001;Caf\xe9;LABOR\n"
    )
    report = import_fund_items(emulator_client, COST_ITEMS, read_records(path))
    assert len(report.created) == 1
    (failure,) = report.failed
    assert failure.index == 1
    assert failure.error.startswith(f"{path} line 3: column 'name': byte 0xE9")


# --- property-based: nothing but FocusError or per-record failures --------------------------------------------------

# Cheap to draw (hypothesis spends its time drawing, not reading): fixed pieces that reach each rule, mixed with
# free text and free bytes.
_PIECES = [
    line("F-1"),
    line("F-2", parentExternalId="F-1"),
    line("F-3", parentExternalId="F-3"),
    line("F-4", focusAreaTypeId="nope"),
    line("F-5", budget=[1, {"a": None}], flag=True),
    b'{"externalId": "F-6", "name": "", "focusAreaTypeId": ""}\n',
    b'{"externalId": 7, "name": "number key", "focusAreaTypeId": "fat-project"}\n',
    b'{"externalId": "F-8", "x": NaN}\n',
    b'{"externalId": "F-9", "x": -Infinity}\n',
    b'{"externalId": "\\udc80"}\n',
    b'{"\\ud800": "surrogate name"}\n',
    b'{"a": ' * 1200 + b"}\n",
    b'{"a": ' * 250 + b"1" + b"}" * 250 + b"\n",
    b"[1]\n",
    b"null\n",
    b'"\xef\xbb\xbf"\n',
    b"\xef\xbb\xbf{}\n",
    b'{"externalId": "F-10", "name": "Caf\xe9"}\n',
    b"\n",
    b"\r\n",
    b"\x00\n",
    b"{",
]
_LINES = st.one_of(
    st.sampled_from(_PIECES),
    st.binary(max_size=16),
    st.text(max_size=12).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.builds(lambda key, name: line(key, name=name), st.text(max_size=6), st.text(max_size=6)),
)
_CSV_CELLS = st.one_of(
    st.sampled_from(["A", "fat-project", '"', '""', ",", ";", "\t", "\n", "\r", "\x00", "é", "\ufeff", "x" * 140_000]),
    st.text(max_size=8),
)
_CSV_ROWS = st.lists(st.lists(_CSV_CELLS, max_size=4).map(",".join), max_size=5)


def _csv_file(header: str, rows: list[str], encoding: str, tail: bytes) -> bytes:
    text = "\n".join([header, *rows]) + "\n"
    return text.encode(encoding, "replace") + tail


_FILES = st.one_of(
    st.tuples(st.just("jsonl"), st.lists(_LINES, max_size=5).map(b"".join)),
    st.tuples(
        st.just("csv"),
        st.builds(
            _csv_file,
            st.sampled_from(["externalId,name,focusAreaTypeId", "externalId;name", "\ufeffexternalId", "a,,b", ""]),
            _CSV_ROWS,
            st.sampled_from(["utf-8", "latin-1", "utf-16"]),
            st.binary(max_size=10),
        ),
    ),
    st.tuples(st.sampled_from(["jsonl", "csv"]), st.binary(max_size=200)),
)


def _read_all(kind: str, data: bytes, **options: Any) -> list[Any] | None:
    """Read a file whole; ``None`` when the file as a whole was refused with a FocusError."""
    try:
        items = list(read_records(io.BytesIO(data), format=kind, name=f"fuzz.{kind}", **options))
    except FocusError:
        return None
    for item in items:
        assert isinstance(item, (dict, BadRecord)), item
        if isinstance(item, BadRecord):
            assert item.source == f"fuzz.{kind}"
            assert item.line >= 1
            assert item.reason
    return items


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_FILES, st.sampled_from([None, "latin-1", "utf-16"]), st.sampled_from([None, ";"]))
def test_the_readers_yield_records_or_bad_records_or_raise_a_focus_error(file, encoding, delimiter):
    kind, data = file
    _read_all(kind, data, encoding=encoding, delimiter=delimiter, key="externalId" if delimiter else None)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(_FILES, st.booleans())
def test_the_upsert_of_any_file_returns_a_report(emulator_client, file, scan):
    kind, data = file
    items = _read_all(kind, data)
    if items is None:
        return
    report = upsert_focus_areas(emulator_client, items, dry_run=True, scan_threshold=1 if scan else 1000)
    assert report.done == len(items)
    json.dumps(report.as_dict())


def test_the_fuzz_corpus_reaches_the_cases_it_is_for(tmp_path: Path):
    """The strategies are not vacuous: they make files that read, and files with bad lines."""
    seen: set[str] = set()

    @settings(max_examples=200, deadline=None, database=None)
    @given(_FILES)
    def collect(file: tuple[str, bytes]) -> None:
        items = _read_all(*file)
        if items is None:
            seen.add("refused")
        elif any(isinstance(item, BadRecord) for item in items):
            seen.add("bad")
        elif items:
            seen.add("read")

    collect()
    assert seen == {"refused", "bad", "read"}
