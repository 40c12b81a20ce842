"""Products as CSV: reading an upload into import rows, writing products out as cells.

No database here: the import itself is the catalog service `services.products_import`, the
export's products come from `selectors.product_export_list`. The columns round-trip: what the
export writes, the import reads back.

    sku, barcode, price, category, tax_rate, track_stock, is_active,
    name, description                       (in the tenant's default language)
    name_<lang>, description_<lang>         (en, es, fr)
    custom.<key>                            (custom product fields)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _

from cliqserve.core.errors import InvalidInput
from cliqserve.core.money import quantize_money

from .services import ImportRow, ImportRowError

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant

    from .models import Product, ProductTranslation

BASE_COLUMNS = (
    "sku",
    "barcode",
    "price",
    "category",
    "tax_rate",
    "track_stock",
    "is_active",
    "name",
    "description",
)
REQUIRED_COLUMNS = frozenset({"sku", "price"})
# The columns that are a product's own fields, passed to the import as they are.
FIELD_COLUMNS = ("sku", "barcode", "price", "category", "tax_rate", "track_stock", "is_active")
CUSTOM_PREFIX = "custom."
# Cells a spreadsheet would run as a formula (CSV injection): exported with a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def language_columns() -> tuple[str, ...]:
    return tuple(f"{field}_{code}" for code, _name in settings.LANGUAGES for field in ("name", "description"))


@dataclass(frozen=True)
class RowError:
    """A line of an import job's report: the row's line in the file and the column at fault."""

    row: int
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


# --- Parsing ------------------------------------------------------------------------------------


def _csv_lines(text: str) -> io.StringIO:
    # newline="": the csv module reads line ends itself, so a bare \r ends a row (as old
    # spreadsheets write them) and one inside quotes stays in its field.
    return io.StringIO(text, newline="")


@contextmanager
def _readable(reader: Any) -> Iterator[None]:  # a csv.reader (the module exports no type)
    """What the csv module refuses (a field over its size limit) is an error on /file naming
    the line, not a crash."""
    try:
        yield
    except csv.Error as exc:  # e.g. "field larger than field limit (131072)"
        raise InvalidInput(
            _("Line %(line)s cannot be read as CSV: %(error)s.") % {"line": reader.line_num, "error": exc},
            pointer="/file",
        ) from exc


def parse_header(text: str) -> list[str]:
    """Check the header of an upload; raises InvalidInput on /file naming what is wrong."""
    reader = csv.reader(_csv_lines(text))
    with _readable(reader):
        first = next(reader, [])
    header = [column.strip() for column in first]
    if not header or header == [""]:
        raise InvalidInput(_("The file is empty."), pointer="/file")
    known = set(BASE_COLUMNS) | set(language_columns())
    unknown = [c for c in header if c not in known and not c.startswith(CUSTOM_PREFIX)]
    if unknown:
        raise InvalidInput(
            _("Unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)}, pointer="/file"
        )
    if len(set(header)) != len(header):
        raise InvalidInput(_("A column appears twice."), pointer="/file")
    missing = REQUIRED_COLUMNS - set(header)
    if missing:
        raise InvalidInput(
            _("Missing columns: %(columns)s.") % {"columns": ", ".join(sorted(missing))}, pointer="/file"
        )
    return header


def iter_rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; the header is line 1."""
    reader = csv.DictReader(_csv_lines(text), skipinitialspace=True)
    with _readable(reader.reader):  # DictReader's own line_num lags behind on an error
        for row in reader:
            if any((value or "").strip() for value in row.values()):
                yield (
                    reader.line_num,
                    {key.strip(): (value or "").strip() for key, value in row.items() if key},
                )


def count_rows(text: str) -> int:
    return sum(1 for _ in iter_rows(text))


# --- Rows for the import -----------------------------------------------------------------------


def _translations(row: dict[str, str], default_language: str) -> dict[str, dict[str, str]]:
    translations: dict[str, dict[str, str]] = {}
    for code, _name in settings.LANGUAGES:
        name = row.get(f"name_{code}") or (row.get("name", "") if code == default_language else "")
        description = row.get(f"description_{code}") or (
            row.get("description", "") if code == default_language else ""
        )
        if name:
            translations[code] = {"name": name, "description": description}
    return translations


def _custom_fields(row: dict[str, str]) -> dict[str, str]:
    return {
        key[len(CUSTOM_PREFIX) :]: value
        for key, value in row.items()
        if key.startswith(CUSTOM_PREFIX) and value
    }


def import_row(number: int, row: dict[str, str], *, default_language: str) -> ImportRow:
    """A parsed CSV row as the import service takes it; `name` and `description` are in the
    tenant's `default_language`."""
    return ImportRow(
        number=number,
        fields={column: row[column] for column in FIELD_COLUMNS if column in row},
        translations=_translations(row, default_language),
        custom_fields=_custom_fields(row),
    )


def _column_of(pointer: str | None) -> str | None:
    """/price -> price; /custom_fields/size -> custom.size; /translations/es/name -> name_es."""
    if pointer and pointer.startswith("/custom_fields/"):
        return CUSTOM_PREFIX + pointer[len("/custom_fields/") :]  # a key may hold a "/"
    parts = [part for part in (pointer or "").split("/") if part]
    if not parts:
        return None
    if parts[0] == "translations" and len(parts) > 2:
        return f"{parts[2]}_{parts[1]}"
    return parts[0]


def report_error(error: ImportRowError) -> RowError:
    """An import error as the job reports it: by the CSV column the pointer names."""
    return RowError(error.row, _column_of(error.pointer), error.message)


# --- Exporting --------------------------------------------------------------------------------


def _safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_header(custom_keys: list[str]) -> list[str]:
    return [*BASE_COLUMNS, *language_columns(), *(CUSTOM_PREFIX + key for key in custom_keys)]


def _field_cells(product: Product, *, currency: str) -> list[Any]:
    return [
        product.sku,
        product.barcode,
        quantize_money(product.price, currency),  # "3.70", not the stored "3.700"
        product.category.name if product.category else "",
        product.tax_rate.name if product.tax_rate else "",
        str(product.track_stock).lower(),
        str(product.is_active).lower(),
    ]


def _text_cells(translation: ProductTranslation | None) -> list[str]:
    return [translation.name, translation.description] if translation else ["", ""]


def _product_cells(product: Product, *, tenant: Tenant, custom_keys: list[str]) -> list[str]:
    # .all() reads the prefetched rows (selectors.product_export_list): no query per product.
    translations = {t.language_code: t for t in product.translations.all()}
    cells = _field_cells(product, currency=tenant.currency)
    cells += _text_cells(translations.get(tenant.default_language))
    for code, _name in settings.LANGUAGES:
        cells += _text_cells(translations.get(code))
    cells += [(product.custom_fields or {}).get(key, "") for key in custom_keys]
    return [_safe(cell) for cell in cells]


def export_rows(
    *, tenant: Tenant, products: Iterable[Product], custom_keys: list[str]
) -> Iterator[list[str]]:
    """The cells of each product, in the columns of export_header(custom_keys)."""
    for product in products:
        yield _product_cells(product, tenant=tenant, custom_keys=custom_keys)
