"""POST/GET /api/v1/sales/{id}/refunds/: amounts, limits, payments, drawer, restock, who may."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cliqserve.core.money import quantize_cost
from cliqserve.core.tenancy import tenant_scope
from cliqserve.inventory.models import StockLevel, StockMovement
from cliqserve.inventory.tests.helpers import ledger_sum, level, product, receive
from cliqserve.sales import metrics
from cliqserve.sales.models import Refund, RefundLine, RefundPayment, Sale, SaleLine, Shift
from cliqserve.sales.services import selling
from conftest import client_for
from tests.factories import DeviceFactory, TaxRateFactory

from .helpers import D, keyed, open_shift, stocked

# --- Helpers --------------------------------------------------------------------------------------


def url(sale: Sale) -> str:
    return f"/api/v1/sales/{sale.pk}/refunds/"


def sell(tw: Any, *lines: tuple[Any, ...], payments: Any = None, shift: Shift | None = None) -> Sale:
    """A sale through the service by the tenant admin: lines (product, quantity[, discount %]),
    payments [(method, amount)] (default: enough cash)."""
    shift = shift or open_shift(tw)
    with tenant_scope(tw.tenant.pk):
        return selling.sale_create(
            tenant=tw.tenant,
            actor=tw.tenant_admin,
            shift_id=shift.pk,
            lines=[
                selling.LineInput(
                    product_id=line[0].pk,
                    quantity=D(line[1]),
                    discount_percent=D(line[2]) if len(line) > 2 else None,
                )
                for line in lines
            ],
            payments=[
                selling.PaymentInput(method=method, amount=D(amount))
                for method, amount in (payments or [("cash", "100000")])
            ],
        )


def lines_of(sale: Sale) -> list[SaleLine]:
    return list(SaleLine.objects.unscoped().filter(sale=sale).order_by("position"))


def body(*lines: tuple[SaleLine, Any], **fields: Any) -> dict[str, Any]:
    return {
        "lines": [{"sale_line": str(line.pk), "quantity": str(quantity)} for line, quantity in lines],
        **fields,
    }


def post_refund(
    user: Any, sale: Sale, data: dict[str, Any], *, key: str | None = None, device: Any = None
) -> Any:
    return client_for(user, device=device).post(url(sale), data, format="json", **keyed(key))


def state() -> tuple[Any, ...]:
    """Every row a refund may touch, to prove that a refused one touched none."""

    def rows(model: Any) -> list[dict[str, Any]]:
        return list(model.objects.unscoped().order_by("pk").values())

    return tuple(
        rows(model)
        for model in (Sale, SaleLine, Refund, RefundLine, RefundPayment, StockLevel, StockMovement)
    )


def error(response: Any) -> dict[str, Any]:
    [only] = response.json()["errors"]
    return only


@pytest.fixture
def taxed(world):
    """Tenant A's product at 3.35 + 15% tax (tax-exclusive), 50 in stock at cost 4.00."""
    rate = TaxRateFactory(tenant=world.a.tenant, rate=D("15.00"), inclusive=False)
    return stocked(world.a, "TAXED", price=D("3.35"), tax_rate=rate)


# --- Amounts --------------------------------------------------------------------------------------


def test_a_partial_refund_gives_back_the_lines_share_and_marks_the_sale(world, taxed):
    sale = sell(world.a, (taxed, 3))  # gross 10.05, tax 1.51, total 11.56
    [line] = lines_of(sale)

    response = post_refund(world.a.branch_manager, sale, body((line, 1), reason="broken"))

    assert response.status_code == 201, response.json()
    refund = response.json()
    assert refund["lines"] == [
        {
            "sale_line": str(line.pk),
            "product": str(taxed.pk),
            "quantity": "1.000",
            "gross": "3.35",
            "discount": "0.00",
            "tax": "0.50",
            "total": "3.85",
        }
    ]
    assert (refund["subtotal"], refund["discount_total"], refund["tax_total"], refund["total"]) == (
        "3.35",
        "0.00",
        "0.50",
        "3.85",
    )
    assert refund["payments"] == [{"method": "cash", "amount": "3.85", "reference": ""}]
    assert (refund["sale"], refund["shift"], refund["reason"], refund["restock"]) == (
        str(sale.pk),
        str(sale.shift_id),
        "broken",
        False,
    )
    sale.refresh_from_db()
    line.refresh_from_db()
    assert (sale.status, sale.refunded_total, line.refunded_quantity) == (
        "partially_refunded",
        D("3.85"),
        D(1),
    )


