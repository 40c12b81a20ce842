"""Shifts over HTTP and through the service: open, pay in and out, close, the Z report, scopes,
idempotency and query budgets."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cliqserve.core.errors import NotPermitted
from cliqserve.core.tenancy import tenant_scope
from cliqserve.sales.models import CashMovement, Refund, RefundPayment, Sale, Shift
from cliqserve.sales.services import selling, shifts
from cliqserve.tenants.models import Branch, Device, Tenant
from conftest import client_for
from tests.factories import DeviceFactory, TaxRateFactory

from .helpers import D, cash_sale, keyed, open_shift, sale_body, stocked

SHIFTS = "/api/v1/shifts/"


def url(shift: Shift, action: str = "") -> str:
    return f"{SHIFTS}{shift.pk}/{action + '/' if action else ''}"


def only_error(response: Any) -> dict[str, Any]:
    [error] = response.json()["errors"]
    return error


def shift_rows() -> list[dict[str, Any]]:
    return [dict(row) for row in Shift.objects.unscoped().order_by("pk").values()]


def movement_count() -> int:
    return CashMovement.objects.unscoped().count()


def open_body(device: Any, opening_cash: str = "50.00") -> dict[str, str]:
    return {"device": str(device.pk), "opening_cash": opening_cash}


def second_device(tw: Any) -> Device:
    """Another till in the cashier's branch, also assigned to the cashier."""
    return DeviceFactory(branch=tw.branch, code=f"{tw.branch.code}-POS9", assigned_users=[tw.cashier])


def sell(
    tw: Any,
    shift: Shift,
    lines: list[tuple[Any, Any, Any]],
    payments: list[tuple[str, str]],
    *,
    actor: Any = None,
) -> Sale:
    """A sale through the service: lines (product, quantity, discount percent), payments (method, amount)."""
    with tenant_scope(tw.tenant.pk):
        return selling.sale_create(
            tenant=tw.tenant,
            actor=actor or shift.cashier,
            shift_id=shift.pk,
            lines=[
                selling.LineInput(product_id=item.pk, quantity=D(quantity), discount_percent=D(discount))
                for item, quantity, discount in lines
            ],
            payments=[selling.PaymentInput(method=method, amount=D(amount)) for method, amount in payments],
        )


def cash_refund(tw: Any, sale: Sale, shift: Shift | None, method: str, amount: str) -> Refund:
    """A refund row paid from `shift`, written directly: the report reads rows, whoever wrote them
    (the refund service is built in parallel and tested on its own)."""
    refund = Refund.objects.unscoped().create(
        tenant=tw.tenant,
        sale=sale,
        shift=shift,
        actor=tw.branch_manager,
        subtotal=D(amount),
        discount_total=D(0),
        tax_total=D(0),
        total=D(amount),
        cost_total=D(0),
    )
    RefundPayment.objects.unscoped().create(tenant=tw.tenant, refund=refund, method=method, amount=D(amount))
    return refund


def void(sale: Sale) -> None:
    # Voids are built in parallel by someone else; the report only reads the status.
    Sale.objects.unscoped().filter(pk=sale.pk).update(status=Sale.Status.VOIDED)


@pytest.fixture
def cart(world):
    """Tenant A's products: 10.00 + 15% exclusive tax, 12.00 with 20% included, 3.33 untaxed."""
    a = world.a
    exclusive = TaxRateFactory(tenant=a.tenant, rate=D("15.00"), inclusive=False)
    inclusive = TaxRateFactory(tenant=a.tenant, rate=D("20.00"), inclusive=True)
    return (
        stocked(a, "EXCL", price=D("10.00"), tax_rate=exclusive),
        stocked(a, "INCL", price=D("12.00"), tax_rate=inclusive),
        stocked(a, "NOTAX", price=D("3.33")),
    )


# --- Open -----------------------------------------------------------------------------------------


