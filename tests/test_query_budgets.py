"""Lists cost a constant number of queries, however many rows they return."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cliqserve.accounts.services import api_key_create
from cliqserve.core import audit
from cliqserve.core.models import Job
from cliqserve.core.roles import Role
from conftest import World, client_for
from tests.factories import BranchFactory, DeviceFactory, TenantFactory, UserFactory

# route -> (role that lists it, the most queries a page may take)
BUDGETS = {
    "tenant-list": ("platform_owner", 3),
    "branch-list": ("tenant_admin", 3),
    "device-list": ("tenant_admin", 4),
    "user-list": ("tenant_admin", 3),
    "job-list": ("tenant_admin", 3),
    "audit-event-list": ("tenant_admin", 2),
    "api-key-list": ("tenant_admin", 2),
}


def _grow(world: World, count: int) -> None:
    """Add `count` more rows of every listed kind to tenant A (and tenants for the owner)."""
    for _ in range(count):
        TenantFactory()
        branch = BranchFactory(tenant=world.a.tenant)
        cashier = UserFactory(role=Role.CASHIER, branch=branch)
        DeviceFactory(branch=branch, assigned_users=[cashier])
        Job.objects.unscoped().create(
            tenant=world.a.tenant, kind="product_import", created_by=world.a.tenant_admin
        )
        audit.record(action="probe", tenant_id=world.a.tenant.pk, actor=world.a.tenant_admin, target=branch)
        api_key_create(tenant=world.a.tenant, actor=world.a.tenant_admin, name="Feed", scopes=["stock:read"])


def _queries_for_first_page(client, route: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(route), {"page_size": 100})
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


@pytest.mark.parametrize("route", sorted(BUDGETS))
def test_list_queries_do_not_grow_with_rows(world, route):
    role, budget = BUDGETS[route]
    client = client_for(world.user(role))
    few_queries, few_rows = _queries_for_first_page(client, route)

    _grow(world, 15)
    many_queries, many_rows = _queries_for_first_page(client, route)

    assert many_rows > few_rows
    assert many_queries == few_queries
    assert many_queries <= budget
