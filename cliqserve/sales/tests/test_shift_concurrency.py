"""Shifts under real parallel connections on PostgreSQL: one open shift per device, and a close
that counts every sale that committed on its shift and no other."""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from django.db.models import Sum

from cliqserve.sales.models import CashMovement, Payment, Sale, Shift
from conftest import client_for
from tests.parallel import outcome, run_in_parallel

from .helpers import keyed, open_shift, sale_body, stocked

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SHIFTS = "/api/v1/shifts/"
SALES = "/api/v1/sales/"


def warm(client: Any) -> Any:
    """One request first, so the race is between requests, not between first-request setups."""
    assert client.get(SHIFTS).status_code == 200
    return client


def test_opens_of_one_device_at_once_open_exactly_one_shift(world):
    a = world.a
    clients = [warm(client_for(user)) for user in (a.cashier, a.cashier, a.branch_manager, a.tenant_admin)]
    body = {"device": str(a.device.pk), "opening_cash": "20.00"}

    responses = run_in_parallel([partial(client.post, SHIFTS, body) for client in clients])

    outcomes = Counter(outcome(response) for response in responses)
    assert outcomes == {(201, None): 1, (409, "shift_already_open"): 3}, outcomes
    [winner] = [response.json()["id"] for response in responses if response.status_code == 201]
    assert list(Shift.objects.unscoped().values_list("pk", "status")) == [
        (Shift.objects.unscoped().get().pk, "open")
    ]
    assert str(Shift.objects.unscoped().get().pk) == winner
    assert {r.json()["errors"][0]["meta"]["shift"] for r in responses if r.status_code == 409} == {winner}


def _cash_in(shift: Shift) -> Decimal:
    """Cash the committed sales of `shift` left in the drawer, summed independently of the report."""
    paid = (
        Payment.objects.unscoped()
        .filter(sale__shift=shift, method="cash")
        .aggregate(total=Sum("amount"))["total"]
    )
    change = Sale.objects.unscoped().filter(shift=shift).aggregate(total=Sum("change_due"))["total"]
    return (paid or Decimal(0)) - (change or Decimal(0))


def test_a_close_racing_with_sales_counts_exactly_the_sales_that_committed(world):
    a = world.a
    item = stocked(a, "RACE", price=Decimal("2.50"), track_stock=False)
    shift = open_shift(a, opening_cash="10.00")
    sellers = [warm(client_for(a.cashier)) for _ in range(4)]
    closer = warm(client_for(a.branch_manager))

    def sell_until_closed(client: Any) -> list[tuple[int, str | None, str | None]]:
        """Sell (2.50, paid 3.00 cash: 0.50 change) until the shift is found closed."""
        results = []
        for _ in range(200):
            response = client.post(SALES, sale_body(shift, (item, 1), pay="3.00"), **keyed())
            status, code = outcome(response)
            results.append((status, code, response.json().get("id")))
            if status != 201:
                break
        return results

    def close_once_sales_flow() -> Any:
        # Let some sales commit first, so the close lands among sales in flight.
        deadline = time.monotonic() + 30
        while Sale.objects.unscoped().filter(shift=shift).count() < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        return closer.post(f"{SHIFTS}{shift.pk}/close/", {"counted_cash": "0.00"})

    results = run_in_parallel(
        [*(partial(sell_until_closed, client) for client in sellers), close_once_sales_flow]
    )

    *sold, closed = results
    assert closed.status_code == 200, closed.content
    attempts = [attempt for seller in sold for attempt in seller]
    created = {sale_id for status, _, sale_id in attempts if status == 201}
    refused = [(status, code) for status, code, _ in attempts if status != 201]
    # Every seller kept selling until it was refused, and only ever because the shift had closed.
    assert refused == [(409, "shift_not_open")] * len(sellers)
    committed = set(map(str, Sale.objects.unscoped().filter(shift=shift).values_list("pk", flat=True)))
    assert committed == created
    assert len(created) >= 8
    stored = Shift.objects.unscoped().get(pk=shift.pk)
    expected = Decimal("10.00") + _cash_in(stored)
    assert expected == Decimal("10.00") + Decimal("2.50") * len(created)
    assert stored.expected_cash == expected
    assert closed.json()["expected_cash"] == f"{expected:.2f}"
    assert closed.json()["sale_count"] == len(created)


def test_two_pay_outs_at_once_never_take_more_than_the_drawer_holds(world):
    shift = open_shift(world.a, opening_cash="100.00")
    a = world.a
    clients = [warm(client_for(user)) for user in (a.cashier, a.cashier, a.branch_manager, a.tenant_admin)]
    body = {"kind": "pay_out", "amount": "60.00", "reason": "bank run"}
    path = f"{SHIFTS}{shift.pk}/cash-movements/"

    responses = run_in_parallel([partial(client.post, path, body) for client in clients])

    outcomes = Counter(outcome(response) for response in responses)
    assert outcomes == {(201, None): 1, (400, "validation_error"): 3}, outcomes
    assert CashMovement.objects.unscoped().filter(shift=shift).count() == 1
