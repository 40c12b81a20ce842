"""Two-factor sign-in with TOTP (django-otp): enrolment, the login's second step, recovery
codes, removal and an admin's reset (contract § Multi-factor authentication)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from cliqserve.core.models import AuditEvent
from conftest import World, client_for
from tests.factories import PASSWORD

TOTP = "/api/v1/auth/mfa/totp/"
CONFIRM = "/api/v1/auth/mfa/totp/confirm/"
VERIFY = "/api/v1/auth/mfa/verify/"


def code_of(user: Any) -> str:
    return f"{totp(TOTPDevice.objects.get(user=user).bin_key):06d}"


def login(user: Any, **extra: Any) -> dict[str, Any]:
    response = APIClient().post(
        reverse("auth-login"), {"email": user.email, "password": PASSWORD, **extra}, format="json"
    )
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def enrol(client: APIClient, user: Any, time_machine: Any) -> list[str]:
    started = client.post(TOTP)
    assert started.status_code == 201, started.content
    assert started.json()["otpauth_uri"].startswith("otpauth://totp/")
    confirmed = client.post(CONFIRM, {"code": code_of(user)}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    # The next code must come from a later 30-second step: one code signs in once.
    time_machine.move_to(timezone.now() + timedelta(seconds=31), tick=False)
    codes: list[str] = confirmed.json()["recovery_codes"]
    return codes


@pytest.fixture
def frozen(time_machine: Any) -> Any:
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def test_an_enrolled_user_signs_in_in_two_steps(world: World, frozen: Any) -> None:
    admin = world.a.tenant_admin
    codes = enrol(client_for(admin), admin, frozen)

    challenge = login(admin)
    verified = APIClient().post(
        VERIFY, {"mfa_token": challenge["mfa_token"], "code": code_of(admin)}, format="json"
    )
    replayed = APIClient().post(
        VERIFY, {"mfa_token": challenge["mfa_token"], "code": code_of(admin)}, format="json"
    )

    assert len(codes) == 10
    assert challenge.keys() == {"mfa_required", "mfa_token"}
    assert verified.status_code == 200, verified.content
    assert verified.json()["user"]["id"] == str(admin.pk)
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {verified.json()['access']}")
    assert me.get("/api/v1/auth/me/").status_code == 200
    assert replayed.status_code == 401  # the same code, the same 30 seconds: used
    actions = list(AuditEvent.objects.filter(actor_id=admin.pk).values_list("action", flat=True))
    assert {"mfa_enrolled", "login_mfa_challenged", "login_succeeded"} <= set(actions)


def test_a_wrong_code_or_a_stale_token_signs_nobody_in(world: World, frozen: Any) -> None:
    admin = world.a.tenant_admin
    enrol(client_for(admin), admin, frozen)
    token = login(admin)["mfa_token"]

    wrong = APIClient().post(VERIFY, {"mfa_token": token, "code": "000000"}, format="json")
    frozen.move_to(timezone.now() + timedelta(minutes=6), tick=False)
    stale = APIClient().post(VERIFY, {"mfa_token": token, "code": code_of(admin)}, format="json")

    assert (wrong.status_code, stale.status_code) == (401, 401)
    assert AuditEvent.objects.filter(
        action="login_failed", changes__reason=[None, "bad_second_factor"]
    ).exists()


def test_recovery_codes_are_stored_hashed_and_work_once(world: World, frozen: Any) -> None:
    admin = world.a.tenant_admin
    codes = enrol(client_for(admin), admin, frozen)

    first = APIClient().post(
        VERIFY, {"mfa_token": login(admin)["mfa_token"], "recovery_code": codes[0]}, format="json"
    )
    again = APIClient().post(
        VERIFY, {"mfa_token": login(admin)["mfa_token"], "recovery_code": codes[0]}, format="json"
    )

    assert (first.status_code, again.status_code) == (200, 401)
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == 9
    assert not stored & set(codes)


def test_a_role_that_must_have_mfa_gets_an_enrolment_only_token(
    world: World, settings: Any, frozen: Any
) -> None:
    settings.MFA_REQUIRED_ROLES = ["tenant_admin"]
    admin = world.a.tenant_admin

    challenge = login(admin)
    enrolling = APIClient()
    enrolling.credentials(HTTP_AUTHORIZATION=f"Bearer {challenge['mfa_token']}")

    assert challenge["enrolment_required"] is True
    assert "access" not in challenge
    assert enrolling.get("/api/v1/products/").status_code == 401
    assert (
        APIClient()
        .post(VERIFY, {"mfa_token": challenge["mfa_token"], "code": "123456"}, format="json")
        .status_code
        == 401
    )
    codes = enrol(enrolling, admin, frozen)
    assert len(codes) == 10
    assert login(admin).keys() == {"mfa_required", "mfa_token"}


def test_a_cashier_on_a_till_is_not_asked(world: World) -> None:
    TOTPDevice.objects.create(user=world.a.cashier, name="phone", confirmed=True)

    answer = login(world.a.cashier, device=str(world.a.device.pk))

    assert "access" in answer


def test_a_tenant_may_require_it_of_its_branch_managers(world: World) -> None:
    admin = client_for(world.a.tenant_admin)
    admin.patch(f"/api/v1/tenants/{world.a.tenant.pk}/", {"mfa_required_for_managers": True}, format="json")

    assert login(world.a.branch_manager).get("enrolment_required") is True
    assert "access" in login(world.b.branch_manager)


def test_removal_needs_the_password_and_a_code_and_is_refused_to_a_required_role(
    world: World, settings: Any, frozen: Any
) -> None:
    admin = world.a.tenant_admin
    client = client_for(admin)
    enrol(client, admin, frozen)

    wrong_password = client.delete(TOTP, {"password": "nope", "code": code_of(admin)}, format="json")
    settings.MFA_REQUIRED_ROLES = ["tenant_admin"]
    required = client.delete(TOTP, {"password": PASSWORD, "code": code_of(admin)}, format="json")
    settings.MFA_REQUIRED_ROLES = []
    frozen.move_to(timezone.now() + timedelta(seconds=31), tick=False)
    removed = client.delete(TOTP, {"password": PASSWORD, "code": code_of(admin)}, format="json")

    assert (wrong_password.status_code, required.status_code, removed.status_code) == (400, 403, 204)
    assert not TOTPDevice.objects.filter(user=admin).exists()
    assert "access" in login(admin)


def test_an_admin_resets_a_lost_device_and_a_manager_may_not(world: World, frozen: Any) -> None:
    manager = world.a.branch_manager
    enrol(client_for(manager), manager, frozen)
    url = f"/api/v1/users/{manager.pk}/mfa/reset/"

    refused = client_for(world.a.branch_manager).post(url)
    reset = client_for(world.a.tenant_admin).post(url)

    assert (refused.status_code, reset.status_code) == (403, 204)
    assert not TOTPDevice.objects.filter(user=manager).exists()
    event = AuditEvent.objects.get(action="mfa_reset")
    assert (event.actor_id, event.object_id) == (world.a.tenant_admin.pk, str(manager.pk))


def test_the_back_office_asks_for_the_code_too(world: World, frozen: Any) -> None:
    admin = world.a.tenant_admin
    enrol(client_for(admin), admin, frozen)
    browser = Client()

    without = browser.post("/backoffice/login/", {"email": admin.email, "password": PASSWORD})
    assert without.status_code == 400
    assert "_auth_user_id" not in browser.session
    with_code = browser.post(
        "/backoffice/login/", {"email": admin.email, "password": PASSWORD, "code": code_of(admin)}
    )

    assert with_code.status_code == 302
    assert browser.session["_auth_user_id"] == str(admin.pk)


def test_the_admin_asks_for_the_code_too(world: World, frozen: Any) -> None:
    owner = world.platform_owner
    enrol(client_for(owner), owner, frozen)
    browser = Client()

    page = browser.get("/admin/login/")
    without = browser.post("/admin/login/", {"username": owner.email, "password": PASSWORD})
    with_code = browser.post(
        "/admin/login/", {"username": owner.email, "password": PASSWORD, "code": code_of(owner)}
    )

    assert 'name="code"' in page.content.decode()
    assert without.status_code == 200
    assert "authenticator" in without.content.decode()
    assert with_code.status_code == 302


def test_a_role_that_must_enrol_is_sent_to_enrol_before_the_back_office(world: World, settings: Any) -> None:
    settings.MFA_REQUIRED_ROLES = ["tenant_admin"]
    browser = Client()

    response = browser.post("/backoffice/login/", {"email": world.a.tenant_admin.email, "password": PASSWORD})

    # To the two-factor page, with an enrolment-only session (cliqserve/backoffice/tests/test_mfa_page.py).
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/account/two-factor/"
    assert "_auth_user_id" not in browser.session


@pytest.mark.parametrize(
    "body", [{"mfa_token": "t"}, {"mfa_token": "t", "code": "123456", "recovery_code": "ab"}]
)
def test_verify_takes_a_code_or_a_recovery_code_not_both(db: None, body: dict[str, str]) -> None:
    response = APIClient().post(VERIFY, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/code"


def test_wrong_codes_at_confirm_and_removal_stay_throttled(world: World, frozen: Any) -> None:
    """django-otp's throttle (a doubling wait after each wrong code) is written on the device;
    the refusal must not roll it back, or codes could be guessed without end."""
    admin = world.a.tenant_admin
    client = client_for(admin)
    assert client.post(TOTP).status_code == 201
    wrong = f"{(int(code_of(admin)) + 1) % 1_000_000:06d}"

    refused = client.post(CONFIRM, {"code": wrong}, format="json")

    assert refused.status_code == 400
    pending = TOTPDevice.objects.get(user=admin)
    assert (pending.confirmed, pending.throttling_failure_count) == (False, 1)
    # Within the wait even the right code is refused: that is the throttle working.
    assert client.post(CONFIRM, {"code": code_of(admin)}, format="json").status_code == 400

    frozen.move_to(timezone.now() + timedelta(seconds=61), tick=False)
    assert client.post(CONFIRM, {"code": code_of(admin)}, format="json").status_code == 200
    frozen.move_to(timezone.now() + timedelta(seconds=31), tick=False)
    for _attempt in range(2):
        guess = f"{(int(code_of(admin)) + 7) % 1_000_000:06d}"
        assert client.delete(TOTP, {"password": PASSWORD, "code": guess}, format="json").status_code == 400

    device = TOTPDevice.objects.get(user=admin)
    assert device.throttling_failure_count >= 1
    assert device.confirmed