def test_a_cashier_opens_a_shift_on_its_device(world):
    response = client_for(world.a.cashier).post(SHIFTS, open_body(world.a.device), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert {key: body[key] for key in ("status", "device", "branch", "cashier", "opening_cash")} == {
        "status": "open",
        "device": str(world.a.device.pk),
        "branch": str(world.a.branch.pk),
        "cashier": str(world.a.cashier.pk),
        "opening_cash": "50.00",
    }
    assert [body[key] for key in ("closed_at", "closed_by", "counted_cash", "expected_cash", "variance")] == [
        None
    ] * 5
    shift = Shift.objects.unscoped().get(pk=body["id"])
    assert (shift.tenant_id, shift.status, shift.opening_cash) == (world.a.tenant.pk, "open", D("50.00"))


@pytest.mark.parametrize(("role", "device"), [("branch_manager", "device"), ("tenant_admin", "other_device")])
def test_managers_open_shifts_on_their_scope_and_become_the_shifts_cashier(world, role, device):
    user = world.a.user(role)

    response = client_for(user).post(SHIFTS, open_body(getattr(world.a, device)), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["cashier"] == str(user.pk)


@pytest.mark.parametrize(
    ("role", "device", "status", "code"),
    [
        ("cashier", "other_device", 403, "permission_denied"),  # not assigned to it
        ("branch_manager", "other_device", 403, "permission_denied"),  # another branch
    ],
)
def test_opening_outside_ones_scope_is_refused_and_writes_nothing(world, role, device, status, code):
    response = client_for(world.a.user(role)).post(SHIFTS, open_body(getattr(world.a, device)), format="json")

    assert response.status_code == status
    error = only_error(response)
    assert (error["code"], error["source"]["pointer"]) == (code, "/device")
    assert shift_rows() == []


@pytest.mark.parametrize(
    "device_id", [lambda w: w.b.device.pk, lambda w: uuid.uuid4()], ids=["other-tenant", "unknown"]
)
def test_a_device_outside_the_tenant_is_400_on_device(world, device_id):
    body = {"device": str(device_id(world)), "opening_cash": "10.00"}

    response = client_for(world.a.tenant_admin).post(SHIFTS, body, format="json")

    assert response.status_code == 400
    error = only_error(response)
    assert (error["code"], error["source"]["pointer"]) == ("validation_error", "/device")
    assert shift_rows() == []


def test_a_cashier_signed_in_on_one_device_opens_only_that_devices_shift(world):
    till = second_device(world.a)
    client = client_for(world.a.cashier, device=till)

    elsewhere = client.post(SHIFTS, open_body(world.a.device), format="json")
    here = client.post(SHIFTS, open_body(till), format="json")

    assert elsewhere.status_code == 403
    assert only_error(elsewhere)["source"]["pointer"] == "/device"
    assert here.status_code == 201
    assert Shift.objects.unscoped().get().device_id == till.pk


@pytest.mark.parametrize("inactive", [Device, Branch])
def test_a_deactivated_device_or_branch_cannot_open_a_shift(world, inactive):
    target = world.a.device if inactive is Device else world.a.branch
    inactive.objects.unscoped().filter(pk=target.pk).update(is_active=False)

    response = client_for(world.a.tenant_admin).post(SHIFTS, open_body(world.a.device), format="json")

    assert response.status_code == 409
    assert only_error(response)["code"] == "conflict"
    assert shift_rows() == []


def test_a_device_has_one_open_shift_at_a_time(world):
    first = client_for(world.a.cashier).post(SHIFTS, open_body(world.a.device), format="json")
    before = shift_rows()

    second = client_for(world.a.branch_manager).post(SHIFTS, open_body(world.a.device), format="json")

    assert second.status_code == 409
    error = only_error(second)
    assert error["code"] == "shift_already_open"
    assert error["meta"] == {"shift": first.json()["id"]}
    assert shift_rows() == before
    # Closing frees the device; another device is never blocked by this one.
    assert (
        client_for(world.a.tenant_admin)
        .post(SHIFTS, open_body(world.a.other_device), format="json")
        .status_code
        == 201
    )
    client_for(world.a.cashier).post(
        f"{SHIFTS}{first.json()['id']}/close/", {"counted_cash": "50"}, format="json"
    )
    assert (
        client_for(world.a.cashier).post(SHIFTS, open_body(world.a.device), format="json").status_code == 201
    )


@pytest.mark.parametrize(
    ("opening_cash", "pointer"),
    [
        ("-0.01", "/opening_cash"),
        ("10.001", "/opening_cash"),  # USD has 2 decimals
        ("10.0001", "/opening_cash"),
        ("NaN", "/opening_cash"),
        (None, "/opening_cash"),
    ],
)
def test_a_bad_opening_cash_is_400_and_writes_nothing(world, opening_cash, pointer):
    body = {"device": str(world.a.device.pk), "opening_cash": opening_cash}

    response = client_for(world.a.cashier).post(SHIFTS, body, format="json")

    assert response.status_code == 400
    assert only_error(response)["source"]["pointer"] == pointer
    assert shift_rows() == []


def test_unknown_fields_are_refused(world):
    body = {**open_body(world.a.device), "cashier": str(world.a.branch_manager.pk)}

    response = client_for(world.a.cashier).post(SHIFTS, body, format="json")

    assert response.status_code == 400
    assert only_error(response)["source"]["pointer"] == "/cashier"
    assert shift_rows() == []


def test_amounts_follow_the_currencys_minor_unit(world):
    Tenant.objects.filter(pk=world.a.tenant.pk).update(currency="JPY")
    client = client_for(world.a.cashier)

    fractional = client.post(SHIFTS, open_body(world.a.device, "100.5"), format="json")
    whole = client.post(SHIFTS, open_body(world.a.device, "100"), format="json")

    assert fractional.status_code == 400
    assert only_error(fractional)["source"]["pointer"] == "/opening_cash"
    assert (whole.status_code, whole.json()["opening_cash"]) == (201, "100")


def test_an_idempotency_key_makes_the_open_exactly_once(world):
    client = client_for(world.a.cashier)

    first = client.post(SHIFTS, open_body(world.a.device), format="json", **keyed("open-1"))
    replay = client.post(SHIFTS, open_body(world.a.device), format="json", **keyed("open-1"))
    other_body = client.post(SHIFTS, open_body(world.a.device, "60.00"), format="json", **keyed("open-1"))

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert other_body.status_code == 422
    assert Shift.objects.unscoped().count() == 1


def test_open_service_refuses_a_cashier_not_assigned_to_the_device(world):
    with tenant_scope(world.a.tenant.pk), pytest.raises(NotPermitted):
        shifts.shift_open(
            tenant=world.a.tenant, actor=world.a.other_cashier, device_id=world.a.device.pk, opening_cash=D(1)
        )
    assert shift_rows() == []


# --- List and detail ------------------------------------------------------------------------------


def test_each_role_lists_the_shifts_of_its_scope(world):
    mine = open_shift(world.a)
    other_branch = open_shift(world.a, device=world.a.other_device, cashier=world.a.other_cashier)
    open_shift(world.b)

    def listed(user):
        return {row["id"] for row in client_for(user).get(SHIFTS).json()["results"]}

    assert listed(world.a.tenant_admin) == {str(mine.pk), str(other_branch.pk)}
    assert listed(world.a.branch_manager) == {str(mine.pk)}
    assert listed(world.a.cashier) == {str(mine.pk)}
    assert listed(world.a.other_cashier) == {str(other_branch.pk)}
    assert client_for(world.a.cashier).get(url(other_branch)).status_code == 404


def test_shifts_filter_by_device_branch_cashier_and_status(world):
    mine = open_shift(world.a)
    other = open_shift(world.a, device=world.a.other_device, cashier=world.a.other_cashier)
    Shift.objects.unscoped().filter(pk=other.pk).update(status=Shift.Status.CLOSED)
    admin = client_for(world.a.tenant_admin)

    def ids(**query):
        response = admin.get(SHIFTS, query)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids(device=world.a.device.pk) == [str(mine.pk)]
    assert ids(branch=world.a.other_branch.pk) == [str(other.pk)]
    assert ids(cashier=world.a.cashier.pk) == [str(mine.pk)]
    assert ids(status="open") == [str(mine.pk)]
    assert ids(status="closed") == [str(other.pk)]
    assert ids(device=world.b.device.pk) == []
    assert admin.get(SHIFTS, {"status": "ajar"}).status_code == 400


def test_a_shift_reads_back_with_amounts_in_the_currency(world):
    shift = open_shift(world.a, opening_cash="12.5")

    body = client_for(world.a.cashier).get(url(shift)).json()

    assert (body["id"], body["opening_cash"], body["status"]) == (str(shift.pk), "12.50", "open")


# --- Cash movements -------------------------------------------------------------------------------


def test_pay_ins_and_pay_outs_are_recorded_and_listed(world):
    shift = open_shift(world.a, opening_cash="20.00")
    client = client_for(world.a.cashier)

    pay_in = client.post(url(shift, "cash-movements"), {"kind": "pay_in", "amount": "5", "reason": "coins"})
    pay_out = client.post(
        url(shift, "cash-movements"), {"kind": "pay_out", "amount": "25.00", "reason": "bank"}
    )
    listed = client.get(url(shift, "cash-movements")).json()

    assert (pay_in.status_code, pay_out.status_code) == (201, 201)
    assert {key: pay_in.json()[key] for key in ("shift", "kind", "amount", "reason", "actor")} == {
        "shift": str(shift.pk),
        "kind": "pay_in",
        "amount": "5.00",
        "reason": "coins",
        "actor": str(world.a.cashier.pk),
    }
    assert [(row["kind"], row["amount"]) for row in listed["results"]] == [
        ("pay_out", "25.00"),
        ("pay_in", "5.00"),
    ]
    assert listed["next"] is None


def test_a_pay_out_cannot_take_more_than_the_drawer_should_hold(world, cart):
    exclusive, _, _ = cart
    shift = open_shift(world.a, opening_cash="10.00")
    cash_sale(world.a, shift, (exclusive, 2), pay="30.00")  # 23.00 stays in the drawer: 33.00
    client = client_for(world.a.branch_manager)

    too_much = client.post(
        url(shift, "cash-movements"), {"kind": "pay_out", "amount": "33.01", "reason": "x"}
    )
    everything = client.post(
        url(shift, "cash-movements"), {"kind": "pay_out", "amount": "33.00", "reason": "x"}
    )

    assert too_much.status_code == 400
    error = only_error(too_much)
    assert (error["source"]["pointer"], error["meta"]) == ("/amount", {"expected_cash": "33.00"})
    assert everything.status_code == 201
    assert movement_count() == 1


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"kind": "pay_in", "amount": "0", "reason": "x"}, "/amount"),
        ({"kind": "pay_in", "amount": "-5", "reason": "x"}, "/amount"),
        ({"kind": "pay_in", "amount": "1.005", "reason": "x"}, "/amount"),
        ({"kind": "refund", "amount": "1", "reason": "x"}, "/kind"),
        ({"kind": "pay_in", "amount": "1"}, "/reason"),
        ({"kind": "pay_in", "amount": "1", "reason": "   "}, "/reason"),
        ({"kind": "pay_in", "amount": "1", "reason": "x", "actor": "me"}, "/actor"),
    ],
)
def test_a_bad_cash_movement_is_400_on_its_field_and_writes_nothing(world, body, pointer):
    shift = open_shift(world.a)

    response = client_for(world.a.cashier).post(url(shift, "cash-movements"), body, format="json")

    assert response.status_code == 400
    assert only_error(response)["source"]["pointer"] == pointer
    assert movement_count() == 0


