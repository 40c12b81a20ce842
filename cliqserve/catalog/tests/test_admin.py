"""The catalog in the Django admin: every tenant's rows for platform staff, to read only."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from cliqserve.accounts.models import User
from cliqserve.catalog import custom_fields
from cliqserve.core.tenancy import tenant_scope
from tests.factories import CategoryFactory, TaxRateFactory

from .helpers import make_product

pytestmark = pytest.mark.django_db

# Session, user, permissions and the page's own reads; a page that grows with its rows breaks it.
PAGE_BUDGET = 12
MODELS = ("category", "taxrate", "product", "customfielddefinition")


@pytest.fixture
def staff(client):
    superuser = User.objects.create_superuser("staff@platform.test", "quiet-meadow-lantern-3")
    client.force_login(superuser)
    return client


def add_catalog(tenant_world, count: int, *, prefix: str) -> dict[str, Any]:
    """`count` rows of each catalog kind in the tenant; returns the first of each."""
    rows: dict[str, Any] = {}
    with tenant_scope(tenant_world.tenant.pk):
        for n in range(count):
            category = CategoryFactory(tenant=tenant_world.tenant, name=f"{prefix} category {n}")
            rows.setdefault("category", category)
            rows.setdefault("taxrate", TaxRateFactory(tenant=tenant_world.tenant))
            rows.setdefault(
                "product",
                make_product(
                    tenant_world,
                    sku=f"{prefix}-{n}",
                    category=category,
                    translations={
                        "en": {"name": f"{prefix} coffee {n}"},
                        "es": {"name": f"{prefix} café {n}"},
                    },
                ),
            )
            rows.setdefault(
                "customfielddefinition",
                custom_fields.custom_field_create(
                    tenant=tenant_world.tenant,
                    actor=tenant_world.tenant_admin,
                    key=f"{prefix.lower()}-field-{n}",
                    label="Field",
                    field_type="text",
                ),
            )
    return rows


@pytest.mark.parametrize("extra_rows", [1, 12])
@pytest.mark.parametrize("model", MODELS)
def test_changelist_lists_every_tenant_in_bounded_queries(
    staff, world, model, extra_rows, django_assert_max_num_queries
):
    add_catalog(world.a, extra_rows, prefix="A")
    add_catalog(world.b, 1, prefix="B")

    with django_assert_max_num_queries(PAGE_BUDGET):
        response = staff.get(reverse(f"admin:catalog_{model}_changelist"))

    assert response.status_code == 200
    assert "Tenant A" in response.content.decode()
    assert "Tenant B" in response.content.decode()


@pytest.mark.parametrize("model", MODELS)
def test_change_page_shows_the_row_read_only(staff, world, model, django_assert_max_num_queries):
    row = add_catalog(world.b, 1, prefix="B")[model]

    with django_assert_max_num_queries(PAGE_BUDGET):
        response = staff.get(reverse(f"admin:catalog_{model}_change", args=[row.pk]))

    assert response.status_code == 200
    assert str(row) in response.content.decode()
    assert 'name="_save"' not in response.content.decode()


def test_product_page_shows_every_translation(staff, world):
    product = add_catalog(world.a, 1, prefix="A")["product"]

    response = staff.get(reverse("admin:catalog_product_change", args=[product.pk]))

    assert "en: A coffee 0 · es: A café 0" in response.content.decode()


@pytest.mark.parametrize("model", MODELS)
def test_staff_cannot_add_change_or_delete_catalog_rows(staff, world, model):
    row = add_catalog(world.a, 1, prefix="A")[model]
    before = type(row).objects.unscoped().filter(pk=row.pk).values().get()

    add = staff.post(reverse(f"admin:catalog_{model}_add"), {})
    change = staff.post(reverse(f"admin:catalog_{model}_change", args=[row.pk]), {"name": "Hacked"})
    delete = staff.post(reverse(f"admin:catalog_{model}_delete", args=[row.pk]), {"post": "yes"})

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert type(row).objects.unscoped().filter(pk=row.pk).values().get() == before
