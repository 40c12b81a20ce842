"""The CSV import writes a batch in bulk: same results as the per-row services, few queries."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cliqserve.catalog import csv_io, services
from cliqserve.catalog.csv_io import RowError
from cliqserve.catalog.models import CustomFieldDefinition, Product, TaxRate
from cliqserve.catalog.sequence import next_change_seq, next_change_seq_block
from cliqserve.catalog.services import product_import
from cliqserve.core.models import AuditEvent
from cliqserve.core.tenancy import tenant_scope
from tests.factories import CategoryFactory, TaxRateFactory, TenantFactory

from .helpers import counter, make_product

Rows = list[tuple[int, dict[str, str]]]


def numbered(*rows: dict[str, str]) -> Rows:
    return [(line, row) for line, row in enumerate(rows, start=2)]


def shop(tenant_world: Any) -> None:
    tenant = tenant_world.tenant
    CategoryFactory(tenant=tenant, name="Drinks")
    CategoryFactory(tenant=tenant, name="Closed", is_active=False)
    TaxRateFactory(tenant=tenant, name="VAT", rate=Decimal("10.00"))
    CustomFieldDefinition.objects.unscoped().create(
        tenant=tenant, key="size", label="Size", field_type="choice", choices=["small", "large"]
    )


def run(tenant_world: Any, rows: Rows) -> tuple[int, list[RowError]]:
    """The rows through the import service, as the import job passes them: read as CSV rows,
    errors reported by column."""
    tenant = tenant_world.tenant
    import_rows = [
        csv_io.import_row(line, row, default_language=tenant.default_language) for line, row in rows
    ]
    with tenant_scope(tenant.pk):
        succeeded, errors = services.products_import(
            tenant=tenant, actor=tenant_world.tenant_admin, rows=import_rows
        )
    return succeeded, [csv_io.report_error(error) for error in errors]


def snapshot(tenant: Any) -> dict[str, tuple[Any, ...]]:
    """Everything an import writes, by sku, comparable across tenants."""
    with tenant_scope(tenant.pk):
        products = Product.objects.select_related("category", "tax_rate").prefetch_related("translations")
        return {
            product.sku: (
                product.price,
                product.barcode,
                product.category.name if product.category else None,
                product.tax_rate.name if product.tax_rate else None,
                product.track_stock,
                product.is_active,
                product.custom_fields,
                {t.language_code: (t.name, t.description) for t in product.translations.all()},
            )
            for product in products
        }


def sample(n: int) -> Rows:
    return numbered(
        *(
            {"sku": f"S-{i}", "price": "1.50", "name": f"Item {i}", "name_es": f"Artículo {i}"}
            | {"category": "Drinks", "tax_rate": "VAT", "custom.size": "small"}
            for i in range(n)
        )
    )


MIXED = [
    {"sku": "NEW-1", "price": "2.555", "name": "New", "category": "drinks", "custom.size": "small"},
    {"sku": "NEW-1", "price": "3", "name_fr": "Nouveau", "custom.size": "large"},  # updates row 2's
    {"sku": "NEW-1", "price": "4", "name_es": "Nuevo", "track_stock": "maybe"},  # bad: leaves nothing
    {"sku": "ex-1", "price": "5", "name_es": "Existente", "tax_rate": "VAT", "is_active": "false"},
    {"sku": "EX-2", "price": "-1", "name": "Negative"},
    {"sku": "NEW-2", "price": "1", "category": "Nope", "name": "Unknown category"},
    {"sku": "NEW-3", "price": "1", "category": "Closed", "name": "Inactive category"},
    {"sku": "NEW-4", "price": "1"},  # a new product needs a name
    {"sku": "NEW-5", "price": "1", "name": "Bad size", "custom.size": "huge"},
    {"sku": "NEW-6", "price": "1", "name": "N" * 201},
    {"sku": "NEW-7", "price": "1", "name_fr": "Sept", "barcode": "777"},
    {"sku": "", "price": "1", "name": "No sku"},
    {"sku": "EX-2", "price": "1"},  # an update needs no name: the product has one
]


def mixed_import(tenant_world: Any) -> tuple[int, list[RowError]]:
    shop(tenant_world)
    with tenant_scope(tenant_world.tenant.pk):
        make_product(tenant_world, sku="EX-1", translations={"en": {"name": "One"}, "fr": {"name": "Un"}})
        make_product(tenant_world, sku="EX-2", custom_fields={"size": "small"})
    return run(tenant_world, numbered(*MIXED))


def audit_trail(tenant: Any) -> list[tuple[str, str, str]]:
    """The tenant's audit events, comparable across tenants (a tax rate by its name)."""
    names = {str(rate.pk): rate.name for rate in TaxRate.objects.unscoped().filter(tenant=tenant)}
    trail = []
    for event in AuditEvent.objects.filter(tenant=tenant):
        changes = {field: [names.get(str(v), v) for v in pair] for field, pair in event.changes.items()}
        trail.append((event.action, event.object_repr, json.dumps(changes, sort_keys=True)))
    return sorted(trail)


