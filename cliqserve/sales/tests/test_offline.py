"""POST /api/v1/sync/sales/: offline sales, each in its own transaction, deduplicated by client_id."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from prometheus_client import REGISTRY

from cliqserve.inventory.models import StockMovement
from cliqserve.inventory.tests.helpers import ledger_sum, level
from cliqserve.sales.models import Sale, SaleLine, Shift
from cliqserve.sales.services import offline
from conftest import client_for
from tests.factories import DeviceFactory, UserFactory

from .helpers import D, open_shift, sale_body, stocked

pytestmark = pytest.mark.django_db

URL = reverse("sales-sync")


# --- Helpers ----------------------------------------------------------------------------------------


def shift_since(tw: Any, *, hours: float = 1, device: Any = None, cashier: Any = None) -> Shift:
    """The device's open shift, opened `hours` ago (so a sale of a minute ago falls inside it)."""
    shift = open_shift(tw, device=device, cashier=cashier)
    Shift.objects.unscoped().filter(pk=shift.pk).update(opened_at=timezone.now() - timedelta(hours=hours))
    shift.refresh_from_db()
    return shift


def closed_shift(tw: Any, *, opened_hours_ago: float, closed_hours_ago: float, device: Any = None) -> Shift:
    device = device or tw.device
    now = timezone.now()
    return Shift.objects.unscoped().create(
        tenant=tw.tenant,
        branch=device.branch,
        device=device,
        cashier=tw.cashier,
        opening_cash=D("50.00"),
        status=Shift.Status.CLOSED,
        opened_at=now - timedelta(hours=opened_hours_ago),
        closed_at=now - timedelta(hours=closed_hours_ago),
    )


def offline_sale(
    *lines: tuple[Any, Any],
    client_id: Any = None,
    receipt: str | None = None,
    ago: timedelta = timedelta(minutes=1),
    pay: Any = "1000.00",
    method: str = "cash",
    **line_extra: Any,
) -> dict[str, Any]:
    """One offline sale of `lines` [(product, quantity)], rung up `ago` before now."""
    client_id = client_id or uuid.uuid4()
    return {
        "client_id": str(client_id),
        "receipt_number": receipt or f"OFF-{str(client_id)[:8]}",
        "created_at": (timezone.now() - ago).isoformat(),
        "lines": [
            {"product": str(item.pk), "quantity": str(quantity), **line_extra} for item, quantity in lines
        ],
        "payments": [{"method": method, "amount": str(pay)}],
    }


def sync(client: Any, device: Any, *sales: Any) -> Any:
    return client.post(URL, {"device": str(device.pk), "sales": list(sales)}, format="json")


def sales_of(tw: Any) -> Any:
    return Sale.objects.unscoped().filter(tenant=tw.tenant)


def offline_count() -> float:
    return REGISTRY.get_sample_value("cliqserve_sales_total", {"origin": "offline"}) or 0.0


def assert_ledger_matches(tw: Any, item: Any) -> None:
    assert level(tw.branch, item).quantity == ledger_sum(tw.branch, item)


# --- Recording --------------------------------------------------------------------------------------


def test_a_batch_is_recorded_with_the_devices_receipt_numbers_and_times(world):
    a = world.a
    shift = shift_since(a)
    item = stocked(a, quantity=10)
    first, second = (
        offline_sale((item, 2), receipt="POS1-OFF-1"),
        offline_sale((item, 3), receipt="POS1-OFF-2"),
    )

    response = sync(client_for(a.cashier), a.device, first, second)

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "created"]
    assert [r["client_id"] for r in results] == [first["client_id"], second["client_id"]]
    assert [r["receipt_number"] for r in results] == ["POS1-OFF-1", "POS1-OFF-2"]
    assert all(r["errors"] == [] for r in results)
    sale = Sale.objects.unscoped().get(pk=results[0]["sale"])
    assert sale.origin == Sale.Origin.OFFLINE
    assert str(sale.client_id) == first["client_id"]
    assert sale.receipt_number == "POS1-OFF-1"
    assert sale.sold_at.isoformat() == first["created_at"]
    assert (sale.shift_id, sale.device_id, sale.cashier_id) == (shift.pk, a.device.pk, a.cashier.pk)
    assert (sale.total, sale.paid, sale.change_due) == (D("20.00"), D("1000.00"), D("980.00"))
    assert (sale.needs_review, sale.review_reasons) == (False, [])
    assert level(a.branch, item).quantity == D(5)
    assert_ledger_matches(a, item)


