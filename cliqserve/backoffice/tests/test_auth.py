"""Signing in and out of the back office: the same users, lockout and throttles as the API; a
browser that signed in is known to the lockout by its signed cookie."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from cliqserve.accounts.api.form_login import KNOWN_BROWSER_COOKIE
from cliqserve.accounts.api.throttles import LoginThrottle
from cliqserve.core.models import AuditEvent
from tests.factories import PASSWORD

from .conftest import signed_in

LOGIN = "/backoffice/login/"


def post_login(client: Client, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(LOGIN, {"email": email, "password": password, **extra})


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match
    return match.group(1)


@pytest.mark.parametrize("role", ["tenant_admin", "branch_manager"])
def test_a_report_role_signs_in_with_its_api_password_and_lands_on_the_dashboard(
    world: Any, role: str
) -> None:
    client = Client()
    response = post_login(client, world.a.user(role).email)
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/"
    assert client.get("/backoffice/shifts/").status_code == 200
    event = AuditEvent.objects.get(action="login_succeeded")
    assert (event.actor_id, event.changes) == (world.a.user(role).pk, {"via": [None, "backoffice"]})


def test_signing_in_goes_back_to_the_page_asked_for_but_never_off_site(world: Any) -> None:
    client = Client()
    response = post_login(client, world.a.tenant_admin.email, next="/backoffice/shifts/")
    assert response["Location"] == "/backoffice/shifts/"
    client = Client()
    response = post_login(client, world.a.tenant_admin.email, next="https://evil.example/")
    assert response["Location"] == "/backoffice/"


def test_an_anonymous_visitor_is_sent_to_the_sign_in_page(db: None) -> None:
    response = Client().get("/backoffice/shifts/")
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/login/?next=/backoffice/shifts/"


def test_a_wrong_password_is_refused_with_one_message_and_no_session(world: Any) -> None:
    client = Client()
    response = post_login(client, world.a.tenant_admin.email, "wrong-password-123")
    assert response.status_code == 200
    assert "Email or password is incorrect." in response.content.decode()
    assert client.get("/backoffice/shifts/").status_code == 302


@pytest.mark.parametrize("role", ["cashier", "platform_owner"])
def test_cashiers_and_the_platform_owner_get_no_session_and_see_nothing(shop: Any, role: str) -> None:
    client = Client()
    response = post_login(client, shop.world.user(role).email)
    assert response.status_code == 403
    html = response.content.decode()
    assert "tenant admins and branch managers" in html
    assert shop.sale.receipt_number not in html
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("role", ["cashier", "platform_owner"])
@pytest.mark.parametrize(
    "path", ["/backoffice/", "/backoffice/shifts/", "/backoffice/review/", "/backoffice/sales/lookup/"]
)
def test_a_session_of_a_role_without_reports_is_refused_every_page(shop: Any, role: str, path: str) -> None:
    client = signed_in(shop.world.user(role))
    response = client.get(path, {"receipt": shop.sale.receipt_number})
    assert response.status_code == 403
    html = response.content.decode()
    assert shop.sale.receipt_number not in html
    assert "Branch" not in html  # no picker, no table: nothing of the tenant
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_deactivated_tenant_closes_the_back_office_to_an_open_session(world: Any) -> None:
    client = signed_in(world.a.tenant_admin)
    world.a.tenant.is_active = False
    world.a.tenant.save(update_fields=["is_active"])
    assert client.get("/backoffice/shifts/").status_code == 403


def test_sign_out_is_a_post_and_ends_the_session(world: Any) -> None:
    client = signed_in(world.a.tenant_admin)
    assert client.get("/backoffice/logout/").status_code == 405
    assert client.get("/backoffice/shifts/").status_code == 200
    response = client.post("/backoffice/logout/")
    assert response.status_code == 302
    assert client.get("/backoffice/shifts/").status_code == 302


def test_sign_in_and_sign_out_need_the_csrf_token(world: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    refused = post_login(client, world.a.tenant_admin.email)
    assert refused.status_code == 403
    assert "_auth_user_id" not in client.session

    token = csrf_token(client.get(LOGIN).content.decode())
    assert post_login(client, world.a.tenant_admin.email, csrfmiddlewaretoken=token).status_code == 302
    assert client.post("/backoffice/logout/").status_code == 403
    assert client.get("/backoffice/shifts/").status_code == 200  # still signed in

    token = csrf_token(client.get("/backoffice/shifts/").content.decode())
    assert client.post("/backoffice/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.get("/backoffice/shifts/").status_code == 302


def test_failed_sign_ins_hold_that_address_off_as_the_api_does(world: Any, settings: Any) -> None:
    settings.LOGIN_LOCKOUT_THRESHOLD = 3
    email = world.a.tenant_admin.email
    for _ in range(3):
        assert post_login(Client(), email, "wrong-password-123").status_code == 200
    locked = post_login(Client(), email)  # the right password, too late
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "Too many sign-in attempts" in locked.content.decode()
    # The API sees the same lockout: one count for both doors.
    api = Client().post(
        "/api/v1/auth/login/", {"email": email, "password": PASSWORD}, content_type="application/json"
    )
    assert api.status_code == 429


def test_the_api_login_throttle_applies_to_the_form_too(world: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(LoginThrottle.THROTTLE_RATES, "login", "2/minute")
    client = Client()
    assert post_login(client, "nobody@a.test", "wrong-password-123").status_code == 200
    assert post_login(client, "nobody2@a.test", "wrong-password-123").status_code == 200
    throttled = post_login(client, world.a.tenant_admin.email)
    assert throttled.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_per_account_throttle_counts_one_email_from_any_address(world: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(LoginThrottle.THROTTLE_RATES, "login_account", "1/minute")
    email = world.a.tenant_admin.email
    assert post_login(Client(REMOTE_ADDR="10.0.0.1"), email, "wrong-password-123").status_code == 200
    assert post_login(Client(REMOTE_ADDR="10.0.0.2"), email).status_code == 429


def test_a_malformed_form_is_a_400_with_the_field_named(db: None) -> None:
    response = Client().post(LOGIN, {"email": "not-an-email", "password": ""})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_a_signed_in_user_visiting_sign_in_goes_to_the_dashboard(world: Any) -> None:
    response = signed_in(world.a.branch_manager).get(LOGIN)
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/"


def test_signing_in_remembers_the_browser_in_a_signed_cookie_that_names_no_one(world: Any) -> None:
    client = Client()
    assert post_login(client, world.a.tenant_admin.email).status_code == 302
    cookie = client.cookies[KNOWN_BROWSER_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 180 * 24 * 60 * 60
    assert world.a.tenant_admin.email not in cookie.value
    assert str(world.a.tenant_admin.pk) not in cookie.value


def test_a_distributed_attack_holds_off_new_browsers_but_not_the_owners(world: Any, settings: Any) -> None:
    settings.LOGIN_ACCOUNT_LOCKOUT_THRESHOLD = 4
    email = world.a.tenant_admin.email
    owners_browser = Client(REMOTE_ADDR="10.1.1.1")
    assert post_login(owners_browser, email).status_code == 302
    owners_browser.post("/backoffice/logout/")
    for n in range(4):  # one guess per address
        assert post_login(Client(REMOTE_ADDR=f"10.66.0.{n}"), email, "wrong-password-123").status_code == 200

    new_browser = post_login(Client(REMOTE_ADDR="10.2.2.2"), email)
    assert new_browser.status_code == 429
    assert int(new_browser["Retry-After"]) > 0
    forged = Client(REMOTE_ADDR="10.2.2.2")
    forged.cookies[KNOWN_BROWSER_COOKIE] = owners_browser.cookies[KNOWN_BROWSER_COOKIE].value + "x"
    assert post_login(forged, email).status_code == 429
    assert post_login(owners_browser, email).status_code == 302
