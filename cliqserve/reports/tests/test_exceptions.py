"""GET /api/v1/reports/exceptions/: per person, over business days, exact to the cent.

The story (tenant A, USD, cashier limit 10%, business days ending at 04:00): cashier C1 works
branch 1 in New York, cashier C2 branch 2 in Tokyo. Sales, voids, refunds, offline uploads,
reviews and closes are made over HTTP as a user would; then each is moved to a chosen moment
(the API stamps "now"), so the business days under test are fixed: 10 and 11 November 2026.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cliqserve.accounts.models import User
from cliqserve.core.roles import Role
from cliqserve.core.tenancy import tenant_scope
from cliqserve.reports.exceptions import KINDS, exceptions_report
from cliqserve.sales.models import Refund, Sale, SaleLine, Shift
from cliqserve.sales.tests.helpers import keyed, stocked
from cliqserve.tenants.business_days import business_day_of
from cliqserve.tenants.models import Branch, Tenant
from conftest import World, client_for
from tests.factories import DeviceFactory, TaxRateFactory, TenantFactory, UserFactory

URL = "/api/v1/reports/exceptions/"
NEW_YORK, TOKYO = "America/New_York", "Asia/Tokyo"
DAY1, DAY2 = date(2026, 11, 10), date(2026, 11, 11)
RANGE = {"from": "2026-11-10", "to": "2026-11-11"}


def at(zone: str, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))


def D(value: str) -> Decimal:
    return Decimal(value)


# --- Doing things over HTTP ---------------------------------------------------------------------------


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    return body


def open_shift(user: User, device: Any) -> str:
    body = {"device": str(device.pk), "opening_cash": "100.00"}
    return str(ok(client_for(user).post("/api/v1/shifts/", body, format="json"), 201)["id"])


def sell(user: User, shift: str, *lines: dict[str, Any], pay: str = "500.00") -> Sale:
    body = {"shift": shift, "lines": list(lines), "payments": [{"method": "cash", "amount": pay}]}
    answer = ok(client_for(user).post("/api/v1/sales/", body, format="json", **keyed()), 201)
    return Sale.objects.unscoped().get(pk=answer["id"])


def upload(user: User, device: Any, *lines: dict[str, Any]) -> Sale:
    """An offline sale of `lines`, synced now; the caller moves it to its moment."""
    client_id = uuid.uuid4()
    sale = {
        "client_id": str(client_id),
        "receipt_number": f"OFF-{client_id.hex[:8]}",
        "created_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
        "lines": list(lines),
        "payments": [{"method": "cash", "amount": "500.00"}],
    }
    body = {"device": str(device.pk), "sales": [sale]}
    [result] = ok(client_for(user).post("/api/v1/sync/sales/", body, format="json"))["results"]
    assert result["status"] == "created", result
    return Sale.objects.unscoped().get(pk=result["sale"])


def void(user: User, sale: Sale) -> None:
    ok(client_for(user).post(f"/api/v1/sales/{sale.pk}/void/", {"reason": "mistake"}, format="json"))


def refund_one(user: User, sale: Sale) -> Refund:
    line = SaleLine.objects.unscoped().filter(sale=sale).order_by("position").first()
    assert line is not None
    body = {"lines": [{"sale_line": str(line.pk), "quantity": "1"}], "reason": "returned"}
    answer = ok(
        client_for(user).post(f"/api/v1/sales/{sale.pk}/refunds/", body, format="json", **keyed()), 201
    )
    return Refund.objects.unscoped().get(pk=answer["id"])


def close(user: User, shift: str, *, off_by: str) -> None:
    client = client_for(user)
    expected = D(ok(client.get(f"/api/v1/shifts/{shift}/report/"))["expected_cash"])
    counted = expected + D(off_by)
    ok(client.post(f"/api/v1/shifts/{shift}/close/", {"counted_cash": str(counted)}, format="json"))


def line(item: Any, quantity: int, **extra: str) -> dict[str, Any]:
    return {"product": str(item.pk), "quantity": str(quantity), **extra}


# --- Moving what happened to its moment --------------------------------------------------------------


def sold(sale: Sale, moment: datetime) -> None:
    Sale.objects.unscoped().filter(pk=sale.pk).update(sold_at=moment)


def voided(sale: Sale, moment: datetime) -> None:
    Sale.objects.unscoped().filter(pk=sale.pk).update(voided_at=moment)


def refunded(refund: Refund, moment: datetime) -> None:
    Refund.objects.unscoped().filter(pk=refund.pk).update(created_at=moment)


def closed(shift: str, moment: datetime) -> None:
    Shift.objects.unscoped().filter(pk=shift).update(closed_at=moment)


# --- The story --------------------------------------------------------------------------------------


@dataclass
class Story:
    world: World
    c1: User
    c2: User
    manager: User
    flagged: Sale  # C1's offline sale of day 2, still needing review


def _settle(world: World) -> tuple[Any, Any, Any]:
    a = world.a
    Tenant.objects.filter(pk=a.tenant.pk).update(
        cashier_max_discount_percent=D("10.00"), business_day_ends_at=time(4)
    )
    Branch.objects.unscoped().filter(pk=a.branch.pk).update(timezone=NEW_YORK)
    Branch.objects.unscoped().filter(pk=a.other_branch.pk).update(timezone=TOKYO)
    User.objects.filter(pk=a.cashier.pk).update(first_name="Cara", last_name="One")
    plain = stocked(a, "EXC-P", price=D("10.00"))
    taxed = stocked(a, "EXC-T", price=D("20.00"), tax_rate=TaxRateFactory(tenant=a.tenant, rate=D("10.00")))
    tokyo = stocked(a, "EXC-P", branch=a.other_branch)
    return plain, taxed, tokyo


def _new_york(world: World, plain: Any, taxed: Any) -> Sale:
    """C1 at branch 1, and its manager."""
    a = world.a
    c1, manager = a.cashier, a.branch_manager
    shift = open_shift(c1, a.device)
    # Day 1: a sale of 20.00, voided by C1 the same day
    s1 = sell(c1, shift, line(plain, 2))
    void(c1, s1)
    sold(s1, at(NEW_YORK, DAY1, 10))
    voided(s1, at(NEW_YORK, DAY1, 10, 5))
    # Day 1, late evening: 2 taxed units (40.00 + 4.00 tax); the manager refunds one on day 2
    s4 = sell(c1, shift, line(taxed, 2))
    sold(s4, at(NEW_YORK, DAY1, 23, 30))
    refunded(refund_one(manager, s4), at(NEW_YORK, DAY2, 12))
    # 02:30 on the 12th is still business day 2: 25% off 20.00 (5.00) and a price of 7.00
    s3 = upload(c1, a.device, line(plain, 2, discount_percent="25"), line(plain, 1, unit_price="7.00"))
    sold(s3, at(NEW_YORK, DAY2 + timedelta(days=1), 2, 30))
    # 05:00 on the 12th is business day 3: out of range
    s5 = upload(c1, a.device, line(plain, 1, unit_price="9.00"))
    sold(s5, at(NEW_YORK, DAY2 + timedelta(days=1), 5))
    # Day 1: an override at 8.00, reviewed: still an override, no longer needing review
    s6 = upload(c1, a.device, line(plain, 1, unit_price="8.00"))
    sold(s6, at(NEW_YORK, DAY1, 15))
    ok(client_for(manager).post(f"/api/v1/sales/{s6.pk}/review/", {"note": "ok"}, format="json"))
    # Day 2: 1.50 short at close
    close(c1, shift, off_by="-1.50")
    closed(shift, at(NEW_YORK, DAY2, 22))
    return s3


def _tokyo(world: World, tokyo: Any) -> None:
    """C2 at branch 2."""
    a = world.a
    c2 = a.other_cashier
    device = DeviceFactory(branch=a.other_branch, code="a-POS3", assigned_users=[c2])
    # Day 1: a plain sale; the drawer is 2.00 over at close
    first = open_shift(c2, device)
    sold(sell(c2, first, line(tokyo, 1)), at(TOKYO, DAY1, 12))
    close(c2, first, off_by="2.00")
    closed(first, at(TOKYO, DAY1, 20))
    # Day 2: an offline override at 6.00, voided: a void, neither an override nor a review
    second = open_shift(c2, device)
    s8 = upload(c2, device, line(tokyo, 1, unit_price="6.00"))
    void(c2, s8)
    sold(s8, at(TOKYO, DAY2, 9))
    voided(s8, at(TOKYO, DAY2, 10))
    # 03:30 on the 10th in Tokyo is business day 9 November: out of range
    s9 = sell(c2, second, line(tokyo, 1))
    void(c2, s9)
    sold(s9, at(TOKYO, DAY1, 3))
    voided(s9, at(TOKYO, DAY1, 3, 30))
    # Day 2: 2.00 short: with day 1's 2.00 over, the sum is 0.00 but the drift 4.00
    close(c2, second, off_by="-2.00")
    closed(second, at(TOKYO, DAY2, 21))


def _other_tenant(world: World) -> None:
    """Tenant B voids a sale on day 1: never in tenant A's report."""
    b = world.b
    item = stocked(b, "EXC-B", price=D("10.00"))
    shift = open_shift(b.cashier, b.device)
    sale = sell(b.cashier, shift, line(item, 1))
    void(b.cashier, sale)
    Sale.objects.unscoped().filter(pk=sale.pk).update(
        sold_at=at("UTC", DAY1, 12), voided_at=at("UTC", DAY1, 12)
    )


