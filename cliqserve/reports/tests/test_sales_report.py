"""The sales report over HTTP, as an owner would check it: sales, refunds and voids made through
the API across two business days, two branches and two cashiers, then every figure compared
to the cent with what was rung up, with the shift's Z report, and before and after the
rollups catch up."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_redis.exceptions import ConnectionInterrupted

from cliqserve.core.tenancy import tenant_scope
from cliqserve.reports.models import MonthlySalesRollup, SalesRollup
from cliqserve.reports.services import rollups_rebuild, rollups_refresh
from cliqserve.sales.models import BusinessDayChange, Sale
from cliqserve.sales.tests.helpers import stocked
from cliqserve.tenants.models import DeviceAssignment
from conftest import World, client_for
from tests.factories import CategoryFactory, TaxRateFactory

DAY_1 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
DAY_2 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
FIGURES = ("gross_sales", "discounts", "refunds", "net_sales", "tax", "cogs", "gross_margin")


class Shop:
    """Tenant A of the world, with an exclusive-tax product, an inclusive-tax one in a category,
    and a till open at each branch."""

    def __init__(self, world: World) -> None:
        self.tw = tw = world.a
        tw.tenant.cashier_max_discount_percent = Decimal(10)
        tw.tenant.save()
        DeviceAssignment.objects.unscoped().create(
            tenant=tw.tenant, device=tw.other_device, user=tw.other_cashier
        )
        exclusive = TaxRateFactory(tenant=tw.tenant, rate=Decimal("15.00"), inclusive=False)
        inclusive = TaxRateFactory(tenant=tw.tenant, rate=Decimal("15.00"), inclusive=True)
        self.drinks = CategoryFactory(tenant=tw.tenant, name="Drinks")
        self.plain = stocked(
            tw, "PLAIN", quantity=50, unit_cost="4.00", price=Decimal("10.00"), tax_rate=exclusive
        )
        self.wine = stocked(
            tw,
            "WINE",
            quantity=50,
            unit_cost="6.00",
            price=Decimal("11.50"),
            tax_rate=inclusive,
            category=self.drinks,
        )
        for branch in (tw.other_branch,):
            stocked(tw, "PLAIN", quantity=50, unit_cost="4.00", branch=branch)
            stocked(tw, "WINE", quantity=50, unit_cost="6.00", branch=branch)
        self.shift = self.open(tw.cashier, tw.device)
        self.other_shift = self.open(tw.other_cashier, tw.other_device)

    def post(self, user: Any, path: str, body: dict[str, Any], device: Any = None, status: int = 201) -> Any:
        response = client_for(user, device=device).post(
            path, body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
        )
        assert response.status_code == status, response.json()
        return response.json()

    def open(self, cashier: Any, device: Any) -> str:
        body = {"device": str(device.pk), "opening_cash": "100.00"}
        return str(self.post(cashier, "/api/v1/shifts/", body, device=device)["id"])

    def sell(
        self,
        cashier: Any,
        device: Any,
        shift: str,
        lines: list[tuple[Any, str, str]],
        payments: list[tuple[str, str]],
    ) -> Any:
        body = {
            "shift": shift,
            "lines": [
                {"product": str(item.pk), "quantity": quantity, "discount_percent": discount}
                for item, quantity, discount in lines
            ],
            "payments": [{"method": method, "amount": amount} for method, amount in payments],
        }
        return self.post(cashier, "/api/v1/sales/", body, device=device)

    def report(self, user: Any, **params: str) -> Any:
        response = client_for(user).get("/api/v1/reports/sales/", params)
        assert response.status_code == 200, response.content
        return response.json()


@pytest.fixture
def shop(world: World) -> Shop:
    return Shop(world)


def ring_up_two_days(shop: Shop) -> dict[str, Any]:
    """Day 1: three sales (one split cash/card) at the home branch and one at the other, and
    a fourth at home that is voided. Day 2: one sale, and a refund of day 1's first sale."""
    tw = shop.tw
    with time_machine.travel(DAY_1, tick=False):
        first = shop.sell(tw.cashier, tw.device, shop.shift, [(shop.plain, "2", "0")], [("cash", "30.00")])
        shop.sell(
            tw.other_cashier, tw.other_device, shop.other_shift, [(shop.wine, "1", "10")], [("card", "10.35")]
        )
        shop.sell(
            tw.cashier,
            tw.device,
            shop.shift,
            [(shop.plain, "1", "0"), (shop.wine, "1", "0")],
            [("card", "10.00"), ("cash", "13.00")],
        )
        voided = shop.sell(tw.cashier, tw.device, shop.shift, [(shop.plain, "1", "0")], [("cash", "11.50")])
        shop.post(
            tw.tenant_admin, f"/api/v1/sales/{voided['id']}/void/", {"reason": "wrong item"}, status=200
        )
    with time_machine.travel(DAY_2, tick=False):
        shop.sell(tw.cashier, tw.device, shop.shift, [(shop.wine, "3", "0")], [("cash", "34.50")])
        refund = {
            "lines": [{"sale_line": first["lines"][0]["id"], "quantity": "1"}],
            "restock": True,
            "payments": [{"method": "cash", "amount": "11.50"}],
            "reason": "changed mind",
        }
        shop.post(tw.tenant_admin, f"/api/v1/sales/{first['id']}/refunds/", refund)
    return first


