"""The sign-in lockout (issue 12, item 0; docs/adr/0010): it slows a guesser without locking the
owner out. Failures count per account and client, with doubling delays, and per account from
every client; a till or browser that has signed in to the account before is held to its own
failures only. The API, the back office and the Django admin share the counters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from cliqserve.core.models import AuditEvent
from conftest import World
from tests.factories import PASSWORD

LOGIN = "/api/v1/auth/login/"
ADMIN_LOGIN = "/admin/login/"
WRONG = "not-the-password"


@pytest.fixture(autouse=True)
def _small_thresholds(settings: Any) -> None:
    settings.LOGIN_LOCKOUT_THRESHOLD = 3
    settings.LOGIN_ACCOUNT_LOCKOUT_THRESHOLD = 6
    settings.LOGIN_LOCKOUT_FIRST_SECONDS = 60
    settings.LOGIN_LOCKOUT_SECONDS = 200


def login(email: str, password: str = PASSWORD, *, ip: str, **body: Any) -> Any:
    client = APIClient(REMOTE_ADDR=ip)
    return client.post(LOGIN, {"email": email, "password": password, **body}, format="json")


def fail_from(email: str, ips: list[str], **body: Any) -> None:
    for ip in ips:
        assert login(email, WRONG, ip=ip, **body).status_code == 401


def many(count: int, prefix: str = "10.66.0") -> list[str]:
    return [f"{prefix}.{n}" for n in range(1, count + 1)]


def retry_after(response: Any) -> int:
    assert response.status_code == 429, response.content
    assert response.json()["errors"][0]["code"] == "rate_limit_exceeded"
    return int(response["Retry-After"])


def anonymous(response: Any) -> dict[str, Any]:
    return {**response.json(), "request_id": None}


def test_an_attacker_on_one_address_never_stops_the_owner_on_another(world: World) -> None:
    email = world.a.cashier.email
    fail_from(email, ["10.66.0.1"] * 3)

    assert retry_after(login(email, ip="10.66.0.1")) > 0, "the attacker waits, right password or not"
    assert login(email, ip="10.1.1.1").status_code == 200, "the owner, elsewhere, does not"


def test_each_delay_of_one_client_doubles_the_one_before_up_to_the_cap(world: World) -> None:
    email, attacker = world.a.cashier.email, "10.66.0.1"
    start = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    waits = []
    for elapsed in [0, 61, 61 + 121, 61 + 121 + 201]:  # each time, just after the delay
        with time_machine.travel(start + timedelta(seconds=elapsed), tick=False):
            fail_from(email, [attacker] * 3)
            waits.append(retry_after(login(email, ip=attacker)))

    assert waits == [60, 120, 200, 200]


def test_a_delayed_attempt_is_one_failed_sign_in_in_the_trail(world: World) -> None:
    email = world.a.cashier.email
    fail_from(email, ["10.66.0.1"] * 3)

    retry_after(login(email, ip="10.66.0.1"))

    failures = AuditEvent.objects.filter(action="login_failed", object_id=str(world.a.cashier.pk))
    assert [e.changes["reason"][1] for e in failures.order_by("at", "pk")] == [
        "bad_credentials",
        "bad_credentials",
        "bad_credentials",
        "locked_out",
    ]


def test_a_distributed_attack_holds_off_new_clients_but_not_the_owners_till(world: World) -> None:
    email, till = world.a.cashier.email, str(world.a.device.pk)
    assert login(email, ip="10.1.1.1", device=till).status_code == 200  # the till is known from now on
    fail_from(email, many(6))  # one guess per address: no address reaches its own threshold

    assert retry_after(login(email, ip="10.2.2.2")) > 0, "a client the account does not know waits"
    assert login(email, ip="10.3.3.3", device=till).status_code == 200, "the till, from anywhere, does not"
    assert retry_after(login(email, ip="10.2.2.2")) > 0, "the owner's sign-in ends nobody's delay"


def test_a_known_till_is_delayed_after_its_own_failures_from_any_address(world: World) -> None:
    email, till = world.a.cashier.email, str(world.a.device.pk)
    assert login(email, ip="10.1.1.1", device=till).status_code == 200
    fail_from(email, many(3, "10.77.0"), device=till)  # a stolen till, moving between addresses

    assert retry_after(login(email, ip="10.1.1.1", device=till)) > 0
    assert login(email, ip="10.1.1.1").status_code == 200, "its address, without the till, is not held"


def test_a_till_is_known_only_to_the_accounts_that_signed_in_on_it(world: World) -> None:
    email, till = world.a.branch_manager.email, str(world.a.device.pk)
    assert login(world.a.cashier.email, ip="10.1.1.1", device=till).status_code == 200
    fail_from(email, many(6))

    assert retry_after(login(email, ip="10.1.1.1", device=till)) > 0


def test_a_refused_device_is_not_remembered(world: World) -> None:
    email, other_till = world.a.cashier.email, str(world.a.other_device.pk)
    assert login(email, ip="10.1.1.1", device=other_till).status_code == 400  # not assigned to them
    fail_from(email, many(6))

    assert retry_after(login(email, ip="10.1.1.1", device=other_till)) > 0


def test_the_delay_says_nothing_about_whether_the_account_exists(world: World) -> None:
    with time_machine.travel(datetime(2030, 1, 1, 9, 0, tzinfo=UTC), tick=False):
        for email in (world.a.cashier.email, "ghost@a.test"):
            fail_from(email, ["10.66.0.1"] * 3)  # this address's delay
            fail_from(email, many(3, "10.67.0"))  # and, six in all, the account's
        # Held by its own delay, and by the account's.
        real = [login(world.a.cashier.email, ip=ip) for ip in ("10.66.0.1", "10.9.9.9")]
        ghost = [login("ghost@a.test", ip=ip) for ip in ("10.66.0.1", "10.9.9.9")]

    for real_answer, ghost_answer in zip(real, ghost, strict=True):
        assert retry_after(real_answer) == retry_after(ghost_answer)
        assert anonymous(real_answer) == anonymous(ghost_answer)


def admin_sign_in(client: Client, email: str, password: str = PASSWORD) -> Any:
    return client.post(ADMIN_LOGIN, {"username": email, "password": password, "next": "/admin/"})


def admin_page(client: Client, email: str, password: str = PASSWORD) -> str:
    return str(admin_sign_in(client, email, password).content.decode())


def test_the_admin_keeps_the_same_rules_and_lets_a_known_browser_in(world: World) -> None:
    email = world.platform_owner.email
    owners_browser = Client(REMOTE_ADDR="10.1.1.1")
    assert admin_sign_in(owners_browser, email).status_code == 302
    owners_browser.post("/admin/logout/")
    for ip in many(6):
        assert (
            "Please enter the correct email"
            in admin_sign_in(Client(REMOTE_ADDR=ip), email, WRONG).content.decode()
        )

    assert "Too many sign-in attempts" in admin_page(Client(REMOTE_ADDR="10.2.2.2"), email)
    assert retry_after(login(email, ip="10.2.2.2")) > 0, "the API shares the counters"
    assert admin_sign_in(owners_browser, email).status_code == 302, "the browser it signed in with"


def test_an_attacker_on_one_address_does_not_stop_the_admin_on_another(world: World) -> None:
    email = world.platform_owner.email
    for _ in range(3):
        admin_sign_in(Client(REMOTE_ADDR="10.66.0.1"), email, WRONG)

    assert (
        "Too many sign-in attempts" in admin_sign_in(Client(REMOTE_ADDR="10.66.0.1"), email).content.decode()
    )
    assert admin_sign_in(Client(REMOTE_ADDR="10.1.1.1"), email).status_code == 302
