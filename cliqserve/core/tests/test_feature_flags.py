"""Feature flags: GET /api/v1/flags/, every condition, the cache and its invalidation, the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.checks import run_checks
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from flags.models import FlagState

from cliqserve.core import feature_flags
from cliqserve.core.feature_flags import CACHE_KEY, in_percentage
from conftest import client_for
from tests.factories import TenantFactory, UserFactory

URL = "/api/v1/flags/"
LOCALIZED = "reports.exports.localized"
DASHBOARD = "backoffice.dashboard.view"


def flags_of(user) -> dict[str, bool]:
    response = client_for(user).get(URL)
    assert response.status_code == 200, response.content
    return response.json()["flags"]


def row(condition: str, value: str, *, name: str = LOCALIZED, required: bool = False) -> FlagState:
    return FlagState.objects.create(name=name, condition=condition, value=value, required=required)


@pytest.mark.parametrize("role", ["cashier", "branch_manager", "tenant_admin", "platform_owner"])
def test_every_person_gets_every_declared_flag_with_its_default(world, role):
    # The dashboard shipped before flags (declared on); the localized exports start off.
    assert flags_of(world.user(role)) == {DASHBOARD: True, LOCALIZED: False}


def test_nobody_signed_in_is_refused(world, api_client):
    # API keys are refused too: tests/matrix_flags.py, replayed with keys.
    assert api_client.get(URL).status_code == 401


def test_a_boolean_row_switches_a_flag_for_everyone(world):
    row("boolean", "true")

    assert flags_of(world.a.cashier)[LOCALIZED] is True
    assert flags_of(world.b.tenant_admin)[LOCALIZED] is True


@pytest.mark.parametrize("value", ["tenant-a", "id"])
def test_a_tenant_condition_names_one_tenant_by_slug_or_id(world, value):
    row("tenant", str(world.a.tenant.pk) if value == "id" else value)

    assert all(flags_of(world.a.user(role))[LOCALIZED] for role in ("cashier", "tenant_admin"))
    assert flags_of(world.b.tenant_admin)[LOCALIZED] is False
    assert flags_of(world.platform_owner)[LOCALIZED] is False


def test_a_role_condition_and_a_user_condition(world):
    row("role", "branch_manager")
    row("user", world.b.cashier.email)

    assert flags_of(world.a.branch_manager)[LOCALIZED] is True
    assert flags_of(world.b.cashier)[LOCALIZED] is True
    assert flags_of(world.a.cashier)[LOCALIZED] is False


def test_required_conditions_narrow_the_others(world):
    # Managers, but only tenant A's: both must hold.
    row("role", "branch_manager")
    row("tenant", "tenant-a", required=True)

    assert flags_of(world.a.branch_manager)[LOCALIZED] is True
    assert flags_of(world.b.branch_manager)[LOCALIZED] is False


def test_a_required_false_switches_off_a_flag_declared_on(world):
    row("boolean", "false", name=DASHBOARD, required=True)

    assert flags_of(world.a.tenant_admin)[DASHBOARD] is False


def test_a_percentage_of_tenants_is_stable_and_follows_the_hash(world):
    tenants = [TenantFactory() for _ in range(12)]
    admins = [UserFactory(role="tenant_admin", tenant=tenant, branch=None) for tenant in tenants]
    row("percentage of tenants", "50")

    expected = [in_percentage(flag_name=LOCALIZED, subject_id=str(t.pk), percentage=50) for t in tenants]
    first = [flags_of(admin)[LOCALIZED] for admin in admins]
    again = [flags_of(admin)[LOCALIZED] for admin in admins]

    assert first == expected == again


def test_a_percentage_of_users_differs_between_users_of_one_tenant(world):
    row("percentage of users", "50")
    users = [world.a.user(r) for r in ("cashier", "branch_manager", "tenant_admin")] + [world.a.other_cashier]

    for user in users:
        expected = in_percentage(flag_name=LOCALIZED, subject_id=str(user.pk), percentage=50)
        assert flags_of(user)[LOCALIZED] is expected


def test_percentages_at_the_ends_and_per_flag():
    assert not any(in_percentage(flag_name="a.b.c", subject_id=str(n), percentage=0) for n in range(200))
    assert all(in_percentage(flag_name="a.b.c", subject_id=str(n), percentage=100) for n in range(200))
    share = sum(in_percentage(flag_name="a.b.c", subject_id=str(n), percentage=30) for n in range(2000))
    assert 500 < share < 700
    # Not the same subjects for two flags.
    one = [in_percentage(flag_name="a.b.c", subject_id=str(n), percentage=50) for n in range(100)]
    two = [in_percentage(flag_name="x.y.z", subject_id=str(n), percentage=50) for n in range(100)]
    assert one != two


def test_a_date_range_is_two_required_conditions(world):
    now = timezone.now()
    row("after date", (now - timedelta(days=1)).isoformat(), required=True)
    row("before date", (now + timedelta(days=1)).isoformat(), required=True)
    assert flags_of(world.a.cashier)[LOCALIZED] is True

    FlagState.objects.filter(condition="after date").update(value=(now + timedelta(hours=1)).isoformat())
    cache.delete(CACHE_KEY)  # update() sends no signal: what FLAGS_CACHE_SECONDS bounds
    assert flags_of(world.a.cashier)[LOCALIZED] is False


def test_a_row_with_a_condition_we_do_not_evaluate_is_ignored(world):
    # django-flags' `parameter` would let any caller switch the flag with ?preview=True.
    row("parameter", "preview")

    response = client_for(world.a.cashier).get(URL, {"preview": "True"})

    assert response.json()["flags"][LOCALIZED] is False


def test_a_change_clears_the_cache_once_committed(world, django_capture_on_commit_callbacks):
    assert flags_of(world.a.cashier)[LOCALIZED] is False
    assert cache.get(CACHE_KEY) == []

    with django_capture_on_commit_callbacks(execute=True):
        state = row("tenant", "tenant-a")
    assert flags_of(world.a.cashier)[LOCALIZED] is True

    with django_capture_on_commit_callbacks(execute=True):
        state.delete()
    assert flags_of(world.a.cashier)[LOCALIZED] is False


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_flags_cost_no_query_with_a_warm_cache_however_many_rows(world):
    client = client_for(world.a.cashier)
    cold = _queries(client)
    warm = _queries(client)
    for n in range(20):
        row("tenant", f"tenant-{n}")
    cache.delete(CACHE_KEY)
    _queries(client)

    # The flags read one query (their rows) cold and none warm: what is left is authentication
    # (user with tenant and branch, and the token's checks), the same for every endpoint.
    assert cold == warm + 1
    assert _queries(client) == warm
    assert warm <= 2


def test_flag_on_refuses_an_undeclared_name(rf):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        feature_flags.flag_on("reports.exports.typo", request=rf.get("/"))


@override_settings(FLAGS={"Reports-Exports": [], "reports.exports.localized": []})
def test_a_badly_named_flag_fails_the_system_check():
    errors = [message for message in run_checks() if message.id == "cliqserve.E001"]

    assert [e.msg for e in errors] == [
        "Feature flag 'Reports-Exports' is not named module.feature.action "
        "(lower case, at most 64 characters)."
    ]


# --- The admin: the platform owner edits the rows -------------------------------------------


def _admin(world) -> Client:
    from cliqserve.accounts.models import User

    client = Client()
    client.force_login(User.objects.create_superuser("root@platform.test", "quiet-meadow-lantern-3"))
    return client


def test_the_platform_owner_adds_a_condition_in_the_admin(world):
    response = _admin(world).post(
        "/admin/flags/flagstate/add/",
        {"name": LOCALIZED, "condition": "tenant", "value": "tenant-a", "required": ""},
    )

    assert response.status_code == 302, response.content
    assert FlagState.objects.filter(name=LOCALIZED, condition="tenant", value="tenant-a").exists()


@pytest.mark.parametrize(
    ("condition", "value"),
    [
        ("role", "superuser"),
        ("percentage of tenants", "150"),
        ("after date", "2026-03-01T00:00:00"),  # no offset: it would never match
        ("parameter", "preview"),  # not offered
    ],
)
def test_the_admin_refuses_a_value_its_condition_cannot_use(world, condition, value):
    response = _admin(world).post(
        "/admin/flags/flagstate/add/", {"name": LOCALIZED, "condition": condition, "value": value}
    )

    assert response.status_code == 200  # the form again, with its error
    assert not FlagState.objects.exists()


def test_a_staff_account_that_is_not_the_platform_owner_cannot_see_the_flags(world):
    # Refused by the user admin's rules already; the flag admin asks again.
    manager = world.a.tenant_admin
    manager.is_staff = True
    manager.is_superuser = True
    manager.save(update_fields=["is_staff", "is_superuser"])
    client = Client()
    client.force_login(manager)

    assert client.get("/admin/flags/flagstate/").status_code == 403