def test_cash_moves_only_while_the_shift_is_open(world):
    shift = open_shift(world.a)
    client_for(world.a.cashier).post(url(shift, "close"), {"counted_cash": "100.00"})

    response = client_for(world.a.cashier).post(
        url(shift, "cash-movements"), {"kind": "pay_in", "amount": "1", "reason": "late"}
    )

    assert response.status_code == 409
    assert only_error(response)["code"] == "shift_not_open"
    assert movement_count() == 0


def test_cash_movement_service_refuses_anyone_but_the_shifts_people(world):
    shift = open_shift(world.a)

    with tenant_scope(world.a.tenant.pk), pytest.raises(NotPermitted):
        shifts.cash_movement_create(
            tenant=world.a.tenant,
            actor=world.a.other_cashier,
            shift=shift,
            kind="pay_in",
            amount=D(1),
            reason="x",
        )
    assert movement_count() == 0


def test_an_idempotency_key_makes_a_pay_in_exactly_once(world):
    shift = open_shift(world.a)
    client = client_for(world.a.cashier)
    body = {"kind": "pay_in", "amount": "5.00", "reason": "coins"}

    first = client.post(url(shift, "cash-movements"), body, format="json", **keyed("pay-1"))
    replay = client.post(url(shift, "cash-movements"), body, format="json", **keyed("pay-1"))
    unkeyed = client.post(url(shift, "cash-movements"), body, format="json")

    assert (first.status_code, replay.status_code, unkeyed.status_code) == (201, 201, 201)
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert movement_count() == 2


