"""Refunds and voids under real parallel connections on PostgreSQL: never more than was sold."""

from __future__ import annotations

import random
from functools import partial
from typing import Any

import pytest

from cliqserve.core.tenancy import tenant_scope
from cliqserve.inventory.tests.helpers import ledger_sum, level
from cliqserve.sales.models import Refund, RefundLine, Sale, SaleLine, Shift
from cliqserve.sales.services import selling
from conftest import client_for
from tests.parallel import outcome, run_in_parallel

from .helpers import D, cash_sale, keyed, open_shift, stocked

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def refunds_url(sale: Sale) -> str:
    return f"/api/v1/sales/{sale.pk}/refunds/"


def warmed_clients(user: Any, sale: Sale, count: int) -> list[Any]:
    """Clients whose first request (authentication, caches) is behind them before the race."""
    clients = [client_for(user) for _ in range(count)]
    for client in clients:
        assert client.get(refunds_url(sale)).status_code == 200
    return clients


def refund_body(*lines: SaleLine, restock: bool = True) -> dict[str, Any]:
    return {"lines": [{"sale_line": str(line.pk), "quantity": "1"} for line in lines], "restock": restock}


def card_sale(tw: Any, *lines: tuple[Any, int]) -> Sale:
    """A sale paid by card whose shift is then closed: its refunds go back to the card with no
    drawer to lock, so only the sale's own locks keep them apart."""
    shift = open_shift(tw)
    total = sum((D(item.price) * quantity for item, quantity in lines), D(0))
    with tenant_scope(tw.tenant.pk):
        sale = selling.sale_create(
            tenant=tw.tenant,
            actor=tw.cashier,
            shift_id=shift.pk,
            lines=[selling.LineInput(product_id=item.pk, quantity=D(quantity)) for item, quantity in lines],
            payments=[selling.PaymentInput(method="card", amount=total)],
        )
    Shift.objects.unscoped().filter(pk=shift.pk).update(status=Shift.Status.CLOSED)
    return sale


@pytest.mark.parametrize("paid_by", ["cash", "card"])
def test_six_parallel_refunds_of_one_unit_of_a_line_of_three_give_back_exactly_three(world, paid_by):
    item = stocked(world.a, "RACE-1", price=D("3.35"))
    if paid_by == "cash":
        sale = cash_sale(world.a, open_shift(world.a), (item, 3))
    else:
        sale = card_sale(world.a, (item, 3))
    line = SaleLine.objects.unscoped().get(sale=sale)
    stock_before = level(world.a.branch, item).quantity
    clients = warmed_clients(world.a.branch_manager, sale, 6)

    results = run_in_parallel(
        [
            partial(client.post, refunds_url(sale), refund_body(line), format="json", **keyed())
            for client in clients
        ]
    )

    assert (
        sorted(outcome(response) for response in results)
        == [(201, None)] * 3 + [(409, "refund_exceeds_sale")] * 3
    )
    line.refresh_from_db()
    sale.refresh_from_db()
    assert line.refunded_quantity == D(3)
    assert Refund.objects.unscoped().filter(sale=sale).count() == 3
    assert sum(r.total for r in RefundLine.objects.unscoped().filter(sale_line=line)) == line.total
    assert (sale.status, sale.refunded_total) == ("refunded", sale.total)
    stock = level(world.a.branch, item).quantity
    assert stock == stock_before + 3 == ledger_sum(world.a.branch, item)


def test_refunds_naming_the_lines_in_any_order_never_deadlock(world):
    items = [stocked(world.a, f"RACE-{index}", price=D("1.25")) for index in range(4)]
    sale = card_sale(world.a, *((item, 4) for item in items))
    lines = list(SaleLine.objects.unscoped().filter(sale=sale))
    clients = warmed_clients(world.a.tenant_admin, sale, 8)
    shuffler = random.Random(5)
    bodies = [refund_body(*shuffler.sample(lines, len(lines))) for _ in clients]

    results = run_in_parallel(
        [
            partial(client.post, refunds_url(sale), data, format="json", **keyed())
            for client, data in zip(clients, bodies, strict=True)
        ]
    )

    assert (
        sorted(outcome(response) for response in results)
        == [(201, None)] * 4 + [(409, "refund_exceeds_sale")] * 4
    )
    sale.refresh_from_db()
    assert (sale.status, sale.refunded_total) == ("refunded", sale.total)
    for item in items:
        assert level(world.a.branch, item).quantity == D(50) == ledger_sum(world.a.branch, item)


def test_a_void_and_a_refund_of_one_sale_at_once_one_wins(world):
    item = stocked(world.a, "RACE-V", price=D("2.00"))
    sale = cash_sale(world.a, open_shift(world.a), (item, 2))
    line = SaleLine.objects.unscoped().get(sale=sale)
    refunder, voider = warmed_clients(world.a.tenant_admin, sale, 2)

    refund, void = run_in_parallel(
        [
            partial(refunder.post, refunds_url(sale), refund_body(line), format="json", **keyed()),
            partial(voider.post, f"/api/v1/sales/{sale.pk}/void/", {"reason": "race"}, format="json"),
        ]
    )

    assert sorted([outcome(refund), outcome(void)]) in (
        [(200, None), (409, "conflict")],
        [(201, None), (409, "conflict")],
    )
    sale.refresh_from_db()
    # Whichever won came back exactly once: the whole sale (50 again), or the one unit (49).
    expected = {"voided": D(50), "partially_refunded": D(49)}[sale.status]
    assert level(world.a.branch, item).quantity == expected == ledger_sum(world.a.branch, item)