@pytest.fixture
def story(world: World) -> Story:
    plain, taxed, tokyo = _settle(world)
    flagged = _new_york(world, plain, taxed)
    _tokyo(world, tokyo)
    _other_tenant(world)
    a = world.a
    return Story(world=world, c1=a.cashier, c2=a.other_cashier, manager=a.branch_manager, flagged=flagged)


def tally(count: int, amount: str) -> dict[str, Any]:
    return {"count": count, "amount": amount}


NONE = tally(0, "0.00")
NO_VARIANCE = {"count": 0, "amount": "0.00", "absolute": "0.00"}


def figures(**given: Any) -> dict[str, Any]:
    base = {
        "voids": NONE,
        "refunds": NONE,
        "discounts_over_limit": NONE,
        "price_overrides": NONE,
        "cash_variance": NO_VARIANCE,
        "offline_needs_review": NONE,
    }
    return {**base, **given}


def rows_by_id(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row.pop("cashier"): row for row in answer["rows"]}


C1_FIGURES = figures(
    voids=tally(1, "20.00"),
    discounts_over_limit=tally(1, "5.00"),
    price_overrides=tally(2, "15.00"),
    cash_variance={"count": 1, "amount": "-1.50", "absolute": "1.50"},
    offline_needs_review=tally(1, "22.00"),
)
MANAGER_FIGURES = figures(refunds=tally(1, "20.00"))
C2_FIGURES = figures(voids=tally(1, "6.00"), cash_variance={"count": 2, "amount": "0.00", "absolute": "4.00"})