def test_one_bad_sale_does_not_affect_the_others_and_results_keep_request_order(world):
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=10)
    unknown = offline_sale((item, 1))
    unknown["lines"].append({"product": str(uuid.uuid4()), "quantity": "1"})
    sales = [offline_sale((item, 1)), unknown, offline_sale((item, 2))]

    results = sync(client_for(a.cashier), a.device, *sales).json()["results"]

    assert [r["status"] for r in results] == ["created", "rejected", "created"]
    assert [r["client_id"] for r in results] == [sale["client_id"] for sale in sales]
    rejected = results[1]
    assert rejected["sale"] is None
    assert rejected["receipt_number"] == unknown["receipt_number"]
    [error] = rejected["errors"]
    assert (error["status"], error["code"]) == ("400", "validation_error")
    assert error["source"]["pointer"] == "/sales/1/lines/1/product"
    assert not sales_of(a).filter(client_id=unknown["client_id"]).exists()
    assert level(a.branch, item).quantity == D(7)
    assert_ledger_matches(a, item)


def test_the_cashier_is_the_caller_and_prices_come_from_the_catalog(world):
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=10)

    result = sync(client_for(a.tenant_admin), a.device, offline_sale((item, 1))).json()["results"][0]

    sale = Sale.objects.unscoped().get(pk=result["sale"])
    assert sale.cashier_id == a.tenant_admin.pk
    assert SaleLine.objects.unscoped().get(sale=sale).unit_price == D(item.price)


# --- Deduplication ----------------------------------------------------------------------------------


def test_uploading_a_sale_again_answers_duplicate_with_the_existing_sale_whatever_the_body(world):
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=10)
    client = client_for(a.cashier)
    sale = offline_sale((item, 2), receipt="R-1")
    first = sync(client, a.device, sale).json()["results"][0]
    changed = {**offline_sale((item, 5), receipt="R-CHANGED"), "client_id": sale["client_id"]}

    again = sync(client, a.device, sale, changed).json()["results"]

    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert {r["sale"] for r in again} == {first["sale"]}
    assert {r["receipt_number"] for r in again} == {"R-1"}
    assert all(r["errors"] == [] for r in again)
    assert sales_of(a).count() == 1
    assert level(a.branch, item).quantity == D(8)
    assert_ledger_matches(a, item)


def test_the_unique_constraint_decides_when_the_fast_path_misses_a_sale(world, monkeypatch):
    """As when a concurrent upload commits the sale after this one read the known client ids:
    the insert meets the constraint, the attempt (stock included) rolls back, duplicate."""
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=10)
    client = client_for(a.cashier)
    sale = offline_sale((item, 2))
    first = sync(client, a.device, sale).json()["results"][0]
    monkeypatch.setattr(offline, "_synced_before", lambda **kwargs: {})

    again = sync(client, a.device, sale).json()["results"][0]

    assert (again["status"], again["sale"]) == ("duplicate", first["sale"])
    assert sales_of(a).count() == 1
    assert level(a.branch, item).quantity == D(8)
    assert_ledger_matches(a, item)


def test_the_same_client_id_twice_in_one_batch_is_recorded_once(world):
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=10)
    sale = offline_sale((item, 1))

    results = sync(client_for(a.cashier), a.device, sale, sale).json()["results"]

    assert [r["status"] for r in results] == ["created", "duplicate"]
    assert results[0]["sale"] == results[1]["sale"]
    assert level(a.branch, item).quantity == D(9)


