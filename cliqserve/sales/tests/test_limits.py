"""Sums beyond what the money columns hold are refused with 400, never a 500 (issue 10): the
sale's totals, its lines, the drawer's expected cash after a sale or a pay-in, the close."""

from __future__ import annotations

from typing import Any

import pytest

from cliqserve.core.tenancy import tenant_scope
from cliqserve.inventory.models import StockLevel, StockMovement
from cliqserve.sales.models import CashMovement, Payment, ReceiptSequence, Sale, SaleLine, Shift
from cliqserve.sales.services import refunds, selling
from conftest import client_for

from .helpers import D, keyed, open_shift, sale_body, stocked
from .test_offline import offline_sale, shift_since, sync

pytestmark = pytest.mark.django_db

BIG = "99999999999"  # the most a payment's field takes
SALES = "/api/v1/sales/"


def snapshot() -> dict[str, Any]:
    """Every row a sale, a pay-in or a close writes."""
    return {
        model.__name__: sorted(map(str, model.objects.unscoped().values_list("pk", flat=True)))
        for model in (Sale, SaleLine, Payment, CashMovement, StockMovement, ReceiptSequence)
    } | {
        "levels": sorted(map(str, StockLevel.objects.unscoped().values_list("pk", "quantity"))),
        "shifts": sorted(map(str, Shift.objects.unscoped().values_list("pk", "status", "expected_cash"))),
    }


def only_error(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert error["code"] == "validation_error"
    return error


def shift_url(shift: Shift, action: str) -> str:
    return f"/api/v1/shifts/{shift.pk}/{action}/"


def test_two_cash_payments_beyond_what_paid_holds_are_400_and_write_nothing(world):
    a = world.a
    shift = open_shift(a)
    item = stocked(a, "LIM-1", quantity=5)
    body = sale_body(shift, (item, 1))
    body["payments"] = [{"method": "cash", "amount": BIG}, {"method": "cash", "amount": BIG}]
    before = snapshot()

    response = client_for(a.cashier).post(SALES, body, format="json", **keyed())

    assert only_error(response)["source"] == {"pointer": "/payments"}
    assert snapshot() == before


def test_a_line_beyond_what_its_amounts_hold_is_400_on_its_quantity(world):
    a = world.a
    shift = open_shift(a)
    cheap, dear = stocked(a, "LIM-2", quantity=5), stocked(a, "LIM-3", quantity=5)
    body = sale_body(shift, (cheap, 1), (dear, 2), pay=BIG)
    body["lines"][1]["unit_price"] = "60000000000"
    before = snapshot()

    response = client_for(a.branch_manager).post(SALES, body, format="json", **keyed())

    assert only_error(response)["source"] == {"pointer": "/lines/1/quantity"}
    assert snapshot() == before


def test_a_sale_that_would_take_the_drawer_beyond_its_column_is_400_and_the_shift_still_closes(world):
    a = world.a
    shift = open_shift(a)
    item = stocked(a, "LIM-4", quantity=5, track_stock=False)
    client = client_for(a.branch_manager)

    def big_sale() -> Any:
        body = sale_body(shift, (item, 1), pay="60000000000")
        body["lines"][0]["unit_price"] = "60000000000"
        return client.post(SALES, body, format="json", **keyed())

    assert big_sale().status_code == 201
    before = snapshot()
    assert only_error(big_sale())["source"] == {"pointer": "/payments"}
    assert snapshot() == before
    closed = client.post(shift_url(shift, "close"), {"counted_cash": "60000000100.00"}, format="json")
    assert closed.status_code == 200, closed.content
    assert closed.json()["variance"] == "0.00"


def test_pay_ins_beyond_the_drawers_column_are_400_and_the_shift_still_closes(world):
    a = world.a
    shift = open_shift(a)
    client = client_for(a.cashier)

    def pay_in(amount: str) -> Any:
        return client.post(
            shift_url(shift, "cash-movements"), {"kind": "pay_in", "amount": amount, "reason": "float"}
        )

    assert pay_in("60000000000").status_code == 201
    before = snapshot()
    assert only_error(pay_in(BIG))["source"] == {"pointer": "/amount"}
    assert only_error(pay_in("40000000000"))["source"] == {"pointer": "/amount"}
    assert snapshot() == before
    closed = client.post(shift_url(shift, "close"), {"counted_cash": "0"}, format="json")
    assert closed.status_code == 200, closed.content


def test_a_close_whose_variance_would_not_fit_is_400_and_changes_nothing(world):
    a = world.a
    first = open_shift(a)
    item = stocked(a, "LIM-5", quantity=5, track_stock=False)
    with tenant_scope(a.tenant.pk):
        sale = selling.sale_create(
            tenant=a.tenant,
            actor=a.tenant_admin,
            shift_id=first.pk,
            lines=[selling.LineInput(product_id=item.pk, quantity=D(1), unit_price=D("60000000000"))],
            payments=[selling.PaymentInput(method="cash", amount=D("60000000000"))],
        )
    Shift.objects.unscoped().filter(pk=first.pk).update(status=Shift.Status.CLOSED)
    second = open_shift(a, opening_cash="0")
    with tenant_scope(a.tenant.pk):
        line = SaleLine.objects.get(sale=sale)
        refunds.refund_create(
            tenant=a.tenant,
            actor=a.tenant_admin,
            sale=sale,
            lines=[refunds.RefundLineInput(sale_line_id=line.pk, quantity=D(1))],
            shift_id=second.pk,
        )
    before = snapshot()

    response = client_for(a.cashier).post(shift_url(second, "close"), {"counted_cash": "50000000000"})

    error = only_error(response)
    assert error["source"] == {"pointer": "/counted_cash"}
    assert error["meta"]["expected_cash"] == "-60000000000.00"
    assert snapshot() == before


def test_in_an_offline_batch_only_the_sale_beyond_the_columns_is_rejected(world):
    a = world.a
    shift_since(a)
    item = stocked(a, "LIM-6", quantity=10)
    too_much = offline_sale((item, 1), pay=BIG)
    too_much["payments"].append({"method": "cash", "amount": BIG})
    batch = [offline_sale((item, 1)), too_much, offline_sale((item, 1))]

    response = sync(client_for(a.cashier), a.device, *batch)

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "rejected", "created"]
    [error] = results[1]["errors"]
    assert (error["code"], error["source"]) == ("validation_error", {"pointer": "/sales/1/payments"})
    assert not Sale.objects.unscoped().filter(client_id=too_much["client_id"]).exists()
    assert Sale.objects.unscoped().filter(tenant=a.tenant).count() == 2


def test_a_cost_of_goods_beyond_its_column_is_400_and_writes_nothing(world):
    a = world.a
    shift = open_shift(a)
    item = stocked(a, "LIM-7", quantity=5, unit_cost="900000000000")
    before = snapshot()

    response = client_for(a.cashier).post(SALES, sale_body(shift, (item, 2)), format="json", **keyed())

    error = only_error(response)
    assert error["source"] == {"pointer": "/lines"}
    assert snapshot() == before
