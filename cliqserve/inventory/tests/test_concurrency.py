"""Stock under real parallel connections on PostgreSQL: no lost update, no deadlock, no oversell."""

from __future__ import annotations

import io
import random
from collections import Counter
from functools import partial
from typing import Any

import pytest
from django.core.management import call_command

from cliqserve.core.tenancy import tenant_scope
from cliqserve.inventory import services
from cliqserve.inventory.errors import InsufficientStock
from cliqserve.inventory.models import StockLevel, StockMovement, StockTransfer
from conftest import client_for
from tests.parallel import outcome, run_in_parallel

from .helpers import D, draft_transfer, keyed, ledger_sum, level, product, receive, sent_transfer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RECEIPTS = "/api/v1/stock-receipts/"
ADJUSTMENTS = "/api/v1/stock-adjustments/"
TRANSFERS = "/api/v1/stock-transfers/"


# --- A mixed load on a few products ---------------------------------------------------------------


class Shopkeeper:
    """One client doing a seeded random mix of receipts, adjustments, counts and transfers."""

    def __init__(self, world: Any, seed: int, products: list[Any]) -> None:
        self.random = random.Random(seed)
        self.client = client_for(world.a.tenant_admin)
        self.branches = [world.a.branch, world.a.other_branch]
        self.products = products
        self.outcomes: list[tuple[str, int, str | None]] = []

    def run(self, operations: int) -> list[tuple[str, int, str | None]]:
        for _ in range(operations):
            name, operation = self.random.choice(
                [
                    ("receipt", self.receipt),
                    ("decrement", self.decrement),
                    ("increment", self.increment),
                    ("count", self.count),
                    ("transfer", self.transfer),
                ]
            )
            for response in operation():
                self.outcomes.append((name, *outcome(response)))
        return self.outcomes

    def _some_products(self) -> list[Any]:
        chosen = self.random.sample(self.products, self.random.randint(1, len(self.products)))
        self.random.shuffle(chosen)  # the service must lock in its own order, whatever ours
        return chosen

    def receipt(self) -> list[Any]:
        body = {
            "branch": str(self.random.choice(self.branches).pk),
            "lines": [
                {
                    "product": str(item.pk),
                    "quantity": str(self.random.randint(1, 5)),
                    "unit_cost": f"{self.random.randint(100, 900) / 100:.2f}",
                }
                for item in self._some_products()
            ],
        }
        return [self.client.post(RECEIPTS, body, format="json", **keyed())]

    def _adjust(self, **amount: str) -> list[Any]:
        body = {
            "branch": str(self.random.choice(self.branches).pk),
            "product": str(self.random.choice(self.products).pk),
            **amount,
        }
        return [self.client.post(ADJUSTMENTS, body, format="json", **keyed())]

    def decrement(self) -> list[Any]:
        return self._adjust(quantity_delta=str(-self.random.randint(1, 6)))

    def increment(self) -> list[Any]:
        return self._adjust(quantity_delta=str(self.random.randint(1, 3)))

    def count(self) -> list[Any]:
        return self._adjust(counted_quantity=str(self.random.randint(0, 15)))

    def transfer(self) -> list[Any]:
        source, destination = self.random.sample(self.branches, 2)
        body = {
            "from_branch": str(source.pk),
            "to_branch": str(destination.pk),
            "lines": [
                {"product": str(item.pk), "quantity": str(self.random.randint(1, 3))}
                for item in self._some_products()
            ],
        }
        created = self.client.post(TRANSFERS, body, format="json")
        if created.status_code != 201:
            return [created]
        url = f"{TRANSFERS}{created.json()['id']}/"
        sent = self.client.post(f"{url}send/")
        if sent.status_code != 200:
            return [created, sent, self.client.post(f"{url}cancel/")]
        return [created, sent, self.client.post(f"{url}receive/")]


def test_parallel_stock_operations_lose_nothing_and_never_deadlock(world):
    products = [product(world.a.tenant, f"HOT-{index}") for index in range(3)]
    for item in products:
        for branch in (world.a.branch, world.a.other_branch):
            receive(world.a, branch, item, 10, "2.00")
    shopkeepers = [Shopkeeper(world, seed, products) for seed in range(8)]

    results = run_in_parallel([partial(shopkeeper.run, 15) for shopkeeper in shopkeepers])

    failures = [result for result in results if isinstance(result, BaseException)]
    assert failures == []
    outcomes = [entry for result in results for entry in result]
    refused = {(status, code) for _name, status, code in outcomes if status >= 300}
    assert refused <= {(409, "insufficient_stock")}, Counter(outcomes)
    assert sum(1 for _name, status, _code in outcomes if status < 300) > 100
    for item in products:
        for branch in (world.a.branch, world.a.other_branch):
            assert level(branch, item).quantity == ledger_sum(branch, item)
    assert not StockTransfer.objects.unscoped().filter(status__in=["draft", "sent"]).exists()
    out = io.StringIO()
    call_command("verify_stock", stdout=out)
    assert "Stock ledger consistent" in out.getvalue()


# --- Races on the last units and on one transfer ------------------------------------------------


def test_parallel_decrements_of_the_last_units_sell_exactly_what_there_is(world):
    beans = product(world.a.tenant, "LAST")
    receive(world.a, world.a.branch, beans, 5)

    def sell_one() -> Any:
        with tenant_scope(world.a.tenant.pk):
            return services.stock_decrement(
                tenant=world.a.tenant,
                actor=world.a.cashier,
                branch=world.a.branch,
                lines=[{"product": beans, "quantity": D(1)}],
                kind="sale",
            )

    results = run_in_parallel([sell_one] * 12)

    assert sum(1 for result in results if isinstance(result, list)) == 5
    assert sum(1 for result in results if isinstance(result, InsufficientStock)) == 7
    assert level(world.a.branch, beans).quantity == D(0) == ledger_sum(world.a.branch, beans)


def test_parallel_adjustments_over_http_never_take_stock_below_zero(world):
    beans = product(world.a.tenant, "LAST")
    receive(world.a, world.a.branch, beans, 3)
    body = {"branch": str(world.a.branch.pk), "product": str(beans.pk), "quantity_delta": "-1"}
    clients = [client_for(world.a.branch_manager) for _ in range(8)]

    results = run_in_parallel(
        [partial(client.post, ADJUSTMENTS, body, format="json", **keyed()) for client in clients]
    )

    assert (
        sorted(outcome(response) for response in results)
        == [(201, None)] * 3 + [(409, "insufficient_stock")] * 5
    )
    assert level(world.a.branch, beans).quantity == D(0) == ledger_sum(world.a.branch, beans)


@pytest.mark.parametrize("verb", ["send", "receive", "cancel"])
def test_one_transfer_moved_from_many_clients_at_once_moves_once(world, verb):
    if verb == "send":
        receive(world.a, world.a.branch, product(world.a.tenant), 10)
        transfer = draft_transfer(world.a, world.a.branch, world.a.other_branch, quantity=2)
    else:
        transfer = sent_transfer(world.a, world.a.branch, world.a.other_branch, quantity=2)
    movements_before = StockMovement.objects.unscoped().count()
    clients = [client_for(world.a.tenant_admin) for _ in range(6)]

    results = run_in_parallel(
        [partial(client.post, f"{TRANSFERS}{transfer.pk}/{verb}/") for client in clients]
    )

    assert sorted(outcome(response) for response in results) == [(200, None)] + [(409, "conflict")] * 5
    assert StockMovement.objects.unscoped().count() == movements_before + 1
    for level_row in StockLevel.objects.unscoped().all():
        assert level_row.quantity == ledger_sum(level_row.branch, level_row.product)