# --- The figures --------------------------------------------------------------------------------------


def test_the_admin_sees_every_person_over_two_business_days_to_the_cent(story):
    answer = ok(client_for(story.world.a.tenant_admin).get(URL, RANGE))

    assert (answer["date_from"], answer["date_to"], answer["currency"]) == ("2026-11-10", "2026-11-11", "USD")
    rows = rows_by_id(answer)
    assert rows == {
        str(story.c1.pk): {"label": "Cara One", **C1_FIGURES},
        str(story.manager.pk): {"label": story.manager.email, **MANAGER_FIGURES},
        str(story.c2.pk): {"label": story.c2.email, **C2_FIGURES},
    }
    assert answer["totals"] == figures(
        voids=tally(2, "26.00"),
        refunds=tally(1, "20.00"),
        discounts_over_limit=tally(1, "5.00"),
        price_overrides=tally(2, "15.00"),
        cash_variance={"count": 3, "amount": "-1.50", "absolute": "5.50"},
        offline_needs_review=tally(1, "22.00"),
    )


def test_one_business_day_holds_only_what_happened_on_it(story):
    answer = ok(client_for(story.world.a.tenant_admin).get(URL, {"from": "2026-11-10", "to": "2026-11-10"}))

    assert rows_by_id(answer) == {
        str(story.c1.pk): {
            "label": "Cara One",
            **figures(voids=tally(1, "20.00"), price_overrides=tally(1, "8.00")),
        },
        str(story.c2.pk): {
            "label": story.c2.email,
            **figures(cash_variance={"count": 1, "amount": "2.00", "absolute": "2.00"}),
        },
    }


def test_reviewing_a_sale_takes_it_out_of_the_review_column(story):
    admin = client_for(story.world.a.tenant_admin)

    ok(admin.post(f"/api/v1/sales/{story.flagged.pk}/review/", {"note": "fine"}, format="json"))

    row = rows_by_id(ok(admin.get(URL, RANGE)))[str(story.c1.pk)]
    assert row["offline_needs_review"] == NONE
    assert row["price_overrides"] == tally(2, "15.00")


def test_a_branch_manager_sees_its_branch_only(story):
    manager = client_for(story.manager)

    answer = ok(manager.get(URL, RANGE))
    same = ok(manager.get(URL, {**RANGE, "branch": str(story.world.a.branch.pk)}))

    assert answer == same
    assert rows_by_id(answer) == {
        str(story.c1.pk): {"label": "Cara One", **C1_FIGURES},
        str(story.manager.pk): {"label": story.manager.email, **MANAGER_FIGURES},
    }
    assert answer["totals"] == figures(
        voids=tally(1, "20.00"),
        refunds=tally(1, "20.00"),
        discounts_over_limit=tally(1, "5.00"),
        price_overrides=tally(2, "15.00"),
        cash_variance={"count": 1, "amount": "-1.50", "absolute": "1.50"},
        offline_needs_review=tally(1, "22.00"),
    )


