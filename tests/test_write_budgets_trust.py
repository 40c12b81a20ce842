"""Query budgets of issue 12's writes: each costs a fixed, counted number of queries. A change
that adds one (an N+1, a forgotten select_related) fails here with the SQL listed."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cliqserve.accounts.services import approval_pin_set
from cliqserve.accounts.tests.test_mfa import VERIFY, code_of, enrol, login
from cliqserve.sales.models import SaleLine
from cliqserve.sales.tests.helpers import D, cash_sale, keyed, open_shift, stocked
from conftest import World, client_for
from tests.factories import PASSWORD


def counted(request: Any) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = request()
    return response, [query["sql"] for query in queries.captured_queries]


def test_setting_a_pin_and_approving_with_it_or_the_password(world: World) -> None:
    manager, till = world.a.branch_manager, client_for(world.a.cashier, device=world.a.device)
    office = client_for(manager)
    body = {"email": manager.email, "action": "refund"}

    pin, pin_sql = counted(
        lambda: office.post("/api/v1/auth/pin/", {"password": PASSWORD, "pin": "4711"}, format="json")
    )
    by_pin, by_pin_sql = counted(
        lambda: till.post("/api/v1/auth/approvals/", {**body, "pin": "4711"}, format="json")
    )
    by_password, by_password_sql = counted(
        lambda: till.post("/api/v1/auth/approvals/", {**body, "password": PASSWORD}, format="json")
    )

    assert (pin.status_code, by_pin.status_code, by_password.status_code) == (204, 201, 201)
    # the caller; then in a savepoint the PIN and its audit event
    assert len(pin_sql) == 5, pin_sql
    # the cashier, the manager, the manager's tenant (active?); the approval and its event
    assert len(by_pin_sql) == 7, by_pin_sql
    assert len(by_password_sql) == 7, by_password_sql


def test_an_approved_refund_costs_two_queries_more_than_a_managers(world: World) -> None:
    item = stocked(world.a, "BUDGET-R", price=D("10.00"))
    sales = [cash_sale(world.a, open_shift(world.a), (item, 2)) for _ in range(2)]
    lines = [SaleLine.objects.unscoped().get(sale=sale) for sale in sales]
    till = client_for(world.a.cashier, device=world.a.device)
    approval_pin_set(user=world.a.branch_manager, password=PASSWORD, pin="4711")
    token = till.post(
        "/api/v1/auth/approvals/",
        {"email": world.a.branch_manager.email, "pin": "4711", "action": "refund"},
        format="json",
    ).json()["approval"]

    def refund(client: Any, index: int, **extra: str) -> Any:
        body = {"lines": [{"sale_line": str(lines[index].pk), "quantity": "1"}], **extra}
        return client.post(f"/api/v1/sales/{sales[index].pk}/refunds/", body, format="json", **keyed())

    office = client_for(world.a.branch_manager)
    by_manager, manager_sql = counted(lambda: refund(office, 0))
    by_cashier, cashier_sql = counted(lambda: refund(till, 1, approval=token))

    assert (by_manager.status_code, by_cashier.status_code) == (201, 201)
    # spending the approval (one UPDATE) and reading its approver for the audit event
    assert len(cashier_sql) == len(manager_sql) + 2, (manager_sql, cashier_sql)


def test_erasing_a_former_employee(world: World) -> None:
    world.a.cashier.is_active = False
    world.a.cashier.save()

    admin = client_for(world.a.tenant_admin)

    response, sql = counted(lambda: admin.post(f"/api/v1/users/{world.a.cashier.pk}/erase/"))

    assert response.status_code == 200, response.content
    # the admin, the user; in a savepoint the user, its assignments, the event; the answer's user
    assert len(sql) == 8, sql


def test_the_second_step_of_a_two_factor_sign_in(world: World, time_machine: Any) -> None:
    time_machine.move_to("2026-12-03T12:00:00Z", tick=False)
    admin = world.a.tenant_admin
    enrol(client_for(admin), admin, time_machine)
    challenge = login(admin)

    verified, sql = counted(
        lambda: APIClient().post(
            VERIFY, {"mfa_token": challenge["mfa_token"], "code": code_of(admin)}, format="json"
        )
    )

    assert verified.status_code == 200, verified.content
    assert len(sql) == 7, sql
