"""A tenant admin sets its own business's settings; identity and currency stay the owner's."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cliqserve.tenants.models import Tenant
from conftest import client_for


def url(tenant):
    return f"/api/v1/tenants/{tenant.pk}/"


def test_a_tenant_admin_sets_the_cashier_discount_limit_and_negative_stock(world):
    response = client_for(world.a.tenant_admin).patch(
        url(world.a.tenant),
        {"cashier_max_discount_percent": "7.50", "allow_negative_stock": True},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["cashier_max_discount_percent"] == "7.50"
    tenant = Tenant.objects.get(pk=world.a.tenant.pk)
    assert (tenant.cashier_max_discount_percent, tenant.allow_negative_stock) == (Decimal("7.50"), True)


@pytest.mark.parametrize(
    ("field", "value"), [("name", "Renamed"), ("currency", "EUR"), ("slug", "new-slug"), ("is_active", False)]
)
def test_a_tenant_admin_may_not_change_identity_currency_or_activation(world, field, value):
    before = Tenant.objects.filter(pk=world.a.tenant.pk).values().get()

    response = client_for(world.a.tenant_admin).patch(url(world.a.tenant), {field: value}, format="json")

    assert response.status_code == 403
    assert response.json()["errors"][0]["source"]["pointer"] == f"/{field}"
    assert Tenant.objects.filter(pk=world.a.tenant.pk).values().get() == before


def test_a_put_repeating_the_identity_unchanged_is_accepted(world):
    client = client_for(world.a.tenant_admin)
    current = client.get(url(world.a.tenant)).json()
    body = {key: current[key] for key in ("name", "slug", "currency", "timezone", "default_language")}

    response = client.put(url(world.a.tenant), {**body, "cashier_max_discount_percent": "5"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["cashier_max_discount_percent"] == "5.00"


@pytest.mark.parametrize("value", ["-1", "100.01"])
def test_the_discount_limit_is_a_percentage(world, value):
    response = client_for(world.a.tenant_admin).patch(
        url(world.a.tenant), {"cashier_max_discount_percent": value}, format="json"
    )

    assert response.status_code == 400
    assert Tenant.objects.get(pk=world.a.tenant.pk).cashier_max_discount_percent == 0


def test_another_tenants_settings_are_not_found(world):
    response = client_for(world.a.tenant_admin).patch(
        url(world.b.tenant), {"allow_negative_stock": True}, format="json"
    )

    assert response.status_code == 404
    assert Tenant.objects.get(pk=world.b.tenant.pk).allow_negative_stock is False
