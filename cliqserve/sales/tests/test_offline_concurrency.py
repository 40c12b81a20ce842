"""The same offline batch uploaded twice at once, with real parallel connections on PostgreSQL."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from functools import partial

import pytest
from django.urls import reverse

from cliqserve.inventory.tests.helpers import ledger_sum, level
from cliqserve.sales.models import Sale
from conftest import client_for
from tests.parallel import run_in_parallel

from .helpers import D, stocked
from .test_offline import offline_sale, shift_since, sync

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_batch_uploaded_twice_at_once_records_every_sale_once(world):
    a = world.a
    shift_since(a)
    # Few units, so most sales also take stock below zero: both uploads contend on every level.
    items = [stocked(a, "RACE-1", quantity=8), stocked(a, "RACE-2", quantity=3)]
    batch = [offline_sale((items[n % 2], 1), (items[(n + 1) % 2], n % 3 + 1)) for n in range(10)]
    clients = [client_for(a.cashier), client_for(a.cashier)]
    for client in clients:  # warm up: the first request of a client pays for imports and caches
        assert client.get(reverse("sale-list")).status_code == 200

    responses = run_in_parallel([partial(sync, client, a.device, *batch) for client in clients])

    assert [response.status_code for response in responses] == [200, 200]
    answers = [response.json()["results"] for response in responses]
    client_ids = [sale["client_id"] for sale in batch]
    assert Counter(
        str(client_id)
        for client_id in Sale.objects.unscoped().filter(tenant=a.tenant).values_list("client_id", flat=True)
    ) == Counter(client_ids)
    for index, client_id in enumerate(client_ids):
        first, second = answers[0][index], answers[1][index]
        assert first["client_id"] == second["client_id"] == client_id
        assert sorted([first["status"], second["status"]]) == ["created", "duplicate"]
        assert first["sale"] == second["sale"]
        stored_client_id = Sale.objects.unscoped().get(pk=first["sale"]).client_id
        assert stored_client_id is not None
        assert stored_client_id.hex == client_id.replace("-", "")
    sold: defaultdict[str, Decimal] = defaultdict(Decimal)
    for sale in batch:
        for line in sale["lines"]:
            sold[line["product"]] += Decimal(line["quantity"])
    for item, start in zip(items, (D(8), D(3)), strict=True):
        assert level(a.branch, item).quantity == start - sold[str(item.pk)]
        assert level(a.branch, item).quantity == ledger_sum(a.branch, item)


def test_a_cashier_not_assigned_to_the_device_gets_403_and_nothing_is_written(world):
    a = world.a
    shift_since(a, device=a.other_device)
    item = stocked(a, quantity=5)

    response = sync(client_for(a.cashier), a.other_device, offline_sale((item, 1)))

    assert response.status_code == 403
    assert not Sale.objects.unscoped().filter(tenant=a.tenant).exists()
    assert level(a.branch, item).quantity == ledger_sum(a.branch, item) == D(5)


def test_another_tenants_device_gets_400_and_nothing_is_written(world):
    a, b = world.a, world.b
    shift_since(b)
    item = stocked(a, quantity=5)

    response = sync(client_for(a.cashier), b.device, offline_sale((item, 1)))

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/device"
    assert not Sale.objects.unscoped().exists()
    assert level(a.branch, item).quantity == D(5)