# --- Close ----------------------------------------------------------------------------------------


def test_closing_stores_the_count_and_answers_the_z_report(world, cart):
    exclusive, _, _ = cart
    shift = open_shift(world.a, opening_cash="100.00")
    cash_sale(world.a, shift, (exclusive, 2), pay="30.00")  # 23.00 in

    response = client_for(world.a.cashier).post(url(shift, "close"), {"counted_cash": "122.50"})

    assert response.status_code == 200, response.json()
    report = response.json()
    assert (report["expected_cash"], report["counted_cash"], report["variance"]) == (
        "123.00",
        "122.50",
        "-0.50",
    )
    assert (report["sale_count"], report["sales_total"]) == (1, "23.00")
    assert report["shift"]["status"] == "closed"
    assert report["closed_at"] == report["shift"]["closed_at"] is not None
    stored = Shift.objects.unscoped().get(pk=shift.pk)
    assert (stored.status, stored.closed_by_id) == ("closed", world.a.cashier.pk)
    assert (stored.counted_cash, stored.expected_cash, stored.variance) == (D("122.5"), D(123), D("-0.5"))


def test_closing_twice_is_409_and_changes_nothing(world):
    shift = open_shift(world.a)
    client = client_for(world.a.tenant_admin)
    client.post(url(shift, "close"), {"counted_cash": "100.00"})
    before = shift_rows()

    again = client.post(url(shift, "close"), {"counted_cash": "90.00"})

    assert again.status_code == 409
    assert only_error(again)["code"] == "shift_not_open"
    assert shift_rows() == before