def test_a_sale_already_synced_is_a_duplicate_even_if_now_malformed(world):
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=10)
    client = client_for(a.cashier)
    sale = offline_sale((item, 1))
    first = sync(client, a.device, sale).json()["results"][0]

    again = sync(client, a.device, {**sale, "lines": [], "extra": 1}).json()["results"][0]

    assert (again["status"], again["sale"], again["errors"]) == ("duplicate", first["sale"], [])


def test_another_tenants_client_id_is_not_a_duplicate(world):
    a, b = world.a, world.b
    shift_since(a)
    shift_since(b)
    client_id = uuid.uuid4()
    theirs = sync(client_for(b.cashier), b.device, offline_sale((stocked(b), 1), client_id=client_id))

    ours = sync(client_for(a.cashier), a.device, offline_sale((stocked(a), 1), client_id=client_id))

    assert ours.json()["results"][0]["status"] == "created"
    assert ours.json()["results"][0]["sale"] != theirs.json()["results"][0]["sale"]
    assert Sale.objects.unscoped().filter(client_id=client_id).count() == 2


# --- Malformed sales and batches ----------------------------------------------------------------------


def test_a_malformed_sale_is_rejected_alone_with_pointers_into_the_request(world):
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=10)
    malformed = {
        "client_id": "not-a-uuid",
        "receipt_number": "",
        "created_at": "2025-01-31T09:30:00",  # no UTC offset: ambiguous
        "lines": [{"product": str(item.pk), "quantity": "-1", "colour": "red"}],
        "payments": [{"method": "cheque", "amount": "1.00"}],
    }
    good = offline_sale((item, 1))

    results = sync(client_for(a.cashier), a.device, "not a sale", malformed, good).json()["results"]

    assert [r["status"] for r in results] == ["rejected", "rejected", "created"]
    assert results[0]["client_id"] is None
    assert [e["source"]["pointer"] for e in results[0]["errors"]] == ["/sales/0"]
    assert (results[1]["client_id"], results[1]["sale"], results[1]["receipt_number"]) == (None, None, None)
    pointers = {e["source"]["pointer"] for e in results[1]["errors"]}
    assert pointers == {
        "/sales/1/client_id",
        "/sales/1/receipt_number",
        "/sales/1/created_at",
        "/sales/1/lines/0/colour",
        "/sales/1/payments/0/method",
    }
    assert {e["code"] for e in results[1]["errors"]} == {"validation_error"}
    assert sales_of(a).count() == 1


def test_a_time_without_offset_is_rejected_and_with_one_accepted(world):
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=10)
    naive = offline_sale((item, 1))
    naive["created_at"] = naive["created_at"][:19]

    results = sync(client_for(a.cashier), a.device, naive, offline_sale((item, 1))).json()["results"]

    assert [r["status"] for r in results] == ["rejected", "created"]
    assert results[0]["errors"][0]["source"]["pointer"] == "/sales/0/created_at"


def test_a_receipt_number_longer_than_64_is_rejected(world):
    a = world.a
    shift_since(a)
    sale = offline_sale((stocked(a), 1), receipt="R" * 65)

    result = sync(client_for(a.cashier), a.device, sale).json()["results"][0]

    assert result["status"] == "rejected"
    assert result["receipt_number"] is None
    assert result["errors"][0]["source"]["pointer"] == "/sales/0/receipt_number"


@pytest.mark.parametrize(
    ("sales", "pointer"),
    [
        (lambda item: [offline_sale((item, 1)) for _ in range(offline.MAX_BATCH + 1)], "/sales"),
        (lambda item: [], "/sales"),
        (lambda item: "not a list", "/sales"),
    ],
    ids=["more-than-100", "empty", "not-a-list"],
)
def test_a_batch_that_is_not_1_to_100_sales_is_refused_whole(world, sales, pointer):
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=500)

    response = client_for(a.cashier).post(
        URL, {"device": str(a.device.pk), "sales": sales(item)}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == pointer
    assert not sales_of(a).exists()


def test_a_batch_of_exactly_100_sales_is_taken(world):
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=500)

    response = sync(client_for(a.cashier), a.device, *(offline_sale((item, 1)) for _ in range(100)))

    assert response.status_code == 200
    assert {r["status"] for r in response.json()["results"]} == {"created"}
    assert sales_of(a).count() == 100