def test_every_total_matches_what_was_rung_up_to_the_cent(shop: Shop) -> None:
    ring_up_two_days(shop)
    report = shop.report(shop.tw.tenant_admin, **{"from": "2026-12-01", "to": "2026-12-02"})
    # Sales 1, 2, 3 and 5 (4 was voided). Line by line, without tax:
    #   1: 2 x 10.00 = 20.00, tax 3.00, cost 8.00
    #   2: wine 11.50 incl. 15% less 10% = 10.35 paid: net 9.00, tax 1.35; the 1.15 discount is
    #      1.00 net of tax, so gross 10.00; cost 6.00
    #   3: 10.00 + 10.00 (wine net of tax), tax 1.50 + 1.50, cost 4.00 + 6.00
    #   5: 3 x 10.00 (wine net of tax), tax 4.50, cost 18.00
    #   refund of one unit of sale 1: 10.00 back, its 1.50 tax back, restocked: cost 4.00 back
    assert report["totals"] == {
        "sale_count": 4,
        "quantity": "7.000",
        "gross_sales": "80.00",
        "discounts": "1.00",
        "refunds": "10.00",
        "net_sales": "69.00",
        "tax": "10.35",
        "cogs": "38.00",
        "gross_margin": "31.00",
        "margin_percent": "44.93",
    }
    by_day = {row["key"]: row for row in report["rows"]}
    assert list(by_day) == ["2026-12-01", "2026-12-02"]
    assert (by_day["2026-12-01"]["sale_count"], by_day["2026-12-01"]["net_sales"]) == (3, "49.00")
    # Day 2: a sale of 30.00 and the refund of 10.00, which counts on the day it was made.
    assert (by_day["2026-12-02"]["sale_count"], by_day["2026-12-02"]["net_sales"]) == (1, "20.00")


@pytest.mark.parametrize(
    "group_by",
    ["day", "week", "month", "hour", "branch", "device", "product", "category", "cashier", "payment_method"],
)
def test_the_rows_of_every_grouping_add_up_to_the_same_totals(shop: Shop, group_by: str) -> None:
    ring_up_two_days(shop)
    period = {"from": "2026-12-01", "to": "2026-12-02"}
    expected = shop.report(shop.tw.tenant_admin, **period)["totals"]
    report = shop.report(shop.tw.tenant_admin, group_by=group_by, **period)
    assert report["totals"] == expected
    for name in FIGURES:
        assert sum(Decimal(row[name]) for row in report["rows"]) == Decimal(expected[name]), name


