"""POST /api/v1/sales/{id}/void/: a full reversal while the shift is open, by whom, and only once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cliqserve.core.money import quantize_cost
from cliqserve.inventory.models import StockLevel, StockMovement
from cliqserve.inventory.tests.helpers import ledger_sum, level, product, receive
from cliqserve.sales import metrics
from cliqserve.sales.models import Refund, Sale, SaleLine, Shift
from conftest import client_for
from tests.factories import DeviceFactory

from .helpers import D, cash_sale, keyed, open_shift, stocked

REASON = {"reason": "rung up twice"}


def url(sale: Sale) -> str:
    return f"/api/v1/sales/{sale.pk}/void/"


def post_void(user: Any, sale: Sale, data: Any = None, **extra: Any) -> Any:
    return client_for(user).post(url(sale), REASON if data is None else data, format="json", **extra)


def state() -> tuple[Any, ...]:
    def rows(model: Any) -> list[dict[str, Any]]:
        return list(model.objects.unscoped().order_by("pk").values())

    return tuple(rows(model) for model in (Sale, SaleLine, Refund, StockLevel, StockMovement))


def error(response: Any) -> dict[str, Any]:
    [only] = response.json()["errors"]
    return only


@pytest.fixture
def item(world):
    return stocked(world.a, "VOID-1", price=D("5.00"), unit_cost="4.00")


@pytest.fixture
def sale(world, item):
    """The cashier's own sale of 3 units on its own open shift (47 left in stock)."""
    return cash_sale(world.a, open_shift(world.a), (item, 3))


def test_a_cashier_voids_its_own_sale_and_every_unit_comes_back_at_the_captured_cost(world, item, sale):
    receive(world.a, world.a.branch, item, 10, "6.00")  # the average moves on after the sale
    before = level(world.a.branch, item)

    response = post_void(world.a.cashier, sale)

    assert response.status_code == 200, response.json()
    answer = response.json()
    assert (answer["id"], answer["status"], answer["void_reason"]) == (
        str(sale.pk),
        "voided",
        "rung up twice",
    )
    assert answer["voided_at"] is not None
    assert answer["total"] == "15.00"  # amounts in the currency's places: the serializer got it
    sale.refresh_from_db()
    assert (sale.status, sale.voided_by_id) == ("voided", world.a.cashier.pk)
    after = level(world.a.branch, item)
    # 57 at the new average, plus 3 back at 4.00
    expected = (before.quantity * before.average_cost + 3 * D("4.00")) / (before.quantity + 3)
    assert (after.quantity, after.average_cost) == (D(60), quantize_cost(expected))
    assert after.quantity == ledger_sum(world.a.branch, item)
    movement = StockMovement.objects.unscoped().get(kind="void")
    assert (movement.quantity, movement.unit_cost, movement.reference) == (D(3), D("4.00"), f"void:{sale.pk}")


def test_a_void_right_after_the_sale_leaves_stock_and_average_as_they_were(world, item):
    untouched = level(world.a.branch, item)
    sale = cash_sale(world.a, open_shift(world.a), (item, 3))

    post_void(world.a.cashier, sale)

    after = level(world.a.branch, item)
    assert (after.quantity, after.average_cost) == (untouched.quantity, untouched.average_cost)


def test_untracked_lines_move_no_stock(world, item):
    wrap = product(world.a.tenant, "WRAP", price=D("1.00"), track_stock=False)
    sale = cash_sale(world.a, open_shift(world.a), (item, 1), (wrap, 1))

    assert post_void(world.a.cashier, sale).status_code == 200

    assert list(
        StockMovement.objects.unscoped().filter(kind="void").values_list("product_id", flat=True)
    ) == [item.pk]


def test_voiding_twice_is_409_and_changes_nothing(world, sale):
    assert post_void(world.a.cashier, sale).status_code == 200
    before = state()

    again = post_void(world.a.cashier, sale)

    assert (again.status_code, error(again)["code"]) == (409, "conflict")
    assert state() == before


def test_a_refunded_sale_cannot_be_voided(world, sale):
    line = SaleLine.objects.unscoped().get(sale=sale)
    refund = client_for(world.a.tenant_admin).post(
        f"/api/v1/sales/{sale.pk}/refunds/",
        {"lines": [{"sale_line": str(line.pk), "quantity": "1"}]},
        format="json",
        **keyed(),
    )
    assert refund.status_code == 201
    before = state()

    response = post_void(world.a.tenant_admin, sale)

    assert (response.status_code, error(response)["code"]) == (409, "conflict")
    assert state() == before