def test_no_sale_after_the_close(world, cart):
    exclusive, _, _ = cart
    shift = open_shift(world.a)
    client_for(world.a.cashier).post(url(shift, "close"), {"counted_cash": "100.00"})

    response = client_for(world.a.cashier).post(
        "/api/v1/sales/", sale_body(shift, (exclusive, 1)), format="json", **keyed()
    )

    assert response.status_code == 409
    assert only_error(response)["code"] == "shift_not_open"
    assert not Sale.objects.unscoped().exists()


@pytest.mark.parametrize("counted_cash", ["-1", "1.001", None])
def test_a_bad_count_is_400_and_leaves_the_shift_open(world, counted_cash):
    shift = open_shift(world.a)
    before = shift_rows()

    response = client_for(world.a.cashier).post(
        url(shift, "close"), {"counted_cash": counted_cash}, format="json"
    )

    assert response.status_code == 400
    assert only_error(response)["source"]["pointer"] == "/counted_cash"
    assert shift_rows() == before


def test_an_idempotency_key_replays_the_close(world):
    shift = open_shift(world.a)
    client = client_for(world.a.cashier)

    first = client.post(url(shift, "close"), {"counted_cash": "99.00"}, format="json", **keyed("close-1"))
    replay = client.post(url(shift, "close"), {"counted_cash": "99.00"}, format="json", **keyed("close-1"))

    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()


def test_close_service_refuses_anyone_but_the_shifts_people(world):
    shift = open_shift(world.a)
    before = shift_rows()

    with tenant_scope(world.a.tenant.pk), pytest.raises(NotPermitted):
        shifts.shift_close(tenant=world.a.tenant, actor=world.a.other_cashier, shift=shift, counted_cash=D(0))
    assert shift_rows() == before