def test_groupings_name_their_rows(shop: Shop) -> None:
    ring_up_two_days(shop)
    period = {"from": "2026-12-01", "to": "2026-12-02"}
    admin = shop.tw.tenant_admin
    products = {
        row["label"].split()[0]: row for row in shop.report(admin, group_by="product", **period)["rows"]
    }
    assert (products["WINE"]["quantity"], products["WINE"]["net_sales"]) == ("5.000", "49.00")
    # Sale 1's two units less the one refunded, and sale 3's one.
    assert (products["PLAIN"]["quantity"], products["PLAIN"]["sale_count"]) == ("2.000", 2)
    categories = {
        row["label"]: row["net_sales"] for row in shop.report(admin, group_by="category", **period)["rows"]
    }
    assert categories == {"Drinks": "49.00", "No category": "20.00"}
    methods = {row["key"]: row for row in shop.report(admin, group_by="payment_method", **period)["rows"]}
    # Sale 3 (20.00 net) is split 13.00 cash / 10.00 card of 23.00: 11.30 and 8.70. It counts
    # once under each method; the refund went back in cash.
    assert methods["card"]["net_sales"] == "17.70"  # sale 2's 9.00 + 8.70
    assert methods["cash"]["net_sales"] == "51.30"  # 20.00 + 11.30 + 30.00 - 10.00
    assert (methods["card"]["sale_count"], methods["cash"]["sale_count"]) == (2, 3)
    cashiers = {row["label"] for row in shop.report(admin, group_by="cashier", **period)["rows"]}
    people = (shop.tw.cashier, shop.tw.other_cashier)
    assert cashiers == {f"{user.first_name} {user.last_name}".strip() or user.email for user in people}
    hours = shop.report(admin, group_by="hour", **period)["rows"]
    assert [row["key"] for row in hours] == [f"{hour:02d}" for hour in range(24)]
    assert hours[10]["sale_count"] == 3
    assert hours[9]["sale_count"] == 1


def test_rollups_and_the_raw_tail_give_the_same_answer(shop: Shop) -> None:
    ring_up_two_days(shop)
    period = {"from": "2026-12-01", "to": "2026-12-02", "group_by": "product"}
    admin = shop.tw.tenant_admin
    from_raw_rows = shop.report(admin, **period)
    assert BusinessDayChange.objects.unscoped().exists()
    assert not SalesRollup.objects.unscoped().exists()
    assert rollups_refresh() > 0
    assert not BusinessDayChange.objects.unscoped().exists()
    assert shop.report(admin, **period) == from_raw_rows
    with tenant_scope(shop.tw.tenant.pk):
        assert rollups_rebuild(tenant=shop.tw.tenant) > 0
    assert shop.report(admin, **period) == from_raw_rows


def test_whole_months_read_from_the_monthly_rollups_give_the_same_answer(shop: Shop) -> None:
    """A period of whole months reads the monthly rollups; before any refresh, after one, after
    a late void that makes a day of the month stale again, and after a rebuild, the answer is
    the raw rows' to the cent."""
    ring_up_two_days(shop)
    admin = shop.tw.tenant_admin
    periods = [
        {"from": "2026-12-01", "to": "2026-12-31", "group_by": group_by}
        for group_by in ("month", "category", "branch", "payment_method")
    ]
    from_raw_rows = [shop.report(admin, **period) for period in periods]
    assert rollups_refresh() > 0
    with tenant_scope(shop.tw.tenant.pk):
        months = MonthlySalesRollup.objects.filter(tenant=shop.tw.tenant, dimension="day")
        assert sorted(months.values_list("days", flat=True)) == [1, 2]  # other branch: day 1; home: 1 and 2
    with CaptureQueriesContext(connection) as queries:
        assert shop.report(admin, **periods[1]) == from_raw_rows[1]
    monthly_reads = [query for query in queries if "reports_monthlysalesrollup" in query["sql"]]
    assert len(monthly_reads) == 2  # the category rows and the day totals
    # auth (2) + plan setting + journal + (daily + monthly) x (rows + totals) + branches + labels
    assert len(queries) <= 11, [query["sql"] for query in queries]
    assert [shop.report(admin, **period) for period in periods] == from_raw_rows
    with time_machine.travel(DAY_2, tick=False):
        tw = shop.tw
        late = shop.sell(tw.cashier, tw.device, shop.shift, [(shop.plain, "1", "0")], [("cash", "11.50")])
        shop.post(tw.tenant_admin, f"/api/v1/sales/{late['id']}/void/", {"reason": "test"}, status=200)
    assert [shop.report(admin, **period) for period in periods] == from_raw_rows  # day 2 stale
    assert rollups_refresh() > 0
    assert [shop.report(admin, **period) for period in periods] == from_raw_rows
    with tenant_scope(shop.tw.tenant.pk):
        before = set(MonthlySalesRollup.objects.values_list("branch_id", "dimension", "key", "days", "cogs"))
        rollups_rebuild(tenant=shop.tw.tenant)
        after = set(MonthlySalesRollup.objects.values_list("branch_id", "dimension", "key", "days", "cogs"))
    assert after == before
    assert [shop.report(admin, **period) for period in periods] == from_raw_rows