# --- Review flags ------------------------------------------------------------------------------------


def test_a_sale_on_another_cashiers_open_shift_is_recorded_and_flagged(world):
    """Issue 10: the shift is chosen by device; a cashier's sale on a colleague's shift
    happened, so it is kept, but flagged, and online selling still refuses it."""
    a = world.a
    colleague = UserFactory(email="cashier3@a.test", role="cashier", branch=a.branch)
    a.device.assignments.create(tenant=a.tenant, user=colleague)
    shift = shift_since(a, cashier=colleague)
    item = stocked(a, quantity=10)

    result = sync(client_for(a.cashier), a.device, offline_sale((item, 1))).json()["results"][0]

    assert result["status"] == "created"
    sale = Sale.objects.unscoped().get(pk=result["sale"])
    assert (sale.shift_id, sale.cashier_id) == (shift.pk, a.cashier.pk)
    assert (sale.needs_review, sale.review_reasons) == (True, ["other_cashiers_shift"])
    online = client_for(a.cashier).post(
        reverse("sale-list"), sale_body(shift, (item, 1)), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert online.status_code == 403
    assert sales_of(a).count() == 1


def test_the_shifts_own_cashier_and_a_manager_are_not_flagged(world):
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=10)

    own = sync(client_for(a.cashier), a.device, offline_sale((item, 1))).json()["results"][0]
    managers = sync(client_for(a.branch_manager), a.device, offline_sale((item, 1))).json()["results"][0]

    assert [own["status"], managers["status"]] == ["created", "created"]
    assert [Sale.objects.unscoped().get(pk=r["sale"]).review_reasons for r in (own, managers)] == [[], []]


def test_a_sale_that_takes_stock_below_zero_is_recorded_and_flagged(world):
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=1)
    assert not a.tenant.allow_negative_stock

    result = sync(client_for(a.cashier), a.device, offline_sale((item, 3))).json()["results"][0]

    assert result["status"] == "created"
    sale = Sale.objects.unscoped().get(pk=result["sale"])
    assert (sale.needs_review, sale.review_reasons) == (True, ["negative_stock"])
    assert level(a.branch, item).quantity == D(-2)
    assert_ledger_matches(a, item)


def test_only_a_product_left_below_zero_flags_the_sale(world):
    a = world.a
    shift_since(a)
    short, plenty = stocked(a, "SHORT", quantity=1), stocked(a, "PLENTY", quantity=10)
    untracked = stocked(a, "SERVICE", track_stock=False)

    results = sync(
        client_for(a.cashier),
        a.device,
        offline_sale((plenty, 2), (untracked, 1)),
        offline_sale((short, 1)),  # exactly to zero
        offline_sale((plenty, 1), (short, 1)),
    ).json()["results"]

    flags = [Sale.objects.unscoped().get(pk=r["sale"]).review_reasons for r in results]
    assert flags == [[], [], ["negative_stock"]]


def test_what_a_cashier_could_not_do_online_is_flagged_not_refused(world):
    a = world.a
    shift_since(a)
    cheap = stocked(a, "CHEAP", quantity=10)
    gone = stocked(a, "GONE", quantity=1, is_active=False)
    over_limit = a.tenant.cashier_max_discount_percent + 10
    sale = offline_sale((cheap, 1), (cheap, 1), (gone, 2))
    for line in sale["lines"][:2]:
        line.update(unit_price="1.00", discount_percent=str(over_limit))

    result = sync(client_for(a.cashier), a.device, sale).json()["results"][0]

    assert result["status"] == "created", result
    recorded = Sale.objects.unscoped().get(pk=result["sale"])
    assert recorded.needs_review
    assert recorded.review_reasons == [
        "discount_above_limit",
        "inactive_product",
        "negative_stock",
        "price_override",
    ]
    assert SaleLine.objects.unscoped().filter(sale=recorded, position=0).get().unit_price == D("1.00")