def test_refunds_of_a_line_add_up_to_the_line_exactly_and_the_last_one_takes_the_rest(world, taxed):
    sale = sell(world.a, (taxed, 3))
    [line] = lines_of(sale)

    for _ in range(3):
        response = post_refund(world.a.tenant_admin, sale, body((line, 1)))
        assert response.status_code == 201, response.json()

    refunds = RefundLine.objects.unscoped().filter(sale_line=line).order_by("created_at")
    assert [(r.tax, r.total) for r in refunds] == [
        (D("0.50"), D("3.85")),
        (D("0.50"), D("3.85")),
        (D("0.51"), D("3.86")),
    ]
    assert sum(r.gross for r in refunds) == line.gross
    assert sum(r.total for r in refunds) == line.total == D("11.56")
    sale.refresh_from_db()
    assert (sale.status, sale.refunded_total) == ("refunded", sale.total)


def test_a_refund_never_gives_back_more_than_remains_of_a_line_however_it_rounds(world):
    # 10 units at 0.01 less 50%: 0.05 paid. Each unit's share (0.005) rounds half up to 0.01.
    cheap = stocked(world.a, "CHEAP", price=D("0.01"), quantity=20)
    sale = sell(world.a, (cheap, 10, "50"))
    [line] = lines_of(sale)
    assert (line.gross, line.discount, line.total) == (D("0.10"), D("0.05"), D("0.05"))

    for _ in range(10):
        assert post_refund(world.a.tenant_admin, sale, body((line, 1))).status_code == 201

    refunds = list(RefundLine.objects.unscoped().filter(sale_line=line).order_by("created_at"))
    assert [r.total for r in refunds] == [D("0.01")] * 5 + [D(0)] * 5
    assert [r.discount for r in refunds] == [D("0.01")] * 5 + [D(0)] * 5
    assert sum(r.gross for r in refunds) == line.gross
    sale.refresh_from_db()
    assert (sale.status, sale.refunded_total) == ("refunded", D("0.05"))
    # A refund of nothing pays nothing out.
    assert RefundPayment.objects.unscoped().count() == 5


def test_discounted_and_tax_inclusive_lines_are_refunded_in_proportion(world):
    inclusive = TaxRateFactory(tenant=world.a.tenant, rate=D("20.00"), inclusive=True)
    shelf = stocked(world.a, "INCL", price=D("12.00"), tax_rate=inclusive)
    sale = sell(world.a, (shelf, 4, "12.5"))  # gross 48.00, discount 6.00, total 42.00, tax 7.00
    [line] = lines_of(sale)

    refund = post_refund(world.a.tenant_admin, sale, body((line, 1))).json()

    assert [(ln["gross"], ln["discount"], ln["tax"], ln["total"]) for ln in refund["lines"]] == [
        ("12.00", "1.50", "1.75", "10.50")
    ]
    assert refund["discount_total"] == "1.50"


# --- Limits ---------------------------------------------------------------------------------------


def test_refunding_beyond_what_was_sold_names_every_line_and_changes_nothing(world, taxed):
    other = stocked(world.a, "OTHER", price=D("2.00"))
    sale = sell(world.a, (taxed, 3), (other, 1))
    first, second = lines_of(sale)
    assert post_refund(world.a.tenant_admin, sale, body((first, 2))).status_code == 201
    before = state()

    response = post_refund(world.a.tenant_admin, sale, body((first, 2), (second, D("1.5"))))

    assert response.status_code == 409
    found = error(response)
    assert found["code"] == "refund_exceeds_sale"
    assert found["source"] == {"pointer": "/lines/0/quantity"}
    assert (found["meta"]["sold"], found["meta"]["refunded"], found["meta"]["requested"]) == (
        "3.000",
        "2.000",
        "2.000",
    )
    assert [(e["pointer"], e["sold"], e["refunded"], e["requested"]) for e in found["meta"]["lines"]] == [
        ("/lines/0/quantity", "3.000", "2.000", "2.000"),
        ("/lines/1/quantity", "1.000", "0.000", "1.500"),
    ]
    assert state() == before


