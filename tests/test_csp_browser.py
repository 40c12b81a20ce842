"""The HTML pages under their Content-Security-Policy in a real browser (issue 12): the API docs,
the back office and the admin still work, and the browser refuses nothing on them. Skipped
without Chromium unless BROWSER_TESTS=required."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from cliqserve.accounts.models import User
from cliqserve.backoffice.tests.browser import Tab, browser  # noqa: F401  (the module fixture)
from cliqserve.backoffice.tests.conftest import Shop
from cliqserve.backoffice.tests.test_browser import DRAWN
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before each page's own scripts (Playwright injects it outside the page's CSP): every
# refusal is kept, with what was refused, even where the browser logs nothing on the console.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.effectiveDirective} refused ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def tab(browser: Any, live_server: Any) -> Iterator[Tab]:  # noqa: F811
    opened = Tab(browser, live_server.url)
    opened.context.add_init_script(script=RECORD_VIOLATIONS)
    yield opened
    opened.close()


@pytest.fixture
def shop(world: Any) -> Shop:
    return Shop(world)


def refused(tab: Tab) -> list[str]:
    violations: list[str] = tab.page.evaluate("window.cspViolations")
    return violations + [error for error in tab.errors if "Content Security Policy" in error]


def test_swagger_ui_renders_the_operations(db: None, tab: Tab) -> None:
    response = tab.open("/api/v1/docs/")

    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    tab.page.locator(".opblock").first.wait_for()
    assert tab.page.locator(".opblock").count() > 20
    # The init script (its own URL) set the page up: an operation opens on a click.
    tab.page.locator(".opblock-summary").first.click()
    tab.page.locator(".opblock-body").first.wait_for()
    assert refused(tab) == []
    assert tab.errors == []


def test_redoc_renders_the_operations_with_its_styles(db: None, tab: Tab) -> None:
    workers: list[str] = []
    tab.page.on("worker", lambda worker: workers.append(worker.url))

    tab.open("/api/v1/redoc/")

    tab.page.locator("[data-section-id^='operation/']").first.wait_for()
    assert tab.page.locator("[data-section-id^='operation/']").count() > 20
    # Every <style> Redoc injected applies: styled-components' with the nonce, perfect-scrollbar's
    # by hash.
    sheets = tab.page.evaluate(
        "[...document.querySelectorAll('style')].map((style) => style.sheet?.cssRules.length ?? 0)"
    )
    assert len(sheets) == 2
    assert all(rules > 0 for rules in sheets)
    # The search index's worker (from a blob: URL) started.
    assert [url.split(":")[0] for url in workers] == ["blob"]
    # The one refusal: Redoc's "API docs by Redocly" logo from its CDN (the pages contact no third
    # party; Redoc hides the logo when it does not load).
    logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    console = f"console: Loading the image '{logo}' violates the following Content Security Policy directive"
    assert refused(tab)[0] == f"img-src refused {logo}"
    assert [error.startswith(console) for error in refused(tab)[1:] + tab.errors] == [True, True]


def test_the_back_office_draws_its_charts(shop: Any, tab: Tab) -> None:
    tab.sign_in(shop.tw.tenant_admin.email, PASSWORD)

    tab.page.wait_for_function(DRAWN)
    tab.open("/backoffice/sales/?group_by=product")
    tab.page.wait_for_function("() => Chart.getChart(document.getElementById('sales-chart')) !== undefined")
    assert refused(tab) == []
    assert tab.errors == []


def test_the_admin_works(db: None, tab: Tab) -> None:
    User.objects.create_superuser("root@platform.test", PASSWORD)
    tab.open(f"/{settings.ADMIN_URL}login/")
    tab.page.get_by_label("Email").fill("root@platform.test")
    tab.page.get_by_label("Password").fill(PASSWORD)
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name="Log in").click()

    for path in ("", "accounts/user/", "accounts/user/add/", "tenants/branch/add/"):
        response = tab.open(f"/{settings.ADMIN_URL}{path}")
        assert response.status == 200, path
    # admin/js/theme.js runs: the theme button cycles the page's theme.
    before = tab.page.evaluate("document.documentElement.dataset.theme")
    tab.page.locator("button.theme-toggle").first.click()
    assert tab.page.evaluate("document.documentElement.dataset.theme") != before
    assert refused(tab) == []
    # The admin names no icon, so the browser asks for /favicon.ico: its 404 is the one error.
    not_found = "console: Failed to load resource: the server responded with a status of 404 (Not Found)"
    assert tab.errors == [not_found]


def test_the_two_factor_page_shows_its_qr_code(world: Any, tab: Tab, settings: Any) -> None:
    # A tenant admin who must enrol: the enrolment-only session, the key and its QR code.
    settings.MFA_REQUIRED_ROLES = ["tenant_admin"]
    tab.sign_in(world.a.tenant_admin.email, PASSWORD)
    assert tab.page.url.endswith("/backoffice/account/two-factor/")
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name="Set up two-factor authentication").click()

    qr = tab.page.locator("img.qr")
    qr.wait_for()
    assert tab.page.evaluate("document.querySelector('img.qr').naturalWidth") > 0  # the data: SVG drew
    assert refused(tab) == []
    assert tab.errors == []
