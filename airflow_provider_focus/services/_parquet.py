"""
Parquet in and out, streamed by row group; needs pyarrow (``pip install 'airflow-provider-focus[parquet]'``).

Reading yields one record per row (a null means "not given" and is left out), a batch of rows at a time, so memory
stays flat whatever the file's size. Writing takes focus areas as rows of the stable columns
(:mod:`~airflow_provider_focus.services.columns`) and writes a row group per batch.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import IO, Any

from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.services._plain import PLAIN_TYPES, plain
from airflow_provider_focus.services.columns import FOCUS_AREA_COLUMNS

#: Rows per row group written.
WRITE_BATCH_ROWS = 10_000

_INSTALL = "pip install 'airflow-provider-focus[parquet]'"


def pyarrow_modules() -> tuple[Any, Any]:
    """
    Return ``(pyarrow, pyarrow.parquet)``.

    :raises FocusConfigError: when pyarrow is not installed, naming the extra that brings it.
    """
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise FocusConfigError(f"Parquet needs pyarrow, which is not installed: {_INSTALL}.") from None
    return pyarrow, pyarrow.parquet


@contextmanager
def _binary(source: Any, label: str) -> Iterator[IO[bytes]]:
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        path = path[len("file://") :] if isinstance(path, str) and path.startswith("file://") else path
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as err:
            raise FocusConfigError(f"Cannot open {label}: {err.strerror or err}.") from None
        with handle:
            yield handle
    elif hasattr(source, "open") and not hasattr(source, "read"):
        with source.open("rb") as handle:
            yield handle
    elif hasattr(source, "read") and isinstance(source.read(0), bytes):
        yield source
    else:
        raise FocusConfigError(f"{label}: Parquet is read from a path or a file opened in binary mode ('rb').")


def read(source: Any, *, label: str, key: str | None, batch_rows: int) -> Iterator[Any]:
    """
    Yield the records of a Parquet file, ``batch_rows`` rows at a time, and a bad record for a row that cannot be one.

    :param source: a path, an object with ``open`` (``ObjectStoragePath``) or a binary file.
    :param label: the file's name, for messages.
    :param key: the column every record needs, if any.
    :param batch_rows: rows decoded at a time.
    :raises FocusConfigError: when pyarrow is missing, the file is not Parquet, or it has no ``key`` column.
    """
    from airflow_provider_focus.services._values import column_fine, value_problem
    from airflow_provider_focus.services.records import BadRecord

    pyarrow, parquet = pyarrow_modules()
    with _binary(source, label) as handle:
        try:
            # pre_buffer=False: read a row group's column chunks as its batches need them; pre-buffering (pyarrow's
            # default) reads every row group's chunks at once, so memory grows with the file
            parquet_file = parquet.ParquetFile(handle, pre_buffer=False)
        except (pyarrow.ArrowException, OSError, ValueError) as err:
            raise FocusConfigError(
                f"{label} is not a Parquet file ({err}); if it is JSON Lines or CSV, pass format='jsonl' or "
                "format='csv' or give it that extension."
            ) from None
        names = list(parquet_file.schema_arrow.names)
        if key and key not in names:
            shown = ", ".join(repr(name) for name in names[:12])
            raise FocusConfigError(
                f"{label}: the Parquet file has no column {key!r}, which every record needs (found {shown}); "
                "rename the column or pass key= naming the one that holds the external id."
            )
        names_fine = value_problem(dict.fromkeys(names)) is None  # the field names, checked once
        row = 0
        try:
            for batch in parquet_file.iter_batches(batch_size=batch_rows):
                columns = [_plain_column(column.to_pylist()) for column in batch.columns]  # a column at a time, in C
                # the values checked a column at a time: a batch that passes needs no check per record
                checked = names_fine and all(map(column_fine, columns))
                for values in zip(*columns, strict=False):
                    row += 1
                    if None in values:
                        record = {name: value for name, value in zip(names, values, strict=False) if value is not None}
                    else:
                        record = dict(zip(names, values, strict=False))
                    problem = None if checked else value_problem(record)
                    if problem is not None:
                        yield BadRecord(label, row, problem, unit="row")
                    elif record:
                        yield record
        except (pyarrow.ArrowException, OSError, ValueError) as err:
            raise FocusConfigError(f"{label}: cannot read past row {row}: {err}.") from None


def _plain_column(values: list[Any]) -> list[Any]:
    """Return a column's values as JSON-able ones (:func:`~._plain.plain`); a column of plain values as it is."""
    if PLAIN_TYPES.issuperset(map(type, values)):  # the common case, in C
        return values
    return [value if type(value) in PLAIN_TYPES else plain(value) for value in values]


def _schema(pyarrow: Any) -> Any:
    types = {
        "string": pyarrow.string(),
        "json": pyarrow.string(),
        "boolean": pyarrow.bool_(),
        "timestamp": pyarrow.timestamp("ms", tz="UTC"),
    }
    return pyarrow.schema([pyarrow.field(column.name, types[column.kind]) for column in FOCUS_AREA_COLUMNS])


def arrow_schema() -> Any:
    """Return the Arrow schema of an export: the columns of :data:`~.columns.FOCUS_AREA_COLUMNS`, typed."""
    pyarrow, _ = pyarrow_modules()
    return _schema(pyarrow)


def _timestamp(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None  # the data column keeps the API's text
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def write(handle: IO[bytes], rows: Iterable[tuple[Any, ...]], *, batch_rows: int = WRITE_BATCH_ROWS) -> int:
    """
    Write focus-area rows (:func:`~.columns.row_of`) as Parquet with the stable schema, a row group per batch.

    :param handle: a binary file open for writing.
    :param rows: the rows; consumed lazily.
    :param batch_rows: rows per row group.
    :return: the number of rows written.
    """
    pyarrow, parquet = pyarrow_modules()
    schema = _schema(pyarrow)
    kinds = [column.kind for column in FOCUS_AREA_COLUMNS]
    count = 0
    iterator = iter(rows)
    with parquet.ParquetWriter(handle, schema, compression="zstd") as writer:
        while batch := list(islice(iterator, batch_rows)):
            columns = [list(cells) for cells in zip(*batch, strict=True)]
            for index, kind in enumerate(kinds):
                if kind == "timestamp":
                    columns[index] = [_timestamp(value) for value in columns[index]]
            writer.write_table(pyarrow.Table.from_arrays(columns, schema=schema))
            count += len(batch)
        if count == 0:
            writer.write_table(schema.empty_table())
    return count