@pytest.mark.parametrize(
    ("make_body", "pointer"),
    [
        (lambda line, foreign: body((foreign, 1)), "/lines/0/sale_line"),
        (lambda line, foreign: body((line, 1), (line, 1)), "/lines/1/sale_line"),
        (lambda line, foreign: body((line, 0)), "/lines/0/quantity"),
        (lambda line, foreign: body((line, "-1")), "/lines/0/quantity"),
        (lambda line, foreign: body((line, "0.0001")), "/lines/0/quantity"),
        (lambda line, foreign: {"lines": []}, "/lines"),
        (lambda line, foreign: {**body((line, 1)), "surprise": 1}, "/surprise"),
    ],
)
def test_a_bad_line_is_400_on_that_field_and_changes_nothing(world, taxed, make_body, pointer):
    sale = sell(world.a, (taxed, 2))
    [foreign] = lines_of(sell(world.a, (taxed, 1)))  # a line of another sale
    [line] = lines_of(sale)
    before = state()

    response = post_refund(world.a.tenant_admin, sale, make_body(line, foreign))

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == pointer
    assert state() == before


def test_a_voided_sale_cannot_be_refunded(world, taxed):
    sale = sell(world.a, (taxed, 2))
    Sale.objects.unscoped().filter(pk=sale.pk).update(status=Sale.Status.VOIDED)
    before = state()

    response = post_refund(world.a.tenant_admin, sale, body((lines_of(sale)[0], 1)))

    assert (response.status_code, error(response)["code"]) == (409, "conflict")
    assert state() == before


# --- Payments -------------------------------------------------------------------------------------


@pytest.fixture
def split_sale(world):
    """2 x 11.50 = 23.00 paid card 20.00 + cash 10.00: change 7.00, so cash kept 3.00."""
    rate = TaxRateFactory(tenant=world.a.tenant, rate=D("15.00"), inclusive=False)
    item = stocked(world.a, "TEN", price=D("10.00"), tax_rate=rate)
    return sell(world.a, (item, 2), payments=[("card", "20.00"), ("cash", "10.00")])


def test_without_payments_the_money_goes_back_card_first_then_cash_net_of_change(world, split_sale):
    [line] = lines_of(split_sale)

    first = post_refund(world.a.tenant_admin, split_sale, body((line, 1))).json()
    second = post_refund(world.a.tenant_admin, split_sale, body((line, 1))).json()

    assert first["payments"] == [{"method": "card", "amount": "11.50", "reference": ""}]
    assert second["payments"] == [
        {"method": "card", "amount": "8.50", "reference": ""},
        {"method": "cash", "amount": "3.00", "reference": ""},
    ]


def test_explicit_payments_must_add_up_to_the_refund_total(world, split_sale):
    [line] = lines_of(split_sale)
    before = state()

    response = post_refund(
        world.a.tenant_admin, split_sale, body((line, 1), payments=[{"method": "cash", "amount": "11.00"}])
    )

    assert response.status_code == 400
    assert (error(response)["code"], error(response)["source"]) == (
        "validation_error",
        {"pointer": "/payments"},
    )
    assert state() == before


def test_a_card_refund_may_not_exceed_what_the_card_paid_less_earlier_card_refunds(world, split_sale):
    [line] = lines_of(split_sale)
    card = {"method": "card", "amount": "11.50", "reference": "rf-1"}
    assert post_refund(world.a.tenant_admin, split_sale, body((line, 1), payments=[card])).status_code == 201
    before = state()

    response = post_refund(world.a.tenant_admin, split_sale, body((line, 1), payments=[card]))

    assert response.status_code == 400
    assert error(response)["source"] == {"pointer": "/payments/0/amount"}
    assert error(response)["meta"] == {"method": "card", "available": "8.50"}
    assert state() == before


