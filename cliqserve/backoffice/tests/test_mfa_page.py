"""The back office's two-factor authentication page: enrolment with a real TOTP code, recovery
codes shown once, removal with password and code, and the enrolment-only session of a role that
must have it and has not."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from cliqserve.core.models import AuditEvent
from tests.factories import PASSWORD

from .conftest import load_within_budget, signed_in

PAGE = "/backoffice/account/two-factor/"
LOGIN = "/backoffice/login/"


def code_of(user: Any) -> str:
    return f"{totp(TOTPDevice.objects.get(user=user).bin_key):06d}"


def later(time_machine: Any) -> None:
    """The next 30-second step: a TOTP code is used once."""
    time_machine.move_to(timezone.now() + timedelta(seconds=31), tick=False)


@pytest.fixture
def frozen(time_machine: Any) -> Any:
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def start(client: Client) -> str:
    response = client.post(PAGE, {"action": "start"})
    assert response.status_code == 302, response.content
    assert response["Location"] == PAGE
    return client.get(PAGE).content.decode()


def confirm(client: Client, user: Any) -> Any:
    return client.post(PAGE, {"action": "confirm", "code": code_of(user)})


def recovery_codes(html: str) -> list[str]:
    return re.findall(r"<li><code>([0-9a-f]{10})</code></li>", html)


def test_a_manager_enrols_end_to_end_and_sees_the_recovery_codes_once(world: Any, frozen: Any) -> None:
    manager = world.a.branch_manager
    client = signed_in(manager)
    assert "Two-factor authentication is off." in client.get(PAGE).content.decode()

    pending = start(client)
    device = TOTPDevice.objects.get(user=manager)
    assert not device.confirmed
    secret_groups = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', pending)
    assert secret_groups is not None
    assert all(len(group) == 4 for group in secret_groups[1].split())
    assert "otpauth://totp/" in pending
    assert 'src="data:image/svg+xml' in pending  # the QR code, drawn by the server

    confirmed = confirm(client, manager)
    codes = recovery_codes(confirmed.content.decode())

    assert confirmed.status_code == 200
    assert len(codes) == 10
    assert TOTPDevice.objects.get(user=manager).confirmed
    assert AuditEvent.objects.filter(action="mfa_enrolled", actor_id=manager.pk).count() == 1
    assert confirmed["Cache-Control"].startswith("max-age=0")
    second_visit = client.get(PAGE).content.decode()
    assert "Two-factor authentication is on." in second_visit
    assert recovery_codes(second_visit) == []
    assert not any(code in second_visit for code in codes)
    assert "otpauth://" not in second_visit


def test_a_wrong_code_is_refused_and_nothing_is_confirmed(world: Any, frozen: Any) -> None:
    manager = world.a.branch_manager
    client = signed_in(manager)
    start(client)
    wrong = f"{(int(code_of(manager)) + 1) % 1_000_000:06d}"

    response = client.post(PAGE, {"action": "confirm", "code": wrong})

    assert response.status_code == 400
    assert "This code is not right" in response.content.decode()
    assert 'name="code"' in response.content.decode()  # the form again, the key still shown
    assert not TOTPDevice.objects.get(user=manager).confirmed
    assert not StaticDevice.objects.filter(user=manager).exists()
    assert not AuditEvent.objects.filter(action="mfa_enrolled").exists()


def test_a_manager_turns_it_off_with_password_and_code(world: Any, frozen: Any) -> None:
    manager = world.a.branch_manager
    client = signed_in(manager)
    start(client)
    confirm(client, manager)
    later(frozen)

    wrong_password = client.post(
        PAGE, {"action": "remove", "password": "not-it-123", "code": code_of(manager)}
    )
    assert wrong_password.status_code == 400
    assert "The password is not right." in wrong_password.content.decode()
    assert TOTPDevice.objects.filter(user=manager, confirmed=True).exists()

    removed = client.post(PAGE, {"action": "remove", "password": PASSWORD, "code": code_of(manager)})

    assert removed.status_code == 302
    assert not TOTPDevice.objects.filter(user=manager).exists()
    assert not StaticDevice.objects.filter(user=manager).exists()
    assert AuditEvent.objects.filter(action="mfa_removed", actor_id=manager.pk).count() == 1
    assert "Two-factor authentication is off." in client.get(PAGE).content.decode()


def test_a_role_that_must_have_it_cannot_turn_it_off(world: Any, frozen: Any, settings: Any) -> None:
    admin = world.a.tenant_admin
    client = signed_in(admin)
    start(client)
    confirm(client, admin)
    later(frozen)
    settings.MFA_REQUIRED_ROLES = ["tenant_admin"]

    page = client.get(PAGE).content.decode()
    assert "cannot be turned off here" in page
    assert 'value="remove"' not in page

    response = client.post(PAGE, {"action": "remove", "password": PASSWORD, "code": code_of(admin)})

    assert response.status_code == 400
    assert "Your role must keep two-factor authentication on." in response.content.decode()
    assert TOTPDevice.objects.filter(user=admin, confirmed=True).exists()
    assert not AuditEvent.objects.filter(action="mfa_removed").exists()


def test_every_form_needs_the_csrf_token(world: Any) -> None:
    client = signed_in(world.a.branch_manager, enforce_csrf_checks=True)

    assert client.post(PAGE, {"action": "start"}).status_code == 403
    assert not TOTPDevice.objects.exists()


def test_an_unknown_action_is_refused(world: Any) -> None:
    assert signed_in(world.a.branch_manager).post(PAGE, {"action": "nope"}).status_code == 400


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_anonymous_visitor_is_sent_to_sign_in(db: None, method: str) -> None:
    response = getattr(Client(), method)(PAGE)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={PAGE}"


def test_the_page_is_in_the_menu(world: Any) -> None:
    html = signed_in(world.a.branch_manager).get("/backoffice/shifts/").content.decode()
    assert f'href="{PAGE}"' in html


@pytest.mark.parametrize("step", ["off", "pending", "on"])
def test_the_page_loads_within_its_query_budget(
    world: Any, frozen: Any, step: str, django_assert_max_num_queries: Any
) -> None:
    manager = world.a.branch_manager
    client = signed_in(manager)
    if step != "off":
        start(client)
    if step == "on":
        confirm(client, manager)

    # 4 (on) to 6 (pending) today: the session, the user, the menu's flag, the devices.
    response = load_within_budget(client, PAGE, budget=6, assert_max_queries=django_assert_max_num_queries)

    assert response.status_code == 200


# --- A role that must have it and has not: an enrolment-only session -------------------------


@pytest.fixture
def must_enrol(world: Any, settings: Any) -> Any:
    settings.MFA_REQUIRED_ROLES = ["tenant_admin"]
    return world.a.tenant_admin


def enrolment_session(user: Any) -> Client:
    client = Client()
    response = client.post(LOGIN, {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert "_auth_user_id" not in client.session
    return client


OTHER_PAGES = ["/backoffice/", "/backoffice/shifts/", "/backoffice/stock/", "/backoffice/sales/report.csv"]


def test_signing_in_without_the_required_second_factor_reaches_only_this_page(must_enrol: Any) -> None:
    client = enrolment_session(must_enrol)

    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Set it up now to continue" in page.content.decode()
    for path in OTHER_PAGES:
        response = client.get(path)
        assert (path, response.status_code, response["Location"]) == (path, 302, PAGE)
    assert client.post("/backoffice/review/", {}).status_code == 302
    # Nobody is signed in as far as the API and the admin can tell.
    assert client.get("/api/v1/auth/me/").status_code == 401
    assert client.get("/admin/").status_code == 302
    # Removing is not an enrolment step.
    assert client.post(PAGE, {"action": "remove", "password": PASSWORD, "code": "123456"}).status_code == 400
    assert AuditEvent.objects.filter(action="login_mfa_challenged", actor_id=must_enrol.pk).exists()
    assert not AuditEvent.objects.filter(action="login_succeeded").exists()


def test_confirming_the_enrolment_completes_the_sign_in(must_enrol: Any, frozen: Any) -> None:
    client = enrolment_session(must_enrol)
    start(client)
    wrong = f"{(int(code_of(must_enrol)) + 1) % 1_000_000:06d}"
    assert client.post(PAGE, {"action": "confirm", "code": wrong}).status_code == 400
    assert client.get("/backoffice/shifts/")["Location"] == PAGE
    later(frozen)  # past django-otp's wait after a wrong code

    confirmed = confirm(client, must_enrol)

    assert confirmed.status_code == 200
    assert len(recovery_codes(confirmed.content.decode())) == 10
    assert client.session["_auth_user_id"] == str(must_enrol.pk)
    assert client.get("/backoffice/shifts/").status_code == 200
    event = AuditEvent.objects.get(action="login_succeeded")
    assert (event.actor_id, event.changes) == (must_enrol.pk, {"via": [None, "backoffice"]})
    # The next sign-in asks for the code.
    later(frozen)
    fresh = Client()
    assert fresh.post(LOGIN, {"email": must_enrol.email, "password": PASSWORD}).status_code == 400
    signed = fresh.post(LOGIN, {"email": must_enrol.email, "password": PASSWORD, "code": code_of(must_enrol)})
    assert signed.status_code == 302


def test_an_enrolment_only_session_expires(must_enrol: Any, frozen: Any) -> None:
    client = enrolment_session(must_enrol)
    frozen.move_to(timezone.now() + timedelta(minutes=16), tick=False)

    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert client.get("/backoffice/shifts/")["Location"].startswith(LOGIN)


def test_signing_out_ends_an_enrolment_only_session(must_enrol: Any) -> None:
    client = enrolment_session(must_enrol)

    assert client.post("/backoffice/logout/").status_code == 302
    assert client.get(PAGE)["Location"].startswith(LOGIN)
