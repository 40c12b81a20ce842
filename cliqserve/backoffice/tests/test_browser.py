"""The back office in a real browser: sign in as each report role, open every page, no console
error, a screenshot of each (CI output). Skipped without Chromium unless BROWSER_TESTS=required."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from cliqserve.tenants.business_days import business_day_of
from conftest import client_for
from tests.factories import PASSWORD

from .browser import Tab, browser  # noqa: F401  (the session fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tab(browser: Any, live_server: Any) -> Iterator[Tab]:  # noqa: F811
    opened = Tab(browser, live_server.url)
    yield opened
    opened.close()


def pages(shop: Any) -> dict[str, str]:
    """Every page of the back office, by screenshot name."""
    return {
        "dashboard": "/backoffice/",
        "sales-report": "/backoffice/sales/?group_by=product",
        "shifts": "/backoffice/shifts/",
        "z-report": f"/backoffice/shifts/{shop.shift.pk}/",
        "sale-lookup": f"/backoffice/sales/lookup/?receipt={shop.sale.receipt_number}",
        "review": "/backoffice/review/",
        "stock": "/backoffice/stock/",
        "exceptions": "/backoffice/exceptions/",
    }


@pytest.mark.parametrize("role", ["tenant_admin", "branch_manager"])
def test_every_page_opens_without_a_console_error(shop: Any, tab: Tab, role: str) -> None:
    tab.sign_in(shop.tw.user(role).email, PASSWORD)
    assert tab.page.url.endswith("/backoffice/")
    for name, path in pages(shop).items():
        response = tab.open(path)
        assert response.status == 200, (name, response.status)
        assert tab.page.locator("h1").count() == 1
        tab.screenshot(f"{role}-{name}")
    assert tab.errors == []


def test_the_z_report_in_the_browser_shows_the_shift_figures(shop: Any, tab: Tab) -> None:
    tab.sign_in(shop.tw.branch_manager.email, PASSWORD)
    tab.open(f"/backoffice/shifts/{shop.shift.pk}/")
    assert tab.page.locator('[data-field="gross"]').inner_text() == "20.00"
    assert tab.page.locator('[data-field="sale_count"]').inner_text() == "1"
    assert tab.errors == []


def test_the_pages_work_from_the_keyboard(shop: Any, tab: Tab) -> None:
    tab.sign_in(shop.tw.tenant_admin.email, PASSWORD)
    tab.open("/backoffice/shifts/")
    tab.page.keyboard.press("Tab")
    assert tab.page.evaluate("document.activeElement.className") == "skip"
    tab.page.keyboard.press("Enter")
    assert tab.page.url.endswith("#main")
    # The branch picker: choose the other branch, Tab to its button, submit with Enter.
    picker = tab.page.get_by_label("Branch", exact=True)
    picker.focus()
    picker.select_option(str(shop.tw.other_branch.pk))
    tab.page.keyboard.press("Tab")
    assert tab.page.evaluate("document.activeElement.textContent") == "Show"
    with tab.page.expect_navigation():
        tab.page.keyboard.press("Enter")
    assert f"branch={shop.tw.other_branch.pk}" in tab.page.url
    assert tab.errors == []


def test_signing_out_ends_the_session(shop: Any, tab: Tab) -> None:
    tab.sign_in(shop.tw.tenant_admin.email, PASSWORD)
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name="Sign out").click()
    assert tab.page.url.endswith("/backoffice/login/")
    tab.open("/backoffice/shifts/")
    assert "/backoffice/login/" in tab.page.url
    assert tab.errors == []


DRAWN = """() => {
  const chart = window.Chart && Chart.getChart(document.getElementById("days-chart"));
  return chart ? {labels: chart.data.labels, values: chart.data.datasets.map((set) => set.data)} : null;
}"""


def api_sales(user: Any, *, days: int, group_by: str) -> Any:
    tenant = user.tenant
    today = business_day_of(
        timezone.now(), timezone_name=tenant.timezone, ends_at=tenant.business_day_ends_at
    )
    params = {
        "from": (today - timedelta(days=days - 1)).isoformat(),
        "to": today.isoformat(),
        "group_by": group_by,
    }
    response = client_for(user).get("/api/v1/reports/sales/", params)
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("role", ["tenant_admin", "branch_manager"])
def test_the_dashboard_chart_draws_the_apis_numbers(shop: Any, tab: Tab, role: str) -> None:
    user = shop.tw.user(role)
    tab.sign_in(user.email, PASSWORD)
    tab.page.wait_for_function(DRAWN)
    drawn = tab.page.evaluate(DRAWN)
    api = api_sales(user, days=30, group_by="day")
    assert drawn["labels"] == [row["label"] for row in api["rows"]]
    assert drawn["values"][0] == [float(row["net_sales"]) for row in api["rows"]]
    assert drawn["values"][1] == [float(row["gross_margin"]) for row in api["rows"]]
    today = api_sales(user, days=1, group_by="day")["totals"]
    assert tab.page.locator('[data-figure="today-net_sales"]').inner_text() == today["net_sales"]
    assert tab.page.locator('[data-figure="today-sale_count"]').inner_text() == str(today["sale_count"])
    tab.screenshot(f"{role}-dashboard-chart")
    assert tab.errors == []


def test_the_sales_report_downloads_the_apis_csv(shop: Any, tab: Tab) -> None:
    admin = shop.tw.tenant_admin
    tab.sign_in(admin.email, PASSWORD)
    tab.open("/backoffice/sales/?group_by=product")
    with tab.page.expect_download() as download:
        tab.page.get_by_role("link", name="Download CSV").click()
    body = Path(download.value.path()).read_bytes()
    api = api_sales(admin, days=30, group_by="product")
    assert body.decode().splitlines()[1].startswith(f"{api['rows'][0]['key']},")
    assert f"totals,Totals,{api['totals']['sale_count']}," in body.decode()
    assert tab.errors == []
