"""API keys: made by a tenant admin, shown once, stored hashed, scoped, expiring, revocable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from cliqserve.accounts.api.throttles import ApiKeyRateThrottle
from cliqserve.accounts.models import ApiKey, secret_digest
from cliqserve.catalog.models import Product
from cliqserve.core.models import AuditEvent
from cliqserve.inventory.models import StockMovement
from cliqserve.inventory.tests.helpers import product
from conftest import World, client_for

KEYS = "/api/v1/api-keys/"
PRODUCTS = "/api/v1/products/"


def issue(world: World, *scopes: str, **fields: Any) -> dict[str, Any]:
    response = client_for(world.a.tenant_admin).post(
        KEYS, {"name": "E-shop", "scopes": list(scopes), **fields}, format="json"
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def keyed(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_a_key_is_shown_once_and_stored_only_as_its_hash(world):
    issued = issue(world, "catalog:read")

    assert issued["key"].startswith(f"cqk_{issued['prefix']}_")
    assert issued["scopes"] == ["catalog:read"]
    stored = ApiKey.objects.unscoped().get(pk=issued["id"])
    assert stored.key_hash == secret_digest(issued["key"])
    assert issued["key"] not in str(ApiKey.objects.unscoped().filter(pk=issued["id"]).values().get())
    listed = client_for(world.a.tenant_admin).get(KEYS).json()["results"]
    assert [k["id"] for k in listed] == [issued["id"]]
    assert "key" not in listed[0]
    created = AuditEvent.objects.get(action="api_key_created")
    assert (created.actor_id, created.object_id) == (world.a.tenant_admin.pk, issued["id"])


def test_a_catalog_read_key_lists_products_but_cannot_write_sell_or_manage(world):
    item = product(world.a.tenant, "KEY-1")
    client = keyed(issue(world, "catalog:read")["key"])
    before = Product.objects.unscoped().count()

    listed = client.get(PRODUCTS)
    written = client.post(PRODUCTS, {"sku": "NEW", "price": "1.00", "name": "New"}, format="json")
    changed = client.patch(f"{PRODUCTS}{item.pk}/", {"price": "9.99"}, format="json")
    refused = [client.get(path).status_code for path in (KEYS, "/api/v1/users/", "/api/v1/auth/me/")]
    sold = client.post("/api/v1/sales/", {}, format="json")

    assert listed.status_code == 200
    assert [p["sku"] for p in listed.json()["results"]] == ["KEY-1"]
    assert (written.status_code, changed.status_code, sold.status_code) == (403, 403, 403)
    assert refused == [403, 403, 403]
    assert Product.objects.unscoped().count() == before
    assert Product.objects.unscoped().get(pk=item.pk).price == item.price


def test_a_catalog_write_key_changes_prices_in_the_audit_trail_as_itself(world):
    item = product(world.a.tenant, "KEY-2", price="2.00")
    issued = issue(world, "catalog:read", "catalog:write")

    response = keyed(issued["key"]).patch(f"{PRODUCTS}{item.pk}/", {"price": "2.50"}, format="json")

    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get(action="product_price_changed")
    assert (event.actor_type, str(event.actor_id)) == ("api_key", issued["id"])


def test_a_revoked_or_expired_key_stops_working(world, time_machine):
    revoked, expiring = (
        issue(world, "catalog:read"),
        issue(world, "catalog:read", expires_at=(timezone.now() + timedelta(hours=1)).isoformat()),
    )
    assert keyed(revoked["key"]).get(PRODUCTS).status_code == 200

    assert client_for(world.a.tenant_admin).delete(f"{KEYS}{revoked['id']}/").status_code == 204
    assert client_for(world.a.tenant_admin).delete(f"{KEYS}{revoked['id']}/").status_code == 204
    time_machine.move_to(timezone.now() + timedelta(hours=2))

    for key in (revoked["key"], expiring["key"]):
        response = keyed(key).get(PRODUCTS)
        assert response.status_code == 401
        assert response.json()["errors"][0]["code"] == "authentication_failed"
    assert AuditEvent.objects.filter(action="api_key_revoked").count() == 1


@pytest.mark.parametrize(
    "header",
    ["Api-Key", "Api-Key cqk_nope_nope", "Api-Key a b", "Api-Key cqk_000000000000_forged"],
)
def test_a_bad_key_is_401_in_the_contracts_format(world, header):
    issue(world, "catalog:read")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(PRODUCTS)

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] in ("authentication_failed", "not_authenticated")


def test_a_guessed_secret_for_a_real_prefix_is_refused(world):
    issued = issue(world, "catalog:read")

    response = keyed(f"cqk_{issued['prefix']}_{'x' * 43}").get(PRODUCTS)

    assert response.status_code == 401


def test_a_key_of_a_deactivated_tenant_stops_working(world):
    key = issue(world, "catalog:read")["key"]
    world.a.tenant.is_active = False
    world.a.tenant.save()

    assert keyed(key).get(PRODUCTS).status_code == 401


def test_a_key_sees_its_own_tenant_only(world):
    foreign = product(world.b.tenant, "KEY-B")
    client = keyed(issue(world, "catalog:read", "catalog:write")["key"])

    assert client.get(f"{PRODUCTS}{foreign.pk}/").status_code == 404
    assert client.patch(f"{PRODUCTS}{foreign.pk}/", {"price": "0.01"}, format="json").status_code == 404
    assert client.get(PRODUCTS).json()["results"] == []
    assert Product.objects.unscoped().get(pk=foreign.pk).price == foreign.price


def test_last_used_is_stamped(world):
    issued = issue(world, "catalog:read")

    keyed(issued["key"]).get(PRODUCTS)

    assert ApiKey.objects.unscoped().get(pk=issued["id"]).last_used_at is not None


def test_each_key_has_its_own_rate(world, monkeypatch):
    # DRF reads the rates once, when the throttle class is defined: set this one's directly.
    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "2/minute", raising=False)
    first, second = keyed(issue(world, "catalog:read")["key"]), keyed(issue(world, "catalog:read")["key"])

    statuses = [first.get(PRODUCTS).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert second.get(PRODUCTS).status_code == 200


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"name": "x", "scopes": ["catalog:delete"]}, "/scopes/0"),
        ({"name": "x", "scopes": []}, "/scopes"),
        ({"name": "x", "scopes": ["catalog:read"], "expires_at": "2000-01-01T00:00:00Z"}, "/expires_at"),
        ({"scopes": ["catalog:read"]}, "/name"),
    ],
)
def test_bad_input_is_a_400_and_creates_nothing(world, body, pointer):
    response = client_for(world.a.tenant_admin).post(KEYS, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == pointer
    assert not ApiKey.objects.unscoped().exists()


def test_a_stock_write_key_receives_stock_once_per_idempotency_key_as_itself(world):
    item = product(world.a.tenant, "KEY-S")
    issued = issue(world, "stock:write")
    client = keyed(issued["key"])
    body = {
        "branch": str(world.a.branch.pk),
        "lines": [{"product": str(item.pk), "quantity": "4", "unit_cost": "1.50"}],
    }

    first = client.post("/api/v1/stock-receipts/", body, format="json", HTTP_IDEMPOTENCY_KEY="po-1")
    again = client.post("/api/v1/stock-receipts/", body, format="json", HTTP_IDEMPOTENCY_KEY="po-1")
    other_key = keyed(issue(world, "stock:write")["key"]).post(
        "/api/v1/stock-receipts/", body, format="json", HTTP_IDEMPOTENCY_KEY="po-1"
    )

    assert (first.status_code, again.status_code, other_key.status_code) == (201, 201, 201)
    assert again.json() == first.json()
    movements = StockMovement.objects.unscoped().filter(product=item)
    assert movements.count() == 2  # the replay wrote nothing; the other key's receipt is its own
    assert {str(m.api_key_id) for m in movements} >= {issued["id"]}
    assert {m.actor_id for m in movements} == {None}


def test_a_stock_read_key_cannot_adjust_stock(world):
    item = product(world.a.tenant, "KEY-R")
    client = keyed(issue(world, "stock:read")["key"])

    response = client.post(
        "/api/v1/stock-adjustments/",
        {"branch": str(world.a.branch.pk), "product": str(item.pk), "quantity_delta": "-1", "reason": "x"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="adj-1",
    )

    assert response.status_code == 403
    assert not StockMovement.objects.unscoped().filter(product=item).exists()


def test_creating_a_key_and_calling_with_it_cost_a_fixed_few_queries(world):
    admin = client_for(world.a.tenant_admin)
    with CaptureQueriesContext(connection) as creating:
        key = admin.post(KEYS, {"name": "Feed", "scopes": ["catalog:read"]}, format="json").json()["key"]
    creating_sql = [query["sql"] for query in creating.captured_queries]
    client = keyed(key)
    client.get(KEYS)  # the first use stamps last_used_at (a 403: keys do not manage keys)
    with CaptureQueriesContext(connection) as calling:
        assert client.get(KEYS).status_code == 403

    # the admin (auth), the savepoint, the key, its audit event, the savepoint's release
    assert len(creating_sql) == 5, creating_sql
    # a call is one query to know the key (with its tenant); a refusal reads nothing more
    assert len(calling.captured_queries) == 1
    assert "accounts_apikey" in calling.captured_queries[0]["sql"]