def test_a_manager_may_override_prices_offline_without_a_flag(world):
    a = world.a
    shift_since(a)
    sale = offline_sale((stocked(a), 1), unit_price="1.00")

    result = sync(client_for(a.branch_manager), a.device, sale).json()["results"][0]

    assert Sale.objects.unscoped().get(pk=result["sale"]).review_reasons == []


# --- Receipt numbers and times ------------------------------------------------------------------------


def test_a_receipt_number_the_device_already_used_is_a_conflict(world):
    a = world.a
    shift_since(a)
    shift_since(a, device=a.other_device)
    item = stocked(a, quantity=10)
    client = client_for(a.tenant_admin)
    sync(client, a.device, offline_sale((item, 1), receipt="R-7"))

    results = sync(client, a.device, offline_sale((item, 1), receipt="R-7")).json()["results"]
    elsewhere = sync(client, a.other_device, offline_sale((item, 1), receipt="R-7")).json()["results"]

    [error] = results[0]["errors"]
    assert (results[0]["status"], results[0]["sale"]) == ("rejected", None)
    assert (error["status"], error["code"]) == ("409", "conflict")
    assert error["source"]["pointer"] == "/sales/0/receipt_number"
    assert elsewhere[0]["status"] == "created"
    assert sales_of(a).filter(device=a.device).count() == 1
    assert level(a.branch, item).quantity == D(9)  # the other device is in the other branch
    assert_ledger_matches(a, item)


def test_an_offline_number_in_the_online_series_moves_the_series_past_it(world):
    a = world.a
    shift = shift_since(a)
    item = stocked(a, quantity=10)
    client = client_for(a.cashier)
    online = client.post(
        "/api/v1/sales/", sale_body(shift, (item, 1)), format="json", HTTP_IDEMPOTENCY_KEY="first"
    ).json()["receipt_number"]

    carried_on = sync(client, a.device, offline_sale((item, 1), receipt="a1-a-pos1-000005")).json()
    clash = sync(client, a.device, offline_sale((item, 1), receipt="A1-A-POS1-000001")).json()
    next_online = client.post(
        "/api/v1/sales/", sale_body(shift, (item, 1)), format="json", HTTP_IDEMPOTENCY_KEY="second"
    )

    assert online == "A1-A-POS1-000001"
    assert carried_on["results"][0]["status"] == "created"
    assert clash["results"][0]["errors"][0]["code"] == "conflict"
    assert next_online.status_code == 201
    assert next_online.json()["receipt_number"] == "A1-A-POS1-000006"


@pytest.mark.parametrize(
    ("ahead", "status"),
    [(timedelta(minutes=4), "created"), (timedelta(minutes=6), "rejected")],
    ids=["4-minutes-ahead", "6-minutes-ahead"],
)
def test_a_time_more_than_5_minutes_in_the_future_is_rejected(world, ahead, status):
    a = world.a
    shift_since(a)

    result = sync(client_for(a.cashier), a.device, offline_sale((stocked(a), 1), ago=-ahead)).json()[
        "results"
    ][0]

    assert result["status"] == status
    if status == "rejected":
        assert result["errors"][0]["code"] == "validation_error"
        assert result["errors"][0]["source"]["pointer"] == "/sales/0/created_at"
        assert not sales_of(a).exists()


# --- Which shift ----------------------------------------------------------------------------------------


def test_a_sale_from_a_shift_closed_since_is_recorded_on_it_flagged_late(world):
    a = world.a
    earlier = closed_shift(a, opened_hours_ago=5, closed_hours_ago=3)
    shift_since(a, hours=2)

    result = sync(client_for(a.cashier), a.device, offline_sale((stocked(a), 1), ago=timedelta(hours=4)))

    sale = Sale.objects.unscoped().get(pk=result.json()["results"][0]["sale"])
    assert sale.shift_id == earlier.pk
    assert sale.review_reasons == ["late_for_closed_shift"]