def test_a_branch_manager_asking_for_another_branch_is_refused_and_sees_nothing(story):
    response = client_for(story.manager).get(URL, {**RANGE, "branch": str(story.world.a.other_branch.pk)})

    assert response.status_code == 403
    body = response.json()
    assert body["errors"][0]["code"] == "permission_denied"
    assert "rows" not in body
    assert str(story.c2.pk) not in response.content.decode()


def test_the_admin_narrows_to_one_branch(story):
    answer = ok(
        client_for(story.world.a.tenant_admin).get(
            URL, {**RANGE, "branch": str(story.world.a.other_branch.pk)}
        )
    )

    assert rows_by_id(answer) == {str(story.c2.pk): {"label": story.c2.email, **C2_FIGURES}}


@pytest.mark.parametrize("role", ["cashier", "platform_owner"])
def test_cashiers_and_the_platform_owner_are_refused(story, role):
    response = client_for(story.world.user(role)).get(URL, RANGE)

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "permission_denied"


def test_another_tenants_activity_never_shows_and_its_branch_is_unknown(story):
    b = story.world.b
    answer = ok(client_for(b.tenant_admin).get(URL, RANGE))
    a_admin = client_for(story.world.a.tenant_admin)

    foreign = a_admin.get(URL, {**RANGE, "branch": str(b.branch.pk)})

    assert [row["cashier"] for row in answer["rows"]] == [str(b.cashier.pk)]
    assert answer["totals"]["voids"] == tally(1, "10.00")
    assert str(b.cashier.pk) not in a_admin.get(URL, RANGE).content.decode()
    assert foreign.status_code == 400
    [error] = foreign.json()["errors"]
    assert (error["code"], error["source"]["pointer"]) == ("validation_error", "/branch")


# --- CSV ----------------------------------------------------------------------------------------------


def body_of(response: Any) -> str:
    return b"".join(response.streaming_content).decode()


def test_csv_has_one_line_per_person_with_flat_columns(story):
    response = client_for(story.world.a.tenant_admin).get(URL, {**RANGE, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(body_of(response))))
    assert len(lines) == 3
    header = list(lines[0])
    assert header[:4] == ["cashier", "label", "voids_count", "voids_amount"]
    assert "cash_variance_absolute" in header
    c1 = next(line for line in lines if line["cashier"] == str(story.c1.pk))
    assert c1 == {
        "cashier": str(story.c1.pk),
        "label": "Cara One",
        "voids_count": "1",
        "voids_amount": "20.00",
        "refunds_count": "0",
        "refunds_amount": "0.00",
        "discounts_over_limit_count": "1",
        "discounts_over_limit_amount": "5.00",
        "price_overrides_count": "2",
        "price_overrides_amount": "15.00",
        "cash_variance_count": "1",
        "cash_variance_amount": "-1.50",
        "cash_variance_absolute": "1.50",
        "offline_needs_review_count": "1",
        "offline_needs_review_amount": "22.00",
    }


def test_a_label_a_spreadsheet_would_run_is_escaped(story):
    User.objects.filter(pk=story.c1.pk).update(first_name="=HYPERLINK(1)", last_name="")

    response = client_for(story.world.a.tenant_admin).get(URL, {**RANGE, "format": "csv"})

    text = body_of(response)
    assert "'=HYPERLINK(1)" in text


def test_csv_errors_are_json(world):
    response = client_for(world.a.tenant_admin).get(
        URL, {"from": "2026-11-12", "to": "2026-11-10", "format": "csv"}
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


# --- The query ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ({"from": "2026-11-12", "to": "2026-11-10"}, "/from"),
        ({"from": "2025-11-09", "to": "2026-11-10"}, "/to"),
        ({"from": "yesterday"}, "/from"),
        ({"to": "2026-13-01"}, "/to"),
        ({"from": "1969-12-31", "to": "1970-01-01"}, "/from"),
        ({"from": "9999-12-31", "to": "9999-12-31"}, "/to"),
        ({"from": "0001-01-01", "to": "0001-01-01"}, "/from"),
        ({"branch": "not-a-uuid"}, "/branch"),
        ({"format": "xml"}, "/format"),
        ({"branch": str(uuid.uuid4())}, "/branch"),
    ],
)
def test_a_bad_query_is_400_naming_the_field(world, query, pointer):
    response = client_for(world.a.tenant_admin).get(URL, query)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["code"], error["source"]["pointer"]) == ("validation_error", pointer)


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2025-11-10", "to": "2026-11-10"},
        {"from": "1970-01-01", "to": "1970-01-01"},
        {"from": "9999-12-30", "to": "9999-12-30"},
    ],
    ids=["366-days", "first-day", "last-day"],
)
def test_any_range_of_up_to_366_days_is_answered(world, query):
    Branch.objects.unscoped().filter(pk=world.a.branch.pk).update(timezone="Pacific/Kiritimati")
    Branch.objects.unscoped().filter(pk=world.a.other_branch.pk).update(timezone="Etc/GMT+12")

    response = client_for(world.a.tenant_admin).get(URL, query)

    assert response.status_code == 200