def sale_line_reads(queries: CaptureQueriesContext) -> int:
    return sum('FROM "sales_saleline"' in query["sql"] for query in queries)


def test_a_stale_days_figures_are_computed_once_until_its_journal_changes(shop: Shop) -> None:
    """The raw tail is cached per branch-day under the journal rows that made it stale: the
    same answer again reads no sale line; a new sale on one day recomputes that day alone."""
    ring_up_two_days(shop)
    admin = shop.tw.tenant_admin
    period = {"from": "2026-12-01", "to": "2026-12-02", "group_by": "category"}
    with CaptureQueriesContext(connection) as first:
        before = shop.report(admin, **period)
    with CaptureQueriesContext(connection) as again:
        assert shop.report(admin, **period) == before
    assert (sale_line_reads(first), sale_line_reads(again)) == (1, 0)
    with time_machine.travel(DAY_2, tick=False):
        tw = shop.tw
        shop.sell(tw.cashier, tw.device, shop.shift, [(shop.plain, "1", "0")], [("cash", "11.50")])
    with CaptureQueriesContext(connection) as after_sale:
        after = shop.report(admin, **period)
    assert sale_line_reads(after_sale) == 1
    assert after["totals"]["sale_count"] == before["totals"]["sale_count"] + 1
    assert Decimal(after["totals"]["net_sales"]) == Decimal(before["totals"]["net_sales"]) + Decimal("10.00")
    with override_settings(REPORT_TAIL_CACHE_SECONDS=0), CaptureQueriesContext(connection) as uncached:
        assert shop.report(admin, **period) == after
    assert sale_line_reads(uncached) == 1


def test_reports_stay_exact_when_the_cache_is_down(shop: Shop) -> None:
    ring_up_two_days(shop)
    admin = shop.tw.tenant_admin
    period = {"from": "2026-12-01", "to": "2026-12-02", "group_by": "product"}
    expected = shop.report(admin, **period)
    down = ConnectionInterrupted(connection=None)
    with (
        mock.patch("cliqserve.reports.tail.cache.get_many", side_effect=down),
        mock.patch("cliqserve.reports.tail.cache.set_many", side_effect=down) as store,
    ):
        assert shop.report(admin, **period) == expected
    assert store.called


