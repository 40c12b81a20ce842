"""The isolation matrix: no tenant ever sees or changes another tenant's rows.

Every API route must appear below. A new route that is not added here fails
`test_every_api_route_is_in_the_matrix`, so isolation is proven for each one.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models
from django.urls import resolve, reverse

from cliqserve.accounts.models import User
from cliqserve.tenants.models import Device
from conftest import client_for
from tests import (
    matrix_api_keys,
    matrix_audit,
    matrix_bulk,
    matrix_catalog,
    matrix_exports,
    matrix_flags,
    matrix_identity,
    matrix_inventory,
    matrix_offline,
    matrix_refunds,
    matrix_reports,
    matrix_sales,
    matrix_shifts,
    matrix_sync,
)
from tests.routes import api_route_names

TENANT_ROLES = ("tenant_admin", "branch_manager", "cashier")


DOMAINS = (
    matrix_identity,
    matrix_catalog,
    matrix_inventory,
    matrix_sync,
    matrix_bulk,
    matrix_sales,
    matrix_shifts,
    matrix_refunds,
    matrix_offline,
    matrix_reports,
    matrix_exports,
    matrix_audit,
    matrix_api_keys,
    matrix_flags,
)
OBJECT_ROUTES = {name: route for domain in DOMAINS for name, route in domain.OBJECT_ROUTES.items()}
LIST_ROUTES = {name: route for domain in DOMAINS for name, route in domain.LIST_ROUTES.items()}
NO_TENANT_ROWS = {name: why for domain in DOMAINS for name, why in domain.NO_TENANT_ROWS.items()}


def test_every_api_route_is_in_the_matrix():
    declared = set(OBJECT_ROUTES) | set(LIST_ROUTES) | set(NO_TENANT_ROWS)

    assert api_route_names() == declared


def _row(model: type[models.Model], pk: Any) -> dict[str, Any]:
    return model._base_manager.filter(pk=pk).values().get()


def _may_retrieve(route: str, role: str) -> bool:
    view_class = resolve(reverse(route, args=["00000000-0000-0000-0000-000000000000"])).func.cls
    return role in view_class.policy["retrieve"]


@pytest.mark.parametrize("role", TENANT_ROLES)
@pytest.mark.parametrize("route", sorted(OBJECT_ROUTES))
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_another_tenants_object_is_not_found_and_unchanged(world, route, method, role):
    spec = OBJECT_ROUTES[route]
    target = spec.target(world)
    before = _row(spec.model, target.pk)
    client = client_for(world.a.user(role))

    response = getattr(client, method)(reverse(route, args=[target.pk]), spec.payload(world), format="json")

    expected = 404 if _may_retrieve(route, role) else 403
    if method not in spec.methods:
        expected = 405
    assert response.status_code == expected, response.content
    codes = {404: "not_found", 403: "permission_denied", 405: "method_not_allowed"}
    assert response.json()["errors"][0]["code"] == codes[expected]
    assert _row(spec.model, target.pk) == before


@pytest.mark.parametrize("route", sorted(LIST_ROUTES))
def test_lists_never_hold_another_tenants_rows(world, route):
    spec = LIST_ROUTES[route]
    own, foreign = {str(pk) for pk in spec.own(world)}, {str(pk) for pk in spec.foreign(world)}

    response = client_for(world.a.tenant_admin).get(reverse(route), {"page_size": 200})

    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert own <= ids
    assert ids.isdisjoint(foreign)


@pytest.mark.parametrize("role", TENANT_ROLES)
def test_filters_cannot_reach_into_another_tenant(world, role):
    client = client_for(world.a.user(role))

    for route, query in [
        ("device-list", {"branch": world.b.branch.pk}),
        ("user-list", {"branch": world.b.branch.pk}),
    ]:
        response = client.get(reverse(route), query)
        assert response.status_code in (200, 400, 403)
        if response.status_code == 200:
            assert response.json()["results"] == []


def test_me_is_the_caller_only(world):
    response = client_for(world.a.cashier).get(reverse("auth-me"))

    assert response.json()["id"] == str(world.a.cashier.pk)


def test_writes_cannot_reference_another_tenants_rows(world):
    admin = client_for(world.a.tenant_admin)
    devices_before = Device.objects.unscoped().count()
    users_before = User.objects.count()

    foreign_branch = admin.post(
        reverse("device-list"), {"branch": str(world.b.branch.pk), "name": "x", "code": "X1"}, format="json"
    )
    foreign_assignee = admin.post(
        reverse("device-list"),
        {
            "branch": str(world.a.branch.pk),
            "name": "x",
            "code": "X2",
            "assigned_users": [str(world.b.cashier.pk)],
        },
        format="json",
    )
    foreign_user_branch = admin.post(
        reverse("user-list"),
        {
            "email": "new@a.test",
            "password": "a-long-enough-passphrase",
            "role": "cashier",
            "branch": str(world.b.branch.pk),
        },
        format="json",
    )

    assert foreign_branch.json()["errors"][0]["source"]["pointer"] == "/branch"
    assert foreign_assignee.json()["errors"][0]["source"]["pointer"] == "/assigned_users"
    assert foreign_user_branch.json()["errors"][0]["source"]["pointer"] == "/branch"
    assert {r.status_code for r in (foreign_branch, foreign_assignee, foreign_user_branch)} == {400}
    assert Device.objects.unscoped().count() == devices_before
    assert User.objects.count() == users_before
