"""A cashier's refund and (where the business asks for it) void with a manager's one-time
approval, given by password or PIN: allowed once, out of the cashier's own drawer, and the audit
trail names both (contract: POST /api/v1/auth/approvals/, actions `refund` and `void`)."""

from __future__ import annotations

from typing import Any

import pytest

from cliqserve.accounts.models import Approval
from cliqserve.accounts.services import approval_pin_set
from cliqserve.core.models import AuditEvent
from cliqserve.inventory.models import StockLevel, StockMovement
from cliqserve.sales.models import Refund, Sale, SaleLine, Shift
from conftest import World, client_for
from tests.factories import PASSWORD, DeviceFactory, UserFactory

from .helpers import D, cash_sale, keyed, open_shift, stocked

APPROVALS = "/api/v1/auth/approvals/"


@pytest.fixture
def till(world: World) -> Any:
    return client_for(world.a.cashier, device=world.a.device)


@pytest.fixture
def sale(world: World) -> Sale:
    """The cashier's own cash sale of 2 units on its own open shift."""
    return cash_sale(world.a, open_shift(world.a), (stocked(world.a, "APR-R", price=D("10.00")), 2))


def approval(client: Any, approver: Any, action: str, **credentials: str) -> str:
    response = client.post(
        APPROVALS,
        {"email": approver.email, "action": action, **(credentials or {"password": PASSWORD})},
        format="json",
    )
    assert response.status_code == 201, response.content
    return str(response.json()["approval"])


def refund(client: Any, sale: Sale, token: str | None = None, **extra: Any) -> Any:
    line = SaleLine.objects.unscoped().get(sale=sale)
    body: dict[str, Any] = {"lines": [{"sale_line": str(line.pk), "quantity": "1"}], "reason": "broken"}
    if token is not None:
        body["approval"] = token
    return client.post(f"/api/v1/sales/{sale.pk}/refunds/", {**body, **extra}, format="json", **keyed())


def void(client: Any, sale: Sale, token: str | None = None) -> Any:
    body = {"reason": "customer changed mind", **({"approval": token} if token else {})}
    return client.post(f"/api/v1/sales/{sale.pk}/void/", body, format="json")


def state() -> tuple[Any, ...]:
    def rows(model: Any) -> list[dict[str, Any]]:
        return list(model.objects.unscoped().order_by("pk").values())

    return tuple(rows(model) for model in (Sale, Refund, StockLevel, StockMovement, Shift))


# --- Refunds --------------------------------------------------------------------------------------


def test_an_approved_cashier_refunds_its_own_sale_once_and_the_trail_names_both(world, till, sale):
    token = approval(till, world.a.branch_manager, "refund")

    refunded = refund(till, sale, token)
    again = refund(till, sale, token)

    assert refunded.status_code == 201, refunded.content
    assert again.status_code == 403
    assert again.json()["errors"][0]["source"]["pointer"] == "/approval"
    created = Refund.objects.unscoped().select_related("shift").get()
    assert created.shift is not None
    assert (created.actor_id, created.shift.cashier_id) == (world.a.cashier.pk, world.a.cashier.pk)
    event = AuditEvent.objects.get(action="refund_created")
    assert (event.actor_id, event.approver_id) == (world.a.cashier.pk, world.a.branch_manager.pk)


@pytest.mark.parametrize("case", ["no approval", "a discount approval", "forged"])
def test_without_a_refund_approval_the_cashier_is_refused_and_nothing_changes(world, till, sale, case):
    token = {
        "no approval": None,
        "a discount approval": approval(till, world.a.branch_manager, "discount"),
        "forged": "x" * 43,
    }[case]
    before = state()

    response = refund(till, sale, token)

    assert response.status_code == 403, response.content
    assert response.json()["errors"][0]["code"] == "permission_denied"
    assert state() == before
    assert not AuditEvent.objects.filter(action="refund_created").exists()


def test_an_approval_never_opens_another_cashiers_sale(world, sale):
    other = UserFactory(role="cashier", branch=world.a.branch)
    world.a.device.assignments.create(tenant=world.a.tenant, user=other)
    client = client_for(other, device=world.a.device)
    token = approval(client, world.a.branch_manager, "refund")
    before = state()

    response = refund(client, sale, token)

    assert response.status_code == 404  # the cashier does not see another's sales at all
    assert state() == before
    assert Approval.objects.unscoped().get().used_at is None


