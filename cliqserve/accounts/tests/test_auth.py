"""Sign-in, token rotation, logout and revocation, over HTTP as a POS client does it."""

from __future__ import annotations

import jwt
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cliqserve.accounts.models import User
from tests.factories import PASSWORD

LOGIN = "/api/v1/auth/login/"
REFRESH = "/api/v1/auth/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/auth/me/"


def login(client: APIClient, email: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"email": email, "password": password, **extra}, format="json")


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_login_returns_tokens_with_tenant_role_branch_and_device_claims(api_client, world):
    response = login(api_client, "CASHIER@a.test", device=str(world.a.device.pk))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"] == {
        "id": str(world.a.cashier.pk),
        "email": "cashier@a.test",
        "role": "cashier",
        "tenant": str(world.a.tenant.pk),
        "branch": str(world.a.branch.pk),
        "first_name": "",
        "last_name": "",
        "language": "",
        "timezone": "",
    }
    access = claims(body["access"])
    assert access["tenant"] == str(world.a.tenant.pk)
    assert access["role"] == "cashier"
    assert access["branch"] == str(world.a.branch.pk)
    assert access["device"] == str(world.a.device.pk)
    assert access["exp"] - access["iat"] <= 15 * 60
    assert bearer(body["access"]).get(ME).json()["id"] == str(world.a.cashier.pk)


def test_wrong_password_and_unknown_email_get_the_same_answer(api_client, world):
    wrong_password = login(api_client, "cashier@a.test", "not-the-password")
    unknown_email = login(api_client, "nobody@a.test", "not-the-password")

    assert wrong_password.status_code == unknown_email.status_code == 401
    strip = lambda r: {**r.json(), "request_id": None}  # noqa: E731
    assert strip(wrong_password) == strip(unknown_email)
    assert wrong_password.json()["errors"][0]["code"] == "authentication_failed"


def test_repeated_failures_hold_that_client_off_with_429_even_for_the_right_one(api_client, world, settings):
    settings.LOGIN_LOCKOUT_THRESHOLD = 3
    for _ in range(3):
        assert login(api_client, "cashier@a.test", "guess").status_code == 401

    locked = login(api_client, "cashier@a.test")

    assert locked.status_code == 429
    assert locked.json()["errors"][0]["code"] == "rate_limit_exceeded"
    assert int(locked["Retry-After"]) > 0
    assert login(api_client, "manager@a.test").status_code == 200, "other accounts are not locked"


def test_unknown_emails_lock_out_too_so_lockout_reveals_nothing(api_client, settings, db):
    settings.LOGIN_LOCKOUT_THRESHOLD = 2
    for _ in range(2):
        login(api_client, "ghost@a.test", "guess")

    assert login(api_client, "ghost@a.test", "guess").status_code == 429


def test_successful_login_resets_the_failure_count(api_client, world, settings):
    settings.LOGIN_LOCKOUT_THRESHOLD = 3
    login(api_client, "cashier@a.test", "guess")
    login(api_client, "cashier@a.test", "guess")
    assert login(api_client, "cashier@a.test").status_code == 200

    login(api_client, "cashier@a.test", "guess")
    login(api_client, "cashier@a.test", "guess")

    assert login(api_client, "cashier@a.test").status_code == 200


@pytest.mark.parametrize("who", ["user", "tenant"])
def test_deactivated_users_and_tenants_cannot_sign_in(api_client, world, who):
    target = world.a.cashier if who == "user" else world.a.tenant
    target.is_active = False
    target.save()

    response = login(api_client, "cashier@a.test")

    assert response.status_code == 401
    assert response.json()["errors"][0]["detail"] == "Email or password is incorrect."


@pytest.mark.parametrize("who", ["user", "tenant"])
def test_deactivation_stops_outstanding_access_tokens_at_once(api_client, world, who):
    access = login(api_client, "cashier@a.test").json()["access"]
    assert bearer(access).get(ME).status_code == 200
    target = world.a.cashier if who == "user" else world.a.tenant
    target.is_active = False
    target.save()

    response = bearer(access).get(ME)

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "authentication_failed"


def test_password_change_revokes_access_tokens(api_client, world):
    access = login(api_client, "cashier@a.test").json()["access"]
    world.a.cashier.set_password("a-brand-new-passphrase")
    world.a.cashier.save()

    assert bearer(access).get(ME).status_code == 401


@pytest.mark.parametrize(
    ("role", "device"),
    [
        ("cashier", "other_device"),  # same tenant, not assigned to them
        ("branch_manager", "other_device"),  # another branch
        ("cashier", "foreign_device"),  # another tenant's device
        ("cashier", "inactive_device"),
    ],
)
def test_device_must_be_the_users_to_use(api_client, world, role, device):
    if device == "foreign_device":
        device_id = world.b.device.pk
    elif device == "inactive_device":
        world.a.device.is_active = False
        world.a.device.save()
        device_id = world.a.device.pk
    else:
        device_id = world.a.other_device.pk

    response = login(api_client, world.a.user(role).email, device=str(device_id))

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/device"