def test_cash_may_make_up_for_any_method_and_references_are_kept(world, split_sale):
    [line] = lines_of(split_sale)
    payments = [
        {"method": "card", "amount": "1.50", "reference": "rf-9"},
        {"method": "cash", "amount": "10.00"},
    ]

    response = post_refund(world.a.tenant_admin, split_sale, body((line, 1), payments=payments))

    assert response.status_code == 201, response.json()
    assert response.json()["payments"] == [
        {"method": "card", "amount": "1.50", "reference": "rf-9"},
        {"method": "cash", "amount": "10.00", "reference": ""},
    ]


def test_a_payment_amount_finer_than_the_currency_is_400(world, split_sale):
    [line] = lines_of(split_sale)

    response = post_refund(
        world.a.tenant_admin, split_sale, body((line, 1), payments=[{"method": "cash", "amount": "11.499"}])
    )

    assert response.status_code == 400
    assert error(response)["source"] == {"pointer": "/payments/0/amount"}


# --- The drawer -----------------------------------------------------------------------------------


def test_a_cash_refund_needs_an_open_shift_of_the_branch(world, taxed):
    sale = sell(world.a, (taxed, 2))
    Shift.objects.unscoped().filter(pk=sale.shift_id).update(status=Shift.Status.CLOSED)
    before = state()

    response = post_refund(world.a.tenant_admin, sale, body((lines_of(sale)[0], 1)))

    assert (response.status_code, error(response)["code"]) == (409, "shift_not_open")
    assert state() == before


def test_a_card_refund_needs_no_shift(world, split_sale):
    Shift.objects.unscoped().filter(pk=split_sale.shift_id).update(status=Shift.Status.CLOSED)

    response = post_refund(world.a.tenant_admin, split_sale, body((lines_of(split_sale)[0], 1)))

    assert response.status_code == 201, response.json()
    assert (response.json()["shift"], response.json()["payments"][0]["method"]) == (None, "card")


def test_cash_comes_out_of_the_callers_device_shift_before_the_sales(world, taxed):
    sale = sell(world.a, (taxed, 2))
    back_office = DeviceFactory(branch=world.a.branch, code="A-BO")
    drawer = open_shift(world.a, device=back_office, cashier=world.a.branch_manager)

    response = post_refund(world.a.branch_manager, sale, body((lines_of(sale)[0], 1)), device=back_office)

    assert response.json()["shift"] == str(drawer.pk)


def test_a_shift_named_in_the_body_pays_out(world, taxed):
    sale = sell(world.a, (taxed, 2))
    till = DeviceFactory(branch=world.a.branch, code="A-T2")
    drawer = open_shift(world.a, device=till, cashier=world.a.branch_manager)

    response = post_refund(world.a.tenant_admin, sale, body((lines_of(sale)[0], 1), shift=str(drawer.pk)))

    assert response.json()["shift"] == str(drawer.pk)
    assert Refund.objects.unscoped().get().shift_id == drawer.pk


@pytest.mark.parametrize("which", ["other_branch", "other_tenant", "closed"])
def test_a_named_shift_must_be_open_and_of_the_sales_branch(world, taxed, which):
    sale = sell(world.a, (taxed, 2))
    if which == "closed":
        till = DeviceFactory(branch=world.a.branch, code="A-T2")
        shift = open_shift(world.a, device=till, cashier=world.a.branch_manager)
        Shift.objects.unscoped().filter(pk=shift.pk).update(status=Shift.Status.CLOSED)
    elif which == "other_branch":
        shift = open_shift(world.a, device=world.a.other_device, cashier=world.a.other_cashier)
    else:
        shift = open_shift(world.b)
    before = state()

    response = post_refund(world.a.tenant_admin, sale, body((lines_of(sale)[0], 1), shift=str(shift.pk)))

    if which == "closed":
        assert (response.status_code, error(response)["code"]) == (409, "shift_not_open")
    else:
        assert response.status_code == 400
        assert error(response)["source"] == {"pointer": "/shift"}
    assert state() == before


# --- Restock and cost -----------------------------------------------------------------------------


