"""The Django admin's sign-in is guarded like the API's (issue 12): the lockout and throttles
apply, only staff get in, and the admin is served only where ADMIN_ENABLED and ADMIN_URL say."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cliqserve.core.models import AuditEvent
from cliqserve.core.tests.test_settings import SAMPLE_PROD_ENV, run_manage
from conftest import World
from tests.factories import PASSWORD

LOGIN = "/admin/login/"


def sign_in(client: Client, email: str, password: str) -> Any:
    return client.post(LOGIN, {"username": email, "password": password, "next": "/admin/"})


def test_the_platform_owner_signs_in(world: World) -> None:
    client = Client()

    response = sign_in(client, world.platform_owner.email, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    event = AuditEvent.objects.get(action="login_succeeded")
    assert (event.actor_id, event.tenant_id, event.changes) == (
        world.platform_owner.pk,
        None,
        {"via": [None, "admin"]},
    )


def test_wrong_passwords_lock_the_account_as_the_api_does(world: World, settings) -> None:
    """It used to answer 40 wrong passwords with the form, then let the right one in."""
    client = Client()
    for _ in range(settings.LOGIN_LOCKOUT_THRESHOLD):
        wrong = sign_in(client, world.platform_owner.email, "not-the-password")
        assert wrong.status_code == 200
        assert "Please enter the correct email" in wrong.content.decode()

    right = sign_in(client, world.platform_owner.email, PASSWORD)

    assert right.status_code == 200  # the form again, with the reason
    assert "Too many sign-in attempts" in right.content.decode()
    assert "_auth_user_id" not in client.session
    failures = AuditEvent.objects.filter(action="login_failed", object_id=str(world.platform_owner.pk))
    assert failures.count() == settings.LOGIN_LOCKOUT_THRESHOLD + 1
    # The API's login is locked out by the same failures.
    api = Client().post(
        "/api/v1/auth/login/",
        {"email": world.platform_owner.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert api.status_code == 429


def test_only_staff_get_a_session(world: World) -> None:
    client = Client()

    response = sign_in(client, world.a.tenant_admin.email, PASSWORD)

    assert response.status_code == 200
    assert "staff account" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("env", "admin_path", "served"),
    [
        ({"ADMIN_ENABLED": "false"}, "/admin/", False),
        ({"ADMIN_URL": "ops-7f3a/"}, "/ops-7f3a/", True),
        ({"ADMIN_URL": "ops-7f3a/"}, "/admin/", False),
        ({}, "/admin/", True),
    ],
)
def test_the_admin_is_served_only_where_the_settings_say(env, admin_path, served):
    probe = (
        "from django.urls import resolve, Resolver404\n"
        f"try: print(resolve({admin_path!r}).app_name)\n"
        "except Resolver404: print('404')"
    )

    result = run_manage("shell", "--no-imports", "-c", probe, env={**SAMPLE_PROD_ENV, **env})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("admin" if served else "404")