# --- The Z report ---------------------------------------------------------------------------------


@pytest.fixture
def busy_shift(world, cart):
    """A shift with every kind of row the report reads; the figures are worked out in the test."""
    a = world.a
    exclusive, inclusive, untaxed = cart
    shift = open_shift(a, opening_cash="100.00")
    # 2 x 10.00 + 15% = 23.00 (tax 3.00); 12.00 incl. 20% (tax 2.00); 3 x 3.33 = 9.99: 44.99.
    first = sell(a, shift, [(exclusive, 2, 0), (inclusive, 1, 0), (untaxed, 3, 0)], [("cash", "50.00")])
    # The manager discounts: 30.00 - 10% = 27.00 + 15% = 31.05; 24.00 - 25% = 18.00 incl. 3.00 tax.
    # 49.05 paid 30.00 by card and 20.00 cash: 0.95 change.
    sell(
        a,
        shift,
        [(exclusive, 3, 10), (inclusive, 2, 25)],
        [("card", "30.00"), ("cash", "20.00")],
        actor=a.branch_manager,
    )
    voided = sell(a, shift, [(exclusive, 1, 0)], [("cash", "20.00")])  # 11.50, then voided
    void(voided)
    fourth = sell(a, shift, [(inclusive, 1, 0)], [("other", "12.00")])
    with tenant_scope(a.tenant.pk):
        shifts.cash_movement_create(
            tenant=a.tenant, actor=a.cashier, shift=shift, kind="pay_in", amount=D(25), reason="coins"
        )
        shifts.cash_movement_create(
            tenant=a.tenant, actor=a.branch_manager, shift=shift, kind="pay_out", amount=D(40), reason="bank"
        )
    cash_refund(a, first, shift, "cash", "9.99")
    cash_refund(a, fourth, shift, "other", "12.00")
    # Paid from another drawer: counts there, not here.
    elsewhere = open_shift(a, device=a.other_device, cashier=a.other_cashier)
    cash_refund(a, first, elsewhere, "cash", "3.00")
    return shift


EXPECTED_REPORT = {
    "opening_cash": "100.00",
    "sale_count": 3,
    "gross": "107.99",  # 41.99 + 54.00 + 12.00
    "discounts": "9.00",
    "tax": "14.05",  # 5.00 + 7.05 + 2.00
    "sales_total": "106.04",  # 44.99 + 49.05 + 12.00
    "net_sales": "91.99",
    "refunds": {"count": 2, "total": "21.99"},
    "voids": {"count": 1, "total": "11.50"},
    "payment_methods": [
        # cash: 50.00 + 20.00 - change 5.01 - change 0.95
        {"method": "cash", "sales": "64.04", "refunds": "9.99", "net": "54.05"},
        {"method": "card", "sales": "30.00", "refunds": "0.00", "net": "30.00"},
        {"method": "other", "sales": "12.00", "refunds": "12.00", "net": "0.00"},
    ],
    "cash_movements": {"pay_in": "25.00", "pay_out": "40.00", "count": 2},
    # 100.00 + 64.04 + 25.00 - 40.00 - 9.99
    "expected_cash": "139.05",
}


def test_the_z_report_adds_up_to_the_cent(world, busy_shift):
    response = client_for(world.a.branch_manager).get(url(busy_shift, "report"))

    assert response.status_code == 200
    report = response.json()
    assert {key: report[key] for key in EXPECTED_REPORT} == EXPECTED_REPORT
    assert (report["counted_cash"], report["variance"], report["closed_at"]) == (None, None, None)
    assert report["shift"]["id"] == str(busy_shift.pk)


def test_the_close_answers_the_same_figures_and_keeps_them(world, busy_shift):
    response = client_for(world.a.cashier).post(url(busy_shift, "close"), {"counted_cash": "139.00"})

    report = response.json()
    assert {key: report[key] for key in EXPECTED_REPORT} == EXPECTED_REPORT
    assert (report["counted_cash"], report["variance"]) == ("139.00", "-0.05")
    assert (report["shift"]["expected_cash"], report["shift"]["variance"]) == ("139.05", "-0.05")