def test_a_restocking_refund_returns_the_units_at_the_cost_the_sale_captured(world, taxed):
    sale = sell(world.a, (taxed, 3))  # sold at the average 4.00; 47 left
    [line] = lines_of(sale)
    receive(world.a, world.a.branch, taxed, 10, "6.00")  # the average moves on: 57 on hand
    on_hand = level(world.a.branch, taxed)

    response = post_refund(world.a.tenant_admin, sale, body((line, 2), restock=True))

    assert response.status_code == 201, response.json()
    after = level(world.a.branch, taxed)
    expected_average = quantize_cost(
        (on_hand.quantity * on_hand.average_cost + 2 * D("4.00")) / (on_hand.quantity + 2)
    )
    assert (after.quantity, after.average_cost) == (D(59), expected_average)
    assert after.quantity == ledger_sum(world.a.branch, taxed)
    movement = StockMovement.objects.unscoped().get(kind="refund")
    assert (movement.quantity, movement.unit_cost, movement.reference) == (
        D(2),
        D("4.00"),
        f"refund:{response.json()['id']}",
    )
    assert Refund.objects.unscoped().get().cost_total == D("8.00")


def test_without_restock_no_stock_moves_but_the_cost_is_recorded(world, taxed):
    sale = sell(world.a, (taxed, 3))
    movements = StockMovement.objects.unscoped().count()

    post_refund(world.a.tenant_admin, sale, body((lines_of(sale)[0], 2)))

    assert StockMovement.objects.unscoped().count() == movements
    assert level(world.a.branch, taxed).quantity == D(47)
    refund = Refund.objects.unscoped().get()
    assert (refund.restock, refund.cost_total) == (False, D("8.00"))


def test_restock_skips_untracked_products(world, taxed):
    wrap = product(world.a.tenant, "WRAP", price=D("1.00"), track_stock=False)
    sale = sell(world.a, (taxed, 1), (wrap, 1))

    response = post_refund(
        world.a.tenant_admin, sale, body(*((line, 1) for line in lines_of(sale)), restock=True)
    )

    assert response.status_code == 201, response.json()
    assert list(
        StockMovement.objects.unscoped().filter(kind="refund").values_list("product_id", flat=True)
    ) == [taxed.pk]


def test_restock_returns_only_what_the_sale_took_from_stock(world, taxed):
    wrap = product(world.a.tenant, "WRAP", price=D("1.00"), track_stock=False)
    sale = sell(world.a, (taxed, 1), (wrap, 1))
    # The wrap is tracked from now on, but this sale took none of it from stock.
    type(wrap).objects.unscoped().filter(pk=wrap.pk).update(track_stock=True)
    before = level(world.a.branch, taxed).quantity

    response = post_refund(
        world.a.tenant_admin, sale, body(*((line, 1) for line in lines_of(sale)), restock=True)
    )

    assert response.status_code == 201, response.json()
    assert list(
        StockMovement.objects.unscoped().filter(kind="refund").values_list("product_id", flat=True)
    ) == [taxed.pk]
    assert level(world.a.branch, taxed).quantity == before + 1
    assert not StockLevel.objects.unscoped().filter(product=wrap).exists()


# --- Who may --------------------------------------------------------------------------------------


def test_a_cashier_may_not_refund_and_nothing_changes(world, taxed):
    sale = sell(world.a, (taxed, 2))
    before = state()

    response = post_refund(world.a.cashier, sale, body((lines_of(sale)[0], 1)), device=world.a.device)

    assert (response.status_code, error(response)["code"]) == (403, "permission_denied")
    assert state() == before


def test_a_manager_refunds_only_in_its_branch_and_another_tenants_sale_is_404(world, taxed):
    receive(world.a, world.a.other_branch, taxed, 5)
    elsewhere = sell(
        world.a,
        (taxed, 1),
        shift=open_shift(world.a, device=world.a.other_device, cashier=world.a.other_cashier),
    )
    foreign_item = stocked(world.b, "B-1")
    foreign = sell(world.b, (foreign_item, 1))
    before = state()

    not_its_branch = post_refund(world.a.branch_manager, elsewhere, body((lines_of(elsewhere)[0], 1)))
    not_its_tenant = post_refund(world.a.tenant_admin, foreign, body((lines_of(foreign)[0], 1)))

    assert (not_its_branch.status_code, not_its_tenant.status_code) == (404, 404)
    assert state() == before


