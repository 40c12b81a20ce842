"""The back office in a real browser: sign in as each report role, open every page, no console
error, a screenshot of each (CI output). Skipped without Chromium unless BROWSER_TESTS=required."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

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
        "shifts": "/backoffice/shifts/",
        "z-report": f"/backoffice/shifts/{shop.shift.pk}/",
        "sale-lookup": f"/backoffice/sales/lookup/?receipt={shop.sale.receipt_number}",
        "review": "/backoffice/review/",
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
