"""Reports as tables: one shape for `?format=csv`, export jobs (CSV and XLSX) and the back office.

A `Table` names its columns and whether each holds text or numbers. Text cells that a
spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
return) are escaped with a leading apostrophe (OWASP's "CSV injection" advice); number cells
never are, so a refund of "-12.50" stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from babel.numbers import format_decimal, get_decimal_symbol
from django.db.models import QuerySet

# Rows an export reads from the database at a time.
QUERY_CHUNK_SIZE = 2000

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class CellKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"


@dataclass(frozen=True)
class Column:
    name: str
    kind: CellKind = CellKind.TEXT


def text(name: str) -> Column:
    return Column(name, CellKind.TEXT)


def number(name: str) -> Column:
    return Column(name, CellKind.NUMBER)


@dataclass(frozen=True)
class Table:
    """Columns and rows (each row a sequence in column order). Rows may be a generator, so an
    export streams instead of holding a year of lines in memory."""

    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]


def escape_text(value: str) -> str:
    """Neutralise a text cell a spreadsheet would evaluate."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def cell(value: Any, column: Column) -> Any:
    """A cell as it goes into a file: None is empty, numbers as they are, text escaped."""
    if value is None:
        return ""
    if column.kind is CellKind.NUMBER:
        return value
    return escape_text(str(value))


def safe_rows(table: Table) -> Iterator[list[Any]]:
    for row in table.rows:
        yield [cell(value, column) for value, column in zip(row, table.columns, strict=True)]


def csv_lines(table: Table, *, locale: str | None = None) -> Iterator[str]:
    """The table as CSV text, one line at a time (for a StreamingHttpResponse or a file).

    With a `locale` (flag `reports.exports.localized`), numbers are written that language's way
    ("1234,50" in es and fr) and, where the comma is the decimal sign, cells are separated by
    semicolons, as spreadsheets there expect. Dates and times stay ISO 8601 in every locale.
    """
    buffer = io.StringIO()
    delimiter = ";" if locale is not None and get_decimal_symbol(locale) == "," else ","
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")

    def flush() -> str:
        line = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return line

    def number_cell(value: Any) -> Any:
        return _plain(value) if locale is None else _localized(value, locale)

    writer.writerow(table.header)
    yield flush()
    for row in safe_rows(table):
        writer.writerow(
            [
                number_cell(value) if column.kind is CellKind.NUMBER else _plain(value)
                for value, column in zip(row, table.columns, strict=True)
            ]
        )
        yield flush()


def _plain(value: Any) -> Any:
    # Decimals print as they are stored ("12.50"), never in exponent form.
    return format(value, "f") if isinstance(value, Decimal) else value


def _localized(value: Any, locale: str) -> Any:
    """A number in `locale`'s way, with exactly the decimals it has ("12.50" -> "12,50"), no
    grouping (a spreadsheet would read "1 234,50" as text)."""
    if value == "" or isinstance(value, bool):
        return value
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return value
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return format_decimal(number, format="0." + "0" * places if places else "0", locale=locale)


@dataclass(frozen=True)
class QueryRows:
    """Rows read from a queryset in chunks (constant memory), each turned into cells by `cells`;
    `len()` counts them first, so an export job can report its progress as done of total."""

    queryset: QuerySet[Any]
    cells: Callable[[Any], list[Any]]

    def __len__(self) -> int:
        return self.queryset.count()

    def __iter__(self) -> Iterator[list[Any]]:
        for row in self.queryset.iterator(chunk_size=QUERY_CHUNK_SIZE):
            yield self.cells(row)
