"""API keys across every route of the RBAC matrix: a key reaches exactly what its scopes open.

A route opens an action to a scope through its view's `key_scopes`; there the key gets what the
tenant admin gets (it reads the tenant as its admin does), everywhere else 403 (or 405 where
nobody may use the method) and the database is left as it was.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import resolve, reverse
from rest_framework.test import APIClient

from cliqserve.accounts import services
from cliqserve.core.roles import ApiKeyScope
from conftest import World
from tests.matrix import Case
from tests.test_rbac import CASES, WRITE_METHODS, _snapshot


def key_client(world: World, scopes: list[str]) -> APIClient:
    issued = services.api_key_create(
        tenant=world.a.tenant, actor=world.a.tenant_admin, name="Integration", scopes=scopes
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.key}")
    # The first request stamps last_used_at (then not again for a minute): done here, so the
    # ApiKey rows the matrix snapshots change only by what a case does.
    client.get("/api/v1/auth/me/")
    return client


def opened_scope(case: Case, args: list[Any]) -> str | None:
    """The scope the case's action is open to; None where keys are shut out."""
    match = resolve(reverse(case.route, args=args))
    actions = getattr(match.func, "actions", None) or {}
    action = actions.get(case.method, case.method)
    scopes = getattr(match.func.cls, "key_scopes", {})
    scope: str | None = scopes.get(action)
    return scope


def refusal(case: Case) -> int:
    """What a key gets where its scopes do not open the door: what anyone gets at a public
    route, 405 for a method nobody may use, else 403."""
    if case.expected["anonymous"] != 401:
        return case.expected["anonymous"]
    return 405 if set(case.expected.values()) == {405} else 403


def send(client: APIClient, case: Case, world: World, args: list[Any]) -> Any:
    return getattr(client, case.method)(
        reverse(case.route, args=args), case.body(world), format="json", headers=case.headers
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method}-{c.route}")
def test_a_key_with_every_scope_gets_what_its_scopes_open_and_nothing_else(world, case):
    client = key_client(world, [scope.value for scope in ApiKeyScope])
    args = [case.target(world).pk] if case.target else []
    scope = opened_scope(case, args)
    before = _snapshot(case.model) if case.model else None

    response = send(client, case, world, args)

    expected = case.expected["tenant_admin"] if scope else refusal(case)
    assert response.status_code == expected, response.content
    if expected >= 400 and case.method in WRITE_METHODS and case.model is not None:
        assert _snapshot(case.model) == before, "a refused write changed the database"


@pytest.mark.parametrize("held", [scope.value for scope in ApiKeyScope])
def test_a_key_with_one_scope_is_refused_everywhere_else(world, held):
    client = key_client(world, [held])
    refused = 0

    for case in CASES:
        args = [case.target(world).pk] if case.target else []
        scope = opened_scope(case, args)
        if scope == held:
            continue
        before = _snapshot(case.model) if case.model else None
        response = send(client, case, world, args)
        assert response.status_code == refusal(case), (case.method, case.route, response.content)
        if case.model is not None:
            assert _snapshot(case.model) == before
        refused += 1

    assert refused > 0