def test_bulk_import_matches_the_row_by_row_services(world, monkeypatch):
    bulk = mixed_import(world.a)
    monkeypatch.setattr(product_import, "_wrote_in_bulk", lambda batch, actor: False)
    by_row = mixed_import(world.b)

    assert bulk == by_row
    assert snapshot(world.a.tenant) == snapshot(world.b.tenant)
    # The bulk write audits the price changes it makes to stored products as the row-by-row
    # services do; they also see row 3 update the NEW-1 that row 2 created.
    new_1 = ("product_price_changed", "NEW-1", '{"price": ["2.56", "3.00"]}')
    assert sorted([*audit_trail(world.a.tenant), new_1]) == audit_trail(world.b.tenant)
    assert audit_trail(world.a.tenant) == [
        ("product_price_changed", "EX-2", '{"price": ["2.50", "1.00"]}'),
        (
            "product_price_changed",
            "ex-1",
            '{"is_active": [true, false], "price": ["2.50", "5.00"], "tax_rate": [null, "VAT"]}',
        ),
    ]
    succeeded, errors = bulk
    assert succeeded == 5
    assert [(e.row, e.column) for e in errors] == [
        (4, "track_stock"),
        (6, "price"),
        (7, "category"),
        (8, "category"),
        (9, "name"),
        (10, "custom.size"),
        (11, "name"),
        (13, "sku"),
    ]
    products = snapshot(world.a.tenant)
    assert products["NEW-1"][:7] == (Decimal("3.00"), "", "Drinks", None, True, True, {"size": "large"})
    assert products["NEW-1"][7] == {"en": ("New", ""), "fr": ("Nouveau", "")}
    assert products["ex-1"][0::5] == (Decimal("5.00"), False)
    assert products["ex-1"][7] == {"en": ("One", ""), "fr": ("Un", ""), "es": ("Existente", "")}
    assert products["EX-2"][0] == Decimal("1.00")
    assert products["EX-2"][6] == {"size": "small"}


def test_every_written_product_gets_its_own_new_change_number(in_tenant_a):
    a = in_tenant_a
    shop(a)
    untouched = make_product(a, sku="KEEP")
    before = counter(a.tenant)

    succeeded, _errors = run(a, sample(5) + numbered({"sku": "S-0", "price": "9", "name": "Again"}))

    seqs = sorted(Product.objects.exclude(sku="KEEP").values_list("change_seq", flat=True))
    assert succeeded == 6
    assert seqs == list(range(before + 1, before + 6))
    assert counter(a.tenant) == before + 5
    assert Product.objects.get(pk=untouched.pk).change_seq == untouched.change_seq


def test_a_batch_takes_a_handful_of_queries_not_a_score_per_row(in_tenant_a):
    shop(in_tenant_a)

    for _run in ("creates", "updates"):
        with CaptureQueriesContext(connection) as queries:
            succeeded, errors = run(in_tenant_a, sample(200))
        assert (succeeded, errors) == (200, [])
        # Row by row this was about 3,400 queries (creates) and 3,800 (updates).
        assert len(queries) <= 30, [q["sql"][:120] for q in queries.captured_queries]


def test_a_barcode_another_product_has_is_that_rows_error(in_tenant_a):
    a = in_tenant_a
    make_product(a, sku="OLD", barcode="111")

    succeeded, errors = run(
        a,
        numbered(
            {"sku": "A", "price": "1", "name": "A", "barcode": "111"},
            {"sku": "B", "price": "1", "name": "B", "barcode": "222"},
            {"sku": "C", "price": "1", "name": "C", "barcode": "222"},
        ),
    )

    assert succeeded == 1
    assert errors == [
        RowError(2, "barcode", "Another product already has this barcode."),
        RowError(4, "barcode", "Another product already has this barcode."),
    ]
    assert set(Product.objects.values_list("sku", "barcode")) == {("OLD", "111"), ("B", "222")}


