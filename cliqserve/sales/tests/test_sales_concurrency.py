"""Selling under real parallel connections on PostgreSQL: never oversold, exactly once."""

from __future__ import annotations

import io
import random
import threading
import time
import uuid
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction

from cliqserve.inventory.tests.helpers import ledger_sum, level, receive
from cliqserve.sales.models import Sale
from conftest import client_for
from tests.factories import DeviceFactory
from tests.parallel import outcome, run_in_parallel

from .helpers import D, cash_sale, keyed, open_shift, sale_body, stocked

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

URL = "/api/v1/sales/"


def warmed_client(user):
    """A client that has made one request already (django-prometheus registers its metrics on
    a handler's first request; racing that is the test client's problem, not the app's)."""
    client = client_for(user)
    client.get("/api/v1/auth/me/")
    return client


def test_sixteen_clients_racing_for_the_last_ten_units_sell_exactly_ten(world):
    a = world.a
    last = stocked(a, "LAST-TEN", quantity=10)
    # Sixteen devices, each with its own open shift: the race is on the stock row alone.
    shifts = [
        open_shift(a, device=DeviceFactory(branch=a.branch, code=f"RACE-{index}"), cashier=a.tenant_admin)
        for index in range(16)
    ]
    clients = [warmed_client(a.tenant_admin) for _ in shifts]

    def sell(client, shift):
        return lambda: client.post(URL, sale_body(shift, (last, 1)), format="json", **keyed())

    results = run_in_parallel([sell(client, shift) for client, shift in zip(clients, shifts, strict=True)])

    outcomes = Counter(outcome(response) for response in results)
    assert outcomes == {(201, None): 10, (409, "insufficient_stock"): 6}
    assert level(a.branch, last).quantity == D(0) == ledger_sum(a.branch, last)
    assert Sale.objects.unscoped().count() == 10
    out = io.StringIO()
    call_command("verify_stock", stdout=out)
    assert "consistent" in out.getvalue()


def test_eight_requests_with_one_key_make_one_sale(world):
    a = world.a
    beans = stocked(a, "ONCE", quantity=20)
    shift = open_shift(a)
    body = sale_body(shift, (beans, 2))
    key = uuid.uuid4().hex
    clients = [warmed_client(a.cashier) for _ in range(8)]

    def post_with_the_key(client):
        return lambda: client.post(URL, body, format="json", **keyed(key))

    results = run_in_parallel([post_with_the_key(client) for client in clients])

    statuses = Counter(outcome(response) for response in results)
    assert set(statuses) <= {(201, None), (409, "idempotency_key_in_use")}
    assert Sale.objects.unscoped().count() == 1
    assert level(a.branch, beans).quantity == D(18) == ledger_sum(a.branch, beans)
    created = [response for response in results if response.status_code == 201]
    first = [response for response in created if "Idempotent-Replayed" not in response.headers]
    assert len(first) == 1
    assert all(response.json() == first[0].json() for response in created)


def test_one_device_selling_from_several_connections_numbers_receipts_without_gaps(world):
    a = world.a
    beans = stocked(a, "NUMBERED", quantity=100)
    shift = open_shift(a)
    clients = [warmed_client(a.cashier) for _ in range(8)]

    def sell_one(client):
        return lambda: client.post(URL, sale_body(shift, (beans, 1)), format="json", **keyed())

    results = run_in_parallel([sell_one(client) for client in clients])

    assert [response.status_code for response in results] == [201] * 8
    numbers = sorted(response.json()["receipt_number"] for response in results)
    assert numbers == [f"A1-A-POS1-{index:06d}" for index in range(1, 9)]


def test_sales_in_any_line_order_racing_receipts_and_counts_never_deadlock(world):
    """Sales take their stock in one statement, other stock writes in two; both lock the levels
    in product order. Carts listing the products in every order, against receipts and counts
    on the same rows, must neither deadlock nor lose a unit."""
    a = world.a
    products = [stocked(a, f"MIX-{index}", quantity=30) for index in range(3)]
    shifts = [
        open_shift(a, device=DeviceFactory(branch=a.branch, code=f"MIX-{index}"), cashier=a.tenant_admin)
        for index in range(6)
    ]

    def seller(seed: int, shift):
        client = warmed_client(a.tenant_admin)
        chooser = random.Random(seed)

        def run():
            answers = []
            for _ in range(12):
                cart = chooser.sample(products, chooser.randint(2, 3))  # any order, as tills send them
                body = sale_body(shift, *((item, chooser.randint(1, 3)) for item in cart))
                answers.append(client.post(URL, body, format="json", **keyed()))
            return answers

        return run

    def stock_clerk(seed: int):
        client = warmed_client(a.tenant_admin)
        chooser = random.Random(seed)

        def run():
            answers = []
            for _ in range(12):
                cart = chooser.sample(products, 3)
                receipt = {
                    "branch": str(a.branch.pk),
                    "lines": [
                        {"product": str(item.pk), "quantity": "2", "unit_cost": "3.00"} for item in cart
                    ],
                }
                count = {"branch": str(a.branch.pk), "product": str(cart[0].pk), "counted_quantity": "12"}
                answers.append(client.post("/api/v1/stock-receipts/", receipt, format="json", **keyed()))
                answers.append(client.post("/api/v1/stock-adjustments/", count, format="json", **keyed()))
            return answers

        return run

    calls = [seller(seed, shift) for seed, shift in enumerate(shifts)] + [stock_clerk(100), stock_clerk(101)]
    results = run_in_parallel(calls)

    assert [result for result in results if isinstance(result, BaseException)] == []
    outcomes = Counter(outcome(response) for answers in results for response in answers)
    assert set(outcomes) <= {(201, None), (409, "insufficient_stock")}, outcomes
    assert outcomes[(201, None)] > 48  # the clerks' 48 writes and a good share of the 72 sales
    for item in products:
        assert level(a.branch, item).quantity == ledger_sum(a.branch, item) >= 0
    out = io.StringIO()
    call_command("verify_stock", stdout=out)
    assert "consistent" in out.getvalue()


def test_a_sale_waiting_on_a_receipt_sells_what_the_receipt_brought(world):
    """The sale's statement begins while a receipt still holds the level (0 on hand, 5 on the
    way): once the receipt commits, the sale is judged on the 5, not on the 0 it first saw."""
    a = world.a
    late = stocked(a, "LATE", quantity=1)
    shift = open_shift(a)
    cash_sale(a, shift, (late, 1))  # nothing left
    receipt_holds_the_row, sale_sent = threading.Event(), threading.Event()

    def receipt():
        with transaction.atomic():
            receive(a, a.branch, late, 5, "4.00")
            receipt_holds_the_row.set()
            sale_sent.wait(timeout=10)
            time.sleep(0.5)  # the sale's UPDATE is now waiting for this row
        return "committed"

    def sale():
        client = warmed_client(a.cashier)
        receipt_holds_the_row.wait(timeout=10)
        sale_sent.set()
        return client.post(URL, sale_body(shift, (late, 2)), format="json", **keyed())

    committed, response = run_in_parallel([receipt, sale])

    assert committed == "committed"
    assert response.status_code == 201, response.json()
    assert level(a.branch, late).quantity == D(3) == ledger_sum(a.branch, late)
