"""Every HTML page carries the browser-hardening headers (issue 12): a Content-Security-Policy
that allows no inline script or style but by the response's nonce, a Permissions-Policy that
denies the browser features no page uses, Referrer-Policy, nosniff and frame denial. The pages
are the admin's, the API docs and the back office's, each list read from its URL configuration
or registry, so a new page is checked the moment it exists."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cliqserve.accounts.models import User
from cliqserve.backoffice.tests.conftest import Shop, signed_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

# Signed in, the sign-in page sends on to the dashboard: it is checked signed out.
SIGN_IN = {"login", "logout"}
# Answers that are files, not pages: they are checked for the headers that every answer has.
NOT_HTML = {"backoffice:sales-csv", "backoffice:stock-csv"}
# Script types a browser runs; any other (json_script's application/json) is inert data.
EXECUTABLE = {"", "text/javascript", "application/javascript", "module"}
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid")


class Inline(HTMLParser):
    """What in a page is inline code or style, and the nonce each inline element carries."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str | None] = []  # the nonce of each executable inline <script>
        self.styles: list[str | None] = []  # the nonce of each <style>
        self.attributes: list[str] = []  # style= and on*= attributes, which no nonce allows
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.attributes += [f"{tag} {name}" for name in found if name == "style" or name.startswith("on")]
        if tag == "script" and "src" not in found and (found.get("type") or "").lower() in EXECUTABLE:
            self.scripts.append(found.get("nonce"))
        if tag == "style":
            self.styles.append(found.get("nonce"))


def directives(response: Any) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";"))}


def assert_hardened(response: Any) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    for feature in DENIED_FEATURES:
        assert f"{feature}=()" in response["Permissions-Policy"]
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert policy[directive][0] == "'self'"
        assert not {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'"} & set(policy[directive])


def assert_no_inline_code_without_the_nonce(response: Any) -> None:
    assert response["Content-Type"].startswith("text/html")
    assert_hardened(response)
    nonces = set(re.findall(r"'nonce-([^']+)'", response["Content-Security-Policy"]))
    assert len(nonces) <= 1
    page = Inline()
    page.feed(response.content.decode())
    assert page.attributes == []
    for nonce in page.scripts + page.styles:
        assert nonce is not None
        assert nonce in nonces


def backoffice_routes(shop: Shop) -> dict[str, str]:
    """Every back-office route but the sign-in's, by name, its ids those of `shop`'s rows."""
    ids = {"shift_id": shop.shift.pk, "sale_id": shop.sale.pk}
    resolver = next(
        pattern
        for pattern in get_resolver().url_patterns
        if isinstance(pattern, URLResolver) and pattern.namespace == "backoffice"
    )
    routes = {}
    for pattern in resolver.url_patterns:
        assert isinstance(pattern, URLPattern)
        if pattern.name not in SIGN_IN:
            kwargs = {name: ids[name] for name in pattern.pattern.regex.groupindex}
            routes[f"backoffice:{pattern.name}"] = reverse(f"backoffice:{pattern.name}", kwargs=kwargs)
    return routes


def test_every_back_office_page(world: Any) -> None:
    shop = Shop(world)
    client = signed_in(shop.tw.tenant_admin)
    pages = {}
    for name, path in backoffice_routes(shop).items():
        response = client.get(path)
        if response.status_code != 405:  # a form's target, answering POST only
            pages[name] = response
    assert {
        "backoffice:dashboard",
        "backoffice:sales",
        "backoffice:shift",
        "backoffice:stock",
        "backoffice:mfa",
    } <= set(pages)

    for name, response in pages.items():
        assert response.status_code == 200, (name, response.status_code)
        if name in NOT_HTML:
            assert_hardened(response)
        else:
            assert_no_inline_code_without_the_nonce(response)


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("anonymous", "/backoffice/login/", 200),
        ("cashier", "/backoffice/", 403),  # the refusal page
    ],
)
def test_the_back_office_pages_before_a_report_role(world: Any, role: str, path: str, status: int) -> None:
    client = Client() if role == "anonymous" else signed_in(world.user(role))

    response = client.get(path)

    assert response.status_code == status
    assert_no_inline_code_without_the_nonce(response)


def test_the_two_factor_page_while_enrolling(world: Any, settings: Any) -> None:
    """Its QR code is an <img> of an SVG data: URI, which the policy's img-src allows."""
    settings.MFA_REQUIRED_ROLES = ["tenant_admin"]
    client = Client()  # an enrolment-only session: the page without the menu
    client.post("/backoffice/login/", {"email": world.a.tenant_admin.email, "password": PASSWORD})
    client.post(reverse("backoffice:mfa"), {"action": "start"})

    response = client.get(reverse("backoffice:mfa"))

    assert response.status_code == 200
    assert 'src="data:image/svg+xml' in response.content.decode()
    assert "data:" in directives(response)["img-src"]
    assert_no_inline_code_without_the_nonce(response)


def test_the_api_docs() -> None:
    client = Client()

    for path in ("/api/v1/docs/", "/api/v1/redoc/"):
        assert_no_inline_code_without_the_nonce(client.get(path))
    # Swagger UI's init script is its own answer, a script the policy's 'self' allows.
    script = client.get("/api/v1/docs/?script")
    assert script["Content-Type"] == "application/javascript"
    assert "SwaggerUIBundle(" in script.content.decode()


def test_redoc_hands_its_styles_the_nonce_of_the_header() -> None:
    response = Client().get("/api/v1/redoc/")

    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert nonce is not None
    assert f'nonce="{nonce[1]}"' in response.content.decode()
    assert "blob:" in directives(response)["worker-src"]


def admin_pages() -> list[str]:
    """The admin's index and every registered model's list and add pages."""
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        pages += [
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
            reverse(f"admin:{opts.app_label}_{opts.model_name}_add"),
        ]
    return pages


def test_every_admin_page() -> None:
    assert_no_inline_code_without_the_nonce(Client().get(f"/{settings.ADMIN_URL}login/"))
    client = Client()
    client.force_login(User.objects.create_superuser("root@platform.test", PASSWORD))

    for path in admin_pages():
        response = client.get(path)
        if response.status_code == 403:  # a model no one adds by hand: the JSON refusal (handler403)
            assert_hardened(response)
        else:
            assert response.status_code == 200, path
            assert_no_inline_code_without_the_nonce(response)


def test_json_answers_carry_the_headers_too(world: Any) -> None:
    response = Client().get("/api/v1/no-such-path")

    assert response["Content-Type"] == "application/json"
    assert_hardened(response)
