"""Catalog lists cost a constant number of queries, however many rows (and translations) they hold."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cliqserve.catalog import custom_fields
from cliqserve.core.tenancy import tenant_scope
from conftest import client_for
from tests.factories import CategoryFactory, TaxRateFactory

from .helpers import make_product

pytestmark = pytest.mark.django_db

# route -> the most queries one page may take: the caller (with tenant and branch), the page,
# and for products one more for every translation of the page; revalidated lists one more for
# the catalog version their ETag and cache key carry (ADR 0015). A cache hit costs only the
# caller and the version (test_revalidation.py).
BUDGETS = {"product-list": 4, "category-list": 3, "tax-rate-list": 3, "custom-field-list": 2}
TRANSLATIONS = {
    "en": {"name": "Coffee"},
    "es": {"name": "Café"},
    "fr": {"name": "Café au lait"},
}


def grow(world, start: int, stop: int) -> None:
    """Add rows number `start` to `stop` of each kind to tenant A's catalog; products in 3 languages."""
    a = world.a
    with tenant_scope(a.tenant.pk):
        category = CategoryFactory(tenant=a.tenant)
        tax_rate = TaxRateFactory(tenant=a.tenant)
        for n in range(start, stop):
            CategoryFactory(tenant=a.tenant, parent=category)
            TaxRateFactory(tenant=a.tenant)
            custom_fields.custom_field_create(
                tenant=a.tenant, actor=a.tenant_admin, key=f"field-{n}", label="Field", field_type="text"
            )
            make_product(a, sku=f"SKU-{n}", category=category, tax_rate=tax_rate, translations=TRANSLATIONS)


def first_page(client, route: str, params: dict | None = None) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(route), {"page_size": 100, **(params or {})}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200, response.content
    return len(queries), len(response.json()["results"])


@pytest.mark.parametrize("route", sorted(BUDGETS))
def test_list_queries_do_not_grow_with_rows(world, route):
    client = client_for(world.a.cashier)
    grow(world, 0, 2)
    few_queries, few_rows = first_page(client, route)

    grow(world, 2, 20)
    many_queries, many_rows = first_page(client, route)

    assert few_rows >= 2
    assert many_rows >= 20
    assert many_queries == few_queries
    assert many_queries <= BUDGETS[route]


def test_product_search_is_one_query_too(world):
    client = client_for(world.a.cashier)
    grow(world, 0, 2)
    few_queries, few_rows = first_page(client, "product-list", {"search": "café"})

    grow(world, 2, 20)
    many_queries, many_rows = first_page(client, "product-list", {"search": "café"})

    assert (few_rows, many_rows) == (2, 20)
    assert many_queries == few_queries <= BUDGETS["product-list"]


def test_product_names_come_from_the_prefetch(world):
    """Every product of the page answers in Spanish without a query of its own."""
    grow(world, 0, 20)

    response = client_for(world.a.cashier).get(
        reverse("product-list"), {"page_size": 100}, HTTP_ACCEPT_LANGUAGE="es"
    )

    assert {row["name"] for row in response.json()["results"]} == {"Café"}
    assert all(len(row["translations"]) == 3 for row in response.json()["results"])
