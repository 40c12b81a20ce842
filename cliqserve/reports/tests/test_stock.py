"""GET /api/v1/reports/stock/: quantity and value at moving-average cost, low stock, categories,
slow movers, a manager confined to its branch, pages and CSV."""

from __future__ import annotations

import base64
import csv
import io
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from cliqserve.core.tenancy import tenant_scope
from cliqserve.inventory.models import StockLevel, StockMovement
from cliqserve.inventory.tests.helpers import D, product, receive
from cliqserve.reports.stock import stock_report, stock_report_table
from cliqserve.sales.services.refunds import sale_void
from cliqserve.sales.tests.helpers import cash_sale, open_shift
from conftest import client_for
from tests.factories import CategoryFactory

URL = "/api/v1/reports/stock/"

pytestmark = pytest.mark.postgres


class Shop:
    """Tenant A's stock: receipts at different costs, chosen so that rounding each row differs
    from rounding the sum (30.00 + 1.00 + 0.13 + 7.04 = 38.17, unrounded 38.1599)."""

    def __init__(self, world: Any) -> None:
        a = world.a
        self.world = world
        self.drinks = CategoryFactory(tenant=a.tenant, name="Drinks")
        self.soft = CategoryFactory(tenant=a.tenant, name="Soft", parent=self.drinks)
        self.fizzy = CategoryFactory(tenant=a.tenant, name="Fizzy", parent=self.soft)
        self.food = CategoryFactory(tenant=a.tenant, name="Food")
        self.water = product(a.tenant, "A-WATER", category=self.drinks, name="Water")
        self.cola = product(a.tenant, "B-COLA", category=self.fizzy, name="Cola")
        self.bread = product(a.tenant, "C-BREAD", category=self.food, name="Bread")
        receive(a, a.branch, self.water, 10, "1.00")
        receive(a, a.branch, self.water, 10, "2.00")  # average 1.5000 -> 20 x 1.5 = 30.00
        receive(a, a.branch, self.cola, 3, "0.3333")  # 0.9999 -> 1.00
        receive(a, a.branch, self.bread, 1, "0.125")  # 0.125 -> 0.13 (half up)
        receive(a, a.other_branch, self.bread, 7, "1.005")  # 7.035 -> 7.04
        StockLevel.objects.unscoped().filter(product=self.cola).update(reorder_level=D(5))  # low
        # Tenant B's stock, which tenant A never sees.
        self.foreign_category = CategoryFactory(tenant=world.b.tenant, name="Theirs")
        self.foreign = product(world.b.tenant, "A-WATER", category=self.foreign_category)
        receive(world.b, world.b.branch, self.foreign, 99, "9.00")


@pytest.fixture
def shop(world):
    return Shop(world)


def get(user: Any, **params: Any) -> Any:
    return client_for(user).get(URL, params)