def test_the_report_over_a_shift_agrees_with_its_z_report(shop: Shop) -> None:
    """The Z report and the sales report count the same things differently; the mapping:
    - sale_count is the same (neither counts the voided sale);
    - the Z report's net_sales (after discounts, without tax) is before refunds:
      Z.net_sales = report.net_sales + report.refunds;
    - the Z report's refunds total includes their tax: Z.refunds.total = report.refunds +
      (Z.tax - report.tax), since the report's tax is the sales' tax less the refunds';
    - Z.gross and Z.discounts state inclusive prices with their tax, the report never does;
      what both agree on is the takings net of tax and discounts:
      Z.sales_total - Z.tax = report.gross_sales - report.discounts.
    """
    tw = shop.tw
    with time_machine.travel(DAY_1, tick=False):
        first = shop.sell(tw.cashier, tw.device, shop.shift, [(shop.plain, "3", "5")], [("cash", "40.00")])
        shop.sell(
            tw.cashier,
            tw.device,
            shop.shift,
            [(shop.wine, "2", "10"), (shop.plain, "1", "0")],
            [("card", "32.20")],
        )
        voided = shop.sell(tw.cashier, tw.device, shop.shift, [(shop.wine, "1", "0")], [("cash", "11.50")])
        shop.post(tw.tenant_admin, f"/api/v1/sales/{voided['id']}/void/", {"reason": "test"}, status=200)
        # No payments named: the refund goes back the way the sale was paid (cash).
        refund = {"lines": [{"sale_line": first["lines"][0]["id"], "quantity": "1"}], "restock": False}
        shop.post(tw.tenant_admin, f"/api/v1/sales/{first['id']}/refunds/", refund)
        z = client_for(tw.tenant_admin).get(f"/api/v1/shifts/{shop.shift}/report/").json()
        report = shop.report(tw.tenant_admin, branch=str(tw.branch.pk))["totals"]
    figures = {name: Decimal(report[name]) for name in (*FIGURES, "gross_sales")}
    assert report["sale_count"] == z["sale_count"] == 2
    assert Decimal(z["net_sales"]) == figures["net_sales"] + figures["refunds"]
    assert Decimal(z["refunds"]["total"]) == figures["refunds"] + (Decimal(z["tax"]) - figures["tax"])
    assert Decimal(z["sales_total"]) - Decimal(z["tax"]) == figures["gross_sales"] - figures["discounts"]
    assert z["voids"]["count"] == 1


def test_a_bar_open_past_midnight_books_the_small_hours_on_the_evening_before(shop: Shop) -> None:
    tw = shop.tw
    tw.tenant.business_day_ends_at = time(4)
    tw.tenant.save()
    with time_machine.travel(datetime(2026, 12, 5, 1, 30, tzinfo=UTC), tick=False):  # Saturday 01:30
        shop.sell(tw.cashier, tw.device, shop.shift, [(shop.plain, "1", "0")], [("cash", "11.50")])
    friday = shop.report(tw.tenant_admin, **{"from": "2026-12-04", "to": "2026-12-04"})
    saturday = shop.report(tw.tenant_admin, **{"from": "2026-12-05", "to": "2026-12-05"})
    assert (friday["totals"]["sale_count"], saturday["totals"]["sale_count"]) == (1, 0)


