"""An email already in use is refused in the same words whoever holds it, and an admin who
collects refusals is stopped: the refusals must not list another tenant's staff (issue 12)."""

from __future__ import annotations

from cliqserve.accounts.models import User
from cliqserve.accounts.services import EMAIL_REFUSED
from cliqserve.core.models import AuditEvent
from conftest import World, client_for

USERS = "/api/v1/users/"


def new_cashier(world: World, email: str) -> dict[str, str]:
    return {
        "email": email,
        "password": "a-long-enough-passphrase",
        "role": "cashier",
        "branch": str(world.a.branch.pk),
    }


def test_another_tenants_email_and_an_own_one_are_refused_alike(world: World) -> None:
    admin = client_for(world.a.tenant_admin)
    before = User.objects.count()

    elsewhere = admin.post(USERS, new_cashier(world, world.b.cashier.email), format="json")
    own = admin.post(USERS, new_cashier(world, world.a.cashier.email), format="json")

    for response in (elsewhere, own):
        assert response.status_code == 400
        error = response.json()["errors"][0]
        assert error["detail"] == EMAIL_REFUSED
        assert error["source"]["pointer"] == "/email"
    assert elsewhere.json()["errors"] == own.json()["errors"]
    assert User.objects.count() == before
    # Each refusal is in the trail, under the admin, naming no address and no account.
    refusals = AuditEvent.objects.filter(action="user_email_refused")
    assert refusals.count() == 2
    for event in refusals:
        assert (event.tenant_id, event.actor_id) == (world.a.tenant.pk, world.a.tenant_admin.pk)
        assert (event.object_type, event.object_id, event.changes) == ("user", "", {})


def test_an_email_changed_to_one_in_use_is_refused_alike(world: World) -> None:
    admin = client_for(world.a.tenant_admin)

    response = admin.patch(f"{USERS}{world.a.cashier.pk}/", {"email": world.b.cashier.email}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["detail"] == EMAIL_REFUSED
    world.a.cashier.refresh_from_db()
    assert world.a.cashier.email == "cashier@a.test"
    # The refusal is audited; the change it refused is not.
    actions = list(
        AuditEvent.objects.filter(actor_id=world.a.tenant_admin.pk).values_list("action", flat=True)
    )
    assert actions == ["user_email_refused"]


def test_an_admin_who_collects_refusals_is_stopped_for_the_hour(world: World, settings) -> None:
    settings.USER_EMAIL_REFUSALS_PER_HOUR = 3
    admin = client_for(world.a.tenant_admin)
    taken = [world.b.cashier.email, world.b.branch_manager.email, world.b.tenant_admin.email]
    before = User.objects.count()

    refused = [admin.post(USERS, new_cashier(world, email), format="json").status_code for email in taken]
    probe = admin.post(USERS, new_cashier(world, world.b.other_cashier.email), format="json")
    fresh = admin.post(USERS, new_cashier(world, "new-hire@a.test"), format="json")

    assert refused == [400, 400, 400]
    # Taken or free, the answer is the same now: nothing more is learnt, nothing is written.
    for response in (probe, fresh):
        assert response.status_code == 429
        assert response.json()["errors"][0]["code"] == "rate_limit_exceeded"
        assert response["Retry-After"] == "3600"
    assert User.objects.count() == before
    # Another admin is not held back by it.
    other = client_for(world.b.tenant_admin)
    assert (
        other.post(
            USERS, {**new_cashier(world, "hire@b.test"), "branch": str(world.b.branch.pk)}, format="json"
        ).status_code
        == 201
    )
