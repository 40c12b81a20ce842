"""An approver's PIN (POST/DELETE /api/v1/auth/pin/): set with the password, stored hashed,
refused when guessable, removable, audited, and held to the sign-in lockout when used to approve."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import check_password

from cliqserve.accounts.models import Approval, User
from cliqserve.core.models import AuditEvent
from conftest import World, client_for
from tests.factories import PASSWORD

PIN = "/api/v1/auth/pin/"
APPROVALS = "/api/v1/auth/approvals/"


def pin_of(user: User) -> str:
    return str(User.objects.values_list("approval_pin", flat=True).get(pk=user.pk))


def test_a_manager_sets_a_pin_that_is_stored_hashed_and_audited(world: World) -> None:
    manager = world.a.branch_manager

    response = client_for(manager).post(PIN, {"password": PASSWORD, "pin": "4711"}, format="json")

    assert response.status_code == 204, response.content
    stored = pin_of(manager)
    assert stored != "4711"
    assert check_password("4711", stored)
    event = AuditEvent.objects.get(action="approval_pin_set")
    assert (event.actor_id, event.object_id, event.changes) == (manager.pk, str(manager.pk), {})


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"password": "not-it", "pin": "4711"}, "/password"),
        ({"password": PASSWORD, "pin": "1234"}, "/pin"),
        ({"password": PASSWORD, "pin": "0000"}, "/pin"),
        ({"password": PASSWORD, "pin": "987"}, "/pin"),
        ({"password": PASSWORD, "pin": "47a1"}, "/pin"),
        ({"password": PASSWORD, "pin": "123456789"}, "/pin"),
    ],
)
def test_a_wrong_password_or_a_weak_pin_is_refused_and_changes_nothing(
    world: World, body: dict[str, str], pointer: str
) -> None:
    response = client_for(world.a.branch_manager).post(PIN, body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["source"]["pointer"] == pointer
    assert pin_of(world.a.branch_manager) == ""
    assert not AuditEvent.objects.filter(action__startswith="approval_pin").exists()


def test_a_removed_pin_no_longer_approves(world: World) -> None:
    manager, till = world.a.branch_manager, client_for(world.a.cashier, device=world.a.device)
    client_for(manager).post(PIN, {"password": PASSWORD, "pin": "4711"}, format="json")
    body = {"email": manager.email, "pin": "4711", "action": "refund"}
    assert till.post(APPROVALS, body, format="json").status_code == 201

    assert client_for(manager).delete(PIN).status_code == 204

    assert till.post(APPROVALS, body, format="json").status_code == 401
    assert pin_of(manager) == ""
    assert AuditEvent.objects.filter(action="approval_pin_removed", actor_id=manager.pk).count() == 1


def test_pin_guesses_lock_out_like_password_guesses(world: World, settings: Any) -> None:
    settings.LOGIN_LOCKOUT_THRESHOLD = 3
    manager, till = world.a.branch_manager, client_for(world.a.cashier, device=world.a.device)
    client_for(manager).post(PIN, {"password": PASSWORD, "pin": "4711"}, format="json")
    guesses = [
        till.post(APPROVALS, {"email": manager.email, "pin": pin, "action": "void"}, format="json")
        for pin in ("1111", "2222", "3333")
    ]

    right = till.post(APPROVALS, {"email": manager.email, "pin": "4711", "action": "void"}, format="json")

    assert [guess.status_code for guess in guesses] == [401, 401, 401]
    assert right.status_code == 429  # the PIN is not even checked while this client waits
    assert not Approval.objects.unscoped().exists()


def test_erasing_a_former_manager_drops_its_pin(world: World) -> None:
    manager = world.a.branch_manager
    client_for(manager).post(PIN, {"password": PASSWORD, "pin": "4711"}, format="json")
    manager.is_active = False
    manager.save()

    response = client_for(world.a.tenant_admin).post(f"/api/v1/users/{manager.pk}/erase/")

    assert response.status_code == 200, response.content
    assert pin_of(manager) == ""
