"""Back-office fixtures: a tenant with sales on both branches, and signed-in browsers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cliqserve.sales.tests.helpers import cash_sale, open_shift, stocked
from conftest import client_for


class Shop:
    """Tenant A of the world with a sale at each branch: "A1" sells 2 x SHOP-1, "A2" 3 x SHOP-2."""

    def __init__(self, world: Any) -> None:
        tw = world.a
        self.world = world
        self.tw = tw
        self.shift = open_shift(tw)
        self.other_shift = open_shift(tw, device=tw.other_device, cashier=tw.other_cashier)
        self.item = stocked(tw, "SHOP-1", price="10.00")
        self.other_item = stocked(tw, "SHOP-2", price="7.00", branch=tw.other_branch)
        self.sale = cash_sale(tw, self.shift, (self.item, 2))
        self.other_sale = cash_sale(tw, self.other_shift, (self.other_item, 3), actor=tw.tenant_admin)


@pytest.fixture
def shop(world: Any) -> Shop:
    return Shop(world)


def signed_in(user: Any, **client_kwargs: Any) -> Client:
    client = Client(**client_kwargs)
    client.force_login(user)
    return client


def api(user: Any, path: str, **params: Any) -> Any:
    """The API's answer to `user` (200 asserted), to compare a page's figures with."""
    response = client_for(user).get(path, params)
    assert response.status_code == 200, response.content
    return response


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def load_within_budget(client: Client, path: str, *, budget: int, assert_max_queries: Any) -> Any:
    """The page's second load (the first warms the caches), body included, within `budget`
    queries."""
    client.get(path)
    with assert_max_queries(budget):
        response = client.get(path)
        if response.streaming:
            streamed(response)
    return response
