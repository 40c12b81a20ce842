"""`manage.py create_platform_owner`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from cliqserve.accounts.models import User
from cliqserve.core.roles import Role
from cliqserve.tenants.models import Tenant

EMAIL = "root@example.com"
PASSWORD = "lantern-orbit-quietly-7"
NEW_PASSWORD = "harbour-violet-sundial-9"
LOGIN = "/api/v1/auth/login/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_password_in_environment(monkeypatch):
    monkeypatch.delenv("CLIQSERVE_OWNER_PASSWORD", raising=False)


def create_platform_owner(*args: str) -> str:
    out = io.StringIO()
    call_command("create_platform_owner", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def sign_in(client, email: str, password: str):
    return client.post(LOGIN, {"email": email, "password": password}, content_type="application/json")


def test_creates_a_platform_owner_who_can_sign_in(client, json_logs):
    out = create_platform_owner("--email", " Root@Example.com ", "--password", PASSWORD)

    user = User.objects.get()
    assert user.email == EMAIL
    assert user.role == Role.PLATFORM_OWNER
    assert user.is_staff
    assert user.is_superuser
    assert user.tenant is None
    assert user.branch is None
    assert EMAIL in out
    assert PASSWORD not in out
    assert PASSWORD not in json_logs.text
    response = sign_in(client, EMAIL, PASSWORD)
    assert response.status_code == 200, response.content
    assert response.json()["user"]["role"] == Role.PLATFORM_OWNER


def test_takes_the_password_from_the_environment(client, monkeypatch):
    monkeypatch.setenv("CLIQSERVE_OWNER_PASSWORD", PASSWORD)

    out = create_platform_owner("--email", EMAIL)

    assert PASSWORD not in out
    assert User.objects.get(email=EMAIL).check_password(PASSWORD)
    assert sign_in(client, EMAIL, PASSWORD).status_code == 200


def test_the_command_line_password_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("CLIQSERVE_OWNER_PASSWORD", NEW_PASSWORD)

    create_platform_owner("--email", EMAIL, "--password", PASSWORD)

    assert User.objects.get(email=EMAIL).check_password(PASSWORD)


def test_refuses_to_run_without_a_password():
    with pytest.raises(CommandError, match="--password or set \\$CLIQSERVE_OWNER_PASSWORD"):
        create_platform_owner("--email", EMAIL)

    assert not User.objects.exists()


def test_refuses_a_weak_password_and_says_why():
    with pytest.raises(CommandError) as refused:
        create_platform_owner("--email", EMAIL, "--password", "12345")

    message = str(refused.value)
    assert "too short" in message
    assert "entirely numeric" in message
    assert "12345" not in message
    assert not User.objects.exists()


def test_refuses_a_password_like_the_email():
    with pytest.raises(CommandError, match="too similar"):
        create_platform_owner("--email", "lantern.orbit@example.com", "--password", "lantern.orbit")

    assert not User.objects.exists()


def test_refuses_an_invalid_email():
    with pytest.raises(CommandError, match="Not a valid email"):
        create_platform_owner("--email", "not-an-email", "--password", PASSWORD)

    assert not User.objects.exists()


def test_refuses_an_existing_email_and_keeps_its_password():
    create_platform_owner("--email", EMAIL, "--password", PASSWORD)

    with pytest.raises(CommandError, match=r"already exists.*--update-password"):
        create_platform_owner("--email", EMAIL.upper(), "--password", NEW_PASSWORD)

    user = User.objects.get()
    assert user.check_password(PASSWORD)


def test_update_password_resets_the_password_of_a_platform_owner(client):
    create_platform_owner("--email", EMAIL, "--password", PASSWORD)

    out = create_platform_owner("--email", EMAIL, "--password", NEW_PASSWORD, "--update-password")

    assert NEW_PASSWORD not in out
    assert User.objects.count() == 1
    assert sign_in(client, EMAIL, NEW_PASSWORD).status_code == 200
    assert sign_in(client, EMAIL, PASSWORD).status_code == 401


def test_update_password_still_validates_the_password():
    create_platform_owner("--email", EMAIL, "--password", PASSWORD)

    with pytest.raises(CommandError, match="too short"):
        create_platform_owner("--email", EMAIL, "--password", "short", "--update-password")

    assert User.objects.get().check_password(PASSWORD)


def test_update_password_refuses_a_user_who_is_not_a_platform_owner():
    tenant = Tenant.objects.create(name="Shop", slug="shop", currency="USD")
    admin = User.objects.create_user(EMAIL, PASSWORD, role=Role.TENANT_ADMIN, tenant=tenant)

    with pytest.raises(CommandError, match="not a platform owner"):
        create_platform_owner("--email", EMAIL, "--password", NEW_PASSWORD, "--update-password")

    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)
    assert admin.role == Role.TENANT_ADMIN
    assert not admin.is_superuser


def test_update_password_of_an_unknown_email_creates_nobody():
    with pytest.raises(CommandError, match="No user"):
        create_platform_owner("--email", EMAIL, "--password", PASSWORD, "--update-password")

    assert not User.objects.exists()