def test_without_dates_it_is_todays_business_day_in_the_tenants_time_zone(world):
    tenant = world.a.tenant
    today = business_day_of(
        timezone.now(), timezone_name=tenant.timezone, ends_at=tenant.business_day_ends_at
    )

    answer = ok(client_for(world.a.tenant_admin).get(URL))
    only_to = ok(client_for(world.a.tenant_admin).get(URL, {"to": "2026-11-10"}))

    assert (answer["date_from"], answer["date_to"]) == (today.isoformat(), today.isoformat())
    assert (only_to["date_from"], only_to["date_to"]) == ("2026-11-10", "2026-11-10")
    assert answer["rows"] == []
    assert answer["totals"] == figures()


def test_todays_activity_shows_without_dates(world):
    a = world.a
    item = stocked(a, "EXC-NOW", price=D("10.00"))
    shift = open_shift(a.cashier, a.device)
    void(a.cashier, sell(a.cashier, shift, line(item, 1)))

    answer = ok(client_for(a.tenant_admin).get(URL))

    assert answer["totals"]["voids"] == tally(1, "10.00")


# --- Cost ---------------------------------------------------------------------------------------------


def _queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        ok(client.get(URL, RANGE))
    return len(queries)


def test_the_report_costs_a_fixed_number_of_queries(story):
    """Branches (1), five aggregates, the names (1): more people and sales add none."""
    a = story.world.a
    client = client_for(a.tenant_admin)
    few = _queries(client)
    item = stocked(a, "EXC-MORE", price=D("10.00"))
    for index in range(4):
        cashier = UserFactory(
            role=Role.CASHIER, branch=a.branch, tenant=a.tenant, email=f"more{index}@a.test"
        )
        device = DeviceFactory(branch=a.branch, code=f"a-MORE{index}", assigned_users=[cashier])
        shift = open_shift(cashier, device)
        sale = sell(cashier, shift, line(item, 1))
        void(cashier, sale)
        voided(sale, at(NEW_YORK, DAY1, 12))

    many = _queries(client)

    assert len(ok(client.get(URL, RANGE))["rows"]) == 7
    assert many == few
    assert many <= 8  # authentication (1) + the report's seven


def test_a_tenant_without_branches_has_an_empty_report_from_one_query(db, django_assert_num_queries):
    tenant = TenantFactory()

    with tenant_scope(tenant.pk), django_assert_num_queries(1):
        report = exceptions_report(tenant=tenant, branch_ids=None, date_from=DAY1, date_to=DAY2)

    assert report.rows == []
    assert all(report.totals.tally(kind).count == 0 for kind in KINDS)


def test_amounts_keep_the_currencys_decimals(world):
    """A currency without minor units answers "20", not "20.00"."""
    a = world.a
    Tenant.objects.filter(pk=a.tenant.pk).update(currency="JPY")
    a.tenant.refresh_from_db()
    item = stocked(a, "EXC-JPY", price=D("10"))
    shift = open_shift(a.cashier, a.device)
    void(a.cashier, sell(a.cashier, shift, line(item, 2)))

    answer = ok(client_for(a.tenant_admin).get(URL))

    assert answer["totals"]["voids"] == tally(1, "20")
    assert answer["totals"]["refunds"] == tally(0, "0")


def test_the_storys_moments_fall_on_the_days_it_says():
    """Sanity: the chosen moments are where the story says they are."""
    assert (
        business_day_of(
            at(NEW_YORK, DAY2 + timedelta(days=1), 2, 30), timezone_name=NEW_YORK, ends_at=time(4)
        )
        == DAY2
    )
    assert business_day_of(at(TOKYO, DAY1, 3, 30), timezone_name=TOKYO, ends_at=time(4)) == date(2026, 11, 9)
    assert at(TOKYO, DAY1, 3, 30).astimezone(UTC).date() == date(2026, 11, 9)
