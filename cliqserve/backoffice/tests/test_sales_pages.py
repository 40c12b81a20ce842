"""The pages that read the sales report show the API's numbers, confined like the API."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from cliqserve.tenants.business_days import business_day_of
from conftest import client_for

from .conftest import load_within_budget, signed_in, streamed


def today_of(tenant: Any) -> Any:
    return business_day_of(timezone.now(), timezone_name=tenant.timezone, ends_at=tenant.business_day_ends_at)


def api_report(user: Any, **params: Any) -> Any:
    response = client_for(user).get("/api/v1/reports/sales/", params)
    assert response.status_code == 200, response.content
    return response.json()


def chart(html: str, name: str) -> Any:
    match = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', html, re.S)
    assert match, name
    return json.loads(match.group(1))


@pytest.mark.parametrize(("role", "net_today"), [("tenant_admin", "41.00"), ("branch_manager", "20.00")])
def test_the_dashboard_shows_the_apis_figures(shop: Any, role: str, net_today: str) -> None:
    user = shop.tw.user(role)
    today = today_of(shop.tw.tenant)
    start = today - timedelta(days=29)
    html = signed_in(user).get("/backoffice/").content.decode()
    api = api_report(user, **{"from": start.isoformat(), "to": today.isoformat(), "group_by": "day"})
    days = chart(html, "days-data")
    assert days["labels"] == [row["label"] for row in api["rows"]]
    assert days["series"][0]["values"] == [row["net_sales"] for row in api["rows"]]
    assert days["series"][1]["values"] == [row["gross_margin"] for row in api["rows"]]
    assert f'data-figure="today-net_sales">{net_today}<' in html
    api_today = api_report(user, **{"from": today.isoformat(), "to": today.isoformat(), "group_by": "day"})
    assert api_today["totals"]["net_sales"] == net_today


def test_the_sales_report_page_and_its_csv_are_the_apis(shop: Any) -> None:
    user = shop.tw.tenant_admin
    today = today_of(shop.tw.tenant).isoformat()
    query = {"date_from": today, "date_to": today, "group_by": "product"}
    client = signed_in(user)
    html = client.get("/backoffice/sales/", query).content.decode()
    api = api_report(user, **{"from": today, "to": today, "group_by": "product"})
    assert [row["label"] for row in api["rows"]] == chart(html, "sales-data")["labels"]
    assert f'<td class="num">{api["totals"]["net_sales"]}</td>' in html

    csv = client.get("/backoffice/sales/report.csv", query)
    assert csv.status_code == 200
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    api_csv = client_for(user).get(
        "/api/v1/reports/sales/", {"from": today, "to": today, "group_by": "product", "format": "csv"}
    )
    assert streamed(csv) == streamed(api_csv)


@pytest.mark.parametrize("path", ["/backoffice/sales/", "/backoffice/sales/report.csv"])
def test_a_manager_cannot_read_another_branchs_sales(shop: Any, path: str) -> None:
    client = signed_in(shop.tw.branch_manager)
    response = client.get(path, {"branch": str(shop.tw.other_branch.pk), "group_by": "product"})
    assert response.status_code == 403
    assert b"SHOP-2" not in response.content
    html = client.get("/backoffice/sales/", {"group_by": "product"}).content.decode()
    assert "SHOP-1" in html
    assert "SHOP-2" not in html


def test_bad_filters_are_a_400_page_naming_them(shop: Any) -> None:
    client = signed_in(shop.tw.tenant_admin)
    response = client.get("/backoffice/sales/", {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert response.status_code == 400
    assert "The period ends before it starts." in response.content.decode()
    assert client.get("/backoffice/sales/", {"group_by": "nonsense"}).status_code == 400
    assert client.get("/backoffice/sales/report.csv", {"date_from": "yesterday"}).status_code == 400
    for period in (
        {"date_from": "1999-12-31", "date_to": "2000-01-01"},
        {"date_from": "2099-12-31", "date_to": "9999-12-31"},
        {"date_from": "2000-01-01", "date_to": "2099-12-31"},
    ):
        assert client.get("/backoffice/sales/", period).status_code == 400


@pytest.mark.parametrize(
    ("path", "budget"),
    [("/backoffice/sales/?group_by=product", 15), ("/backoffice/sales/report.csv?group_by=cashier", 13)],
)
def test_the_sales_pages_have_a_query_budget_whatever_the_rows(
    shop: Any, django_assert_max_num_queries: Any, path: str, budget: int
) -> None:
    from .test_pages import more_sales

    more_sales(shop, 4)
    client = signed_in(shop.tw.tenant_admin)
    response = load_within_budget(
        client, path, budget=budget, assert_max_queries=django_assert_max_num_queries
    )
    assert response.status_code == 200


# --- Flag backoffice.dashboard.view (on unless the platform owner switches it off) --------------


def test_with_the_dashboard_flag_on_the_dashboard_and_its_link_are_there(shop: Any) -> None:
    client = signed_in(shop.tw.tenant_admin)

    response = client.get("/backoffice/")

    assert response.status_code == 200
    assert 'data-figure="today-net_sales"' in response.content.decode()
    assert 'href="/backoffice/"' in client.get("/backoffice/stock/").content.decode()


def test_with_the_dashboard_flag_off_the_sales_report_takes_its_place(shop: Any) -> None:
    from flags.models import FlagState

    FlagState.objects.create(
        name="backoffice.dashboard.view", condition="tenant", value=shop.world.b.tenant.slug, required=True
    )
    client = signed_in(shop.tw.branch_manager)

    response = client.get("/backoffice/", {"branch": str(shop.tw.branch.pk)})

    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/sales/?branch={shop.tw.branch.pk}"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'href="/backoffice/"' not in page.content.decode()  # no link to it in the menu
    # Tenant B, which the required condition names, still has it.
    assert signed_in(shop.world.b.tenant_admin).get("/backoffice/").status_code == 200