# --- Idempotency ----------------------------------------------------------------------------------


def test_a_replayed_refund_answers_the_same_and_refunds_once(world, taxed):
    sale = sell(world.a, (taxed, 3))
    data = body((lines_of(sale)[0], 1))

    first = post_refund(world.a.tenant_admin, sale, data, key="refund-1")
    again = post_refund(world.a.tenant_admin, sale, data, key="refund-1")
    other = post_refund(world.a.tenant_admin, sale, body((lines_of(sale)[0], 2)), key="refund-1")
    keyless = client_for(world.a.tenant_admin).post(url(sale), data, format="json")

    assert (first.status_code, again.status_code) == (201, 201)
    assert json.loads(again.content) == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert (other.status_code, error(other)["code"]) == (422, "idempotency_key_reused")
    assert (keyless.status_code, error(keyless)["code"]) == (400, "idempotency_key_required")
    assert Refund.objects.unscoped().count() == 1
    assert lines_of(sale)[0].refunded_quantity == D(1)


# --- Listing, metrics, query budgets --------------------------------------------------------------


def test_the_list_shows_the_sales_refunds_newest_first(world, taxed):
    sale = sell(world.a, (taxed, 3))
    other_sale = sell(world.a, (taxed, 1))
    ids = [
        post_refund(world.a.tenant_admin, sale, body((lines_of(sale)[0], 1))).json()["id"] for _ in range(2)
    ]
    post_refund(world.a.tenant_admin, other_sale, body((lines_of(other_sale)[0], 1)))

    response = client_for(world.a.branch_manager).get(url(sale))

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == ids[::-1]
    assert results[0]["lines"][0]["product"] == str(taxed.pk)
    assert results[0]["payments"] == [{"method": "cash", "amount": "3.85", "reference": ""}]


def test_the_list_costs_the_same_for_one_refund_or_five(world, taxed):
    def queries(count: int) -> int:
        sale = sell(world.a, (taxed, count))
        for _ in range(count):
            post_refund(world.a.tenant_admin, sale, body((lines_of(sale)[0], 1)))
        client = client_for(world.a.tenant_admin)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url(sale))
        assert len(response.json()["results"]) == count
        return len(captured)

    assert queries(1) == queries(5)


def test_a_refunds_queries_do_not_grow_with_its_lines(world):
    def queries(count: int) -> int:
        items = [stocked(world.a, f"Q{count}-{index}", price=D("2.50")) for index in range(count)]
        sale = sell(world.a, *((item, 2) for item in items))
        client = client_for(world.a.tenant_admin)
        data = body(*((line, 1) for line in lines_of(sale)), restock=True)
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url(sale), data, format="json", **keyed())
        assert response.status_code == 201, response.json()
        return len(captured)

    one, ten = queries(1), queries(10)
    assert one == ten
    # the caller, the sale, the key, savepoints and the service (see its module doc), and the
    # business-day journal (the branch's time zone, the row)
    assert ten <= 28


def test_a_committed_refund_is_counted_and_logged(
    world, taxed, json_logs, django_capture_on_commit_callbacks
):
    sale = sell(world.a, (taxed, 3))
    before = metrics.REFUNDS._value.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_refund(world.a.tenant_admin, sale, body((lines_of(sale)[0], 1)))

    assert metrics.REFUNDS._value.get() == before + 1
    [logged] = [r for r in json_logs.records if r.get("message") == "refund recorded"]
    assert (logged["refund_id"], logged["total"], logged["currency"]) == (
        response.json()["id"],
        "3.85",
        "USD",
    )


def test_a_refused_refund_is_not_counted(world, taxed, django_capture_on_commit_callbacks):
    sale = sell(world.a, (taxed, 1))
    before = metrics.REFUNDS._value.get()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_refund(world.a.tenant_admin, sale, body((lines_of(sale)[0], 2)))

    assert response.status_code == 409
    assert (callbacks, metrics.REFUNDS._value.get()) == ([], before)
