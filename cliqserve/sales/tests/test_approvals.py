"""Manager approvals at the till: a cashier's line goes beyond its limits with a manager's
one-time approval, and the audit trail names both (contract: POST /api/v1/auth/approvals/)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from cliqserve.accounts.models import Approval
from cliqserve.core.models import AuditEvent
from cliqserve.sales.models import Sale
from conftest import World, client_for
from tests.factories import PASSWORD, UserFactory

from .helpers import D, keyed, open_shift, sale_body, stocked

APPROVALS = "/api/v1/auth/approvals/"


@pytest.fixture
def till(world: World) -> Any:
    world.a.tenant.cashier_max_discount_percent = D("10")
    world.a.tenant.save()
    return client_for(world.a.cashier, device=world.a.device)


def approve(client: Any, approver: Any, action: str = "discount", password: str = PASSWORD) -> Any:
    return client.post(
        APPROVALS, {"email": approver.email, "password": password, "action": action}, format="json"
    )


def discounted_sale(world: World, approval: str | None, discount: str = "25") -> dict[str, Any]:
    body = sale_body(open_shift(world.a), (stocked(world.a, "APR-1", price=D("10.00")), 1))
    body["lines"][0]["discount_percent"] = discount
    if approval is not None:
        body["lines"][0]["approval"] = approval
    return body


def test_a_managers_approval_lets_the_cashier_discount_once_and_the_trail_names_both(world, till):
    granted = approve(till, world.a.branch_manager)
    assert granted.status_code == 201, granted.content
    token = granted.json()["approval"]

    sold = till.post("/api/v1/sales/", discounted_sale(world, token), format="json", **keyed())
    reused = till.post("/api/v1/sales/", discounted_sale(world, token), format="json", **keyed())

    assert sold.status_code == 201, sold.content
    assert reused.status_code == 403
    assert reused.json()["errors"][0]["source"]["pointer"] == "/lines/0/approval"
    assert Sale.objects.unscoped().count() == 1
    event = AuditEvent.objects.get(action="discount_over_limit")
    assert (event.actor_id, event.approver_id) == (world.a.cashier.pk, world.a.branch_manager.pk)
    assert AuditEvent.objects.get(action="approval_granted").actor_id == world.a.branch_manager.pk


def test_without_an_approval_the_cashier_is_still_refused(world, till):
    response = till.post("/api/v1/sales/", discounted_sale(world, None), format="json", **keyed())

    assert response.status_code == 403
    assert not Sale.objects.unscoped().exists()


@pytest.mark.parametrize("case", ["other action", "expired", "another cashier", "forged"])
def test_an_approval_is_for_its_action_its_cashier_and_two_minutes(world, till, time_machine, case):
    action = "price_override" if case == "other action" else "discount"
    token = approve(till, world.a.branch_manager, action=action).json()["approval"]
    client = till
    if case == "expired":
        time_machine.move_to(timezone.now() + timedelta(minutes=3))
    if case == "another cashier":
        other = UserFactory(role="cashier", branch=world.a.branch)
        world.a.device.assignments.create(tenant=world.a.tenant, user=other)
        client = client_for(other, device=world.a.device)
    if case == "forged":
        token = "x" * 43

    response = client.post("/api/v1/sales/", discounted_sale(world, token), format="json", **keyed())

    assert response.status_code == 403, response.content
    assert not Sale.objects.unscoped().exists()


def test_a_refused_sale_leaves_its_approval_unspent(world, till):
    token = approve(till, world.a.branch_manager).json()["approval"]
    short = discounted_sale(world, token)
    short["payments"][0]["amount"] = "0.01"

    refused = till.post("/api/v1/sales/", short, format="json", **keyed())
    sold = till.post("/api/v1/sales/", discounted_sale(world, token), format="json", **keyed())

    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "payment_insufficient"
    assert sold.status_code == 201, sold.content


@pytest.mark.parametrize("approver", ["other_branch_manager", "cashier", "other_tenant_admin"])
def test_only_the_tenant_admin_or_the_branchs_manager_approves(world, till, approver):
    person = {
        "other_branch_manager": lambda: UserFactory(role="branch_manager", branch=world.a.other_branch),
        "cashier": lambda: world.a.cashier,
        "other_tenant_admin": lambda: world.b.tenant_admin,
    }[approver]()

    response = approve(till, person)

    assert response.status_code == 403
    assert not Approval.objects.unscoped().exists()


def test_the_tenant_admin_approves_and_a_wrong_password_is_401(world, till):
    assert approve(till, world.a.tenant_admin).status_code == 201
    assert str(Approval.objects.unscoped().get()) == f"discount by {world.a.tenant_admin.pk}"
    wrong = approve(till, world.a.branch_manager, password="not-the-password")
    assert wrong.status_code == 401
    assert wrong.json()["errors"][0]["code"] == "authentication_failed"
    assert Approval.objects.unscoped().count() == 1
