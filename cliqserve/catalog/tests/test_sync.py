"""Catalog sync: complete, paged, cheap, tenant-confined — and no write is ever skipped."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cliqserve.catalog.models import CatalogTombstone, Product
from cliqserve.catalog.sequence import next_change_seq
from conftest import client_for
from tests.factories import CategoryFactory, ProductFactory, TaxRateFactory

SYNC = "/api/v1/sync/catalog/"


def stamp(row: Any) -> Any:
    """What every catalog service does on a write: take the next change number, save."""
    with transaction.atomic():
        row.change_seq = next_change_seq(tenant_id=row.tenant_id)
        row.save()
    return row


def sync_all(client, *, cursor: int = 0, limit: int = 500) -> tuple[dict[str, list], int, int]:
    """Follow has_more to the end; return everything seen, the final cursor and the page count."""
    seen: dict[str, list] = {"products": [], "categories": [], "tax_rates": [], "deleted": []}
    pages = 0
    while True:
        response = client.get(SYNC, {"cursor": cursor, "limit": limit})
        assert response.status_code == 200, response.content
        body = response.json()
        pages += 1
        for kind in seen:
            seen[kind] += body[kind]
        assert body["next_cursor"] >= cursor
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return seen, cursor, pages


@pytest.fixture
def catalog(world):
    tenant = world.a.tenant
    tax = stamp(TaxRateFactory(tenant=tenant, rate=Decimal("21.00")))
    category = stamp(CategoryFactory(tenant=tenant))
    products = [stamp(ProductFactory(tenant=tenant, category=category, tax_rate=tax)) for _ in range(7)]
    return {"tax": tax, "category": category, "products": products}


def test_first_sync_pages_through_the_whole_catalog(world, catalog):
    seen, cursor, pages = sync_all(client_for(world.a.cashier), limit=3)

    assert {p["id"] for p in seen["products"]} == {str(p.pk) for p in catalog["products"]}
    assert [c["id"] for c in seen["categories"]] == [str(catalog["category"].pk)]
    assert [t["rate"] for t in seen["tax_rates"]] == ["21.00"]
    assert pages == 3  # 9 changes, 3 a page
    assert cursor == 9
    product = seen["products"][0]
    assert product["price"] == "10.00"
    assert product["category"] == str(catalog["category"].pk)
    assert product["translations"]["en"]["name"] == product["name"]


def test_a_synced_device_gets_only_what_changed_since(world, catalog):
    client = client_for(world.a.cashier)
    _, cursor, _ = sync_all(client)
    changed = catalog["products"][2]
    changed.is_active = False
    stamp(changed)
    deleted: Any = CategoryFactory(tenant=world.a.tenant)
    stamp(deleted)
    with transaction.atomic():
        CatalogTombstone.objects.unscoped().create(
            tenant=world.a.tenant,
            kind="category",
            object_id=deleted.pk,
            change_seq=next_change_seq(tenant_id=deleted.tenant_id),
        )
        type(deleted).objects.unscoped().filter(pk=deleted.pk).delete()

    seen, _, _ = sync_all(client, cursor=cursor)

    assert [(p["id"], p["is_active"]) for p in seen["products"]] == [(str(changed.pk), False)]
    assert seen["deleted"] == [{"kind": "category", "id": str(deleted.pk), "change_seq": 12}]
    assert seen["categories"] == []  # the created-then-deleted category surfaces only as deleted


def test_names_follow_accept_language_then_the_tenant_default(world):
    product = ProductFactory(tenant=world.a.tenant, name="Coffee")
    product.set_current_language("es")
    product.name = "Café"
    product.save()
    stamp(product)
    client = client_for(world.a.cashier)

    spanish = client.get(SYNC, HTTP_ACCEPT_LANGUAGE="es").json()["products"][0]
    french = client.get(SYNC, HTTP_ACCEPT_LANGUAGE="fr").json()["products"][0]

    assert spanish["name"] == "Café"
    assert french["name"] == "Coffee"  # no French: the tenant's default language, English
    assert set(spanish["translations"]) == {"en", "es"}


def test_another_tenants_catalog_never_appears(world, catalog):
    stamp(ProductFactory(tenant=world.b.tenant))

    seen, _, _ = sync_all(client_for(world.b.tenant_admin))

    assert [p["id"] for p in seen["products"]] != []
    assert {p["id"] for p in seen["products"]}.isdisjoint({str(p.pk) for p in catalog["products"]})


def test_each_page_costs_the_same_queries_however_big_the_catalog(world, catalog):
    client = client_for(world.a.cashier)
    with CaptureQueriesContext(connection) as small:
        client.get(SYNC, {"limit": 5})
    for _ in range(40):
        stamp(ProductFactory(tenant=world.a.tenant))

    with CaptureQueriesContext(connection) as large:
        body = client.get(SYNC, {"limit": 40}).json()

    assert len(body["products"]) > 5
    assert len(large) == len(small)
    assert len(large) <= 8  # auth (1) + high-water mark + 4 tables + translations


@pytest.mark.parametrize(
    ("query", "pointer"),
    [({"cursor": "abc"}, "/cursor"), ({"cursor": 999}, "/cursor"), ({"limit": 0}, "/limit")],
)
def test_bad_cursors_are_400(world, catalog, query, pointer):
    response = client_for(world.a.cashier).get(SYNC, query)

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == pointer


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_write_that_commits_late_still_reaches_the_device(world):
    """Writer W takes its number and stalls before commit; writer X starts after W. A device
    syncs in between. With a clock or a plain sequence, X could commit first with a higher
    stamp, the device would store X's cursor, and W's row would be skipped forever."""
    tenant_id = world.a.tenant.pk
    early: Any = ProductFactory(tenant=world.a.tenant)
    late: Any = ProductFactory(tenant=world.a.tenant)
    w_has_number, release_w, x_done = threading.Event(), threading.Event(), threading.Event()
    order: list[str] = []

    def writer_w() -> None:
        try:
            with transaction.atomic():
                Product.objects.unscoped().filter(pk=early.pk).update(
                    change_seq=next_change_seq(tenant_id=tenant_id)
                )
                w_has_number.set()
                release_w.wait(timeout=10)
                order.append("w")
        finally:
            connection.close()

    def writer_x() -> None:
        try:
            with transaction.atomic():
                Product.objects.unscoped().filter(pk=late.pk).update(
                    change_seq=next_change_seq(tenant_id=tenant_id)
                )
                order.append("x")
            x_done.set()
        finally:
            connection.close()

    client = client_for(world.a.cashier)
    w = threading.Thread(target=writer_w)
    w.start()
    assert w_has_number.wait(timeout=10)
    x = threading.Thread(target=writer_x)
    x.start()
    assert not x_done.wait(timeout=1), "X must wait for W's lock, so it cannot commit first"

    during = client.get(SYNC).json()
    release_w.set()
    w.join(timeout=10)
    x.join(timeout=10)
    after, _, _ = sync_all(client, cursor=during["next_cursor"])

    assert order == ["w", "x"]
    assert during["products"] == []
    assert [p["id"] for p in after["products"]] == [str(early.pk), str(late.pk)]


def test_the_documented_schema_matches_what_is_sent(world, catalog):
    """The page is built by hand for speed; CatalogSyncSerializer documents it in OpenAPI."""
    from cliqserve.catalog.api.sync import CatalogSyncSerializer

    body = client_for(world.a.cashier).get(SYNC).json()

    assert CatalogSyncSerializer(body).data == body


def test_without_accept_language_names_come_in_the_tenants_default_language(world):
    tenant = world.a.tenant
    tenant.default_language = "es"
    tenant.save()
    product = ProductFactory(tenant=tenant, name="Coffee")
    product.set_current_language("es")
    product.name = "Café"
    product.save()
    stamp(product)

    synced = client_for(world.a.cashier).get(SYNC).json()["products"][0]

    assert synced["name"] == "Café"
