"""``input_path`` is read on every Airflow of the matrix (3.0's ObjectStoragePath.open gives a non-iterable wrapper)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_provider_focus.operators._jsonl import open_records

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("areas.csv", "externalId,name\nA-1,One\nA-2,\n"),
        ("areas.jsonl", '{"externalId": "A-1", "name": "One"}\n\n{"externalId": "A-2"}\n'),
    ],
)
def test_open_records_reads_a_local_file_through_object_storage(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with open_records(str(path)) as records:
        assert list(records) == [{"externalId": "A-1", "name": "One"}, {"externalId": "A-2"}]