def test_moving_the_end_of_the_day_moves_past_sales_and_keeps_the_report_exact(shop: Shop) -> None:
    tw = shop.tw
    with time_machine.travel(datetime(2026, 12, 5, 1, 30, tzinfo=UTC), tick=False):
        shop.sell(tw.cashier, tw.device, shop.shift, [(shop.plain, "1", "0")], [("cash", "11.50")])
    rollups_refresh()
    saturday = {"from": "2026-12-05", "to": "2026-12-05"}
    assert shop.report(tw.tenant_admin, **saturday)["totals"]["sale_count"] == 1
    response = client_for(tw.tenant_admin).patch(
        f"/api/v1/tenants/{tw.tenant.pk}/", {"business_day_ends_at": "04:00"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert shop.report(tw.tenant_admin, **saturday)["totals"]["sale_count"] == 0
    friday = {"from": "2026-12-04", "to": "2026-12-04"}
    assert shop.report(tw.tenant_admin, **friday)["totals"]["sale_count"] == 1
    rollups_refresh()
    assert shop.report(tw.tenant_admin, **friday)["totals"]["sale_count"] == 1


def test_csv_has_the_rows_and_a_totals_line(shop: Shop) -> None:
    ring_up_two_days(shop)
    response = client_for(shop.tw.tenant_admin).get(
        "/api/v1/reports/sales/", {"from": "2026-12-01", "to": "2026-12-02", "format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert [line["key"] for line in lines] == ["2026-12-01", "2026-12-02", "totals"]
    assert (lines[-1]["net_sales"], lines[-1]["sale_count"]) == ("69.00", "4")


def test_a_branch_manager_sees_its_own_branch_only(shop: Shop) -> None:
    ring_up_two_days(shop)
    tw = shop.tw
    period = {"from": "2026-12-01", "to": "2026-12-02"}
    own = shop.report(tw.branch_manager, **period)["totals"]
    assert own["sale_count"] == 3  # sales 1, 3 and 5; sale 2 was at the other branch
    for branch in (tw.other_branch.pk, shop_world_foreign_branch(shop), uuid.uuid4()):
        response = client_for(tw.branch_manager).get(
            "/api/v1/reports/sales/", {**period, "branch": str(branch)}
        )
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "permission_denied"
        assert "rows" not in response.json()


def shop_world_foreign_branch(shop: Shop) -> Any:
    from cliqserve.tenants.models import Branch

    return Branch.objects.unscoped().exclude(tenant=shop.tw.tenant).values_list("pk", flat=True).first()


def test_cashiers_get_403_and_bad_parameters_400(shop: Shop) -> None:
    tw = shop.tw
    assert client_for(tw.cashier).get("/api/v1/reports/sales/").status_code == 403
    admin = client_for(tw.tenant_admin)
    for params, pointer in [
        ({"from": "2026-12-02", "to": "2026-12-01"}, "/from"),
        ({"from": "not-a-date"}, "/from"),
        ({"group_by": "colour"}, "/group_by"),
        ({"branch": str(shop_world_foreign_branch(shop))}, "/branch"),
        ({"from": "2000-01-01", "to": "2026-12-01"}, "/from"),
        ({"from": "1999-12-31", "to": "2000-01-01"}, "/from"),
        ({"from": "2099-12-31", "to": "9999-12-31"}, "/to"),
    ]:
        response = admin.get("/api/v1/reports/sales/", params)
        assert response.status_code == 400, params
        assert response.json()["errors"][0]["source"]["pointer"] == pointer
    csv_error = admin.get("/api/v1/reports/sales/", {"group_by": "colour", "format": "csv"})
    assert csv_error.status_code == 400
    assert csv_error["Content-Type"] == "application/json"


def test_the_report_reads_a_fixed_number_of_queries_however_many_sales(shop: Shop) -> None:
    ring_up_two_days(shop)
    rollups_refresh()
    with time_machine.travel(DAY_2, tick=False):
        tw = shop.tw
        for _ in range(3):
            shop.sell(tw.cashier, tw.device, shop.shift, [(shop.plain, "1", "0")], [("cash", "11.50")])
    client = client_for(shop.tw.tenant_admin)
    period = {"from": "2026-12-01", "to": "2026-12-02"}
    for group_by in ("day", "product"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/reports/sales/", {**period, "group_by": group_by}).status_code == 200
        # auth (2) + plan setting + journal + rollups + day totals + branches + six raw reads + labels (<= 2)
        assert len(queries) <= 15, [query["sql"] for query in queries]
    assert Sale.objects.unscoped().count() == 8


def test_reports_never_count_another_tenants_sales(shop: Shop, world: World) -> None:
    ring_up_two_days(shop)
    period = {"from": "2026-12-01", "to": "2026-12-02"}
    for group_by in ("day", "product", "cashier", "payment_method"):
        report = shop.report(world.b.tenant_admin, group_by=group_by, **period)
        assert report["totals"]["sale_count"] == 0
        assert report["totals"]["net_sales"] == "0.00"
        assert all(row["sale_count"] == 0 for row in report["rows"])
    response = client_for(world.b.tenant_admin).get(
        "/api/v1/reports/sales/", {"branch": str(shop.tw.branch.pk)}
    )
    assert response.status_code == 400


def test_the_sales_report_exports_as_a_job_with_the_same_figures(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    ring_up_two_days(shop)
    client = client_for(shop.tw.tenant_admin)
    params = {"from": "2026-12-01", "to": "2026-12-02", "group_by": "category"}
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            "/api/v1/exports/", {"report": "sales", "params": params, "format": "csv"}, format="json"
        )
    assert started.status_code == 202, started.json()
    job = client.get(started["Location"]).json()
    assert job["status"] == "succeeded", job
    downloaded = client_for(None).get(job["download_url"])
    lines = list(csv.DictReader(io.StringIO(downloaded.getvalue().decode())))
    answer = shop.report(shop.tw.tenant_admin, **params)
    assert [(line["label"], line["net_sales"]) for line in lines] == [
        *((row["label"], row["net_sales"]) for row in answer["rows"]),
        ("Totals", answer["totals"]["net_sales"]),
    ]
    refused = client_for(shop.tw.branch_manager).post(
        "/api/v1/exports/",
        {"report": "sales", "params": {"branch": str(shop.tw.other_branch.pk)}, "format": "csv"},
        format="json",
    )
    assert refused.status_code == 403


def test_the_stock_report_exports_as_a_job(shop: Shop, django_capture_on_commit_callbacks: Any) -> None:
    client = client_for(shop.tw.tenant_admin)
    body = {"report": "stock", "params": {"branch": str(shop.tw.branch.pk)}, "format": "csv"}
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post("/api/v1/exports/", body, format="json")
    assert started.status_code == 202, started.json()
    job = client.get(started["Location"]).json()
    assert job["status"] == "succeeded", job
    downloaded = client_for(None).get(job["download_url"])
    lines = list(csv.DictReader(io.StringIO(downloaded.getvalue().decode())))
    assert sorted((line["sku"], line["quantity"]) for line in lines) == [
        ("PLAIN", "50.000"),
        ("WINE", "50.000"),
    ]


# --- Flag reports.exports.localized: numbers in the caller's language, on request ---------------

LOCALIZED_CSV = {"from": "2026-12-01", "to": "2026-12-02", "format": "csv", "locale": "fr"}


def test_with_the_localized_flag_off_the_locale_is_ignored(shop: Shop) -> None:
    ring_up_two_days(shop)

    response = client_for(shop.tw.tenant_admin).get("/api/v1/reports/sales/", LOCALIZED_CSV)

    lines = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert (lines[-1]["net_sales"], lines[-1]["sale_count"]) == ("69.00", "4")


def test_with_the_localized_flag_on_numbers_follow_the_locale(shop: Shop) -> None:
    from flags.models import FlagState

    ring_up_two_days(shop)
    FlagState.objects.create(name="reports.exports.localized", condition="tenant", value=shop.tw.tenant.slug)
    client = client_for(shop.tw.tenant_admin)

    french = client.get("/api/v1/reports/sales/", LOCALIZED_CSV).getvalue().decode()
    english = client.get("/api/v1/reports/sales/", {**LOCALIZED_CSV, "locale": "en"}).getvalue().decode()
    plain = client.get("/api/v1/reports/sales/", {**LOCALIZED_CSV, "locale": ""}).getvalue().decode()

    lines = list(csv.DictReader(io.StringIO(french), delimiter=";"))
    assert [line["key"] for line in lines] == ["2026-12-01", "2026-12-02", "totals"]  # dates stay ISO
    assert (lines[-1]["net_sales"], lines[-1]["sale_count"]) == ("69,00", "4")
    assert list(csv.DictReader(io.StringIO(english)))[-1]["net_sales"] == "69.00"
    assert plain == english


def test_with_the_localized_flag_on_an_unknown_locale_is_a_400(shop: Shop) -> None:
    from flags.models import FlagState

    FlagState.objects.create(name="reports.exports.localized", condition="boolean", value="true")

    response = client_for(shop.tw.tenant_admin).get(
        "/api/v1/reports/sales/", {**LOCALIZED_CSV, "locale": "de"}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"pointer": "/locale"}