def test_a_closed_shift_takes_its_late_sale_even_with_no_shift_open(world):
    a = world.a
    earlier = closed_shift(a, opened_hours_ago=5, closed_hours_ago=3)

    result = sync(client_for(a.cashier), a.device, offline_sale((stocked(a), 1), ago=timedelta(hours=4)))

    sale = Sale.objects.unscoped().get(pk=result.json()["results"][0]["sale"])
    assert (sale.shift_id, sale.review_reasons) == (earlier.pk, ["late_for_closed_shift"])


@pytest.mark.parametrize(
    "ago", [timedelta(hours=2), timedelta(hours=9)], ids=["between-shifts", "before-any"]
)
def test_a_sale_no_shift_covers_goes_on_the_open_shift_flagged_outside(world, ago):
    a = world.a
    closed_shift(a, opened_hours_ago=5, closed_hours_ago=3)
    current = shift_since(a, hours=1)

    result = sync(client_for(a.cashier), a.device, offline_sale((stocked(a), 1), ago=ago))

    sale = Sale.objects.unscoped().get(pk=result.json()["results"][0]["sale"])
    assert (sale.shift_id, sale.review_reasons) == (current.pk, ["outside_shift"])


def test_another_devices_shift_never_takes_the_sale(world):
    a = world.a
    shift_since(a, device=a.other_device, hours=3)
    mine = shift_since(a, hours=1)

    result = sync(client_for(a.tenant_admin), a.device, offline_sale((stocked(a), 1), ago=timedelta(hours=2)))

    assert Sale.objects.unscoped().get(pk=result.json()["results"][0]["sale"]).shift_id == mine.pk


def test_with_no_shift_covering_and_none_open_the_sale_is_rejected(world):
    a = world.a
    closed_shift(a, opened_hours_ago=5, closed_hours_ago=3)
    item = stocked(a, quantity=10)

    result = sync(client_for(a.cashier), a.device, offline_sale((item, 1), ago=timedelta(hours=1)))

    [error] = result.json()["results"][0]["errors"]
    assert (error["status"], error["code"]) == ("409", "shift_not_open")
    assert "source" not in error
    assert not sales_of(a).exists()
    assert level(a.branch, item).quantity == D(10)


# --- Payments -----------------------------------------------------------------------------------------


def test_payments_short_of_the_total_are_rejected(world):
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=10)

    result = sync(client_for(a.cashier), a.device, offline_sale((item, 2), pay="19.99")).json()["results"][0]

    [error] = result["errors"]
    assert (result["status"], error["code"]) == ("rejected", "payment_insufficient")
    assert error["source"]["pointer"] == "/sales/0/payments"
    assert D(error["meta"]["missing"]) == D("0.01")
    assert level(a.branch, item).quantity == D(10)


@pytest.mark.parametrize(
    ("method", "status"), [("card", "rejected"), ("other", "rejected"), ("cash", "created")]
)
def test_only_cash_may_exceed_the_total(world, method, status):
    a = world.a
    shift_since(a)

    result = sync(client_for(a.cashier), a.device, offline_sale((stocked(a), 2), pay="20.01", method=method))

    result = result.json()["results"][0]
    assert result["status"] == status
    if status == "rejected":
        assert result["errors"][0]["code"] == "validation_error"
        assert result["errors"][0]["source"]["pointer"] == "/sales/0/payments"


# --- Who may upload -----------------------------------------------------------------------------------


def _nothing_written(tw: Any) -> tuple[int, int]:
    return sales_of(tw).count(), StockMovement.objects.unscoped().filter(tenant=tw.tenant).count()


def test_another_tenants_device_is_unknown_and_nothing_is_written(world):
    a, b = world.a, world.b
    shift_since(a)
    shift_since(b)
    item = stocked(a, quantity=10)
    before = _nothing_written(a), _nothing_written(b)

    response = sync(client_for(a.tenant_admin), b.device, offline_sale((item, 1)))

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["code"], error["source"]["pointer"]) == ("validation_error", "/device")
    assert (_nothing_written(a), _nothing_written(b)) == before


