"""What the batch operators share: input from an argument or a file, and the partial-failure rule."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from airflow_provider_focus.arguments import is_template
from airflow_provider_focus.exceptions import FocusConfigError
from airflow_provider_focus.operators._jsonl import open_records
from airflow_provider_focus.operators.base import FocusBaseOperator
from airflow_provider_focus.services.records import check_delimiter, check_encoding, format_of, records_of

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_focus.services.report import Report

#: The records that differ in fields the API cannot write, named in the task's warning (the rest are counted).
NOT_UPDATABLE_WARNED = 20


class FocusBatchOperator(FocusBaseOperator):
    """
    Base class of the operators that apply a batch of records and return a report.

    :param input_path: a JSON Lines or CSV file (local path or object storage URL) to read instead of the
        records argument. (templated)
    :param format: ``"jsonl"`` or ``"csv"``; by default the extension of ``input_path`` decides.
    :param encoding: the encoding of ``input_path`` (``"cp1252"``, ``"latin-1"``, ...); default UTF-8 with or
        without a byte-order mark.
    :param delimiter: the CSV delimiter of ``input_path``; by default sniffed from its header line.
    :param fail_on_error: fail the task at the end when any record failed.
    :param focus_conn_id: the Airflow connection of type ``atlassian_focus``. (templated)
    """

    def __init__(
        self,
        *,
        input_path: str | None = None,
        format: str | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
        fail_on_error: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_encoding(encoding)
        check_delimiter(delimiter)
        self.encoding = encoding
        self.delimiter = delimiter
        if format is not None:
            format_of("", format)
        if input_path is not None and format is None and not is_template(input_path):
            format_of(str(input_path))
        self.input_path = input_path
        self.format = format
        self.fail_on_error = fail_on_error

    @staticmethod
    def check_input(name: str, value: Any, input_path: str | None) -> None:
        """
        Refuse both or neither of the records argument and ``input_path``, and records that are no list.

        A literal string must hold a JSON list (``records='[{"externalId": ...}]'``); templates and XCom
        references are checked once rendered.

        :param name: the records argument's name.
        :param value: its value.
        :param input_path: the ``input_path`` argument.
        """
        if (value is None) == (input_path is None):
            raise FocusConfigError(f"Give exactly one of {name} and input_path.")
        if value is not None and not is_template(value):
            records_of(value, name=name)  # a list, or a literal JSON string holding one

    @contextmanager
    def open_input(self, value: Any, *, name: str, key: str | None = None) -> Iterator[Iterable[Any]]:
        """
        Yield the records: the rendered argument, or the records of ``input_path`` read one at a time.

        :param value: the rendered records argument (a list, or a string holding a JSON list).
        :param name: the argument's name, for messages.
        :param key: the field every record of ``input_path`` needs (a CSV header without it is refused).
        """
        if self.input_path is not None:
            with open_records(
                str(self.input_path), format=self.format, encoding=self.encoding, delimiter=self.delimiter, key=key
            ) as records:
                yield records
        else:
            yield records_of(value, name=name)

    def finish(self, context: Context, report: Report, *, what: str, periods: Iterable[str] = ()) -> dict[str, Any]:
        """
        Return the report as JSON, or, when records failed and ``fail_on_error`` is set, push it and fail.

        A batch that succeeds emits the asset event of its Focus outlet, whose ``extra`` holds the counts of the
        report (``created``, ``updated``, ``unchanged``, ``failed``), its ``source`` (``input_path``, or
        ``"records"``) and the ``periods`` touched.

        :param context: the task's context.
        :param report: what the batch did.
        :param what: the kind of records, for messages (``"cost items"``).
        :param periods: the fund periods the applied items touched.
        :raises FocusPartialFailure: when records failed and ``fail_on_error`` is set.
        """
        result = report.as_dict()
        self.focus_report = result
        for entry in report.failed:
            self.log.warning("%s %s (index %s) failed: %s", what, entry.key, entry.index, entry.error)
        if report.failed_count > len(report.failed):
            self.log.warning(
                "... and %d more failed %s (the report lists the first ones)",
                report.failed_count - len(report.failed),
                what,
            )
        self.warn_not_updatable(report)
        if report.failed and self.fail_on_error:
            context["ti"].xcom_push(key="report", value=result)
            self.log.error("Report: %s", json.dumps(result))
            report.raise_if_failed(what, where="the report is in XCom under the key 'report'")
        self.emit_focus_event(context, self.event_extra(report), periods=periods, dry_run=report.dry_run)
        return result

    def warn_not_updatable(self, report: Report) -> None:
        """
        Warn once of the records of a focus-area upsert that differ from Focus in fields the API cannot write.

        The warning gives their exact count and the first :data:`NOT_UPDATABLE_WARNED` of them (the report lists up
        to ``max_listed``).

        :param report: what the batch did (only an upsert's report has such records).
        """
        from airflow_provider_focus.services.report import UpsertReport  # loaded by the upsert already

        if not isinstance(report, UpsertReport) or not report.not_updatable_count:
            return
        listed = report.not_updatable[:NOT_UPDATABLE_WARNED]
        more = report.not_updatable_count - len(listed)
        self.log.warning(
            "%d record(s) differ from Focus in fields the API cannot write; no call was made for those fields "
            "(see not_updatable in the report): %s%s",
            report.not_updatable_count,
            "; ".join(f"{entry.key}: {', '.join(entry.fields)}" for entry in listed),
            f"; and {more:,} more" if more else "",
        )

    def event_extra(self, report: Report) -> dict[str, Any]:
        """
        Return the ``extra`` of the batch's asset event: the report's counts and the source of the records.

        :param report: what the batch did.
        """
        return {
            "created": report.created_count,  # the counts are exact, the report's lists may be cut (max_listed)
            "updated": report.updated_count,
            "unchanged": report.unchanged,
            "failed": report.failed_count,
            "source": str(self.input_path) if self.input_path is not None else "records",
        }