def test_an_approved_refund_pays_out_of_the_cashiers_own_drawer_only(world, till, sale):
    # The manager's till at the same branch has a shift of its own, open
    managers_device = DeviceFactory(tenant=world.a.tenant, branch=world.a.branch)
    managers_shift = open_shift(world.a, device=managers_device, cashier=world.a.branch_manager)
    token = approval(till, world.a.branch_manager, "refund")
    before = state()

    response = refund(till, sale, token, shift=str(managers_shift.pk))

    assert response.status_code == 403, response.content
    assert response.json()["errors"][0]["source"]["pointer"] == "/shift"
    assert state() == before
    # the refusal rolled the approval back with it: the cashier tries again, from its own drawer
    assert refund(till, sale, token).status_code == 201


def test_a_manager_needs_no_approval_and_spends_none(world, sale):
    response = refund(client_for(world.a.branch_manager), sale)

    assert response.status_code == 201, response.content
    assert AuditEvent.objects.get(action="refund_created").approver_id is None


# --- Voids ----------------------------------------------------------------------------------------


@pytest.fixture
def strict(world: World) -> World:
    world.a.tenant.cashier_voids_need_approval = True
    world.a.tenant.save()
    return world


def test_where_the_business_asks_a_cashiers_void_needs_an_approval(strict, till, sale):
    before = state()

    refused = void(till, sale)

    assert refused.status_code == 403
    assert refused.json()["errors"][0]["source"]["pointer"] == "/approval"
    assert state() == before

    token = approval(till, strict.a.branch_manager, "void")
    voided = void(till, sale, token)

    assert voided.status_code == 200, voided.content
    assert voided.json()["status"] == "voided"
    event = AuditEvent.objects.get(action="sale_voided")
    assert (event.actor_id, event.approver_id) == (strict.a.cashier.pk, strict.a.branch_manager.pk)


def test_otherwise_a_cashier_voids_its_own_sale_alone_and_spends_no_approval(world, till, sale):
    token = approval(till, world.a.branch_manager, "void")

    response = void(till, sale, token)

    assert response.status_code == 200, response.content
    assert AuditEvent.objects.get(action="sale_voided").approver_id is None
    assert Approval.objects.unscoped().get().used_at is None


def test_a_manager_voids_without_an_approval_even_where_cashiers_need_one(strict, sale):
    assert void(client_for(strict.a.branch_manager), sale).status_code == 200


def test_a_refund_approval_does_not_void(strict, till, sale):
    token = approval(till, strict.a.branch_manager, "refund")
    before = state()

    assert void(till, sale, token).status_code == 403
    assert state() == before


# --- PINs -----------------------------------------------------------------------------------------


def test_a_manager_approves_with_its_pin(world, till, sale):
    approval_pin_set(user=world.a.branch_manager, password=PASSWORD, pin="4711")

    token = approval(till, world.a.branch_manager, "refund", pin="4711")

    assert refund(till, sale, token).status_code == 201


def test_a_wrong_pin_is_refused_like_a_wrong_password_and_counted(world, till):
    approval_pin_set(user=world.a.branch_manager, password=PASSWORD, pin="4711")
    body = {"email": world.a.branch_manager.email, "action": "refund"}

    wrong = till.post(APPROVALS, {**body, "pin": "4712"}, format="json")
    no_pin = till.post(APPROVALS, {**body, "email": world.a.tenant_admin.email, "pin": "4711"}, format="json")
    both = till.post(APPROVALS, {**body, "pin": "4711", "password": PASSWORD}, format="json")

    assert (wrong.status_code, no_pin.status_code, both.status_code) == (401, 401, 400)
    # a wrong PIN and an account without one answer alike
    assert wrong.json()["errors"][0]["detail"] == no_pin.json()["errors"][0]["detail"]
    assert not Approval.objects.unscoped().exists()
    failures = AuditEvent.objects.filter(action="login_failed", object_id=str(world.a.branch_manager.pk))
    assert failures.count() == 1