def test_the_report_of_a_closed_shift_follows_rows_added_later(world, busy_shift):
    client_for(world.a.cashier).post(url(busy_shift, "close"), {"counted_cash": "139.05"})
    # A row changing after the close (e.g. an offline sale synced late) shows in the live figures.
    void(Sale.objects.unscoped().filter(shift=busy_shift, total=D("49.05")).get())

    report = client_for(world.a.cashier).get(url(busy_shift, "report")).json()

    assert (report["expected_cash"], report["variance"]) == ("120.00", "19.05")  # its cash: 20.00 - 0.95
    assert (report["shift"]["expected_cash"], report["shift"]["variance"]) == ("139.05", "0.00")


def test_an_empty_shift_reports_zeros(world):
    shift = open_shift(world.a, opening_cash="7.00")

    report = client_for(world.a.cashier).get(url(shift, "report")).json()

    assert (report["sale_count"], report["gross"], report["net_sales"], report["expected_cash"]) == (
        0,
        "0.00",
        "0.00",
        "7.00",
    )
    assert report["refunds"] == report["voids"] == {"count": 0, "total": "0.00"}


# --- Query budgets --------------------------------------------------------------------------------


def queries(call: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code < 300, response.content
    return len(captured), response


def busy(tw: Any, shift: Shift, item: Any, sales: int) -> Shift:
    for _ in range(sales):
        cash_sale(tw, shift, (item, 1), pay="20.00")
    return shift


def test_the_report_and_the_close_cost_the_same_for_one_sale_or_twenty(world, cart):
    exclusive, _, _ = cart
    one = busy(world.a, open_shift(world.a), exclusive, 1)
    twenty = busy(world.a, open_shift(world.a, device=second_device(world.a)), exclusive, 20)
    client = client_for(world.a.cashier)

    report_one, _ = queries(lambda: client.get(url(one, "report")))
    report_twenty, response = queries(lambda: client.get(url(twenty, "report")))
    close_one, _ = queries(lambda: client.post(url(one, "close"), {"counted_cash": "0"}))
    close_twenty, closed = queries(lambda: client.post(url(twenty, "close"), {"counted_cash": "0"}))

    assert response.json()["sale_count"] == closed.json()["sale_count"] == 20
    # user (auth) + the shift + 5 aggregates (sales, payments, refunds, refund payments, movements)
    assert report_one == report_twenty == 7
    # user + the shift + savepoint + lock + 5 aggregates + update + audit event + release
    assert close_one == close_twenty == 12


def test_the_list_costs_the_same_for_one_shift_or_twenty(world):
    admin = client_for(world.a.tenant_admin)
    open_shift(world.a)
    few, _ = queries(lambda: admin.get(SHIFTS))
    for index in range(19):
        device = DeviceFactory(branch=world.a.branch, code=f"T{index}")
        open_shift(world.a, device=device)
    many, response = queries(lambda: admin.get(SHIFTS, {"page_size": 100}))

    assert len(response.json()["results"]) == 20
    assert few == many == 2  # user + shifts


def test_opening_costs_a_fixed_number_of_queries(world):
    client = client_for(world.a.cashier)

    count, _ = queries(lambda: client.post(SHIFTS, open_body(world.a.device)))

    # user + savepoint + device (with branch) + the caller's assignment, locked + insert + release
    assert count == 6


def test_cash_movements_list_costs_the_same_for_one_or_twenty(world):
    shift = open_shift(world.a)
    client = client_for(world.a.cashier)
    body = {"kind": "pay_in", "amount": "1", "reason": "x"}
    client.post(url(shift, "cash-movements"), body)
    few, _ = queries(lambda: client.get(url(shift, "cash-movements")))
    for _ in range(19):
        client.post(url(shift, "cash-movements"), body)
    many, response = queries(lambda: client.get(url(shift, "cash-movements")))

    assert len(response.json()["results"]) == 20
    assert few == many == 3  # user + the shift + movements