def test_tenant_admin_may_sign_in_on_any_device_of_the_tenant(api_client, world):
    response = login(api_client, "admin@a.test", device=str(world.a.other_device.pk))

    assert response.status_code == 200
    world.a.other_device.refresh_from_db()
    assert world.a.other_device.last_seen_at is not None


def test_refresh_rotates_and_the_old_refresh_token_stops_working(api_client, world):
    first = login(api_client, "cashier@a.test").json()

    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    reused = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")

    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != first["refresh"]
    assert claims(rotated.json()["access"])["role"] == "cashier"
    assert reused.status_code == 401


def test_a_quick_retry_of_a_spent_refresh_token_is_refused_without_ending_sessions(api_client, world):
    first = login(api_client, "cashier@a.test").json()
    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json").json()

    retry = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")

    assert retry.status_code == 401
    assert api_client.post(REFRESH, {"refresh": rotated["refresh"]}, format="json").status_code == 200


def test_reusing_a_spent_refresh_token_ends_every_session_of_that_user(
    api_client, world, json_logs, settings
):
    settings.REFRESH_REUSE_GRACE_SECONDS = 0
    first = login(api_client, "cashier@a.test").json()
    second_device_session = login(api_client, "cashier@a.test").json()
    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json").json()

    api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")  # the thief's replay

    for session in (rotated, second_device_session):
        assert api_client.post(REFRESH, {"refresh": session["refresh"]}, format="json").status_code == 401
    events = [r.get("event") for r in json_logs.records if r["logger"] == "cliqserve.security"]
    assert "refresh_token_reused" in events


def test_refresh_picks_up_a_role_change(api_client, world):
    tokens = login(api_client, "cashier@a.test").json()
    User.objects.filter(pk=world.a.cashier.pk).update(role="branch_manager")

    rotated = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").json()

    assert claims(rotated["access"])["role"] == "branch_manager"


def test_refresh_is_refused_for_a_deactivated_user(api_client, world):
    tokens = login(api_client, "cashier@a.test").json()
    world.a.cashier.is_active = False
    world.a.cashier.save()

    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_refresh_is_refused_once_the_cashier_loses_the_device(api_client, world):
    tokens = login(api_client, "cashier@a.test", device=str(world.a.device.pk)).json()
    admin = APIClient()
    admin.credentials(HTTP_AUTHORIZATION=f"Bearer {login(APIClient(), 'admin@a.test').json()['access']}")
    admin.patch(reverse("device-detail", args=[world.a.device.pk]), {"assigned_users": []}, format="json")

    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_logout_blacklists_the_refresh_token(api_client, world, json_logs):
    tokens = login(api_client, "cashier@a.test").json()

    logout = api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    refresh = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")

    assert logout.status_code == 204
    assert refresh.status_code == 401
    assert "logout" in [r.get("event") for r in json_logs.records]


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
def test_bad_refresh_tokens_are_refused_cleanly(api_client, db, token):
    for path in (REFRESH, LOGOUT):
        response = api_client.post(path, {"refresh": token}, format="json")
        assert response.status_code in (400, 401)
        assert response.json()["errors"]


def test_an_access_token_is_not_a_refresh_token(api_client, world):
    tokens = login(api_client, "cashier@a.test").json()

    assert api_client.post(REFRESH, {"refresh": tokens["access"]}, format="json").status_code == 401


def test_login_rejects_unknown_fields(api_client, world):
    response = login(api_client, "cashier@a.test", role="tenant_admin")

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/role"


def test_security_events_are_logged_without_emails_or_passwords(api_client, world, json_logs):
    login(api_client, "cashier@a.test", "wrong-password-123")
    login(api_client, "cashier@a.test")

    events = [r for r in json_logs.records if r["logger"] == "cliqserve.security"]
    assert [e["event"] for e in events] == ["login_failed", "login_succeeded"]
    assert "cashier@a.test" not in json_logs.text
    assert "wrong-password-123" not in json_logs.text
    assert PASSWORD not in json_logs.text


def test_permission_denied_is_a_security_event(world, json_logs):
    from conftest import client_for

    client_for(world.a.cashier).post(reverse("branch-list"), {"name": "x", "code": "x"}, format="json")

    denied = [r for r in json_logs.records if r.get("event") == "permission_denied"]
    assert denied
    assert denied[0]["user_id"] == str(world.a.cashier.pk)
