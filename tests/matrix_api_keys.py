"""Isolation and RBAC declarations for /api/v1/api-keys/ (tenant admins only)."""

from __future__ import annotations

from typing import Any

from cliqserve.accounts import services
from cliqserve.accounts.models import ApiKey
from conftest import World
from tests.matrix import Case, ListRoute, ObjectRoute, statuses


def key_of(tenant_world: Any) -> ApiKey:
    """That tenant's one catalog-reading key (made once per test)."""
    existing = ApiKey.objects.unscoped().filter(tenant=tenant_world.tenant).first()
    if existing is not None:
        return existing
    issued = services.api_key_create(
        tenant=tenant_world.tenant, actor=tenant_world.tenant_admin, name="Shop", scopes=["catalog:read"]
    )
    return issued.api_key


def _key_a(w: World) -> ApiKey:
    return key_of(w.a)


OBJECT_ROUTES: dict[str, ObjectRoute] = {
    "api-key-detail": ObjectRoute(
        ApiKey, lambda w: key_of(w.b), lambda w: {"name": "x"}, methods=("get", "delete")
    ),
}
LIST_ROUTES: dict[str, ListRoute] = {
    "api-key-list": ListRoute(lambda w: {key_of(w.a).pk}, lambda w: {key_of(w.b).pk}),
}
NO_TENANT_ROWS: dict[str, str] = {}

CASES: list[Case] = [
    Case("api-key-list", "get", statuses(401, 403, 403, 200, 403)),
    Case(
        "api-key-list",
        "post",
        statuses(401, 403, 403, 201, 403),
        body=lambda w: {"name": "ERP", "scopes": ["stock:read"]},
        model=ApiKey,
    ),
    Case("api-key-detail", "get", statuses(401, 403, 403, 200, 403), target=_key_a),
    Case("api-key-detail", "delete", statuses(401, 403, 403, 204, 403), target=_key_a, model=ApiKey),
    # Keys are not edited (revoke one and make another): 405 for everyone.
    Case(
        "api-key-detail",
        "patch",
        statuses(405, 405, 405, 405, 405),
        _key_a,
        lambda w: {"name": "x"},
        ApiKey,
    ),
]
COVERED_ELSEWHERE: set[str] = set()