def lines(answer: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    return [
        (row["branch_code"], row["sku"], row["quantity"], row["average_cost"], row["value"])
        for row in answer["rows"]
    ]


def csv_table(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def skus(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(row["branch_code"], row["sku"]) for row in answer["rows"]]


def test_value_is_quantity_times_average_cost_per_row_and_totals_add_up_exactly(world, shop):
    response = get(world.a.tenant_admin)

    assert response.status_code == 200, response.content
    answer = response.json()
    assert lines(answer) == [
        ("a1", "A-WATER", "20.000", "1.5000", "30.00"),
        ("a1", "B-COLA", "3.000", "0.3333", "1.00"),
        ("a1", "C-BREAD", "1.000", "0.1250", "0.13"),
        ("a2", "C-BREAD", "7.000", "1.0050", "7.04"),
    ]
    assert answer["totals"] == {"quantity": "31.000", "value": "38.17", "row_count": 4}
    assert answer["currency"] == "USD"
    assert answer["next"] is None
    water = answer["rows"][0]
    assert water["branch"] == str(world.a.branch.pk)
    assert water["product"] == str(shop.water.pk)
    assert (water["name"], water["category"], water["category_name"]) == (
        "Water",
        str(shop.drinks.pk),
        "Drinks",
    )
    assert (water["reorder_level"], water["low"], water["last_sold_at"]) == ("0.000", False, None)


def test_a_currency_without_decimals_values_in_whole_units(world, shop):
    world.a.tenant.currency = "JPY"
    world.a.tenant.save(update_fields=["currency"])

    answer = get(world.a.tenant_admin).json()

    assert [row["value"] for row in answer["rows"]] == ["30", "1", "0", "7"]
    assert answer["totals"]["value"] == "38"


def test_low_lists_the_levels_the_stock_levels_list_calls_low(world, shop):
    answer = get(world.a.tenant_admin, low="true").json()
    levels = client_for(world.a.tenant_admin).get("/api/v1/stock-levels/", {"low": "true"}).json()

    assert skus(answer) == [("a1", "B-COLA")]
    assert answer["rows"][0]["low"] is True
    assert {row["id"] for row in answer["rows"]} == {row["id"] for row in levels["results"]}
    assert answer["totals"] == {"quantity": "3.000", "value": "1.00", "row_count": 1}


def test_a_category_covers_its_sub_categories_at_any_depth(world, shop):
    drinks = get(world.a.tenant_admin, category=shop.drinks.pk).json()
    soft = get(world.a.tenant_admin, category=shop.soft.pk).json()
    food = get(world.a.tenant_admin, category=shop.food.pk, branch=world.a.other_branch.pk).json()

    assert skus(drinks) == [("a1", "A-WATER"), ("a1", "B-COLA")]
    assert drinks["totals"]["value"] == "31.00"
    assert skus(soft) == [("a1", "B-COLA")]
    assert skus(food) == [("a2", "C-BREAD")]
    assert food["totals"] == {"quantity": "7.000", "value": "7.04", "row_count": 1}


def test_another_tenants_branch_or_category_is_unknown_and_answers_no_data(world, shop):
    for params, pointer in (
        ({"branch": world.b.branch.pk}, "/branch"),
        ({"category": shop.foreign_category.pk}, "/category"),
        ({"category": "00000000-0000-0000-0000-000000000000"}, "/category"),
    ):
        response = get(world.a.tenant_admin, **params)

        assert response.status_code == 400, params
        [error] = response.json()["errors"]
        assert (error["code"], error["source"]["pointer"]) == ("validation_error", pointer)
        assert "rows" not in response.json()


def test_a_manager_sees_its_own_branch_and_asking_for_another_is_refused(world, shop):
    own = get(world.a.branch_manager).json()
    named = get(world.a.branch_manager, branch=world.a.branch.pk).json()
    other = get(world.a.branch_manager, branch=world.a.other_branch.pk)
    other_csv = get(world.a.branch_manager, branch=world.a.other_branch.pk, format="csv")

    assert {row["branch_code"] for row in own["rows"]} == {"a1"}
    assert own == named
    assert own["totals"] == {"quantity": "24.000", "value": "31.13", "row_count": 3}
    for refused in (other, other_csv):
        assert refused.status_code == 403
        assert refused["Content-Type"] == "application/json"
        assert refused.json()["errors"][0]["code"] == "permission_denied"
        assert "C-BREAD" not in refused.content.decode()


def test_the_admin_reads_one_branch(world, shop):
    answer = get(world.a.tenant_admin, branch=world.a.other_branch.pk).json()

    assert skus(answer) == [("a2", "C-BREAD")]


@pytest.mark.parametrize("role", ["cashier", "platform_owner"])
def test_cashiers_and_the_platform_owner_read_no_stock_report(world, shop, role):
    response = get(world.user(role))

    assert response.status_code == 403
    assert "rows" not in response.json()


@pytest.mark.parametrize(
    "params",
    [
        {"unsold_days": "0"},
        {"unsold_days": "3651"},
        {"unsold_days": "soon"},
        {"low": "maybe"},
        {"branch": "not-a-uuid"},
        {"page_size": "0"},
        {"page_size": "1001"},
        {"cursor": "garbage"},
        {"cursor": "WyJhMSJd"},  # base64 of a JSON list that is no cursor
        {"cursor": base64.urlsafe_b64encode(json.dumps(["a\x00", "s", str(uuid.uuid4())]).encode()).decode()},
        {"cursor": base64.urlsafe_b64encode(json.dumps([1, 2, 3]).encode()).decode()},
        {"cursor": base64.urlsafe_b64encode(b"null").decode()},
        {"colour": "red"},
    ],
)
def test_bad_query_parameters_are_400_naming_the_parameter(world, shop, params):
    response = get(world.a.tenant_admin, **params)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["source"]["pointer"] == "/" + next(iter(params))


# --- Slow movers --------------------------------------------------------------------------------


@pytest.fixture
def sold(world, shop):
    """Water sold at a1 ten days ago; bread sold at a1 today; cola sold today but voided; bread at
    a2 and cola never (kept) sold."""
    a = world.a
    shift = open_shift(a)
    with tenant_scope(a.tenant.pk):
        old = cash_sale(a, shift, (shop.water, 2))
        cash_sale(a, shift, (shop.bread, 1))
        voided = cash_sale(a, shift, (shop.cola, 1))
        sale_void(tenant=a.tenant, actor=a.tenant_admin, sale=voided, reason="twice")
    ten_days_ago = timezone.now() - timedelta(days=10)
    StockMovement.objects.unscoped().filter(reference=f"sale:{old.pk}").update(created_at=ten_days_ago)
    return ten_days_ago


def test_slow_movers_are_the_levels_with_no_kept_sale_in_n_days(world, shop, sold):
    week = get(world.a.tenant_admin, unsold_days=7).json()
    month = get(world.a.tenant_admin, unsold_days=30).json()

    # Water, sold 10 days ago, is slow over a week but not over a month; the voided sale of cola
    # does not count; bread sold at a1 today, never at a2.
    assert skus(week) == [("a1", "A-WATER"), ("a1", "B-COLA"), ("a2", "C-BREAD")]
    assert skus(month) == [("a1", "B-COLA"), ("a2", "C-BREAD")]
    assert week["totals"] == {"quantity": "28.000", "value": "35.04", "row_count": 3}
    assert month["totals"] == {"quantity": "10.000", "value": "8.04", "row_count": 2}


def test_each_row_says_when_it_last_sold(world, shop, sold):
    rows = {
        (row["branch_code"], row["sku"]): row["last_sold_at"]
        for row in get(world.a.tenant_admin).json()["rows"]
    }

    assert rows[("a1", "A-WATER")][:16] == sold.isoformat()[:16].replace("+00:00", "")
    assert rows[("a1", "C-BREAD")] is not None
    assert rows[("a1", "B-COLA")] is None  # its only sale was voided
    assert rows[("a2", "C-BREAD")] is None


def test_slow_movers_combine_with_the_other_filters(world, shop, sold):
    answer = get(world.a.tenant_admin, unsold_days=7, category=shop.drinks.pk, low="true").json()

    assert skus(answer) == [("a1", "B-COLA")]


# --- Pages and CSV ------------------------------------------------------------------------------


def test_pages_follow_next_until_every_row_is_read_with_the_same_totals(world, shop):
    everything = get(world.a.tenant_admin).json()
    client = client_for(world.a.tenant_admin)
    seen: list[dict[str, Any]] = []
    url: str | None = f"{URL}?page_size=3"
    pages = 0
    while url:
        page = client.get(url).json()
        assert page["totals"] == everything["totals"]
        seen.extend(page["rows"])
        url, pages = page["next"], pages + 1

    assert pages == 2
    assert seen == everything["rows"]


def test_csv_streams_every_row_whatever_the_page_size(world, shop):
    response = get(world.a.tenant_admin, format="csv", page_size=1)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="stock.csv"' in response["Content-Disposition"]
    table = csv_table(response)
    assert table[0] == [
        "branch_code",
        "branch_name",
        "sku",
        "name",
        "category",
        "quantity",
        "average_cost",
        "value",
        "reorder_level",
        "low",
        "last_sold_at",
    ]
    assert [(row[0], row[2], row[5], row[7], row[9]) for row in table[1:]] == [
        ("a1", "A-WATER", "20.000", "30.00", "false"),
        ("a1", "B-COLA", "3.000", "1.00", "true"),
        ("a1", "C-BREAD", "1.000", "0.13", "false"),
        ("a2", "C-BREAD", "7.000", "7.04", "false"),
    ]


def test_csv_honours_the_filters(world, shop):
    response = get(world.a.tenant_admin, format="csv", low="true")

    table = csv_table(response)
    assert [row[2] for row in table[1:]] == ["B-COLA"]


def test_the_selectors_the_exports_call(world, shop):
    with tenant_scope(world.a.tenant.pk):
        report = stock_report(tenant=world.a.tenant, branch_ids=[world.a.branch.pk], low=False)
        table = stock_report_table(tenant=world.a.tenant, branch_ids=None, category_id=shop.drinks.pk)
    rows = list(table.rows)  # read outside the scope, as a streamed response or a job does

    assert [row.sku for row in report.rows] == ["A-WATER", "B-COLA", "C-BREAD"]
    assert (report.totals.value, report.next_after) == (D("31.13"), None)
    assert [(row[2], row[7]) for row in rows] == [("A-WATER", D("30.00")), ("B-COLA", D("1.00"))]


def test_an_empty_report_has_zero_totals(world):
    answer = get(world.a.tenant_admin).json()

    assert answer == {
        "currency": "USD",
        "rows": [],
        "totals": {"quantity": "0.000", "value": "0.00", "row_count": 0},
        "next": None,
    }


def test_the_query_count_does_not_grow_with_the_rows(world, shop, sold, django_assert_max_num_queries):
    client = client_for(world.a.tenant_admin)
    client.get(URL)  # warm the user and tenant caches of the auth layer
    params = {"unsold_days": 7, "category": shop.drinks.pk, "branch": world.a.branch.pk, "low": "true"}

    with django_assert_max_num_queries(5):
        assert client.get(URL, params).status_code == 200
    for number in range(30):
        receive(world.a, world.a.branch, product(world.a.tenant, f"MORE-{number:02}", category=shop.soft), 1)
    with django_assert_max_num_queries(5):
        answer = client.get(URL, {**params, "low": "false"}).json()
    assert answer["totals"]["row_count"] == 32  # water, cola and the 30 new ones
    with django_assert_max_num_queries(5):
        response = client.get(URL, {**params, "low": "false", "format": "csv"})
        assert len(csv_table(response)) == 1 + 32
