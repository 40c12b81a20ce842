"""The stock page and its CSV: the API's stock report, confined like the API."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import api, load_within_budget, signed_in, streamed

# --- Stock ----------------------------------------------------------------------------------------


def test_the_stock_page_shows_the_apis_totals_and_its_csv_is_the_apis(shop: Any) -> None:
    admin = shop.tw.tenant_admin
    client = signed_in(admin)
    html = client.get("/backoffice/stock/").content.decode()
    totals = api(admin, "/api/v1/reports/stock/").json()["totals"]
    assert f'data-figure="value">{totals["value"]}<' in html
    assert "SHOP-1" in html
    assert "SHOP-2" in html

    page_csv = client.get("/backoffice/stock/report.csv", {"low": "on"})
    api_csv = api(admin, "/api/v1/reports/stock/", format="csv", low="true")
    assert streamed(page_csv) == streamed(api_csv)


def test_a_manager_sees_its_branchs_stock_only(shop: Any) -> None:
    client = signed_in(shop.tw.branch_manager)
    html = client.get("/backoffice/stock/").content.decode()
    assert "SHOP-1" in html
    assert "SHOP-2" not in html
    for path in ("/backoffice/stock/", "/backoffice/stock/report.csv"):
        response = client.get(path, {"branch": str(shop.tw.other_branch.pk)})
        assert response.status_code == 403
        assert b"SHOP-2" not in response.content


def test_bad_stock_filters_are_a_400_page(shop: Any) -> None:
    client = signed_in(shop.tw.tenant_admin)
    assert client.get("/backoffice/stock/", {"unsold_days": "-1"}).status_code == 400
    assert client.get("/backoffice/stock/", {"category": "not-a-uuid"}).status_code == 400
    assert client.get("/backoffice/stock/report.csv", {"unsold_days": "x"}).status_code == 400


@pytest.mark.parametrize(
    ("path", "budget"),
    [("/backoffice/stock/", 8), ("/backoffice/stock/report.csv", 7)],
)
def test_the_stock_pages_have_a_query_budget_whatever_the_rows(
    shop: Any, django_assert_max_num_queries: Any, path: str, budget: int
) -> None:
    from .test_pages import more_sales

    more_sales(shop, 4)
    client = signed_in(shop.tw.tenant_admin)
    response = load_within_budget(
        client, path, budget=budget, assert_max_queries=django_assert_max_num_queries
    )
    assert response.status_code == 200