@pytest.mark.parametrize(
    ("role", "device", "token_device", "expected"),
    [
        ("cashier", "device", None, 200),
        ("cashier", "device", "device", 200),
        ("cashier", "other_device", None, 403),  # not assigned to it
        ("cashier", "device", "other_device", 403),  # signed in on another device
        ("branch_manager", "device", None, 200),
        ("branch_manager", "other_device", None, 403),  # another branch's device
        ("tenant_admin", "other_device", None, 200),
    ],
)
def test_who_may_upload_for_which_device(world, role, device, token_device, expected):
    a = world.a
    target = getattr(a, device)
    shift_since(a, device=target)
    item = stocked(a, quantity=10)
    client = client_for(a.user(role), device=getattr(a, token_device) if token_device else None)
    before = _nothing_written(a)

    response = sync(client, target, offline_sale((item, 1)))

    assert response.status_code == expected, response.content
    if expected == 403:
        assert response.json()["errors"][0]["code"] == "permission_denied"
        assert _nothing_written(a) == before
    else:
        assert response.json()["results"][0]["status"] == "created"


def test_a_cashier_assigned_to_a_device_of_another_branch_may_upload_for_it(world):
    a = world.a
    roaming = DeviceFactory(branch=a.other_branch, code="a-POS9", assigned_users=[a.cashier])
    shift_since(a, device=roaming)

    response = sync(client_for(a.cashier), roaming, offline_sale((stocked(a), 1)))

    assert response.json()["results"][0]["status"] == "created"


# --- Metrics and cost -----------------------------------------------------------------------------------


def test_each_created_sale_is_counted_once_on_commit(world, django_capture_on_commit_callbacks):
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=10)
    client = client_for(a.cashier)
    sale = offline_sale((item, 1))
    before = offline_count()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sync(client, a.device, sale, offline_sale((item, 1), pay="0.01"), offline_sale((item, 1)))
        sync(client, a.device, sale)

    assert len(callbacks) == 2
    assert offline_count() == before + 2


def flagged_count() -> float:
    return REGISTRY.get_sample_value("cliqserve_sales_flagged_total", {"origin": "offline"}) or 0.0


def test_a_flagged_sale_is_counted_for_the_review_dashboard(world, django_capture_on_commit_callbacks):
    """The business dashboard and the OfflineSalesFlagged alert read this counter."""
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=1)
    before = flagged_count()

    with django_capture_on_commit_callbacks(execute=True):
        sync(client_for(a.cashier), a.device, offline_sale((item, 1)))  # in stock: not flagged
        sync(client_for(a.cashier), a.device, offline_sale((item, 3)))  # below zero: flagged

    assert flagged_count() == before + 1


def test_the_queries_of_a_sale_do_not_grow_with_its_lines(world):
    a = world.a
    shift_since(a)
    items = [stocked(a, f"Q-{n}", quantity=100) for n in range(10)]
    client = client_for(a.cashier)
    sync(client, a.device, offline_sale((items[0], 1)))  # warm up: levels, caches

    def queries(*sales: Any) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = sync(client, a.device, *sales)
        assert {r["status"] for r in response.json()["results"]} == {"created"}
        return len(captured)

    one_line = queries(offline_sale((items[0], 1)))
    ten_lines = queries(offline_sale(*((item, 1) for item in items)))
    three_sales = queries(*(offline_sale(*((item, 1) for item in items)) for _ in range(3)))

    per_sale, remainder = divmod(three_sales - ten_lines, 2)
    assert one_line == ten_lines
    assert remainder == 0
    # Products, shift, 4 for stock, sale, lines, payments, the flag; the savepoint pair in tests.
    assert per_sale <= 13, per_sale  # 12 + the business-day journal row
    assert ten_lines - per_sale <= 3, "per batch: the caller, the device, the known client ids"


def test_the_cost_of_goods_is_captured_even_below_zero(world):
    a = world.a
    shift_since(a)
    item = stocked(a, quantity=1, unit_cost="4.00")

    result = sync(client_for(a.cashier), a.device, offline_sale((item, 2))).json()["results"][0]

    assert Sale.objects.unscoped().get(pk=result["sale"]).cost_total == Decimal("8.00")
