"""The RBAC matrix: every route x every role -> the expected status, in one table.

Targets are tenant A's own rows (isolation across tenants is tests/test_isolation.py). A
refused write must leave the database exactly as it was.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models
from django.urls import reverse

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
from tests.matrix import ROLES
from tests.routes import api_route_names

WRITE_METHODS = {"post", "put", "patch", "delete"}
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
CASES = [case for domain in DOMAINS for case in domain.CASES]
COVERED_ELSEWHERE = {name for domain in DOMAINS for name in domain.COVERED_ELSEWHERE}


def test_every_api_route_is_in_the_matrix():
    assert api_route_names() == {case.route for case in CASES} | COVERED_ELSEWHERE


def _snapshot(model: type[models.Model]) -> list[dict[str, Any]]:
    return list(model._base_manager.order_by("pk").values())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method}-{c.route}")
def test_role_gets_the_declared_status(world, case, role):
    expected = case.expected[role]
    client = client_for(None if role == "anonymous" else world.user(role))
    args = [case.target(world).pk] if case.target else []
    before = _snapshot(case.model) if case.model else None

    response = getattr(client, case.method)(
        reverse(case.route, args=args), case.body(world), format="json", headers=case.headers
    )

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert "errors" in response.json()
        if case.method in WRITE_METHODS and case.model is not None:
            assert _snapshot(case.model) == before, "a refused write changed the database"