def test_a_sale_of_a_closed_shift_cannot_be_voided(world, sale):
    Shift.objects.unscoped().filter(pk=sale.shift_id).update(status=Shift.Status.CLOSED)
    before = state()

    response = post_void(world.a.tenant_admin, sale)

    assert (response.status_code, error(response)["code"]) == (409, "shift_not_open")
    assert state() == before


def test_a_cashier_may_not_void_a_sale_it_did_not_ring_up_and_nothing_changes(world, item):
    # The admin sold on the cashier's shift: the cashier sees the sale but may not void it.
    sale = cash_sale(world.a, open_shift(world.a), (item, 1), actor=world.a.tenant_admin)
    before = state()

    response = post_void(world.a.cashier, sale)

    assert (response.status_code, error(response)["code"]) == (403, "permission_denied")
    assert state() == before


def test_a_cashier_signed_in_on_another_device_may_not_void_and_nothing_changes(world, sale):
    elsewhere = DeviceFactory(branch=world.a.branch, code="A-POS9", assigned_users=[world.a.cashier])
    before = state()

    response = client_for(world.a.cashier, device=elsewhere).post(url(sale), REASON, format="json")

    assert (response.status_code, error(response)["code"]) == (403, "permission_denied")
    assert state() == before
    signed_in_here = client_for(world.a.cashier, device=world.a.device).post(url(sale), REASON, format="json")
    assert signed_in_here.status_code == 200, signed_in_here.json()


def test_who_may_void_what(world, item, sale):
    receive(world.a, world.a.other_branch, item, 5)
    other_shift = open_shift(world.a, device=world.a.other_device, cashier=world.a.other_cashier)
    elsewhere = cash_sale(world.a, other_shift, (item, 1), actor=world.a.tenant_admin)
    foreign = cash_sale(world.b, open_shift(world.b), (stocked(world.b, "B-1"), 1))
    before = state()

    refused = [
        post_void(world.a.other_cashier, sale),  # not its sale: it cannot even see it
        post_void(world.a.branch_manager, elsewhere),  # another branch
        post_void(world.a.tenant_admin, foreign),  # another tenant
    ]

    assert [r.status_code for r in refused] == [404, 404, 404]
    assert state() == before
    assert post_void(world.a.branch_manager, sale).status_code == 200
    assert post_void(world.a.tenant_admin, elsewhere).status_code == 200


@pytest.mark.parametrize(
    ("data", "pointer"), [({}, "/reason"), ({"reason": ""}, "/reason"), ({**REASON, "x": 1}, "/x")]
)
def test_a_void_needs_a_reason(world, sale, data, pointer):
    before = state()

    response = post_void(world.a.cashier, sale, data)

    assert response.status_code == 400
    assert error(response)["source"] == {"pointer": pointer}
    assert state() == before


def test_with_an_idempotency_key_a_retried_void_replays_instead_of_409(world, sale):
    first = post_void(world.a.cashier, sale, **keyed("void-1"))
    again = post_void(world.a.cashier, sale, **keyed("void-1"))
    other_body = post_void(world.a.cashier, sale, {"reason": "other"}, **keyed("void-1"))

    assert (first.status_code, again.status_code) == (200, 200)
    assert json.loads(again.content) == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert other_body.status_code == 422
    assert StockMovement.objects.unscoped().filter(kind="void").count() == 1


def test_a_committed_void_is_counted_and_logged(world, sale, json_logs, django_capture_on_commit_callbacks):
    before = metrics.VOIDS._value.get()

    with django_capture_on_commit_callbacks(execute=True):
        post_void(world.a.cashier, sale)

    assert metrics.VOIDS._value.get() == before + 1
    [logged] = [r for r in json_logs.records if r.get("message") == "sale voided"]
    assert logged["sale_id"] == str(sale.pk)


def test_a_voids_queries_do_not_grow_with_the_sales_lines(world):
    def queries(count: int) -> int:
        items = [stocked(world.a, f"V{count}-{index}", price=D("1.00")) for index in range(count)]
        sale = cash_sale(world.a, open_shift(world.a), *((entry, 1) for entry in items))
        client = client_for(world.a.cashier)
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url(sale), REASON, format="json")
        assert response.status_code == 200, response.json()
        return len(captured)

    assert queries(1) == queries(10)
