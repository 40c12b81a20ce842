"""Selling under real parallel connections on PostgreSQL: never oversold, exactly once."""

from __future__ import annotations

import io
import uuid
from collections import Counter

import pytest
from django.core.management import call_command

from cliqserve.inventory.tests.helpers import ledger_sum, level
from cliqserve.sales.models import Sale
from conftest import client_for
from tests.factories import DeviceFactory
from tests.parallel import outcome, run_in_parallel

from .helpers import D, keyed, open_shift, sale_body, stocked

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