def test_barcodes_moving_between_products_follow_row_order(in_tenant_a):
    a = in_tenant_a
    # P2 stored first: one bulk statement taking P2 -> C before P1 -> B would let both through.
    make_product(a, sku="P2", barcode="B")
    make_product(a, sku="P1", barcode="A")

    succeeded, errors = run(
        a,
        numbered({"sku": "P1", "price": "1", "barcode": "B"}, {"sku": "P2", "price": "1", "barcode": "C"}),
    )

    assert succeeded == 1
    assert errors == [RowError(2, "barcode", "Another product already has this barcode.")]
    assert dict(Product.objects.values_list("sku", "barcode")) == {"P1": "A", "P2": "C"}


def test_a_bad_row_leaves_nothing_behind_for_a_later_row_of_its_product(in_tenant_a):
    a = in_tenant_a
    shop(a)

    succeeded, errors = run(
        a,
        numbered(
            {"sku": "X", "price": "1", "name": "X", "is_active": "", "custom.size": "small"},
            {"sku": "X", "price": "2", "name": "X", "is_active": "false", "custom.size": "huge"},
            {"sku": "X", "price": "3", "name": "X", "is_active": "", "custom.size": ""},
        ),
    )

    assert (succeeded, [(e.row, e.column) for e in errors]) == (2, [(3, "custom.size")])
    product = Product.objects.get(sku="X")
    assert (product.price, product.is_active, product.custom_fields) == (
        Decimal("3.00"),
        True,
        {"size": "small"},
    )


def test_the_name_column_is_the_tenants_default_language(in_tenant_a):
    a = in_tenant_a
    a.tenant.default_language = "es"
    a.tenant.save()

    run(a, numbered({"sku": "T", "price": "1", "name": "Té", "description": "Caliente", "name_en": "Tea"}))

    translations = Product.objects.get(sku="T").translations.all()
    assert {t.language_code: (t.name, t.description) for t in translations} == {
        "es": ("Té", "Caliente"),
        "en": ("Tea", ""),
    }


def test_names_read_after_an_import_are_the_new_ones_not_parlers_cached_ones(in_tenant_a):
    a = in_tenant_a
    make_product(a, sku="T", translations={"en": {"name": "Tea"}, "fr": {"name": "Thé"}})
    warm = Product.objects.get(sku="T")
    assert (warm.safe_translation_getter("name", language_code="fr"), warm.has_translation("es")) == (
        "Thé",
        False,
    )
    Product.objects.language("es").get(sku="T").safe_translation_getter("name", any_language=True)

    run(a, numbered({"sku": "T", "price": "1", "name_fr": "Thé vert", "name_es": "Té"}))

    fresh = Product.objects.get(sku="T")
    assert fresh.safe_translation_getter("name", language_code="fr") == "Thé vert"
    assert Product.objects.language("es").get(sku="T").name == "Té"


def test_categories_and_tax_rates_resolve_by_id_too(in_tenant_a):
    a = in_tenant_a
    drinks, vat = CategoryFactory(tenant=a.tenant), TaxRateFactory(tenant=a.tenant)

    run(
        a,
        numbered(
            {"sku": "T", "price": "1", "name": "Tea", "category": str(drinks.pk), "tax_rate": str(vat.pk)}
        ),
    )

    product = Product.objects.get(sku="T")
    assert (product.category_id, product.tax_rate_id) == (drinks.pk, vat.pk)


# --- The change number block -------------------------------------------------------------------


def test_a_block_is_the_next_numbers_in_order(in_tenant_a):
    a = in_tenant_a
    services.category_create(tenant=a.tenant, actor=a.tenant_admin, name="Drinks")
    before = counter(a.tenant)

    block = next_change_seq_block(tenant_id=a.tenant.pk, count=3)
    empty = next_change_seq_block(tenant_id=a.tenant.pk, count=0)

    assert block == range(before + 1, before + 4)
    assert list(empty) == []
    assert counter(a.tenant) == before + 3
    assert next_change_seq(tenant_id=a.tenant.pk) == before + 4
    with pytest.raises(ValueError, match="negative"):
        next_change_seq_block(tenant_id=a.tenant.pk, count=-1)


@pytest.mark.django_db(transaction=True)
def test_a_block_must_be_taken_inside_the_writing_transaction():
    tenant = TenantFactory()

    with pytest.raises(RuntimeError, match="writing transaction"):
        next_change_seq_block(tenant_id=tenant.pk, count=1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_blocks_never_share_a_number():
    tenant_id = TenantFactory().pk
    barrier = threading.Barrier(4)
    blocks: list[range] = []

    def take() -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                blocks.append(next_change_seq_block(tenant_id=tenant_id, count=50))
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    numbers = [n for block in blocks for n in block]
    assert sorted(numbers) == list(range(1, 201))
