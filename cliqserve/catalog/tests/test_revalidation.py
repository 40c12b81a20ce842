"""ETag/304 and the server-side cache of catalog answers: fresh data right after every kind of
catalog write, a 304 while nothing changed (ADR 0015)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cliqserve.core.cache import CACHE_REQUESTS
from conftest import World, client_for

PRODUCTS = "/api/v1/products/"
SYNC = "/api/v1/sync/catalog/"


def _product(admin: Any, sku: str = "P-1") -> dict[str, Any]:
    response = admin.post(PRODUCTS, {"sku": sku, "name": "Tea", "price": "2.50"}, format="json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def _create_product(admin: Any, _world: World) -> None:
    _product(admin, "P-2")


def _rename_product(admin: Any, _world: World) -> None:
    product = admin.get(PRODUCTS).json()["results"][0]
    assert admin.patch(f"{PRODUCTS}{product['id']}/", {"name": "Green tea"}, format="json").status_code == 200


def _deactivate_product(admin: Any, _world: World) -> None:
    product = admin.get(PRODUCTS).json()["results"][0]
    assert admin.delete(f"{PRODUCTS}{product['id']}/").status_code == 204


def _create_category(admin: Any, _world: World) -> None:
    assert admin.post("/api/v1/categories/", {"name": "Drinks"}, format="json").status_code == 201


def _create_tax_rate(admin: Any, _world: World) -> None:
    body = {"name": "VAT", "rate": "15.00", "inclusive": True}
    assert admin.post("/api/v1/tax-rates/", body, format="json").status_code == 201


# Each kind of catalog write, and the answers it must change.
WRITES = [
    ("product created", _create_product, PRODUCTS),
    ("product renamed", _rename_product, PRODUCTS),
    ("product deactivated", _deactivate_product, PRODUCTS),
    ("category created", _create_category, "/api/v1/categories/"),
    ("tax rate created", _create_tax_rate, "/api/v1/tax-rates/"),
]
CASES = [(write, path) for _name, write, listing in WRITES for path in (listing, SYNC)]
CASE_IDS = [f"{name}-{path}" for name, _write, listing in WRITES for path in (listing, SYNC)]


@pytest.mark.parametrize("path", [PRODUCTS, "/api/v1/categories/", "/api/v1/tax-rates/", SYNC])
def test_revalidation_answers_304_with_the_etag_and_no_body(world: World, path: str) -> None:
    _product(client_for(world.a.tenant_admin))
    cashier = client_for(world.a.cashier)
    first = cashier.get(path)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('W/"')

    again = cashier.get(path, HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert "Authorization" in again["Vary"]


@pytest.mark.parametrize(("write", "path"), CASES, ids=CASE_IDS)
def test_every_catalog_write_gives_fresh_data_at_once(world: World, write: Any, path: str) -> None:
    admin = client_for(world.a.tenant_admin)
    _product(admin)
    cashier = client_for(world.a.cashier)
    before = cashier.get(path)
    assert cashier.get(path).json() == before.json()  # served from the cache now

    write(admin, world)
    after = cashier.get(path, HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert after.json() != before.json()
    assert after.json() == admin.get(path).json()


def test_a_product_detail_is_fresh_after_its_update(world: World) -> None:
    admin = client_for(world.a.tenant_admin)
    url = f"{PRODUCTS}{_product(admin)['id']}/"
    assert admin.get(url).json()["name"] == "Tea"

    admin.patch(url, {"name": "Green tea"}, format="json")

    assert admin.get(url).json()["name"] == "Green tea"


def test_languages_have_their_own_etag_and_entry(world: World) -> None:
    admin = client_for(world.a.tenant_admin)
    names = {"en": {"name": "Tea"}, "es": {"name": "Té"}}
    admin.post(PRODUCTS, {"sku": "P-9", "price": "1.00", "translations": names}, format="json")
    english = admin.get(PRODUCTS, HTTP_ACCEPT_LANGUAGE="en")
    spanish = admin.get(PRODUCTS, HTTP_ACCEPT_LANGUAGE="es", HTTP_IF_NONE_MATCH=english["ETag"])

    assert spanish.status_code == 200
    assert spanish.json()["results"][0]["name"] == "Té"
    assert english.json()["results"][0]["name"] == "Tea"


def test_another_tenants_etag_is_not_a_match(world: World) -> None:
    etag = client_for(world.a.cashier).get(PRODUCTS)["ETag"]

    assert client_for(world.b.cashier).get(PRODUCTS, HTTP_IF_NONE_MATCH=etag).status_code == 200


def _hits() -> float:
    return CACHE_REQUESTS.labels(cache="catalog", result="hit")._value.get()


def test_a_cache_hit_costs_what_a_304_costs_and_is_counted(world: World) -> None:
    _product(client_for(world.a.tenant_admin))
    cashier = client_for(world.a.cashier)
    first = cashier.get(PRODUCTS)
    with CaptureQueriesContext(connection) as not_modified:
        cashier.get(PRODUCTS, HTTP_IF_NONE_MATCH=first["ETag"])
    hits = _hits()

    with CaptureQueriesContext(connection) as hit:
        assert cashier.get(PRODUCTS).json() == first.json()

    assert _hits() == hits + 1
    # Authentication's queries and the catalog version: no product is read.
    assert len(hit) == len(not_modified)
    assert not any("catalog_product" in query["sql"] for query in hit.captured_queries)
